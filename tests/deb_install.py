"""deb_install.py DEB - install libpam-alianza's .deb into a throwaway sandbox and use it as an admin would.

Run by tests/deb_install.sh (which builds the .deb). As root:

  host     snapshot what the install could touch (dpkg's database, /etc/pam.d,
           the module's paths, debconf), run the sandbox, compare the snapshot;
  sandbox  a private mount namespace (unshare --mount) with overlayfs over
           /etc, /usr, /var, /root and /home (and /lib, /bin, /sbin where they
           are real directories): upper and work layers live on a tmpfs of the
           namespace, so `dpkg -i`, pam-auth-update and useradd write only
           there and all of it vanishes with the namespace; /run is a tmpfs of
           the namespace too (sshd's privilege separation directory, sudo's
           timestamps; pam_systemd finds no logind there). Then:

    1. install, check the package's files, `pam-auth-update --enable alianza`,
       check the generated common-* files;
    2. the shipped conffile (no base_url, no scope) does nothing through the
       profile; then point /etc/security/pam_alianza.conf at the mock API
       (tests/mock_api.py through alztest.Bed) with alianza_group, useradd the
       users, log alice in through the installed common-* with alz-pamdrive; a
       local user's password (carol's) reaches no API;
    3. the admin's path: Debian's own sshd_config (/usr/share/openssh) with the
       package's sshd drop-in and Debian's own /etc/pam.d/sshd and sudo over
       the generated common-*; a real sshd on loopback: keyboard-interactive
       logins (password; password + code) get the mapped groups, `sudo -k id`
       in the session works and its token is logged out, root and a key-only
       user still log in with keys, no pam_unix failure and one session line
       per Alianza login;
    4. the sample stacks of conf/pam.d (the package's examples) with the
       profile disabled: Debian's lines kept, the same logins;
    5. dpkg -r and dpkg -P.

Prints TAP; ALZ_TAP_START numbers on from the caller's tests. Environment:
ALZ_BUILDDIR (holds tests/alz-pamdrive), ALZ_SRCDIR (the mock, its fixtures).
"""
import ctypes
import glob
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alztest  # noqa: E402

PKG = "libpam-alianza"
VERSION = "0.1.0-1"
MULTIARCH = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                           text=True).stdout.strip() or "x86_64-linux-gnu"
MODULE_PATH = "/lib/%s/security/pam_alianza.so" % MULTIARCH
CONF = "/etc/security/pam_alianza.conf"
PROFILE = "/usr/share/pam-configs/alianza"
CACHE_DIR = "/var/lib/pam_alianza"
EXAMPLES = "/usr/share/doc/%s/examples" % PKG
DROPIN = EXAMPLES + "/sshd_config.d/pam_alianza.conf"
SERVICE = "alz-deb"
PASSWORD = "Alice-pass1!"
OVERLAID = ("/etc", "/usr", "/var", "/lib", "/lib64", "/bin", "/sbin", "/root", "/home")
COMMON = ("common-auth", "common-account", "common-session", "common-session-noninteractive",
          "common-password")
SSHD = "/usr/sbin/sshd"
SUDO = "/usr/bin/sudo"
# Debian's own sshd_config, as openssh-server installs it on a fresh host
DEBIAN_SSHD_CONFIG = "/usr/share/openssh/sshd_config"

# The sandbox's users: Alianza users (the mock knows them) and local-only ones.
PW = {"alice": "Alice-pass1!", "tess": "Tess-pass1!"}
ALZ_UID = {"alice": 2001, "tess": 2004}
KEY_USER = "debian"            # a cloud image's key-only user: no password, a key
LOCAL_USER, LOCAL_PW = "carol", "Carol-local1!"   # a local user with a local password
MAP = {"groups_management_user": "alz-admins, alz-ops", "groups_account_user": "alz-staff"}
LOCAL_GROUPS = {"alz-admins": 4001, "alz-staff": 4002, "alz-ops": 4003}
MAPPED = {"alice": {"alz-admins", "alz-ops"}, "tess": {"alz-admins", "alz-ops"}}
SUDOERS_RULE = "%alz-admins ALL=(ALL:ALL) ALL\n"    # the README's rule on a mapped group

# ---- who is an Alianza user (issue 13, item 3): the module handles only the users an
# admin named (alianza_group, alianza_uids) and does nothing until base_url is set. The
# Alianza test users are members of ALIANZA_GROUP; carol and the key-only user are not.
SCOPE_CONF = "alianza_group = alianza\n"
ALIANZA_GROUP = "alianza"
ALIANZA_GID = 4100

# ---- a 2FA user whose client answers the code prompt with the password (issue 13, item 5)
# is told what to do, in these words (password_method_words() below)
PASSWORD_METHOD_WORDS = "ssh -o PreferredAuthentications=keyboard-interactive"


