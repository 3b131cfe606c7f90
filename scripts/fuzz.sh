#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build/fuzz and runs each for a
# bounded time on its corpus kept in the repository (new inputs go to a
# scratch directory, not into the repo). A crash fails the run.
#   FUZZ_SECONDS=600 scripts/fuzz.sh     longer runs by hand
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-15}"
if [[ ! -f build/fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMERIDIAN_FUZZ=ON -DMERIDIAN_BUILD_TESTS=OFF -DMERIDIAN_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build build/fuzz -j "${JOBS:-$(nproc)}" --target protocol_fuzz conf_fuzz packed_fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run() {
  local name=$1 corpus=$2
  mkdir -p "$scratch/$name"
  echo "fuzz: $name for ${seconds}s on $corpus"
  "build/fuzz/bin/$name" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch/$name" "$corpus" 2>&1 | tail -n 3
}
run protocol_fuzz common/protocol/tests/corpus
run conf_fuzz common/conf/tests/testdata
run packed_fuzz services/router/transport/tests/corpus
echo "fuzz: no crash"
