#!/usr/bin/python3
"""bench.py [OUTDIR] [--runs N] [--no-profile] - what a login through pam_alianza costs, side by side.

Run it through tests/bench.sh (installs, builds, sets ALZ_BUILDDIR/ALZ_SRCDIR). As root it
re-execs itself in a private mount namespace (alztest.Bed): its own /etc/passwd, /etc/shadow,
/dev/log and the mock API on loopback (HTTPS, test CA). Nothing on the host changes.

Every case is a whole process, as a login is (sshd forks, sudo execs), timed from fork to
reap, RUNS times (default 50), the cases interleaved round by round in a shuffled order so
that noise from other work on the machine falls on all of them alike:

  pam_alianza password        alz-pamdrive, stack "auth required pam_alianza.so", user alice
  pam_alianza password+TOTP   same, user tess: "Verification code: " -> POST /v2/authorize/2fa
  pam_alianza cached re-auth  cached_auth_timeout=300, after one online login (0 requests)
  curl CLI                    curl -s --cacert CA -X POST -H ... -d '{...}' URL/v2/authorize
  pam_exec + sh + curl        alz-pamdrive, "auth required pam_exec.so expose_authtok
                              /bin/sh tests/bench-login.sh URL CA"
  pam_unix yescrypt           alz-pamdrive, "auth required pam_unix.so", a local yescrypt hash
then 200 concurrent pam_alianza logins (c00..c19, 50 at a time); deployment variants (cache
record on disk, the system CA bundle as ca_file, an empty PAM call) and reference steps
(exec of /bin/true, the module loaded but the user ignored, curl --version, openssl
version, openssl s_client with a CA file, the bundle and a CA directory) to show where the
time goes; and, unless --no-profile, one login under strace and under callgrind.

Measured per run: wall time, CPU time (user + system) and peak RSS. A process forked from
this Python inherits its ~40 MB, which Linux folds into ru_maxrss at execve, so a tiny C
launcher (compiled into OUTDIR) forks each command and reports wait4()'s rusage: RUSAGE_BOTH
of the child, i.e. its own usage plus that of every descendant it reaped. ru_maxrss is then
the MAX over that process tree, not a sum: for pam_exec + sh + curl the report also adds up
the three programs' own peaks, each measured alone (what is resident at once while curl
runs). The mock's counters give the API requests and TLS connections of each run, the
module's syslog line its own share (ms=N) and, for the cached case, via=cached.

Writes OUTDIR (default $ALZ_BUILDDIR/bench): results.md (tables, targets, where the time
goes), latency.png (box plot and CDF), latency-N.dat (per-login ms), latency.gp,
profile.txt, callgrind.*.out (open with callgrind_annotate or kcachegrind).
"""
import atexit
import ctypes
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alztest  # noqa: E402

# ---------------------------------------------------------------- arguments
ARGS = sys.argv[1:]
RUNS = 50
PROFILE = True
OUTDIR = None
i = 0
while i < len(ARGS):
    a = ARGS[i]
    if a == "--runs":
        RUNS = int(ARGS[i + 1])
        i += 1
    elif a == "--no-profile":
        PROFILE = False
    elif a.startswith("-"):
        sys.exit(__doc__)
    else:
        OUTDIR = os.path.abspath(a)
    i += 1
if RUNS < 30:
    sys.exit("bench.py: --runs must be >= 30 (medians of at least 30 runs)")
OUTDIR = OUTDIR or os.path.join(alztest.BUILDDIR, "bench")
WARMUP = 3
CONC_TOTAL, CONC_PARALLEL, CONC_USERS = 200, 50, 20

PW = {"alice": "Alice-pass1!", "tess": "Tess-pass1!"}
UNIX_USER, UNIX_UID, UNIX_PW = "ybench", 2101, "Ybench-pass1!"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}   # no HOME: no ~/.curlrc
HERE = os.path.dirname(os.path.abspath(__file__))