def sh(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def out(p):
    return "rc=%s\n%s%s" % (p.returncode, p.stdout or "", p.stderr or "")


def sha(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return "absent"
    except IsADirectoryError:
        return "dir"


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def pkg_status():
    p = sh(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", PKG])
    return p.stdout.strip() if p.returncode == 0 else "unknown to dpkg"


def rules(text):
    """The non-comment lines of a PAM file, whitespace folded."""
    return [" ".join(l.split()) for l in text.splitlines()
            if l.strip() and not l.lstrip().startswith("#")]


# ---------------------------------------------------------------- host side
def host_snapshot():
    """What a leaking install would change on the host."""
    snap = {"status": pkg_status()}
    files = ["/var/lib/dpkg/status", "/etc/passwd", "/etc/group", "/etc/shadow", CONF, PROFILE,
             MODULE_PATH, "/usr/sbin/pam_alianza-admin", "/usr/lib/tmpfiles.d/pam_alianza.conf",
             "/var/cache/debconf/config.dat", "/etc/ld.so.cache", "/etc/ssh/sshd_config",
             "/etc/sudoers"]
    files += ["/etc/pam.d/" + c for c in COMMON + ("sshd", "sudo")] + glob.glob("/var/lib/pam/*")
    files += glob.glob("/etc/ssh/sshd_config.d/*") + glob.glob("/etc/sudoers.d/*")
    for f in files:
        snap[f] = sha(f)
    snap[CACHE_DIR] = os.path.isdir(CACHE_DIR)
    snap["/etc/pam.d/" + SERVICE] = os.path.exists("/etc/pam.d/" + SERVICE)
    snap["/etc/ssh/sshd_config.d"] = sorted(os.listdir("/etc/ssh/sshd_config.d")) \
        if os.path.isdir("/etc/ssh/sshd_config.d") else "absent"
    snap["/home"] = sorted(os.listdir("/home"))
    return snap


def source_checks(t):
    """What the checkout tells an admin: the README's pointers, the demo's dependencies."""
    src = alztest.SRCDIR
    readme = read(os.path.join(src, "README.md"))
    links = re.findall(r"\]\(([^)#\s]+)", readme)
    broken = [l for l in links if not re.match(r"[a-z]+://", l)
              and not os.path.exists(os.path.join(src, l))]
    t.ok("../shared" not in readme and "docs/API.md" in links and not broken
         and os.path.isfile(os.path.join(src, "docs", "API.md")),
         "README.md points to docs/API.md (not ../shared/API.md) and every link resolves in "
         "the repository", "links %r, broken %r" % (links, broken))
    deps = os.path.join(src, "tests", "deps.sh")
    demo, every = sh(["sh", deps, "--list", "demo"]), sh(["sh", deps, "--list", "all"])
    heavy = {"openssh-server", "valgrind", "clang", "lintian", "debhelper", "sudo"} & \
        set(demo.stdout.split())
    t.ok(demo.returncode == 0 and demo.stdout.split() and not heavy
         and set(demo.stdout.split()) <= set(every.stdout.split())
         and "openssh-server" in every.stdout.split(),
         "tests/deps.sh: the demo's list holds only what the demo needs (no openssh-server, "
         "valgrind, clang, lintian); the test command's holds the rest",
         "%s\n%s\nheavy in demo: %s" % (out(demo), out(every), sorted(heavy)))
    demo_sh = read(os.path.join(src, "tests", "demo.sh"))
    t.ok(re.search(r"deps\.sh\s+demo\b", demo_sh), "tests/demo.sh installs the demo's list only",
         demo_sh)


def host_main(deb):
    start = int(os.environ.get("ALZ_TAP_START", "0"))
    before = host_snapshot()
    sandbox = tempfile.mkdtemp(prefix="alz-deb-sandbox.")
    env = dict(os.environ, ALZ_IN_NS="1", ALZ_TAP_START=str(start))
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                        sys.executable, os.path.abspath(__file__), "--inner", deb, sandbox],
                       env=env, stdout=subprocess.PIPE, text=True)
    n = start
    failed = p.returncode != 0
    for line in p.stdout.splitlines():
        print(line, flush=True)
        m = re.match(r"(not )?ok (\d+)", line)
        if m:
            n = int(m.group(2))
            failed |= bool(m.group(1))
    t = alztest.Tap()
    t.n = n
    t.ok(p.returncode == 0, "the sandbox run ended cleanly", "exit status %d" % p.returncode)
    source_checks(t)
    try:
        os.rmdir(sandbox)  # the tmpfs lived in the namespace: empty here
        gone = True
    except OSError as e:
        gone = str(e)
    t.ok(gone is True, "the sandbox directory is empty on the host", gone)
    after = host_snapshot()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    t.ok(not changed, "the host is untouched (dpkg database, /etc/pam.d, sshd and sudo config, "
         "module paths, debconf, passwd, /home)",
         "\n".join("%s: %s -> %s" % (k, a, b) for k, (a, b) in changed.items()))
    dl = sh(["dpkg", "-l", PKG])
    t.ok(not re.search(r"^[a-z]i\s+" + PKG + r"\s", dl.stdout, re.M) and "ii" not in after["status"],
         "dpkg -l %s on the host: not installed (%s)" % (PKG, after["status"]),
         "before the run: %s\n%s" % (before["status"], out(dl)))
    t.failed += failed
    sys.exit(t.done())


# ---------------------------------------------------------------- sandbox
def mount_overlays(sandbox):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=700,size=512m", "alz-deb", sandbox],
                   check=True)
    done = []
    for d in OVERLAID:
        if os.path.islink(d) or not os.path.isdir(d):
            continue  # merged /usr: /lib -> usr/lib is covered by the /usr overlay
        name = d.strip("/").replace("/", "_")
        upper, work = os.path.join(sandbox, name + ".upper"), os.path.join(sandbox, name + ".work")
        os.makedirs(upper)
        os.makedirs(work)
        subprocess.run(["mount", "-t", "overlay", "overlay-alz-" + name, "-o",
                        "lowerdir=%s,upperdir=%s,workdir=%s" % (d, upper, work), d], check=True)
        done.append(d)
    tmp = os.path.join(sandbox, "tmp")
    os.makedirs(tmp)
    os.chmod(tmp, 0o1777)
    # sshd's privilege separation directory, sudo's timestamps, and no way to the
    # host's logind or D-Bus (pam_systemd in common-session is optional)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "alz-run", "/run"], check=True)
    for d in ("/run/sshd", "/run/lock"):
        os.mkdir(d, 0o755)
        os.chmod(d, 0o755)
    return done, tmp


class DebBed(alztest.Bed):
    """The PAM test bed, with the sandbox's own /etc/passwd (useradd writes the overlay)."""

    def _private_etc(self):
        pass


def jump_target(lines, i):
    m = re.search(r"success=(\d+)", lines[i])
    return i + 1 + int(m.group(1)) if m else None


def primary_block(path):
    lines = rules(read(path))
    deny = [i for i, l in enumerate(lines) if "pam_deny.so" in l]
    return lines, (deny[0] if deny else None)


