#!/usr/bin/env bash
# Runs every test of the workspace, with the real peers the interop tests talk to.
# This is the README's test command; .ci/run calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> npm peers (from the committed lockfiles)"
(cd conformance/node && npm ci --no-audit --no-fund --loglevel=error)
(cd crates/demo/web && npm ci --no-audit --no-fund --loglevel=error)

if [ ! -x /usr/bin/chromium ]; then
  echo "==> chromium (Debian package) for the demo's browser test"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ -f conformance/python/requirements.txt ]; then
  echo "==> python peers (conformance/python/requirements.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r conformance/python/requirements.txt
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

bash -n scripts/bench-compare.sh && python3 -c 'import ast; ast.parse(open("benches/compare/report.py").read())'  # bench-compare parses; its loadgen smoke run is benches/tests/smoke.rs (cargo test)
echo "==> cargo test (workspace, all features, one dev profile build)"
cargo test --workspace --all-features

echo "==> the README's demo command answers /health, then stops on SIGTERM"
demo_log=$(mktemp)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./scripts/demo.sh --port "$port" >"$demo_log" 2>&1 &
demo_pid=$!
ok=""
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] && curl -fsS "http://127.0.0.1:$port/health" && echo
pkill -TERM -P "$demo_pid" 2>/dev/null || true
kill -TERM "$demo_pid" 2>/dev/null || true
wait "$demo_pid" 2>/dev/null || true
[ -n "$ok" ] || { cat "$demo_log"; echo "demo did not answer /health"; exit 1; }
echo "demo smoke: ok"