LOAD0 = open("/proc/loadavg").read().split()[0]
bed = alztest.Bed()          # from here on: root, private namespace, mock API running
atexit.register(bed.close)   # even when a step fails: stop the mock, remove the temp dir
os.makedirs(OUTDIR, exist_ok=True)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- one measured process
# A process forked from this Python inherits its ~40 MB: Linux folds the pre-exec memory
# into ru_maxrss at execve (exec_mmap), so wait4 from here would never report less. A tiny
# C launcher, compiled here, forks the command from its own ~1 MB, times fork->reap with
# CLOCK_MONOTONIC and reports wait4's rusage (RUSAGE_BOTH of the child: its tree).
LAUNCHER_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st = 0, fd;
	pid_t pid;
	if (argc < 3)
		return 127;
	fd = atoi(argv[1]);                     /* where the result line goes */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return 127;
	clock_gettime(CLOCK_MONOTONIC, &b);
	dprintf(fd, "%lld %ld %ld %ld %d\n",
		(long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
		ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec,
		ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec, ru.ru_maxrss, st);
	return 0;
}
"""
LAUNCHER = os.path.join(OUTDIR, "bench-run")


def build_launcher():
    src = LAUNCHER + ".c"
    with open(src, "w") as fh:
        fh.write(LAUNCHER_C)
    subprocess.run(["cc", "-O2", "-o", LAUNCHER, src], check=True)


class Run:
    __slots__ = ("wall", "cpu", "rss", "out", "ok", "reqs", "conns", "status")


def measure(cmd, stdin=b"", env=ENV):
    """One process: wall s (fork to reap), CPU s and peak RSS KiB of its tree, its output."""
    if not cmd[0].startswith("/"):
        cmd = [shutil.which(cmd[0], path=ENV["PATH"])] + cmd[1:]
    i_r, i_w = os.pipe()            # stdin is written whole before the process starts
    os.write(i_w, stdin)            # (answers are a few bytes: far below the pipe's size)
    os.close(i_w)
    r_r, r_w = os.pipe()
    p = subprocess.Popen([LAUNCHER, str(r_w)] + cmd, stdin=i_r, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, pass_fds=(r_w,))
    os.close(i_r)
    os.close(r_w)
    out = p.stdout.read()
    p.stdout.close()
    p.wait()
    with os.fdopen(r_r, "rb") as fh:
        res = fh.read().split()
    if p.returncode != 0 or len(res) != 5:
        raise RuntimeError("launcher failed for %s" % cmd)
    r = Run()
    r.wall = int(res[0]) / 1e9
    r.cpu = (int(res[1]) + int(res[2])) / 1e6
    r.rss = int(res[3])
    r.status = int(res[4])
    r.out = out.decode("utf-8", "replace")
    r.ok = False
    r.reqs = r.conns = None
    return r


build_launcher()


def stats():
    s = bed.control("GET", "/stats")
    return s["requests"], s["connections"].get("main", 0)


# ---------------------------------------------------------------- the stacks
def yescrypt(password):
    """A yescrypt hash at libcrypt's default cost (what pam_unix's 'yescrypt' writes)."""
    lc = ctypes.CDLL("libcrypt.so.1")
    lc.crypt_gensalt.restype = ctypes.c_char_p
    lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lc.crypt.restype = ctypes.c_char_p
    lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    salt = lc.crypt_gensalt(b"$y$", 0, None, 0)
    h = lc.crypt(password.encode(), salt)
    if not salt or not h or not h.startswith(b"$y$"):
        raise RuntimeError("libcrypt cannot make a yescrypt hash")
    return h.decode()


def add_unix_user():
    """A local user with a yescrypt password, appended to the namespace's passwd/shadow
    copies in place (they are bind-mounted over /etc: same inode, so no replacing)."""
    etc = os.path.join(bed.tmp, "etc")
    with open(os.path.join(etc, "passwd"), "a") as f:
        f.write("%s:x:%d:%d::/tmp:/bin/sh\n" % (UNIX_USER, UNIX_UID, UNIX_UID))
    with open(os.path.join(etc, "group"), "a") as f:
        f.write("%s:x:%d:\n" % (UNIX_USER, UNIX_UID))
    with open(os.path.join(etc, "shadow"), "a") as f:
        f.write("%s:%s:19000:0:99999:7:::\n" % (UNIX_USER, yescrypt(UNIX_PW)))


def service(name, stack, conf=None):
    d = bed.service(conf or bed.conf(debug="no"), name=name, stack=stack)
    return d


def driver(confdir, svc, user):
    return [alztest.DRIVER, "-d", confdir, svc, user, "authenticate"]


def pam_ok(r):
    return "authenticate: PAM_SUCCESS" in r.out


def curl_ok(r):
    return re.search(r'"authToken": ?"[^"]', r.out) is not None


bed.reset()
add_unix_user()
for n in range(CONC_USERS):
    bed.add_api_user("c%02d" % n, "C%02d-pass1!" % n)

URL = bed.url()
SCRIPT = os.path.join(HERE, "bench-login.sh")
conf_pw = bed.conf(debug="no")
conf_cached = bed.conf(debug="no", cached_auth_timeout=300, cache_dir="/mnt/alz-cache-cached")
# the same login with the cache record on this machine's disk (as /var/lib/pam_alianza is)
# instead of the test bed's tmpfs: the record is fsync()ed at every online login
conf_disk = bed.conf(debug="no", cache_dir=os.path.join(bed.tmp, "alz-cache-disk"))
# a production-like trust store: the system bundle (what libcurl loads when ca_file is unset)
# plus the test CA, as one file; and the same certificates as a hashed directory (CApath)
BUNDLE = os.path.join(bed.tmp, "bundle.pem")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
with open(BUNDLE, "w") as fh:
    fh.write((open(SYSTEM_BUNDLE).read() if os.path.exists(SYSTEM_BUNDLE) else "") + open(bed.ca).read())
NCERTS = open(BUNDLE).read().count("BEGIN CERTIFICATE")
CAPATH = os.path.join(bed.tmp, "capath")
os.makedirs(CAPATH)
if os.path.isdir("/etc/ssl/certs"):
    for name in os.listdir("/etc/ssl/certs"):
        if name.endswith(".pem"):
            os.symlink(os.path.realpath(os.path.join("/etc/ssl/certs", name)), os.path.join(CAPATH, name))
shutil.copy(bed.ca, os.path.join(CAPATH, "alz-test-ca.pem"))
subprocess.run(["openssl", "rehash", CAPATH], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
conf_bundle = bed.conf(debug="no", ca_file=BUNDLE)

d_pw = service("bench-pw", "auth required {mod}\n", conf_pw)
d_disk = service("bench-disk", "auth required {mod}\n", conf_disk)
d_bundle = service("bench-bundle", "auth required {mod}\n", conf_bundle)
d_preload = service("bench-preload", "auth required {mod}\n", conf_pw)
d_totp = service("bench-totp", "auth required {mod}\n", conf_pw)
d_conc = service("bench-conc", "auth required {mod}\n", conf_pw)
d_cached = service("bench-cached", "auth required {mod}\n", conf_cached)
d_exec = service("bench-exec", "auth required pam_exec.so expose_authtok /bin/sh %s %s %s\n"
                 % (SCRIPT, URL, bed.ca))
d_exec_true = service("bench-exec-true", "auth required pam_exec.so expose_authtok /bin/true\n")
d_unix = service("bench-unix", "auth required pam_unix.so\n")
d_permit = service("bench-permit", "auth required pam_permit.so\n")
d_noca = service("bench-noca", "auth required {mod}\n", bed.conf(debug="no", ca_file=None))
d_ignore = service("bench-ignore", "auth sufficient {mod}\nauth required pam_permit.so\n", conf_pw)


def nlibs(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    return sum(1 for l in out.splitlines() if "=>" in l)


NLIBS_CURL = nlibs(shutil.which("curl", path=ENV["PATH"]))
NLIBS_MOD = nlibs(alztest.MODULE)
PAM_VERSION = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libpam-modules"],
                             capture_output=True, text=True).stdout.strip() or "?"


def curl_cmd(*trust):
    return (["curl", "-s"] + list(trust) + ["-X", "POST", "-H", "Content-Type: application/json",
            "-d", '{"userName":"alice","password":"%s"}' % PW["alice"], URL + "/v2/authorize"])


CURL = curl_cmd("--cacert", bed.ca)


def s_client(*trust):
    return ["openssl", "s_client", "-connect", "127.0.0.1:%d" % bed.ports["main"], "-servername",
            "localhost", "-verify_return_error", "-brief"] + list(trust)


def verified(r):
    return "Verification: OK" in r.out


class Case:
    """group: "main" (the comparison), "variant" (deployment variants, charted), "ref" (steps)."""

    def __init__(self, key, label, cmd, ok, stdin=None, code=False, service=None, group="main", env=None):
        self.key, self.label, self.cmd, self.okf = key, label, cmd, ok
        self.env = env or ENV
        self.group = group
        self.stdin = stdin
        self.code = code            # answer a TOTP code after the password
        self.service = service      # PAM service of a pam_alianza case (its syslog lines)
        self.runs = []

    def input(self):
        if self.stdin is None:
            return b""
        s = self.stdin + "\n"
        if self.code:
            s += bed.totp("tess") + "\n"
        return s.encode()

    def once(self):
        data = self.input()
        q0, c0 = stats()
        r = measure(self.cmd, data, env=self.env)
        q1, c1 = stats()
        r.ok = self.okf(r)
        r.reqs, r.conns = q1 - q0, c1 - c0
        return r


CASES = [
    Case("pw", "pam_alianza password", driver(d_pw, "bench-pw", "alice"), pam_ok,
         PW["alice"], service="bench-pw"),
    Case("totp", "pam_alianza password+TOTP", driver(d_totp, "bench-totp", "tess"), pam_ok,
         PW["tess"], code=True, service="bench-totp"),
    Case("cached", "pam_alianza cached re-auth", driver(d_cached, "bench-cached", "alice"), pam_ok,
         PW["alice"], service="bench-cached"),
    Case("curl", "curl CLI (one HTTPS POST)", CURL, curl_ok),
    Case("exec", "pam_exec + sh + curl", driver(d_exec, "bench-exec", "alice"), pam_ok, PW["alice"]),
    Case("unix", "pam_unix yescrypt", driver(d_unix, "bench-unix", UNIX_USER), pam_ok, UNIX_PW),
    # deployment variants
    Case("disk", "pam_alianza password, cache on disk", driver(d_disk, "bench-disk", "alice"), pam_ok,
         PW["alice"], service="bench-disk", group="variant"),
    Case("bundle", "pam_alianza password, ca_file = system bundle (%d certs)" % NCERTS,
         driver(d_bundle, "bench-bundle", "alice"), pam_ok, PW["alice"], service="bench-bundle",
         group="variant"),
    Case("curlbundle", "curl CLI, --cacert system bundle (%d certs)" % NCERTS,
         curl_cmd("--cacert", BUNDLE), curl_ok, group="variant"),
    Case("permit", "empty PAM call (pam_permit)", driver(d_permit, "bench-permit", "alice"), pam_ok,
         "", group="variant"),
    # reference points, to split a login's time into its steps
    Case("ignore", "PAM + pam_alianza.so loaded, config read, root ignored",
         driver(d_ignore, "bench-ignore", "root"), pam_ok, "", group="ref"),
    Case("preload", "pam_alianza password, libcurl loaded at exec with lazy binding (LD_PRELOAD)",
         driver(d_preload, "bench-preload", "alice"), pam_ok, PW["alice"], service="bench-preload",
         group="ref", env=dict(ENV, LD_PRELOAD="libcurl.so.4")),
    Case("true", "exec of /bin/true", ["/bin/true"], lambda r: r.status == 0, group="ref"),
    Case("opensslv", "openssl version (libssl + libcrypto loaded)", ["openssl", "version"],
         lambda r: "OpenSSL" in r.out, group="ref"),
    Case("curlv", "curl --version (libcurl and its %d libraries loaded)" % NLIBS_CURL,
         ["curl", "--version"], lambda r: r.out.startswith("curl "), group="ref"),
    Case("sc_ca", "openssl s_client handshake, -CAfile test CA (1 cert)", s_client("-CAfile", bed.ca),
         verified, group="ref"),
    Case("sc_bundle", "openssl s_client handshake, -CAfile system bundle (%d certs)" % NCERTS,
         s_client("-CAfile", BUNDLE), verified, group="ref"),
    Case("sc_capath", "openssl s_client handshake, -CApath hashed directory (same certs)",
         s_client("-CApath", CAPATH), verified, group="ref"),
]
BY = {c.key: c for c in CASES}

# ---------------------------------------------------------------- sanity, then warm-up
first = BY["cached"].once()       # the online login that opens the cached window
if not (first.ok and first.reqs == 1):
    sys.exit("bench.py: the first (online) login of the cached case failed:\n" + first.out)
for c in CASES:
    r = c.once()
    if not r.ok:
        sys.exit("bench.py: case '%s' does not succeed; its output:\n%s" % (c.label, r.out))
for _ in range(WARMUP - 1):
    for c in CASES:
        c.once()
DISK_OK = os.path.exists(os.path.join(bed.tmp, "alz-cache-disk", "u.alice.json"))

# ---------------------------------------------------------------- the sequential cases
log("bench: %d runs of each of %d cases, interleaved (load %s)"
    % (RUNS, len(CASES), open("/proc/loadavg").read().split()[0]))
mark = bed.syslog.mark()
rng = random.Random(7)
t_seq = time.monotonic()
for _ in range(RUNS):
    order = CASES[:]
    rng.shuffle(order)
    for c in order:
        c.runs.append(c.once())
t_seq = time.monotonic() - t_seq
time.sleep(0.3)
seq_log = bed.syslog.since(mark)

# ---------------------------------------------------------------- 200 concurrent logins
log("bench: %d concurrent logins, %d at a time" % (CONC_TOTAL, CONC_PARALLEL))
dconf = [driver(d_conc, "bench-conc", "c%02d" % n) for n in range(CONC_USERS)]
q0, c0 = stats()
conc = []
lock = threading.Lock()


def one(k):
    n = k % CONC_USERS
    r = measure(dconf[n], ("C%02d-pass1!\n" % n).encode())
    r.ok = pam_ok(r)
    with lock:
        conc.append(r)


def mock_cpu():
    """CPU seconds the mock API process has used so far."""
    with open("/proc/%d/stat" % bed.mock.pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)


m0 = machine_cpu()
cpu0 = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN),
        mock_cpu())
t_conc = time.perf_counter()
with ThreadPoolExecutor(max_workers=CONC_PARALLEL) as pool:
    list(pool.map(one, range(CONC_TOTAL)))
t_conc = time.perf_counter() - t_conc
cpu1 = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN),
        mock_cpu())
m1 = machine_cpu()
CONC_MACHINE = {"busy": (m1[0] - m0[0]) / max(1, m1[1] - m0[1])}
conc_cpu = {   # seconds of CPU during the concurrent part: logins (launcher + driver), mock, harness
    "logins": (cpu1[1].ru_utime + cpu1[1].ru_stime) - (cpu0[1].ru_utime + cpu0[1].ru_stime),
    "mock": cpu1[2] - cpu0[2],
    "harness": (cpu1[0].ru_utime + cpu1[0].ru_stime) - (cpu0[0].ru_utime + cpu0[0].ru_stime),
}
q1, c1 = stats()
time.sleep(0.2)

# ---------------------------------------------------------------- pam_exec tree, program by program
def median_of(cmd, stdin, n=7):
    return statistics.median(measure(cmd, stdin).rss for _ in range(n))


rss_exec_driver = median_of(driver(d_exec_true, "bench-exec-true", "alice"), b"x\n")
# sh alone: the script with no curl on PATH (its pipeline and $(...) subshells still run)
rss_exec_sh = statistics.median(
    measure(["/bin/sh", SCRIPT, URL, bed.ca], PW["alice"].encode() + b"\0",
            env={"PATH": "/nonexistent", "PAM_USER": "alice"}).rss for _ in range(7))
rss_curl = statistics.median(r.rss for r in BY["curl"].runs)


# ---------------------------------------------------------------- numbers
def ms(x):
    return x * 1000.0


def pct(vals, p):
    """Nearest-rank percentile."""
    v = sorted(vals)
    return v[max(0, min(len(v) - 1, -(-p * len(v) // 100) - 1))]


def module_ms(service):
    """The module's own share: the ms=N of its syslog line (pam_sm_authenticate)."""
    vals, via = [], []
    for line in seq_log:
        if "service=%s " % service in line and " ms=" in line:
            vals.append(int(re.search(r" ms=(\d+)", line).group(1)))
            v = re.search(r" via=(\S+)", line)
            via.append(v.group(1) if v else "?")
    return vals, via


