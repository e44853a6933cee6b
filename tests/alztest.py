"""alztest.py - the PAM-level test bed: a private mount namespace, the mock API, PAM runs, TAP.

Every PAM-level test script imports this. As root it re-executes the script
inside `unshare --mount` and gives that namespace its own /etc/passwd,
/etc/group, /etc/shadow and /dev/log, so tests add users and read the
module's syslog lines without touching the host.
"""
import atexit
import base64
import http.client
import json
import math
import os
import pwd
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BUILDDIR = os.environ.get("ALZ_BUILDDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
SRCDIR = os.environ.get("ALZ_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
MODULE = os.path.join(BUILDDIR, "pam_alianza", ".libs", "pam_alianza.so")
DRIVER = os.path.join(BUILDDIR, "tests", "alz-pamdrive")
PYTHON = "/usr/bin/python3"
# ALZ_WRAP: a command prefix for every driver run (check.sh sets a valgrind line);
# ALZ_SANITIZED=1: the build has ASan/UBSan (sshd and sudo cannot load it).
WRAP = os.environ.get("ALZ_WRAP", "").split()
SANITIZED = os.environ.get("ALZ_SANITIZED") == "1"
# Deadlines stretch under valgrind (a TLS handshake ~20x slower) and the sanitizers;
# ALZ_TIME_SCALE overrides. secs() scales a deadline given to the module, bound() is
# how long a run that must end at such a deadline may take, seen from outside.
TIME_SCALE = float(os.environ.get("ALZ_TIME_SCALE") or (8.0 if WRAP else 2.0 if SANITIZED else 1.0))


# The reply shapes are the mock's own functions: a test's canned reply has the shape the
# mock gives (no bytecode left in the source tree: it may be read-only).
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_api  # noqa: E402
sys.path.pop(0)
sys.dont_write_bytecode = _dont_write

# ALZ_DIALECT picks the API dialect of a whole test file (API.md section 8): the mock is
# started with --dialect, every test config gets api_dialect (and user_template), and the
# Alianza user type names in test configs become FoodXchange roles.
DIALECT = os.environ.get("ALZ_DIALECT") or "alianza"
if DIALECT not in mock_api.DIALECTS:
    print("Bail out! ALZ_DIALECT=%s: not one of %s" % (DIALECT, ", ".join(mock_api.DIALECTS)))
    sys.exit(99)
FX = DIALECT == "foodxchange"
FX_TEMPLATE = "%u" + mock_api.FX_DOMAIN          # the user_template a FoodXchange config gets
# config keys (and module arguments) whose value is a list of user type names
TYPE_LIST_KEYS = ("allowed_user_types", "local_totp_user_types")
# the old group keys, aliases of groups.<TYPE>
GROUP_ALIASES = {"groups_management_user": "MANAGEMENT_USER",
                 "groups_account_user": "ACCOUNT_USER", "groups_end_user": "END_USER"}
DROP = object()                 # a fact (or a member at a pointer) left out of a canned reply
REPLY_TOKEN = "tok-REPLY-0123456789abcdef"        # the access token of a canned reply
REPLY_REFRESH = "ref-REPLY-0123456789abcdef"      # its refresh token (foodxchange)
REPLY_SESSION = "s-REPLY-0123456789abcdef"        # the sessionId of a canned 2FA challenge


def secs(n):
    """N seconds of module deadline (connect_timeout, timeout), scaled, whole seconds."""
    return max(1, int(math.ceil(n * TIME_SCALE)))


# Seconds a driver run may take beyond the deadline it ends at: starting the driver, TLS and
# waiting for a CPU. Measured under valgrind beside stress-ng --cpu 2 on 2 cores: a run that
# waits for nothing took up to 25 s there (1-2 s idle), so 8 s a unit of TIME_SCALE is about
# 2.5x the worst seen; what a bound must catch is a wait for a stalled server (the mock's
# stalls are longer than any bound: HANG_LIMIT 120 s, a drip of minutes, slow delays past it).
SLACK = 8.0 * TIME_SCALE


def bound(deadline):
    """Wall-clock bound of a run that ends at DEADLINE (seconds, already scaled)."""
    return deadline + SLACK


# The mock's TLS handshake timeout (a stalled client must not hold a thread forever): longer
# than any deadline a test gives the module, so the mock never cuts a slow handshake short.
MOCK_HANDSHAKE_TIMEOUT = 60 * TIME_SCALE
# The default service's marker line: the module returned PAM_IGNORE (see Bed.service).
IGNORED = "INFO: MODULE-IGNORED"
TOOL_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Local test accounts: name -> uid (the mock's users.json holds their API side).
LOCAL_USERS = {
    "alice": 2001, "bob": 2002, "erin": 2003, "tess": 2004, "fred": 2005,
    "olga": 2006, "lock": 2007, 'weird"user\\x': 2008, "nora": 2009,
    "lowuid": 500,
}
LOCAL_GROUPS = {"alz-admins": 4001, "alz-staff": 4002, "alz-ops": 4003}
# users for concurrency tests: c00..c19, uid 3000+ (tests add them to the mock)
LOCAL_USERS.update({"c%02d" % i: 3000 + i for i in range(20)})
# who the Alianza users are (alianza_group): every local test account is a member,
# so the tests that are about something else go on testing it
SCOPE_GROUP, SCOPE_GID = "alianza", 4100


# ---------------------------------------------------------------- the API dialect
def dialect():
    """The API dialect of this run: "alianza" (default) or "foodxchange" (ALZ_DIALECT)."""
    return DIALECT


def api_user(local):
    """The API's name of local user LOCAL under the bed's default user_template: "alice",
    or "alice@example.com" in foodxchange (the fixture user's e-mail there)."""
    return local + mock_api.FX_DOMAIN if FX else local


def type_name(name):
    """The dialect's name of an Alianza user type: MANAGEMENT_USER, ACCOUNT_USER, END_USER
    -> admin, buyer, supplier in foodxchange; any other name (and every name in alianza)
    as it is."""
    return mock_api.FX_ROLES.get(name, name) if FX else name


def type_list(value):
    """A list of type names (commas and/or spaces, "all", "none") with each name
    translated by type_name(), the separators kept."""
    return re.sub(r"[A-Za-z0-9_.:@-]+", lambda m: type_name(m.group(0)), str(value))


def translate_args(text):
    """Module arguments (or a whole PAM stack) with the type lists of TYPE_LIST_KEYS
    translated: for a test that writes its own service file."""
    if not FX:
        return text
    return re.sub(r"\b(%s)=(\S+)" % "|".join(TYPE_LIST_KEYS),
                  lambda m: "%s=%s" % (m.group(1), type_list(m.group(2))), text)


def api_path(op):
    """The path of an API call in this dialect, None when the dialect lacks it. OP: login,
    2fa, whoami (userinfo / session), logout, refresh (foodxchange), password, jwt (alianza)."""
    got = mock_api.OPS[DIALECT].get(op)
    return got[1] if got else None


def api_method(op):
    """The HTTP method of an API call in this dialect (None when it lacks it)."""
    got = mock_api.OPS[DIALECT].get(op)
    return got[0] if got else None


def request_body(request):
    """The JSON body of a logged request (from api_requests() or requests()), or None."""
    raw = request.get("body")
    if raw is None:
        raw = base64.b64decode(request.get("body_b64", ""))
    try:
        body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError):
        return None
    return body


def sent_user(request):
    """The user name / e-mail a logged request's body carried, whatever the field (the
    dialect's first: email in foodxchange, userName in alianza); None when none."""
    body = request_body(request)
    if not isinstance(body, dict):
        return None
    for field in (("email", "userName") if FX else ("userName", "email")):
        if isinstance(body.get(field), str):
            return body[field]
    return None


def sent_token(request):
    """The access token a logged request carried in the dialect's header (X-AUTH-TOKEN, or
    Authorization: Bearer), as the mock read it; None when none (or another scheme)."""
    return request.get("token")


def sent_refresh(request):
    """The refresh token a logged request's body carried ({"refreshToken": ...}), or None."""
    return request.get("refreshToken")


_FIXTURE = None


def _fixture_user(user):
    global _FIXTURE
    if _FIXTURE is None:
        with open(os.path.join(SRCDIR, "tests", "fixtures", "users.json"), encoding="utf-8") as f:
            _FIXTURE = json.load(f)
    return _FIXTURE.get(user) or {}


def _pointer_set(obj, pointer, value):
    """Set (or with DROP remove) the member at RFC 6901 POINTER of OBJ, making the objects
    on the way."""
    keys = [k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:]]
    if not keys:
        raise ValueError("pointer %r names the whole body" % pointer)
    for k in keys[:-1]:
        if isinstance(obj, list):
            obj = obj[int(k)]
        else:
            if not isinstance(obj.get(k), (dict, list)):
                obj[k] = {}
            obj = obj[k]
    last = keys[-1]
    if isinstance(obj, list):
        if value is DROP:
            del obj[int(last)]
        else:
            obj[int(last)] = value
    elif value is DROP:
        obj.pop(last, None)
    else:
        obj[last] = value


def _apply(body, at):
    for pointer, value in (at or {}).items():
        _pointer_set(body, pointer, value)
    return body


def _facts(user, overrides):
    """Login facts of fixture user USER (Alianza names, local user name and Alianza type),
    with OVERRIDES (DROP removes one), in the dialect's terms."""
    fix = _fixture_user(user)
    facts = {"authToken": REPLY_TOKEN, "refreshToken": REPLY_REFRESH, "tokenType": "Bearer",
             "expiresIn": mock_api.TOKEN_LIFETIME, "userId": fix.get("userId") or "u-" + user,
             "userName": user, "name": fix.get("name") or user,
             "userType": fix.get("userType") or "ACCOUNT_USER",
             "partitionId": fix.get("partitionId") or "p-main",
             "partitionName": fix.get("partitionName") or "Main Co"}
    role = fix.get("role")
    for k, v in overrides.items():
        if v is DROP:
            facts.pop(k, None)
        else:
            facts[k] = v
    if isinstance(facts.get("userName"), str):
        facts["userName"] = api_user(facts["userName"])
    if isinstance(facts.get("userType"), str):
        facts["userType"] = role if (FX and role and "userType" not in overrides) \
            else type_name(facts["userType"])
    return facts


def login_reply(user="alice", at=None, **facts):
    """A well-formed log-in (or second-factor) success body of this dialect for fixture user
    USER, as a dict (json.dumps it for a body mode). FACTS override the fixture's, under
    Alianza's names: authToken, refreshToken, tokenType, expiresIn, userId, userName (a
    LOCAL name: api_user() is applied, so userName="bob" is bob's success in both dialects),
    name, userType (an Alianza type name: type_name() is applied), partitionId,
    partitionName; DROP leaves one out. AT = {RFC 6901 pointer: value or DROP} then sets
    raw members anywhere, e.g. {"/data/user/email": "x@y"} or {"/data": []}."""
    return _apply(mock_api.login_body(DIALECT, _facts(user, facts)), at)


def whoami_reply(user="alice", at=None, session_id=REPLY_SESSION, expires_at="2099-01-01T00:00:00Z",
                 **facts):
    """A userinfo (alianza) / session (foodxchange) success body for USER, as login_reply."""
    return _apply(mock_api.whoami_body(DIALECT, _facts(user, facts), session_id, expires_at), at)


def error_reply(code, message="Injected error", path=None, at=None, **data):
    """The dialect's error envelope: alianza {"errorCode","message","timestamp","path",
    **DATA}, foodxchange {"success":false,"error":{"code","message","data":DATA}}. PATH
    (alianza's "path" member) defaults to the log-in path."""
    return _apply(mock_api.error_body(DIALECT, code, message,
                                      path=path if path is not None else api_path("login"),
                                      data=data), at)


def challenge_reply(session_id=REPLY_SESSION, message="Two-factor authentication is required",
                    at=None):
    """A 2FA_REQUIRED body of this dialect (send it with status 401); DROP: no sessionId."""
    data = {} if session_id is DROP else {"sessionId": session_id}
    return error_reply("2FA_REQUIRED", message, at=at, **data)


def refresh_reply(token=REPLY_TOKEN, expires_in=mock_api.TOKEN_LIFETIME, at=None):
    """A refresh success body (foodxchange; None in alianza, which has no refresh)."""
    if not FX:
        return None
    return _apply(mock_api.refresh_body(token, expires_in), at)


def logout_reply():
    """A log-out success body: None (no body) in alianza, an object in foodxchange."""
    return mock_api.logout_body(DIALECT)


def body_mode(body, status=200, op="login", **kw):
    """A fault mode: the mock answers the call OP (see api_path) with exactly this status
    and BODY (a dict/list is JSON-encoded, None is an empty body); KW are more mode fields
    (count, listener, headers, ...; path= overrides OP)."""
    if body is None:
        body = ""
    elif not isinstance(body, str):
        body = json.dumps(body)
    kw.setdefault("path", api_path(op))
    return dict(mode="body", status=status, body=body, **kw)


def translate_conf(values):
    """A test config's keys and values in FoodXchange terms: the type lists of
    TYPE_LIST_KEYS translated, groups_management_user / groups.MANAGEMENT_USER (...) ->
    groups.admin (...). Order kept."""
    out = {}
    for k, v in values.items():
        if k in TYPE_LIST_KEYS:
            v = type_list(v)
        if k in GROUP_ALIASES:
            k = "groups." + type_name(GROUP_ALIASES[k])
        elif k.startswith("groups."):
            k = "groups." + type_name(k[len("groups."):])
        out[k] = v
    return out


# ---------------------------------------------------------------- single sign-on (API.md §7)
SSO_URL_RE = re.compile(r"https?://[\x21-\x7e]+")


def sso_supported():
    """Whether this dialect has single sign-on (alianza; the FoodXchange paths are 404)."""
    return not FX


def s256(verifier):
    """BASE64URL(SHA256(verifier)) without padding: the S256 challenge of a PKCE verifier."""
    return mock_api.s256(verifier)


def sso_url_in(text):
    """The first http(s) address in TEXT (what the module showed), or None."""
    m = SSO_URL_RE.search(text or "")
    return m.group(0) if m else None


def sso_url_params(url):
    """The query parameters of an address, decoded ("+" is a space, as a provider reads
    it), as {name: value}; ValueError when a parameter is there twice."""
    out = {}
    for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True):
        if k in out:
            raise ValueError("parameter %s twice in %s" % (k, url))
        out[k] = v
    return out


