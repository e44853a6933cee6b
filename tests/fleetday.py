#!/usr/bin/python3
"""fleetday.py [OUTDIR] [--users N] [--seed N] [--workers N] [--timeout S] [--connect-timeout S]
              [--sudo-as-root] - the fleet's day, simulated: what pam_alianza asks of the API.

Run it through tests/fleetday.sh (installs faketime, builds, sets ALZ_BUILDDIR/ALZ_SRCDIR) or
`make fleetday`. As root it re-execs itself in a private mount namespace (alztest.Bed): its own
/etc/passwd, /etc/group, /etc/shadow, /dev/log and the mock API on loopback. Nothing on the host
changes.

One working day per user (50 users, adm00..adm49, MANAGEMENT_USER, password only):
  - one ssh login, as sshd does it: authenticate + acct_mgmt in one process (sshd's
    keyboard-interactive child), then open_session ... close_session in another one that
    lives the whole day (sshd's monitor; the session id the module keeps is PAM data, so the
    close must be the same process as the open). Stack: conf/pam.d/sshd's lines.
  - 30 sudo calls spread over 8 hours, each one process running authenticate, acct_mgmt,
    open_session and close_session, with PAM_SILENT, as sudo with its own timestamp off
    (timestamp_timeout=0): every call authenticates. Stack: conf/pam.d/sudo's lines
    (logout_after_auth=yes, allowed_user_types=MANAGEMENT_USER; sudo's session stack,
    common-session-noninteractive, has no pam_alianza). The driver is a setuid-root copy of
    tests/alz-pamdrive run as the user, so the module sees AT_SECURE as under sudo
    (--sudo-as-root: run it as root instead, a trusted caller).
The clock is libfaketime's (Debian's faketime package), never a sleep: every process gets
FAKETIME="@YYYY-MM-DD hh:mm:ss" of its event (FAKETIME_DONT_FAKE_MONOTONIC=1, so libcurl's
deadlines stay real); the ssh session's process reads its time from a file
(FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE=1) that is moved to the close's time before it
closes. The root-run driver gets libfaketime by LD_PRELOAD; the setuid copy is linked against
the same libfaketime.so.1 (the dynamic loader ignores LD_PRELOAD in a setuid process). The
mock API's own clock (token expiry) follows the fake clock: it runs with its time.time()
offset to the current slice's fake time.

Events run in chronological order, in slices of 10 fake minutes (while the API holds every
connection, the blackhole and hang states, each state's whole period is one slice, so that more
logins wait for their deadline at once): within a slice, first the ssh logins, then the sudo
calls, then the extra ssh logins of the outage day, then the session closes, each batch in
parallel across users (each user has their own cache record; a user's own events stay in
order). The mock's request
counter is read between batches, so every API call is counted for the kind of event that made
it; its request log splits them by endpoint. The module's syslog lines (matched to each event
by the process id) say how each login went (via=online, cached, offline).

Days (the same users, the same schedule, a fresh cache and mock each):
  burst-off    sudo calls in bursts (the model below), cached_auth_timeout = 0
  even-off     sudo calls evenly spread, cached_auth_timeout = 0
  burst-15     bursts, cached_auth_timeout = 900
  even-15      evenly spread, cached_auth_timeout = 900
  outage       bursts, cached_auth_timeout = 900, offline_window = 28800, the API down
               12:00-14:00 with connections refused (a relay in front of the mock closes its
               port), and later the same day a second, shorter episode where the API hangs
               instead: 15:00-15:20 accepted and never answered (the relay holds the
               connection: no TLS handshake), 15:20-15:40 the mock's "hang" mode (the handshake
               and the request go through, no answer ever comes). That day only, 20 extra ssh
               logins (a second terminal: sshd's stack as root, authenticate to close_session
               in one process) at seeded times, 10 in 12:00-14:00 and 5 in each state of the
               second episode, each by a user with no other event in its slice: the day's own
               ssh logins are all 08:00-09:00. They count in no per-login figure.

The outage day's claims, printed PASS/FAIL in the issue's words, on the events whose fake time
is in 12:00-14:00 (the window) or outside both episodes (the API answering):
  "every login in the window succeeds offline": each ssh and sudo login there succeeds, offline
      or admitted by cached_auth_timeout (which asks the API nothing: counted as succeeding);
  "none outside it": each login while the API answers succeeds online or cached, none offline;
  "none waits longer than the configured deadline": in the window, the module's time (ms=) <=
      the deadline + 1 s and the whole process's <= the deadline + 2 s (connect_timeout for a
      refused connection).
and, reported apart, "the API hangs instead of refusing" (15:00-15:40): "every sudo refused as
documented, within the deadline" (a setuid caller never opens the offline window on a timeout,
login.c offline_cause: each sudo call fails with the module's line "offline: refused: ... the
caller of a setuid program can cause" after connect_timeout or timeout, unless the cached window
lets it in before any request; with --sudo-as-root: each logs in offline), and "trusted callers
(ssh) log in offline, within the deadline" (the extra ssh logins).

Workload model (seeded; printed in the report): a Neyman-Scott cluster process. A user's day
starts with the ssh login at 08:00 + U(0, 60) min; the 30 sudo calls come in tasks (bursts):
task sizes are geometric with mean 5 calls (drawn until they add up to 30, the last one cut),
each task starts at a uniform time in [login + 2 min, login + 8 h], and within a task the calls
follow each other after log-normal think times (median 60 s, sigma 1.0). The session closes
5 min after the later of login + 8 h and the last sudo call. The even model puts call i at
login + (i + 0.5) * 8 h / 30.

Writes OUTDIR (default $ALZ_BUILDDIR/bench): fleetday.md (the report), fleetday.json (the
figures; the benchmark's targets table reads api_calls_per_sudo_15min) and fleetday-events.tsv
(one line per event); its offline_ok is true when the issue's three claims passed, hang_ok when
the second episode's did, and claim_* holds each claim's result. Exit status 1 when a claim of
the outage day fails, or a login that should have succeeded did not. FLEETDAY_DEBUG=1 in the
environment logs each slice that took longer than 1 s (where the run's time goes).
"""
import atexit
import bisect
import collections
import glob
import json
import math
import os
import random
import re
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import alztest  # noqa: E402

# ---------------------------------------------------------------- arguments
ARGS = sys.argv[1:]
NUSERS, SEED, WORKERS = 50, 20261203, 50
TIMEOUT, CONNECT_TIMEOUT = 3, 2
SUDO_AS_ROOT = False
OUTDIR = None
i = 0
while i < len(ARGS):
    a = ARGS[i]
    if a in ("--users", "--seed", "--workers", "--timeout", "--connect-timeout") and i + 1 < len(ARGS):
        v = int(ARGS[i + 1])
        if a == "--users":
            NUSERS = v
        elif a == "--seed":
            SEED = v
        elif a == "--workers":
            WORKERS = v
        elif a == "--timeout":
            TIMEOUT = v
        else:
            CONNECT_TIMEOUT = v
        i += 1
    elif a == "--sudo-as-root":
        SUDO_AS_ROOT = True
    elif a.startswith("-"):
        sys.exit(__doc__)
    else:
        OUTDIR = os.path.abspath(a)
    i += 1
if not 1 <= NUSERS <= 100 or WORKERS < 1 or not 1 <= CONNECT_TIMEOUT <= TIMEOUT:
    sys.exit("fleetday.py: --users 1..100, --workers >= 1, 1 <= --connect-timeout <= --timeout")
OUTDIR = OUTDIR or os.path.join(alztest.BUILDDIR, "bench")

FT_LIBS = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
if not FT_LIBS:
    sys.exit("fleetday.py: libfaketime.so.1 not found: apt-get install faketime (tests/fleetday.sh does)")
FT_LIB = FT_LIBS[0]

