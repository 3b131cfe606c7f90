#!/usr/bin/env bash
# One command: install what is missing, build, and start the Meridian suite on
# this machine: clients on 4222, monitoring on 8222, JetStream on, admin gRPC
# on 127.0.0.1:8223. Extra arguments go to meridian-server (nats-server flags).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bin/meridian-server -p 4222 -m 8222 -js "$@"
