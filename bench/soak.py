#!/usr/bin/env python3
"""bench/soak.py — long-running servers under a mixed, hostile load.

Started by bench/soak.sh (read it for usage). One `socklab serve` per model
(every stream model on TCP, epoll also on a Unix stream socket; every
datagram model on UDP, iterative also on a Unix datagram socket) lives for
the whole soak. Rounds of INTERVAL seconds repeat until the time is up; in
each round, every server gets:

  streams    a `socklab load` (connect per request, bounded rate) and, from
             here: resets (SO_LINGER 0 with data unread), half-closes,
             garbage, and a slow reader that sends 1 MiB without reading
             and holds on for a while
  datagrams  a `socklab load` at a bounded rate; one datagram server per
             round (in turn) takes a flood instead

Then every client is gone and the servers are quiet for QUIET seconds, and
each server is sampled: PSS summed over the server and its descendants
(/proc/PID/smaps_rollup), open descriptors summed likewise, threads, and
zombie descendants. A quiet server holds what it held in the first quiet
samples; the soak fails (exit 1) if any server's memory grew beyond the
allowance, its descriptors changed, a zombie was ever seen, or a server
died or did not exit 0 on SIGTERM. Loopback only; every load is bounded
in rate, count and time.
"""
import argparse
import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

STREAM_MODELS = ["iterative", "thread", "fork", "prefork", "pool", "epoll"]
DGRAM_MODELS = ["iterative", "thread", "fork", "reuseport", "batch"]


class Server:
    def __init__(self, binary, name, proto, model, extra, workdir):
        self.name, self.proto, self.model = name, proto, model
        args = [binary, "serve", "--proto", proto, "--model", model] + extra
        if proto.startswith("unix"):
            self.path = os.path.join(workdir, name + ".sock")
            args += ["--path", self.path]
        else:
            args += ["--port", "0"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"soak: {name} did not start: {line!r}")
        self.target = line.split("listening on ", 1)[1].strip()
        self.samples = []

    def addr(self):
        if self.proto.startswith("unix"):
            return self.target
        host, port = self.target.rsplit(":", 1)
        return (host.strip("[]"), int(port))

    def family(self):
        if self.proto.startswith("unix"):
            return socket.AF_UNIX
        return socket.AF_INET6 if ":" in self.addr()[0] else socket.AF_INET


