#!/usr/bin/python3
"""bench_relay.py --target HOST:PORT --rtt MS - a TCP relay on loopback with a known round-trip time.

This kernel has no netem qdisc, so tests/bench.py puts this relay between the module and the
mock API: every chunk read from one side is written to the other RTT/2 after it was read
(time.monotonic), in order, per direction; TCP_NODELAY on all four sockets. A client's
connect() on loopback completes at once (the kernel answers the SYN before the relay sees
anything), which a user-space relay cannot delay: the handshake is modelled by holding the
connection's FIRST client->server chunk one more RTT (RTT/2 + RTT in all), which is when a
client's first byte reaches the server on a real link (SYN, SYN-ACK, then the data with the
ACK). So a connection's first reply reaches the client 2 RTT after connect(), as on a link
with that RTT.

Prints one JSON line on standard output: {"port": P, "control": C}. The control port takes
lines: "stats" -> one JSON line (every connection since the last reset), "count" -> {"n":
connections so far}, "reset" -> {"ok": true}. Per connection it counts chunks, bytes and flights per direction
(a flight: the chunks one side sends before the peer's answer reaches it, i.e. before the
relay has delivered a chunk of the other direction to it), how late the relay's writes were
against their due time, and what the server's first TLS record says: the version the
ServerHello's supported_versions extension selects (TLS 1.3 is negotiated only there; the
legacy_version field always says 1.2), the cipher suite, and whether it was a
HelloRetryRequest (a round trip more).
Ends when its standard input closes.
"""
import argparse
import json
import queue
import socket
import struct
import sys
import threading
import time

LOCK = threading.Lock()
CONNS = []                 # one dict per connection, in accept order
EPOCH = time.monotonic()
# the random of a HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest")
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
SUITES = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
          0x1303: "TLS_CHACHA20_POLY1305_SHA256"}
VERSIONS = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1.0"}


def server_hello(buf):
    """What the first handshake message of the server says, from the bytes seen so far:
    None (not whole yet), or {"tls": version, "cipher": suite, "hrr": bool}."""
    if len(buf) < 5:
        return None
    if buf[0] != 0x16:                      # not a handshake record: not TLS
        return {"tls": "not TLS (record type %d)" % buf[0], "cipher": None, "hrr": False}
    rec_len = struct.unpack(">H", buf[3:5])[0]
    if len(buf) < 5 + rec_len:
        return None
    hs = buf[5:5 + rec_len]
    if len(hs) < 4 or hs[0] != 2:           # 2: server_hello
        return {"tls": "no ServerHello (handshake type %d)" % (hs[0] if hs else -1),
                "cipher": None, "hrr": False}
    body = hs[4:4 + struct.unpack(">I", b"\0" + hs[1:4])[0]]
    legacy = struct.unpack(">H", body[0:2])[0]
    random = body[2:34]
    sid_len = body[34]
    p = 35 + sid_len
    suite = struct.unpack(">H", body[p:p + 2])[0]
    p += 3                                  # suite, compression method
    version = legacy
    if p + 2 <= len(body):
        ext_end = p + 2 + struct.unpack(">H", body[p:p + 2])[0]
        p += 2
        while p + 4 <= ext_end:
            etype, elen = struct.unpack(">HH", body[p:p + 4])
            if etype == 43 and elen == 2:   # supported_versions: the selected version
                version = struct.unpack(">H", body[p + 4:p + 6])[0]
            p += 4 + elen
    return {"tls": VERSIONS.get(version, "0x%04x" % version),
            "cipher": SUITES.get(suite, "0x%04x" % suite), "hrr": random == HRR_RANDOM}


