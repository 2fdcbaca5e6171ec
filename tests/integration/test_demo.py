#!/usr/bin/env python3
"""tests/integration/test_demo.py — `socklab demo sticky|udp|concurrency`.

Each demo runs to completion non-interactively (stdin is not a terminal,
so --step must not block) with --quick --json, and its measured claims are
asserted from the JSON: the glued recv in sticky step 1, the length-header
fix intact through the splitting relay (with split reads really seen),
UDP boundaries, the empty datagram, MSG_TRUNC and the loss accounting, and
iterative making the second client wait at least the handler's sleep while
thread does not, and the CPU-bound step: every server used the CPU time
asked and no model answered sooner than the work divided by the cores. Capture-dependent values are asserted only as root; as
another user they must say "unavailable". The text and Chinese narration,
--html, and the flag errors (exit 2) are checked too.

Prints one line per check and a final "N passed, M failed"; exits non-zero
when anything failed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("SOCKLAB_BIN", "./socklab")
ROOT = os.geteuid() == 0
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)), flush=True)


def run(*args, timeout=60):
    t0 = time.monotonic()
    p = subprocess.run([BIN, "demo", *args], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p, time.monotonic() - t0


def demo_json(name):
    p, secs = run(name, "--quick", "--json", "--step")
    check(name + ": exit 0", p.returncode == 0, (p.returncode, p.stderr.decode()[-500:]))
    check(name + ": under 20 s with --quick", secs < 20, secs)
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        check(name + ": stdout is one JSON document", False, e)
        return {}
    check(name + ": ok and root flags", doc.get("ok") is True and doc.get("root") == ROOT, doc)
    return {s["id"]: s["values"] for s in doc["steps"]}


def captured(v, key, expect):
    """A capture-dependent value: measured as root, honestly absent otherwise."""
    if ROOT:
        check(key + " captured", v.get(key) == expect, v.get(key))
    else:
        check(key + " unavailable without root", v.get(key) == "unavailable"
              and v.get(key + "_reason"), v.get(key))


def test_sticky():
    s = demo_json("sticky")
    if not s:
        return
    g = s["glued"]
    check("sticky 1: one recv returned several messages",
          g["glued"] is True and g["first_recv_msgs"] >= 2 and g["recvs"] < g["sends"], g)
    check("sticky 1: the kernel counted the segments", g["wire_segments"] >= 1, g)
    if ROOT:
        check("sticky 1: capture saw the client's segments",
              g["captured_segments"] == g["wire_segments"], g)
    else:
        captured(g, "captured_segments", None)
    w = s["why"]
    check("sticky 2: TCP_NODELAY puts every send in its own segment",
          w["nodelay_wire_segments"] == w["sends"], w)
    check("sticky 2: Nagle never makes more segments than sends",
          1 <= w["nagle_wire_segments"] <= w["sends"], w)
    check("sticky 2: verdict matches the counts",
          w["sender_coalesced"] == (w["nagle_wire_segments"] < w["sends"])
          and w["nodelay_segment_per_send"] == (w["nodelay_wire_segments"] == w["sends"]), w)
    check("sticky 2: a reader already waiting still gets data in recv() calls",
          1 <= w["nodelay_recvs"] <= w["sends"] and 1 <= w["nagle_recvs"] <= w["sends"], w)
    n = s["nodelay_late"]
    check("sticky 3: TCP_NODELAY wire, late reader still glues",
          n["wire_segments"] == n["sends"] and n["glued"] is True and n["recvs"] < n["sends"], n)
    f = s["fixes"]
    m = f["messages"]
    check("sticky 4: no fix + late reader breaks messages", f["none_ok"] is False, f)
    check("sticky 4: sleep with a prompt reader works", f["sleep_ok"] is True, f)
    check("sticky 4: sleep costs at least the sleeps", f["sleep_sender_ms"] >= (m - 1) * 10 * 0.9, f)
    check("sticky 4: sleep with a late reader glues",
          f["sleep_late_ok"] is False and f["sleep_late_intact"] < m, f)
    check("sticky 4: no fix + late reader: not one message alone",
          f["none_intact"] == 0, f)
    for fix in ("ack", "delim", "length"):
        check("sticky 4: %s fix delivers every message intact" % fix,
              f[fix + "_ok"] is True and f[fix + "_intact"] == m, f)
    check("sticky 4: the relay wrote the stream in more pieces than messages",
          f["naive_relay_relay_writes"] > m and f["length_relay_relay_writes"] > m, f)
    check("sticky 4: the relay split messages for a naive reader",
          f["naive_relay_ok"] is False and f["naive_relay_split_reads"] > 0, f)
    # The relay paces the pieces ms apart, so a prompt length-header reader
    # gets short reads (half packets); how many depends on scheduling.
    check("sticky 4: length header survives the splitting relay",
          f["length_relay_ok"] is True and f["length_relay_intact"] == m, f)
    check("sticky 4: the length-header reader really saw half packets",
          f["length_relay_split_reads"] > 0, f)


def test_udp():
    u = demo_json("udp")
    if not u:
        return
    b = u["boundaries"]
    check("udp 1: one recv per send, boundaries kept",
          b["recvs"] == b["sends"] and b["intact"] == b["sends"] and b["boundaries_kept"], b)
    e = u["empty"]
    check("udp 2: empty datagram arrives as a 0-byte message",
          e["empty_received"] is True and e["empty_len"] == 0, e)
    t = u["truncation"]
    check("udp 3: MSG_TRUNC reported, real length known, rest gone",
          t["msg_trunc"] is True and t["copied_bytes"] == t["buffer_bytes"]
          and t["real_bytes"] == t["sent_bytes"] and t["rest_lost"] is True, t)
    o = u["start_order"]
    check("udp 4: client first, then server",
          o["client_send_before_server_ok"] and o["server_got_after"]
          and not o["server_got_early"] and o["tcp_connect_refused"], o)
    fl = u["flood"]
    check("udp 5: datagrams lost against a small buffer",
          fl["lost"] is True and fl["received"] < fl["sent"], fl)
    check("udp 5: SO_RXQ_OVFL accounts for every lost datagram",
          fl["received"] + fl["rxq_ovfl_dropped"] + fl["send_errors"] == fl["sent"]
          and fl["unaccounted"] == 0, fl)
    check("udp 5: /proc/net/snmp RcvbufErrors saw at least those drops",
          fl["snmp_rcvbuf_errors"] >= fl["rxq_ovfl_dropped"], fl)


def test_concurrency():
    c = demo_json("concurrency")
    if not c:
        return
    io = c["io"]
    w = io["work_ms"]
    check("concurrency io: every client got its reply",
          all(io["%s_%d_failed" % (m, n)] == 0 for m in
              ("iterative", "thread", "fork", "prefork", "pool", "epoll") for n in (2, 6)), io)
    check("concurrency io: iterative made the second client wait >= the sleep",
          io["iterative_2_last_ms"] >= 2 * w * 0.95 and io["iterative_second_waited"], io)
    check("concurrency io: thread did not make it wait",
          io["thread_2_last_ms"] < 2 * w * 0.9 and not io["thread_second_waited"], io)
    check("concurrency io: iterative serialises 6 clients",
          io["iterative_6_last_ms"] >= 6 * w * 0.95, io)
    check("concurrency io: thread model used more threads than iterative",
          io["thread_6_threads"] > io["iterative_6_threads"], io)
    check("concurrency io: fork model had child processes",
          io["fork_6_procs"] >= 1 and io["iterative_6_procs"] == 0, io)
    check("concurrency io: prefork workers are processes", io["prefork_6_procs"] >= 2, io)
    check("concurrency io: one epoll loop serves the waits at once",
          io["epoll_6_last_ms"] < 2 * w and io["epoll_served_waits_at_once"], io)
    cpu = c["cpu"]
    check("concurrency cpu: epoll runs CPU work serially",
          cpu["epoll_6_last_ms"] >= 6 * w * 0.9, cpu)
    # spin:US uses US of its thread's CPU time: every server did all the
    # work asked (rusage of the server and its reaped children), whatever
    # else ran on the machine.
    req = cpu["requested_cpu_ms"]
    check("concurrency cpu: 6 requests need 6 x work of CPU", abs(req - 6 * w) < 1e-6, cpu)
    check("concurrency cpu: every server used at least the CPU time asked",
          all(cpu["%s_6_cpu_ms" % m] >= 0.95 * req for m in
              ("iterative", "thread", "fork", "prefork", "pool", "epoll")), cpu)
    cores = min(cpu["cpus"], 6)
    check("concurrency cpu: the soonest possible last reply is work x 6 / cores",
          abs(cpu["cores_floor_ms"] - req / cores) < 1e-6, cpu)
    check("concurrency cpu: no model beat the core limit",
          all(cpu["%s_6_last_ms" % m] >= 0.9 * cpu["cores_floor_ms"] for m in
              ("iterative", "thread", "fork", "prefork", "pool", "epoll"))
          and cpu["thread_limited_by_cores"], cpu)
    check("concurrency cpu: verdict values match the measured times",
          cpu["epoll_serial_for_cpu"] == (cpu["epoll_6_last_ms"] >= 6 * w * 0.9)
          and cpu["thread_used_several_cores"] == (cores < 2 or cpu["thread_6_last_ms"]
                                                   < 6 * w * 0.8), cpu)


def test_not_root():
    """As root, run sticky once more as nobody: the capture must say it is
    unavailable, and the measured gluing must still be there."""
    if not ROOT:
        print("skip not-root rerun: already not root")
        return
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           BIN, "demo", "sticky", "--quick", "--json"]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except FileNotFoundError:
        print("skip not-root rerun: no setpriv")
        return
    if p.returncode in (126, 127) or not p.stdout:
        print("skip not-root rerun: nobody cannot run %s (%r)" % (BIN, p.stderr[-200:]))
        return
    doc = json.loads(p.stdout)
    s = {x["id"]: x["values"] for x in doc["steps"]}
    g = s["glued"]
    check("not root: honest about the capture",
          doc["root"] is False and g["captured_segments"] == "unavailable"
          and "permission" in g["captured_segments_reason"] and g["align"] == "unavailable", g)
    check("not root: the glued recv is still measured", g["glued"] is True, g)


def test_text_and_html():
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "udp.html")
        p, _ = run("udp", "--quick", "--lang", "zh", "--no-color", "--html", page)
        out = p.stdout.decode()
        check("udp zh text: exit 0", p.returncode == 0, p.stderr.decode())
        check("udp zh text: Chinese narration", "数据报" in out and "接收缓冲区" in out, out[:300])
        check("udp zh text: no colour codes", "\x1b[" not in out)
        html = open(page, encoding="utf-8").read() if os.path.exists(page) else ""
        check("udp --html: one page with narration and an svg chart",
              html.startswith("<!DOCTYPE html>") and "<svg" in html and "MSG_TRUNC" in html,
              html[:200])
    p, _ = run("sticky", "--quick", "--no-color")
    out = p.stdout.decode()
    check("sticky en text: timeline printed", "app send" in out and "recv" in out, out[:300])


def test_flags():
    p, _ = run("--help")
    check("--help exits 0", p.returncode == 0 and b"sticky" in p.stdout)
    for args in (("--bogus", "udp"), ("udp", "--lang", "fr"), (), ("nosuch",),
                 ("udp", "extra"), ("concurrency", "--html", "/nonexistent-dir/x.html")):
        t0 = time.monotonic()
        p, _ = run(*args)
        took = time.monotonic() - t0
        check("bad input %r exits 2 with a message, before any run" % (args,),
              p.returncode == 2 and p.stderr and took < 2, (p.returncode, p.stderr, took))


if __name__ == "__main__":
    test_flags()
    test_udp()
    test_sticky()
    test_concurrency()
    test_not_root()
    test_text_and_html()
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)
