#!/usr/bin/env bash
# Builds the WIT parser fuzzer with clang-19 (libFuzzer + ASan + UBSan) and
# runs it for $1 seconds (default 300), seeded with the WASI 0.2 WIT files
# and the test suite's WIT. Needs a configured build/ (for the generated
# file of embedded WIT): cmake --build build --target weft_component.
# Usage: fuzz/run_wit.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-300}"
OUT=build-fuzz
mkdir -p "$OUT/wit_corpus"
clang++-19 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -Isrc \
  fuzz/wit_fuzz.cpp src/component/wit_*.cpp src/component/host.cpp \
  src/component/types.cpp src/wasm/types.cpp build/generated/wasi02_wit.cpp \
  -o "$OUT/wit_fuzzer"
SEED=$(mktemp -d)
cp wit/wasi-0.2/*.wit "$SEED/"
"$OUT/wit_fuzzer" -max_total_time="$SECS" -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -timeout=10 -max_len=8192 -artifact_prefix=fuzz/ \
  "$OUT/wit_corpus" "$SEED"
rm -rf "$SEED"
