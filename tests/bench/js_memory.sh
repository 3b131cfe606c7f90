#!/usr/bin/env bash
# Memory of meridian-jetstream while a stream grows to ~10 GB and is read back.
#   tests/bench/js_memory.sh [--gib N] [--bin DIR]
# Fills the file stream BENCH with N GiB of 64 KiB messages (meridian-loadgen
# jsfetch: fill, then one durable pull consumer reads and acks everything),
# sampling VmRSS of meridian-jetstream every second; prints the peak and the
# store size. Needs N GiB free under /tmp (RocksDB compresses: usually less).
set -euo pipefail
cd "$(dirname "$0")/../.."
gib=10
bin=build/bin
while [[ $# -gt 0 ]]; do
  case "$1" in
    --gib) gib=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "usage: $0 [--gib N] [--bin DIR]" >&2; exit 2 ;;
  esac
done
dir=$(mktemp -d /tmp/meridian-jsmem.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/meridian-server" -a 127.0.0.1 -p "$port" -m -1 -js -sd "$dir/store" >"$dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
js=""
for _ in $(seq 100); do
  js=$(cat "/proc/$server/task/$server/children" 2>/dev/null | tr ' ' '\n' |
       while read -r p; do
         if [[ -n "$p" && "$(cat /proc/$p/comm 2>/dev/null)" == meridian-jetstr* ]]; then echo "$p"; fi
       done | head -1)
  [[ -n "$js" ]] && break
  sleep 0.1
done
[[ -n "$js" ]] || { echo "meridian-jetstream not found" >&2; exit 1; }
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
( while kill -0 "$js" 2>/dev/null; do awk '/VmRSS/{print $2}' "/proc/$js/status"; sleep 1; done >"$dir/rss" ) &
msgs=$(( gib * 16384 ))  # 64 KiB each
echo "# $gib GiB: $msgs messages of 64 KiB into BENCH, then read back with acks"
"$bin/meridian-loadgen" jsfetch --msgs="$msgs" --size=65536 --pull-batch=64 --pulls=2 \
  --timeout=1800 --url="127.0.0.1:$port" | tail -1
peak=$(sort -n "$dir/rss" | tail -1)
echo "peak_rss_mib=$(( peak / 1024 )) samples=$(wc -l <"$dir/rss") store=$(du -sh "$dir/store" | cut -f1)"
