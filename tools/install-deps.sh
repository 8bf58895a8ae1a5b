#!/usr/bin/env bash
# Installs the Debian 12 packages weft needs to build and test, only those
# that are missing. Safe to run repeatedly; does nothing when all are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  clang-19 lld-19 libclang-rt-19-dev llvm-19-dev
  libgtest-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev
  libboost1.81-dev libtomlplusplus-dev
  wabt nodejs hyperfine
  wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  libsqlite3-dev
  # Outbound https:// (Boost.Asio SSL over OpenSSL); the openssl command
  # makes caps_https_test's certificates.
  libssl-dev openssl
  # Rust guests (examples/hello-rust): Debian's rustc with its wasm32-wasi std.
  rustc libstd-rust-dev-wasm32 lld-14
  # Cluster mode (issue 12): NATS with JetStream and its C client; Redis as
  # the alternative KV backend; nginx balances the three-node tests. The
  # tests start their own servers on 127.0.0.1; the packages' system services
  # are not used.
  nats-server libnats-dev redis-server libhiredis-dev nginx
)
# TypeScript guests (examples/hello-ts) need npm; a machine that has its own
# node and npm (not Debian's) keeps them.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "weft: installing missing packages: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages, pinned by each package-lock.json: AssemblyScript and its WASI
# shim for the TypeScript example; jco and componentize-js, which build the
# components the component tests run (tools/component-toolchain). Installed again only when the lock file
# is newer than what was installed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for dir in "$ROOT/examples/hello-ts" "$ROOT/tools/component-toolchain"; do
  stamp="$dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "weft: npm ci in ${dir#"$ROOT"/}" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
