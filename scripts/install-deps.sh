#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian packages Meridian needs that are
# missing. Safe to run again: it does nothing when everything is present.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   plus what the tests and benchmarks use
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libuv1-dev libssl-dev libsodium-dev librocksdb-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libnats-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(nats-server mosquitto mosquitto-clients curl clang libclang-rt-14-dev)
  # Node.js may come from another packaging (e.g. nodesource's nodejs bundles
  # npm and conflicts with Debian's npm): only install it when it is absent.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
