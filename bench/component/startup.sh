#!/usr/bin/env bash
# Component start-up: how long a whole process takes to print "hello, world"
# as a WASI 0.2 command component (the C program adapted by jco's preview1
# adapter) under `weft run`, beside the same program as a preview1 module
# under `weft run`, the component under `jco run` (the reference host, on
# node), and native code — in one hyperfine run.
#
#   bench/component/startup.sh [--weft PATH] [--out FILE] [--runs N]
#
# Builds bench/startup/hello.c with clang-19 -O2 (native; wasm32-wasi,
# stripped) and `jco new --wasi-command` (the pinned jco of
# tools/component-toolchain) into bench/out/component/, fills the compile
# cache for both (so `auto` runs compiled code, as every run after the first
# does), checks that each runner prints "hello, world", then times them and
# writes bench/results/component-startup.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WEFT="$ROOT/build/weft"
OUT_MD="$ROOT/bench/results/component-startup.md"
RUNS=100
while [ $# -gt 0 ]; do
  case "$1" in
    --weft) WEFT="$(realpath "$2")"; shift 2 ;;
    --out) OUT_MD="$(realpath -m "$2")"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
JCO="$ROOT/tools/component-toolchain/node_modules/.bin/jco"
for tool in clang-19 hyperfine node "$JCO"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run tools/install-deps.sh)" >&2; exit 1; }
done
[ -x "$WEFT" ] || { echo "no weft binary at $WEFT (build it, or --weft PATH)" >&2; exit 1; }

BUILD="$ROOT/bench/out/component"
mkdir -p "$BUILD" "$(dirname "$OUT_MD")"
SRC="$ROOT/bench/startup/hello.c"
clang-19 -O2 "$SRC" -o "$BUILD/hello-native"
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -s "$SRC" -o "$BUILD/hello.wasm"
"$JCO" new "$BUILD/hello.wasm" --wasi-command -o "$BUILD/hello.component.wasm" >/dev/null

cd "$BUILD"
export WEFT_CACHE_DIR="$BUILD/cache"
"$WEFT" compile --cache hello.wasm
"$WEFT" compile --cache hello.component.wasm
NATIVE="./hello-native"
P1="$WEFT run hello.wasm"
P2="$WEFT run hello.component.wasm"
JCO_CMD="$JCO run hello.component.wasm"

for cmd in "$NATIVE" "$P1" "$P2" "$JCO_CMD"; do
  got="$($cmd)"
  if [ "$got" != "hello, world" ]; then
    echo "'$cmd' printed '$got', not 'hello, world'" >&2
    exit 1
  fi
done

HF=(hyperfine -N --warmup 10 --runs "$RUNS" --export-markdown table.md
    --export-json results.json
    -n native "$NATIVE" -n "weft run (preview1 module)" "$P1"
    -n "weft run (component)" "$P2" -n "jco run (component)" "$JCO_CMD")
"${HF[@]}"

summary="$(python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("results.json"))["results"]}
med = lambda n: r[n]["median"] * 1000
cpu = lambda n: (r[n]["user"] + r[n]["system"]) * 1000
names = ["native", "weft run (preview1 module)", "weft run (component)", "jco run (component)"]
print("| | median [ms] | user+system CPU [ms] | median vs the preview1 module |")
print("|:---|---:|---:|---:|")
for n in names:
    print(f"| `{n}` | {med(n):.2f} | {cpu(n):.2f} | {med(n) / med(names[1]):.2f}x |")
print()
c, p, j = med(names[2]), med(names[1]), med(names[3])
print(f"- the component costs +{c - p:.2f} ms over the same program as a preview1 module "
      f"(decode + validate the component, link WASI 0.2, instantiate "
      f"its core modules, the adapter's start-up)")
print(f"- weft is {j / c:.1f}x faster than jco run on the same component")
PY
)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# Start-up: a WASI 0.2 command component"
  echo
  echo "Whole-process time to print \"hello, world\": \`bench/startup/hello.c\` (clang-19 -O2)"
  echo "natively, as a preview1 module ($(stat -c %s hello.wasm) bytes) and as the component"
  echo "\`jco new --wasi-command\` makes of it ($(stat -c %s hello.component.wasm) bytes; jco 1.35.0's"
  echo "preview1 adapter), with the compile cache filled for weft."
  echo "Made by \`bench/component/startup.sh\` on $(date -u +%Y-%m-%d)."
  echo
  cat table.md
  echo
  echo "$summary"
  echo
  echo "Command (in \`bench/out/component/\`):"
  echo
  echo '```sh'
  printf '%q ' "${HF[@]}" | sed "s|$ROOT/|../../../|g"
  echo
  echo '```'
  echo
  echo "Machine: load average $LOAD when the run ended, $(nproc) CPUs,"
  echo "$(uname -sr); $(node --version | sed 's/^/node /'), $(hyperfine --version)."
} > "$OUT_MD"
echo "wrote $OUT_MD"