def section_install(t, deb):
    common_before = {c: sha("/etc/pam.d/" + c) for c in COMMON}
    p = sh(["dpkg", "-i", deb])
    t.ok(p.returncode == 0, "dpkg -i %s" % os.path.basename(deb), out(p))
    t.ok(pkg_status() == "ii " + VERSION, "dpkg: %s %s installed (%s)" % (PKG, VERSION, pkg_status()))
    v = sh(["dpkg", "--verify", PKG])
    t.ok(v.returncode == 0 and v.stdout.strip() == "", "dpkg --verify: every file is the package's",
         out(v))
    s = sh(["dpkg", "-S", MODULE_PATH])
    t.ok(s.stdout.startswith(PKG + ":") and os.path.isfile(MODULE_PATH),
         "%s belongs to %s" % (MODULE_PATH, PKG), out(s))
    st = os.stat(CONF)
    t.ok(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0 and st.st_gid == 0,
         "%s is 0600 root:root" % CONF, "mode %o uid %d gid %d" % (st.st_mode, st.st_uid, st.st_gid))
    cf = sh(["dpkg-query", "-W", "-f", "${Conffiles}", PKG])
    t.ok(CONF in cf.stdout, "%s is a conffile" % CONF, out(cf))
    for f in (PROFILE, "/usr/lib/tmpfiles.d/pam_alianza.conf", "/usr/sbin/pam_alianza-admin",
              "/usr/share/man/man8/pam_alianza.8.gz",
              EXAMPLES + "/pam.d/sshd", EXAMPLES + "/pam.d/sudo", DROPIN):
        t.ok(os.path.exists(f), "installed: " + f)
    docs = "/usr/share/doc/%s" % PKG
    readme = [f for f in (docs + "/README.md", docs + "/README.md.gz") if os.path.exists(f)]
    api = [f for f in (docs + "/API.md", docs + "/API.md.gz") if os.path.exists(f)]
    t.ok(readme and api, "installed: the README and the API contract it points to (docs/API.md)",
         sorted(os.listdir(docs)))
    la = glob.glob(os.path.dirname(MODULE_PATH) + "/pam_alianza.la")
    t.ok(not la, "no libtool .la beside the module", la)
    if os.access("/usr/bin/systemd-tmpfiles", os.X_OK):
        ok = os.path.isdir(CACHE_DIR) and stat.S_IMODE(os.stat(CACHE_DIR).st_mode) == 0o700
        t.ok(ok, "postinst (systemd-tmpfiles) made %s 0700" % CACHE_DIR,
             oct(os.stat(CACHE_DIR).st_mode) if os.path.exists(CACHE_DIR) else "absent")
    else:
        t.skip("postinst made %s" % CACHE_DIR, "no systemd-tmpfiles here")
    changed = [c for c in COMMON if sha("/etc/pam.d/" + c) != common_before[c]]
    t.ok(not changed, "installing changed no /etc/pam.d/common-* (profile is Default: no)", changed)


def section_profile(t):
    p = sh(["pam-auth-update", "--enable", "alianza"])
    auth = read("/etc/pam.d/common-auth")
    if p.returncode == 0 and "pam_alianza.so" not in auth:
        # the host's common-* are locally modified: pam-auth-update leaves them alone
        print("# pam-auth-update left locally modified common-* alone; retrying with --force")
        p = sh(["pam-auth-update", "--force", "--enable", "alianza"])
        auth = read("/etc/pam.d/common-auth")
    t.ok(p.returncode == 0, "pam-auth-update --enable alianza", out(p))
    texts = {c: read("/etc/pam.d/" + c) for c in COMMON}
    has = {c: "pam_alianza.so" in texts[c] for c in COMMON}
    t.ok(has["common-auth"] and has["common-account"] and has["common-session"],
         "pam_alianza.so is in common-auth, -account and -session", has)
    t.ok(not has["common-session-noninteractive"] and not has["common-password"],
         "pam_alianza.so is not in common-session-noninteractive (Session-Interactive-Only) "
         "nor in common-password (pam_unix there keeps its own prompts)", has)

    # common-auth: pam_alianza before pam_unix, so that pam_setcred (which sshd calls in
    # a process where authentication never ran, so libpam walks the stack afresh and
    # takes each module's setcred verdict) reaches pam_alianza before pam_unix's jump
    lines, deny = primary_block("/etc/pam.d/common-auth")
    alz = [i for i, l in enumerate(lines) if "pam_alianza.so" in l]
    unix = [i for i, l in enumerate(lines) if "pam_unix.so" in l]
    errs = []
    if deny is None or not alz or not unix:
        errs.append("no pam_deny, pam_alianza or pam_unix line")
    else:
        if not max(alz) < unix[0]:
            errs.append("a pam_alianza line comes after pam_unix")
        if "try_first_pass" not in lines[unix[0]]:
            errs.append("pam_unix has no try_first_pass")
        for i in alz + unix:
            if jump_target(lines, i) != deny + 1:
                errs.append("%s: success jumps to line %s, not past pam_deny (line %d)"
                            % (lines[i], jump_target(lines, i), deny))
    t.ok(not errs, "common-auth: pam_alianza first, then pam_unix try_first_pass, each success "
         "jumping past pam_deny", "\n".join(errs) + "\n" + auth)
    acct = texts["common-account"]
    alines, adeny = primary_block("/etc/pam.d/common-account")
    t.ok(acct.find("pam_permit.so") < acct.find("pam_alianza.so")
         and all(jump_target(alines, i) in (None, adeny + 1) for i, l in enumerate(alines)
                 if l.startswith("account") and "pam_unix" in l),
         "common-account: pam_alianza as an Additional module after the primary block", acct)
    # pam-auth-update re-reads what it wrote to merge later changes: lines it cannot
    # parse back (two jump numbers in one bracket, say) count as local edits, and then
    # every later --enable, --disable and dpkg -r leaves common-* alone
    p = sh(["pam-auth-update", "--package"])
    t.ok(p.returncode == 0 and "Local modifications" not in p.stdout + p.stderr,
         "pam-auth-update --package again: it reads its own common-* back (no 'local "
         "modifications')", out(p))
    print("# common-auth as written by pam-auth-update:")
    for l in auth.splitlines():
        if l.strip() and not l.startswith("#"):
            print("#   " + l)


def add_users(t):
    cmds = [["groupadd", "-g", str(gid), name] for name, gid in LOCAL_GROUPS.items()]
    cmds.append(["groupadd", "-g", str(ALIANZA_GID), ALIANZA_GROUP])
    for name, uid in ALZ_UID.items():
        cmds.append(["useradd", "-u", str(uid), "-U", "-m", "-s", "/bin/sh", "-G", ALIANZA_GROUP,
                     name])
    cmds.append(["useradd", "-U", "-m", "-s", "/bin/sh", KEY_USER])
    cmds.append(["useradd", "-U", "-m", "-s", "/bin/sh", LOCAL_USER])
    errs = [out(p) for p in (sh(c) for c in cmds) if p.returncode != 0]
    p = sh(["chpasswd"], input="%s:%s\n" % (LOCAL_USER, LOCAL_PW))
    if p.returncode != 0:
        errs.append(out(p))
    t.ok(not errs, "useradd alice, tess (Alianza users), %s (key only), %s (local password) "
         "and groupadd the mapped groups (in the overlay)" % (KEY_USER, LOCAL_USER),
         "\n".join(errs))


def write_conf(bed, **extra):
    keys = {"base_url": bed.url(), "ca_file": bed.ca, "allowed_partitions": "p-main",
            "connect_timeout": "2", "timeout": "5", "debug": "yes", "cache_dir": CACHE_DIR}
    keys.update(MAP)
    keys.update(extra)
    text = "# written by tests/deb_install.py: the mock API\n" + \
        "".join("%s = %s\n" % kv for kv in keys.items()) + SCOPE_CONF
    write(CONF, text, 0o600)