def sso_code(address):
    """The code of the address the browser ended on (redirectUri?code=..&state=..)."""
    return sso_url_params(address).get("code")


def sso_state(address):
    """The state of the address the browser ended on."""
    return sso_url_params(address).get("state")


class SsoRefused(Exception):
    """The test provider did not sign the user in: .status, .headers, .body."""

    def __init__(self, status, headers, body):
        super().__init__("identity provider answered %d: %s" % (status, body[:300]))
        self.status, self.headers, self.body = status, headers, body


def _https(url, ca, method="GET", body=None, headers=None, timeout=30):
    """One HTTPS request to URL verified against CA, no redirect followed: (status,
    {lower-case header: value}, body bytes)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "https":
        raise ValueError("not an https address: %r" % url[:200])
    ctx = ssl.create_default_context(cafile=ca)
    c = http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx,
                                    timeout=timeout * TIME_SCALE)
    try:
        target = (u.path or "/") + ("?" + u.query if u.query else "")
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def sso_authorize(url, user=None, password=None, ca=None, form=False):
    """What a browser does with the authorization URL the module showed: one request, the
    redirect not followed. USER/PASSWORD sign in with HTTP Basic (FORM: a form POST of
    username and password to the same URL); USER None: no credentials (the login page).
    CA: the test CA file (default the bed's). Returns (status, headers, body)."""
    ca = ca or os.path.join(BUILDDIR, "tests", "tmp", "certs", "ca.pem")
    if user is not None and password is None:
        password = _fixture_user(user).get("password", "")
    headers = {}
    body = None
    if user is not None and form:
        body = urllib.parse.urlencode({"username": user, "password": password})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif user is not None:
        cred = ("%s:%s" % (user, password)).encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(cred).decode("ascii")
    return _https(url, ca, "POST" if body is not None else "GET", body, headers)


def sso_sign_in(url, user, password=None, ca=None, form=False):
    """Sign fixture user USER in at the test provider through URL (the authorization URL
    the module showed; PASSWORD default the fixture's) and return the address the browser
    ends on: the 302's Location, redirectUri?code=..&state=... SsoRefused when the provider
    does not answer 302 (a URL the module built wrong: 400; wrong credentials: 401)."""
    status, headers, body = sso_authorize(url, user, password, ca, form)
    if status != 302 or not headers.get("location"):
        raise SsoRefused(status, headers, body.decode("utf-8", "replace"))
    return headers["location"]


def sso_page_code(address, ca=None):
    """The code the redirectUri's page (served by the mock) shows for ADDRESS."""
    ca = ca or os.path.join(BUILDDIR, "tests", "tmp", "certs", "ca.pem")
    status, _, body = _https(address, ca)
    m = re.search(r'<pre id="code">([^<]*)</pre>', body.decode("utf-8", "replace"))
    if status != 200 or not m:
        raise SsoRefused(status, {}, body.decode("utf-8", "replace"))
    return m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&amp;", "&")


class SsoBrowser:
    """A RESPOND for Bed.pam_dialog that plays a person with a browser: at the first prompt
    whose text (since the last answer) holds an address, sign USER in there (PASSWORD
    default the fixture's; FORM: by form) and paste what PASTE says: "address" (the whole
    address the browser ended on), "code" (the bare code), or PASTE(address) -> str (e.g.
    another state). Every other prompt gets the next of ANSWERS; when they are used up,
    None (the input ends). Afterwards: .url (the address the module showed), .address,
    .code, .refused (an SsoRefused when the provider did not sign in; the input then ends),
    .texts (each prompt's text)."""

    def __init__(self, bed, user, password=None, paste="address", answers=(), form=False):
        self.bed, self.user, self.password, self.form = bed, user, password, form
        self.paste = paste
        self.answers = list(answers)
        self.url = self.address = self.code = self.refused = None
        self.texts = []

    def __call__(self, style, text):
        self.texts.append(text)
        url = sso_url_in(text)
        if self.url is None and url is not None:
            self.url = url
            try:
                self.address = self.bed.sso_sign_in(url, self.user, self.password, self.form)
            except SsoRefused as e:
                self.refused = e
                return None
            self.code = sso_code(self.address)
            if callable(self.paste):
                return self.paste(self.address)
            return self.code if self.paste == "code" else self.address
        return self.answers.pop(0) if self.answers else None


# the read(2) system call's number, to see a driver wait for its next answer
_READ_SYSCALL = {"x86_64": 0, "aarch64": 63, "riscv64": 63, "i386": 3, "i686": 3,
                 "armv7l": 3, "ppc64le": 3, "s390x": 3}
_PROMPT_LINE = re.compile(rb"(?m)^(PROMPT-ON|PROMPT-OFF|WAITING)(?::|$)")


def _reads_stdin(pid):
    """Whether process PID waits in read(0, ...) now (/proc/PID/syscall); None: unknown."""
    nr = _READ_SYSCALL.get(os.uname().machine)
    try:
        with open("/proc/%d/syscall" % pid) as f:
            fields = f.read().split()
    except OSError:
        return None
    if nr is None or not fields:
        return None
    if fields[0] == "running":
        return False
    try:
        return int(fields[0]) == nr and int(fields[1], 16) == 0
    except (ValueError, IndexError):
        return None


# ---------------------------------------------------------------- TAP
class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[-40:]:
                    print("# " + line, flush=True)
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- namespace
def enter_namespace():
    """Re-exec the calling script in a private mount namespace (root only)."""
    if os.environ.get("ALZ_IN_NS") == "1":
        return
    if os.geteuid() != 0:
        print("1..0 # SKIP PAM-level tests need root (mount namespace, root-owned config)")
        sys.exit(0)
    env = dict(os.environ, ALZ_IN_NS="1")
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                           PYTHON] + sys.argv, env)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


