#!/usr/bin/env bash
# Configures and builds Meridian into build/ (programs in build/bin/).
#   BUILD_TYPE=Debug scripts/build.sh    other build types; presets: see CMakePresets.json
set -euo pipefail
cd "$(dirname "$0")/.."
build_type="${BUILD_TYPE:-RelWithDebInfo}"
jobs="${JOBS:-$(nproc)}"
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
cmake --build build -j "$jobs"
