#!/usr/bin/python3
"""mock_sso_selftest.py - the mock's single sign-on (API.md section 7) is as strict as it says.

Starts tests/mock_api.py (Alianza, and FoodXchange for its 404s) and plays the browser and
the module with http.client over TLS, verified against the test CA: the configuration GET
/v2/authorize/sso and its knobs (enabled, pkce, a hostile override, faults by method), the
test identity provider (each rule of the authorization request, Basic and form sign-in, the
302 to redirect_uri?code=..&state=.., the page that shows the code), and every rule of the
exchange POST /v2/authorize/sso (no body, percent-encoded query, single use, expiry, the
bound redirect_uri, the PKCE verifier), the success as a log-in with a live token that logs
out, and the request log the PAM tests read. Then tests/alztest.py's SSO helpers against the
same mock (a Bed made without its namespace: only its control calls). TAP on stdout; no
root, no network (loopback only).
"""
import base64
import http.client
import json
import os
import secrets
import ssl
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import alztest  # noqa: E402  (its pure helpers and Bed's control calls: no namespace)
import mock_api  # noqa: E402

SSO = mock_api.SSO_PATH


import mockrun  # noqa: E402

RUN = mockrun.Run("mocksso-")
TMP, CERTS, CA, USERS = RUN.tmp, RUN.certs, RUN.ca, RUN.users
ok, start, stop = RUN.ok, RUN.start, RUN.stop
ctl = mockrun.ctl


CTX = ssl.create_default_context(cafile=CA)


class Reply:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "%d %s %s" % (self.status, self.headers.get("location", ""),
                             self.raw[:600].decode("utf-8", "replace"))


def call(port, method, target, raw=None, headers=()):
    """One request on its own connection; RAW: the body bytes (None: no body at all)."""
    c = http.client.HTTPSConnection("127.0.0.1", port, context=CTX, timeout=30)
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        if raw is not None:
            c.putheader("Content-Length", str(len(raw)))
        c.endheaders(raw)
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def alz_error(r, status, code):
    j = r.json
    return (r.status == status and isinstance(j, dict) and j.get("errorCode") == code
            and isinstance(j.get("message"), str) and isinstance(j.get("timestamp"), str)
            and j.get("path") == SSO)


try:
    ALZ = start("alianza")
    FX = start("foodxchange")
except Exception:
    stop()
    raise

IDP = "https://127.0.0.1:%d" % ALZ["idp"]
ENDPOINT = IDP + "/idp/authorize"
REDIRECT = IDP + "/sso/callback"
CLIENT = "pam-alianza-test"
SCOPE = "openid profile email"
PW = {"alice": "Alice-pass1!", "bob": "Bob-pass1!", "tess": "Tess-pass1!", "lock": "Lock-pass1!"}


def config(ports=ALZ):
    return call(ports["main"], "GET", SSO)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)          # 64 unreserved characters
    return verifier, mock_api.s256(verifier)


def auth_url(challenge=None, drop=(), endpoint=ENDPOINT, **over):
    """An authorization URL as the module builds it (OVER replaces parameters, DROP
    leaves some out)."""
    p = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "scope": SCOPE,
         "state": "st-" + secrets.token_urlsafe(16)}
    if challenge is not None:
        p.update(code_challenge=challenge, code_challenge_method="S256")
    p.update(over)
    for k in drop:
        p.pop(k, None)
    return endpoint + "?" + urllib.parse.urlencode(p, quote_via=urllib.parse.quote)


def basic(user, password):
    return [("Authorization", "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())]


def browse(url, user="alice", password=None, form=False):
    """The browser at the test provider: one request, no redirect followed."""
    u = urllib.parse.urlsplit(url)
    target = u.path + "?" + u.query
    if user is None:
        return call(u.port, "GET", target)
    password = PW.get(user, "x") if password is None else password
    if form:
        body = urllib.parse.urlencode({"username": user, "password": password}).encode()
        return call(u.port, "POST", target, body, [("Content-Type", "application/x-www-form-urlencoded")])
    return call(u.port, "GET", target, headers=basic(user, password))


def code_of(r):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers.get("location", "")).query).get("code", [None])[0]


def signed_code(user="alice", pkce=True):
    """A fresh code (and its verifier) the way the flow gets it."""
    verifier, challenge = pkce_pair() if pkce else (None, None)
    r = browse(auth_url(challenge), user)
    return code_of(r), verifier


def q(v):
    return urllib.parse.quote(v, safe="")


def exchange(code=None, redirect_uri=REDIRECT, verifier=None, raw_query=None, body=None, ports=ALZ,
             method="POST"):
    if raw_query is None:
        parts = []
        for k, v in (("code", code), ("redirect_uri", redirect_uri), ("code_verifier", verifier)):
            if v is not None:
                parts.append("%s=%s" % (k, q(v)))
        raw_query = "&".join(parts)
    return call(ports["main"], method, SSO + ("?" + raw_query if raw_query else ""), body)


def exchanges(ports=ALZ):
    return [x for x in ctl(ports, "GET", "/requests")[1]
            if x["method"] == "POST" and x["path"].split("?")[0] == SSO]


def last_sso():
    return exchanges()[-1]["sso"]