def section_shipped_conf(t, bed):
    """The conffile as installed, the profile enabled: nothing is asked or sent, for anyone."""
    write("/etc/pam.d/" + SERVICE, "# the packaged stack, as pam-auth-update wrote it\n"
          "@include common-auth\n@include common-account\n@include common-session\n")
    conf = read(CONF)
    t.ok(not any(l.split("=")[0].strip() in ("base_url", "alianza_group", "alianza_uids")
                 for l in rules(conf)),
         "the shipped %s sets no base_url, alianza_group or alianza_uids" % CONF,
         "\n".join(rules(conf)))
    p = sh(["pam_alianza-admin", "check"])
    t.ok(p.returncode == 1 and "base_url is not set" in p.stdout and "does nothing" in p.stdout,
         "pam_alianza-admin check of the shipped file: base_url unset, the module does nothing, "
         "exit 1", out(p))
    mark = bed.syslog.mark()
    r = sh([alztest.DRIVER, "-d", "/etc/pam.d", SERVICE, "alice", "authenticate"],
           input="Alice-pass1!\n", timeout=60)
    log = [l for l in bed.syslog.since(mark) if "pam_alianza" in l]
    t.ok("authenticate: PAM_AUTH_ERR" in r.stdout and r.stdout.count("PROMPT-") == 1
         and any("not configured: base_url unset" in l for l in log)
         and not any("auth service=" in l for l in log),
         "profile on, the shipped file: alice gets pam_unix's one prompt and its refusal; "
         "pam_alianza logs 'not configured: base_url unset' and decides nothing",
         out(r) + "\n".join(log))


def section_pamdrive(t, bed):
    """The installed module through common-* in one process (alz-pamdrive)."""
    write("/etc/pam.d/" + SERVICE, "# the packaged stack, as pam-auth-update wrote it\n"
          "@include common-auth\n@include common-account\n@include common-session\n")
    p = sh(["pam_alianza-admin", "check"])
    t.ok(p.returncode == 0 and "all good" in p.stdout, "pam_alianza-admin check: all good", out(p))

    mark = bed.syslog.mark()
    bed.reset(cache=False)
    drive = [alztest.DRIVER, "-d", "/etc/pam.d", SERVICE]
    env = dict(os.environ, LD_DEBUG="files")
    r = sh(drive + ["alice", "authenticate", "acct_mgmt", "open_session", "close_session"],
           input=PASSWORD + "\n", env=env, timeout=60)
    codes = dict(re.findall(r"^(\w+): (PAM_\w+)$", r.stdout, re.M))
    t.ok(r.returncode == 0 and all(codes.get(op) == "PAM_SUCCESS" for op in
                                   ("authenticate", "acct_mgmt", "open_session", "close_session")),
         "alice logs in through common-* (authenticate, acct_mgmt, open/close_session): "
         "PAM_SUCCESS", r.stdout + r.stderr[-2000:])
    loaded = sorted(set(re.findall(r"file=(\S*pam_alianza\S*)", r.stderr)))
    t.ok(loaded == [MODULE_PATH], "the module loaded is the packaged %s" % MODULE_PATH, loaded)
    reqs = [q for q in bed.api_requests() if q.get("path") == "/v2/authorize"
            and q.get("method") == "POST"]
    t.ok(len(reqs) == 1 and b'"alice"' in reqs[0]["body"],
         "the API saw one POST /v2/authorize for alice", [q.get("path") for q in bed.api_requests()])
    logs = [l for l in bed.syslog.since(mark) if "pam_alianza" in l]
    t.ok(any("service=%s" % SERVICE in l and "user=alice" in l for l in logs),
         "pam_alianza logged the login to syslog", "\n".join(logs[-10:]))
    t.ok(os.path.isdir(CACHE_DIR) and stat.S_IMODE(os.stat(CACHE_DIR).st_mode) == 0o700,
         "cache_dir %s is 0700" % CACHE_DIR)

    r = sh(drive + ["alice", "authenticate"], input="Wrong-pass9!\n", timeout=60)
    t.ok(r.returncode != 0 and "authenticate: PAM_AUTH_ERR" in r.stdout,
         "a wrong password: PAM_AUTH_ERR", r.stdout + r.stderr)
    r = sh(drive + ["root", "acct_mgmt"], timeout=60)
    t.ok(r.returncode == 0 and "acct_mgmt: PAM_SUCCESS" in r.stdout,
         "root's account phase still passes with the profile on", r.stdout + r.stderr)
    r = sh(drive + [LOCAL_USER, "authenticate"], input=LOCAL_PW + "\n", timeout=60)
    t.ok(r.returncode == 0 and "authenticate: PAM_SUCCESS" in r.stdout,
         "%s's local password still works through common-auth (pam_unix try_first_pass)"
         % LOCAL_USER, r.stdout + r.stderr)


def local_user_reaches_no_api(t, bed):
    """Item 3: a local non-Alianza user's password, wrong or right, reaches no API."""
    name = "a local non-Alianza user's wrong password reaches no API (su-like, common-auth)"
    drive = [alztest.DRIVER, "-d", "/etc/pam.d", SERVICE, LOCAL_USER, "authenticate"]
    bed.reset(cache=False)
    wrong = sh(drive, input="Carol-typo9!\n", timeout=60)
    sent_wrong = [q for q in bed.api_requests() if LOCAL_USER.encode() in q["body"]]
    bed.reset(cache=False)
    right = sh(drive, input=LOCAL_PW + "\n", timeout=60)
    sent_right = [q for q in bed.api_requests() if LOCAL_USER.encode() in q["body"]]
    if not SCOPE_CONF:
        t.skip(name, "item 3 (user scope, pam_alianza/*.c) is not in yet: today the API got "
               "%d request(s) for the wrong password and %d for the right one"
               % (len(sent_wrong), len(sent_right)))
        return
    t.ok("authenticate: PAM_AUTH_ERR" in wrong.stdout and not sent_wrong, name,
         "%s\napi: %r" % (out(wrong), [(q["method"], q["path"]) for q in sent_wrong]))
    t.ok("authenticate: PAM_SUCCESS" in right.stdout and not sent_right,
         "a local non-Alianza user's right password logs in and reaches no API",
         "%s\napi: %r" % (out(right), [(q["method"], q["path"]) for q in sent_right]))


# ---------------------------------------------------------------- real sshd
try:
    import paramiko
    NO_PARAMIKO = None
