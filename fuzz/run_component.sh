#!/usr/bin/env bash
# Builds the component decode+validate fuzzer with clang-19 (libFuzzer +
# ASan + UBSan) and runs it for $1 seconds (default 300), seeded with the
# small real components in fuzz/component_seeds (made by jco).
# Usage: fuzz/run_component.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-300}"
OUT=build-fuzz
mkdir -p "$OUT" fuzz/component_corpus
clang++-19 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -Isrc \
  fuzz/component_fuzz.cpp src/component/binary*.cpp \
  src/component/validate*.cpp src/component/types.cpp src/wasm/*.cpp \
  -o "$OUT/component_fuzz"
"$OUT/component_fuzz" -max_total_time="$SECS" -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -timeout=10 -artifact_prefix=fuzz/component- \
  fuzz/component_corpus fuzz/component_seeds
