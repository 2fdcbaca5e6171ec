#!/usr/bin/env bash
# bench/capture-keeps-up.sh — does the capture keep up with udp-flood?
#
# Issue 8 asks that capture plus analysis keep up with scenarios/udp-flood.yaml
# on loopback with pcap_stats dropped = 0 at the rate the scenario runs. This
# runs a copy of that scenario with `capture: {enabled: true}` added, RUNS
# times (default 3), interleaved with RUNS runs of the scenario as shipped
# (no capture: the rate it runs at), and prints per case (model x rcvbuf):
#
#   no-cap/s    datagrams the clients sent per second without a capture
#   sent/s      the same with the capture
#               ((udp_accounting.sent - warmup_sent) / elapsed_s)
#   wire/s      of them, captured on lo per second (udp_accounting.wire)
#   pcap recv   pcap_stats ps_recv (packets the filter accepted, both
#               directions: the echoed replies too; on lo exactly twice the
#               packets captured, as the kernel counts each packet's
#               outgoing copy too, which libpcap discards on loopback)
#   pcap drop   pcap_stats ps_drop (dropped by the capture's buffer)
#   wire_gap    wire - (sent - warmup_sent): 0 when the capture saw every
#               datagram the clients sent; negative by what it missed
#
# each as the median of the runs, with the worst run of pcap drop and
# wire_gap beside it. Needs root (or CAP_NET_RAW) to capture on lo: without,
# every case records capture_status unavailable and the script says so.
# Loopback only. The run's database is kept (its path is printed).
#
#   bench/capture-keeps-up.sh                 # RUNS=3
#   RUNS=5 SOCKLAB_BIN=build-rel/socklab bench/capture-keeps-up.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SOCKLAB_BIN:-build/socklab}
RUNS=${RUNS:-3}
[ -x "$BIN" ] || { echo "bench: $BIN not built (scripts/build)"; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 needed for the medians"; exit 2; }

work=$(mktemp -d /tmp/socklab-capbench-XXXXXX)
scn=$work/udp-flood-capture.yaml
db=$work/capture-keeps-up.db
base=$work/no-capture.db
# The scenario as shipped, with the capture switched on (it has no capture
# section of its own: the loader refuses a duplicate key, so say so if one
# appears).
if grep -q '^capture:' scenarios/udp-flood.yaml; then
	echo "bench: scenarios/udp-flood.yaml now has a capture: section; edit this script"; exit 2
fi
{ cat scenarios/udp-flood.yaml; printf '\ncapture:\n  enabled: true\n'; } >"$scn"

echo "socklab $("$BIN" --version | cut -d' ' -f2-), $(nproc) CPUs, kernel $(uname -r)," \
	"scenarios/udp-flood.yaml + capture, RUNS=$RUNS, medians (worst)"
run() {   # scenario db tag; exit 1 (a failed case) is shown in the table
	"$BIN" run "$1" --db "$2" --quiet >"$work/$3.out" 2>"$work/$3.err" || {
		rc=$?
		[ "$rc" -eq 1 ] || { echo "bench: $3 exited $rc:"; cat "$work/$3.err"; exit 1; }
	}
}
for r in $(seq "$RUNS"); do
	run scenarios/udp-flood.yaml "$base" "base-$r"
	run "$scn" "$db" "cap-$r"
	if grep -q 'capture unavailable' "$work/cap-$r.err"; then
		echo "bench: the capture could not start (needs root or CAP_NET_RAW):"
		grep -m1 'capture unavailable' "$work/cap-$r.err"; exit 2
	fi
done

python3 - "$db" "$base" <<'EOF'
import json, sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
base = {}
for idx, v in sqlite3.connect(sys.argv[2]).execute("""
    SELECT u.case_index, (u.sent - coalesce(u.warmup_sent, 0)) / m.value
      FROM udp_summary u JOIN metrics m ON m.case_id = u.case_id AND m.name = 'elapsed_s'"""):
    base.setdefault(idx, []).append(v)
rows = db.execute("""
    SELECT u.case_index, c.params, c.status, u.capture_status,
           (u.sent - coalesce(u.warmup_sent, 0)) / m.value, u.wire / m.value,
           k.pkts_received, k.pkts_dropped, u.wire_gap
      FROM udp_summary u JOIN cases c ON c.id = u.case_id
      JOIN metrics m ON m.case_id = u.case_id AND m.name = 'elapsed_s'
      JOIN capture_summary k ON k.case_id = u.case_id
     ORDER BY u.case_index, u.run_id""").fetchall()
cases = {}
for idx, params, status, cst, sent_s, wire_s, recv, drop, gap in rows:
    c = cases.setdefault(idx, {"params": params, "st": [], "v": []})
    c["st"].append(status if cst == "ok" else f"{status}/capture {cst}")
    c["v"].append((sent_s, wire_s, recv, drop, gap))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def fmt(x):
    return "-" if x is None else f"{x:,.0f}"

# Label a case by the keys that vary between cases (model, rcvbuf).
ps = {i: json.loads(c["params"] or "{}") for i, c in cases.items()}
keys = [k for k in sorted({k for p in ps.values() for k in p})
        if len({json.dumps(p.get(k)) for p in ps.values()}) > 1]
print(f"{'case':<30} {'no-cap/s':>10} {'sent/s':>10} {'wire/s':>10} {'pcap recv':>11} "
      f"{'pcap drop':>16} {'wire_gap':>16}  status")
all_ok = True
for idx, c in sorted(cases.items()):
    cols = list(zip(*c["v"]))
    drops = [d for d in cols[3] if d is not None]
    gaps = [g for g in cols[4] if g is not None]
    worst_drop = max(drops) if drops else None
    worst_gap = min(gaps) if gaps else None
    all_ok &= worst_drop == 0 and worst_gap == 0
    label = f"{idx} " + " ".join(f"{k.split('.')[-1]}={ps[idx].get(k)}" for k in keys)
    print(f"{label[:30]:<30} {fmt(med(base.get(idx, []))):>10} {fmt(med(cols[0])):>10} {fmt(med(cols[1])):>10} {fmt(med(cols[2])):>11} "
          f"{fmt(med(cols[3])):>7} ({fmt(worst_drop):>6}) {fmt(med(cols[4])):>7} ({fmt(worst_gap):>6})"
          f"  {','.join(sorted(set(c['st'])))}")
print()
print("capture kept up in every run (pcap drop 0, wire_gap 0)" if all_ok else
      "capture did NOT keep up in every run: see the worst columns")
EOF
echo "databases: $db (with the capture), $base (without)"
