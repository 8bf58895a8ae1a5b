#!/usr/bin/env bash
# Startup benchmark: how long a whole process takes to print "hello, world"
# natively, under `weft run`, and under node's WASI.
#
#   bench/startup/run.sh [--weft PATH] [--out FILE] [--runs N]
#
# Builds bench/startup/hello.c twice with clang-19 -O2 (native, and
# wasm32-wasi stripped with -s) into bench/out/startup/, checks that each
# runner prints "hello, world", then runs
#   hyperfine -N --warmup 20 --runs 200 <native> <weft run> <node>
# (-N: no intermediate shell, so only the process itself is timed) and writes
# the table, the exact commands and the machine to bench/results/startup.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WEFT="$ROOT/build/weft"
OUT_MD="$ROOT/bench/results/startup.md"
RUNS=200
while [ $# -gt 0 ]; do
  case "$1" in
    --weft) WEFT="$(realpath "$2")"; shift 2 ;;
    --out) OUT_MD="$(realpath -m "$2")"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in clang-19 hyperfine node; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ -x "$WEFT" ] || { echo "no weft binary at $WEFT (build it, or --weft PATH)" >&2; exit 1; }

BUILD="$ROOT/bench/out/startup"
mkdir -p "$BUILD" "$(dirname "$OUT_MD")"
SRC="$ROOT/bench/startup/hello.c"
clang-19 -O2 "$SRC" -o "$BUILD/hello-native"
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -s "$SRC" -o "$BUILD/hello.wasm"
cp "$ROOT/bench/startup/node_wasi.mjs" "$BUILD/node_wasi.mjs"

cd "$BUILD"
NATIVE="./hello-native"
WEFT_CMD="$WEFT run hello.wasm"
NODE_CMD="node --experimental-wasi-unstable-preview1 --no-warnings node_wasi.mjs hello.wasm"

# Every runner must really print the greeting.
for cmd in "$NATIVE" "$WEFT_CMD" "$NODE_CMD"; do
  got="$($cmd)"
  if [ "$got" != "hello, world" ]; then
    echo "'$cmd' printed '$got', not 'hello, world'" >&2
    exit 1
  fi
done

HF=(hyperfine -N --warmup 20 --runs "$RUNS" --export-markdown table.md
    --export-json results.json
    -n native "$NATIVE" -n "weft run" "$WEFT_CMD" -n node "$NODE_CMD")
"${HF[@]}"

# Summary from the JSON: medians (robust to a busy machine) and CPU time.
summary="$(python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("results.json"))["results"]}
ms = lambda name, key: r[name][key] * 1000
cpu = lambda name: (r[name]["user"] + r[name]["system"]) * 1000
print("| | median [ms] | user+system CPU [ms] |")
print("|:---|---:|---:|")
for name in ("native", "weft run", "node"):
    print(f"| `{name}` | {ms(name, 'median'):.2f} | {cpu(name):.2f} |")
print()
print(f"- weft vs node: {ms('node', 'mean') / ms('weft run', 'mean'):.1f}x faster by mean, "
      f"{ms('node', 'median') / ms('weft run', 'median'):.1f}x by median (target: at least 10x)")
print(f"- weft vs native: +{ms('weft run', 'mean') - ms('native', 'mean'):.2f} ms by mean, "
      f"+{ms('weft run', 'median') - ms('native', 'median'):.2f} ms by median, "
      f"+{cpu('weft run') - cpu('native'):.2f} ms of CPU (target: within 2 ms)")
PY
)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"

{
  echo "# Startup: hello world"
  echo
  echo "Whole-process time to print \"hello, world\" and exit: native code,"
  echo "\`weft run\` and node's WASI, on the same C program (\`bench/startup/hello.c\`,"
  echo "clang-19 -O2; the .wasm for wasm32-wasi, stripped: $(stat -c %s hello.wasm) bytes)."
  echo "Made by \`bench/startup/run.sh\` on $(date -u +%Y-%m-%d)."
  echo
  cat table.md
  echo
  echo "$summary"
  echo
  echo "Command (in \`bench/out/startup/\`):"
  echo
  echo '```sh'
  printf '%q ' "${HF[@]}" | sed "s|$ROOT/|../../../|g"
  echo
  echo '```'
  echo
  echo "Machine: load average $LOAD when the run ended (other work shares the"
  echo "machine: compare medians and CPU time rather than means), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "$(uname -sr); $(node --version | sed 's/^/node /'), $(hyperfine --version),"
  echo "weft built as $(basename "$(dirname "$WEFT")")/weft ($("$WEFT" --version))."
  echo
  echo "Where weft's startup time goes: [bench/startup/README.md](../startup/README.md)."
} > "$OUT_MD"
echo "wrote $OUT_MD"