except ImportError as e:
    paramiko = None
    NO_PARAMIKO = "python3-paramiko is not importable under %s (%s)" % (sys.executable, e)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


class Sshd:
    """Debian's sshd_config (+ its sshd_config.d) on a loopback port, a direct child of ours."""

    def __init__(self, tmp, name):
        self.tmp = tmp
        self.name = name
        self.hostkey = os.path.join(tmp, "ssh_host_ed25519_key")
        if not os.path.exists(self.hostkey):
            sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alz-deb", "-f",
                self.hostkey], check=True)
        self.port = free_port()
        self.err = os.path.join(tmp, name + ".stderr")
        # only what a test needs on the command line: the port, loopback, our host key,
        # no pid file; everything else is /etc/ssh/sshd_config and its drop-ins
        self.args = [SSHD, "-f", "/etc/ssh/sshd_config", "-p", str(self.port), "-h", self.hostkey,
                     "-o", "ListenAddress=127.0.0.1", "-o", "PidFile=none",
                     "-o", "LogLevel=VERBOSE"]
        self.proc = None

    def check(self):
        return sh(self.args + ["-t"])

    def start(self):
        self.proc = subprocess.Popen(self.args + ["-D", "-e"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.err, "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    def stop(self):
        if self.proc is None:
            return
        deadline = time.monotonic() + 3
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                    if not f.read().split():
                        break
            except OSError:
                break
            time.sleep(0.02)
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def reap_orphans(keep):
    """sshd's per-connection processes outlive their parent at times; as subreaper we reap them."""
    deadline = time.monotonic() + 3
    while True:
        left = set()
        for tid in os.listdir("/proc/self/task"):
            try:
                with open("/proc/self/task/%s/children" % tid) as f:
                    left.update(int(x) for x in f.read().split())
            except OSError:
                pass
        left -= keep
        for pid in list(left):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    left.discard(pid)
            except ChildProcessError:
                left.discard(pid)
        if not left:
            return
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            return
        time.sleep(0.05)


class Login:
    """One keyboard-interactive login with paramiko: the prompts it saw, commands run in it."""

    def __init__(self, port, user, answers):
        self.ok, self.prompts, self.msgs, self.error, self.tr = False, [], [], None, None
        queue = list(answers)

        def handler(title, instructions, prompt_list):
            self.msgs.append((title, instructions))
            res = []
            for text, echo in prompt_list:
                self.prompts.append((text, bool(echo)))
                res.append(queue.pop(0)() if queue else "")
            return res

        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            self.tr = paramiko.Transport(sock)
            self.tr.banner_timeout = 10
            self.tr.auth_timeout = 30
            self.tr.start_client(timeout=10)
            self.tr.auth_interactive(user, handler)
            self.ok = self.tr.is_authenticated()
        except (paramiko.SSHException, OSError, EOFError) as e:
            self.error = e

    def run(self, cmd, stdin=None):
        """(exit status, stdout, stderr) of CMD in a session channel of this connection."""
        try:
            chan = self.tr.open_session(timeout=10)
            chan.settimeout(60)
            chan.exec_command(cmd)
            if stdin is not None:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            so = chan.makefile("rb").read().decode("utf-8", "replace")
            se = chan.makefile_stderr("rb").read().decode("utf-8", "replace")
            rc = chan.recv_exit_status()
            chan.close()
            return rc, so, se
        except (paramiko.SSHException, OSError, EOFError) as e:
            return None, "", repr(e)

    def close(self):
        if self.tr is not None:
            self.tr.close()
            self.tr = None

    def __repr__(self):
        return "ok=%s error=%r prompts=%r messages=%r" % (self.ok, self.error, self.prompts,
                                                          self.msgs)


def key_login(port, user, key):
    """The real OpenSSH client, key only, no questions (ssh -o BatchMode=yes)."""
    return sh(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
               "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-i", key, "-p", str(port),
               "%s@127.0.0.1" % user, "id -un"], timeout=60)


def give_key(user, home, pub):
    d = os.path.join(home, ".ssh")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "authorized_keys"), pub, 0o600)
    pw = sh(["id", "-u", user]).stdout.strip(), sh(["id", "-g", user]).stdout.strip()
    for p in (d, os.path.join(d, "authorized_keys")):
        os.chown(p, int(pw[0]), int(pw[1]))
    os.chmod(d, 0o700)


