#!/usr/bin/python3
"""mock_fx_selftest.py - the mock API in its FoodXchange dialect is as strict as API.md §8.

Starts tests/mock_api.py with --dialect foodxchange (and, for the checks that the Alianza
dialect stayed as it was, a second one with --dialect alianza) and talks to it with
http.client over TLS, verified against the test CA: every rule of the FoodXchange wire
shape (e-mail log-in, the nested success, Bearer only, 405 on a wrong method, 404 on what
the dialect lacks, TOKEN_EXPIRED, refresh, logout ending both tokens, single-use backup
codes, the error envelope), the faults answering in the dialect, the control calls tests
use (carried tokens in the request log, live refresh tokens, expiring a user's tokens),
and that tests/alztest.py's canned replies have the shape the mock itself gives. TAP on
stdout; no root, no network (loopback only).
"""
import base64
import http.client
import json
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import alztest  # noqa: E402  (only its pure helpers: no Bed, no namespace)
import mock_api  # noqa: E402



import mockrun  # noqa: E402

RUN = mockrun.Run("mockfx-")
TMP, CERTS, CA, USERS = RUN.tmp, RUN.certs, RUN.ca, RUN.users
ok, start, stop = RUN.ok, RUN.start, RUN.stop
ctl = mockrun.ctl


CTX = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))


class Reply:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "%d %s" % (self.status, self.raw[:600].decode("utf-8", "replace"))


def call(ports, method, path, body=None, headers=(), raw=None):
    """One API call on its own connection. BODY: a JSON value; RAW: bytes as they are."""
    c = http.client.HTTPSConnection("127.0.0.1", ports["main"], context=CTX, timeout=30)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        c.putrequest(method, path)
        c.putheader("Content-Type", "application/json")
        c.putheader("Accept", "application/json")
        for k, v in headers:
            c.putheader(k, v)
        c.putheader("Content-Length", str(len(data or b"")))
        c.endheaders(data)
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def header(reply, name):
    return next((v for k, v in reply.headers if k.lower() == name.lower()), None)