class Conn:
    def __init__(self, client, server, rtt):
        self.client, self.server = client, server
        self.half = rtt / 2.0
        self.rtt = rtt
        # per direction [client->server, server->client]: chunks, bytes, flights, flights
        # the peer answered; events: (ms since accept, direction, bytes; 0 = EOF) as read
        self.st = {"t0": time.monotonic() - EPOCH, "chunks": [0, 0], "bytes": [0, 0],
                   "flights": [0, 0], "answered": [0, 0], "events": [], "late_ms": [],
                   "tls": None, "cipher": None, "hrr": None, "end": None}
        # per direction (0: client->server, 1: server->client): whether the relay has
        # delivered a chunk of the other direction since this direction's last chunk
        self.answered = [True, True]
        self.hello = b""
        self.lock = threading.Lock()
        self.open = 2
        with LOCK:
            CONNS.append(self.st)

    def start(self):
        for d, (src, dst) in enumerate(((self.client, self.server), (self.server, self.client))):
            q = queue.Queue()
            threading.Thread(target=self.reader, args=(d, src, q), daemon=True).start()
            threading.Thread(target=self.writer, args=(d, dst, q), daemon=True).start()

    def reader(self, d, src, q):
        first = True
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            now = time.monotonic()
            due = now + self.half
            if first and d == 0 and data:
                due += self.rtt             # the TCP handshake a loopback connect() skipped
            first = False
            with self.lock:
                self.st["events"].append((round((now - EPOCH - self.st["t0"]) * 1000.0, 3), d,
                                          len(data)))
            if data:
                with self.lock:
                    self.st["chunks"][d] += 1
                    self.st["bytes"][d] += len(data)
                    if self.answered[d]:
                        self.st["flights"][d] += 1
                        self.answered[d] = False
                    if d == 1 and self.st["tls"] is None and len(self.hello) < 16384:
                        self.hello += data
                        sh = server_hello(self.hello)
                        if sh is not None:
                            self.st.update(sh)
            q.put((due, data))
            if not data:
                return

    def writer(self, d, dst, q):
        while True:
            due, data = q.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            late = time.monotonic() - due
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                break
            # marked before the write: once it is sent the peer may answer at once, and its
            # answer must start a new flight even if this thread gets the CPU back late
            with self.lock:
                self.st["late_ms"].append(round(late * 1000.0, 3))
                if not self.answered[1 - d]:
                    self.st["answered"][1 - d] += 1   # the other side's flight got its answer
                self.answered[1 - d] = True
            try:
                dst.sendall(data)
            except OSError:
                break
        with self.lock:
            self.open -= 1
            done = self.open == 0
            if done:
                self.st["end"] = time.monotonic() - EPOCH
        if done:
            for s in (self.client, self.server):
                try:
                    s.close()
                except OSError:
                    pass


def nodelay(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def serve(lsock, target, rtt):
    while True:
        client, _ = lsock.accept()
        nodelay(client)
        try:
            server = socket.create_connection(target)
        except OSError:
            client.close()
            continue
        nodelay(server)
        Conn(client, server, rtt).start()


def control(csock):
    while True:
        c, _ = csock.accept()
        with c, c.makefile("rwb") as f:
            for line in f:
                cmd = line.strip().decode()
                with LOCK:
                    if cmd == "count":
                        out = {"n": len(CONNS)}
                    elif cmd == "stats":
                        out = {"conns": [dict(s, late_ms=list(s["late_ms"]), chunks=list(s["chunks"]),
                                              bytes=list(s["bytes"]), flights=list(s["flights"]),
                                              answered=list(s["answered"]), events=list(s["events"]))
                                         for s in CONNS]}
                    elif cmd == "reset":
                        del CONNS[:]
                        out = {"ok": True}
                    else:
                        out = {"error": "unknown command"}
                f.write((json.dumps(out) + "\n").encode())
                f.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, help="HOST:PORT of the server")
    ap.add_argument("--rtt", type=float, required=True, help="round-trip time, ms")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    lsock = socket.create_server(("127.0.0.1", 0), backlog=128)
    csock = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=serve, args=(lsock, (host, int(port)), a.rtt / 1000.0), daemon=True).start()
    threading.Thread(target=control, args=(csock,), daemon=True).start()
    print(json.dumps({"port": lsock.getsockname()[1], "control": csock.getsockname()[1]}), flush=True)
    sys.stdin.read()        # until the parent closes it (or exits)


if __name__ == "__main__":
    main()