class Admin:
    """What the real-daemon sections share: the bed, a client key, the syslog."""

    def __init__(self, t, bed, tmp):
        self.t, self.bed, self.tmp = t, bed, tmp
        self.key = os.path.join(tmp, "id_ed25519")
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alz-client", "-f", self.key],
           check=True)
        pub = read(self.key + ".pub")
        give_key("root", "/root", pub)
        give_key(KEY_USER, "/home/" + KEY_USER, pub)

    def api(self, method, path):
        return [r for r in self.bed.api_requests() if r["method"] == method and r["path"] == path]

    def live(self, user):
        return [x["token"] for x in self.bed.tokens() if x["userName"] == user]

    def diag(self, lg, log, sshd):
        return "%r\nsyslog:\n%s\nsshd stderr:\n%s\napi: %r" % (
            lg, "\n".join(log[-30:]), tail(sshd.err),
            [(r["method"], r["path"], r.get("status")) for r in self.bed.api_requests()])

    def log_until(self, mark, text):
        """The syslog since MARK, once a line holding TEXT is in (bounded): datagrams
        reach our reader thread a little after the sender wrote them."""
        deadline = time.monotonic() + 5 * alztest.TIME_SCALE
        log = self.bed.syslog.since(mark)
        while not any(text in l for l in log) and time.monotonic() < deadline:
            time.sleep(0.05)
            log = self.bed.syslog.since(mark)
        return log

    def wait_dead(self, user):
        """USER's live tokens once they are gone, or after a bounded wait: sshd closes
        the session (and the module logs its token out) after the client has gone."""
        deadline = time.monotonic() + 10 * alztest.TIME_SCALE
        left = self.live(user)
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = self.live(user)
        return left

    # -- one keyboard-interactive login and what its session gets
    def kbd_login(self, sshd, label, user, answers, sudo_answers=None, want_prompts=None):
        t, bed = self.t, self.bed
        bed.reset(cache=False)
        mark = bed.syslog.mark()
        lg = Login(sshd.port, user, answers)
        try:
            log = bed.syslog.since(mark)
            if not t.ok(lg.ok, "%s: %s logs in with keyboard-interactive" % (label, user),
                        self.diag(lg, log, sshd)):
                return
            if want_prompts is not None:
                t.ok([p for p, _ in lg.prompts] == want_prompts and
                     not any(echo for _, echo in lg.prompts),
                     "%s: %s saw %s, echo off" % (label, user, " then ".join(map(repr, want_prompts))),
                     lg)
            rc, so, se = lg.run("id -Gn; cat /proc/self/loginuid")
            words = so.split()
            groups, loginuid = set(words[:-1]), words[-1] if words else ""
            # the session line is the last the login sends; once it is read, every
            # earlier one (auth, setcred, a pam_unix failure) is read too
            log = self.log_until(mark, "session open service=sshd user=%s " % user)
            t.ok(rc == 0 and MAPPED[user] <= groups,
                 "%s: id -Gn in %s's session shows the mapped groups %s"
                 % (label, user, ", ".join(sorted(MAPPED[user]))),
                 "rc=%r groups=%r stderr=%r\n%s" % (rc, sorted(groups), se,
                                                     self.diag(lg, log, sshd)))
            t.ok(any("setcred service=sshd user=%s " % user in l and "result=ok" in l for l in log),
                 "%s: pam_alianza's setcred ran for %s (syslog)" % (label, user),
                 "\n".join(log[-20:]))
            t.ok(loginuid == str(ALZ_UID[user]),
                 "%s: Debian's pam_loginuid ran (loginuid %s)" % (label, loginuid or "?"),
                 "rc=%r out=%r err=%r" % (rc, so, se))
            fails = [l for l in log if "pam_unix(sshd:auth): authentication failure" in l]
            t.ok(not fails, "%s: no 'pam_unix(sshd:auth): authentication failure' for %s's "
                 "login" % (label, user), "\n".join(fails))
            opens = [l for l in log if "session open service=sshd user=%s " % user in l]
            t.ok(len(opens) == 1 and "token=claimed" in opens[0],
                 "%s: one pam_alianza session line for %s, and it claims the login's token"
                 % (label, user), "\n".join(opens) or "\n".join(log[-20:]))
            if sudo_answers is not None:
                self.sudo_in_session(label, lg, user, sudo_answers, sshd)
        finally:
            lg.close()
        left = self.wait_dead(user)
        t.ok(not left, "%s: when %s's connection closes no token of %s is live at the API "
             "(session and sudo logged out)" % (label, user, user),
             "live: %d, logouts: %d\n%s" % (len(left), len(self.api("PUT", "/v2/authorize/logout")),
                                            "\n".join(bed.syslog.since(mark)[-15:])))

    def sudo_in_session(self, label, lg, user, answers, sshd):
        t, bed = self.t, self.bed
        before = set(self.live(user))
        n_login = len(self.api("POST", "/v2/authorize"))
        n_out = len(self.api("PUT", "/v2/authorize/logout"))
        mark = bed.syslog.mark()
        rc, so, se = lg.run("sudo -S -k -p '' id -un", stdin="".join(a() + "\n" for a in answers))
        log = bed.syslog.since(mark)
        t.ok(rc == 0 and so.strip() == "root",
             "%s: sudo -k id -un in %s's session (the mapped group's sudoers rule) prints root"
             % (label, user),
             "rc=%r out=%r err=%r\n%s" % (rc, so, se, "\n".join(log[-20:])))
        outs = self.api("PUT", "/v2/authorize/logout")[n_out:]
        sudo_login = len(self.api("POST", "/v2/authorize")) > n_login
        t.ok(sudo_login and len(outs) == 1 and
             outs[0]["headers"].get("x-auth-token") not in before and
             set(self.live(user)) == before,
             "%s: the token of the sudo call is logged out at once; the session's stays live"
             % label, "sudo asked the API: %s; logouts since: %d; live before %d, after %d\n%s"
             % (sudo_login, len(outs), len(before), len(self.live(user)), "\n".join(log[-15:])))

    def sudo_direct(self, label, user):
        """sudo through the stacks, run as USER with the mapped group (as a session has it),
        outside sshd: the token of the sudo call is logged out."""
        t, bed = self.t, self.bed
        bed.reset(cache=False)
        mark = bed.syslog.mark()
        gid = ALZ_UID[user]
        p = sh(["setpriv", "--reuid=%d" % ALZ_UID[user], "--regid=%d" % gid,
                "--groups=%d,%d" % (gid, LOCAL_GROUPS["alz-admins"]), SUDO, "-S", "-k", "-p", "",
                "id", "-un"], input=PW[user] + "\n", timeout=60)
        log = bed.syslog.since(mark)
        t.ok(p.returncode == 0 and p.stdout.strip() == "root",
             "%s: sudo -k id -un as %s (in alz-admins) prints root" % (label, user),
             out(p) + "\n" + "\n".join(log[-15:]))
        logins = self.api("POST", "/v2/authorize")
        outs = self.api("PUT", "/v2/authorize/logout")
        t.ok(len(logins) == 1 and len(outs) == 1 and not self.live(user),
             "%s: the token of %s's sudo call is logged out at once (the mock: 1 login, "
             "1 logout, no live token)" % (label, user),
             "logins %d, logouts %d, live %d\n%s" % (len(logins), len(outs), len(self.live(user)),
                                                    "\n".join(log[-15:])))

    def keys(self, sshd, label):
        for user in ("root", KEY_USER):
            p = key_login(sshd.port, user, self.key)
            self.t.ok(p.returncode == 0 and p.stdout.strip() == user,
                      "%s: %s logs in with a key (ssh -o BatchMode=yes)" % (label, user),
                      out(p) + "\n" + tail(sshd.err))


def prepare_sshd_config(t):
    """A fresh host's sshd configuration: Debian's sshd_config, only the package's drop-in."""
    if os.path.isdir("/etc/ssh/sshd_config.d"):
        for f in os.listdir("/etc/ssh/sshd_config.d"):
            os.unlink(os.path.join("/etc/ssh/sshd_config.d", f))
    else:
        os.makedirs("/etc/ssh/sshd_config.d")
    shutil.copy(DEBIAN_SSHD_CONFIG, "/etc/ssh/sshd_config")
    # the README's step: copy the drop-in
    shutil.copy(DROPIN, "/etc/ssh/sshd_config.d/pam_alianza.conf")
    drop = rules(read(DROPIN))
    t.ok(not any(l.lower().startswith("authenticationmethods") for l in drop)
         and "KbdInteractiveAuthentication yes" in drop,
         "the shipped sshd drop-in turns on keyboard-interactive and takes no method away "
         "(no AuthenticationMethods for everyone)", "\n".join(drop))


