#!/usr/bin/env bash
# Runs every test of the workspace, with the real peers the interop tests talk to.
# This is the README's test command; .ci/run calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> npm peers (conformance/node, from the committed lockfile)"
(cd conformance/node && npm ci --no-audit --no-fund --loglevel=error)

if [ -f conformance/python/requirements.txt ]; then
  echo "==> python peers (conformance/python/requirements.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r conformance/python/requirements.txt
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo test (workspace, all features, one dev profile build)"
cargo test --workspace --all-features
