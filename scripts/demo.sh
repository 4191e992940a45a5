#!/usr/bin/env bash
# Builds and starts the demo (notifications, jobs, presence) on 127.0.0.1:3000.
# Extra arguments go to the demo, e.g. `./scripts/demo.sh --port 8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd crates/demo/web && npm ci --no-audit --no-fund --loglevel=error)
exec cargo run -p demo -- "$@"
