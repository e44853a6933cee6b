#!/usr/bin/python3
"""demo.py - a demo user logs in through a real PAM stack against the mock API (see demo.sh),
once in each API dialect (docs/API.md section 8).

Without ALZ_DIALECT it runs itself twice, each run its own test bed (private mount namespace,
mock API, config): ALZ_DIALECT=alianza (alice: right and wrong password, tess: password + TOTP,
then alice by single sign-on through a service with login_method=sso: the demo plays the person,
signing in at the mock's test identity provider at the address shown and pasting the address the
browser ended on), then ALZ_DIALECT=foodxchange (the same alice through a config with api_dialect = foodxchange and
user_template = %u@example.com, against mock_api.py --dialect foodxchange). Each case prints the
PAM results, the module's syslog lines and what the API was sent: method, path, the user name or
e-mail, the token header's name. Passwords, codes, session ids, PKCE verifiers and tokens are
never printed.
"""
import json
import os
import subprocess
import sys
import urllib.parse

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


# the query parameters of the SSO exchange shown as they are (the code and verifier are secrets)
SHOWN_PARAMS = ("redirect_uri",)


def wire(req):
    """One API call as the demo shows it: method, path, the token header's name (its value
    hidden), the query's parameter names with only the redirect URI shown, the body's member
    names with only the user name / e-mail shown."""
    path, _, query = req["path"].partition("?")
    out = "%s %s" % (req["method"], path)
    if query:
        out += "?" + "&".join(
            "%s=%s" % (k, v if k in SHOWN_PARAMS else "<not shown>")
            for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True))
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

# single sign-on: a service of its own with login_method=sso (per service, as a module argument)
sso_confdir = bed.service(conf, name="demo-sso", args="login_method=sso", stack=(
    "auth    [success=done ignore=ignore default=die] {mod}\n"
    "auth    required pam_deny.so\n"
    "account required {mod}\n"
    "session required {mod}\n"))


def show_sso(title, user):
    """One SSO login through service demo-sso; the demo plays the person with a browser."""
    print("== %s" % title)
    bed.reset(cache=False)
    mark = bed.syslog.mark()
    browser = alztest.SsoBrowser(bed, user)
    r = bed.pam_dialog(user, browser, confdir=sso_confdir, service="demo-sso", ops=SESSION,
                       rhost="192.0.2.10")
    for line in r.out.splitlines():
        print("   " + line)
        if line.startswith("PROMPT-OFF: SSO code:"):
            print("   (the person opens the address, signs in at the identity provider as %s, "
                  "and pastes the address the browser ended on: not shown)" % user)
    log = bed.syslog.since(mark)
    for line in log:
        print("   syslog: " + (line.split(": ", 1)[-1] if ": " in line else line))
    r.api = bed.api_requests()
    shown = [wire(req) for req in r.api]
    for line in shown:
        print("   API was sent: " + line)
    print()
    r.browser = browser
    # what the demo printed holds none of the sign-in's secrets
    secrets = [browser.address, browser.code] + [e.get("code_verifier") for e in bed.sso_exchanges()]
    printed = "\n".join([r.out] + log + shown)
    r.leaked = [x for x in secrets if not x or x in printed]
    return r


sso = show_sso("alice signs in by single sign-on (service demo-sso, login_method=sso): expected "
               "PAM_SUCCESS", "alice")
ex = bed.sso_exchanges()
sso_good = (all(sso.codes.get(op) == "PAM_SUCCESS" for op in SESSION)
            and [(q["method"], q["path"].split("?")[0]) for q in sso.api]
            == [("GET", alztest.api_path("sso_config")), ("POST", alztest.api_path("sso")),
                (alztest.api_method("logout"), alztest.api_path("logout"))]
            and len(ex) == 1 and ex[0]["verdict"] == "ok" and ex[0]["verifierMatched"] is True
            and not bed.sso_url_problems(sso.browser.url or "") and not bed.tokens()
            and not sso.leaked)
bed.close()
good = (ok.codes.get("authenticate") == "PAM_SUCCESS" and bad.codes.get("authenticate") == "PAM_AUTH_ERR"
        and tfa.codes.get("authenticate") == "PAM_SUCCESS" and sent_as(ok, "alice", "logout")
        and sent_as(bad, "alice") and sent_as(tfa, "tess", "2fa") and sso_good)
print("demo (%s): %s" % (TITLE, "OK - right password accepted (session opened, token logged out at "
                         "close), wrong password refused, password + TOTP accepted, single sign-on "
                         "accepted (PKCE verifier matched, token logged out at close)"
                         if good else "FAILED"))
sys.exit(0 if good else 1)