def shape(v):
    """The key tree of a JSON value (types of the leaves), to compare two bodies' shapes."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v]
    return type(v).__name__


def fx_error(r, status, code):
    """R is STATUS with the FoodXchange envelope {"success":false,"error":{"code","message","data"}}."""
    j = r.json
    return (r.status == status and isinstance(j, dict) and set(j) == {"success", "error"}
            and j["success"] is False and isinstance(j["error"], dict)
            and set(j["error"]) == {"code", "message", "data"} and j["error"]["code"] == code
            and isinstance(j["error"]["message"], str) and isinstance(j["error"]["data"], dict))


try:
    FX = start("foodxchange")
    ALZ = start("alianza")
except Exception:
    stop()
    raise

LOGIN, TFA, SESSION, LOGOUT, REFRESH = (mock_api.OPS["foodxchange"][k][1]
                                        for k in ("login", "2fa", "whoami", "logout", "refresh"))
PW = {"alice": "Alice-pass1!", "bob": "Bob-pass1!", "erin": "Erin-pass1!", "tess": "Tess-pass1!",
      "olga": "Olga-pass1!", "ursula": "Ursula-pass1!", "lock": "Lock-pass1!", "fred": "Fred-pass1!"}


def login(user, password=None, ports=FX, **extra):
    body = {"email": user + "@example.com", "password": PW.get(user, "x") if password is None else password}
    body.update(extra)
    return call(ports, "POST", LOGIN, body)


def bearer(token):
    return [("Authorization", "Bearer " + token)]


def tokens_of(r):
    t = r.json["data"]["tokens"]
    return t["accessToken"], t["refreshToken"]


def live(ports=FX, user=None):
    return [x for x in ctl(ports, "GET", "/tokens")[1] if user is None or x["userName"] == user]


def live_refresh(ports=FX, user=None):
    return [x for x in ctl(ports, "GET", "/refresh-tokens")[1] if user is None or x["userName"] == user]


def log_of(ports, path):
    return [x for x in ctl(ports, "GET", "/requests")[1] if x["path"] == path]


def totp_code(user, ports=FX, offset=0):
    return ctl(ports, "GET", "/totp/%s?offset=%d" % (user, offset))[1]["code"]


def wrong_code(user):
    good = {totp_code(user, offset=o) for o in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in good)


try:
    # ---------------------------------------------------------------- log-in
    ok(ctl(FX, "GET", "/health")[1] == {"ok": True, "dialect": "foodxchange"}
       and ctl(ALZ, "GET", "/health")[1] == {"ok": True, "dialect": "alianza"},
       "each mock says its dialect on /health")

    r = login("alice")
    j = r.json or {}
    ok(r.status == 200 and set(j) == {"success", "data", "message"} and j["success"] is True
       and set(j["data"]) == {"user", "tokens"} and isinstance(j["message"], str)
       and j["data"]["user"] == {"id": "u-alice", "email": "alice@example.com", "name": "alice",
                                 "role": "admin", "company": {"id": "p-main", "name": "Main Co"}}
       and set(j["data"]["tokens"]) == {"accessToken", "refreshToken", "expiresIn"}
       and len(j["data"]["tokens"]["accessToken"]) >= 40 and len(j["data"]["tokens"]["refreshToken"]) >= 40
       and j["data"]["tokens"]["expiresIn"] == 3600,
       "alice@example.com logs in: the nested success of API.md §8 (user, company, both tokens)", r)
    roles = {u: (login(u).json or {}).get("data", {}).get("user", {}).get("role") for u in ("bob", "erin", "ursula")}
    ok(roles == {"bob": "buyer", "erin": "supplier", "ursula": "SUPER_ADMIN"},
       "role: ACCOUNT_USER -> buyer, END_USER -> supplier, another userType as it is", roles)
    ctl(FX, "POST", "/users/rita", {"password": "Rita-pass1!", "userType": "MANAGEMENT_USER",
                                     "role": "quality-lead", "name": "Rita R."})
    r = login("rita", "Rita-pass1!")
    ok(r.status == 200 and r.json["data"]["user"]["role"] == "quality-lead"
       and r.json["data"]["user"]["name"] == "Rita R.", "a fixture's own role (and name) is reported as it is", r)
    r = login("olga")
    ok(r.status == 200 and r.json["data"]["user"]["company"] == {"id": "p-other", "name": "Other Co"},
       "company = the fixture's partition (olga: p-other, Other Co)", r)

    # ---------------------------------------------------------------- strict request shapes
    r = call(FX, "POST", LOGIN, {"userName": "alice", "password": PW["alice"]})
    ok(fx_error(r, 400, "INVALID_REQUEST"), "log-in with userName (Alianza's field) -> 400, FoodXchange envelope", r)
    r = call(FX, "POST", LOGIN, {"userName": "alice", "email": "alice@example.com", "password": PW["alice"]})
    ok(fx_error(r, 400, "INVALID_REQUEST"), "log-in with email AND userName -> 400", r)
    r = call(FX, "POST", LOGIN, {"password": PW["alice"]})
    ok(fx_error(r, 400, "INVALID_REQUEST"), "log-in without email -> 400", r)
    r = call(FX, "POST", LOGIN, {"email": 7, "password": PW["alice"]})
    r2 = call(FX, "POST", LOGIN, raw=b"not json")
    ok(fx_error(r, 400, "INVALID_REQUEST") and fx_error(r2, 400, "INVALID_REQUEST"),
       "email a number, a body that is not JSON -> 400", [r, r2])
    r = call(FX, "POST", LOGIN, {"email": "alice", "password": PW["alice"]})
    ok(fx_error(r, 401, "INVALID_CREDENTIALS"), "the bare user name as email -> 401 INVALID_CREDENTIALS", r)
    r = login("nobody")
    ok(fx_error(r, 401, "INVALID_CREDENTIALS"), "an unknown e-mail -> 401 INVALID_CREDENTIALS (no user named)", r)
    r = login("alice", "wrong")
    ok(fx_error(r, 401, "INVALID_CREDENTIALS"), "wrong password -> 401 INVALID_CREDENTIALS", r)
    r = login("lock")
    ok(fx_error(r, 403, "ACCOUNT_LOCKED"), "locked -> 403 ACCOUNT_LOCKED", r)

    lacks = [("POST", "/v2/authorize"), ("PUT", "/v2/authorize"), ("POST", "/v2/authorize/jwt"),
             ("GET", "/v2/authorize/sso"), ("POST", "/v2/authorize/2fa"), ("GET", "/v2/authorize/userinfo"),
             ("PUT", "/v2/authorize/logout"), ("POST", "/api/v1/auth/password"),
             ("PUT", "/api/v1/auth/change-password"), ("POST", "/api/v1/auth/jwt"), ("GET", "/api/v1/auth/sso")]
    bad = [(m, p, r) for m, p in lacks for r in [call(FX, m, p, {"userName": "alice", "password": "x"})]
           if not fx_error(r, 404, "NOT_FOUND")]
    ok(not bad, "no password change, JWT, SSO, no Alianza path: 404 NOT_FOUND, FoodXchange envelope", bad)
    wrong = [("GET", LOGIN, "POST"), ("PUT", LOGIN, "POST"), ("POST", SESSION, "GET"), ("PUT", LOGOUT, "POST"),
             ("GET", REFRESH, "POST"), ("GET", TFA, "POST"), ("DELETE", SESSION, "GET")]
    bad = [(m, p, r) for m, p, allow in wrong for r in [call(FX, m, p, {})]
           if not (fx_error(r, 405, "METHOD_NOT_ALLOWED") and header(r, "Allow") == allow)]
    ok(not bad, "a wrong method on a known path: 405 METHOD_NOT_ALLOWED with Allow", bad)

    # ---------------------------------------------------------------- the token header
    ctl(FX, "POST", "/reset")
    access, refresh = tokens_of(login("alice"))
    r = call(FX, "GET", SESSION, headers=bearer(access))
    j = r.json or {}
    ok(r.status == 200 and j.get("success") is True and set(j.get("data", {})) == {"user", "session"}
       and j["data"]["user"]["email"] == "alice@example.com" and j["data"]["user"]["role"] == "admin"
       and j["data"]["user"]["company"]["id"] == "p-main"
       and isinstance(j["data"]["session"].get("id"), str) and j["data"]["session"]["id"]
       and isinstance(j["data"]["session"].get("expiresAt"), str),
       "GET session with Authorization: Bearer -> 200 data.user + data.session {id, expiresAt}", r)
    hostile_headers = [
        ("X-AUTH-TOKEN instead", [("X-AUTH-TOKEN", access)]),
        ("X-AUTH-TOKEN beside Bearer", [("X-AUTH-TOKEN", access)] + bearer(access)),
        ("scheme Token", [("Authorization", "Token " + access)]),
        ("scheme Basic", [("Authorization", "Basic " + base64.b64encode(b"alice:x").decode())]),
        ("scheme in lower case", [("Authorization", "bearer " + access)]),
        ("two spaces", [("Authorization", "Bearer  " + access)]),
        ("the bare token", [("Authorization", access)]),
        ("two Authorization headers", bearer(access) + bearer(access)),
        ("no header", []),
        ("an unknown token", bearer("no-such-token-0123456789")),
    ]
    bad = [(what, r) for what, hdrs in hostile_headers for r in [call(FX, "GET", SESSION, headers=hdrs)]
           if not fx_error(r, 401, "UNAUTHORIZED")]
    ok(not bad, "session: X-AUTH-TOKEN (alone or beside), another scheme, none, unknown -> 401 UNAUTHORIZED", bad)
    bad = [(what, r) for what, hdrs in hostile_headers[:3] for r in [call(FX, "POST", LOGOUT, headers=hdrs)]
           if not fx_error(r, 401, "UNAUTHORIZED")]
    ok(not bad and [x["token"] for x in live(user="alice")] == [access],
       "logout with X-AUTH-TOKEN or another scheme -> 401, the token still live", bad)
    reqs = log_of(FX, SESSION)
    ok(reqs[0]["token"] == access and reqs[1]["token"] is None and reqs[2]["token"] == access
       and reqs[3]["token"] is None and reqs[-1]["token"] == "no-such-token-0123456789"
       and all(x["refreshToken"] is None for x in reqs),
       "request log: the Bearer token a call carried (None for X-AUTH-TOKEN or another scheme)",
       [(x["headers"], x["token"]) for x in reqs])

    # ---------------------------------------------------------------- refresh, logout
    ok([(x["token"], x["refreshToken"]) for x in live(user="alice")] == [(access, refresh)]
       and [(x["refreshToken"], x["tokens"]) for x in live_refresh(user="alice")] == [(refresh, [access])]
       and 86000 < live_refresh(user="alice")[0]["expiresIn"] <= 86400,
       "control: /tokens names each token's refresh token, /refresh-tokens its tokens (24 h)",
       [live(), live_refresh()])
    r = call(FX, "POST", REFRESH, {"refreshToken": refresh})
    j = r.json or {}
    new = j.get("data", {}).get("accessToken")
    ok(r.status == 200 and j.get("success") is True and set(j.get("data", {})) == {"accessToken", "expiresIn"}
       and j["data"]["expiresIn"] == 3600 and isinstance(new, str) and new != access,
       "refresh -> 200 {success, data: {accessToken (a new one), expiresIn}}", r)
    ok(call(FX, "GET", SESSION, headers=bearer(new)).status == 200
       and sorted(live_refresh(user="alice")[0]["tokens"]) == sorted([access, new])
       and log_of(FX, REFRESH)[-1]["refreshToken"] == refresh and log_of(FX, REFRESH)[-1]["token"] is None,
       "the refreshed token works; the refresh token now has both; the log shows the refresh token sent",
       [live_refresh(), log_of(FX, REFRESH)])
    for what, body in (("refresh_token (another field)", {"refresh_token": refresh}), ("no body field", {}),
                       ("a number", {"refreshToken": 5})):
        r = call(FX, "POST", REFRESH, body)
        ok(fx_error(r, 400, "INVALID_REQUEST"), "refresh with %s -> 400" % what, r)
    r = call(FX, "POST", REFRESH, {"refreshToken": "no-such-refresh-token"})
    ok(fx_error(r, 401, "UNAUTHORIZED"), "refresh with an unknown refresh token -> 401 UNAUTHORIZED", r)
    r = call(FX, "POST", LOGOUT, headers=bearer(new))
    ok(r.status == 200 and r.json == {"success": True, "message": r.json.get("message")}
       and isinstance(r.json["message"], str), "logout -> 200 {success: true, message}", r)
    dead = [(what, r) for what, r in (
        ("the refreshed token", call(FX, "GET", SESSION, headers=bearer(new))),
        ("the first token", call(FX, "GET", SESSION, headers=bearer(access))),
        ("the refresh token", call(FX, "POST", REFRESH, {"refreshToken": refresh})),
        ("a second logout", call(FX, "POST", LOGOUT, headers=bearer(new)))) if not fx_error(r, 401, "UNAUTHORIZED")]
    ok(not dead and not live(user="alice") and not live_refresh(user="alice"),
       "refresh then logout kills both: both access tokens and the refresh token 401, none live",
       [dead, live(), live_refresh()])
    a2, r2 = tokens_of(login("alice"))
    b2, rb = tokens_of(login("bob"))
    call(FX, "POST", LOGOUT, headers=bearer(a2))
    ok([x["token"] for x in live()] == [b2] and [x["refreshToken"] for x in live_refresh()] == [rb],
       "a logout ends that session only (bob's tokens live on)", [live(), live_refresh()])

    # ---------------------------------------------------------------- TOKEN_EXPIRED
    ctl(FX, "POST", "/reset")
    ctl(FX, "POST", "/next-tokens", {"tokens": ["tok-first-0123456789abcdef", "tok-second-0123456789abcdef"],
                                     "refreshTokens": ["ref-chosen-0123456789abcdef"]})
    r = login("alice")
    access, refresh = tokens_of(r)
    ok((access, refresh) == ("tok-first-0123456789abcdef", "ref-chosen-0123456789abcdef"),
       "control: next-tokens chooses the next access and refresh tokens", r)
    st, out = ctl(FX, "POST", "/expire", {"user": "alice"})
    ok(st == 200 and out == {"ok": True, "expired": 1} and not live(user="alice")
       and [x["refreshToken"] for x in live_refresh(user="alice")] == [refresh],
       "control: /expire ends a user's access tokens now; the refresh token lives", [out, live_refresh()])
    r = call(FX, "GET", SESSION, headers=bearer(access))
    ok(fx_error(r, 401, "TOKEN_EXPIRED"), "an expired access token -> 401 TOKEN_EXPIRED (not UNAUTHORIZED)", r)
    r = call(FX, "POST", LOGOUT, headers=bearer(access))
    ok(fx_error(r, 401, "TOKEN_EXPIRED") and [x["refreshToken"] for x in live_refresh(user="alice")] == [refresh],
       "logout with an expired token -> 401 TOKEN_EXPIRED; its refresh token stays alive", [r, live_refresh()])
    r = call(FX, "POST", REFRESH, {"refreshToken": refresh})
    new = (r.json or {}).get("data", {}).get("accessToken")
    ok(r.status == 200 and new == "tok-second-0123456789abcdef", "refresh after expiry -> a new token", r)
    r = call(FX, "POST", LOGOUT, headers=bearer(new))
    ok(r.status == 200 and not live(user="alice") and not live_refresh(user="alice")
       and fx_error(call(FX, "GET", SESSION, headers=bearer(access)), 401, "UNAUTHORIZED"),
       "refresh then logout: nothing of the session left (the expired token now unknown)", [r, live_refresh()])
    access, refresh = tokens_of(login("alice"))
    ctl(FX, "POST", "/expire", {"token": access, "refresh": True})
    r = call(FX, "POST", REFRESH, {"refreshToken": refresh})
    ok(fx_error(r, 401, "TOKEN_EXPIRED") and not live_refresh(user="alice"),
       "control: /expire with refresh -> refresh gets 401 TOKEN_EXPIRED", r)
    st, _ = ctl(FX, "POST", "/expire", {})
    ok(st == 400, "control: /expire without user or token -> 400")

    # ---------------------------------------------------------------- second factor
    ctl(FX, "POST", "/reset")
    r = login("tess")
    ok(fx_error(r, 401, "2FA_REQUIRED") and isinstance(r.json["error"]["data"].get("sessionId"), str)
       and set(r.json["error"]["data"]) == {"sessionId"},
       "tess: 401 2FA_REQUIRED with error.data.sessionId", r)
    sid = r.json["error"]["data"]["sessionId"]
    r = call(FX, "POST", TFA, {"sessionId": sid, "token": wrong_code("tess")})
    ok(fx_error(r, 401, "INVALID_2FA_TOKEN"), "a wrong code -> 401 INVALID_2FA_TOKEN", r)
    r = call(FX, "POST", TFA, {"sessionId": sid, "code": totp_code("tess")})
    ok(fx_error(r, 400, "INVALID_REQUEST"), "2FA body with code instead of token -> 400", r)
    r = call(FX, "POST", TFA, {"sessionId": sid, "token": totp_code("tess")})
    j = r.json or {}
    ok(r.status == 200 and j.get("success") is True and j["data"]["user"]["email"] == "tess@example.com"
       and set(j["data"]["tokens"]) == {"accessToken", "refreshToken", "expiresIn"},
       "the TOTP code -> 200, the same body as a log-in success", r)
    r = call(FX, "POST", TFA, {"sessionId": sid, "token": totp_code("tess")})
    ok(fx_error(r, 401, "2FA_SESSION_EXPIRED"), "a passed challenge is over", r)

    def backup(user, code):
        r = login(user)
        sid = ((r.json or {}).get("error") or {}).get("data", {}).get("sessionId")
        return call(FX, "POST", TFA, {"sessionId": sid, "token": code})

    r1 = backup("tess", "12345678")
    r2 = backup("tess", "12345678")
    r3 = backup("tess", "87654321")
    r4 = backup("fred", "12345678")
    ok(r1.status == 200 and r1.json["data"]["tokens"]["accessToken"] and fx_error(r2, 401, "INVALID_2FA_TOKEN")
       and r3.status == 200 and fx_error(r4, 401, "INVALID_2FA_TOKEN"),
       "an 8-digit backup code passes once; used again 401; another of hers passes; not another user's",
       [r1, r2, r3, r4])
    ctl(FX, "POST", "/reset")
    ok(backup("tess", "12345678").status == 200, "reset restores the fixture's backup codes")
    ok(fx_error(call(FX, "POST", "/v2/authorize/2fa", {"sessionId": "x", "token": "123456"}), 404, "NOT_FOUND"),
       "the Alianza 2FA path is 404 here")

    # ---------------------------------------------------------------- faults in the dialect
    ctl(FX, "POST", "/reset")
    ctl(FX, "POST", "/mode", {"mode": "notoken", "count": 1})
    r = login("bob")
    ok(r.status == 200 and r.json["success"] is True and r.json["data"]["user"]["email"] == "bob@example.com"
       and "accessToken" not in r.json["data"]["tokens"] and "refreshToken" not in r.json["data"]["tokens"]
       and "authToken" not in r.json, "notoken: the FoodXchange success for the e-mail sent, no token", r)
    ctl(FX, "POST", "/mode", {"mode": "status", "status": 429, "retry_after": 9, "count": 1})
    r = login("alice")
    ok(fx_error(r, 429, "TOO_MANY_REQUESTS") and header(r, "Retry-After") == "9",
       "status 429: the FoodXchange envelope, Retry-After", r)
    ctl(FX, "POST", "/mode", {"mode": "status", "status": 401, "code": "TOKEN_EXPIRED", "path": SESSION,
                              "count": 1})
    r = call(FX, "GET", SESSION)
    ok(fx_error(r, 401, "TOKEN_EXPIRED"), "status with a code on one path", r)
    ctl(FX, "POST", "/mode", {"mode": "malformed", "count": 1})
    r = login("alice")
    ok(r.status == 200 and r.json is None and r.raw.startswith(b'{"success": true, "data": {"tokens"'),
       "malformed: a FoodXchange body cut off", r)
    ctl(FX, "POST", "/mode", {"mode": "huge", "size": 2000, "count": 1})
    r = login("alice")
    ok(r.status == 200 and len(r.raw) == 2000 and r.json["data"]["tokens"]["accessToken"] == "x",
       "huge: the access token where FoodXchange has it", r)
    ctl(FX, "POST", "/mode", {"mode": "redirect", "count": 1})
    r = login("alice")
    ok(r.status == 302 and header(r, "Location") == "https://127.0.0.1:%d%s" % (FX["recorder"], LOGIN),
       "redirect: to the recorder's FoodXchange log-in path", r)
    ctl(FX, "POST", "/mode", {"mode": "truncated", "count": 1})
    try:
        r = login("alice")
        cut = False
    except http.client.IncompleteRead as e:
        cut = e.partial.startswith(b'{"success": true')
    ok(cut, "truncated: a FoodXchange success shorter than announced")

    # ---------------------------------------------------------------- alztest's canned replies
    def real_replies(ports, dialect):
        """The mock's own replies of each kind, in DIALECT."""
        ops = mock_api.OPS[dialect]
        ctl(ports, "POST", "/reset")
        name = "alice" if dialect == "alianza" else "alice@example.com"
        field = "userName" if dialect == "alianza" else "email"
        hdr = (lambda t: [("X-AUTH-TOKEN", t)]) if dialect == "alianza" else bearer
        ok_ = call(ports, *ops["login"], {field: name, "password": PW["alice"]})
        tok = ok_.json["authToken"] if dialect == "alianza" else ok_.json["data"]["tokens"]["accessToken"]
        out = {"login": ok_.json,
               "error": call(ports, *ops["login"], {field: name, "password": "x"}).json,
               "challenge": call(ports, *ops["login"], {field: "tess" if dialect == "alianza"
                                                        else "tess@example.com", "password": PW["tess"]}).json,
               "whoami": call(ports, *ops["whoami"], headers=hdr(tok)).json}
        if "refresh" in ops:
            out["refresh"] = call(ports, *ops["refresh"], {"refreshToken": ok_.json["data"]["tokens"]["refreshToken"]}).json
        out["logout"] = call(ports, *ops["logout"], headers=hdr(tok)).json
        return out

    for dialect, ports in (("foodxchange", FX), ("alianza", ALZ)):
        real = real_replies(ports, dialect)
        alztest.DIALECT, alztest.FX = dialect, dialect == "foodxchange"
        canned = {"login": alztest.login_reply(), "error": alztest.error_reply("INVALID_CREDENTIALS", "m"),
                  "challenge": alztest.challenge_reply(), "whoami": alztest.whoami_reply(),
                  "logout": alztest.logout_reply()}
        if dialect == "foodxchange":
            canned["refresh"] = alztest.refresh_reply()
        bad = [k for k in real if shape(real[k]) != shape(canned.get(k))]
        ok(not bad and canned["login"] == mock_api.login_body(dialect, dict(
            authToken=alztest.REPLY_TOKEN, refreshToken=alztest.REPLY_REFRESH, tokenType="Bearer", expiresIn=3600,
            userId="u-alice", userName=alztest.api_user("alice"), name="alice",
            userType=alztest.type_name("MANAGEMENT_USER"), partitionId="p-main", partitionName="Main Co")),
            "%s: alztest's canned replies (login, error, 2FA challenge, who am I, refresh, logout) have "
            "the mock's own shapes" % dialect, "\n".join("%s:\n real %s\n canned %s" % (k, real[k], canned.get(k))
                                                         for k in bad))
        sent = [alztest.sent_user({"body_b64": base64.b64encode(x).decode()}) for x in
                (b'{"userName":"a","password":"p"}', b'{"email":"a@example.com","password":"p"}', b'{"token":"t"}',
                 b'not json')]
        ok(sent == ["a", "a@example.com", None, None], "%s: sent_user reads userName or email" % dialect, sent)
    alztest.DIALECT, alztest.FX = "foodxchange", True
    r = alztest.login_reply("bob", userType="END_USER", authToken=alztest.DROP,
                            at={"/data/user/company": alztest.DROP, "/data/tokens/x~1y": 1})
    ok(r["data"]["user"]["email"] == "bob@example.com" and r["data"]["user"]["role"] == "supplier"
       and "company" not in r["data"]["user"] and "accessToken" not in r["data"]["tokens"]
       and r["data"]["tokens"]["x/y"] == 1, "login_reply: facts in Alianza names, DROP, RFC 6901 pointers", r)
    conf = alztest.translate_conf({"allowed_user_types": "MANAGEMENT_USER, ACCOUNT_USER", "groups_end_user": "a",
                                   "groups.MANAGEMENT_USER": "b", "groups.quality-lead": "c",
                                   "local_totp_user_types": "all"})
    ok(conf == {"allowed_user_types": "admin, buyer", "groups.supplier": "a", "groups.admin": "b",
                "groups.quality-lead": "c", "local_totp_user_types": "all"},
       "translate_conf: type lists and group keys in FoodXchange roles", conf)

    # ---------------------------------------------------------------- the Alianza dialect as it was
    ctl(ALZ, "POST", "/reset")
    r = call(ALZ, "POST", LOGIN, {"email": "alice@example.com", "password": PW["alice"]})
    ok(r.status == 404 and r.json.get("errorCode") == "NOT_FOUND", "alianza: the FoodXchange log-in path is 404", r)
    r = call(ALZ, "POST", "/v2/authorize", {"userName": "alice", "password": PW["alice"]})
    tok = r.json["authToken"]
    ctl(ALZ, "POST", "/expire", {"user": "alice"})
    r1 = call(ALZ, "GET", "/v2/authorize/userinfo", headers=[("X-AUTH-TOKEN", tok)])
    r2 = call(ALZ, "PUT", "/v2/authorize/logout", headers=[("X-AUTH-TOKEN", tok)])
    ok(r1.status == 401 and r1.json["errorCode"] == "UNAUTHORIZED" and r2.status == 401
       and log_of(ALZ, "/v2/authorize/userinfo")[0]["token"] == tok and not live(ALZ)
       and ctl(ALZ, "GET", "/refresh-tokens")[1] == [],
       "alianza: an expired token is 401 UNAUTHORIZED; the log's token is X-AUTH-TOKEN; no refresh tokens",
       [r1, r2])
    r = call(ALZ, "POST", "/v2/authorize", {"userName": "tess", "password": PW["tess"]})
    r = call(ALZ, "POST", "/v2/authorize/2fa", {"sessionId": r.json["sessionId"], "token": "12345678"})
    ok(r.status == 401 and r.json["errorCode"] == "INVALID_2FA_TOKEN", "alianza: no backup codes", r)
    r = call(ALZ, "GET", "/v2/authorize", {})
    ok(r.status == 404, "alianza: a wrong method is still 404", r)
finally:
    stop()

print("1..%d" % RUN.n, flush=True)
sys.exit(1 if RUN.failed else 0)
