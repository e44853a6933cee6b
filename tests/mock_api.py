#!/usr/bin/python3
"""Mock of the authorization API of /work/shared/API.md, in either dialect, for tests.

Usage:
    /usr/bin/python3 tests/mock_api.py --certs DIR --users FILE \
        --ports-file FILE [--dialect alianza|foodxchange] [--bind 127.0.0.1]
        [--handshake-timeout SECONDS] [--verbose]

DIR is made by tests/mkcerts.sh. Every listener binds an ephemeral port; once
all are listening the ports file is written atomically as JSON:
    {"main", "untrusted", "wronghost", "expired", "soon", "tls10", "idp", "recorder",
     "control", "pid"}
("tls10" is left out if this OpenSSL cannot be made to speak TLS 1.0/1.1).
SIGTERM/SIGINT stop the mock with exit status 0 and remove the ports file.

--dialect picks the wire shape of the whole mock (API.md section 8); default alianza:
  alianza      POST /v2/authorize {"userName","password"}, flat replies, X-AUTH-TOKEN,
               POST /v2/authorize/2fa, GET /v2/authorize/userinfo, PUT /v2/authorize/logout,
               PUT /v2/authorize (password change), POST /v2/authorize/jwt, single
               sign-on (GET and POST /v2/authorize/sso, below); errors
               {"errorCode","message","timestamp","path"}; a wrong method is a 404.
  foodxchange  as strict as the real service: POST /api/v1/auth/login {"email","password"}
               (email = <fixture user>@example.com; a "userName" field or no email: 400),
               success {"success":true,"data":{"user":{"id","email","name","role",
               "company":{"id","name"}},"tokens":{"accessToken","refreshToken","expiresIn"}},
               "message"}; role = the fixture's "role", else admin/buyer/supplier for
               MANAGEMENT_USER/ACCOUNT_USER/END_USER (another userType is the role as it is);
               company = the fixture's partition. Calls with a token take exactly one
               "Authorization: Bearer <accessToken>" header: none, another scheme, or an
               X-AUTH-TOKEN header at all is 401 UNAUTHORIZED; an expired access token is 401
               TOKEN_EXPIRED (a logged-out or unknown one UNAUTHORIZED). 2FA: 401 2FA_REQUIRED
               with error.data.sessionId, then POST /api/v1/auth/2fa/authenticate
               {"sessionId","token"}: a TOTP code or one of the fixture's 8-digit
               "backupCodes" (each once). GET /api/v1/auth/session, POST /api/v1/auth/logout
               (ends the access token, its refresh token and every access token refreshed
               from it), POST /api/v1/auth/refresh {"refreshToken"} (a new access token; the
               refresh token lives 24 h). No password change, JWT or SSO: those paths are
               404; a wrong method on a known path 405. An unknown e-mail is 401
               INVALID_CREDENTIALS (the service names no user). Every error is
               {"success":false,"error":{"code","message","data"}}.
Who-am-I (userinfo / session) reports the token's user as the fixture has them now:
a type or partition a test changed (POST /users/<name>) since the log-in shows.

Listeners:
  main       HTTPS (TLS >= 1.2), certificate signed by the test CA: the API
  untrusted  the API behind a self-signed certificate
  wronghost  the API behind a CA-signed certificate for DNS:wrong.example
  expired    the API behind a CA-signed certificate that has expired
  soon       the API behind a CA-signed certificate that expires in 10 days (main's: 90)
  tls10      the API, TLS 1.0/1.1 only
  idp        HTTPS (the main certificate), the test identity provider of single sign-on
             and the redirectUri's page (below); outside the fault modes and the request
             log (a browser talks to it, not the module: GET /idp/requests has its log)
  recorder   raw TCP sink: records what arrives, answers nothing (a redirect
             target; tests assert that nothing was sent there)
  control    plain HTTP, the test control API:
     POST /mode {"mode": ..., ...}   set a fault mode (see FAULT_MODES)
     GET  /mode                      current fault mode (null when normal)
     POST /reset                     forget everything, reload the fixture
     GET  /requests                  request log of the API listeners: per call
                                     listener, conn, time, method, path, headers,
                                     body_b64, seq, "token" (the token the call carried
                                     in the dialect's header: X-AUTH-TOKEN's value, or
                                     the Bearer value; null when none) and
                                     "refreshToken" (a "refreshToken" string of the
                                     JSON body, else null)
     GET  /recorder                  what the recorder received
     GET  /stats                     {"connections": {...}, "requests": n}
     POST /users/<name> {fields}     add or replace a user
     GET  /tokens                    live access tokens: [{"token", "userName" (the
                                     fixture user), "expiresIn", "refreshToken" (null
                                     in alianza), "via" ("password" or "sso")}]
     GET  /refresh-tokens            live refresh tokens: [{"refreshToken", "userName",
                                     "expiresIn", "tokens": [its live access tokens]}]
     POST /expire {"user": name | "token": t[, "refresh": true]}  expire now the
                                     access tokens of a user (or one token); with
                                     "refresh" their refresh tokens too. {"expired": n}
     POST /next-tokens {"tokens": [...], "refreshTokens": [...]}  issue these tokens
                                     (refresh tokens) next, in order (a test that must
                                     know a token before the login); either list may
                                     be left out
     GET  /totp/<name>[?offset=N][&raw=1]  current TOTP code of a user
     GET  /health                    {"ok": true, "dialect": ...}
     GET  /sso                       the SSO knobs (below), the URLs filled in, and
                                     "config": what GET /v2/authorize/sso gives unless
                                     "body" overrides it
     POST /sso {knobs}               change some knobs; answers as GET /sso
     GET  /sso/codes                 every code issued: [{"code", "user", "clientId",
                                     "redirectUri", "scope", "state", "challenge",
                                     "challengeMethod", "issued", "expires",
                                     "expiresIn", "used", "live"}]
     POST /sso/expire {["code": c][, "age": s]}  expire now the codes (or one), or with
                                     "age" make them s seconds older; {"expired": n (unused
                                     and live before, expired now), "touched": n}
     POST /sso/next-codes {"codes": [...]}  the provider issues these codes next, in order
     GET  /idp/requests              the identity provider's log: per call conn, time,
                                     method, path, query (decoded), user (the one who
                                     tried to sign in), status, location, code, error

Single sign-on (API.md section 7; alianza only, 404 in foodxchange). Knobs (POST /sso,
all reset by /reset): "enabled" (true), "pkce" (true), "clientId" ("pam-alianza-test"),
"scope" ("openid profile email"), "redirectUri" (null: https://<bind>:<idp>/sso/callback),
"authorizationEndpoint" (null: https://<bind>:<idp>/idp/authorize), "codeLifetime" (120
seconds, for codes issued after), "body" (any JSON value: GET /v2/authorize/sso answers it
as it is, e.g. a hostile configuration; null: the configuration again).
  GET /v2/authorize/sso      200 {"enabled","authorizationEndpoint","clientId","redirectUri",
                             "scope","pkce"} (a body: 400); 404/5xx through the fault modes,
                             which take an optional "method" to fault only the GET or the POST.
  GET /idp/authorize?response_type=code&client_id&redirect_uri&scope&state
      [&code_challenge&code_challenge_method=S256]   (idp listener; or POST with a form)
                             400 {"error","error_description"} unless: each parameter once,
                             response_type code, client_id/redirect_uri/scope the configured
                             ones, a state; with "pkce" a challenge is due; a challenge given
                             must be S256 and 43 base64url characters (bound even when pkce
                             is off). Then the user signs in: "Authorization: Basic" (fixture
                             user:password), or a form POST of username and password; none or
                             wrong: 401 with WWW-Authenticate and a login form. Then 302
                             Location: <redirect_uri>?code=<code>&state=<state>. The code is
                             random, single use, bound to client, redirect_uri, challenge,
                             user, and lives codeLifetime seconds. A locked account signs in
                             here (the exchange refuses it).
  GET <redirectUri's path>   (idp listener) an HTML page showing the code (no code: 400).
  POST /v2/authorize/sso?code=..&redirect_uri=..[&code_verifier=..]   no body. 401
                             INVALID_SSO_CODE (Alianza envelope) for: a body; a query not
                             percent-encoded (a raw character outside unreserved and ":@/?"),
                             not UTF-8, a parameter twice, an unknown parameter; no code; an
                             unknown, used or expired code; a redirect_uri not the code's; a
                             missing verifier when the code has a challenge, one given when it
                             has none, one not 43-128 unreserved characters, or one whose S256
                             is not the challenge. The first exchange naming a live code uses
                             it up, passing or not. 403 ACCOUNT_LOCKED for a locked user. 200:
                             the log-in body (section 1) of the code's user, its token live
                             (GET /tokens: "via": "sso") and logged out as any other.
             Its request log entry has "sso": {"query" (raw), "params" (decoded), "code",
             "redirect_uri", "code_verifier" (null when absent), "verdict" (ok, body, query,
             no-code, unknown, used, expired, redirect_uri, no-verifier, verifier-format,
             verifier-mismatch, unexpected-verifier, no-user, locked; null when a fault
             answered), "status", "why", "user", "challenge" and "challengeMethod" (the
             code's), "verifierMatched" (S256(verifier) == challenge; null without both),
             "authToken" (the token a success issued)}.

Fault modes apply to the API listeners only. Common optional fields:
"path" (only requests to this exact path), "listener" (only this listener),
"count" (only the next N matching requests, then back to normal), "method" (only
requests with this method). The faults
that answer with a login body or an error (drip, truncated, notoken, huge,
malformed, status) answer in the mock's dialect.

Fixture users (--users, a JSON object name -> fields): password (required),
userType, partitionId, partitionName, userId, totp (base32 secret or null),
locked, envelope ("foodx": the alianza mock answers this user's 2FA_REQUIRED in
the FoodXchange envelope), role (foodxchange: the role reported, any string),
name (foodxchange: data.user.name, default the fixture name), backupCodes
(foodxchange: 8-digit single-use second-factor codes). The SSO provider signs in
any fixture user with its password.

Standard library only: this also serves a benchmark of 200 concurrent
log-ins, so the TLS handshake runs in the per-connection thread and every
reply goes out in a single write with Nagle disabled. The reply shapes are
plain functions (login_body, error_body, ...) that tests/alztest.py imports,
so a canned reply of a test has the shape the mock itself gives.
"""