class Syslog:
    """A /dev/log listener: the module's syslog lines land in self.lines.

    mark() and since() first send a sentinel datagram of their own and wait until the
    listener thread has read it: every line a finished run sent is queued before it, so a
    line is never counted in the wrong run however late the listener thread gets a CPU."""

    SENTINEL = b"\0alztest-sync:"

    PASSCRED = False     # a subclass that reads the sender's credentials sets it (_receive)

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.synced = set()
        self.nsync = 0
        self.file = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if self.PASSCRED:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        t = threading.Thread(target=self._loop, daemon=True)
        t.start()

    def _receive(self):
        """One datagram: (its bytes, the line kept for it)."""
        data = self.sock.recv(65536)
        return data, data.decode("utf-8", "replace")

    def _loop(self):
        while True:
            try:
                data, line = self._receive()
            except OSError:
                return
            with self.cond:
                if data.startswith(self.SENTINEL):
                    self.synced.add(data)
                    self.cond.notify_all()
                else:
                    self.lines.append(line)
                    self._write(data)

    # "<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE", as glibc's syslog() sends it
    _DATAGRAM = re.compile(rb"<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (.*)", re.S)

    def _write(self, data):
        m = self._DATAGRAM.match(data)
        # rsyslog's "auth,authpriv.*" rule: facility 4 (auth) or 10 (authpriv)
        if self.file is None or not m or int(m.group(1)) >> 3 not in (4, 10):
            return
        self.file.write(b"%s %s %s\n" % (m.group(2), socket.gethostname().encode(),
                                         m.group(3).rstrip(b"\n")))
        self.file.flush()

    def mirror(self, path):
        """From now on also append each auth and authpriv line to the file PATH as rsyslog
        writes /var/log/auth.log ("Mmm dd hh:mm:ss HOST TAG[PID]: MESSAGE"); mark() and
        since() return once every line before them is written."""
        with self.lock:
            self.file = open(path, "ab")

    def _sync(self):
        with self.lock:
            self.nsync += 1
            token = self.SENTINEL + str(self.nsync).encode()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.sendto(token, self.path)
        finally:
            s.close()
        with self.cond:
            self.cond.wait_for(lambda: token in self.synced, timeout=30 * TIME_SCALE)
            self.synced.discard(token)

    def mark(self):
        self._sync()
        with self.lock:
            return len(self.lines)

    def since(self, mark):
        time.sleep(0.05)  # a line a daemon still running sends just after its client's exit
        self._sync()
        with self.lock:
            return self.lines[mark:]


