"""mockrun.py - what the mock's self-tests share: TAP lines, and mocks started and stopped.

A self-test starts tests/mock_api.py in the dialects it checks (test certificates made in a
temporary directory), counts its checks, and ends with the plan and its exit status.
"""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def ctl(ports, method, path, body=None):
    """One call of the mock's control API (plain HTTP on loopback): (status, JSON or None)."""
    c = http.client.HTTPConnection("127.0.0.1", ports["control"], timeout=30)
    try:
        c.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = r.read()
        return r.status, (json.loads(out) if out else None)
    finally:
        c.close()


class Run:
    def __init__(self, prefix):
        self.n = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.certs = os.path.join(self.tmp, "certs")
        subprocess.run(["bash", os.path.join(HERE, "mkcerts.sh"), self.certs], check=True,
                       stdout=subprocess.DEVNULL)
        self.ca = os.path.join(self.certs, "ca.pem")
        self.users = os.path.join(HERE, "fixtures", "users.json")
        self.mocks = []

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            for line in str(diag if diag is not None else "").splitlines()[-30:]:
                print("# " + line, flush=True)
        return cond

    def start(self, dialect):
        """A mock of DIALECT; its ports (the ports file's JSON)."""
        ports = os.path.join(self.tmp, "ports-%s.json" % dialect)
        log = open(os.path.join(self.tmp, "mock-%s.log" % dialect), "w")
        p = subprocess.Popen([PY, os.path.join(HERE, "mock_api.py"), "--certs", self.certs,
                              "--users", self.users, "--ports-file", ports, "--dialect", dialect],
                             stdout=log, stderr=log)
        self.mocks.append(p)
        deadline = time.monotonic() + 30
        while not os.path.exists(ports):
            if p.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("Bail out! the %s mock did not start (see %s)" % (dialect, log.name))
            time.sleep(0.02)
        with open(ports) as f:
            return json.load(f)

    def stop(self):
        for p in self.mocks:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