S = {}
for c in CASES:
    w = [ms(r.wall) for r in c.runs]
    S[c.key] = {
        "label": c.label, "n": len(w), "median": statistics.median(w), "p90": pct(w, 90),
        "min": min(w), "cpu": ms(statistics.median(r.cpu for r in c.runs)),
        "rss": statistics.median(r.rss for r in c.runs) / 1024.0,
        "reqs": sum(r.reqs for r in c.runs) / len(c.runs),
        "conns": sum(r.conns for r in c.runs) / len(c.runs),
        "fail": sum(1 for r in c.runs if not r.ok), "lat": w,
    }
    if c.service:
        vals, via = module_ms(c.service)
        S[c.key]["module_ms"] = statistics.median(vals) if vals else None
        S[c.key]["via"] = sorted(set(via))
cw = [ms(r.wall) for r in conc]
CONC = {
    "n": len(conc), "fail": sum(1 for r in conc if not r.ok), "wall": t_conc,
    "tput": len(conc) / t_conc, "p50": statistics.median(cw), "p90": pct(cw, 90),
    "p99": pct(cw, 99), "max": max(cw), "min": min(cw),
    "rss": statistics.median(r.rss for r in conc) / 1024.0,
    "cpu": ms(statistics.median(r.cpu for r in conc)), "reqs": q1 - q0, "conns": c1 - c0,
}
exec_tree_sum = (rss_exec_driver + rss_exec_sh + rss_curl) / 1024.0
pw, totp, cached, curl, ex, unix, permit, disk = (
    S[k] for k in ("pw", "totp", "cached", "curl", "exec", "unix", "permit", "disk"))