# ---------------------------------------------------------------- the model's parameters
CALLS = 30                   # sudo calls per user-day
DAY = 8 * 3600               # the working day, from the ssh login
LOGIN_AT = 8 * 3600          # ssh logins: 08:00 + U(0, LOGIN_SPREAD)
LOGIN_SPREAD = 3600
TASK_MEAN = 5.0              # calls per task: geometric, mean 5
TASK_EARLIEST = 120          # a task starts at login + U(2 min, 8 h)
GAP_MEDIAN, GAP_SIGMA = 60.0, 1.0   # think time between the calls of a task: log-normal
CLOSE_AFTER = 300            # the session closes 5 min after the day's end (or the last sudo)
SLICE = 600                  # fake seconds per slice: the mock's clock is the slice's start
WINDOW = 900                 # cached_auth_timeout of the "15" days
OFFLINE = 28800              # offline_window of the outage day
# The outage the issue names: the API down 12:00-14:00, connections refused (the relay in front
# of the mock closes its port). The claims check the events whose fake time is inside WINDOW_2H;
# STATES says what the API does when (the two differ only in an experiment that shows a claim
# can fail: move the refused state's end and the claims see offline logins outside the window).
WINDOW_2H = (12 * 3600, 14 * 3600)
# A second, shorter episode the same day, the API hanging instead of refusing: TCP accepted and
# never answered (no TLS handshake), then the mock's "hang" (request read, never answered).
HANG_EPISODE = (15 * 3600, 15 * 3600 + 2400)
STATES = [(12 * 3600, 14 * 3600, "refused"),                 # port closed: ECONNREFUSED
          (15 * 3600, 15 * 3600 + 1200, "blackhole"),        # TCP accepted, no TLS answer
          (15 * 3600 + 1200, 15 * 3600 + 2400, "hang")]      # mock: request read, never answered
# while the API holds every connection a login waits for its deadline: each such state's whole
# period is one slice (all users in parallel); the others run in SLICE-long slices
MERGED = ("blackhole", "hang")
# extra ssh logins of the outage day only (a second terminal: sshd's stack, a trusted caller),
# at seeded times inside each state, so that ssh logins fall in the outage at all (the day's
# ssh logins are all 08:00-09:00); counted in no per-login figure
PROBES = {"refused": 10, "blackhole": 5, "hang": 5}
DEADLINE_KEY = {"refused": "connect_timeout", "blackhole": "connect_timeout", "hang": "timeout"}
STATE_WORDS = {"up": "the API answers",
               "refused": "connection refused (the API's port closed)",
               "blackhole": "TCP accepted, nothing ever answered (no TLS handshake)",
               "hang": "TLS and the request go through, no answer ever comes (mock 'hang')"}
WALL_SLACK = 2.0             # s a login may take beyond the deadline: process start, the
                             # verifier, a CPU on a busy 2-core machine (see the claim)

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "TZ": "UTC"}


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- the mock API on the fake clock
# The mock's only clock that matters here is time.time() (token expiry, refresh tokens): it is
# replaced by one offset to the current slice's fake time, read from a file this script writes.
MOCK_WRAPPER = r"""
import os, sys, time as _real
sys.dont_write_bytecode = True
tests, clock = sys.argv[1], sys.argv[2]
class FakeClock:
    def time(self):
        try:
            with open(clock) as f:
                off = float(f.read().strip() or 0)
        except (OSError, ValueError):
            off = 0.0
        return _real.time() + off
    def __getattr__(self, name):
        return getattr(_real, name)
sys.path.insert(0, tests)
import mock_api
mock_api.time = FakeClock()
sys.argv = [os.path.join(tests, "mock_api.py")] + sys.argv[3:]
sys.exit(mock_api.main())
"""


class FleetBed(alztest.Bed):
    def mock_command(self, ports):
        """The mock under MOCK_WRAPPER: its time.time() follows the fake clock (clock_file)."""
        self.clock_file = os.path.join(self.tmp, "mock-clock")
        with open(self.clock_file, "w") as f:
            f.write("0\n")
        return ([alztest.PYTHON, "-c", MOCK_WRAPPER, os.path.join(alztest.SRCDIR, "tests"), self.clock_file]
                + self.mock_args(ports))

    def set_clock(self, fake_epoch):
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%.3f\n" % (fake_epoch - time.time()))
        os.rename(tmp, self.clock_file)


class PidSyslog(alztest.Syslog):
    """alztest's /dev/log listener, each line prefixed with its sender's process id, which the
    kernel attaches (SO_PASSCRED): the module's lines carry no pid of their own (no openlog)."""

    PASSCRED = True

    def _receive(self):
        data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(struct.calcsize("iII")))
        pid = 0
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:struct.calcsize("iII")])[0]
        return data, "%d\t%s" % (pid, data.decode("utf-8", "replace"))


