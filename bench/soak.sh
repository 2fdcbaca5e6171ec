#!/usr/bin/env bash
# bench/soak.sh — every server model for a long time under a mixed, hostile
# load (bench/soak.py says what each round does), sampled every INTERVAL
# seconds while quiet: exit 0 when memory (PSS of the server and its
# children) and descriptors stay flat and no zombie ever shows, else 1
# with the findings. Loopback only.
#
#   bench/soak.sh                      # 30 minutes, a sample every 10 s
#   bench/soak.sh --minutes 2          # a quick look
#   SOCKLAB_BIN=build-rel/socklab bench/soak.sh --csv /tmp/soak.csv
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SOCKLAB_BIN:-build/socklab}
[ -x "$BIN" ] || { echo "bench: $BIN not built (scripts/build)"; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 needed"; exit 2; }
echo "socklab $("$BIN" --version | cut -d' ' -f2-), $(nproc) CPUs, kernel $(uname -r)"
exec python3 bench/soak.py --bin "$BIN" "$@"