def password_method_words(t, bed, sshd, admin):
    """Item 5: a 2FA user whose client can send the password only is told, in words, what
    to do. sshd's keyboard-interactive passes the words on at once; its password method
    keeps a PAM message for after a successful login (a banner), so a refused attempt
    there shows only "Permission denied": what is checked there is the log's reason."""
    name = "profile"
    bed.reset(cache=False)
    mark = bed.syslog.mark()
    lg = Login(sshd.port, "tess", [lambda: PW["tess"]] * 2)
    lg.close()
    log = admin.log_until(mark, "user=tess ")
    t.ok(not lg.ok and any(PASSWORD_METHOD_WORDS in i and "verification code" in i
                           for _, i in lg.msgs)
         and not admin.api("POST", "/v2/authorize/2fa"),
         "%s: tess (2FA) whose keyboard-interactive client answers the code prompt with the "
         "password is refused and told %r; no code sent" % (name, PASSWORD_METHOD_WORDS),
         admin.diag(lg, log, sshd))
    bed.reset(cache=False)
    mark = bed.syslog.mark()
    err = None
    try:
        tr = paramiko.Transport(socket.create_connection(("127.0.0.1", sshd.port), timeout=10))
        try:
            tr.start_client(timeout=10)
            tr.auth_password("tess", PW["tess"], fallback=False)
        finally:
            ok = tr.is_authenticated()
            tr.close()
    except (paramiko.SSHException, OSError, EOFError) as e:
        ok, err = False, e
    log = admin.log_until(mark, "result=ALZ_ERR_WRONG_CLIENT")
    t.ok(not ok and any("auth service=sshd user=tess " in l and "result=ALZ_ERR_WRONG_CLIENT" in l
                        and "code=2FA_REQUIRED" in l for l in log)
         and not admin.api("POST", "/v2/authorize/2fa"),
         "%s: tess (2FA) on sshd's password method is refused, no code sent, and the log says "
         "why (ALZ_ERR_WRONG_CLIENT, 2FA_REQUIRED)" % name,
         "authenticated=%s error=%r\n%s" % (ok, err, "\n".join(log[-15:])))


def local_user_over_sshd(t, bed, sshd, admin):
    """Item 3 through real sshd and the profile: carol's wrong password reaches no API, her
    right one logs her in with pam_unix alone."""
    name = "profile"
    bed.reset(cache=False)
    lg = Login(sshd.port, LOCAL_USER, [lambda: "Carol-typo9!"])
    lg.close()
    sent = [q for q in bed.api_requests() if LOCAL_USER.encode() in q["body"]]
    t.ok(not lg.ok and not sent and [p for p, _ in lg.prompts] == ["Password: "],
         "%s: %s (not an Alianza user) over ssh with a wrong password: refused, one "
         "'Password: ' (pam_unix's), 0 requests for her" % (name, LOCAL_USER),
         "%r\napi: %r" % (lg, [(q["method"], q["path"]) for q in sent]))
    bed.reset(cache=False)
    lg = Login(sshd.port, LOCAL_USER, [lambda: LOCAL_PW])
    try:
        rc, so, se = lg.run("id -un") if lg.ok else (None, "", "")
    finally:
        lg.close()
    sent = [q for q in bed.api_requests() if LOCAL_USER.encode() in q["body"]]
    t.ok(lg.ok and rc == 0 and so.strip() == LOCAL_USER and not sent,
         "%s: %s logs in over ssh with her local password; the API never hears of her"
         % (name, LOCAL_USER), "%r rc=%r out=%r err=%r\napi: %r" % (lg, rc, so, se, sent))


def section_sshd_profile(t, bed, tmp, admin):
    """The admin's path: the profile, Debian's own /etc/pam.d/sshd and sudo, the drop-in."""
    name = "profile"
    for f in ("sshd", "sudo"):
        p = sh(["dpkg", "--verify", {"sshd": "openssh-server", "sudo": "sudo"}[f]])
        if "/etc/pam.d/" + f in p.stdout:
            print("# note: the host's /etc/pam.d/%s is not Debian's (dpkg --verify)" % f)
    prepare_sshd_config(t)
    write("/etc/sudoers.d/alianza", SUDOERS_RULE, 0o440)
    sshd = Sshd(tmp, name)
    chk = sshd.check()
    if not t.ok(chk.returncode == 0, "%s: sshd -t accepts Debian's sshd_config with the drop-in"
                % name, out(chk)):
        return
    if not t.ok(sshd.start(), "%s: sshd listens on 127.0.0.1:%d" % (name, sshd.port),
                tail(sshd.err)):
        sshd.stop()
        return
    admin.sudo_direct(name, "alice")
    try:
        admin.keys(sshd, name)
        admin.kbd_login(sshd, name, "alice", [lambda: PW["alice"]],
                        sudo_answers=[lambda: PW["alice"]], want_prompts=["Password: "])
        admin.kbd_login(sshd, name, "tess", [lambda: PW["tess"], lambda: bed.totp("tess")],
                        sudo_answers=[lambda: PW["tess"], lambda: bed.totp("tess")],
                        want_prompts=["Password: ", "Verification code: "])
        bed.reset(cache=False)
        lg = Login(sshd.port, "alice", [lambda: "Wrong-pass9!"] * 3)
        lg.close()
        t.ok(not lg.ok, "%s: alice with a wrong password is refused" % name, lg)
        password_method_words(t, bed, sshd, admin)
        local_user_over_sshd(t, bed, sshd, admin)
    finally:
        sshd.stop()
        reap_orphans({bed.mock.pid} if bed.mock else set())


def section_sample_stacks(t, bed, tmp, admin, debian):
    """conf/pam.d as shipped in the examples, over Debian's files, with the profile off."""
    name = "sample stacks"
    p = sh(["pam-auth-update", "--disable", "alianza"])
    left = [c for c in COMMON if "pam_alianza.so" in read("/etc/pam.d/" + c)]
    t.ok(p.returncode == 0 and not left, "%s: pam-auth-update --disable alianza takes it out of "
         "common-*" % name, out(p) + " left: %s" % left)
    for f in ("sshd", "sudo"):
        sample = read(EXAMPLES + "/pam.d/" + f)
        mine, theirs = rules(sample), rules(debian[f])
        # Debian's rules, in Debian's order, are a subsequence of the sample's
        it = iter(mine)
        missing = [r for r in theirs if not any(r == m for m in it)]
        t.ok(not missing, "%s: examples/pam.d/%s keeps every line of Debian's /etc/pam.d/%s, "
             "in order" % (name, f, f), "missing or out of order:\n" + "\n".join(missing))
        write("/etc/pam.d/" + f, sample)
    sshd = Sshd(tmp, "samples")
    if not t.ok(sshd.start(), "%s: sshd listens on 127.0.0.1:%d" % (name, sshd.port),
                tail(sshd.err)):
        sshd.stop()
        return
    admin.sudo_direct(name, "alice")
    try:
        admin.keys(sshd, name)
        admin.kbd_login(sshd, name, "alice", [lambda: PW["alice"]],
                        sudo_answers=[lambda: PW["alice"]], want_prompts=["Password: "])
    finally:
        sshd.stop()
        reap_orphans({bed.mock.pid} if bed.mock else set())


