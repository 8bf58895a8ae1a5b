#!/usr/bin/env bash
# The first of the README's two commands: install what is missing, build,
# run weft on its bundled examples, then serve the example app
# (`weft serve examples/hello`, in the foreground; Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
tools/build.sh
BUILD_DIR="${WEFT_BUILD_DIR:-build}"
echo "== weft validate examples/fib.wasm"
"$BUILD_DIR/weft" validate "$BUILD_DIR/examples/fib.wasm" && echo "valid"
echo "== weft run --invoke fib examples/fib.wasm 30"
"$BUILD_DIR/weft" run --invoke fib "$BUILD_DIR/examples/fib.wasm" 30
if [ -f "$BUILD_DIR/examples/hello-wasi.wasm" ]; then
  # A WASI program: the guest sees only NAME and the guestbook directory.
  mkdir -p "$BUILD_DIR/examples/guestbook"
  echo "== weft run --env NAME=weft --dir $BUILD_DIR/examples/guestbook::/data examples/hello-wasi.wasm one two"
  "$BUILD_DIR/weft" run --env NAME=weft --dir "$BUILD_DIR/examples/guestbook::/data" \
    "$BUILD_DIR/examples/hello-wasi.wasm" one two
fi
if [ -f "$BUILD_DIR/examples/hello/hello.wasm" ]; then
  echo "== weft serve examples/hello   (try: curl http://127.0.0.1:3000/hello; Ctrl-C stops)"
  cd "$BUILD_DIR"
  exec ./weft serve examples/hello
fi