try:
    # ---------------------------------------------------------------- the configuration
    r = config()
    ok(r.status == 200 and r.json == {"enabled": True, "authorizationEndpoint": ENDPOINT, "clientId": CLIENT,
                                      "redirectUri": REDIRECT, "scope": SCOPE, "pkce": True},
       "GET /v2/authorize/sso: the configuration, the mock's own https provider and page, PKCE on", r)
    r = call(ALZ["main"], "GET", SSO, b'{"x": 1}')
    ok(r.status == 400 and r.json.get("errorCode") == "INVALID_REQUEST", "GET with a body -> 400", r)
    r = call(ALZ["main"], "PUT", SSO)
    ok(r.status == 404 and r.json.get("errorCode") == "NOT_FOUND", "another method -> 404 (Alianza)", r)
    st, s = ctl(ALZ, "POST", "/sso", {"enabled": False, "pkce": False})
    r = config()
    ok(st == 200 and s["enabled"] is False and s["pkce"] is False and r.json["enabled"] is False
       and r.json["pkce"] is False and r.json["authorizationEndpoint"] == ENDPOINT,
       "knobs: enabled false, pkce false (the rest as it was)", [s, r])
    hostile = [
        {"enabled": True, "authorizationEndpoint": "http://127.0.0.1/idp", "clientId": CLIENT,
         "redirectUri": REDIRECT, "scope": SCOPE, "pkce": True},
        {"enabled": True, "authorizationEndpoint": "https://idp.example/" + "a" * 10240, "clientId": CLIENT,
         "redirectUri": REDIRECT, "scope": SCOPE, "pkce": True},
        {"enabled": True, "authorizationEndpoint": "https://idp.example/a\r\nX-Evil: 1", "clientId": "c\r\n",
         "redirectUri": REDIRECT, "scope": SCOPE, "pkce": True},
        {"enabled": True, "clientId": CLIENT},
        {"enabled": "yes", "authorizationEndpoint": 7, "clientId": None, "redirectUri": [], "scope": {},
         "pkce": "true"},
        [], "enabled", None,
    ]
    bad = []
    for body in hostile[:-1]:
        ctl(ALZ, "POST", "/sso", {"body": body})
        r = config()
        if r.status != 200 or r.json != body:
            bad.append((body, r))
    ok(not bad, "knob body: GET answers any JSON as it is (not https, 10 KB, CR/LF, missing fields, "
       "wrong types, not an object)", bad)
    st, s = ctl(ALZ, "POST", "/sso", {"body": None, "enabled": True, "pkce": True})
    ok(config().json == s["config"] and s["body"] is None and s["config"]["enabled"] is True,
       "knob body null: the configuration again", s)
    bad = [(k, v, st) for k, v in (("nosuch", 1), ("enabled", "yes"), ("pkce", 1), ("codeLifetime", 0),
                                   ("codeLifetime", True), ("clientId", 5))
           for st in [ctl(ALZ, "POST", "/sso", {k: v})[0]] if st != 400]
    ok(not bad, "control: an unknown knob, a wrong type, codeLifetime <= 0 -> 400", bad)

    # faults: by path and method
    ctl(ALZ, "POST", "/mode", {"mode": "status", "status": 404, "code": "NOT_FOUND", "path": SSO,
                               "method": "GET", "count": 1})
    r1 = config()
    c, v = signed_code()
    r2 = exchange(c, verifier=v)
    ok(r1.status == 404 and r2.status == 200, "a fault with method GET: the configuration 404, the exchange not",
       [r1, r2])
    ctl(ALZ, "POST", "/mode", {"mode": "status", "status": 503, "path": SSO, "method": "GET"})
    r1, r2 = config(), config()
    ctl(ALZ, "POST", "/mode", {"mode": "normal"})
    ok(r1.status == 503 and r2.status == 503 and r1.json["errorCode"] == "SERVICE_UNAVAILABLE"
       and config().status == 200, "a 5xx fault on the configuration until normal", [r1, r2])
    ctl(ALZ, "POST", "/mode", {"mode": "status", "status": 500, "path": SSO, "method": "POST", "count": 1})
    c, v = signed_code()
    r1 = exchange(c, verifier=v)
    ok(r1.status == 500 and config().status == 200 and last_sso()["verdict"] is None
       and last_sso()["code"] == c,
       "a fault on the exchange: the log has what was sent and no verdict", [r1, last_sso()])
    st, _ = ctl(ALZ, "POST", "/mode", {"mode": "status", "method": 5})
    ok(st == 400, "control: a fault's method must be a string")

    # FoodXchange
    bad = [(m, r) for m in ("GET", "POST") for r in [call(FX["main"], m, SSO + ("?code=x&redirect_uri=y" if m == "POST"
                                                                                 else ""))]
           if not (r.status == 404 and r.json.get("success") is False
                   and r.json["error"]["code"] == "NOT_FOUND")]
    ok(not bad, "foodxchange: GET and POST /v2/authorize/sso are 404 (its envelope)", bad)

    # ---------------------------------------------------------------- the identity provider
    ctl(ALZ, "POST", "/reset")
    verifier, challenge = pkce_pair()
    state = "s t&a=te/é+%"
    url = auth_url(challenge, state=state)
    r = browse(url, "alice")
    loc = r.headers.get("location", "")
    lq = urllib.parse.urlsplit(loc).query
    lp = urllib.parse.parse_qs(lq)
    ok(r.status == 302 and loc.startswith(REDIRECT + "?code=") and list(lp) == ["code", "state"]
       and lp["state"] == [state] and "+" not in lq and len(lp["code"][0]) >= 32
       and r.headers.get("cache-control") == "no-store",
       "Basic sign-in: 302 to redirectUri?code=..&state=.. (state as sent, percent-encoded)", r)
    code = lp["code"][0]
    rec = [x for x in ctl(ALZ, "GET", "/sso/codes")[1] if x["code"] == code]
    ok(len(rec) == 1 and rec[0]["user"] == "alice" and rec[0]["clientId"] == CLIENT
       and rec[0]["redirectUri"] == REDIRECT and rec[0]["challenge"] == challenge
       and rec[0]["challengeMethod"] == "S256" and rec[0]["state"] == state and rec[0]["live"] is True
       and rec[0]["used"] is False and abs(rec[0]["expires"] - rec[0]["issued"] - 120) < 1e-3
       and 0 < rec[0]["expiresIn"] <= 120,
       "control: the code is bound to client, redirect_uri, challenge and user, lives 120 s", rec)
    page = call(ALZ["idp"], "GET", "/sso/callback?" + lq)
    ok(page.status == 200 and page.headers["content-type"].startswith("text/html")
       and ('<pre id="code">%s</pre>' % code).encode() in page.raw,
       "the redirectUri's page shows the code", page)
    ok(call(ALZ["idp"], "GET", "/sso/callback").status == 400 and call(ALZ["idp"], "GET", "/nowhere").status == 404,
       "the page without a code -> 400; another path -> 404")
    r = browse(auth_url(challenge), "bob", form=True)
    ok(r.status == 302 and code_of(r), "a form POST of username and password signs in too", r)
    who = [x["user"] for x in ctl(ALZ, "GET", "/sso/codes")[1]]
    ok(who == ["alice", "bob"], "the code is the signed-in user's", who)

    rules = [
        ("no response_type", auth_url(challenge, drop=["response_type"])),
        ("response_type token", auth_url(challenge, response_type="token")),
        ("an unknown client_id", auth_url(challenge, client_id="someone-else")),
        ("no client_id", auth_url(challenge, drop=["client_id"])),
        ("redirect_uri another page", auth_url(challenge, redirect_uri=IDP + "/sso/other")),
        ("redirect_uri with a trailing slash", auth_url(challenge, redirect_uri=REDIRECT + "/")),
        ("redirect_uri over http", auth_url(challenge, redirect_uri=REDIRECT.replace("https", "http"))),
        ("no redirect_uri", auth_url(challenge, drop=["redirect_uri"])),
        ("another scope", auth_url(challenge, scope="openid")),
        ("no state", auth_url(challenge, drop=["state"])),
        ("an empty state", auth_url(challenge, state="")),
        ("pkce on, no challenge", auth_url(None)),
        ("method plain", auth_url(challenge, code_challenge_method="plain")),
        ("method missing", auth_url(challenge, drop=["code_challenge_method"])),
        ("method s256 in lower case", auth_url(challenge, code_challenge_method="s256")),
        ("a challenge of 42 characters", auth_url(challenge[:-1])),
        ("a challenge with padding", auth_url(challenge + "=")),
        ("a method without a challenge", auth_url(None, code_challenge_method="S256")),
        ("client_id twice", auth_url(challenge) + "&client_id=" + CLIENT),
    ]
    before = len(ctl(ALZ, "GET", "/sso/codes")[1])
    bad = [(what, r) for what, u in rules for r in [browse(u, "alice")]
           if not (r.status == 400 and r.json.get("error") == "invalid_request"
                   and isinstance(r.json.get("error_description"), str))]
    ok(not bad and len(ctl(ALZ, "GET", "/sso/codes")[1]) == before,
       "the provider refuses with 400 (no code): " + "; ".join(w for w, _ in rules), bad)
    r = browse(auth_url(challenge), None)
    ok(r.status == 401 and r.headers.get("www-authenticate") == 'Basic realm="mock-idp"'
       and b"<form" in r.raw and r.headers["content-type"].startswith("text/html"),
       "no credentials: 401, WWW-Authenticate Basic and a login form", r)
    bad = [(what, r) for what, r in (
        ("a wrong password", browse(auth_url(challenge), "alice", "wrong")),
        ("an unknown user", browse(auth_url(challenge), "nobody", "x")),
        ("a wrong form password", browse(auth_url(challenge), "alice", "wrong", form=True)),
        ("a Bearer header", call(ALZ["idp"], "GET", urllib.parse.urlsplit(auth_url(challenge)).path + "?"
                                 + urllib.parse.urlsplit(auth_url(challenge)).query,
                                 headers=[("Authorization", "Bearer x")]))) if r.status != 401]
    ok(not bad and len(ctl(ALZ, "GET", "/sso/codes")[1]) == before,
       "a wrong password, an unknown user, a wrong form, another scheme -> 401, no code", bad)
    ctl(ALZ, "POST", "/sso", {"pkce": False})
    r1 = browse(auth_url(None), "alice")
    r2 = browse(auth_url(challenge, code_challenge_method="plain"), "alice")
    r3 = browse(auth_url(challenge), "alice")
    ok(r1.status == 302 and r2.status == 400 and r3.status == 302
       and ctl(ALZ, "GET", "/sso/codes")[1][-1]["challenge"] == challenge,
       "pkce off: no challenge is fine; a plain one still 400; an S256 one is bound", [r1, r2, r3])
    ctl(ALZ, "POST", "/sso", {"pkce": True})
    idp_log = ctl(ALZ, "GET", "/idp/requests")[1]
    api_paths = {x["path"].split("?")[0] for x in ctl(ALZ, "GET", "/requests")[1]}
    ok(len(idp_log) >= len(rules) + 8 and idp_log[0]["user"] == "alice" and idp_log[0]["status"] == 302
       and idp_log[0]["query"]["state"] == state and "/idp/authorize" not in api_paths
       and "/sso/callback" not in api_paths and ctl(ALZ, "GET", "/stats")[1]["connections"]["idp"] >= len(idp_log),
       "the provider's calls are in /idp/requests, not in the API's request log", idp_log[:2])

    # ---------------------------------------------------------------- the exchange
    ctl(ALZ, "POST", "/reset")
    password_login = call(ALZ["main"], "POST", "/v2/authorize",
                          json.dumps({"userName": "alice", "password": PW["alice"]}).encode(),
                          [("Content-Type", "application/json")]).json
    code, verifier = signed_code()
    r = exchange(code, verifier=verifier)
    j = r.json or {}
    ok(r.status == 200 and set(j) == set(password_login)
       and {k: v for k, v in j.items() if k != "authToken"}
       == {k: v for k, v in password_login.items() if k != "authToken"}
       and len(j["authToken"]) >= 40 and j["authToken"] != password_login["authToken"],
       "the exchange: 200, the same body as alice's password log-in (a new token)", [r, password_login])
    tok = j.get("authToken")
    live = {x["token"]: x for x in ctl(ALZ, "GET", "/tokens")[1]}
    ok(tok in live and live[tok]["userName"] == "alice" and live[tok]["via"] == "sso"
       and live[password_login["authToken"]]["via"] == "password",
       "control: the token is live, via sso (a password log-in's via password)", live)
    e = last_sso()
    ok(e["verdict"] == "ok" and e["status"] == 200 and e["code"] == code and e["code_verifier"] == verifier
       and e["redirect_uri"] == REDIRECT and e["challenge"] == mock_api.s256(verifier)
       and e["challengeMethod"] == "S256" and e["verifierMatched"] is True and e["user"] == "alice"
       and e["authToken"] == tok and e["params"] == {"code": code, "redirect_uri": REDIRECT,
                                                     "code_verifier": verifier},
       "request log: code, redirect_uri, verifier as sent, the code's challenge, verifierMatched, the token", e)
    r1 = call(ALZ["main"], "GET", "/v2/authorize/userinfo", headers=[("X-AUTH-TOKEN", tok)])
    r2 = call(ALZ["main"], "PUT", "/v2/authorize/logout", headers=[("X-AUTH-TOKEN", tok)])
    ok(r1.status == 200 and r1.json["userName"] == "alice" and r2.status == 200
       and tok not in {x["token"] for x in ctl(ALZ, "GET", "/tokens")[1]},
       "the token works for userinfo and logs out like any other", [r1, r2])
    r = exchange(code, verifier=verifier)
    ok(alz_error(r, 401, "INVALID_SSO_CODE") and last_sso()["verdict"] == "used",
       "replay: the same code again -> 401 INVALID_SSO_CODE (used)", [r, last_sso()])

    # expiry
    code, verifier = signed_code()
    st, out = ctl(ALZ, "POST", "/sso/expire", {})
    r = exchange(code, verifier=verifier)
    ok(st == 200 and out == {"ok": True, "expired": 1, "touched": 2} and alz_error(r, 401, "INVALID_SSO_CODE")
       and last_sso()["verdict"] == "expired",
       "control: /sso/expire -> an expired code is 401 INVALID_SSO_CODE", [out, r, last_sso()])
    c1, v1 = signed_code()
    c2, v2 = signed_code()
    st, out = ctl(ALZ, "POST", "/sso/expire", {"code": c1, "age": 60})
    r1 = exchange(c1, verifier=v1)
    ctl(ALZ, "POST", "/sso/expire", {"code": c2, "age": 60})
    st, out2 = ctl(ALZ, "POST", "/sso/expire", {"code": c2, "age": 61})
    r2 = exchange(c2, verifier=v2)
    ok(out["expired"] == 0 and out["touched"] == 1 and r1.status == 200 and out2["expired"] == 1
       and alz_error(r2, 401, "INVALID_SSO_CODE") and last_sso()["verdict"] == "expired",
       "control: age 60 s -> still good; 60 + 61 s -> expired (the 120 s lifetime)", [out, r1, out2, r2])
    ctl(ALZ, "POST", "/sso", {"codeLifetime": 5})
    c, v = signed_code()
    life = [x["expires"] - x["issued"] for x in ctl(ALZ, "GET", "/sso/codes")[1] if x["code"] == c]
    ctl(ALZ, "POST", "/sso/expire", {"code": c, "age": 6})
    r = exchange(c, verifier=v)
    ok(len(life) == 1 and abs(life[0] - 5) < 1e-3 and alz_error(r, 401, "INVALID_SSO_CODE"),
       "control: codeLifetime 5 -> the code lives 5 s (6 s old: expired)", [life, r])
    ctl(ALZ, "POST", "/sso", {"codeLifetime": 120})
    bad = [b for b in ({"age": -1}, {"code": 5}, {"x": 1}, {"age": True})
           if ctl(ALZ, "POST", "/sso/expire", b)[0] != 400]
    ok(not bad, "control: /sso/expire with a bad age, code or key -> 400", bad)

    # redirect_uri and the verifier; each failure burns the code
    cases = [
        ("redirect_uri another page", dict(redirect_uri=IDP + "/sso/other"), "redirect_uri", True),
        ("redirect_uri with a trailing slash", dict(redirect_uri=REDIRECT + "/"), "redirect_uri", True),
        ("no redirect_uri", dict(redirect_uri=None), "redirect_uri", True),
        ("a wrong verifier", dict(verifier=pkce_pair()[0]), "verifier-mismatch", False),
        ("no verifier", dict(verifier=None), "no-verifier", None),
        ("a verifier of 42 characters", dict(verifier="a" * 42), "verifier-format", False),
        ("a verifier of 129 characters", dict(verifier="a" * 129), "verifier-format", False),
        ("a verifier with a space", dict(verifier="a" * 43 + " "), "verifier-format", False),
        ("the challenge as verifier", "challenge", "verifier-mismatch", False),
    ]
    bad = []
    for what, over, verdict, _ in cases:
        c, v = signed_code()
        if over == "challenge":
            over = dict(verifier=mock_api.s256(v))
        kw = dict(verifier=v)
        kw.update(over)
        r = exchange(c, **kw)
        e = last_sso()
        again = exchange(c, verifier=v)
        if not (alz_error(r, 401, "INVALID_SSO_CODE") and e["verdict"] == verdict and e["user"] == "alice"
                and alz_error(again, 401, "INVALID_SSO_CODE") and last_sso()["verdict"] == "used"):
            bad.append((what, r, e, again))
    ok(not bad, "401 INVALID_SSO_CODE, and the code used up: " + "; ".join(c[0] for c in cases), bad)
    c, v = signed_code()
    exchange(c, verifier=pkce_pair()[0])
    e1 = last_sso()
    c, v = signed_code()
    exchange(c, verifier=None)
    e2 = last_sso()
    ok(e1["verifierMatched"] is False and e1["challenge"] is not None and e2["verifierMatched"] is None
       and e2["code_verifier"] is None,
       "request log: verifierMatched false for a wrong verifier, null without one", [e1, e2])

    # PKCE off
    ctl(ALZ, "POST", "/sso", {"pkce": False})
    r = browse(auth_url(None), "bob")
    c = code_of(r)
    r = exchange(c)
    e = last_sso()
    ok(r.status == 200 and r.json["userName"] == "bob" and e["verdict"] == "ok" and e["challenge"] is None
       and e["code_verifier"] is None and e["verifierMatched"] is None,
       "PKCE off: no challenge, the exchange without a verifier -> 200 (bob)", [r, e])
    c = code_of(browse(auth_url(None), "bob"))
    r = exchange(c, verifier=pkce_pair()[0])
    ok(alz_error(r, 401, "INVALID_SSO_CODE") and last_sso()["verdict"] == "unexpected-verifier",
       "PKCE off: a verifier for a code without a challenge -> 401", r)
    v, ch = pkce_pair()
    c = code_of(browse(auth_url(ch), "bob"))
    r1 = exchange(c)
    c = code_of(browse(auth_url(ch), "bob"))
    r2 = exchange(c, verifier=v)
    ok(alz_error(r1, 401, "INVALID_SSO_CODE") and r2.status == 200,
       "PKCE off, a challenge sent anyway: it is bound (no verifier 401, the verifier 200)", [r1, r2])
    ctl(ALZ, "POST", "/sso", {"pkce": True})

    # the request itself
    c, v = signed_code()
    r = exchange(c, verifier=v, body=b'{"code": "x"}')
    e = last_sso()
    r2 = exchange(c, verifier=v)
    ok(alz_error(r, 401, "INVALID_SSO_CODE") and e["verdict"] == "body" and r2.status == 200,
       "a body -> 401 (the code not touched: then 200)", [r, e, r2])
    c, v = signed_code()
    r = exchange(c, verifier=v, body=b"")
    ok(r.status == 200, "Content-Length: 0 is no body -> 200", r)
    c, v = signed_code()
    C, R = urllib.parse.quote(c, safe=""), urllib.parse.quote(REDIRECT, safe="")
    queries = [
        ("an unencoded & in redirect_uri", "code=%s&redirect_uri=%s?a=1&b&code_verifier=%s" % (C, REDIRECT, v)),
        ("a + for a space", "code=%s&redirect_uri=%s+x&code_verifier=%s" % (C, R, v)),
        ("an unencoded =", "code=%s&redirect_uri=%s&code_verifier=%s=" % (C, R, v)),
        ("a parameter twice", "code=%s&code=%s&redirect_uri=%s&code_verifier=%s" % (C, C, R, v)),
        ("an unknown parameter", "code=%s&redirect_uri=%s&code_verifier=%s&state=x" % (C, R, v)),
        ("client_id", "code=%s&redirect_uri=%s&code_verifier=%s&client_id=%s" % (C, R, v, CLIENT)),
        ("a part without =", "code=%s&redirect_uri=%s&code_verifier=%s&x" % (C, R, v)),
        ("an empty part", "code=%s&&redirect_uri=%s&code_verifier=%s" % (C, R, v)),
        ("not UTF-8", "code=%s%%FF&redirect_uri=%s&code_verifier=%s" % (C, R, v)),
        ("a bad escape", "code=%s%%G1&redirect_uri=%s&code_verifier=%s" % (C, R, v)),
    ]
    bad = [(what, r, last_sso()) for what, qs in queries for r in [exchange(raw_query=qs)]
           if not (alz_error(r, 401, "INVALID_SSO_CODE") and last_sso()["verdict"] == "query")]
    r = exchange(c, verifier=v)
    ok(not bad and r.status == 200,
       "the query: " + "; ".join(w for w, _ in queries) + " -> 401 (the code not touched)", bad)
    bad = [(what, r) for what, r in (
        ("no query", exchange(raw_query="")),
        ("no code", exchange(raw_query="redirect_uri=" + q(REDIRECT))),
        ("an empty code", exchange(raw_query="code=&redirect_uri=" + q(REDIRECT))),
        ("an unknown code", exchange("no-such-code-0123456789abcdef", verifier=pkce_pair()[0])))
        if not alz_error(r, 401, "INVALID_SSO_CODE")]
    ok(not bad, "no query, no code, an empty code, an unknown code -> 401 INVALID_SSO_CODE", bad)
    c, v = signed_code()
    r = exchange(raw_query="code=%s&redirect_uri=%s&code_verifier=%s" % (c, REDIRECT, v))
    ok(r.status == 200, "':' and '/' unencoded in redirect_uri are legal in a query -> 200", r)

    # a chosen code with characters that must be encoded
    hard = "a+b/c=d&e%f g~h"
    st, _ = ctl(ALZ, "POST", "/sso/next-codes", {"codes": [hard]})
    v, ch = pkce_pair()
    r = browse(auth_url(ch), "alice")
    got = code_of(r)
    loc_q = urllib.parse.urlsplit(r.headers.get("location", "")).query
    r1 = exchange(raw_query="code=%s&redirect_uri=%s&code_verifier=%s" % (hard.replace(" ", "%20"), q(REDIRECT), v))
    r2 = exchange(hard, verifier=v)
    ok(st == 200 and got == hard and loc_q.startswith("code=a%2Bb%2Fc%3Dd%26e%25f%20g~h&")
       and alz_error(r1, 401, "INVALID_SSO_CODE") and r2.status == 200 and last_sso()["code"] == hard,
       "control: next-codes; a code with + / = & %% space: percent-encoded in Location, the exchange "
       "refuses it raw and takes it encoded", [r, r1, r2])
    ok(ctl(ALZ, "POST", "/sso/next-codes", {"codes": [""]})[0] == 400
       and ctl(ALZ, "POST", "/sso/next-codes", {})[0] == 400, "control: next-codes needs non-empty strings")

    # users
    code = code_of(browse(auth_url(pkce_pair()[1]), "lock"))
    ok(code is not None, "a locked Alianza account signs in at the provider (it does not know the lock)")
    v, ch = pkce_pair()
    code = code_of(browse(auth_url(ch), "lock"))
    r = exchange(code, verifier=v)
    ok(r.status == 403 and r.json["errorCode"] == "ACCOUNT_LOCKED" and last_sso()["verdict"] == "locked",
       "the exchange for a locked account -> 403 ACCOUNT_LOCKED", r)
    v, ch = pkce_pair()
    code = code_of(browse(auth_url(ch), "tess"))
    r = exchange(code, verifier=v)
    ok(r.status == 200 and r.json["userName"] == "tess" and "sessionId" not in r.json,
       "a TOTP user: the provider did the sign-in, no 2FA_REQUIRED from the exchange", r)
    v, ch = pkce_pair()
    ctl(ALZ, "POST", "/users/sam", {"password": "Sam-pass1!", "userType": "END_USER"})
    code = code_of(browse(auth_url(ch), "sam", "Sam-pass1!"))
    r = exchange(code, verifier=v)
    ok(r.status == 200 and r.json["userName"] == "sam" and r.json["userType"] == "END_USER",
       "a user added through the control API signs in and gets its facts", r)
    ctl(ALZ, "POST", "/sso", {"clientId": "other-client", "redirectUri": "https://portal.example/cb"})
    st, s = ctl(ALZ, "GET", "/sso")
    v, ch = pkce_pair()
    r1 = browse(auth_url(ch, client_id="other-client"), "alice")
    r2 = browse(auth_url(ch, client_id="other-client", redirect_uri="https://portal.example/cb"), "alice")
    loc = r2.headers.get("location", "")
    r3 = exchange(code_of(r2), redirect_uri="https://portal.example/cb", verifier=v)
    ok(s["config"]["clientId"] == "other-client" and s["config"]["redirectUri"] == "https://portal.example/cb"
       and r1.status == 400 and loc.startswith("https://portal.example/cb?code=") and r3.status == 200,
       "knobs clientId, redirectUri: the provider and the exchange follow them", [s, r1, r2, r3])
    ctl(ALZ, "POST", "/reset")
    ok(ctl(ALZ, "GET", "/sso")[1]["config"]["clientId"] == CLIENT and ctl(ALZ, "GET", "/sso/codes")[1] == []
       and ctl(ALZ, "GET", "/idp/requests")[1] == [], "reset: the knobs, codes and the provider's log as new")

    # ---------------------------------------------------------------- alztest's helpers
    ok(mock_api.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
       and alztest.s256 is not None and alztest.s256("x" * 43) == mock_api.s256("x" * 43),
       "s256: the RFC 7636 appendix B vector")
    bed = alztest.Bed.__new__(alztest.Bed)      # only its control calls: no namespace, no root
    bed.ports, bed.ca = ALZ, CA
    s = bed.sso_settings()
    ok(s["config"] == config().json and s["pkce"] is True and s["codeLifetime"] == 120,
       "bed.sso_settings(): the knobs and the configuration", s)
    v, ch = pkce_pair()
    url = auth_url(ch)
    text = "Sign in with your company account:\n  %s\nthen paste the code or the address: " % url
    ok(alztest.sso_url_in(text) == url and alztest.sso_url_in("no address") is None,
       "sso_url_in: the address in a prompt", alztest.sso_url_in(text))
    ok(bed.sso_url_problems(url) == [], "bed.sso_url_problems: none for a right URL", bed.sso_url_problems(url))
    probs = {what: bed.sso_url_problems(u) for what, u in (
        ("no challenge", auth_url(None)), ("another endpoint", auth_url(ch, endpoint="https://x.example/a")),
        ("short state", auth_url(ch, state="abc")), ("another client", auth_url(ch, client_id="x")),
        ("more", auth_url(ch, nonce="n")), ("twice", url + "&scope=x"))}
    ok(all(probs.values()), "bed.sso_url_problems: a missing challenge, another endpoint, a short state, another "
       "client, more parameters, a parameter twice", probs)
    address = bed.sso_sign_in(url, "alice")
    ok(address.startswith(REDIRECT + "?code=") and alztest.sso_state(address) == alztest.sso_url_params(url)["state"]
       and bed.sso_page_code(address) == alztest.sso_code(address),
       "bed.sso_sign_in: the address the browser ends on; sso_code, sso_state, sso_page_code", address)
    address2 = alztest.sso_sign_in(auth_url(ch), "bob", "Bob-pass1!", ca=CA, form=True)
    try:
        alztest.sso_sign_in(auth_url(ch), "alice", "wrong", ca=CA)
        refused = None
    except alztest.SsoRefused as e:
        refused = e.status
    try:
        bed.sso_sign_in(auth_url(None), "alice")
        refused2 = None
    except alztest.SsoRefused as e:
        refused2 = e.status
    st, hdrs, body = bed.sso_authorize(url)
    ok(alztest.sso_code(address2) and refused == 401 and refused2 == 400 and st == 401 and b"<form" in body,
       "sso_sign_in by form; SsoRefused 401 / 400; sso_authorize without a user: the login page",
       [address2, refused, refused2, st])
    r = exchange(alztest.sso_code(address), verifier=v)
    x = bed.sso_exchanges()
    ok(r.status == 200 and len(x) == 1 and x[0]["verdict"] == "ok" and x[0]["verifierMatched"] is True
       and x[0]["code_verifier"] == v and x[0]["body"] == b"" and x[0]["seq"] >= 1
       and [c["code"] for c in bed.sso_codes()] == [alztest.sso_code(address), alztest.sso_code(address2)]
       and len(bed.sso_config_calls()) == 1 and bed.idp_requests()[0]["user"] == "alice",
       "bed.sso_exchanges, sso_codes, sso_config_calls, idp_requests", [x, bed.sso_codes()])
    s = bed.sso_config(enabled=False, pkce=False, code_lifetime=30)
    s2 = bed.sso_config(body={"enabled": True})
    s3 = bed.sso_config(body=None, endpoint="https://idp.example/x")
    s4 = bed.sso_config(endpoint=None, enabled=True)
    ok(s["enabled"] is False and s["pkce"] is False and s["codeLifetime"] == 30 and s2["body"] == {"enabled": True}
       and s2["enabled"] is False and s3["body"] is None
       and s3["config"]["authorizationEndpoint"] == "https://idp.example/x"
       and s4["config"]["authorizationEndpoint"] == ENDPOINT and s4["pkce"] is False,
       "bed.sso_config: each knob alone, the others kept; body and endpoint back with None", [s, s2, s3, s4])
    bed.sso_config(pkce=True)
    v, ch = pkce_pair()
    bed.sso_next_codes(["chosen-code-0123456789"])
    a = bed.sso_sign_in(auth_url(ch), "alice")
    n = bed.sso_expire_codes(code="chosen-code-0123456789")
    r = exchange("chosen-code-0123456789", verifier=v)
    n2 = bed.sso_expire_codes(age=1)
    n3 = bed.sso_expire_codes()       # bob's code of the form sign-in, unused
    n4 = bed.sso_expire_codes()
    ok(alztest.sso_code(a) == "chosen-code-0123456789" and n == 1 and r.status == 401
       and last_sso()["verdict"] == "expired" and (n2, n3, n4) == (0, 1, 0),
       "bed.sso_next_codes, bed.sso_expire_codes(code), (age), ()", [a, n, r, n2, n3, n4])
    live = [t for t in bed.tokens() if t["via"] == "sso"]
    ok(len(live) == 1 and live[0]["userName"] == "alice", "bed.tokens(): via sso", bed.tokens())
    ok(alztest.api_path("sso") == SSO and alztest.api_method("sso") == "POST"
       and alztest.api_path("sso_config") == SSO and alztest.api_method("sso_config") == "GET"
       and alztest.sso_supported(), "alztest: api_path/api_method of sso and sso_config; sso_supported")

    # bed.pam_dialog with a fake driver (the real one needs root and PAM): prompts as
    # alz-pamdrive prints them, one over several lines and several writes
    fake = os.path.join(TMP, "fake-drive")
    with open(fake, "w") as f:
        f.write("""#!/usr/bin/python3
import sys, time
url = sys.argv[3]      # after -d CONFDIR, as alz-pamdrive takes them
sys.stdout.write("INFO: Single sign-on for host test\\n")
sys.stdout.write("PROMPT-OFF: Open this address in a browser:\\n  " + url + "\\n")
sys.stdout.flush()
time.sleep(0.3)
sys.stdout.write("x" * 5000 + "\\nPaste the code or the address: \\n")
sys.stdout.flush()
first = sys.stdin.readline().rstrip("\\n")
sys.stdout.write("GOT: " + first + "\\nPROMPT-ON: again\\n")
sys.stdout.flush()
second = sys.stdin.readline().rstrip("\\n")
sys.stdout.write("GOT: " + second + "\\nPROMPT-OFF: third\\n")
sys.stdout.flush()
third = sys.stdin.readline()
sys.stdout.write("EOF: %s\\nauthenticate: PAM_SUCCESS\\n" % (third == ""))
""")
    os.chmod(fake, 0o755)
    alztest.WRAP[:] = []
    bed.runs, bed.tool_errors = 0, []
    v, ch = pkce_pair()
    url = auth_url(ch)
    browser = alztest.SsoBrowser(bed, "alice", answers=["second answer"])
    t0 = time.monotonic()
    r = bed.pam_dialog("alice", browser, confdir=TMP, driver=fake, driver_args=[url], timeout=60)
    got = r.lines("GOT: ")
    ok(r.code == "PAM_SUCCESS" and browser.url == url and r.elapsed < 30 * alztest.TIME_SCALE
       and got == [browser.address, "second answer"]
       and alztest.sso_code(browser.address) == browser.code and r.lines("EOF: ") == ["True"]
       and [p[0] for p in r.prompts] == ["OFF", "ON", "OFF"] and "x" * 5000 in r.prompts[0][1]
       and r.prompts[0][1].startswith("INFO: Single sign-on") and r.prompts[2][2] is None
       and bed.runs == 1,
       "bed.pam_dialog + SsoBrowser: the whole prompt (INFO, several lines, several writes), the "
       "address pasted, the next answer, then the input ends",
       [r.out[-600:], [(p[0], p[1][:300], p[2]) for p in r.prompts], browser.url, browser.refused])
    browser = alztest.SsoBrowser(bed, "alice", paste="code")
    r = bed.pam_dialog("alice", browser, confdir=TMP, driver=fake, driver_args=[auth_url(ch)], timeout=60)
    ok(r.lines("GOT: ")[:1] == [browser.code] and browser.refused is None, "SsoBrowser paste=code: the bare code", r)
    browser = alztest.SsoBrowser(bed, "alice", paste=lambda a: a.replace("state=", "state=x"))
    r = bed.pam_dialog("alice", browser, confdir=TMP, driver=fake, driver_args=[auth_url(ch)], timeout=60)
    ok(r.lines("GOT: ")[:1] == [browser.address.replace("state=", "state=x")], "SsoBrowser paste=callable",
       r.out[-600:])
    browser = alztest.SsoBrowser(bed, "alice")
    r = bed.pam_dialog("alice", browser, confdir=TMP, driver=fake, driver_args=[auth_url(None)], timeout=60)
    ok(browser.refused is not None and browser.refused.status == 400 and set(r.lines("GOT: ")) == {""}
       and r.prompts[0][2] is None and len(r.prompts) == 1,
       "SsoBrowser: a URL the provider refuses -> .refused, the input ends", r.out[-600:])
    # a PREFIX that forks (sh runs the driver as its child): never seen in read(0), so
    # quiet says the prompt is whole
    browser = alztest.SsoBrowser(bed, "alice", answers=["two"])
    r = bed.pam_dialog("alice", browser, confdir=TMP, driver=fake, driver_args=[auth_url(ch)], timeout=60,
                       prefix=["/bin/sh", "-c", '"$@"; exit $?', "sh"])
    ok(r.lines("GOT: ") == [browser.address, "two"] and r.code == "PAM_SUCCESS",
       "pam_dialog through a PREFIX that forks", r.out[-600:])
    ok(time.monotonic() - t0 < 60 * alztest.TIME_SCALE, "pam_dialog ends when the driver does")

    alztest.DIALECT, alztest.FX = "foodxchange", True
    ok(alztest.api_path("sso") is None and not alztest.sso_supported(),
       "foodxchange: no sso op, sso_supported() false")
    alztest.DIALECT, alztest.FX = "alianza", False
except Exception:
    # a mock that dropped a connection (or any surprise) is a failure, said as TAP
    import traceback
    for line in traceback.format_exc().splitlines():
        print("# " + line, flush=True)
    print("Bail out! the self-test stopped at check %d" % (RUN.n + 1), flush=True)
    stop()
    sys.exit(1)
finally:
    stop()

print("1..%d" % RUN.n, flush=True)
sys.exit(1 if RUN.failed else 0)