def descendants(pid):
    """pid and every process below it, from /proc/*/stat parent links."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append((int(d), fields[0]))
    out, todo = [], [(pid, "?")]
    while todo:
        p, state = todo.pop()
        out.append((p, state))
        todo.extend(kids.get(p, []))
    return out


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def count_dir(path):
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


def sample(srv):
    procs = descendants(srv.proc.pid)
    live = [p for p, st in procs if st != "Z"]
    return {
        "pss_kib": sum(pss_kib(p) for p in live),
        "fds": sum(count_dir(f"/proc/{p}/fd") for p in live),
        "threads": sum(count_dir(f"/proc/{p}/task") for p in live),
        "procs": len(live),
        "zombies": sum(1 for _, st in procs if st == "Z"),
    }


# ------------------------------------------------------------ hostile peers

def connect(srv, timeout=2.0):
    s = socket.socket(srv.family(), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(srv.addr())
    return s


def reset(srv):
    s = connect(srv)
    s.sendall(b"x" * 3000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def half_close(srv):
    s = connect(srv)
    s.sendall(b"half")
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(4096):
            pass
    finally:
        s.close()


def garbage(srv):
    s = connect(srv)
    s.sendall(os.urandom(4096))
    s.close()


def slow_reader(srv, hold_s):
    """Sends 1 MiB without reading (the echo backs up), holds, leaves."""
    s = connect(srv)
    s.setblocking(False)
    chunk, sent, end = b"s" * 65536, 0, time.monotonic() + hold_s
    while sent < (1 << 20) and time.monotonic() < end:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)
    time.sleep(max(0.0, end - time.monotonic()))
    s.close()


def attack(srv, hold_s):
    for fn in (reset, half_close, garbage) * 5:
        try:
            fn(srv)
        except OSError:
            pass      # a busy iterative server may not answer: not ours to judge
    try:
        slow_reader(srv, hold_s)
    except OSError:
        pass


# ------------------------------------------------------------------- rounds

def load_args(binary, srv, secs, flood):
    a = [binary, "load", "--target", srv.target, "--proto", srv.proto,
         "--duration", f"{secs}s", "--timeout", "1s", "--json"]
    if srv.proto in ("tcp", "unix-stream"):
        return a + ["--clients", "2", "--connect-per-request", "--rate", "100"]
    if flood:
        return a + ["--flood", "--clients", "1"]
    return a + ["--clients", "2", "--rate", "500"]


def one_round(binary, servers, secs, flood_at, errors):
    procs, threads = [], []
    dgram = [s for s in servers if s.proto in ("udp", "unix-dgram")]
    flood = dgram[flood_at % len(dgram)] if dgram else None
    for s in servers:
        procs.append((s, subprocess.Popen(load_args(binary, s, secs, s is flood),
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                          text=True)))
        if s.proto in ("tcp", "unix-stream"):
            t = threading.Thread(target=attack, args=(s, max(1, secs - 1)))
            t.start()
            threads.append(t)
    for s, p in procs:
        out, _ = p.communicate(timeout=secs + 60)
        try:
            errors[s.name] = errors.get(s.name, 0) + json.loads(out).get("errors", 0)
        except (ValueError, AttributeError):
            errors[s.name] = errors.get(s.name, 0) + 1
    for t in threads:
        t.join(timeout=secs + 60)


def start_servers(binary, workdir):
    spec = [(f"tcp-{m}", "tcp", m, ["--handler", "echo"]) for m in STREAM_MODELS]
    spec.append(("unix-stream-epoll", "unix-stream", "epoll", ["--handler", "echo"]))
    spec += [(f"udp-{m}", "udp", m, ["--handler", "echo"]) for m in DGRAM_MODELS]
    spec.append(("unix-dgram-iterative", "unix-dgram", "iterative", ["--handler", "echo"]))
    return [Server(binary, n, p, m, x, workdir) for n, p, m, x in spec]


def stop_servers(servers):
    """SIGTERM each; a server that does not exit 0 within 10 s is a finding."""
    bad = []
    for s in servers:
        if s.proc.poll() is None:
            s.proc.send_signal(signal.SIGTERM)
    for s in servers:
        try:
            rc = s.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            rc = "hung"
        if rc != 0:
            bad.append(f"{s.name}: exit {rc} on SIGTERM")
    return bad


def slope_kib_per_hour(rows):
    """Least-squares trend of PSS over the judged samples: a leak shows
    here long before it passes the allowance."""
    ts = [r["t_s"] / 3600 for r in rows]
    ps = [r["pss_kib"] for r in rows]
    mt, mp = statistics.fmean(ts), statistics.fmean(ps)
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (p - mp) for t, p in zip(ts, ps)) / den if den else 0.0


def verdict(srv, skip, allow_kib, allow_pct):
    """Findings for one server: baseline = median of the first quiet samples
    after `skip`, end = median of the last ones."""
    rows = srv.samples[skip:]
    if len(rows) < 4:
        return [f"{srv.name}: only {len(rows)} samples after warm-up; run longer"]
    k = max(2, min(5, len(rows) // 4))
    base = {f: statistics.median(r[f] for r in rows[:k]) for f in ("pss_kib", "fds")}
    end = {f: statistics.median(r[f] for r in rows[-k:]) for f in ("pss_kib", "fds")}
    srv.base, srv.end = base, end
    srv.slope = slope_kib_per_hour(rows)
    out = []
    grow = end["pss_kib"] - base["pss_kib"]
    if grow > max(allow_kib, base["pss_kib"] * allow_pct / 100):
        out.append(f"{srv.name}: memory grew {base['pss_kib']:.0f} -> {end['pss_kib']:.0f} KiB")
    if end["fds"] != base["fds"]:
        out.append(f"{srv.name}: descriptors {base['fds']:.0f} -> {end['fds']:.0f} when quiet")
    zomb = max(r["zombies"] for r in srv.samples)
    if zomb:
        out.append(f"{srv.name}: {zomb} zombie(s) seen while quiet")
    return out


def write_csv(path, servers):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["server", "round", "t_s", "pss_kib", "fds", "threads", "procs", "zombies"])
        for s in servers:
            for r in s.samples:
                w.writerow([s.name, r["round"], f"{r['t_s']:.1f}", r["pss_kib"], r["fds"],
                            r["threads"], r["procs"], r["zombies"]])


def report(servers, errors, findings, minutes):
    print(f"\n{'server':22} {'PSS start':>10} {'PSS end':>10} {'fds':>9} {'zombies':>7} "
          f"{'KiB/hour':>9} {'load errs':>9}")
    for s in servers:
        if not hasattr(s, "base"):
            continue
        print(f"{s.name:22} {s.base['pss_kib']:8.0f}Ki {s.end['pss_kib']:8.0f}Ki "
              f"{s.base['fds']:4.0f}->{s.end['fds']:<4.0f} "
              f"{max(r['zombies'] for r in s.samples):7d} {s.slope:9.0f} {errors.get(s.name, 0):9d}")
    print(f"\nsoak: {minutes:g} min, {len(servers[0].samples)} quiet samples per server:",
          "FAILED" if findings else "flat memory and descriptors, 0 zombies")
    for f in findings:
        print("  " + f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/socklab")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--interval", type=int, default=10, help="seconds per round (load + quiet)")
    ap.add_argument("--quiet", type=int, default=2, help="seconds of quiet before a sample")
    ap.add_argument("--warmup", type=int, default=3, help="rounds not judged (allocator warm-up)")
    ap.add_argument("--allow-kib", type=int, default=512, help="memory growth allowed per server")
    ap.add_argument("--allow-pct", type=float, default=10, help="... or this percent of its start")
    ap.add_argument("--csv", default=None, help="write every sample here")
    a = ap.parse_args()
    secs = max(1, a.interval - a.quiet - 1)   # a second for starting and joining
    work = tempfile.mkdtemp(prefix="socklab-soak-")
    servers = start_servers(a.bin, work)
    errors, findings, n, t0 = {}, [], 0, time.monotonic()
    try:
        while time.monotonic() - t0 < a.minutes * 60:
            one_round(a.bin, servers, secs, n, errors)
            time.sleep(a.quiet)
            for s in servers:
                if s.proc.poll() is not None:
                    raise SystemExit(f"soak: {s.name} died (exit {s.proc.returncode})")
                s.samples.append(dict(sample(s), round=n, t_s=time.monotonic() - t0))
            n += 1
            print(f"round {n}: {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    finally:
        findings += stop_servers(servers)
    for s in servers:
        findings += verdict(s, a.warmup, a.allow_kib, a.allow_pct)
    write_csv(a.csv or os.path.join(work, "samples.csv"), servers)
    report(servers, errors, findings, a.minutes)
    print(f"samples: {a.csv or os.path.join(work, 'samples.csv')}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
