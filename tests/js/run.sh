#!/usr/bin/env bash
# Runs the nats.js (official client, v3) compatibility suite.
#
#   tests/js/run.sh                                   # against build/bin/meridian-server
#   NATS_TEST_SERVER=$(command -v nats-server) tests/js/run.sh   # against nats-server
#   tests/js/run.sh cluster/          # cluster suite (frontends, mesh, nats-server reference)
#
# Extra arguments are passed to `node --test`: flags (e.g. --test-name-pattern=wildcard)
# and/or test files (e.g. core/pubsub.test.mjs; default: all of core/).
# Env: NATS_TEST_SERVER (binary), TEST_TIMEOUT_MS (default 120000),
#      TEST_REPORTER (default tap: prints "# pass N" / "# fail N").
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "run.sh: node/npm not found; installing nodejs and npm with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y nodejs npm
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "run.sh: Node.js >= 18 required (20 recommended), found $(node --version)" >&2
  exit 1
fi

# Install the pinned client packages when missing or when the lock file changed.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

server="${NATS_TEST_SERVER:-$(cd ../.. && pwd)/build/bin/meridian-server}"
if [ ! -x "$server" ]; then
  echo "run.sh: server binary not found or not executable: $server" >&2
  echo "run.sh: build Meridian first, or set NATS_TEST_SERVER=/path/to/nats-server" >&2
  exit 1
fi
echo "# server under test: $server"
echo "# node $(node --version)"

# Use each runner flag only if this Node has it (Node 20 has all of them).
node_help=$(node --help)
args=(--test)
has_flag() { grep -q -- "$1" <<<"$node_help"; }
has_flag --test-concurrency && args+=(--test-concurrency=1)      # sequential: 2-core machine
# Node 20 applies --test-timeout to each test *and* to each test file as a whole.
has_flag --test-timeout && args+=("--test-timeout=${TEST_TIMEOUT_MS:-120000}")
# Exit once tests finish even if a broken connection left a handle open.
has_flag --test-force-exit && args+=(--test-force-exit)
has_flag --test-reporter && args+=("--test-reporter=${TEST_REPORTER:-tap}")

# Test files/dirs may be given as arguments (anything not starting with "-");
# default: every test file under core/.
targets=(core/)
for a in "$@"; do
  case "$a" in -*) ;; *) targets=() ;; esac
done

set +e
node "${args[@]}" "$@" "${targets[@]}"
rc=$?
set -e
exit $rc
