#!/usr/bin/python3
"""demo.py - a demo user logs in through a real PAM stack against the mock API (see demo.sh)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alztest  # noqa: E402

bed = alztest.Bed()
conf = bed.conf(debug="no")
confdir = bed.service(conf, name="demo", stack=(
    "auth    [success=done ignore=ignore default=die] {mod}\n"
    "auth    required pam_deny.so\n"
    "account required {mod}\n"
    "session required {mod}\n"))

print("== pam_alianza demo: mock Alianza API on %s" % bed.url())
print("== config %s:" % conf)
print("".join("   " + l for l in open(conf)))
print("== PAM service 'demo' (%s/demo):" % confdir)
print("".join("   " + l for l in open(os.path.join(confdir, "demo"))))


def show(title, user, answers, ops=("authenticate", "acct_mgmt")):
    print("== %s" % title)
    mark = bed.syslog.mark()
    r = bed.pam(user, answers, confdir=confdir, service="demo", ops=ops, rhost="192.0.2.10")
    for line in r.out.splitlines():
        print("   " + line)
    for line in bed.syslog.since(mark):
        print("   syslog: " + line.split(": ", 1)[-1] if ": " in line else line)
    print()
    return r


ok = show("alice (MANAGEMENT_USER) types her password: expected PAM_SUCCESS", "alice", ["Alice-pass1!"],
          ops=("authenticate", "acct_mgmt", "open_session", "close_session"))
bad = show("alice types a wrong password: expected PAM_AUTH_ERR", "alice", ["wrong-password"])
tfa = show("tess: password, then the code the API asks for: expected PAM_SUCCESS", "tess",
           ["Tess-pass1!", bed.totp("tess")])
bed.close()
good = (ok.codes.get("authenticate") == "PAM_SUCCESS" and bad.codes.get("authenticate") == "PAM_AUTH_ERR"
        and tfa.codes.get("authenticate") == "PAM_SUCCESS")
print("demo: %s" % ("OK - right password accepted (session opened, token logged out at close), "
                     "wrong password refused, password + TOTP accepted" if good else "FAILED"))
sys.exit(0 if good else 1)