# ---------------------------------------------------------------- a relay that can refuse or hold
class Relay:
    """TCP relay on loopback in front of the mock's API port. Modes: "pass" (forward),
    "refuse" (the listening socket is closed: connect() gets ECONNREFUSED), "blackhole"
    (accepted, read, never answered). The accept loop owns the socket; set() waits for it."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.mode = self.want = "pass"
        self.ack = threading.Event()
        self.lsock = self._listen(0)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    @staticmethod
    def _listen(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(512)
        return s

    def set(self, mode):
        if mode == self.mode:
            return
        self.ack.clear()
        self.want = mode
        if not self.ack.wait(10):
            raise RuntimeError("relay did not switch to %s" % mode)

    def _loop(self):
        while True:
            if self.want != self.mode:
                if self.want == "refuse" and self.lsock is not None:
                    self.lsock.close()
                    self.lsock = None
                elif self.want != "refuse" and self.lsock is None:
                    self.lsock = self._listen(self.port)
                self.mode = self.want
                self.ack.set()
            if self.lsock is None:
                time.sleep(0.01)
                continue
            ready, _, _ = select.select([self.lsock], [], [], 0.01)
            if not ready:
                continue
            try:
                conn, _ = self.lsock.accept()
            except OSError:
                continue
            if self.mode == "blackhole":
                threading.Thread(target=self._hold, args=(conn,), daemon=True).start()
            else:
                threading.Thread(target=self._forward, args=(conn,), daemon=True).start()

    @staticmethod
    def _hold(conn):
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        conn.close()

    def _forward(self, conn):
        try:
            up = socket.create_connection(self.target)
        except OSError:
            conn.close()
            return
        for s in (conn, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        t = threading.Thread(target=pump, args=(up, conn), daemon=True)
        t.start()
        pump(conn, up)
        t.join()
        conn.close()
        up.close()


# ---------------------------------------------------------------- the bed
bed = FleetBed()             # from here on: root, private namespace, mock API running
atexit.register(bed.close)
bed.syslog.sock.close()      # its thread ends; the same path, now with the senders' pids
os.unlink("/dev/log")
bed.syslog = PidSyslog("/dev/log")
os.makedirs(OUTDIR, exist_ok=True)
T_RUN = time.monotonic()
relay = Relay(bed.ports["main"])
RELAY_URL = "https://127.0.0.1:%d" % relay.port

USERS = ["adm%02d" % n for n in range(NUSERS)]
UID = {u: 3100 + n for n, u in enumerate(USERS)}
PW = {u: "Adm%02d-pass1!" % n for n, u in enumerate(USERS)}


def add_local_users():
    """The fleet's admins, appended to the namespace's passwd/group/shadow copies in place
    (they are bind-mounted over /etc: the same inode) and made members of alianza_group."""
    etc = os.path.join(bed.tmp, "etc")
    with open(os.path.join(etc, "passwd"), "a") as f:
        f.write("".join("%s:x:%d:%d::/tmp:/bin/sh\n" % (u, UID[u], UID[u]) for u in USERS))
    with open(os.path.join(etc, "shadow"), "a") as f:
        f.write("".join("%s:!:19000:0:99999:7:::\n" % u for u in USERS))
    path = os.path.join(etc, "group")
    lines = open(path).read().splitlines()
    out = []
    for line in lines:
        if line.startswith(alztest.SCOPE_GROUP + ":"):
            line += "," + ",".join(USERS)
        out.append(line)
    out += ["%s:x:%d:" % (u, UID[u]) for u in USERS]
    with open(path, "w") as f:          # truncates the same inode
        f.write("\n".join(out) + "\n")


def add_api_users():
    for u in USERS:
        bed.add_api_user(u, PW[u], user_type="MANAGEMENT_USER")


add_local_users()

# The sudo driver: tests/alz-pamdrive.c again, setuid root, linked against libfaketime (in a
# setuid process the loader ignores LD_PRELOAD; a DT_NEEDED with an absolute RUNPATH it loads).
SUDO_DRIVER = os.path.join(bed.public, "alz-pamdrive-setuid")
subprocess.run(["cc", "-O2", "-I", alztest.BUILDDIR, "-o", SUDO_DRIVER,
                os.path.join(alztest.SRCDIR, "tests", "alz-pamdrive.c"),
                "-Wl,--no-as-needed", FT_LIB, "-Wl,-rpath," + os.path.dirname(FT_LIB),
                "-Wl,--as-needed", "-lpam", "-ldl"], check=True)
os.chown(SUDO_DRIVER, 0, 0)
os.chmod(SUDO_DRIVER, 0o4755)

SSH_STACK = ("auth [success=done ignore=ignore default=die] {mod}\n"
             "auth required pam_deny.so\n"
             "account [success=ok ignore=ignore default=bad] {mod}\n"
             "account required pam_permit.so\n"
             "session [success=ok ignore=ignore default=bad] {mod}\n"
             "session required pam_permit.so\n")
SUDO_STACK = ("auth [success=done ignore=ignore default=die] {mod} allowed_user_types=MANAGEMENT_USER "
              "logout_after_auth=yes\n"
              "auth required pam_deny.so\n"
              "account [success=ok ignore=ignore default=bad] {mod} allowed_user_types=MANAGEMENT_USER\n"
              "account required pam_permit.so\n"
              "session required pam_permit.so\n")


# ---------------------------------------------------------------- the fake day
def cert_dates(path):
    out = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-startdate", "-enddate"],
                         capture_output=True, text=True, check=True).stdout
    d = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    parse = lambda s: int(subprocess.run(["date", "-u", "-d", s, "+%s"], capture_output=True, text=True,
                                         check=True).stdout)
    return parse(d["notBefore"]), parse(d["notAfter"])


NB, NA = 0, 1 << 62
for name in ("ca.pem", "server.pem"):
    b, a = cert_dates(os.path.join(bed.certs, name))
    NB, NA = max(NB, b), min(NA, a)
DAY0 = (NB // 86400 + 1) * 86400          # the day after the certificates were made, 00:00 UTC
FAKE_DATE = time.strftime("%Y-%m-%d", time.gmtime(DAY0))


def stamp(t, at=True):
    return ("@" if at else "") + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def hm(t):
    return time.strftime("%H:%M:%S", time.gmtime(t))


# ---------------------------------------------------------------- the schedule
def geometric(rng, mean):
    p = 1.0 / mean
    return 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


def bursty(rng, login):
    """30 sudo call times of one user: tasks of geometric size, uniform starts, log-normal gaps."""
    times, tasks, left = [], [], CALLS
    while left > 0:
        size = min(left, geometric(rng, TASK_MEAN))
        t = login + rng.uniform(TASK_EARLIEST, DAY)
        task = []
        for k in range(size):
            if k:
                t += rng.lognormvariate(math.log(GAP_MEDIAN), GAP_SIGMA)
            task.append(int(round(t)))
        tasks.append(task)
        times += task
        left -= size
    times.sort()
    for k in range(1, len(times)):          # whole seconds, strictly after the one before
        times[k] = max(times[k], times[k - 1] + 1)
    return times, tasks


def even(login):
    return [login + int(round((k + 0.5) * DAY / CALLS)) for k in range(CALLS)]


rng = random.Random(SEED)
LOGIN = {}
BURST = {}
TASKS = {}
for u in USERS:
    LOGIN[u] = DAY0 + LOGIN_AT + int(rng.uniform(0, LOGIN_SPREAD))
    BURST[u], TASKS[u] = bursty(rng, LOGIN[u])
EVEN = {u: even(LOGIN[u]) for u in USERS}
LAST_EVENT = max(max(BURST[u][-1], LOGIN[u] + DAY) + CLOSE_AFTER for u in USERS)
if not (NB <= DAY0 + LOGIN_AT - 60 and LAST_EVENT + 3600 <= NA):
    sys.exit("fleetday.py: the fake day %s does not fit the test certificates' validity (%s .. %s)"
             % (FAKE_DATE, stamp(NB, False), stamp(NA, False)))


def probe_times():
    """(user, time) of the outage day's extra ssh logins: PROBES[state] at seeded times inside
    each state's period, each by a user with no other event in the same slice (the batches of a
    slice run by kind, so the user's own events stay in time order). Their own generator: the
    day's schedule does not change."""
    prng = random.Random(SEED + 1)
    busy = collections.defaultdict(set)
    for u in USERS:
        for t in [LOGIN[u], max(BURST[u][-1], LOGIN[u] + DAY) + CLOSE_AFTER] + BURST[u]:
            busy[slice_of(t, True)].add(u)
    out = []
    for a, b, s in STATES:
        for _ in range(PROBES.get(s, 0)):
            t = DAY0 + prng.randrange(a, b)
            free = [u for u in USERS if u not in busy[slice_of(t, True)]]
            if not free:
                continue
            u = prng.choice(free)
            busy[slice_of(t, True)].add(u)
            out.append((u, t))
    return out


def model_stats():
    sizes = [len(t) for u in USERS for t in TASKS[u]]
    gaps = [b - a for u in USERS for a, b in zip(BURST[u], BURST[u][1:])]
    first_gaps = [BURST[u][0] - LOGIN[u] for u in USERS]
    spans = [BURST[u][-1] - BURST[u][0] for u in USERS]
    return {
        "tasks_per_user_day": len(sizes) / len(USERS),
        "calls_per_task_mean": statistics.mean(sizes),
        "gap_median_s": statistics.median(gaps),
        "gaps_over_15min_share": sum(1 for g in gaps if g > WINDOW) / len(gaps),
        "first_call_after_login_median_min": statistics.median(first_gaps) / 60.0,
        "day_span_h_median": statistics.median(spans) / 3600.0,
    }


def predict(times_by_user, window, sliding=False):
    """Sudo calls the cached window would serve, by the module's rule (login.c try_cached:
    within cached_auth_timeout of the last ONLINE login; the ssh login is one), or with
    SLIDING, of the last successful one (what-if: not what the module does)."""
    cached = 0
    for u in USERS:
        since = LOGIN[u]
        for t in times_by_user[u]:
            if window > 0 and t - since <= window:
                cached += 1
                if sliding:
                    since = t
            else:
                since = t
    return cached


# ---------------------------------------------------------------- running events
class Event:
    __slots__ = ("kind", "user", "t", "pid", "pid2", "wall", "ok", "codes", "out", "lines",
                 "lines2", "via", "result", "ms", "because", "caller_made", "state", "day")

    def __init__(self, kind, user, t):
        self.kind, self.user, self.t = kind, user, t
        self.pid = self.pid2 = None
        self.wall = None
        self.ok = False
        self.codes = {}
        self.out = ""
        self.lines, self.lines2 = [], []
        self.via = self.result = self.ms = self.because = None
        self.caller_made = False
        self.state = "up"


CODE_RE = re.compile(r"^(\w+): (PAM_\w+)$", re.M)


def fake_env(t, **more):
    env = dict(ENV, FAKETIME=stamp(t), FAKETIME_DONT_FAKE_MONOTONIC="1")
    env.update(more)
    return env


def run(cmd, stdin, env, user=None):
    kw = {}
    if user is not None:
        kw = {"user": UID[user], "group": UID[user], "extra_groups": []}
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, **kw)
    out, _ = p.communicate(stdin, timeout=120)
    return p.pid, time.monotonic() - t0, p.returncode, out.decode("utf-8", "replace")


