#!/usr/bin/python3
"""demo.py - a demo user logs in through a real PAM stack against the mock API (see demo.sh),
once in each API dialect (docs/API.md section 8).

Without ALZ_DIALECT it runs itself twice, each run its own test bed (private mount namespace,
mock API, config): ALZ_DIALECT=alianza (alice: right and wrong password, tess: password + TOTP),
then ALZ_DIALECT=foodxchange (the same alice through a config with api_dialect = foodxchange and
user_template = %u@example.com, against mock_api.py --dialect foodxchange). Each case prints the
PAM results, the module's syslog lines and what the API was sent: method, path, the user name or
e-mail, the token header's name. Passwords, codes, session ids and tokens are never printed.
"""
import json
import os
import subprocess
import sys

DIALECTS = ("alianza", "foodxchange")

if not os.environ.get("ALZ_DIALECT"):
    if os.geteuid() != 0:
        # each run would skip (alztest needs root): say so instead of a hollow "OK"
        print("demo: FAILED - run as root (a private mount namespace, root-owned config)")
        sys.exit(1)
    failed = []
    for d in DIALECTS:
        sys.stdout.flush()
        if subprocess.run([sys.executable, os.path.abspath(__file__)],
                          env=dict(os.environ, ALZ_DIALECT=d)).returncode != 0:
            failed.append(d)
        print()
    print("demo: %s" % ("FAILED (%s)" % ", ".join(failed) if failed else
                        "OK - one login in each dialect (%s)" % ", ".join(DIALECTS)))
    sys.exit(1 if failed else 0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alztest  # noqa: E402

# the members of a request body that name the user: the only ones printed as they are
USER_FIELDS = ("userName", "email")

bed = alztest.Bed()
conf = bed.conf(debug="no")
confdir = bed.service(conf, name="demo", stack=(
    "auth    [success=done ignore=ignore default=die] {mod}\n"
    "auth    required pam_deny.so\n"
    "account required {mod}\n"
    "session required {mod}\n"))
TITLE = {"alianza": "Alianza", "foodxchange": "FoodXchange"}[alztest.dialect()]

print("== pam_alianza demo, %s dialect: mock API (mock_api.py --dialect %s) on %s"
      % (TITLE, alztest.dialect(), bed.url()))
print("== config %s:" % conf)
print("".join("   " + l for l in open(conf)))
print("== PAM service 'demo' (%s/demo):" % confdir)
print("".join("   " + l for l in open(os.path.join(confdir, "demo"))))


def wire(req):
    """One API call as the demo shows it: method, path, the token header's name (its value
    hidden), the body's member names with only the user name / e-mail shown."""
    out = "%s %s" % (req["method"], req["path"])
    h = req["headers"]
    if "authorization" in h:
        out += "  Authorization: %s <token, not shown>" % h["authorization"].split(" ", 1)[0]
    if "x-auth-token" in h:
        out += "  X-AUTH-TOKEN: <token, not shown>"
    body = alztest.request_body(req)
    if isinstance(body, dict):
        out += "  {%s}" % ", ".join(
            "%s: %s" % (json.dumps(k), json.dumps(v) if k in USER_FIELDS else "<not shown>")
            for k, v in body.items())
    return out


def show(title, user, answers, ops=("authenticate", "acct_mgmt")):
    print("== %s" % title)
    bed.reset(cache=False)          # the mock's request log: this case's calls only
    mark = bed.syslog.mark()
    r = bed.pam(user, answers, confdir=confdir, service="demo", ops=ops, rhost="192.0.2.10")
    for line in r.out.splitlines():
        print("   " + line)
    for line in bed.syslog.since(mark):
        print("   syslog: " + (line.split(": ", 1)[-1] if ": " in line else line))
    r.api = bed.api_requests()
    for req in r.api:
        print("   API was sent: " + wire(req))
    print()
    return r


def sent_as(r, user, *ops):
    """R's API calls were one log-in naming USER (by the API's name: the e-mail in
    foodxchange), then one call of each of OPS, a log-out carrying a token in the dialect's
    header (X-AUTH-TOKEN, Authorization: Bearer: the mock reads only that one)."""
    calls = [(q["method"], q["path"]) for q in r.api]
    want = [(alztest.api_method(op), alztest.api_path(op)) for op in ("login",) + ops]
    return (calls == want and alztest.sent_user(r.api[0]) == alztest.api_user(user)
            and all(alztest.sent_token(q) is not None for q, op in zip(r.api[1:], ops)
                    if op == "logout"))


SESSION = ("authenticate", "acct_mgmt", "open_session", "close_session")
if alztest.FX:
    ok = show("alice (role %s, e-mail %s) types her password: expected PAM_SUCCESS"
              % (alztest.type_name("MANAGEMENT_USER"), alztest.api_user("alice")),
              "alice", ["Alice-pass1!"], ops=SESSION)
    live = bed.tokens() + bed.refresh_tokens()
    bed.close()
    good = (all(ok.codes.get(op) == "PAM_SUCCESS" for op in SESSION)
            and sent_as(ok, "alice", "logout") and not live)
    print("demo (%s): %s" % (TITLE, "OK - alice logged in by e-mail (%s), session opened, "
                             "token logged out at close with Authorization: Bearer, no access or "
                             "refresh token left live" % alztest.api_user("alice")
                             if good else "FAILED"))
    sys.exit(0 if good else 1)

ok = show("alice (MANAGEMENT_USER) types her password: expected PAM_SUCCESS", "alice", ["Alice-pass1!"],
          ops=SESSION)
bad = show("alice types a wrong password: expected PAM_AUTH_ERR", "alice", ["wrong-password"])
tfa = show("tess: password, then the code the API asks for: expected PAM_SUCCESS", "tess",
           ["Tess-pass1!", bed.totp("tess")])
bed.close()
good = (ok.codes.get("authenticate") == "PAM_SUCCESS" and bad.codes.get("authenticate") == "PAM_AUTH_ERR"
        and tfa.codes.get("authenticate") == "PAM_SUCCESS" and sent_as(ok, "alice", "logout")
        and sent_as(bad, "alice") and sent_as(tfa, "tess", "2fa"))
print("demo (%s): %s" % (TITLE, "OK - right password accepted (session opened, token logged out at "
                         "close), wrong password refused, password + TOTP accepted"
                         if good else "FAILED"))
sys.exit(0 if good else 1)
