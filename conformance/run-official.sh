#!/usr/bin/env bash
# Runs the official Engine.IO v4 and Socket.IO v5 conformance suites (from a
# checkout of the socket.io monorepo) against this project's conformance server.
#
# Usage: conformance/run-official.sh <socket.io-checkout> [url]
#
# Without [url], builds and starts `conformance-server --port 3000` (release),
# runs both suites, stops the server. With [url], uses a server already
# running there instead (the suites themselves talk to localhost:3000).
# Exits non-zero if any suite fails.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 <socket.io-checkout> [url]" >&2
  exit 2
fi

checkout=$(cd "$1" && pwd)
url=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
suites=(
  "$checkout/docs/engine.io-protocol/v4-test-suite"
  "$checkout/docs/socket.io-protocol/v5-test-suite"
)
for suite in "${suites[@]}"; do
  if [ ! -f "$suite/package.json" ]; then
    echo "missing test suite: $suite" >&2
    exit 2
  fi
done

server_pid=
log=$(mktemp)
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT

if [ -z "$url" ]; then
  (cd "$root" && cargo build --release -p conformance --bin conformance-server)
  target_dir=${CARGO_TARGET_DIR:-$root/target}
  RUST_LOG=${RUST_LOG:-warn} "$target_dir/release/conformance-server" --port 3000 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$log"; then
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "conformance-server exited:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if ! grep -q '^listening on ' "$log"; then
    echo "conformance-server did not start within 10 s" >&2
    exit 1
  fi
  url=http://localhost:3000
fi
echo "running the official suites against $url"

status=0
for suite in "${suites[@]}"; do
  echo "=== $suite"
  if ! (cd "$suite" && npm ci --no-audit --no-fund && npm test); then
    echo "FAILED: $suite" >&2
    status=1
  fi
done

if [ "$status" -ne 0 ] && [ -n "$server_pid" ]; then
  echo "--- conformance-server log" >&2
  tail -n 50 "$log" >&2
fi
exit "$status"