def f(x, d=1):
    return "-" if x is None else ("%%.%df" % d) % x


# ---------------------------------------------------------------- where the time goes
PROF = []          # lines of the profile section (also written to profile.txt)


def strace_summary():
    """One password login under strace -f: connections, threads, fsyncs, files read."""
    if not shutil.which("strace"):
        PROF.append("(strace not installed: skipped)")
        return
    out = os.path.join(bed.tmp, "strace.out")
    r = measure(["strace", "-f", "-qq", "-o", out, "-e",
                 "trace=openat,connect,clone,clone3,fsync,fdatasync"] + driver(d_disk, "bench-disk", "alice"),
                (PW["alice"] + "\n").encode())
    text = open(out).read().splitlines()
    opened = [m.group(1) for m in (re.search(r'openat\([^,]+, "([^"]+)"', l) for l in text
                                   if "openat(" in l and "= -1" not in l) if m]
    libs = sorted(set(os.path.basename(x) for x in opened if ".so" in x))
    other = [x for x in opened if ".so" not in x and not x.startswith("/proc/")]
    inet = sorted(set(re.sub(r'.*sin_port=htons\((\d+)\).*inet_addr\("([^"]+)"\).*', r"\2:\1", l)
                      for l in text if "connect(" in l and "AF_INET" in l))
    nconn = sum(1 for l in text if "connect(" in l and "AF_INET" in l)
    threads = sum(1 for l in text if re.search(r"\bclone3?\(", l))
    fsyncs = sum(1 for l in text if re.search(r"\bf(data)?sync\(", l))
    short = [re.sub(r"^%s/?" % re.escape(bed.tmp), "<bed>/", x) for x in other]
    PROF.append("strace -f, one password login with the cache on disk (%s):"
                % ("PAM_SUCCESS" if pam_ok(r) else "FAILED"))
    PROF.append("  TCP connections:  %d (%s); DNS: none (numeric host)" % (nconn, ", ".join(inet)))
    PROF.append("  threads started:  %d (libcurl starts no resolver thread for a numeric host)" % threads)
    PROF.append("  fsync:            %d (the user's cache record, written atomically)" % fsyncs)
    PROF.append("  shared objects:   %d opened (the module's dependency closure, via libpam's dlopen)" % len(libs))
    PROF.append("  files read:       %s" % " ".join(short))
    # with ca_file unset, which trust store does libcurl read? (the login fails: the mock's
    # certificate is signed by the test CA, which the system store does not hold)
    out2 = os.path.join(bed.tmp, "strace-noca.out")
    r2 = measure(["strace", "-f", "-qq", "-o", out2, "-e", "trace=openat"] + driver(d_noca, "bench-noca", "alice"),
                 (PW["alice"] + "\n").encode())
    read = sorted(set(m.group(1) for m in (re.search(r'openat\([^,]+, "([^"]+)"', l) for l in open(out2))
                      if m and ("/ssl/" in m.group(1) or m.group(1).endswith((".crt", ".pem")))))
    PROF.append("  with ca_file unset (%s, as expected: the test CA is not in the system store), "
                "it reads: %s" % (re.sub(r".*authenticate: ", "", r2.out.strip().splitlines()[-1]), " ".join(read)))