import argparse
import base64
import collections
import hashlib
import hmac
import http
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import warnings

# A stalled client must not hold a thread forever, but a slow one (valgrind, a busy
# machine) must never be cut off before the deadline its test gave it: --handshake-timeout.
HANDSHAKE_TIMEOUT = 60.0
IDLE_TIMEOUT = 60.0          # keep-alive connections idle longer are closed
MAX_BODY = 1 << 20           # request bodies above this get 413
LOG_CAP = 10000              # request log keeps only the newest entries
TOKEN_LIFETIME = 3600
SESSION_LIFETIME = 300       # 2FA challenge validity (seconds)
SESSION_TRIES = 3            # wrong codes before a 2FA challenge dies
PURGE_AT = 10000             # drop dead tokens/sessions beyond this many
HANG_LIMIT = 120.0
RECORDER_WINDOW = 1.0

FAULT_MODES = ("normal", "slow", "hang", "drip", "huge", "truncated",
               "malformed", "notoken", "body", "status", "redirect", "close")
USER_DEFAULTS = {
    "password": "", "userType": "ACCOUNT_USER", "partitionId": "p-main",
    "partitionName": "Main Co", "userId": None, "totp": None,
    "locked": False, "envelope": "alianza", "role": None, "name": None,
    "backupCodes": [],
}
REFRESH_LIFETIME = 24 * 3600  # foodxchange refresh tokens

