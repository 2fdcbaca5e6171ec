#!/usr/bin/env python3
"""tests/integration/test_seed_clients.py — the seeds' Python clients
against `socklab serve --handler upper`.

The seed posts teach socketserver with an upper-case server and clients
written exactly like these: socket.socket(), connect, send, recv(1024) for
TCP; socket.socket(type=socket.SOCK_DGRAM), sendto, recvfrom(1024) for UDP
(an empty datagram still arrives, "发空的时候也会自带报头"); and several
clients at once against a ThreadingTCPServer. Here the server is socklab's,
started on port 0 (tcp: thread model, the ThreadingTCPServer; udp:
iterative, the UDPServer), and its final counters are checked too.

Prints one line per check and a final "N passed, M failed"; exits non-zero
when anything failed.
"""
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

BIN = os.environ.get("SOCKLAB_BIN", "./socklab")
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail), flush=True)


class Server:
    """`socklab serve ARGS` on port 0; the address from its first line."""

    def __init__(self, *args):
        self.p = subprocess.Popen([BIN, "serve", "--port", "0", *args],
                                  stdout=subprocess.PIPE)
        line = self._line(5.0)
        if not line.startswith("listening on "):
            self.p.kill()
            self.p.wait()
            raise RuntimeError("server did not announce itself: %r" % line)
        host, port = line[len("listening on "):].rsplit(":", 1)
        self.addr = (host.strip("[]"), int(port))
        self.stats = None

    def _line(self, timeout):
        buf = b""
        end = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                break
            c = os.read(self.p.stdout.fileno(), 1)
            if not c:
                break
            buf += c
        return buf.decode(errors="replace").strip()

    def stop(self):
        """SIGTERM; returns the exit status and keeps the stats JSON."""
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None
        while True:
            line = self._line(1.0)
            if not line:
                break
            if line.startswith("stats "):
                self.stats = json.loads(line[len("stats "):])
        self.p.stdout.close()
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        if not self.p.stdout.closed:
            self.p.stdout.close()


def recv_reply(sk, n):
    """recv(1024) as the seeds do, until the n bytes sent have come back
    (TCP keeps no boundaries, so one send may come back in pieces)."""
    data = b""
    while len(data) < n:
        res = sk.recv(1024)
        if not res:
            break
        data += res
    return data


def tcp_upper_client():
    srv = Server("--proto", "tcp", "--model", "thread", "--handler", "upper")
    try:
        # The seeds' client: connect, then send / recv(1024) in a loop.
        sk = socket.socket()
        sk.settimeout(2)
        sk.connect(srv.addr)
        sent = 0
        msgs = [b"give me five", "你好, socketserver".encode("utf-8"), b"hello world 123"]
        for msg in msgs:
            sk.send(msg)
            res = recv_reply(sk, len(msg))
            sent += len(msg)
            check("tcp upper %r" % msg.decode("utf-8"), res == msg.upper(),
                  "got %r" % res)
        sk.close()
        rc = srv.stop()
        check("tcp server exits 0 on SIGTERM", rc == 0, "exit %r" % rc)
        st = srv.stats or {}
        check("tcp counters", st.get("accepted") == 1 and st.get("bytes_in") == sent
              and st.get("bytes_out") == sent and st.get("active") == 0, str(st))
    finally:
        srv.kill()


def udp_upper_client():
    srv = Server("--proto", "udp", "--model", "iterative", "--handler", "upper")
    try:
        # The seeds' UDP client: no connect, sendto and recvfrom(1024).
        cli = socket.socket(type=socket.SOCK_DGRAM)
        cli.settimeout(2)
        msgs = [b"hello udp", b"", b"abc xyz", b"mixed Case 42"]
        for msg in msgs:
            cli.sendto(msg, srv.addr)
            data, ser_addr = cli.recvfrom(1024)
            check("udp upper %r" % msg, data == msg.upper() and ser_addr[1] == srv.addr[1],
                  "got %r from %r" % (data, ser_addr))
        # Boundaries are kept: two datagrams are two answers, never one.
        cli.sendto(b"one", srv.addr)
        cli.sendto(b"two", srv.addr)
        a, _ = cli.recvfrom(1024)
        b, _ = cli.recvfrom(1024)
        check("udp keeps boundaries", (a, b) == (b"ONE", b"TWO"), "got %r %r" % (a, b))
        cli.close()
        rc = srv.stop()
        check("udp server exits 0 on SIGTERM", rc == 0, "exit %r" % rc)
        st = srv.stats or {}
        n = sum(len(m) for m in msgs) + 6
        check("udp counters", st.get("requests") == len(msgs) + 2
              and st.get("bytes_in") == n and st.get("bytes_out") == n, str(st))
    finally:
        srv.kill()


def threading_clients():
    """Several clients at once, as against ThreadingTCPServer: each talks
    for a while; with sleep:100 per request, serving them one by one would
    take clients x rounds x 100 ms."""
    srv = Server("--proto", "tcp", "--model", "thread", "--handler", "sleep:100")
    clients, rounds = 5, 3
    errors = []

    def client(i):
        try:
            sk = socket.socket()
            sk.settimeout(3)
            sk.connect(srv.addr)
            for r in range(rounds):
                msg = ("client %d round %d" % (i, r)).encode()
                sk.send(msg)
                res = recv_reply(sk, len(msg))
                if res != msg:
                    errors.append("client %d got %r" % (i, res))
            sk.close()
        except OSError as e:
            errors.append("client %d: %s" % (i, e))

    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        dt = time.monotonic() - t0
        check("threading: every client answered", not errors, "; ".join(errors))
        serial = clients * rounds * 0.1
        check("threading: clients served together (%.2f s, one by one %.1f s)" % (dt, serial),
              dt < serial / 2, "took %.2f s" % dt)
        rc = srv.stop()
        st = srv.stats or {}
        check("threading counters", rc == 0 and st.get("accepted") == clients
              and st.get("requests") == clients * rounds and st.get("active") == 0, str(st))
    finally:
        srv.kill()


def main():
    for case in (tcp_upper_client, udp_upper_client, threading_clients):
        try:
            case()
        except Exception as e:  # a crash in one case is a failure, not an abort
            check(case.__name__, False, "%s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] or not results["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