def cg_inclusive(path):
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    d = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)", line)
        if m:
            n = int(m.group(1).replace(",", ""))
            if "PROGRAM TOTALS" in line:
                d["TOTAL"] = n
                continue
            fn = m.group(2).split(":")[-1].split("'")[0]
            d[fn] = max(d.get(fn, 0), n)
    return d


def callgrind(tag, cmd, stdin):
    out = os.path.join(OUTDIR, "callgrind.%s.out" % tag)
    r = measure(["valgrind", "--tool=callgrind", "-q", "--callgrind-out-file=" + out] + cmd, stdin)
    return cg_inclusive(out), r


CG_ROWS = [
    # title, functions (the largest inclusive count of them is taken)
    ("whole process", ["TOTAL"]),
    ("dynamic linking: symbol binding of ~40 libraries", ["_dl_relocate_object"]),
    ("  (pam_alianza: in libpam's dlopen(RTLD_NOW); curl: at exec, lazy)", None),
    ("library constructors", ["_dl_init"]),
    ("curl_global_init: OpenSSL init", ["curl_global_init"]),
    ("  of which reading openssl.cnf", ["CONF_modules_load_file_ex"]),
    ("curl_easy_perform: the HTTPS request", ["curl_easy_perform"]),
    ("  first random bytes: DRBG set-up (RAND_status)", ["RAND_status"]),
    ("  SSL_CTX_new", ["SSL_CTX_new_ex"]),
    ("  CA file load (X509_STORE_load_file)", ["X509_STORE_load_file_ex"]),
    ("  TLS handshake (SSL_do_handshake)", ["SSL_do_handshake"]),
    ("    certificate chain verification", ["X509_verify_cert"]),
    ("    OpenSSL 3 algorithm fetches (EVP_*_fetch)", ["EVP_CIPHER_fetch"]),
    ("pam_alianza's own code (pam_authenticate - libcurl)", ["OWN"]),
    ("exit handlers (OPENSSL_cleanup)", ["OPENSSL_cleanup"]),
]
CG = {}


def profile():
    strace_summary()
    if not (shutil.which("valgrind") and shutil.which("callgrind_annotate")):
        PROF.append("(valgrind not installed: no instruction profile)")
        return
    CG["pw"], r1 = callgrind("pam_alianza", driver(d_pw, "bench-pw", "alice"), (PW["alice"] + "\n").encode())
    CG["curl"], r2 = callgrind("curl-cli", CURL, b"")
    env_now = dict(ENV, LD_BIND_NOW="1")
    out = os.path.join(OUTDIR, "callgrind.curl-cli-bindnow.out")
    measure(["valgrind", "--tool=callgrind", "-q", "--callgrind-out-file=" + out] + CURL, b"", env=env_now)
    CG["curlnow"] = cg_inclusive(out)
    CG["unix"], _ = callgrind("pam_unix", driver(d_unix, "bench-unix", UNIX_USER), (UNIX_PW + "\n").encode())
    CG["cached"], _ = callgrind("pam_alianza-cached", driver(d_cached, "bench-cached", "alice"),
                               (PW["alice"] + "\n").encode())
    a = CG["pw"]
    a["OWN"] = max(0, a.get("pam_authenticate", 0) - a.get("curl_easy_perform", 0) - a.get("curl_global_init", 0))
    PROF.append("")
    PROF.append("callgrind, instructions (millions, inclusive), one run each; ms = that share of the")
    PROF.append("case's median CPU time (pam_alianza %s ms, curl CLI %s ms), an estimate:" % (f(pw["cpu"]), f(curl["cpu"])))
    PROF.append("  %-64s %14s %14s" % ("", "pam_alianza", "curl CLI"))
    for title, names in CG_ROWS:
        if names is None:
            PROF.append("  " + title)
            continue
        cells = []
        for key, cpu in (("pw", pw["cpu"]), ("curl", curl["cpu"])):
            d = CG[key]
            n = max(d.get(x, 0) for x in names)
            tot = d.get("TOTAL") or 1
            cells.append("%6.1fM %5.2fms" % (n / 1e6, cpu * n / tot) if n else "%14s" % "-")
        PROF.append("  %-64s %s %s" % (title, cells[0], cells[1]))
    PROF.append("  curl CLI with LD_BIND_NOW=1 (binds eagerly, as RTLD_NOW): symbol binding %.1fM, whole %.1fM"
                % (CG["curlnow"].get("_dl_relocate_object", 0) / 1e6, CG["curlnow"].get("TOTAL", 0) / 1e6))
    PROF.append("  yescrypt: pam_unix's crypt_r %.1fM of %.1fM; pam_alianza cached re-auth's crypt_rn %.1fM of %.1fM"
                % (CG["unix"].get("crypt_r", 0) / 1e6, CG["unix"].get("TOTAL", 0) / 1e6,
                   CG["cached"].get("crypt_rn", 0) / 1e6, CG["cached"].get("TOTAL", 0) / 1e6))


if PROFILE:
    log("bench: profiling one login (strace, callgrind)")
    profile()

# ---------------------------------------------------------------- targets
targets = []


def target(what, measured, ok):
    targets.append((what, measured, ok))


r_curl = pw["median"] / curl["median"]
r_exec = pw["median"] / ex["median"]
r_totp = totp["median"] / pw["median"]
r_cached = cached["median"] / unix["median"]
cached_reqs = sum(r.reqs for r in BY["cached"].runs)
target("password login <= 1.0x curl CLI", "%.2fx (%s / %s ms)" % (r_curl, f(pw["median"]), f(curl["median"])),
       r_curl <= 1.0)
