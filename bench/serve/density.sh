#!/usr/bin/env bash
# Density of `weft serve` (issue 4): resident memory (VmRSS) with 1 and
# with N distinct functions deployed (N copies of hello.wasm under distinct
# file names, names and routes; each compiled at start-up), idle, and after
# one request to every function (each function then has a ready instance
# on the guest thread that served it, up to kMaxReadyPerWorker per thread).
# Usage (from the repository root):
#   bench/serve/density.sh [WEFT_BINARY] [HELLO_WASM] [N]
# Defaults: build/weft build/examples/hello/hello.wasm 1000. 127.0.0.1 only.
# The code's share comes from `weft_bench_cold_start code-rss` (env
# COLD_START, default: bench/weft_bench_cold_start next to WEFT).
set -euo pipefail
WEFT=${1:-build/weft}
WASM=${2:-build/examples/hello/hello.wasm}
N=${3:-1000}
PORT=${PORT:-18482}
WORKERS=${WORKERS:-2}
TMP=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# serve COUNT: starts weft on an app of COUNT functions; sets PID.
serve() {
  local n=$1 dir="$TMP/app$1"
  mkdir -p "$dir"
  printf '[app]\nname = "density"\n' > "$dir/weft.toml"
  for i in $(seq 0 $((n - 1))); do
    cp "$WASM" "$dir/f$i.wasm"
    printf '\n[[function]]\nname = "f%d"\nroute = "/f%d"\nmodule = "f%d.wasm"\nmemory_limit = "16MiB"\n' \
      "$i" "$i" "$i" >> "$dir/weft.toml"
  done
  "$WEFT" serve "$dir" --listen "127.0.0.1:$PORT" --workers "$WORKERS" \
    --data-dir "$dir" 2>/dev/null &
  PID=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
  done
  sleep 1
}

stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

serve 1
R1=$(rss_kb "$PID")
stop
serve "$N"
RN=$(rss_kb "$PID")
for i in $(seq 0 $((N - 1))); do
  curl -fs "http://127.0.0.1:$PORT/f$i" >/dev/null
done
sleep 1
RW=$(rss_kb "$PID")
stop

echo "| functions | VmRSS idle | note |"
echo "|---:|---:|---|"
echo "| 1 | $R1 KB | |"
echo "| $N | $RN KB | |"
echo "| $N | $RW KB | after one request to each function |"
echo
awk -v a="$R1" -v b="$RN" -v n="$N" 'BEGIN {printf "per deployed function: (RSS(%d) - RSS(1)) / %d = %.1f KB\n", n, n-1, (b-a)/(n-1)}'
COLD_START=${COLD_START:-$(dirname "$WEFT")/bench/weft_bench_cold_start}
if [ -x "$COLD_START" ]; then
  CODE=$("$COLD_START" code-rss "$WASM" "$N" | sed 's/.*=//')
  awk -v a="$R1" -v b="$RN" -v n="$N" -v c="$CODE" 'BEGIN {printf "compiled code: %.1f KB per function; beyond it: %.1f KB per function\n", c, (b-a)/(n-1)-c}'
fi
awk -v b="$RN" -v w="$RW" -v n="$N" 'BEGIN {printf "after one request each: +%.1f KB per function (≈ one idle ready instance each)\n", (w-b)/n}'
