#!/usr/bin/env bash
# One command: install what is missing, build, and run every test: a short
# bounded libFuzzer run of the parsers, then unit and integration tests with
# real clients (libnats, nats.js) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
scripts/fuzz.sh
ctest --test-dir build --output-on-failure -j "${JOBS:-2}" --timeout 900 "$@"