target("password login <= 0.5x pam_exec+curl", "%.2fx (%s / %s ms)" % (r_exec, f(pw["median"]), f(ex["median"])),
       r_exec <= 0.5)
target("TOTP login <= 1.15x password-only", "%.2fx (%s / %s ms)" % (r_totp, f(totp["median"]), f(pw["median"])),
       r_totp <= 1.15)
target("cached re-auth: 0 API requests", "%d requests in %d logins" % (cached_reqs, cached["n"]),
       cached_reqs == 0)
target("cached re-auth <= 1.1x pam_unix", "%.2fx (%s / %s ms)" % (r_cached, f(cached["median"]), f(unix["median"])),
       r_cached <= 1.1)
target("200 concurrent: 0 failures", "%d failures" % CONC["fail"], CONC["fail"] == 0)
target("200 concurrent: p99 <= 5x p50", "%.2fx (p99 %s / p50 %s ms)" % (CONC["p99"] / CONC["p50"], f(CONC["p99"]),
                                                                       f(CONC["p50"])),
       CONC["p99"] <= 5 * CONC["p50"])
target("peak RSS <= pam_exec+curl's (its tree: driver + sh + curl)",
       "%s MiB vs %s MiB (largest single process of its tree: %s MiB)"
       % (f(pw["rss"]), f(exec_tree_sum), f(ex["rss"])), pw["rss"] <= exec_tree_sum)

# ---------------------------------------------------------------- the report
MAIN = [c for c in CASES if c.group == "main"]
VARIANTS = [c for c in CASES if c.group == "variant"]
L = []
A = L.append
A("# pam_alianza benchmark")
A("")
A("%s, %s, %d CPUs, load %s at the start. Mock API: Python HTTPS on loopback. Every case is a "
  "whole process, fork to reap; %d runs each, interleaved, after %d warm-up rounds."
  % (time.strftime("%Y-%m-%d %H:%M"), os.uname().nodename, os.cpu_count(), LOAD0, RUNS, WARMUP))
A("")
A("| case | runs | median ms | p90 ms | min ms | CPU ms | module ms | peak RSS MiB | API req/login | TLS conn/login | failures |")
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in MAIN:
    s = S[c.key]
    A("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        s["label"], s["n"], f(s["median"]), f(s["p90"]), f(s["min"]), f(s["cpu"]),
        f(s.get("module_ms"), 0), f(s["rss"]), f(s["reqs"], 2), f(s["conns"], 2), s["fail"]))
A("| 200 concurrent pam_alianza, 50 at a time | %d | %s | %s | %s | %s | - | %s | %s | %s | %d |" % (
    CONC["n"], f(CONC["p50"]), f(CONC["p90"]), f(CONC["min"]), f(CONC["cpu"]), f(CONC["rss"]),
    f(CONC["reqs"] / CONC["n"], 2), f(CONC["conns"] / CONC["n"], 2), CONC["fail"]))
A("| *deployment variants, for comparison:* | | | | | | | | | | |")
for c in VARIANTS:
    s = S[c.key]
    A("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        s["label"], s["n"], f(s["median"]), f(s["p90"]), f(s["min"]), f(s["cpu"]),
        f(s.get("module_ms"), 0), f(s["rss"]), f(s["reqs"], 2), f(s["conns"], 2), s["fail"]))
A("")
busy = CONC_MACHINE["busy"]
ours = conc_cpu["logins"] + conc_cpu["mock"] + conc_cpu["harness"]
A("200 concurrent logins (c00..c19, 50 in flight): %.2f s, %.0f logins/s, p50 %s ms, p99 %s ms, "
  "max %s ms. CPU meanwhile: logins %.2f s, mock API %.2f s, harness %.2f s; the machine's %d CPUs "
  "were %.0f%% busy (%.0f%% of their time was ours)%s." % (
      CONC["wall"], CONC["tput"], f(CONC["p50"]), f(CONC["p99"]), f(CONC["max"]), conc_cpu["logins"],
      conc_cpu["mock"], conc_cpu["harness"], os.cpu_count(), 100.0 * busy,
      100.0 * ours / (CONC["wall"] * os.cpu_count()),
      ": CPU-bound, so a login's latency is its place in the queue (50 in flight / %.0f per s = %.0f ms)"
      % (CONC["tput"], 1000.0 * CONC_PARALLEL / CONC["tput"]) if busy > 0.85 else ""))
A("")
A("| ratio | value |")
A("|---|---:|")
A("| pam_alianza / curl CLI | %.2fx |" % r_curl)
A("| pam_alianza / pam_exec+curl | %.2fx |" % r_exec)
A("| TOTP / password-only | %.2fx |" % r_totp)
A("| cached / pam_unix | %.2fx |" % r_cached)
A("")
A("| target | measured | |")
A("|---|---|---|")
for what, measured, ok in targets:
    A("| %s | %s | %s |" % (what, measured, "met" if ok else "**NOT MET**"))
A("")
A("Columns: CPU = user + system time of the login's process tree; module ms = the `ms=` of the "
  "module's own syslog line (pam_sm_authenticate, whole milliseconds); peak RSS = wait4's ru_maxrss, "
  "which Linux reports as the largest single process of the reaped tree; API req and TLS conn = the "
  "mock's counters around each run. pam_exec+curl's tree is the driver, sh and curl alive at once: "
  "their own peaks, each measured alone, add up to %s MiB (driver with pam_exec %s + sh %s + curl %s)."
  % (f(exec_tree_sum), f(rss_exec_driver / 1024.0), f(rss_exec_sh / 1024.0), f(rss_curl / 1024.0)))
A("Cached re-auth: the module logged via=%s for every run. \"cache on disk\" keeps the record on "
  "this machine's ext4 (as /var/lib/pam_alianza would be) instead of the test bed's tmpfs%s."
  % (",".join(cached.get("via") or ["?"]), "" if DISK_OK else " (BUT NO RECORD WAS WRITTEN THERE)"))