DIALECTS = ("alianza", "foodxchange")
# op -> (method, path) of each dialect; an op a dialect lacks is absent
OPS = {
    "alianza": {
        "login": ("POST", "/v2/authorize"),
        "2fa": ("POST", "/v2/authorize/2fa"),
        "whoami": ("GET", "/v2/authorize/userinfo"),
        "logout": ("PUT", "/v2/authorize/logout"),
        "password": ("PUT", "/v2/authorize"),
        "jwt": ("POST", "/v2/authorize/jwt"),
        "sso_config": ("GET", "/v2/authorize/sso"),
        "sso": ("POST", "/v2/authorize/sso"),
    },
    "foodxchange": {
        "login": ("POST", "/api/v1/auth/login"),
        "2fa": ("POST", "/api/v1/auth/2fa/authenticate"),
        "whoami": ("GET", "/api/v1/auth/session"),
        "logout": ("POST", "/api/v1/auth/logout"),
        "refresh": ("POST", "/api/v1/auth/refresh"),
    },
}
# the FoodXchange role the mock reports for a fixture's Alianza user type
FX_ROLES = {"MANAGEMENT_USER": "admin", "ACCOUNT_USER": "buyer", "END_USER": "supplier"}
FX_DOMAIN = "@example.com"    # foodxchange e-mail = <fixture user>@example.com
BEARER_RE = re.compile(r"Bearer ([\x21-\x7e]+)")
DEFAULT_ERROR_CODES = {
    400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN",
    404: "NOT_FOUND", 409: "CONFLICT", 429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

VERBOSE = False

# Single sign-on (API.md section 7, alianza only): the configuration GET /v2/authorize/sso
# gives, the test identity provider on the "idp" listener, the exchange's strict rules.
SSO_PATH = "/v2/authorize/sso"
SSO_CODE_LIFETIME = 120           # seconds an authorization code lives
SSO_CLIENT_ID = "pam-alianza-test"
SSO_SCOPE = "openid profile email"
IDP_AUTHORIZE = "/idp/authorize"  # the provider's authorization endpoint (idp listener)
SSO_CALLBACK = "/sso/callback"    # the default redirectUri's page (idp listener)
SSO_PARAMS = ("code", "redirect_uri", "code_verifier")
# A query value the exchange takes as it is: RFC 3986 unreserved characters, ":@/?" (legal
# in a query and meaning nothing there) and %XX; anything else (+ & = # space, controls,
# non-ASCII) must have been percent-encoded by the client.
SSO_RAW_VALUE = re.compile(r"(?:[A-Za-z0-9._~:@/?-]|%[0-9A-Fa-f]{2})*")
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")    # RFC 7636 section 4.1
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")         # BASE64URL(SHA256(...)), no padding
SSO_KNOBS = {"enabled": bool, "pkce": bool, "clientId": str, "scope": str,
             "redirectUri": (str, type(None)), "authorizationEndpoint": (str, type(None)),
             "codeLifetime": (int, float), "body": object}


def s256(verifier):
    """The S256 code challenge of a PKCE verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sso_default_settings():
    """The SSO knobs after a reset: on, with PKCE, the mock's own provider and page."""
    return {"enabled": True, "pkce": True, "clientId": SSO_CLIENT_ID, "scope": SSO_SCOPE,
            "redirectUri": None, "authorizationEndpoint": None,
            "codeLifetime": SSO_CODE_LIFETIME, "body": None}


def url_host(host):
    return "[%s]" % host if ":" in host else host


def strict_query(raw, names):
    """The parameters of query RAW as {name: value}, or (None, why): every value
    percent-encoded (SSO_RAW_VALUE) and UTF-8, each name one of NAMES and given once."""
    out = {}
    if raw == "":
        return out, None
    for part in raw.split("&"):
        name, eq, value = part.partition("=")
        if not eq:
            return None, "query part %r has no '='" % part[:40]
        if not (SSO_RAW_VALUE.fullmatch(name) and SSO_RAW_VALUE.fullmatch(value)):
            return None, "query parameter %r is not percent-encoded" % name[:40]
        try:
            name = urllib.parse.unquote(name, errors="strict")
            value = urllib.parse.unquote(value, errors="strict")
        except UnicodeDecodeError:
            return None, "query parameter %r is not UTF-8" % name[:40]
        if name not in names:
            return None, "unknown query parameter %r" % name[:40]
        if name in out:
            return None, "query parameter %r given twice" % name
        out[name] = value
    return out, None


def lenient_query(raw):
    """{name: first value} of a query, decoded leniently (%XX only, '+' kept): for the log."""
    out = {}
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        name = urllib.parse.unquote(name, errors="replace")
        out.setdefault(name, urllib.parse.unquote(value, errors="replace"))
    return out


# --------------------------------------------------------------------------
# Reply shapes of each dialect. "Facts" are a login's facts under Alianza's
# names: authToken, refreshToken, tokenType, expiresIn, userId, userName (the
# API's name of the user: the e-mail in foodxchange), name, userType (the role
# in foodxchange), partitionId, partitionName. A fact that is absent is left out
# of the body (a test's broken reply); every other value goes in as it is.
# --------------------------------------------------------------------------

def _put(out, key, facts, fact):
    if fact in facts:
        out[key] = facts[fact]


def fx_user(facts):
    """data.user of a foodxchange body."""
    user = {}
    for key, fact in (("id", "userId"), ("email", "userName"), ("name", "name"),
                      ("role", "userType")):
        _put(user, key, facts, fact)
    company = {}
    _put(company, "id", facts, "partitionId")
    _put(company, "name", facts, "partitionName")
    if company:
        user["company"] = company
    return user


def login_body(dialect, facts):
    """The log-in (and second-factor) success body of DIALECT for FACTS."""
    if dialect == "foodxchange":
        tokens = {}
        for key, fact in (("accessToken", "authToken"), ("refreshToken", "refreshToken"),
                          ("expiresIn", "expiresIn")):
            _put(tokens, key, facts, fact)
        return {"success": True, "data": {"user": fx_user(facts), "tokens": tokens},
                "message": "Login successful"}
    out = {}
    for fact in ("authToken", "tokenType", "expiresIn", "userId", "userName", "userType",
                 "partitionId", "partitionName"):
        _put(out, fact, facts, fact)
    return out


def whoami_body(dialect, facts, session_id=None, expires_at=None):
    """GET userinfo (alianza) / session (foodxchange) success body."""
    if dialect == "foodxchange":
        session = {"id": session_id, "expiresAt": expires_at}
        return {"success": True, "data": {"user": fx_user(facts), "session": session}}
    out = {}
    for fact in ("userId", "userName", "userType", "partitionId", "partitionName"):
        _put(out, fact, facts, fact)
    return out


def refresh_body(access_token, expires_in=TOKEN_LIFETIME):
    """POST /api/v1/auth/refresh success body (foodxchange only)."""
    return {"success": True, "data": {"accessToken": access_token, "expiresIn": expires_in}}


def logout_body(dialect):
    """Log-out success: alianza sends no body (None), foodxchange an object."""
    if dialect == "foodxchange":
        return {"success": True, "message": "Logged out successfully"}
    return None


def error_body(dialect, code, message, path=None, data=None):
    """The error envelope of DIALECT. DATA: alianza puts its members beside errorCode
    (e.g. sessionId), foodxchange under error.data."""
    if dialect == "foodxchange":
        return {"success": False, "error": {"code": code, "message": message,
                                            "data": dict(data or {})}}
    out = {"errorCode": code, "message": message, "timestamp": iso_now(),
           "path": path if path is not None else OPS["alianza"]["login"][1]}
    out.update(data or {})
    return out


def api_name(dialect, name):
    """The API's name of fixture user NAME: foodxchange logs in by e-mail."""
    return name + FX_DOMAIN if dialect == "foodxchange" else name


def fixture_name(dialect, sent):
    """The fixture user a sent user name / e-mail stands for (None: nobody)."""
    if not isinstance(sent, str):
        return None
    if dialect != "foodxchange":
        return sent
    if sent.endswith(FX_DOMAIN) and len(sent) > len(FX_DOMAIN):
        return sent[:-len(FX_DOMAIN)]
    return None


def role_of(dialect, user):
    """userType (alianza) or role (foodxchange) a fixture user is reported with."""
    if dialect == "foodxchange":
        return user.get("role") or FX_ROLES.get(user["userType"], user["userType"])
    return user["userType"]


def warn(msg):
    sys.stderr.write("mock_api: %s\n" % msg)
    sys.stderr.flush()


def iso_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --------------------------------------------------------------------------
# TOTP (RFC 6238 / RFC 4226)
# --------------------------------------------------------------------------

def b32decode_lenient(secret):
    s = secret.replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def totp(secret, step_offset=0, now=None):
    counter = int((time.time() if now is None else now) // 30) + step_offset
    mac = hmac.new(b32decode_lenient(secret), struct.pack(">Q", counter),
                   hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


# --------------------------------------------------------------------------
# Shared state: users, tokens, 2FA sessions, logs, counters, fault mode.
# One lock; every critical section is a few dict operations.
# --------------------------------------------------------------------------

class State:
    def __init__(self, users_file, dialect="alianza"):
        self.users_file = users_file
        self.dialect = dialect
        self.lock = threading.Lock()
        self.conn_seq = 0          # connection ids stay unique across resets
        self.ports = {}
        self.host = "127.0.0.1"    # the bind address (the SSO URLs name it)
        self.reset()

    def _load_users(self):
        with open(self.users_file, encoding="utf-8") as f:
            raw = json.load(f)
        if not isinstance(raw, dict):
            raise ValueError("%s: not a JSON object" % self.users_file)
        users = {}
        for name, fields in raw.items():
            users[name] = self._normalise_user(name, fields)
        return users

    @staticmethod
    def _normalise_user(name, fields):
        if not isinstance(fields, dict) or not isinstance(fields.get("password"), str):
            raise ValueError("user %r needs at least a string password" % name)
        user = dict(USER_DEFAULTS)
        user.update(fields)
        if not user["userId"]:
            user["userId"] = "u-" + name
        if user["totp"]:
            b32decode_lenient(user["totp"])       # reject a bad secret early
        codes = user["backupCodes"]
        if not isinstance(codes, list) or not all(
                isinstance(c, str) and len(c) == 8 and c.isdigit() for c in codes):
            raise ValueError("user %r: backupCodes must be a list of 8-digit strings" % name)
        user["backupCodes"] = list(codes)
        for key in ("role", "name"):
            if user[key] is not None and not isinstance(user[key], str):
                raise ValueError("user %r: %s must be a string" % (name, key))
        return user

    def reset(self):
        users = self._load_users()
        with self.lock:
            self.users = users
            # newest last; the current password counts as a recent one
            self.history = {n: [u["password"]] for n, u in users.items()}
            self.tokens = {}
            self.refresh = {}
            self.next_tokens = []
            self.next_refresh = []
            self.sessions = {}
            self.requests = collections.deque(maxlen=LOG_CAP)
            self.req_seq = 0
            self.recorded = []
            self.connections = collections.Counter()
            self.mode = None
            self.sso = sso_default_settings()
            self.sso_codes = {}
            self.next_sso_codes = []
            self.idp_requests = collections.deque(maxlen=LOG_CAP)

    def put_user(self, name, fields):
        user = self._normalise_user(name, fields)
        with self.lock:
            self.users[name] = user
            self.history[name] = [user["password"]]

    def user(self, name):
        with self.lock:
            u = self.users.get(name)
            return dict(u) if u else None

    # -- connections and logs --------------------------------------------
    def new_connection(self, listener):
        with self.lock:
            self.conn_seq += 1
            self.connections[listener] += 1
            return self.conn_seq

    def log_request(self, rec):
        with self.lock:
            self.req_seq += 1
            rec["seq"] = self.req_seq
            self.requests.append(rec)

    def record(self, rec):
        with self.lock:
            self.recorded.append(rec)

    # -- tokens ------------------------------------------------------------
    # tokens[access token] = {"info": facts without tokens, "user": fixture name,
    #   "expires": time, "refresh": its refresh token or None}
    # refresh[refresh token] = {"user", "expires", "session": id, "access": [tokens]}
    def facts(self, name, user):
        """A fixture user's login facts (no tokens) in the mock's dialect."""
        f = {"userId": user["userId"], "userName": api_name(self.dialect, name),
             "userType": role_of(self.dialect, user), "partitionId": user["partitionId"],
             "partitionName": user["partitionName"]}
        if self.dialect == "foodxchange":
            f["name"] = user["name"] or name
        return f

    def _purge(self, now):
        if len(self.tokens) >= PURGE_AT:
            self.tokens = {k: v for k, v in self.tokens.items() if v["expires"] > now}
        if len(self.refresh) >= PURGE_AT:
            self.refresh = {k: v for k, v in self.refresh.items() if v["expires"] > now}

    def _new_access(self, name, info, refresh, now, via="password"):
        """Under the lock: a new access token (the next chosen one if any)."""
        token = self.next_tokens.pop(0) if self.next_tokens else None
        token = token or secrets.token_urlsafe(32)          # 43 url-safe characters
        self.tokens[token] = {"info": info, "user": name, "expires": now + TOKEN_LIFETIME,
                              "refresh": refresh, "via": via}
        if refresh is not None:
            self.refresh[refresh]["access"].append(token)
        return token

    def issue_token(self, name, user, via="password"):
        """Log-in facts with a new token (and a refresh token in foodxchange). VIA: how the
        log-in was made ("password": log-in, 2FA or JWT; "sso": an SSO code), for /tokens."""
        info = self.facts(name, user)
        now = time.time()
        with self.lock:
            self._purge(now)
            refresh = None
            if self.dialect == "foodxchange":
                refresh = self.next_refresh.pop(0) if self.next_refresh else None
                refresh = refresh or secrets.token_urlsafe(48)
                self.refresh[refresh] = {"user": name, "expires": now + REFRESH_LIFETIME,
                                         "session": "s-" + secrets.token_hex(12), "access": []}
            token = self._new_access(name, info, refresh, now, via)
        out = {"authToken": token, "tokenType": "Bearer", "expiresIn": TOKEN_LIFETIME}
        if refresh is not None:
            out["refreshToken"] = refresh
        out.update(info)
        return out

    def token_status(self, token):
        """("ok", record) | ("expired", record) | ("dead", None) for an access token."""
        now = time.time()
        with self.lock:
            t = self.tokens.get(token) if token else None
            if t is None:
                return "dead", None
            rec = dict(t)
            if t["refresh"] is not None:
                r = self.refresh.get(t["refresh"])
                rec["session"] = r["session"] if r else None
            return ("ok" if t["expires"] > now else "expired"), rec

    def token_info(self, token):
        """A live token's user as they are now (a test may have changed the fixture user's
        type or partition since the log-in), or None."""
        status, rec = self.token_status(token)
        return self.current_facts(rec) if status == "ok" else None

    def current_facts(self, rec):
        """The facts of token record REC's user now; its log-in's when the user is gone."""
        user = self.user(rec["user"])
        return self.facts(rec["user"], user) if user is not None else dict(rec["info"])

    def kill_token(self, token):
        """Log a token out: alianza ends it alone; foodxchange ends it, its refresh token
        and every access token of that refresh token. Returns "ok" (it was live),
        "expired" (foodxchange: left alone, a refresh must come first) or "dead"."""
        now = time.time()
        with self.lock:
            t = self.tokens.get(token) if token else None
            if t is None:
                return "dead"
            if self.dialect != "foodxchange":
                del self.tokens[token]
                return "ok" if t["expires"] > now else "dead"
            if t["expires"] <= now:
                return "expired"
            del self.tokens[token]
            r = self.refresh.pop(t["refresh"], None) if t["refresh"] is not None else None
            for other in (r["access"] if r else []):
                self.tokens.pop(other, None)
            return "ok"

    def refresh_token(self, refresh):
        """("ok", facts with the new access token) | ("expired", None) | ("dead", None)."""
        now = time.time()
        with self.lock:
            r = self.refresh.get(refresh)
            if r is None:
                return "dead", None
            if r["expires"] <= now:
                return "expired", None
            user = self.users.get(r["user"])
            if user is None:            # removed by a test in between
                return "dead", None
        info = self.facts(r["user"], user)
        with self.lock:
            if refresh not in self.refresh:      # logged out in between
                return "dead", None
            self._purge(now)
            token = self._new_access(r["user"], info, refresh, now)
        return "ok", dict(info, authToken=token, expiresIn=TOKEN_LIFETIME)

    def expire(self, user=None, token=None, refresh=False):
        """Expire at once the access tokens of USER (or TOKEN), and with REFRESH their
        refresh tokens. Returns how many tokens were expired."""
        past = time.time() - 1
        n = 0
        with self.lock:
            for k, v in self.tokens.items():
                if (token is not None and k == token) or (user is not None and v["user"] == user):
                    if v["expires"] > past:
                        v["expires"] = past
                        n += 1
                    if refresh and v["refresh"] in self.refresh:
                        self.refresh[v["refresh"]]["expires"] = past
            if refresh and user is not None:
                for v in self.refresh.values():
                    if v["user"] == user:
                        v["expires"] = past
        return n

    def live_tokens(self):
        now = time.time()
        with self.lock:
            return [{"token": k, "userName": v["user"], "expiresIn": int(v["expires"] - now),
                     "refreshToken": v["refresh"], "via": v.get("via", "password")}
                    for k, v in self.tokens.items() if v["expires"] > now]

    def live_refresh_tokens(self):
        now = time.time()
        with self.lock:
            return [{"refreshToken": k, "userName": v["user"], "expiresIn": int(v["expires"] - now),
                     "tokens": [a for a in v["access"]
                                if a in self.tokens and self.tokens[a]["expires"] > now]}
                    for k, v in self.refresh.items() if v["expires"] > now]

    # -- 2FA sessions ------------------------------------------------------
    def new_session(self, name):
        sid = secrets.token_hex(16)
        now = time.time()
        with self.lock:
            if len(self.sessions) >= PURGE_AT:
                self.sessions = {k: v for k, v in self.sessions.items()
                                 if now - v["created"] <= SESSION_LIFETIME}
            self.sessions[sid] = {"user": name, "created": now, "tries": 0}
        return sid

    def check_session(self, sid, code):
        """Return ("ok", user name) | ("bad", None) | ("expired", None). foodxchange
        also takes one of the user's backup codes, once."""
        with self.lock:
            s = self.sessions.get(sid)
            if s is None or time.time() - s["created"] > SESSION_LIFETIME:
                self.sessions.pop(sid, None)
                return "expired", None
            user = self.users.get(s["user"])
            secret = user and user.get("totp")
            good = False
            if secret:
                for off in (-1, 0, 1):
                    if hmac.compare_digest(totp(secret, off).encode(),
                                           code.encode("utf-8")):
                        good = True
            if not good and user and self.dialect == "foodxchange":
                for backup in list(user["backupCodes"]):
                    if hmac.compare_digest(backup.encode(), code.encode("utf-8")):
                        user["backupCodes"].remove(backup)      # single use
                        good = True
                        break
            if good:
                del self.sessions[sid]        # a challenge is passed once only
                return "ok", s["user"]
            s["tries"] += 1
            if s["tries"] >= SESSION_TRIES:
                del self.sessions[sid]
            return "bad", None

    # -- single sign-on ------------------------------------------------------
    def idp_base(self):
        return "https://%s:%d" % (url_host(self.host), self.ports.get("idp", 0))

    def sso_settings(self):
        """The SSO knobs, the URLs filled in, and "config": what GET /v2/authorize/sso
        gives unless "body" overrides it."""
        with self.lock:
            s = dict(self.sso)
        base = self.idp_base()
        s["redirectUri"] = s["redirectUri"] if s["redirectUri"] is not None else base + SSO_CALLBACK
        if s["authorizationEndpoint"] is None:
            s["authorizationEndpoint"] = base + IDP_AUTHORIZE
        s["config"] = {"enabled": s["enabled"], "authorizationEndpoint": s["authorizationEndpoint"],
                       "clientId": s["clientId"], "redirectUri": s["redirectUri"],
                       "scope": s["scope"], "pkce": s["pkce"]}
        return s

    def set_sso(self, req):
        """Change some SSO knobs (SSO_KNOBS); "body": null ends an override."""
        if not isinstance(req, dict):
            raise ValueError("sso needs a JSON object")
        for k, v in req.items():
            kind = SSO_KNOBS.get(k)
            if kind is None:
                raise ValueError("unknown sso knob %r (one of %s)" % (k, ", ".join(SSO_KNOBS)))
            if not isinstance(v, kind) or (kind is not bool and isinstance(v, bool)):
                raise ValueError("bad type for sso knob %r" % k)
        if "codeLifetime" in req and not req["codeLifetime"] > 0:
            raise ValueError("codeLifetime must be > 0")
        with self.lock:
            self.sso.update(req)

    def sso_reply(self):
        """The body GET /v2/authorize/sso answers: the override, else the configuration."""
        s = self.sso_settings()
        return s["body"] if s["body"] is not None else s["config"]

    def new_sso_code(self, user, client_id, redirect_uri, scope, state, challenge, method):
        """A fresh authorization code bound to the rest (the next chosen one if any)."""
        now = time.time()
        with self.lock:
            if len(self.sso_codes) >= PURGE_AT:
                self.sso_codes = {k: v for k, v in self.sso_codes.items()
                                  if v["expires"] > now and not v["used"]}
            code = self.next_sso_codes.pop(0) if self.next_sso_codes else None
            code = code or secrets.token_urlsafe(24)
            self.sso_codes[code] = {
                "user": user, "clientId": client_id, "redirectUri": redirect_uri,
                "scope": scope, "state": state, "challenge": challenge,
                "challengeMethod": method,
                "issued": now, "expires": now + self.sso["codeLifetime"], "used": False}
        return code

    def redeem_sso(self, code, redirect_uri, verifier):
        """(verdict, the code's record or None): "ok", or why the exchange fails:
        unknown, used, expired, redirect_uri, no-verifier, verifier-format,
        verifier-mismatch, unexpected-verifier. The first exchange that names a live code
        uses it up, whether it passes or not (a stolen code tried with a guess is dead)."""
        now = time.time()
        with self.lock:
            rec = self.sso_codes.get(code)
            if rec is None:
                return "unknown", None
            out = dict(rec)
            if rec["used"]:
                return "used", out
            if rec["expires"] <= now:
                return "expired", out
            rec["used"] = True
        if redirect_uri != out["redirectUri"]:
            return "redirect_uri", out
        if out["challenge"] is None:
            return ("unexpected-verifier" if verifier is not None else "ok"), out
        if verifier is None:
            return "no-verifier", out
        if not PKCE_VERIFIER.fullmatch(verifier):
            return "verifier-format", out
        if not hmac.compare_digest(s256(verifier), out["challenge"]):
            return "verifier-mismatch", out
        return "ok", out

    def sso_code_list(self):
        now = time.time()
        with self.lock:
            return [dict(v, code=k, expiresIn=round(v["expires"] - now, 3),
                         live=not v["used"] and v["expires"] > now)
                    for k, v in self.sso_codes.items()]

    def expire_sso_codes(self, code=None, age=None):
        """Expire now (or with AGE: make AGE seconds older) the codes (or CODE). Returns
        (how many were live and now are expired, how many were touched)."""
        now = time.time()
        expired = touched = 0
        with self.lock:
            for k, v in self.sso_codes.items():
                if code is not None and k != code:
                    continue
                was_live = not v["used"] and v["expires"] > now
                touched += 1
                if age is None:
                    v["expires"] = min(v["expires"], now - 1)
                else:
                    v["issued"] -= age
                    v["expires"] -= age
                if was_live and v["expires"] <= now:
                    expired += 1
        return expired, touched

    def annotate(self, rec, **kw):
        """Add facts to a request log entry after the reply (under the lock)."""
        with self.lock:
            rec.setdefault("sso", {}).update(kw)

    def log_idp(self, rec):
        with self.lock:
            self.idp_requests.append(rec)

    # -- password change ---------------------------------------------------
    def change_password(self, name, new):
        """Return None on success, else why the policy refuses `new`."""
        with self.lock:
            why = password_policy(new, self.history.get(name, [])[-3:])
            if why is None:
                self.users[name]["password"] = new
                self.history.setdefault(name, []).append(new)
            return why

    # -- fault mode --------------------------------------------------------
    def set_mode(self, mode):
        with self.lock:
            self.mode = None if mode["mode"] == "normal" else mode

    def get_mode(self):
        with self.lock:
            return dict(self.mode) if self.mode else None

    def take_fault(self, listener, path, method=None):
        """The fault to apply to this request, if any (consumes a count)."""
        with self.lock:
            m = self.mode
            if m is None:
                return None
            if m.get("path") is not None and m["path"] != path:
                return None
            if m.get("method") is not None and m["method"] != method:
                return None
            if m.get("listener") is not None and m["listener"] != listener:
                return None
            if m.get("count") is not None:
                m["count"] -= 1
                if m["count"] <= 0:
                    self.mode = None
            return dict(m)


def password_policy(pw, recent):
    if len(pw) < 8:
        return "Password must be at least 8 characters long"
    if not any(c.isupper() for c in pw):
        return "Password must contain an upper-case letter"
    if not any(c.islower() for c in pw):
        return "Password must contain a lower-case letter"
    if not any(c.isdigit() for c in pw):
        return "Password must contain a digit"
    if all(c.isalnum() for c in pw):
        return "Password must contain a special character"
    if pw in recent:
        return "Password was used recently"
    return None


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    # ThreadingMixIn would otherwise join every handler thread on close,
    # which never ends while a "hang" connection is held.
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, name, addr, handler, state, ssl_ctx=None):
        self.name = name
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.ssl_ctx = ssl_ctx
        super().__init__(addr, handler)
        # BaseHTTPRequestHandler reads these; HTTPServer would set them with
        # a reverse-DNS lookup we do not want.
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_ctx is not None:
            # No handshake here: the accept loop is shared by all clients.
            sock = self.ssl_ctx.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError)):
            # Clients going away mid-reply is routine in fault tests.
            if VERBOSE:
                warn("%s: connection from %s: %s" % (self.name, client_address, exc))
            return
        super().handle_error(request, client_address)


class BaseHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server_version = "mock-alianza/1"
    sys_version = ""

    def setup(self):
        self.conn_id = self.server.state.new_connection(self.server.name)
        self.handshake_ok = True
        if isinstance(self.request, ssl.SSLSocket):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
            self.request.settimeout(HANDSHAKE_TIMEOUT)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.handshake_ok = False
                warn("%s: TLS handshake with %s:%s failed: %s"
                     % (self.server.name, self.client_address[0],
                        self.client_address[1], getattr(e, "reason", None) or e))
        super().setup()

    def handle(self):
        if self.handshake_ok:
            super().handle()

    def log_message(self, fmt, *args):
        if VERBOSE:
            warn("%s #%d: %s" % (self.server.name, self.conn_id, fmt % args))

    # -- I/O helpers -------------------------------------------------------
    def read_body(self):
        """Return the request body bytes, or None after answering an error."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            return self._read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.send_json(400, self.envelope("INVALID_REQUEST", "Bad Content-Length"),
                           close=True)
            return None
        if n > MAX_BODY:
            self.send_json(413, self.envelope("PAYLOAD_TOO_LARGE", "Request body too large"),
                           close=True)
            return None
        return self.rfile.read(n)

    def _read_chunked(self):
        body = b""
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.send_json(400, self.envelope("INVALID_REQUEST", "Bad chunk"), close=True)
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():   # trailers
                    pass
                return body
            if len(body) + size > MAX_BODY:
                self.send_json(413, self.envelope("PAYLOAD_TOO_LARGE",
                                                  "Request body too large"), close=True)
                return None
            body += self.rfile.read(size)
            self.rfile.readline(16)

    def send_raw(self, status, body=b"", ctype="application/json",
                 headers=(), close=False, length=None):
        """Status line, headers and body in one write (one TLS record burst)."""
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status %d" % status
        lines = ["HTTP/1.1 %d %s" % (status, phrase),
                 "Server: " + self.server_version,
                 "Date: " + self.date_time_string()]
        if ctype:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % (len(body) if length is None else length))
        lines.extend("%s: %s" % kv for kv in headers)
        if close or self.close_connection:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.log_request(status, len(body) if length is None else length)
        self.wfile.write(head + body)

    def send_json(self, status, obj, headers=(), close=False):
        self.send_raw(status, json.dumps(obj).encode("utf-8"),
                      headers=headers, close=close)

    def envelope(self, code, message, **data):
        return error_body(self.server.state.dialect, code, message,
                          path=urllib.parse.urlsplit(self.path).path, data=data)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET


# --------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------

def carried_refresh(body):
    """The refresh token a request body carries ({"refreshToken": "..."}), else None."""
    try:
        obj = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(obj, dict) and isinstance(obj.get("refreshToken"), str):
        return obj["refreshToken"]
    return None


class APIHandler(BaseHandler):

    def dispatch(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        body = self.read_body()
        self.log_rec = {
            "listener": self.server.name, "conn": self.conn_id,
            "time": time.time(), "method": self.command, "path": self.path,
            "headers": self._headers_dict(),
            "body_b64": base64.b64encode(body or b"").decode("ascii"),
            "token": self.carried_token(), "refreshToken": carried_refresh(body),
        }
        if path == SSO_PATH and self.command == "POST":
            # what the exchange sent, decoded leniently (the strict reading is the verdict)
            q = lenient_query(url.query)
            self.log_rec["sso"] = {
                "query": url.query, "params": q, "code": q.get("code"),
                "redirect_uri": q.get("redirect_uri"), "code_verifier": q.get("code_verifier"),
                "verdict": None, "status": None, "user": None, "challenge": None,
                "challengeMethod": None, "verifierMatched": None, "authToken": None,
                "why": None}
        state.log_request(self.log_rec)
        if body is None:
            return
        fault = state.take_fault(self.server.name, path, self.command)
        if fault is not None:
            if fault["mode"] == "slow":
                time.sleep(fault.get("delay", 1.0))
            else:
                getattr(self, "fault_" + fault["mode"])(fault, path, body)
                return
        if state.dialect == "foodxchange":
            self.fx_api(path, body)
        else:
            self.api(path, body)

    def _headers_dict(self):
        out = {}
        for k, v in self.headers.items():
            k = k.lower()
            out[k] = out[k] + ", " + v if k in out else v
        return out

    def carried_token(self):
        """The token this request carries in the dialect's header (None: none)."""
        if self.server.state.dialect != "foodxchange":
            return self.headers.get("X-AUTH-TOKEN")
        vals = self.headers.get_all("Authorization") or []
        m = BEARER_RE.fullmatch(vals[0]) if len(vals) == 1 else None
        return m.group(1) if m else None

    def fail(self, status, code, message, headers=(), **extra):
        self.send_json(status, self.envelope(code, message, **extra), headers=headers)

    def json_body(self, body, *fields, forbidden=()):
        """Decode a JSON object whose `fields` are strings and that has none of the
        `forbidden` members, or answer 400."""
        try:
            obj = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            obj = None
        if not isinstance(obj, dict) or not all(isinstance(obj.get(f), str) for f in fields):
            self.fail(400, "INVALID_REQUEST",
                      "Request body must be a JSON object with string %s"
                      % ", ".join(fields))
            return None
        bad = [f for f in forbidden if f in obj]
        if bad:
            self.fail(400, "INVALID_REQUEST", "Unknown field %s" % ", ".join(bad))
            return None
        return obj

    def login_ok(self, name, user):
        facts = self.server.state.issue_token(name, user)
        self.send_json(200, login_body(self.server.state.dialect, facts))

    def api(self, path, body):
        routes = {
            ("POST", "/v2/authorize"): self.authorize,
            ("PUT", "/v2/authorize"): self.change_password,
            ("POST", "/v2/authorize/2fa"): self.second_factor,
            ("GET", "/v2/authorize/userinfo"): self.userinfo,
            ("PUT", "/v2/authorize/logout"): self.logout,
            ("POST", "/v2/authorize/jwt"): self.jwt,
            ("GET", SSO_PATH): self.sso_config,
            ("POST", SSO_PATH): self.sso_exchange,
        }
        route = routes.get((self.command, path))
        if route is None:
            self.fail(404, "NOT_FOUND", "No such resource")
        else:
            route(body)

    def fx_api(self, path, body):
        routes = {
            "/api/v1/auth/login": ("POST", self.fx_login),
            "/api/v1/auth/2fa/authenticate": ("POST", self.second_factor),
            "/api/v1/auth/session": ("GET", self.fx_session),
            "/api/v1/auth/logout": ("POST", self.fx_logout),
            "/api/v1/auth/refresh": ("POST", self.fx_refresh),
        }
        route = routes.get(path)
        if route is None:
            self.fail(404, "NOT_FOUND", "No such resource")
        elif route[0] != self.command:
            self.fail(405, "METHOD_NOT_ALLOWED", "Method not allowed",
                      headers=[("Allow", route[0])])
        else:
            route[1](body)

    def check_credentials(self, name, password):
        """The user record if user name and password are right, else None
        after answering the error."""
        user = self.server.state.user(name) if name is not None else None
        if user is None:
            if self.server.state.dialect == "foodxchange":
                # the service does not say whether an e-mail is known
                self.fail(401, "INVALID_CREDENTIALS", "Invalid credentials")
            else:
                self.fail(404, "USER_NOT_FOUND", "User not found")
            return None
        if user["locked"]:
            self.fail(403, "ACCOUNT_LOCKED", "Account is locked")
            return None
        if not hmac.compare_digest(user["password"].encode("utf-8"),
                                   password.encode("utf-8")):
            self.fail(401, "INVALID_CREDENTIALS", "Invalid credentials")
            return None
        return user

    def log_in(self, name, password):
        user = self.check_credentials(name, password)
        if user is None:
            return
        if user["totp"]:
            sid = self.server.state.new_session(name)
            msg = "Two-factor authentication is required"
            if user["envelope"] == "foodx" and self.server.state.dialect != "foodxchange":
                self.send_json(401, error_body("foodxchange", "2FA_REQUIRED", msg,
                                               data={"sessionId": sid}))
            else:
                self.fail(401, "2FA_REQUIRED", msg, sessionId=sid)
            return
        self.login_ok(name, user)

    def authorize(self, body):
        req = self.json_body(body, "userName", "password")
        if req is not None:
            self.log_in(req["userName"], req["password"])

    def fx_login(self, body):
        req = self.json_body(body, "email", "password", forbidden=("userName",))
        if req is not None:
            self.log_in(fixture_name("foodxchange", req["email"]), req["password"])

    def second_factor(self, body):
        req = self.json_body(body, "sessionId", "token")
        if req is None:
            return
        result, name = self.server.state.check_session(req["sessionId"], req["token"])
        if result == "expired":
            self.fail(401, "2FA_SESSION_EXPIRED", "Two-factor session expired")
        elif result == "bad":
            self.fail(401, "INVALID_2FA_TOKEN", "Invalid two-factor code")
        else:
            user = self.server.state.user(name)
            if user is None:          # removed by a test in between
                self.fail(401, "2FA_SESSION_EXPIRED", "Two-factor session expired")
            else:
                self.login_ok(name, user)

    def userinfo(self, body):
        info = self.server.state.token_info(self.headers.get("X-AUTH-TOKEN", ""))
        if info is None:
            self.fail(401, "UNAUTHORIZED", "Invalid or expired token")
        else:
            self.send_json(200, whoami_body("alianza", info))

    def logout(self, body):
        if self.server.state.kill_token(self.headers.get("X-AUTH-TOKEN", "")) == "ok":
            self.send_raw(200, b"", ctype=None)
        else:
            self.fail(401, "UNAUTHORIZED", "Invalid or expired token")

    def fx_bearer(self):
        """The live access token of this foodxchange call and its record, or None after
        answering 401: exactly one "Authorization: Bearer <token>" and no X-AUTH-TOKEN."""
        if self.headers.get("X-AUTH-TOKEN") is not None:
            self.fail(401, "UNAUTHORIZED", "X-AUTH-TOKEN is not accepted; use Authorization: Bearer")
            return None
        token = self.carried_token()
        if token is None:
            self.fail(401, "UNAUTHORIZED", "Authorization: Bearer token required")
            return None
        status, rec = self.server.state.token_status(token)
        if status == "expired":
            self.fail(401, "TOKEN_EXPIRED", "Access token expired")
            return None
        if status != "ok":
            self.fail(401, "UNAUTHORIZED", "Invalid token")
            return None
        return token, rec

    def fx_session(self, body):
        got = self.fx_bearer()
        if got is not None:
            rec = got[1]
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rec["expires"]))
            self.send_json(200, whoami_body("foodxchange", self.server.state.current_facts(rec),
                                            rec.get("session"), expires))

    def fx_logout(self, body):
        got = self.fx_bearer()
        if got is None:
            return
        status = self.server.state.kill_token(got[0])
        if status == "ok":
            self.send_json(200, logout_body("foodxchange"))
        elif status == "expired":
            self.fail(401, "TOKEN_EXPIRED", "Access token expired")
        else:
            self.fail(401, "UNAUTHORIZED", "Invalid token")

    def fx_refresh(self, body):
        req = self.json_body(body, "refreshToken")
        if req is None:
            return
        status, facts = self.server.state.refresh_token(req["refreshToken"])
        if status == "ok":
            self.send_json(200, refresh_body(facts["authToken"], facts["expiresIn"]))
        elif status == "expired":
            self.fail(401, "TOKEN_EXPIRED", "Refresh token expired")
        else:
            self.fail(401, "UNAUTHORIZED", "Invalid refresh token")

    def change_password(self, body):
        req = self.json_body(body, "userName", "password", "newPassword")
        if req is None:
            return
        if self.check_credentials(req["userName"], req["password"]) is None:
            return
        why = self.server.state.change_password(req["userName"], req["newPassword"])
        if why:
            self.fail(400, "PASSWORD_POLICY", why)
        else:
            self.send_json(200, {"message": "Password changed"})

    def sso_config(self, body):
        """GET /v2/authorize/sso: the SSO configuration (or the test's override of it)."""
        if body:
            self.fail(400, "INVALID_REQUEST", "GET /v2/authorize/sso takes no body")
            return
        self.send_json(200, self.server.state.sso_reply())

    def sso_refuse(self, verdict, why, **facts):
        self.server.state.annotate(self.log_rec, verdict=verdict, status=401, why=why, **facts)
        self.fail(401, "INVALID_SSO_CODE", "Invalid SSO code: " + why)

    def sso_exchange(self, body):
        """POST /v2/authorize/sso?code=&redirect_uri=[&code_verifier=], no body: strict."""
        state = self.server.state
        if body:
            return self.sso_refuse("body", "the exchange takes no body")
        params, why = strict_query(urllib.parse.urlsplit(self.path).query, SSO_PARAMS)
        if params is None:
            return self.sso_refuse("query", why)
        if not params.get("code"):
            return self.sso_refuse("no-code", "no code")
        verifier = params.get("code_verifier")
        verdict, rec = state.redeem_sso(params["code"], params.get("redirect_uri"), verifier)
        facts = {}
        if rec is not None:
            facts = {"user": rec["user"], "challenge": rec["challenge"],
                     "challengeMethod": rec["challengeMethod"]}
            if rec["challenge"] is not None and verifier is not None:
                facts["verifierMatched"] = hmac.compare_digest(s256(verifier), rec["challenge"])
        if verdict != "ok":
            why = {"unknown": "unknown code", "used": "code already used",
                   "expired": "code expired", "redirect_uri": "redirect_uri is not the code's",
                   "no-verifier": "code_verifier missing (the code has a challenge)",
                   "verifier-format": "code_verifier is not 43-128 unreserved characters",
                   "verifier-mismatch": "code_verifier does not match the challenge",
                   "unexpected-verifier": "code_verifier given, the code has no challenge",
                   }[verdict]
            return self.sso_refuse(verdict, why, **facts)
        user = state.user(rec["user"])
        if user is None:            # removed by a test in between
            return self.sso_refuse("no-user", "the code's user is gone", **facts)
        if user["locked"]:
            state.annotate(self.log_rec, verdict="locked", status=403, **facts)
            self.fail(403, "ACCOUNT_LOCKED", "Account is locked")
            return
        out = state.issue_token(rec["user"], user, via="sso")
        state.annotate(self.log_rec, verdict="ok", status=200, authToken=out["authToken"], **facts)
        self.send_json(200, login_body(state.dialect, out))

    def jwt(self, body):
        req = self.json_body(body, "token")
        if req is None:
            return
        parts = req["token"].split(".")
        name = None
        if len(parts) == 3 and parts[2] == "valid-signature":
            try:
                claims = json.loads(base64.urlsafe_b64decode(
                    parts[1] + "=" * (-len(parts[1]) % 4)))
                if isinstance(claims, dict) and isinstance(claims.get("sub"), str):
                    name = claims["sub"]
            except ValueError:
                pass
        user = self.server.state.user(name) if name is not None else None
        if user is None:
            self.fail(401, "UNAUTHORIZED", "Invalid token")
        elif user["locked"]:
            self.fail(403, "ACCOUNT_LOCKED", "Account is locked")
        else:
            self.login_ok(name, user)

    # -- fault modes (each answers the request in its own broken way) ---------
    def fake_login_body(self, body, with_token=True):
        """A login success for whoever BODY names (a fault's canned answer)."""
        dialect = self.server.state.dialect
        field = "email" if dialect == "foodxchange" else "userName"
        fallback = api_name(dialect, "alice")
        try:
            name = json.loads(body).get(field) or fallback
        except (ValueError, AttributeError):
            name = fallback
        facts = {"tokenType": "Bearer", "expiresIn": TOKEN_LIFETIME,
                 "userId": "u-fault", "partitionId": "p-main",
                 "partitionName": "Main Co",
                 "userType": role_of(dialect, {"userType": "MANAGEMENT_USER"}),
                 "userName": name if isinstance(name, str) else fallback}
        if dialect == "foodxchange":
            facts["name"] = "fault"
        if with_token:
            facts["authToken"] = "fault-" + secrets.token_urlsafe(32)
            if dialect == "foodxchange":
                facts["refreshToken"] = "fault-r-" + secrets.token_urlsafe(32)
        return json.dumps(login_body(dialect, facts)).encode("utf-8")

    def fault_hang(self, fault, path, body):
        # Hold the connection until the client gives up (or HANG_LIMIT).
        self.close_connection = True
        deadline = time.monotonic() + HANG_LIMIT
        self.connection.settimeout(1.0)
        while time.monotonic() < deadline:
            try:
                if not self.connection.recv(4096):
                    return
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return

    def fault_drip(self, fault, path, body):
        self.close_connection = True
        data = self.fake_login_body(body)
        delay = fault.get("delay", 1.0)
        self.send_raw(200, b"", length=len(data))
        for i in range(len(data)):
            time.sleep(delay)
            self.wfile.write(data[i:i + 1])

    def fault_huge(self, fault, path, body):
        size = fault.get("size", 20 << 20)
        if self.server.state.dialect == "foodxchange":
            head = b'{"success":true,"data":{"tokens":{"accessToken":"x"}},"pad":"'
        else:
            head = b'{"authToken":"x","pad":"'
        tail = b'"}'
        pad = max(0, size - len(head) - len(tail))
        self.send_raw(200, head, length=len(head) + pad + len(tail))
        chunk = b"a" * 65536
        while pad > 0:
            n = min(pad, len(chunk))
            self.wfile.write(chunk[:n])
            pad -= n
        self.wfile.write(tail)

    def fault_truncated(self, fault, path, body):
        # A complete, valid-looking login body, but less than announced: a
        # client must not accept it.
        data = self.fake_login_body(body)
        self.send_raw(200, data, length=len(data) + 64, close=True)

    def fault_malformed(self, fault, path, body):
        if self.server.state.dialect == "foodxchange":
            self.send_raw(200, b'{"success": true, "data": {"tokens": {"accessToken": "abc",')
        else:
            self.send_raw(200, b'{"authToken": "abc",')

    def fault_notoken(self, fault, path, body):
        self.send_raw(200, self.fake_login_body(body, with_token=False))

    def fault_body(self, fault, path, body):
        self.send_raw(fault.get("status", 200), fault.get("body", "").encode("utf-8"),
                      ctype=fault.get("content_type", "application/json"),
                      headers=list(fault.get("headers", {}).items()))

    def fault_status(self, fault, path, body):
        if fault.get("delay"):
            time.sleep(fault["delay"])      # a slow failure: parallel clients all wait in it
        status = fault.get("status", 500)
        code = fault.get("code") or DEFAULT_ERROR_CODES.get(
            status, "INTERNAL_ERROR" if status >= 500 else "ERROR")
        headers = []
        if fault.get("retry_after") is not None:
            headers.append(("Retry-After", str(fault["retry_after"])))
        self.send_json(status, self.envelope(code, fault.get("message", "Injected error")),
                       headers=headers)

    def fault_redirect(self, fault, path, body):
        host = self.server.server_name
        loc = fault.get("location") or "https://%s:%d%s" % (
            "[%s]" % host if ":" in host else host, self.server.state.ports["recorder"],
            OPS[self.server.state.dialect]["login"][1])
        self.send_raw(fault.get("status", 302), b"", ctype=None,
                      headers=[("Location", loc)])

    def fault_close(self, fault, path, body):
        self.close_connection = True


