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
import shutil
import socket
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
    """A /dev/log listener: the module's syslog lines land in self.lines."""

    def __init__(self, path):
        self.lines = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        t = threading.Thread(target=self._loop, daemon=True)
        t.start()

    def _loop(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def since(self, mark):
        time.sleep(0.05)  # datagrams are asynchronous to the sender's exit
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
    def start_mock(self):
        ports = os.path.join(self.tmp, "ports.json")
        if os.path.exists(ports):
            os.unlink(ports)
        self.mock_log = open(os.path.join(self.tmp, "mock.log"), "a")
        self.mock = subprocess.Popen(
            [PYTHON, os.path.join(SRCDIR, "tests", "mock_api.py"), "--certs", self.certs,
             "--users", os.path.join(SRCDIR, "tests", "fixtures", "users.json"),
             "--ports-file", ports, "--handshake-timeout", str(self.handshake_timeout)],
            stdout=self.mock_log, stderr=self.mock_log)
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

    def asked(self, user, path="/v2/authorize", method=None):
        """How many API calls the mock saw whose JSON body names USER (userName), to PATH
        (None: any path), with METHOD (None: any): proof that the module itself asked."""
        n = 0
        for r in self.api_requests():
            if (path is not None and r["path"] != path) or (method is not None and r["method"] != method):
                continue
            try:
                body = json.loads(r["body"].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(body, dict) and body.get("userName") == user:
                n += 1
        return n

    def add_api_user(self, name, password, user_type="ACCOUNT_USER", partition="p-main", **kw):
        body = {"password": password, "userType": user_type, "partitionId": partition,
                "partitionName": "Main Co", "userId": "u-" + name}
        body.update(kw)
        self.control("POST", "/users/" + urllib.parse.quote(name, safe=""), body)

    def tokens(self):
        return self.control("GET", "/tokens")

    def next_tokens(self, tokens):
        """The mock issues these tokens next, in order."""
        self.control("POST", "/next-tokens", {"tokens": list(tokens)})

    def recorder(self):
        return self.control("GET", "/recorder")

    def totp(self, user, offset=0):
        return self.control("GET", "/totp/%s?offset=%d" % (user, offset))["code"]

    # -- configuration and PAM service files
    def conf(self, mode=0o600, **keys):
        """Write a config file with KEYS over sane test defaults; returns its path."""
        self.nconf += 1
        # valgrind makes a TLS handshake ~20x slower: stretch the default deadlines
        values = {"base_url": self.url(), "ca_file": self.ca,
                  "connect_timeout": str(secs(2)), "timeout": str(secs(3)),
                  "debug": "yes", "cache_dir": self.cache,
                  "allowed_partitions": "p-main", "alianza_group": SCOPE_GROUP}
        values.update({k: str(v) for k, v in keys.items() if v is not None})
        for k in [k for k, v in keys.items() if v is None]:
            values.pop(k, None)
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
            f.write(stack.format(mod=mod))
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