SESSIONS = {}          # user -> the ssh session's process, open from login to close


def ev_ssh(ev, day):
    """sshd: authenticate + acct_mgmt in one process, then the session's process opens."""
    rhost = "192.0.2.%d" % (1 + USERS.index(ev.user))
    ev.pid, ev.wall, rc, ev.out = run(
        [alztest.DRIVER, "-d", day["confdir"], "-r", rhost, "sshd", ev.user, "authenticate", "acct_mgmt"],
        (PW[ev.user] + "\n").encode(), fake_env(ev.t, LD_PRELOAD=FT_LIB))
    ev.codes = dict(CODE_RE.findall(ev.out))
    if rc != 0:
        return
    clock = os.path.join(day["clocks"], ev.user)
    with open(clock, "w") as f:
        f.write(stamp(ev.t + 1, at=False) + "\n")
    env = dict(ENV, LD_PRELOAD=FT_LIB, FAKETIME_TIMESTAMP_FILE=clock, FAKETIME_NO_CACHE="1",
               FAKETIME_DONT_FAKE_MONOTONIC="1")
    p = subprocess.Popen([alztest.DRIVER, "-d", day["confdir"], "-r", rhost, "sshd", ev.user,
                          "open_session", "wait", "close_session"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    ev.pid2 = p.pid
    out = b""
    while not out.endswith(b"WAITING\n"):
        line = p.stdout.readline()
        if not line:
            break
        out += line
    ev.out += out.decode("utf-8", "replace")
    ev.codes.update(CODE_RE.findall(ev.out))
    if out.endswith(b"WAITING\n"):
        SESSIONS[ev.user] = p
        ev.ok = ev.codes.get("authenticate") == ev.codes.get("acct_mgmt") == \
            ev.codes.get("open_session") == "PAM_SUCCESS"
    else:
        p.communicate(timeout=30)


def ev_sudo(ev, day):
    if SUDO_AS_ROOT:
        cmd, env, user = alztest.DRIVER, fake_env(ev.t, LD_PRELOAD=FT_LIB), None
    else:
        cmd, env, user = SUDO_DRIVER, fake_env(ev.t), ev.user
    ev.pid, ev.wall, rc, ev.out = run(
        [cmd, "-s", "-d", day["confdir"], "sudo", ev.user, "authenticate", "acct_mgmt", "open_session",
         "close_session"], (PW[ev.user] + "\n").encode(), env, user)
    ev.codes = dict(CODE_RE.findall(ev.out))
    ev.ok = rc == 0


def ev_close(ev, day):
    p = SESSIONS.pop(ev.user, None)
    if p is None:
        return
    clock = os.path.join(day["clocks"], ev.user)
    with open(clock + ".tmp", "w") as f:
        f.write(stamp(ev.t, at=False) + "\n")
    os.rename(clock + ".tmp", clock)
    ev.pid = p.pid
    t0 = time.monotonic()
    out, _ = p.communicate(b"\n", timeout=120)
    ev.wall = time.monotonic() - t0
    ev.out = out.decode("utf-8", "replace")
    ev.codes = dict(CODE_RE.findall(ev.out))
    ev.ok = p.returncode == 0


def ev_probe(ev, day):
    """A second ssh terminal (outage day only): sshd's stack, run as root like sshd (a trusted
    caller), authenticate to close_session in one process (the session ends at once)."""
    rhost = "198.51.100.%d" % (1 + USERS.index(ev.user))
    ev.pid, ev.wall, rc, ev.out = run(
        [alztest.DRIVER, "-d", day["confdir"], "-r", rhost, "sshd", ev.user, "authenticate", "acct_mgmt",
         "open_session", "close_session"], (PW[ev.user] + "\n").encode(), fake_env(ev.t, LD_PRELOAD=FT_LIB))
    ev.codes = dict(CODE_RE.findall(ev.out))
    ev.ok = rc == 0


RUNNERS = {"ssh": ev_ssh, "sudo": ev_sudo, "close": ev_close, "probe": ev_probe}
AUTH_RE = re.compile(r"auth service=\S+ user=(\S+) rhost=\S* result=(\S+) via=(\S+) .*? ms=(\d+)")
CLOSE_RE = re.compile(r"session close service=\S+ user=\S+ (logout=\S+ refresh=\S+ status=\d+)")
PID_RE = re.compile(r"^(\d+)\t<\d+>.*?pam_alianza(?:\([^)]*\))?: (.*)", re.S)


def state_at(t, outage):
    if outage:
        for a, b, s in STATES:
            if DAY0 + a <= t < DAY0 + b:
                return s
    return "up"


def slice_of(t, outage):
    """The slice an event at T runs in: its state's whole period while the API holds every
    connection (MERGED), else its SLICE of fake time (the mock's clock is the slice's start)."""
    if outage:
        for a, b, s in STATES:
            if s in MERGED and DAY0 + a <= t < DAY0 + b:
                return DAY0 + a
    return DAY0 + (t - DAY0) // SLICE * SLICE


def in_span(t, span):
    return DAY0 + span[0] <= t < DAY0 + span[1]


for _a, _b, _s in STATES:
    if _a % SLICE or _b % SLICE:
        sys.exit("fleetday.py: a state's period must start and end on a %d-s slice boundary" % SLICE)


def set_state(state):
    relay.set({"refused": "refuse", "blackhole": "blackhole"}.get(state, "pass"))
    bed.mode(mode="hang" if state == "hang" else "normal")


def req_count():
    return bed.control("GET", "/stats")["requests"]


def parse_lines(ev):
    for line in ev.lines:
        m = AUTH_RE.search(line)
        if m:
            ev.result, ev.via, ev.ms = m.group(2), m.group(3), int(m.group(4))
            b = re.search(r" offline-because=(\S+)", line)
            ev.because = b.group(1) if b else None
        if "offline: refused:" in line and "caller of a setuid program" in line:
            ev.caller_made = True
        m = CLOSE_RE.search(line)
        if m and ev.kind == "close":
            ev.result = m.group(1)


OPNAMES = {}
for _op, (_method, _path) in alztest.mock_api.OPS[alztest.DIALECT].items():
    OPNAMES[(_method, _path)] = {"whoami": "userinfo"}.get(_op, _op)
ENDPOINTS = ["login", "2fa", "logout", "refresh", "userinfo", "other"]


def run_day(name, times, cached, offline, outage, pools):
    t_day = time.monotonic()
    bed.reset(cache=False)
    add_api_users()
    set_state("up")
    cache_dir = "/mnt/fleet-%s" % name
    shutil.rmtree(cache_dir, ignore_errors=True)
    conf = bed.conf(debug="no", base_url=RELAY_URL, cache_dir=cache_dir, cached_auth_timeout=cached,
                    offline_window=offline, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT)
    confdir = bed.service(conf, name="sshd", stack=SSH_STACK)
    bed.service(conf, name="sudo", stack=SUDO_STACK)
    clocks = os.path.join(bed.tmp, "clocks-" + name)
    os.makedirs(clocks)
    day = {"confdir": confdir, "clocks": clocks}
    events = []
    for u in USERS:
        events.append(Event("ssh", u, LOGIN[u]))
        events += [Event("sudo", u, t) for t in times[u]]
        events.append(Event("close", u, max(times[u][-1], LOGIN[u] + DAY) + CLOSE_AFTER))
    if outage:
        events += [Event("probe", u, t) for u, t in PROBE_AT]
    for ev in events:
        ev.day = name
        ev.state = state_at(ev.t, outage)
    slices = collections.defaultdict(list)
    for ev in events:
        slices[slice_of(ev.t, outage)].append(ev)
    ranges = []            # (first seq, last seq, kind, state) of each batch
    for t_slice in sorted(slices):
        state = state_at(t_slice, outage)
        # a refused connection ends at once: those logins are CPU-bound like the normal ones
        pool = pools["down" if state in MERGED else "up"]
        set_state(state)
        bed.set_clock(t_slice)
        t_s0 = time.monotonic()
        for kind in ("ssh", "sudo", "probe", "close"):
            batch = sorted((ev for ev in slices[t_slice] if ev.kind == kind), key=lambda e: e.t)
            if not batch:
                continue
            by_user = collections.OrderedDict()
            for ev in batch:
                by_user.setdefault(ev.user, []).append(ev)

            def task(evs):
                for ev in evs:
                    RUNNERS[ev.kind](ev, day)

            m0, s0 = bed.syslog.mark(), req_count()
            list(pool.map(task, by_user.values()))
            s1, m1 = req_count(), bed.syslog.mark()
            ranges.append((s0 + 1, s1, kind, state))
            with bed.syslog.lock:
                lines = bed.syslog.lines[m0:m1]
            by_pid = collections.defaultdict(list)
            for line in lines:
                m = PID_RE.search(line)
                if m:
                    by_pid[int(m.group(1))].append(m.group(2))
            for ev in batch:
                ev.lines += by_pid.get(ev.pid, [])
                if ev.pid2 is not None:
                    ev.lines2 += by_pid.get(ev.pid2, [])
                parse_lines(ev)
        if os.environ.get("FLEETDAY_DEBUG") and time.monotonic() - t_s0 > 1:
            log("  slice %s %s: %.1f s, %d events" % (hm(t_slice), state, time.monotonic() - t_s0,
                                                      len(slices[t_slice])))
    set_state("up")
    for p in SESSIONS.values():          # a session whose close never came (a failed run)
        p.kill()
        p.wait()
    SESSIONS.clear()
    # every API call, by the kind of event that made it and by endpoint
    starts = [r[0] for r in ranges]
    calls = collections.defaultdict(collections.Counter)        # kind -> endpoint -> n
    calls_state = collections.defaultdict(collections.Counter)  # state -> kind -> n
    reqs = bed.requests()
    for r in reqs:
        k = bisect.bisect_right(starts, r["seq"]) - 1
        if k < 0 or r["seq"] > ranges[k][1]:
            kind, state = "between", "up"
        else:
            kind, state = ranges[k][2], ranges[k][3]
        op = OPNAMES.get((r["method"], urllib.parse.urlsplit(r["path"]).path), "other")
        calls[kind][op] += 1
        calls_state[state][kind] += 1
    total = req_count()
    return {"name": name, "cached": cached, "offline": offline, "outage": outage, "events": events,
            "calls": calls, "calls_state": calls_state, "requests": total, "logged": len(reqs),
            "secs": time.monotonic() - t_day}


# ---------------------------------------------------------------- the days
PROBE_AT = probe_times()
DAYS = [("burst-off", BURST, 0, 0, False), ("even-off", EVEN, 0, 0, False),
        ("burst-15", BURST, WINDOW, 0, False), ("even-15", EVEN, WINDOW, 0, False),
        ("outage", BURST, WINDOW, OFFLINE, True)]
log("fleetday: %d users x (1 ssh login + %d sudo calls), fake day %s, %d days; load %s"
    % (NUSERS, CALLS, FAKE_DATE, len(DAYS), open("/proc/loadavg").read().split()[0]))
R = {}
# CPU-bound while the API answers (a few logins per CPU at once); many at once while it is
# down, when each login mostly waits for its deadline
CPU_WORKERS = min(WORKERS, 2 * (os.cpu_count() or 1))
with ThreadPoolExecutor(max_workers=CPU_WORKERS) as up, ThreadPoolExecutor(max_workers=WORKERS) as down:
    for name, times, cached, offline, outage in DAYS:
        R[name] = run_day(name, times, cached, offline, outage, {"up": up, "down": down})
        evs = R[name]["events"]
        log("fleetday: day %-9s %4d events in %5.1f s; %d failed" % (
            name, len(evs), R[name]["secs"], sum(1 for e in evs if not e.ok)))
T_RUN = time.monotonic() - T_RUN


# ---------------------------------------------------------------- figures
def figures(d):
    evs = d["events"]
    ssh = [e for e in evs if e.kind == "ssh"]
    sudo = [e for e in evs if e.kind == "sudo"]
    c = d["calls"]
    ssh_calls = collections.Counter(c["ssh"]) + collections.Counter(c["close"])
    via = collections.Counter((e.via or "?") if e.ok else "failed" for e in sudo)
    return {
        "ssh_logins": len(ssh), "sudo_calls": len(sudo),
        "per_login": sum(ssh_calls.values()) / max(1, len(ssh)),
        "per_sudo": sum(c["sudo"].values()) / max(1, len(sudo)),
        "per_login_by": {k: ssh_calls[k] / max(1, len(ssh)) for k in ENDPOINTS if ssh_calls[k]},
        "per_sudo_by": {k: c["sudo"][k] / max(1, len(sudo)) for k in ENDPOINTS if c["sudo"][k]},
        "sudo_online": via["online"], "sudo_cached": via["cached"], "sudo_offline": via["offline"],
        "sudo_failed": via["failed"],
        "failed": sum(1 for e in evs if not e.ok),
        "unattributed": sum(c["between"].values()),
        "wall_median_ms": {k: 1000 * statistics.median([e.wall for e in evs if e.kind == k and e.wall])
                           for k in ("ssh", "sudo", "close") if any(e.wall for e in evs if e.kind == k)},
    }


F = {name: figures(R[name]) for name in R}
MS = model_stats()
PRED = {"burst": predict(BURST, WINDOW), "even": predict(EVEN, WINDOW),
        "burst_sliding": predict(BURST, WINDOW, sliding=True), "even_sliding": predict(EVEN, WINDOW, sliding=True)}
NSUDO = NUSERS * CALLS
SUDO_ONLINE_COST = F["burst-off"]["per_sudo"]          # calls per online sudo (login + logout)


def per_sudo_if(window, sliding=False, times=BURST):
    return (NSUDO - predict(times, window, sliding)) * SUDO_ONLINE_COST / NSUDO


WHATIF = [(w, per_sudo_if(w), per_sudo_if(w, True)) for w in (900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600)]
# the shortest window (whole minutes) that would meet the target, by the module's rule and sliding
NEEDED = {}
for sliding in (False, True):
    NEEDED[sliding] = next((m for m in range(1, 24 * 60 + 1) if per_sudo_if(60 * m, sliding) <= 0.1), None)

# ---------------------------------------------------------------- the outage's claims
od = R["outage"]
# every login of the outage day (the day's ssh logins, the sudo calls, the extra ssh logins), by
# its fake time: the claims check time spans, not what the relay did (see STATES)
logins = [e for e in od["events"] if e.kind in ("ssh", "sudo", "probe")]
in_window = [e for e in logins if in_span(e.t, WINDOW_2H)]
in_hang = [e for e in logins if in_span(e.t, HANG_EPISODE)]
outside = [e for e in logins if not in_span(e.t, WINDOW_2H) and not in_span(e.t, HANG_EPISODE)]
trusted = lambda e: e.kind in ("ssh", "probe") or SUDO_AS_ROOT
DEADLINE = {"connect_timeout": CONNECT_TIMEOUT, "timeout": TIMEOUT}
# a login's deadline is the one of the state it met; one that met the API answering would have
# had connect_timeout first (the claims then fail on its via=, not here)
limit = lambda e: DEADLINE[DEADLINE_KEY.get(e.state, "connect_timeout")]
over = lambda e: (e.wall is None or e.wall > limit(e) + WALL_SLACK or e.ms is None
                  or e.ms / 1000.0 > limit(e) + 1.0)
cnt = lambda evs, pred: sum(1 for e in evs if pred(e))
is_ssh = lambda e: e.kind in ("ssh", "probe")


def maxes(evs):
    walls = [e.wall for e in evs if e.wall is not None]
    msv = [e.ms for e in evs if e.ms is not None]
    return (max(walls) if walls else 0.0), (max(msv) / 1000.0 if msv else 0.0)


max_wall, max_ms = maxes(in_window)
hang_wall, hang_ms = maxes(in_hang)
DEADLINES_TXT = "connect_timeout = %d s, timeout = %d s" % (CONNECT_TIMEOUT, TIMEOUT)
W2H = "%s-%s" % (hm(DAY0 + WINDOW_2H[0])[:5], hm(DAY0 + WINDOW_2H[1])[:5])
WH = "%s-%s" % (hm(DAY0 + HANG_EPISODE[0])[:5], hm(DAY0 + HANG_EPISODE[1])[:5])

# the claims, in its words, on the events of 12:00-14:00 and the rest of the day
c1_bad = [e for e in in_window if not (e.ok and e.via in ("offline", "cached"))]
c2_bad = [e for e in outside if not (e.ok and e.via in ("online", "cached"))]
c3_bad = [e for e in in_window if over(e)]
CLAIMS = [
    ("every login in the window succeeds offline", not c1_bad and bool(in_window),
     "%d logins in %s (%d sudo, %d ssh): %d offline, %d admitted by cached_auth_timeout (within %d min "
     "of the user's last online login: no API needed, counted as succeeding), %d online, %d failed" % (
         len(in_window), W2H, cnt(in_window, lambda e: e.kind == "sudo"), cnt(in_window, is_ssh),
         cnt(in_window, lambda e: e.ok and e.via == "offline"),
         cnt(in_window, lambda e: e.ok and e.via == "cached"), WINDOW // 60,
         cnt(in_window, lambda e: e.ok and e.via == "online"), cnt(in_window, lambda e: not e.ok))),
    ("none outside it", not c2_bad and bool(outside),
     "%d logins while the API answers (the %s episode is reported apart): %d online, %d cached, "
     "%d offline, %d failed" % (
         len(outside), WH, cnt(outside, lambda e: e.ok and e.via == "online"),
         cnt(outside, lambda e: e.ok and e.via == "cached"), cnt(outside, lambda e: e.via == "offline"),
         cnt(outside, lambda e: not e.ok))),
    ("none waits longer than the configured deadline", not c3_bad and bool(in_window),
     "max %.2f s whole process, %.2f s in the module (ms=), against %s (a refused connection is "
     "connect_timeout's; the module's time <= deadline + 1 s, the process's <= deadline + %.0f s); "
     "%d over" % (max_wall, max_ms, DEADLINES_TXT, WALL_SLACK, len(c3_bad))),
]
OFFLINE_OK = all(ok for _, ok, _ in CLAIMS)

# the second episode: a setuid caller (sudo) never opens the offline window on a timeout
# (login.c offline_cause): refused after the deadline with the module's line saying why, or let
# in by the cached window before any request; a trusted caller goes offline after the deadline
hang_sudo = [e for e in in_hang if e.kind == "sudo"]
hang_trusted = [e for e in in_hang if trusted(e)]
if SUDO_AS_ROOT:
    h1_text = "every sudo (run as root here: a trusted caller) logs in offline, within the deadline"
    h1_bad = [e for e in hang_sudo if not (e.ok and e.via in ("offline", "cached")) or over(e)]
else:
    h1_text = "every sudo refused as documented, within the deadline"
    h1_bad = [e for e in hang_sudo if over(e) or not ((e.ok and e.via == "cached") or
                                                       (not e.ok and e.caller_made))]
h2_bad = [e for e in in_hang if is_ssh(e) and (not (e.ok and e.via in ("offline", "cached")) or over(e))]
HANG_CLAIMS = [
    (h1_text, not h1_bad and bool(hang_sudo),
     "%d sudo calls in %s: %d %s, %d admitted by cached_auth_timeout (no request made), %d otherwise; "
     "max %.2f s whole process, %.2f s in the module, against %s" % (
         len(hang_sudo), WH,
         cnt(hang_sudo, lambda e: e.ok and e.via == "offline") if SUDO_AS_ROOT else
         cnt(hang_sudo, lambda e: not e.ok and e.caller_made),
         "offline" if SUDO_AS_ROOT else
         "refused with \"offline: refused: ... the caller of a setuid program can cause\"",
         cnt(hang_sudo, lambda e: e.ok and e.via == "cached"), len(h1_bad),
         maxes(hang_sudo)[0], maxes(hang_sudo)[1], DEADLINES_TXT)),
    ("trusted callers (ssh) log in offline, within the deadline", not h2_bad and bool(cnt(in_hang, is_ssh)),
     "%d ssh logins in %s: %d offline, %d cached, %d otherwise; max %.2f s whole process" % (
         cnt(in_hang, is_ssh), WH, cnt(in_hang, lambda e: is_ssh(e) and e.ok and e.via == "offline"),
         cnt(in_hang, lambda e: is_ssh(e) and e.ok and e.via == "cached"), len(h2_bad),
         maxes([e for e in in_hang if is_ssh(e)])[0])),
]
HANG_OK = all(ok for _, ok, _ in HANG_CLAIMS)


def phase_rows():
    rows = []
    spans = [(a, b, s) for a, b, s in STATES] + [(None, None, "up")]
    for a, b, s in spans:
        evs = [e for e in logins if e.state == s]
        results = collections.Counter(e.result for e in evs if not e.ok)
        walls, msv = maxes(evs)
        rows.append(("%s-%s" % (hm(DAY0 + a)[:5], hm(DAY0 + b)[:5]) if a is not None else "the rest",
                     STATE_WORDS[s], cnt(evs, is_ssh), cnt(evs, lambda e: e.kind == "sudo"),
                     cnt(evs, lambda e: e.ok and e.via == "online"),
                     cnt(evs, lambda e: e.ok and e.via == "offline"),
                     cnt(evs, lambda e: e.ok and e.via == "cached"),
                     cnt(evs, lambda e: not e.ok), ", ".join("%s %d" % kv for kv in results.items()) or "-",
                     walls, msv, "%s %d s" % (DEADLINE_KEY[s], DEADLINE[DEADLINE_KEY[s]]) if s != "up" else "-",
                     sum(od["calls_state"][s].values())))
    return rows


# ---------------------------------------------------------------- the report
def f(x, d=2):
    return "-" if x is None else ("%%.%df" % d) % x


def by(d):
    return ", ".join("%s %s" % (k, f(v)) for k, v in d.items()) or "none"


per_sudo_15 = F["burst-15"]["per_sudo"]
TARGET = 0.1
met = per_sudo_15 <= TARGET
L = []
A = L.append
A("# pam_alianza: the fleet's day, simulated")
A("")
A("%s, %s, %d CPUs. Fake day %s (UTC; the test certificates are valid %s .. %s). API dialect %s. "
  "%d users, each one ssh login and %d sudo calls; %d days of %d events; the whole run took %.0f s."
  % (time.strftime("%Y-%m-%d %H:%M"), os.uname().nodename, os.cpu_count(), FAKE_DATE, stamp(NB, False),
     stamp(NA, False), alztest.DIALECT, NUSERS, CALLS, len(DAYS), len(R["burst-off"]["events"]), T_RUN))
A("")
A("## Workload model")
A("")
A("A Neyman-Scott cluster process (seed %d): a user's day starts with the ssh login at 08:00 + U(0, %d) min "
  "and lasts %d h. The %d sudo calls come in tasks: task sizes are geometric with mean %.0f calls (drawn "
  "until they add up to %d, the last one cut), each task starts at a uniform time in [login + %d min, "
  "login + %d h], and within a task each call follows the one before after a log-normal think time "
  "(median %.0f s, sigma %.1f). The session closes %d min after the later of login + %d h and the last "
  "sudo call. The parameters were set before any run, from what an admin's task looks like (inspect, "
  "edit, restart, check: a few commands a minute or so apart), not fitted to any target."
  % (SEED, LOGIN_SPREAD // 60, DAY // 3600, CALLS, TASK_MEAN, CALLS, TASK_EARLIEST // 60, DAY // 3600,
     GAP_MEDIAN, GAP_SIGMA, CLOSE_AFTER // 60, DAY // 3600))
A("")
A("This schedule: %.1f tasks per user-day of %.1f calls on average; median gap between a user's "
  "consecutive sudo calls %.0f s; %.0f%% of those gaps are longer than 15 min; first sudo call a median "
  "%.0f min after the ssh login. Evenly spread, for comparison: call i at login + (i + 0.5) x 16 min."
  % (MS["tasks_per_user_day"], MS["calls_per_task_mean"], MS["gap_median_s"],
     100 * MS["gaps_over_15min_share"], MS["first_call_after_login_median_min"]))
A("")
A("## API calls")
A("")
A("| cached_auth_timeout | sudo calls placed | API calls per ssh login | API calls per sudo | sudo online / cached / failed | per ssh login, by endpoint | per sudo, by endpoint |")
A("|---|---|---:|---:|---|---|---|")
for name, label in (("burst-off", "0 (off), in bursts"), ("even-off", "0 (off), evenly"),
                    ("burst-15", "900 s, in bursts"), ("even-15", "900 s, evenly")):
    x = F[name]
    w, placed = label.split(", ")
    A("| %s | %s | %s | %s | %d / %d / %d | %s | %s |" % (
        w, placed, f(x["per_login"]), f(x["per_sudo"], 3), x["sudo_online"], x["sudo_cached"],
        x["sudo_failed"], by(x["per_login_by"]), by(x["per_sudo_by"])))
A("")
target_line = ("API calls per sudo, fleet day, cached_auth_timeout 15 min: %s (target <= %s): %s"
               % (f(per_sudo_15, 3), TARGET, "met" if met else "NOT MET"))
A("**%s**" % target_line)
A("")
A("Counted by the mock API, per kind of event (the counter is read between batches) and split by "
  "endpoint from its request log; online/cached from the module's own `via=` in each sudo call's "
  "syslog line. An ssh login's calls are its authentication's and its session close's. Every "
  "online sudo call costs %s calls: the log-in and, on the same connection, the logout that "
  "`logout_after_auth=yes` sends (sudo opens its session for root, so no session would ever claim "
  "the token)." % f(SUDO_ONLINE_COST))
A("")
online_15 = F["burst-15"]["sudo_online"]
A("Why: `cached_auth_timeout` counts from the user's last *online* login and does not slide "
  "(`login.c`, `try_cached`: `within(r->online_at, cached_auth_timeout, now)`; a cached success "
  "moves `auth_at`, not `online_at`), as SSSD's option of that name does. So the first call of every "
  "task that starts more than 15 min after the last online login goes online: %d of %d calls here "
  "(the rule, applied to the schedule, predicts %d cached; measured %d). A target of %s calls per "
  "sudo at %s calls per online sudo allows %.1f online calls per user-day, i.e. about one task a day. "
  "Evenly spread, one call every 16 min is always just past the 15-min window: %d of %d cached."
  % (online_15, NSUDO, PRED["burst"], F["burst-15"]["sudo_cached"], TARGET, f(SUDO_ONLINE_COST),
     TARGET * CALLS / max(SUDO_ONLINE_COST, 1e-9), F["even-15"]["sudo_cached"], NSUDO))
A("")
A("What-if, computed from the same burst schedule by the same rule (not measured; the module "
  "unchanged), at %s calls per online sudo call: API calls per sudo for other windows, as the module "
  "counts them (from the last online login) and sliding (from the last successful login, cached ones "
  "included: not what the module does)." % f(SUDO_ONLINE_COST))
A("")
A("| cached_auth_timeout | %s |" % " | ".join("%g h" % (w / 3600.0) if w >= 3600 else "%d min" % (w // 60)
                                              for w, _, _ in WHATIF))
A("|---|" + "---:|" * len(WHATIF))
A("| from the last online login (the module) | %s |" % " | ".join(f(a, 3) for _, a, _ in WHATIF))
A("| sliding | %s |" % " | ".join(f(b, 3) for _, _, b in WHATIF))
A("")
A("The shortest window that would meet %s calls per sudo on this schedule: %s by the module's rule, %s "
  "sliding. A window that long is what the README warns against (a password changed or an account "
  "disabled at the API goes unnoticed for as long). The other lever is the cost of an online sudo "
  "call: without `logout_after_auth` it would be one call, but sudo's token would then live at the "
  "API until it expires (%d s), claimed by no session."
  % (TARGET, "%d min" % NEEDED[False] if NEEDED[False] else "none within 24 h",
     "%d min" % NEEDED[True] if NEEDED[True] else "none within 24 h", alztest.mock_api.TOKEN_LIFETIME))
A("")
closes = collections.Counter(e.result or "nothing to end" for e in R["burst-15"]["events"] if e.kind == "close")
A("Session closes (burst-15): %s. A close ends the token its session claimed "
  "(`pam_sm_close_session`); after the 8-hour day the login's access token (%d s) has expired. "
  "Without a refresh token (Alianza) the record drops an expired token at the user's next record "
  "write (the next sudo call), so the close finds nothing to end and sends nothing; with one "
  "(FoodXchange, 24 h) the record keeps it and the close refreshes once and logs out (2 calls)."
  % (", ".join("%d %s" % (n, w) for w, n in closes.most_common()), alztest.mock_api.TOKEN_LIFETIME))
A("")
A("## The API down for 2 hours (offline_window = %d s, cached_auth_timeout = %d s)" % (OFFLINE, WINDOW))
A("")
A("The same burst day; deadlines `connect_timeout = %d`, `timeout = %d` (seconds, per request). Sudo "
  "runs as %s. The API is down %s: connections refused (the relay in front of the mock closes its "
  "port, as the API's host does when the service is stopped). Later the same day, %s, a second, "
  "shorter episode has the API hang instead of refusing (reported apart, below). So that ssh logins "
  "fall inside them at all (the day's are all 08:00-09:00), %d extra ssh logins, from a second "
  "terminal (sshd's stack, run as root like sshd: authenticate to close_session in one process), "
  "come at seeded times: %s; they count in no per-login figure."
  % (CONNECT_TIMEOUT, TIMEOUT, "root (--sudo-as-root: a trusted caller, AT_SECURE = 0)" if SUDO_AS_ROOT
     else "the user through a setuid-root driver (AT_SECURE = 1), as sudo does", W2H, WH, len(PROBE_AT),
     ", ".join("%d in %s-%s" % (sum(1 for _, t in PROBE_AT if state_at(t, True) == st),
                                hm(DAY0 + x)[:5], hm(DAY0 + y)[:5]) for x, y, st in STATES)))
A("")
A("| fake time | the API | ssh logins | sudo calls | online | offline | cached | failed | failures | max wall s | max module s | deadline | calls that reached the API |")
A("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|")
for row in phase_rows():
    A("| %s | %s | %d | %d | %d | %d | %d | %d | %s | %.2f | %.2f | %s | %d |" % row)
A("")
A("\"The rest\" is the day with the API answering (its calls include the session closes'). "
  "\"cached\" is a login admitted by `cached_auth_timeout` (within %d min of the user's last online "
  "login): it asks the API nothing, so it succeeds inside the window as it would with the API up, and "
  "the first claim counts it as succeeding." % (WINDOW // 60))
A("")
A("### The issue's claims (%s)" % W2H)
A("")
A("| claim | | |")
A("|---|---|---|")
for text, ok, detail in CLAIMS:
    A("| %s | %s | %s |" % (text, "PASS" if ok else "**FAIL**", detail))
A("")
A("A refused connection ends at once, so no login in the window comes near its deadline; the second "
  "episode is where the deadlines are reached. A SYN that is never answered (the API's host gone, "
  "no ICMP) would end at connect_timeout; on loopback it cannot be made without a packet filter, "
  "which this test bed does not touch.")
A("")
A("### The API hangs instead of refusing (%s)" % WH)
A("")
A("| claim | | |")
A("|---|---|---|")
for text, ok, detail in HANG_CLAIMS:
    A("| %s | %s | %s |" % (text, "PASS" if ok else "**FAIL**", detail))
A("")
A("A connection accepted whose TLS handshake is never answered ends at connect_timeout (libcurl's "
  "connect phase includes the handshake); a request that is never answered ends at timeout. Max wall "
  "time of a login in this episode: %.2f s (the whole process, from fork to exit), %.2f s in the "
  "module, against %s." % (hang_wall, hang_ms, DEADLINES_TXT))
A("")
if not SUDO_AS_ROOT:
    A("Read: the module's offline rule (README, \"The cache\", offline window) lets a setuid caller "
      "(sudo, su) log in offline only on a failure no caller can cause: a refused connection, a "
      "failed name lookup, a 5xx. A timeout can be the user's own doing (Ctrl-Z on sudo while the "
      "request is in flight, `fg` after the deadline), so while the API accepts and never answers, "
      "sudo fails closed after the deadline (PAM_AUTHINFO_UNAVAIL) with the module's line "
      "\"offline: refused: ALZ_ERR_TIMEOUT is a failure the caller of a setuid program can cause\", "
      "while a trusted caller (sshd) logs in offline after it. An outage that looks like a hang (a "
      "load balancer up, the service behind it stuck) therefore stops sudo on the fleet; one that "
      "refuses connections or answers 5xx does not. `--sudo-as-root` runs the same day with sudo as a "
      "trusted caller.")
    A("")
oc = od["calls"]
A("API calls on the outage day: ssh logins %d, sudo %d (%s), extra ssh logins %d, session closes %d."
  % (sum(oc["ssh"].values()), sum(oc["sudo"].values()),
     ", ".join("%s %d" % (k, oc["sudo"][k]) for k in ENDPOINTS if oc["sudo"][k]), sum(oc["probe"].values()),
     sum(oc["close"].values())))
A("")
A("## How it runs")
A("")
A("Every login is a whole process of tests/alz-pamdrive with the conf/pam.d stacks' lines; "
  "libfaketime (%s) gives each one the fake time of its event (`FAKETIME=\"@...\"`, "
  "`FAKETIME_DONT_FAKE_MONOTONIC=1`: libcurl's deadlines run on the real monotonic clock); the "
  "ssh session's process reads its time from a file moved to the close's time before it closes. "
  "The mock API's token clock follows the fake time of the current 10-minute slice. Median wall "
  "time per process (burst-15): ssh login %s ms, sudo %s ms, session close %s ms. Requests the "
  "mock saw outside any batch: %d."
  % (FT_LIB, f(F["burst-15"]["wall_median_ms"].get("ssh"), 1), f(F["burst-15"]["wall_median_ms"].get("sudo"), 1),
     f(F["burst-15"]["wall_median_ms"].get("close"), 1), sum(F[n]["unattributed"] for n in F)))
A("")
A("| day | events | failed | seconds |")
A("|---|---:|---:|---:|")
for name in R:
    A("| %s | %d | %d | %.1f |" % (name, len(R[name]["events"]), F[name]["failed"], R[name]["secs"]))
report = "\n".join(L) + "\n"

# failures where none is expected: any event of the four normal days, any close
bad_normal = [e for n in ("burst-off", "even-off", "burst-15", "even-15") for e in R[n]["events"] if not e.ok]
bad_close = [e for e in od["events"] if e.kind in ("close",) and not e.ok]
with open(os.path.join(OUTDIR, "fleetday.md"), "w") as fh:
    fh.write(report)
with open(os.path.join(OUTDIR, "fleetday-events.tsv"), "w") as fh:
    fh.write("day\tkind\tuser\tfake_time\tapi\tok\tvia\tresult\tmodule_ms\twall_ms\tcodes\n")
    for name in R:
        for e in sorted(R[name]["events"], key=lambda e: (e.t, e.user)):
            fh.write("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n" % (
                name, e.kind, e.user, hm(e.t), e.state, e.ok, e.via or "-", e.result or "-",
                e.ms if e.ms is not None else "-", "%.1f" % (1000 * e.wall) if e.wall is not None else "-",
                ",".join("%s=%s" % kv for kv in sorted(e.codes.items()))))
out_json = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "fake_day": FAKE_DATE, "dialect": alztest.DIALECT, "users": NUSERS, "sudo_per_user": CALLS,
    "api_calls_per_sudo_15min": round(per_sudo_15, 4),
    "api_calls_per_sudo_off": round(F["burst-off"]["per_sudo"], 4),
    "api_calls_per_login_15min": round(F["burst-15"]["per_login"], 4),
    "api_calls_per_login_off": round(F["burst-off"]["per_login"], 4),
    "api_calls_per_sudo_15min_even": round(F["even-15"]["per_sudo"], 4),
    "api_calls_per_sudo_off_even": round(F["even-off"]["per_sudo"], 4),
    "target_api_calls_per_sudo_15min": TARGET, "target_met": met,
    "offline_ok": OFFLINE_OK,
    "claim_window_logins_offline": CLAIMS[0][1], "claim_none_offline_outside": CLAIMS[1][1],
    "claim_none_over_deadline": CLAIMS[2][1],
    "hang_ok": HANG_OK, "claim_hang_sudo_as_documented": HANG_CLAIMS[0][1],
    "claim_hang_trusted_offline": HANG_CLAIMS[1][1],
    "claims": [{"claim": t, "pass": ok, "detail": d, "episode": ep}
               for ep, cl in (("window", CLAIMS), ("hang", HANG_CLAIMS)) for t, ok, d in cl],
    "outage_window": W2H, "hang_episode": WH,
    "outage_max_wall_s": round(max_wall, 3), "outage_max_module_s": round(max_ms, 3),
    "hang_max_wall_s": round(hang_wall, 3), "hang_max_module_s": round(hang_ms, 3),
    "outage_logins": {"window": len(in_window), "window_offline": cnt(in_window, lambda e: e.ok and e.via == "offline"),
                      "window_cached": cnt(in_window, lambda e: e.ok and e.via == "cached"),
                      "outside": len(outside), "outside_offline": cnt(outside, lambda e: e.via == "offline"),
                      "hang": len(in_hang), "extra_ssh": len(PROBE_AT)},
    "deadline_timeout_s": TIMEOUT, "deadline_connect_timeout_s": CONNECT_TIMEOUT,
    "sudo_as_root": SUDO_AS_ROOT,
    "days": {n: {k: v for k, v in F[n].items()} for n in F},
    "model": {"kind": "Neyman-Scott cluster process", "seed": SEED, "task_size_mean": TASK_MEAN,
              "gap_median_s": GAP_MEDIAN, "gap_sigma": GAP_SIGMA, "login_spread_s": LOGIN_SPREAD,
              "day_s": DAY, "task_earliest_s": TASK_EARLIEST, **MS},
    "predicted_cached_15min": PRED,
    "whatif_api_calls_per_sudo": [{"window_s": w, "module_rule": round(a, 4), "sliding": round(b, 4)}
                                  for w, a, b in WHATIF],
    "window_needed_for_target_min": {"module_rule": NEEDED[False], "sliding": NEEDED[True]},
    "run_seconds": round(T_RUN, 1),
}
with open(os.path.join(OUTDIR, "fleetday.json"), "w") as fh:
    json.dump(out_json, fh, indent=1, sort_keys=True)
    fh.write("\n")

print()
print(report)
print(target_line)
for text, ok, detail in CLAIMS:
    print("%s: %s (%s)" % ("PASS" if ok else "FAIL", text, detail))
for text, ok, detail in HANG_CLAIMS:
    print("%s: the API hangs instead of refusing: %s (%s)" % ("PASS" if ok else "FAIL", text, detail))
for e in (bad_normal + bad_close)[:10]:
    print("fleetday: FAILED %s %s %s at %s: %s" % (e.day, e.kind, e.user, hm(e.t), e.out.strip()[-400:]))
print("fleetday: wrote %s/fleetday.md, fleetday.json, fleetday-events.tsv (%.0f s)" % (OUTDIR, T_RUN))
bed.close()
sys.exit(0 if OFFLINE_OK and HANG_OK and not bad_normal and not bad_close else 1)