def passwd_as(user, answers):
    uid = int(sh(["id", "-u", user]).stdout)
    return sh(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
               "/usr/bin/passwd"], input="".join(a + "\n" for a in answers), timeout=60)


def section_passwd(t, bed):
    """passwd(1): local accounts keep theirs with the profile on; Alianza users change the
    API password through examples/pam.d/passwd (Debian's file plus the module's line)."""
    if not os.access("/usr/bin/passwd", os.X_OK):
        t.skip("passwd", "passwd is not installed")
        return
    debian = read("/etc/pam.d/passwd")
    new1, new2 = "Zq8!mWv3#Lpa", "Rt5$kNb7@Hxe"
    p = passwd_as(LOCAL_USER, [LOCAL_PW, new1, new1])
    drive = [alztest.DRIVER, "-d", "/etc/pam.d", SERVICE, LOCAL_USER, "authenticate"]
    ok = sh(drive, input=new1 + "\n", timeout=60)
    t.ok(p.returncode == 0 and "authenticate: PAM_SUCCESS" in ok.stdout,
         "profile on, Debian's /etc/pam.d/passwd: %s changes her local password with passwd"
         % LOCAL_USER, out(p) + out(ok))
    write("/etc/pam.d/passwd", read(EXAMPLES + "/pam.d/passwd"))
    try:
        it = iter(rules(read("/etc/pam.d/passwd")))
        missing = [r for r in rules(debian) if not any(r == m for m in it)]
        t.ok(not missing, "examples/pam.d/passwd keeps every line of Debian's /etc/pam.d/passwd",
             missing)
        bed.reset(cache=False)
        p = passwd_as("alice", [PW["alice"], "Alice-new5$x", "Alice-new5$x"])
        puts = [r for r in bed.api_requests() if r["method"] == "PUT" and r["path"] == "/v2/authorize"]
        t.ok(p.returncode == 0 and len(puts) == 1,
             "examples/pam.d/passwd: alice changes her API password with passwd (one PUT "
             "/v2/authorize)", out(p) + repr([(r["method"], r["path"]) for r in bed.api_requests()]))
        bed.reset(cache=False)
        p = passwd_as(LOCAL_USER, [new1, new2, new2])
        name = "examples/pam.d/passwd: %s still changes her local password" % LOCAL_USER
        if SCOPE_CONF:
            t.ok(p.returncode == 0, name, out(p))
        else:
            # the module-first line refuses whom it handles (default=die); today that is
            # every uid >= min_uid, carol included
            t.skip(name, "item 3 (user scope) is not in yet: today passwd says %r"
                   % (p.stdout + p.stderr).strip().splitlines()[-2:])
    finally:
        write("/etc/pam.d/passwd", debian)
        bed.reset(cache=False)


def section_real_daemons(t, bed, tmp):
    if not (os.access(SSHD, os.X_OK) and os.path.exists(DEBIAN_SSHD_CONFIG)
            and os.access(SUDO, os.X_OK)):
        t.skip("real sshd and sudo through the package's stacks",
               "openssh-server or sudo is not installed")
        return
    if paramiko is None:
        t.skip("real sshd and sudo through the package's stacks", NO_PARAMIKO)
        return
    # orphans of sshd's privilege separation come to us, not to init
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
    debian = {f: read("/etc/pam.d/" + f) for f in ("sshd", "sudo")}
    admin = Admin(t, bed, tmp)
    t0 = time.monotonic()
    section_sshd_profile(t, bed, tmp, admin)
    section_sample_stacks(t, bed, tmp, admin, debian)
    for f in ("sshd", "sudo"):
        write("/etc/pam.d/" + f, debian[f])
    print("# real sshd and sudo: %.1f s" % (time.monotonic() - t0))


def section_remove(t):
    p = sh(["dpkg", "-r", PKG])
    left = [c for c in COMMON if "pam_alianza.so" in read("/etc/pam.d/" + c)]
    t.ok(p.returncode == 0 and not left and not os.path.exists(MODULE_PATH),
         "dpkg -r: the module is gone and no common-* names it", out(p) + " left: %s" % left)
    t.ok(os.path.exists(CONF), "dpkg -r keeps the conffile")
    p = sh(["dpkg", "-P", PKG])
    t.ok(p.returncode == 0 and not os.path.exists(CONF) and not os.path.exists(CACHE_DIR)
         and pkg_status() in ("unknown to dpkg", "un ", "pn "),
         "dpkg -P: conffile and %s gone" % CACHE_DIR, out(p) + pkg_status())


def inner_main(deb, sandbox):
    t = alztest.Tap()
    t.n = int(os.environ.get("ALZ_TAP_START", "0"))
    overlaid, tmp = mount_overlays(sandbox)
    os.environ.update(TMPDIR=tmp, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true",
                      LC_ALL="C.UTF-8")
    print("# sandbox: overlayfs over %s, upper layers on a tmpfs at %s; /run a tmpfs"
          % (", ".join(overlaid), sandbox))
    section_install(t, deb)
    section_profile(t)
    bed = DebBed()
    try:
        add_users(t)
        section_shipped_conf(t, bed)
        write_conf(bed)
        section_pamdrive(t, bed)
        local_user_reaches_no_api(t, bed)
        section_real_daemons(t, bed, tmp)
        # enabled again (the sample stacks ran without it): passwd, then dpkg -r must take it out
        sh(["pam-auth-update", "--enable", "alianza"])
        section_passwd(t, bed)
    finally:
        bed.close()
    section_remove(t)
    # no plan here: the host side prints it after its own checks
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        inner_main(os.path.abspath(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 2:
        if os.geteuid() != 0:
            print("1..0 # SKIP needs root (mount namespace, dpkg -i into an overlay)")
            sys.exit(0)
        host_main(os.path.abspath(sys.argv[1]))
    else:
        print("usage: deb_install.py DEB", file=sys.stderr)
        sys.exit(2)
