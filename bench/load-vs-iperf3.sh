#!/usr/bin/env bash
# bench/load-vs-iperf3.sh — what `socklab load` drives against
# `socklab serve --model epoll`, and UDP datagram rates beside iperf3's
# measured in the same run as the reference.
#
#   TCP echo requests/s for 1, 10, 100, 1000 clients (closed loop, 64 B)
#   UDP 64-byte datagrams/s, one flooding sender: socklab load -> socklab
#   serve (discard) against iperf3 -u -l 64 -b 0 -> iperf3 -s; ratio printed.
#
# Every figure is the median of RUNS runs (default 5), runs interleaved so
# that the shared machine's noise hits both sides alike. Loopback only.
#
#   bench/load-vs-iperf3.sh            # RUNS=5 SECS=3 by default
#   RUNS=3 SECS=2 bench/load-vs-iperf3.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SOCKLAB_BIN:-build/socklab}
RUNS=${RUNS:-5}
SECS=${SECS:-3}
command -v iperf3 >/dev/null || { echo "bench: iperf3 not installed (scripts/setup installs it)"; exit 2; }
[ -x "$BIN" ] || { echo "bench: $BIN not built (scripts/build)"; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

addr=
start_server() {   # args: serve flags; sets $addr (not a subshell: $pids must survive)
	local out; out=$(mktemp)
	"$BIN" serve "$@" --port 0 >"$out" &
	pids+=($!)
	for _ in $(seq 100); do grep -q '^listening on' "$out" && break; sleep 0.05; done
	addr=$(sed -n 's/^listening on //p' "$out" | head -1)
	rm -f "$out"
	[ -n "$addr" ] || { echo "bench: server $* did not start"; exit 1; }
}

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.0f}")' "$@"; }
jget() { python3 -c 'import sys,json; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

echo "socklab $("$BIN" --version | cut -d' ' -f2-), $(nproc) CPUs, RUNS=$RUNS x ${SECS}s, medians"
echo
start_server --model epoll --workers 2 --handler echo; tcp=$addr
printf '%-28s %14s\n' "TCP echo, epoll x2 loops" "requests/s"
for c in 1 10 100 1000; do
	v=()
	for _ in $(seq "$RUNS"); do
		v+=("$("$BIN" load --target "$tcp" --clients "$c" --duration "${SECS}s" --nodelay --json | jget "['throughput_rps']")")
	done
	printf '%-28s %14s\n' "  $c clients" "$(median "${v[@]}")"
done

start_server --proto udp --model batch --handler discard --rcvbuf 4m; udp=$addr
iperf3 -s -B 127.0.0.1 -p 5299 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
s_sent=(); s_recv=(); i_sent=(); i_recv=()
for _ in $(seq "$RUNS"); do
	j=$("$BIN" load --proto udp --target "$udp" --clients 1 --threads 1 --flood --size 64 --duration "${SECS}s" --json)
	s_sent+=("$(jget "['sent']/$SECS" <<<"$j")")
	j=$(iperf3 -c 127.0.0.1 -p 5299 -u -l 64 -b 0 -t "$SECS" -J)
	i_sent+=("$(jget "['end']['sum']['packets']/$SECS" <<<"$j")")
	i_recv+=("$(python3 -c 'import sys,json; s=json.load(sys.stdin)["end"]["sum"]; print(s["packets"]*(1-s["lost_percent"]/100)/float(sys.argv[1]))' "$SECS" <<<"$j")")
done
echo
printf '%-36s %14s %14s\n' "UDP 64 B, one flooding sender" "sent/s" ""
ss=$(median "${s_sent[@]}"); is=$(median "${i_sent[@]}"); ir=$(median "${i_recv[@]}")
printf '%-36s %14s\n' "  socklab load -> serve batch" "$ss"
printf '%-36s %14s   (received by iperf3 -s: %s/s)\n' "  iperf3 -u -l 64 -b 0 (reference)" "$is" "$ir"
python3 -c "print(f'  ratio socklab/iperf3 sent: {float($ss)/float($is):.2f}')"