# --------------------------------------------------------------------------
# The test identity provider (the idp listener): what the user's browser talks to
# --------------------------------------------------------------------------

LOGIN_FORM = """<!DOCTYPE html>
<html><head><title>Mock identity provider</title></head><body>
<h1>Sign in to the mock identity provider</h1>
<p>%(why)s</p>
<form method="post" action="%(action)s">
<label>User <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form></body></html>
"""
CALLBACK_PAGE = """<!DOCTYPE html>
<html><head><title>Sign-in code</title></head><body>
<h1>Your sign-in code</h1>
<p>Paste this code, or this page's whole address, where you were asked for it:</p>
<pre id="code">%(code)s</pre>
</body></html>
"""


def html_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


class IdPHandler(BaseHandler):
    """GET|POST /idp/authorize signs a fixture user in (HTTP Basic, or a form POST of
    username and password) and answers 302 to redirect_uri?code=..&state=..; GET on the
    redirectUri's path (default /sso/callback) is the page that shows the code."""

    def dispatch(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if body is None:
            return
        self.idp_rec = {"conn": self.conn_id, "time": time.time(), "method": self.command,
                        "path": self.path, "query": lenient_query(url.query), "user": None,
                        "status": None, "location": None, "error": None}
        try:
            settings = state.sso_settings()
            callback = urllib.parse.urlsplit(settings["redirectUri"]).path
            if url.path == IDP_AUTHORIZE and self.command in ("GET", "POST"):
                self.authorize(settings, url, body)
            elif url.path in (callback, SSO_CALLBACK) and self.command == "GET":
                self.callback(url)
            else:
                self.idp_fail(404, "not_found", "no such page")
        finally:
            state.log_idp(self.idp_rec)

    def idp_fail(self, status, error, description, headers=(), html=None):
        self.idp_rec.update(status=status, error="%s: %s" % (error, description))
        if html is not None:
            self.send_raw(status, html.encode("utf-8"), ctype="text/html; charset=utf-8",
                          headers=headers)
        else:
            self.send_json(status, {"error": error, "error_description": description},
                           headers=headers)

    def oauth_params(self, settings, query):
        """The authorization request's parameters, or (None, why) (a 400): RFC 6749
        section 4.1.1 and RFC 7636 section 4.3, against the configured client."""
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        params = {}
        for k, v in pairs:
            if k in params:
                return None, "parameter %s given twice" % k
            params[k] = v
        if params.get("response_type") != "code":
            return None, "response_type must be code"
        if params.get("client_id") != settings["clientId"]:
            return None, "unknown client_id"
        if params.get("redirect_uri") != settings["redirectUri"]:
            return None, "redirect_uri is not the client's"
        if params.get("scope") != settings["scope"]:
            return None, "scope is not the client's"
        if not params.get("state"):
            return None, "state missing"
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is None and method is not None:
            return None, "code_challenge_method without code_challenge"
        if challenge is None and settings["pkce"]:
            return None, "code_challenge required (PKCE)"
        if challenge is not None:
            if method != "S256":
                return None, "code_challenge_method must be S256"
            if not PKCE_CHALLENGE.fullmatch(challenge):
                return None, "code_challenge is not 43 base64url characters"
        return params, None

    def signed_in(self, body):
        """The fixture user the request signs in (Basic, or a form body), else
        (None, why)."""
        name = password = None
        auth = self.headers.get("Authorization")
        if auth is not None:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "basic":
                return None, "only Basic credentials"
            try:
                name, _, password = base64.b64decode(value, validate=True).decode(
                    "utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return None, "bad Basic credentials"
        elif self.command == "POST":
            try:
                form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                form = {}
            name, password = form.get("username"), form.get("password")
        if name is None or password is None:
            return None, "sign in"
        self.idp_rec["user"] = name
        user = self.server.state.user(name)
        if user is None or not hmac.compare_digest(user["password"].encode("utf-8"),
                                                   password.encode("utf-8")):
            return None, "wrong user name or password"
        return name, user

    def authorize(self, settings, url, body):
        params, why = self.oauth_params(settings, url.query)
        if params is None:
            return self.idp_fail(400, "invalid_request", why)
        name, user = self.signed_in(body)
        if name is None:
            form = LOGIN_FORM % {"why": html_escape(user), "action": html_escape(self.path)}
            return self.idp_fail(401, "login_required", user, html=form,
                                 headers=[("WWW-Authenticate", 'Basic realm="mock-idp"')])
        # a locked Alianza account still signs in here (the company's provider does not
        # know it): the exchange answers 403 ACCOUNT_LOCKED, as a log-in would
        code = self.server.state.new_sso_code(
            name, params["client_id"], params["redirect_uri"], params["scope"], params["state"],
            params.get("code_challenge"), params.get("code_challenge_method"))
        target = params["redirect_uri"]
        loc = target + ("&" if "?" in target else "?") + urllib.parse.urlencode(
            {"code": code, "state": params["state"]}, quote_via=urllib.parse.quote)
        self.idp_rec.update(status=302, location=loc, code=code)
        self.send_raw(302, b"", ctype=None, headers=[("Location", loc),
                                                      ("Cache-Control", "no-store")])

    def callback(self, url):
        q = urllib.parse.parse_qs(url.query)
        code = (q.get("code") or [""])[0]
        if not code:
            return self.idp_fail(400, "invalid_request", "no code")
        self.idp_rec["status"] = 200
        page = CALLBACK_PAGE % {"code": html_escape(code)}
        self.send_raw(200, page.encode("utf-8"), ctype="text/html; charset=utf-8")


# --------------------------------------------------------------------------
# Recorder: a raw TCP sink
# --------------------------------------------------------------------------

class RecorderHandler(socketserver.BaseRequestHandler):
    def handle(self):
        state = self.server.state
        conn = state.new_connection(self.server.name)
        data = b""
        deadline = time.monotonic() + RECORDER_WINDOW
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.request.settimeout(left)
                chunk = self.request.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        state.record({"conn": conn, "time": time.time(), "bytes": len(data),
                      "head": data[:200].decode("latin-1")})


# --------------------------------------------------------------------------
# Control API
# --------------------------------------------------------------------------

class ControlHandler(BaseHandler):

    def dispatch(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        body = self.read_body()
        if body is None:
            return
        try:
            req = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            return self.send_json(400, {"ok": False, "error": "body is not JSON"})
        cmd = self.command
        try:
            if cmd == "POST" and path == "/mode":
                state.set_mode(validate_mode(req))
                return self.send_json(200, {"ok": True})
            if cmd == "GET" and path == "/mode":
                return self.send_json(200, state.get_mode())
            if cmd == "POST" and path == "/reset":
                state.reset()
                return self.send_json(200, {"ok": True})
            if cmd == "GET" and path == "/requests":
                with state.lock:
                    reqs = list(state.requests)
                return self.send_json(200, reqs)
            if cmd == "GET" and path == "/recorder":
                with state.lock:
                    rec = list(state.recorded)
                return self.send_json(200, rec)
            if cmd == "GET" and path == "/stats":
                with state.lock:
                    conns = {k: state.connections.get(k, 0) for k in state.ports}
                    n = state.req_seq
                return self.send_json(200, {"connections": conns, "requests": n})
            if cmd == "GET" and path == "/tokens":
                return self.send_json(200, state.live_tokens())
            if cmd == "GET" and path == "/refresh-tokens":
                return self.send_json(200, state.live_refresh_tokens())
            if cmd == "POST" and path == "/expire":
                if not isinstance(req, dict) or not (isinstance(req.get("user"), str)
                                                      or isinstance(req.get("token"), str)):
                    raise ValueError("expire needs a string user or token")
                n = state.expire(user=req.get("user"), token=req.get("token"),
                                 refresh=bool(req.get("refresh")))
                return self.send_json(200, {"ok": True, "expired": n})
            if cmd == "POST" and path == "/next-tokens":
                if not isinstance(req, dict) or ("tokens" not in req and "refreshTokens" not in req):
                    raise ValueError("next-tokens needs tokens and/or refreshTokens")
                lists = {}
                for key in ("tokens", "refreshTokens"):
                    toks = req.get(key, [])
                    if not isinstance(toks, list) or not all(isinstance(x, str) and x for x in toks):
                        raise ValueError("%s must be a list of non-empty strings" % key)
                    lists[key] = list(toks)
                with state.lock:
                    if "tokens" in req:
                        state.next_tokens = lists["tokens"]
                    if "refreshTokens" in req:
                        state.next_refresh = lists["refreshTokens"]
                return self.send_json(200, {"ok": True})
            if cmd == "GET" and path == "/sso":
                return self.send_json(200, state.sso_settings())
            if cmd == "POST" and path == "/sso":
                state.set_sso(req)
                return self.send_json(200, state.sso_settings())
            if cmd == "GET" and path == "/sso/codes":
                return self.send_json(200, state.sso_code_list())
            if cmd == "POST" and path == "/sso/expire":
                if not isinstance(req, dict) or set(req) - {"code", "age"} or not (
                        req.get("code") is None or isinstance(req["code"], str)) or not (
                        req.get("age") is None or (isinstance(req["age"], (int, float))
                                                   and not isinstance(req["age"], bool)
                                                   and req["age"] >= 0)):
                    raise ValueError("sso/expire takes an optional string code and age >= 0")
                n, touched = state.expire_sso_codes(req.get("code"), req.get("age"))
                return self.send_json(200, {"ok": True, "expired": n, "touched": touched})
            if cmd == "POST" and path == "/sso/next-codes":
                codes = req.get("codes") if isinstance(req, dict) else None
                if not isinstance(codes, list) or not all(isinstance(x, str) and x for x in codes):
                    raise ValueError("next-codes needs codes, a list of non-empty strings")
                with state.lock:
                    state.next_sso_codes = list(codes)
                return self.send_json(200, {"ok": True})
            if cmd == "GET" and path == "/idp/requests":
                with state.lock:
                    reqs = list(state.idp_requests)
                return self.send_json(200, reqs)
            if cmd == "GET" and path == "/health":
                return self.send_json(200, {"ok": True, "dialect": state.dialect})
            if cmd == "POST" and path.startswith("/users/"):
                name = urllib.parse.unquote(path[len("/users/"):])
                state.put_user(name, req)
                return self.send_json(200, {"ok": True})
            if cmd == "GET" and path.startswith("/totp/"):
                name = urllib.parse.unquote(path[len("/totp/"):])
                user = state.user(name)
                if not user or not user["totp"]:
                    return self.send_json(404, {"ok": False, "error": "no TOTP user"})
                code = totp(user["totp"], int(query.get("offset", ["0"])[0]))
                if query.get("raw", ["0"])[0] not in ("0", ""):
                    return self.send_raw(200, code.encode() + b"\n", ctype="text/plain")
                return self.send_json(200, {"code": code})
        except ValueError as e:
            return self.send_json(400, {"ok": False, "error": str(e)})
        self.send_json(404, {"ok": False, "error": "unknown control call"})


def validate_mode(req):
    if not isinstance(req, dict) or req.get("mode") not in FAULT_MODES:
        raise ValueError("mode must be one of " + ", ".join(FAULT_MODES))
    m = dict(req)
    for key, kind in (("delay", (int, float)), ("size", int), ("status", int),
                      ("count", int), ("retry_after", (int, str)),
                      ("body", str), ("code", str), ("location", str),
                      ("path", str), ("listener", str), ("content_type", str),
                      ("message", str), ("headers", dict), ("method", str)):
        if m.get(key) is not None and (not isinstance(m[key], kind)
                                       or isinstance(m[key], bool)):
            raise ValueError("bad type for %r" % key)
    if m.get("status") is not None and not 100 <= m["status"] <= 599:
        raise ValueError("status out of range")
    if m.get("count") is not None and m["count"] < 1:
        raise ValueError("count must be >= 1")
    if m.get("delay", 0) < 0 or m.get("size", 0) < 0:
        raise ValueError("delay and size must be >= 0")
    return m


# --------------------------------------------------------------------------
# Start-up
# --------------------------------------------------------------------------

def tls_context(certs, name, legacy=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certs, name + ".pem"),
                        os.path.join(certs, name + ".key"))
    ctx.set_alpn_protocols(["http/1.1"])
    if legacy:
        # OpenSSL 3 only negotiates TLS < 1.2 at security level 0.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def main():
    global VERBOSE, HANDSHAKE_TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True, help="directory made by mkcerts.sh")
    ap.add_argument("--users", required=True, help="users JSON fixture")
    ap.add_argument("--ports-file", required=True, help="where to write the ports JSON")
    ap.add_argument("--dialect", choices=DIALECTS, default="alianza",
                    help="wire shape of the whole mock (API.md section 8; default %(default)s)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--handshake-timeout", type=float, default=HANDSHAKE_TIMEOUT,
                    help="seconds a client may take for the TLS handshake (default %(default)s)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    if not args.handshake_timeout > 0:
        ap.error("--handshake-timeout must be > 0")
    HANDSHAKE_TIMEOUT = args.handshake_timeout

    state = State(args.users, args.dialect)
    state.host = args.bind
    addr = (args.bind, 0)
    servers = []

    def add(name, handler, ctx=None):
        srv = Server(name, addr, handler, state, ctx)
        state.ports[name] = srv.server_address[1]
        servers.append(srv)

    add("main", APIHandler, tls_context(args.certs, "server"))
    add("untrusted", APIHandler, tls_context(args.certs, "untrusted"))
    add("wronghost", APIHandler, tls_context(args.certs, "wronghost"))
    add("expired", APIHandler, tls_context(args.certs, "expired"))
    add("soon", APIHandler, tls_context(args.certs, "soon"))
    try:
        add("tls10", APIHandler, tls_context(args.certs, "server", legacy=True))
    except (ssl.SSLError, ValueError) as e:
        warn("tls10 listener disabled: %s" % e)
    add("idp", IdPHandler, tls_context(args.certs, "server"))
    add("recorder", RecorderHandler)
    add("control", ControlHandler)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                         name="serve-" + srv.name, daemon=True).start()

    ports = dict(state.ports, pid=os.getpid())
    tmp = "%s.tmp.%d" % (args.ports_file, os.getpid())
    with open(tmp, "w") as f:
        json.dump(ports, f)
        f.write("\n")
    os.rename(tmp, args.ports_file)
    if VERBOSE:
        warn("listening: %s" % json.dumps(ports))

    while not stop.wait(1.0):
        pass

    for srv in servers:
        srv.shutdown()
        srv.server_close()
    try:
        with open(args.ports_file) as f:
            if json.load(f).get("pid") == os.getpid():
                os.unlink(args.ports_file)
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
