#!/usr/bin/env bash
# Builds the decode+validate fuzzer with clang-19 (libFuzzer + ASan + UBSan)
# and runs it for $1 seconds (default 300), seeded with the spec testsuite's
# modules. Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-300}"
OUT=build-fuzz
mkdir -p "$OUT" fuzz/corpus
clang++-19 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -Isrc \
  fuzz/decode_validate_fuzzer.cpp src/wasm/*.cpp -o "$OUT/decode_validate_fuzzer"
SEED=$(mktemp -d)
if [ -d ../shared/spec/json/core ]; then
  find ../shared/spec/json/core -name '*.wasm' -size -64k | head -2000 |
    while read -r f; do cp "$f" "$SEED/$(md5sum "$f" | cut -c1-16).wasm"; done
fi
"$OUT/decode_validate_fuzzer" -max_total_time="$SECS" -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -timeout=10 -artifact_prefix=fuzz/ fuzz/corpus "$SEED"
rm -rf "$SEED"
