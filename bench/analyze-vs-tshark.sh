#!/bin/sh
# bench/analyze-vs-tshark.sh — time `socklab analyze` against
# `tshark -q -z conv,tcp` on the same synthetic capture (by default 1,000,000
# packets of TCP and UDP conversations, written by bench/gen-pcap.py), RUNS
# times each, and print the medians and the ratio. The issue asks for >= 10x.
#
#   SOCKLAB_BIN=build-rel/socklab PACKETS=1000000 RUNS=5 bench/analyze-vs-tshark.sh
#
# Use an optimised build (RelWithDebInfo, the project's default) for numbers
# worth quoting. The capture is cached in $TMPDIR between runs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
packets=${PACKETS:-1000000}
runs=${RUNS:-5}
flows=${FLOWS:-1000}
bin=${SOCKLAB_BIN:-$here/../build/socklab}
file=${TMPDIR:-/tmp}/socklab-bench-$packets-$flows.pcap

[ -x "$bin" ] || { echo "bench: no socklab binary at $bin (set SOCKLAB_BIN)" >&2; exit 2; }
command -v tshark >/dev/null || { echo "bench: tshark is not installed" >&2; exit 2; }
if [ ! -s "$file" ]; then
	echo "generating $file ($packets packets, $flows concurrent conversations)..."
	python3 "$here/gen-pcap.py" "$file" --packets "$packets" --flows "$flows"
fi

now() { date +%s.%N; }

# time_runs NAME CMD...: run CMD $runs times (output discarded), print the
# sorted wall times.
time_runs() {
	name=$1
	shift
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}'
		i=$((i + 1))
	done | sort -n > "$file.$name.times"
	printf '%-8s runs (s): %s\n' "$name" "$(tr '\n' ' ' < "$file.$name.times")"
}

median() {
	awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}' "$1"
}

echo "file: $file ($(stat -c %s "$file") bytes), $runs runs each"
time_runs socklab "$bin" analyze "$file"
time_runs tshark tshark -q -z conv,tcp -r "$file"
s=$(median "$file.socklab.times")
t=$(median "$file.tshark.times")
rm -f "$file.socklab.times" "$file.tshark.times"

# The two must also agree on how many TCP conversations there are.
ns=$("$bin" analyze "$file" | awk '$1 == "tcp"' | wc -l)
nt=$(tshark -q -z conv,tcp -r "$file" 2>/dev/null | grep -c '<->' || true)
echo "tcp conversations: socklab $ns, tshark $nt"
echo "median: socklab ${s}s, tshark ${t}s"
awk -v s="$s" -v t="$t" 'BEGIN {printf "ratio: socklab is %.1fx faster than tshark -z conv,tcp\n", t / s}'