A("")
A("## Where the time goes")
A("")
A("Each step adds to the one above (medians of this run):")
A("")
A("| step | ms | + ms | CPU ms | peak RSS MiB |")
A("|---|---:|---:|---:|---:|")
steps = [("exec of a small program (/bin/true)", S["true"]),
         ("driver + libpam + parse the stack (empty PAM call)", permit),
         ("+ dlopen pam_alianza.so and its %d libraries, read its config (root: PAM_IGNORE)" % NLIBS_MOD,
          S["ignore"]),
         ("+ the login: OpenSSL init, TLS handshake, POST, reply, cache record (password login)", pw)]
prev = None
for title, s in steps:
    A("| %s | %s | %s | %s | %s |" % (title, f(s["median"]), "" if prev is None else "%+.1f" % (s["median"] - prev),
                                      f(s["cpu"]), f(s["rss"])))
    prev = s["median"]
A("| curl CLI: exec + libcurl's %d libraries + OpenSSL init (curl --version) | %s | | %s | %s |"
  % (NLIBS_CURL, f(S["curlv"]["median"]), f(S["curlv"]["cpu"]), f(S["curlv"]["rss"])))
A("| curl CLI: + TLS handshake, POST, reply | %s | %+.1f | %s | %s |"
  % (f(curl["median"]), curl["median"] - S["curlv"]["median"], f(curl["cpu"]), f(curl["rss"])))
A("| for scale: openssl version (libssl + libcrypto only) | %s | | %s | %s |"
  % (f(S["opensslv"]["median"]), f(S["opensslv"]["cpu"]), f(S["opensslv"]["rss"])))
A("")
A("The module's own syslog says %s ms inside pam_sm_authenticate (TOTP %s, cached %s); the rest of the "
  "password login is process start, libpam and loading the module's libraries. Of %s ms wall, %s ms is "
  "CPU; the rest is waiting for the mock's side of the handshake, as curl CLI does (%s of %s ms)."
  % (f(pw.get("module_ms"), 0), f(totp.get("module_ms"), 0), f(cached.get("module_ms"), 0), f(pw["median"]),
     f(pw["cpu"]), f(curl["cpu"]), f(curl["median"])))
if PROF:
    A("")
    A("```")
    L.extend(PROF)
    A("```")
if CG:
    a, b, bn = CG["pw"], CG["curl"], CG["curlnow"]
    rel_a, rel_b, rel_bn = (d.get("_dl_relocate_object", 0) / 1e6 for d in (a, b, bn))
    A("")
    A("Read: the HTTPS work itself (curl_easy_perform, curl_global_init) costs pam_alianza the same "
      "instructions as the curl CLI; the module's own code is %.1fM. The difference is dynamic linking: "
      "libpam dlopen()s the module with RTLD_NOW, so every symbol of its ~40 libraries is bound at "
      "load, %.1fM instructions against %.1fM for the curl CLI's lazy start (%.1fM with LD_BIND_NOW=1)."
      % (a.get("OWN", 0) / 1e6, rel_a, rel_b, rel_bn))
    cu, cc = CG["unix"].get("crypt_r", 0), CG["cached"].get("crypt_rn", 0)
    if cu and cc:
        A("")
        A("Cached re-auth vs pam_unix: both check one yescrypt hash of the same cost ($y$j9T$, libcrypt's "
          "default), yet pam_unix (Linux-PAM %s) spends %.0fM instructions in crypt_r per login against "
          "%.0fM in the module's single crypt_rn (%.1fx: it hashes the password %s)." %
          (PAM_VERSION, cu / 1e6, cc / 1e6, cu / cc, "twice" if 1.8 < cu / cc < 2.2 else "%.1f times" % (cu / cc)))
A("")
A("Trust store (each a whole process; the handshake and verification are the same, only the CA "
  "loading differs): openssl s_client with -CAfile of the test CA %s ms, with -CAfile of the system "
  "bundle (%d certs) %s ms, with -CApath, a hashed directory of the same certificates, %s ms. "
  "pam_alianza with ca_file = that bundle: %s ms (+%s); the curl CLI with it: %s ms (+%s)."
  % (f(S["sc_ca"]["median"]), NCERTS, f(S["sc_bundle"]["median"]), f(S["sc_capath"]["median"]),
     f(S["bundle"]["median"]), f(S["bundle"]["median"] - pw["median"]), f(S["curlbundle"]["median"]),
     f(S["curlbundle"]["median"] - curl["median"])))
A("")
A("## Levers (estimates from this run)")
A("")
A("- Trust store: with `ca_file` unset libcurl reads its default CA bundle (%s, %d certificates "
  "here) at every login: +%s ms over the single test CA, %.1fx the whole login. So does the README's "
  "example `ca_file = /etc/ssl/certs/ca-certificates.crt`. With CURLOPT_CAINFO = NULL and "
  "CURLOPT_CAPATH = /etc/ssl/certs when `ca_file` is unset (a hashed directory: OpenSSL reads only "
  "the issuer it needs) the same trust costs %+.1f ms over the single CA (s_client: CApath %s ms, "
  "bundle %s ms, one CA %s ms)."
  % (SYSTEM_BUNDLE, NCERTS - 1, f(S["bundle"]["median"] - pw["median"]),
     (S["bundle"]["median"] - pw["median"]) / pw["median"],
     S["sc_capath"]["median"] - S["sc_ca"]["median"], f(S["sc_capath"]["median"]),
     f(S["sc_bundle"]["median"]), f(S["sc_ca"]["median"])))
if CG:
    per_m = pw["cpu"] / (CG["pw"].get("TOTAL") or 1) * 1e6
    A("- Dynamic linking: libpam loads the module with RTLD_NOW, binding all symbols of its %d libraries "
      "at once (%.1fM instructions, ~%s ms; the curl CLI binds lazily, %.1fM). Loading libcurl only when "
      "a request is due (dlopen RTLD_LAZY) would save ~%s ms of an online login, and up to %s ms of "
      "every PAM call that never goes online (root and ignored users, cached re-auth): the 'root "
      "ignored' step above."
      % (NLIBS_MOD, rel_a, f(rel_a * per_m), rel_b, f((rel_a - rel_b) * per_m),
         f(S["ignore"]["median"] - permit["median"])))
else:
    A("- Dynamic linking: libpam loads the module with RTLD_NOW, binding all symbols of its %d "
      "libraries at once; loading the module and its libraries costs %s ms ('root ignored' step)."
      % (NLIBS_MOD, f(S["ignore"]["median"] - permit["median"])))