# ---------------------------------------------------------------- the bed
class Result:
    """A driver run. codes[op] is the module's own code: in the default stack a PAM_IGNORE
    falls through to pam_deny, whose PAM_AUTH_ERR would look like the module's refusal, so
    an op whose result follows the IGNORED marker (a stack's pam_echo line right after the
    module, pam_deny after it) reads PAM_IGNORE; stack_codes keeps what libpam returned.
    pam_echo keeps quiet under PAM_SILENT: there the two cannot be told apart."""

    def __init__(self, proc, elapsed, ops):
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed
        self.codes = {}
        self.stack_codes = {}
        ignored = False
        for line in self.out.splitlines():
            if line == IGNORED:
                ignored = True
                continue
            for op in ops:
                if line.startswith(op + ": "):
                    code = line.split(": ", 1)[1]
                    self.stack_codes[op] = code
                    self.codes[op] = "PAM_IGNORE" if ignored else code
                    ignored = False
        self.code = self.codes.get(ops[0], "NONE") if ops else "NONE"

    def lines(self, prefix):
        return [l[len(prefix):] for l in self.out.splitlines() if l.startswith(prefix)]

    def __repr__(self):
        mod = "" if self.codes == self.stack_codes else "module's codes: %s\n" % self.codes
        return "elapsed=%.3f\n%s%s\nstderr:\n%s" % (self.elapsed, mod, self.out, self.err)