A("  Measured without changing the module: the same password login with libcurl already loaded "
  "at exec with lazy binding (LD_PRELOAD=libcurl.so.4, so libpam's dlopen finds it bound): %s ms "
  "against %s ms (%+.1f ms; %.2fx the curl CLI)."
  % (f(S["preload"]["median"]), f(pw["median"]), S["preload"]["median"] - pw["median"],
     S["preload"]["median"] / curl["median"]))
A("- The cache record is written and fsync()ed at each online login: on this machine's disk "
  "+%s ms over tmpfs (median)." % f(disk["median"] - pw["median"]))
A("- Already done, visible above: one TCP connection and one TLS handshake per login, also for "
  "password+TOTP (%.2f connections for %.2f requests); no DNS and no resolver thread (numeric "
  "host); only the configured CA file is read; no curl_global_cleanup." % (totp["conns"], totp["reqs"]))
A("- Inside sshd or sudo part of the OpenSSL cost is already paid by the host process (sshd links "
  "libcrypto), so the module's share there is smaller than in this one-shot driver.")
report = "\n".join(L) + "\n"
with open(os.path.join(OUTDIR, "results.md"), "w") as fh:
    fh.write(report)
with open(os.path.join(OUTDIR, "profile.txt"), "w") as fh:
    fh.write("\n".join(PROF) + "\n")

# ---------------------------------------------------------------- chart
chart_cases = [(c.label, S[c.key]["lat"]) for c in MAIN]
chart_cases.append(("200 concurrent, 50 at a time", cw))
chart_cases += [(c.label, S[c.key]["lat"]) for c in VARIANTS]
for k, (label, lat) in enumerate(chart_cases, 1):
    with open(os.path.join(OUTDIR, "latency-%d.dat" % k), "w") as fh:
        fh.write("# %s: per-login wall time, ms\n" % label)
        fh.write("".join("%.3f\n" % v for v in lat))
png = os.path.join(OUTDIR, "latency.png")
gp = os.path.join(OUTDIR, "latency.gp")
n = len(chart_cases)
COLORS = ["#1f77b4", "#2ca02c", "#17becf", "#d62728", "#ff7f0e", "#9467bd", "#000000", "#7f7f7f",
          "#8c564b", "#e377c2", "#bcbd22", "#aec7e8", "#98df8a"]


def dat(k):
    return "'%s/latency-%d.dat'" % (OUTDIR, k)


def tick(label, width=16):
    """The label wrapped into lines of at most WIDTH characters (gnuplot's \\n)."""
    lines, cur = [], ""
    for word in label.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = (cur + " " + word).strip()
    lines.append(cur)
    return "\\n".join(lines)


box = ", \\\n     ".join(
    "%s using (%d):1 with boxplot lc rgb '%s' lw 1.5, %s using (%d + 0.3*(rand(0)-0.5)):1 "
    "with points pt 7 ps 0.45 lc rgb '%s'" % (dat(k), k, COLORS[k - 1], dat(k), k, COLORS[k - 1])
    for k in range(1, n + 1))
cdf = ", \\\n     ".join(
    "%s using 1:(1.0) smooth cnormal lw 2 lc rgb '%s' title \"%s\"" % (dat(k), COLORS[k - 1], lbl)
    for k, (lbl, _) in enumerate(chart_cases, 1))
with open(gp, "w") as fh:
    fh.write("""set terminal pngcairo noenhanced size 1400,1100 font "DejaVu Sans,10"
set output '%(png)s'
set multiplot layout 2,1 title "pam_alianza benchmark: wall time per login, whole processes, mock API on loopback\\n%(runs)d runs per case, %(date)s, load %(load)s at start.  Medians: pam_alianza %(pw)s ms, curl CLI %(curl)s ms, pam_exec+curl %(ex)s ms, pam_unix %(unix)s ms" font ",12"
set logscale y
set ytics (1,2,5,10,20,50,100,200,500,1000)
set yrange [0.5:*]
set ylabel "ms per login (log scale)"
set grid ytics
set xrange [0.4:%(n)d.6]
set xtics (%(xt)s) font ",9"
set style fill transparent solid 0.25 border
set style boxplot nooutliers
set boxwidth 0.55
set key off
set title "Distribution (box: quartiles and median; whiskers: 1.5 IQR; dots: every run)"
set bmargin 6
set arrow 1 from %(split)s, graph 0 to %(split)s, graph 1 nohead dt 2 lc rgb "#888888"
set label 1 "deployment variants, for comparison" at %(split)s, graph 0.95 offset 1,0 font ",9" tc rgb "#555555"
plot %(box)s
unset arrow 1
unset label 1
set bmargin
set title "Cumulative distribution"
unset logscale y
set yrange [0:1]
set logscale x
set xrange [0.5:*]
set xtics (1,2,5,10,20,50,100,200,500,1000) font ",10"
set ytics 0.25
set xlabel "ms per login (log scale)"
set ylabel "fraction of logins"
set grid xtics ytics
set key outside bottom center horizontal maxrows 4 font ",9" samplen 2
plot %(cdf)s
unset multiplot
""" % {"png": png, "runs": RUNS, "date": time.strftime("%Y-%m-%d %H:%M"), "load": LOAD0, "n": n,
       "pw": f(pw["median"]), "curl": f(curl["median"]), "ex": f(ex["median"]), "unix": f(unix["median"]),
       "xt": ", ".join('"%s" %d' % (tick(lbl), k) for k, (lbl, _) in enumerate(chart_cases, 1)),
       "box": box, "cdf": cdf, "split": "%.1f" % (len(MAIN) + 1.5)})
chart_ok = False
if shutil.which("gnuplot"):
    g = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    chart_ok = g.returncode == 0 and os.path.exists(png)
    if not chart_ok:
        log("bench: gnuplot failed:\n" + g.stderr[-2000:])
else:
    log("bench: gnuplot is not installed (apt-get install gnuplot-nox; tests/bench.sh does): no chart")

print()
print(report)
print("bench: wrote %s/results.md%s (runs took %.1f s; load now %s)" % (
    OUTDIR, " and latency.png" if chart_ok else "", t_seq, open("/proc/loadavg").read().split()[0]))
bed.close()
sys.exit(0 if chart_ok else 1)