class Bed:
    def __init__(self, handshake_timeout=MOCK_HANDSHAKE_TIMEOUT):
        enter_namespace()
        print("# API dialect: %s" % DIALECT, flush=True)
        self.handshake_timeout = handshake_timeout
        os.makedirs(os.path.join(BUILDDIR, "tests", "tmp"), exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="bed-", dir=os.path.join(BUILDDIR, "tests", "tmp"))
        os.chmod(self.tmp, 0o755)
        self.certs = os.path.join(BUILDDIR, "tests", "tmp", "certs")
        run(["bash", os.path.join(SRCDIR, "tests", "mkcerts.sh"), self.certs],
            stdout=subprocess.DEVNULL)
        self.ca = os.path.join(self.certs, "ca.pem")
        self._private_etc()
        self.syslog = self._private_devlog()
        # the cache's path must pass pam_timestamp-style checks from "/" down,
        # wherever the checkout lives: a namespace-private tmpfs on /mnt
        run(["mount", "-t", "tmpfs", "-o", "mode=755,size=64m", "tmpfs", "/mnt"])
        self.cache = "/mnt/alz-cache"
        # what an unprivileged uid must read or run: /mnt is world-traversable wherever the
        # checkout lives (a checkout under /root, 0700, is not)
        self.public = "/mnt/alz-public"
        os.makedirs(self.public, mode=0o755)
        os.chmod(self.public, 0o755)
        self.runs = 0
        self.tool_errors = []
        self.mock = None
        # a test that dies half-way must not leave the mock running
        atexit.register(self.stop_mock)
        self.start_mock()
        self.nconf = 0

    # -- the namespace's own /etc and /dev/log
    def _private_etc(self):
        etc = os.path.join(self.tmp, "etc")
        os.makedirs(etc)
        passwd = open("/etc/passwd").read()
        group = open("/etc/group").read()
        shadow = open("/etc/shadow").read() if os.path.exists("/etc/shadow") else ""
        # groups a user type can be mapped to (MANAGEMENT_USER -> alz-admins, ...)
        for name, gid in LOCAL_GROUPS.items():
            group += "%s:x:%d:\n" % (name, gid)
        for name, uid in LOCAL_USERS.items():
            passwd += "%s:x:%d:%d::/tmp:/bin/sh\n" % (name, uid, uid)
            group += "%s:x:%d:\n" % (name.replace('"', "").replace("\\", ""), uid)
            shadow += "%s:!:19000:0:99999:7:::\n" % name
        group += "%s:x:%d:%s\n" % (SCOPE_GROUP, SCOPE_GID, ",".join(LOCAL_USERS))
        for fname, text, mode in (("passwd", passwd, 0o644), ("group", group, 0o644),
                                  ("shadow", shadow, 0o640)):
            p = os.path.join(etc, fname)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, mode)
            run(["mount", "--bind", p, "/etc/" + fname])

    def auth_log(self):
        """A namespace-private /var/log (tmpfs) whose auth.log the bed's syslog writes as
        rsyslog would (Syslog.mirror): what pam_alianza-admin status reads. Returns its path."""
        run(["mount", "-t", "tmpfs", "-o", "mode=755,size=16m", "tmpfs", "/var/log"])
        path = "/var/log/auth.log"
        self.syslog.mirror(path)
        os.chmod(path, 0o640)
        return path

    def _private_devlog(self):
        hostdev = os.path.join(self.tmp, "hostdev")
        os.makedirs(hostdev)
        run(["mount", "--rbind", "/dev", hostdev])
        run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/dev"])
        for node in ("null", "zero", "full", "random", "urandom", "tty", "ptmx"):
            if os.path.exists(os.path.join(hostdev, node)):
                open("/dev/" + node, "w").close()
                run(["mount", "--bind", os.path.join(hostdev, node), "/dev/" + node])
        for d in ("pts", "shm"):
            os.makedirs("/dev/" + d)
            run(["mount", "--rbind", os.path.join(hostdev, d), "/dev/" + d])
        for i, name in enumerate(("stdin", "stdout", "stderr")):
            os.symlink("/proc/self/fd/%d" % i, "/dev/" + name)
        os.symlink("/proc/self/fd", "/dev/fd")
        # detach the host's /dev at once: nothing under self.tmp may stay a
        # mount of it, or cleaning the temp dir would reach the real nodes
        run(["umount", "-R", "-l", hostdev])
        os.rmdir(hostdev)
        return Syslog("/dev/log")

    # -- the mock API
    def mock_command(self, ports):
        """The mock API's argv (a subclass may wrap it: tests/fleetday.py moves its clock)."""
        return [PYTHON, os.path.join(SRCDIR, "tests", "mock_api.py")] + self.mock_args(ports)

    def mock_args(self, ports):
        return ["--certs", self.certs, "--users", os.path.join(SRCDIR, "tests", "fixtures", "users.json"),
                "--ports-file", ports, "--handshake-timeout", str(self.handshake_timeout),
                "--dialect", DIALECT]

    def start_mock(self):
        ports = os.path.join(self.tmp, "ports.json")
        if os.path.exists(ports):
            os.unlink(ports)
        self.mock_log = open(os.path.join(self.tmp, "mock.log"), "a")
        self.mock = subprocess.Popen(self.mock_command(ports), stdout=self.mock_log, stderr=self.mock_log)
        deadline = time.time() + 10
        while not os.path.exists(ports):
            if time.time() > deadline or self.mock.poll() is not None:
                raise RuntimeError("mock API did not start; see " + self.mock_log.name)
            time.sleep(0.02)
        with open(ports) as f:
            self.ports = json.load(f)

    def stop_mock(self):
        if self.mock is not None:
            self.mock.terminate()
            try:
                self.mock.wait(5)
            except subprocess.TimeoutExpired:
                self.mock.kill()
                self.mock.wait()
            self.mock = None

    def url(self, listener="main"):
        return "https://127.0.0.1:%d" % self.ports[listener]

    def control(self, method, path, body=None):
        """One call of the mock's control API. Every call is idempotent (reset, mode,
        users, reads), so a connection the loaded mock dropped is simply tried again."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(5):
            c = http.client.HTTPConnection("127.0.0.1", self.ports["control"], timeout=20)
            try:
                c.request(method, path, body=data, headers={"Content-Type": "application/json"})
                r = c.getresponse()
                out = r.read()
                return json.loads(out) if out else None
            except (http.client.RemoteDisconnected, ConnectionError, socket.timeout):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
            finally:
                c.close()

    def reset(self, cache=True):
        self.control("POST", "/reset", {})
        if cache:
            shutil.rmtree(self.cache, ignore_errors=True)

    def mode(self, **kw):
        self.control("POST", "/mode", kw)

    def requests(self):
        return self.control("GET", "/requests")

    def api_requests(self):
        """The API calls the mock saw (bodies decoded)."""
        out = []
        for r in self.requests():
            r = dict(r)
            r["body"] = base64.b64decode(r.get("body_b64", ""))
            out.append(r)
        return out

    def asked(self, user, path=DROP, method=None):
        """How many API calls the mock saw whose JSON body names USER (sent_user(): userName
        or email; USER or api_user(USER)), to PATH (default the dialect's log-in path; None:
        any path), with METHOD (None: any): proof that the module itself asked."""
        if path is DROP:
            path = api_path("login")
        names = {user, api_user(user)}
        n = 0
        for r in self.api_requests():
            if (path is not None and r["path"] != path) or (method is not None and r["method"] != method):
                continue
            if sent_user(r) in names:
                n += 1
        return n

    def calls(self, op, method=DROP):
        """The logged API calls (bodies decoded) of OP (see api_path) in this dialect, with
        the op's method (METHOD overrides; None: any method); [] for an op the dialect lacks."""
        path = api_path(op)
        if method is DROP:
            method = api_method(op)
        return [r for r in self.api_requests()
                if path is not None and r["path"] == path and (method is None or r["method"] == method)]

    def add_api_user(self, name, password, user_type="ACCOUNT_USER", partition="p-main", **kw):
        """Add or replace fixture user NAME at the mock. USER_TYPE is an Alianza type (the
        foodxchange mock reports its role); KW are more fixture fields, e.g. role="quality-lead"
        (a free-form foodxchange role), totp=..., backupCodes=[...], locked=True."""
        body = {"password": password, "userType": user_type, "partitionId": partition,
                "partitionName": "Main Co", "userId": "u-" + name}
        body.update(kw)
        self.control("POST", "/users/" + urllib.parse.quote(name, safe=""), body)

    def tokens(self):
        """Live access tokens: [{"token", "userName" (the fixture user, e.g. "alice" in both
        dialects), "expiresIn", "refreshToken" (None in alianza)}]."""
        return self.control("GET", "/tokens")

    def refresh_tokens(self):
        """Live refresh tokens (foodxchange; [] in alianza): [{"refreshToken", "userName",
        "expiresIn", "tokens": [its live access tokens]}]."""
        return self.control("GET", "/refresh-tokens")

    def expire_tokens(self, user=None, token=None, refresh=False):
        """Make the access tokens of fixture user USER (or one TOKEN) expired at once (a
        foodxchange call with one gets 401 TOKEN_EXPIRED, an alianza one 401 UNAUTHORIZED);
        with REFRESH their refresh tokens too. Returns how many access tokens it expired."""
        body = {"refresh": bool(refresh)}
        if user is not None:
            body["user"] = user
        if token is not None:
            body["token"] = token
        return self.control("POST", "/expire", body)["expired"]

    def next_tokens(self, tokens, refresh_tokens=None):
        """The mock issues these tokens (and refresh tokens) next, in order."""
        body = {"tokens": list(tokens)}
        if refresh_tokens is not None:
            body["refreshTokens"] = list(refresh_tokens)
        self.control("POST", "/next-tokens", body)

    def recorder(self):
        return self.control("GET", "/recorder")

    # -- single sign-on (API.md section 7; the mock's knobs and logs, see mock_api.py)
    def sso_settings(self):
        """The mock's SSO knobs: enabled, pkce, clientId, scope, redirectUri,
        authorizationEndpoint, codeLifetime, body (the override or None), and "config":
        the configuration GET /v2/authorize/sso gives unless body overrides it."""
        return self.control("GET", "/sso")

    def sso_config(self, enabled=None, pkce=None, body=DROP, client_id=None, scope=None,
                   redirect_uri=DROP, endpoint=DROP, code_lifetime=None):
        """Change the mock's SSO knobs (None / DROP: leave as it is): ENABLED, PKCE,
        CLIENT_ID, SCOPE, REDIRECT_URI and ENDPOINT (the authorizationEndpoint; None: the
        mock's own again), CODE_LIFETIME (seconds, for codes issued after), BODY (any JSON
        value GET /v2/authorize/sso then answers as it is, e.g. a hostile configuration;
        None: the configuration again). /reset restores every knob. Returns sso_settings()."""
        req = {}
        for key, value in (("enabled", enabled), ("pkce", pkce), ("clientId", client_id),
                           ("scope", scope), ("codeLifetime", code_lifetime)):
            if value is not None:
                req[key] = value
        for key, value in (("body", body), ("redirectUri", redirect_uri),
                           ("authorizationEndpoint", endpoint)):
            if value is not DROP:
                req[key] = value
        return self.control("POST", "/sso", req)

    def sso_codes(self):
        """Every code the test provider issued: [{"code", "user", "clientId",
        "redirectUri", "scope", "state", "challenge", "challengeMethod", "issued",
        "expires", "expiresIn", "used", "live"}]."""
        return self.control("GET", "/sso/codes")

    def sso_expire_codes(self, code=None, age=None):
        """Expire now every code the provider issued (or CODE); with AGE make them AGE
        seconds older instead. Returns how many live codes are expired now."""
        req = {}
        if code is not None:
            req["code"] = code
        if age is not None:
            req["age"] = age
        return self.control("POST", "/sso/expire", req)["expired"]

    def sso_next_codes(self, codes):
        """The provider issues these codes next, in order (e.g. one with + & = % to prove
        the exchange percent-encodes)."""
        self.control("POST", "/sso/next-codes", {"codes": list(codes)})

    def sso_sign_in(self, url, user, password=None, form=False):
        """sso_sign_in() against the bed's CA: the address the browser ends on."""
        return sso_sign_in(url, user, password, self.ca, form)

    def sso_authorize(self, url, user=None, password=None, form=False):
        """sso_authorize() against the bed's CA: (status, headers, body)."""
        return sso_authorize(url, user, password, self.ca, form)

    def sso_page_code(self, address):
        """The code the redirectUri's page shows."""
        return sso_page_code(address, self.ca)

    def sso_config_calls(self):
        """The logged GET /v2/authorize/sso calls (bodies decoded)."""
        return [r for r in self.api_requests()
                if r["method"] == "GET" and urllib.parse.urlsplit(r["path"]).path == mock_api.SSO_PATH]

    def sso_exchanges(self):
        """The logged POST /v2/authorize/sso calls, oldest first: each the mock's "sso"
        facts (query, params, code, redirect_uri, code_verifier (None: absent), verdict
        ("ok" or why it failed; None when a fault answered), status, why, user (the code's
        user), challenge and challengeMethod (the code's), verifierMatched (S256(verifier)
        == challenge), authToken) with the call's seq, conn, headers and body (bytes)."""
        out = []
        for r in self.api_requests():
            if r["method"] == "POST" and urllib.parse.urlsplit(r["path"]).path == mock_api.SSO_PATH:
                out.append(dict(r.get("sso") or {}, seq=r["seq"], conn=r["conn"],
                                headers=r["headers"], body=r["body"], path=r["path"]))
        return out

    def idp_requests(self):
        """What the test provider saw (a browser's calls, never the module's): conn, time,
        method, path, query, user, status, location, code, error."""
        return self.control("GET", "/idp/requests")

    def sso_url_problems(self, url, settings=None):
        """What is wrong with URL as the authorization URL the module should show for the
        mock's configuration (SETTINGS: a sso_settings() answer, default the current one):
        [] when it is the authorizationEndpoint with response_type=code, the configured
        client_id, redirect_uri and scope, a state of at least 16 characters, and with pkce
        an S256 code_challenge of 43 base64url characters (none without)."""
        s = settings or self.sso_settings()
        problems = []
        endpoint = s["config"]["authorizationEndpoint"]
        if url.split("?", 1)[0] != endpoint:
            problems.append("not at %s" % endpoint)
        try:
            p = sso_url_params(url)
        except ValueError as e:
            return problems + [str(e)]
        for key, want in (("response_type", "code"), ("client_id", s["clientId"]),
                          ("redirect_uri", s["redirectUri"]), ("scope", s["scope"])):
            if p.get(key) != want:
                problems.append("%s=%r, not %r" % (key, p.get(key), want))
        if len(p.get("state") or "") < 16:
            problems.append("state %r is short" % p.get("state"))
        if s["pkce"]:
            if p.get("code_challenge_method") != "S256":
                problems.append("code_challenge_method=%r" % p.get("code_challenge_method"))
            if not mock_api.PKCE_CHALLENGE.fullmatch(p.get("code_challenge") or ""):
                problems.append("code_challenge=%r" % p.get("code_challenge"))
        elif "code_challenge" in p or "code_challenge_method" in p:
            problems.append("a challenge with pkce off")
        extra = set(p) - {"response_type", "client_id", "redirect_uri", "scope", "state",
                          "code_challenge", "code_challenge_method"}
        if extra:
            problems.append("more parameters: %s" % ", ".join(sorted(extra)))
        return problems

    def totp(self, user, offset=0):
        return self.control("GET", "/totp/%s?offset=%d" % (user, offset))["code"]

    # -- configuration and PAM service files
    def conf(self, mode=0o600, **keys):
        """Write a config file with KEYS over sane test defaults; returns its path."""
        self.nconf += 1
        # the dialect's preset first: every key after it overrides it
        values = {"api_dialect": "foodxchange"} if FX else {}
        # valgrind makes a TLS handshake ~20x slower: stretch the default deadlines
        values.update({"base_url": self.url(), "ca_file": self.ca,
                       "connect_timeout": str(secs(2)), "timeout": str(secs(3)),
                       "debug": "yes", "cache_dir": self.cache,
                       "allowed_partitions": "p-main", "alianza_group": SCOPE_GROUP})
        if FX and "user_template" not in keys:
            values["user_template"] = FX_TEMPLATE
        if FX and "allowed_user_types" not in keys:
            # the module's default names Alianza's types: give the bed's roles the same rights
            values["allowed_user_types"] = "MANAGEMENT_USER, ACCOUNT_USER"
        values.update({k: str(v) for k, v in keys.items() if v is not None})
        for k in [k for k, v in keys.items() if v is None]:
            values.pop(k, None)
        if values.get("api_dialect") == "foodxchange":
            values = translate_conf(values)
        path = os.path.join(self.tmp, "alz-%d.conf" % self.nconf)
        with open(path, "w") as f:
            for k, v in values.items():
                f.write("%s = %s\n" % (k, v))
        os.chmod(path, mode)
        return path

    def public_copy(self, src, mode=None):
        """A copy of SRC in the world-traversable self.public (same name, MODE or SRC's),
        for runs as an unprivileged uid; returns its path."""
        dst = os.path.join(self.public, os.path.basename(src))
        shutil.copyfile(src, dst)
        os.chmod(dst, mode if mode is not None else os.stat(src).st_mode & 0o7777)
        return dst

    def service(self, conf, args="", name="alz-test", stack=None):
        """A PAM service file using the built module; returns the confdir."""
        d = os.path.join(self.tmp, "pam.d-%d" % self.nconf)
        os.makedirs(d, exist_ok=True)
        mod = "%s conf=%s %s" % (MODULE, conf, args)
        if stack is None:
            # default=die returns the module's own code; pam_echo marks an IGNORE (in
            # chauthtok only in its first pass: pam_exec marks one in the second)
            stack = ("auth [success=done ignore=ignore default=die] {mod}\n"
                     "auth requisite pam_echo.so MODULE-IGNORED\n"
                     "auth required pam_deny.so\n"
                     "account [success=done ignore=ignore default=die] {mod}\n"
                     "account requisite pam_echo.so MODULE-IGNORED\n"
                     "account required pam_deny.so\n"
                     "session required {mod}\n"
                     "password [success=done ignore=ignore default=die] {mod}\n"
                     "password requisite pam_echo.so MODULE-IGNORED\n"
                     "password requisite pam_exec.so quiet stdout /bin/echo MODULE-IGNORED\n"
                     "password required pam_deny.so\n")
        with open(os.path.join(d, name), "w") as f:
            f.write(translate_args(stack.format(mod=mod)))
        with open(os.path.join(d, "other"), "w") as f:
            f.write("auth required pam_deny.so\naccount required pam_deny.so\n"
                    "password required pam_deny.so\nsession required pam_deny.so\n")
        return d

    def pam(self, user, answers=(), ops=("authenticate",), conf=None, args="",
            confdir=None, service="alz-test", rhost=None, silent=False, env=None, timeout=60,
            driver=None, driver_args=(), prefix=()):
        if confdir is None:
            confdir = self.service(conf or self.conf(), args=args, name=service)
        cmd = list(prefix) + WRAP + [driver or DRIVER, "-d", confdir] + list(driver_args)
        if rhost:
            cmd += ["-r", rhost]
        if silent:
            cmd += ["-s"]
        cmd += [service, user] + list(ops)
        stdin = "".join(a + "\n" for a in answers)
        t0 = time.monotonic()
        p = subprocess.run(cmd, input=stdin.encode("utf-8", "surrogateescape"),
                           capture_output=True, timeout=timeout * TIME_SCALE, env=env)
        elapsed = time.monotonic() - t0
        p.stdout = p.stdout.decode("utf-8", "replace")
        p.stderr = p.stderr.decode("utf-8", "replace")
        self.note_tools(p.returncode, p.stderr, cmd)
        return Result(p, elapsed, list(ops))

    def pam_dialog(self, user, respond, ops=("authenticate",), conf=None, args="", confdir=None,
                   service="alz-test", rhost=None, silent=False, env=None, timeout=60,
                   driver=None, driver_args=(), prefix=()):
        """bed.pam, but a conversation: each time the driver waits for an answer (a
        PROMPT-ON / PROMPT-OFF line, or WAITING), RESPOND(style, text) is called, STYLE
        "ON", "OFF" or "WAITING", TEXT the driver's output since the last answer (INFO and
        ERROR lines of the round included, a prompt's text over several lines whole); it
        returns the answer (a str, sent with a newline) or None (the input ends). A prompt
        is taken whole once the driver waits in read(0) (/proc/PID/syscall), or, where that
        cannot be seen, after 0.5 s (scaled) of quiet (2 s when the pid is a PREFIX that
        does not exec). Returns a Result with .prompts:
        [(style, text, answer)]. See SsoBrowser for a RESPOND that signs in."""
        if confdir is None:
            confdir = self.service(conf or self.conf(), args=args, name=service)
        cmd = list(prefix) + WRAP + [driver or DRIVER, "-d", confdir] + list(driver_args)
        if rhost:
            cmd += ["-r", rhost]
        if silent:
            cmd += ["-s"]
        cmd += [service, user] + list(ops)
        t0 = time.monotonic()
        deadline = t0 + timeout * TIME_SCALE
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        err = []
        reader = threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True)
        reader.start()
        fd = p.stdout.fileno()
        out = b""
        since = 0                  # where the output since the last answer starts
        quiet_since = time.monotonic()
        prompts = []
        try:
            while True:
                now = time.monotonic()
                if now > deadline:
                    p.kill()
                    break
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break      # the driver closed its output: it is done
                    out += chunk
                    quiet_since = time.monotonic()
                    continue
                pending = out[since:]
                found = list(_PROMPT_LINE.finditer(pending))
                if not found or not pending.endswith(b"\n") or p.stdin.closed:
                    continue
                # the driver prints a prompt, flushes, reads: once it reads, the text is
                # whole (a message over 4 KiB comes in several writes). A PREFIX that forks
                # is never seen reading: quiet then says it, later.
                waiting = _reads_stdin(p.pid)
                quiet = time.monotonic() - quiet_since
                if not (waiting or (waiting is None and quiet >= 0.5 * TIME_SCALE)
                        or quiet >= 2.0 * TIME_SCALE):
                    continue
                style = found[-1].group(1).decode().replace("PROMPT-", "")
                text = pending.decode("utf-8", "replace")
                answer = respond(style, text)
                prompts.append((style, text, answer))
                since = len(out)
                try:
                    if answer is None:
                        p.stdin.close()
                    else:
                        p.stdin.write(answer.encode("utf-8", "surrogateescape") + b"\n")
                        p.stdin.flush()
                except BrokenPipeError:
                    pass
        finally:
            try:
                p.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            reader.join(10)
            if not p.stdin.closed:
                try:
                    p.stdin.close()
                except BrokenPipeError:
                    pass
        elapsed = time.monotonic() - t0
        done = subprocess.CompletedProcess(cmd, p.returncode, out.decode("utf-8", "replace"),
                                           b"".join(err).decode("utf-8", "replace"))
        self.note_tools(done.returncode, done.stderr, cmd)
        result = Result(done, elapsed, list(ops))
        result.prompts = prompts
        return result

    def note_tools(self, returncode, stderr, cmd):
        """Remember any sanitizer or valgrind report of a driver run (finish() turns them into a check)."""
        self.runs += 1
        # valgrind runs with --error-exitcode=99; the sanitizers print a report
        if returncode == 99 or any(m in stderr for m in TOOL_MARKERS):
            self.tool_errors.append("%s\n%s" % (" ".join(cmd[-3:]), stderr[-3000:]))

    def close(self):
        self.stop_mock()
        try:
            self.syslog.sock.close()
        except OSError:
            pass
        with self.syslog.lock:
            if self.syslog.file is not None:
                self.syslog.file.close()
                self.syslog.file = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def finish(bed, t):
    """End a PAM-level test: one check that no driver run drew a sanitizer or
    valgrind report, then clean up and exit with the TAP verdict."""
    label = "valgrind" if WRAP else ("ASan/UBSan" if SANITIZED else "sanitizer")
    t.ok(not bed.tool_errors, "no %s report in %d driver runs" % (label, bed.runs),
         "\n---\n".join(bed.tool_errors[:3]))
    bed.close()
    sys.exit(t.done())


def totp(hex_secret, offset=0, digits=6, now=None):
    """RFC 6238 HMAC-SHA1 code of a hex secret (for the host's own TOTP file)."""
    import hashlib
    import hmac
    import struct
    counter = int((now if now is not None else time.time()) // 30) + offset
    mac = hmac.new(bytes.fromhex(hex_secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return str(value % (10 ** digits)).zfill(digits)
