#!/usr/bin/env bash
# End-to-end comparison of this project's Socket.IO server with socketioxide and Node's
# socket.io 4.8, with the workspace's load generator (benches/src/bin/loadgen.rs).
#
#   scripts/bench-compare.sh [--reps N] [--duration SECS] [--only a,b] [--servers x,y]
#                            [--quick] [--no-write]
#
# Builds the three servers (release), then for every scenario and every server, REPS
# times: starts a fresh server pinned to CPU 0 (taskset), runs the load generator pinned
# to CPU 1, stops the server. Medians of the repetitions go into docs/benchmarks.md
# between the `bench-compare` marker comments (re-running replaces them); raw results
# (one JSON line per run) stay in $CARGO_TARGET_DIR/bench-compare/results.jsonl.
# Documented in docs/benchmarks.md ("End-to-end comparison").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TGT=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TARGET_DIR=$TGT

REPS=3
DURATION=4
WARMUP=1
ONLY=""
SERVERS="rust,socketioxide,node"
QUICK=""
WRITE=1
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --servers) SERVERS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --no-write) WRITE=""; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

# Scenario name | loadgen arguments. Sizes are bounded: the machine caps a process at
# 20,000 open files, so the largest idle-socket run is 19,000 sockets.
if [ -n "$QUICK" ]; then
  SOCKETS_A=1000; SOCKETS_B=1900; BCAST=100
else
  SOCKETS_A=10000; SOCKETS_B=19000; BCAST=1000
fi
SCENARIOS=(
  "echo_ack_c100|echo --clients 100 --mode ack --payload 16"
  "echo_event_c100|echo --clients 100 --mode event --payload 16"
  "echo_ack_c100_p8|echo --clients 100 --mode ack --payload 16 --pipeline 8"
  "echo_bin1k_c100|echo --clients 100 --mode ack --binary 1024"
  "echo_bin64k_c50|echo --clients 50 --mode ack --binary 65536"
  "echo_polling_c50|echo --clients 50 --mode ack --payload 16 --transport polling"
  "broadcast_${BCAST}|broadcast --sockets $BCAST"
  "connect_${SOCKETS_A}|connect --sockets $SOCKETS_A --concurrency 100 --hold 2"
  "connect_${SOCKETS_B}|connect --sockets $SOCKETS_B --concurrency 100 --hold 2"
)

echo "==> build (release): bench-server, loadgen, socketioxide peer; npm ci for the Node peer"
cargo build --release --locked -p benches --bins
cargo build --release --locked --manifest-path benches/socketioxide-server/Cargo.toml
(cd benches/node-server && npm ci --no-audit --no-fund --loglevel=error)

LOADGEN=$TGT/release/loadgen
server_cmd() {
  case "$1" in
    rust) echo "$TGT/release/bench-server --port 0" ;;
    socketioxide) echo "$TGT/release/socketioxide-bench-server --port 0" ;;
    node) echo "node $ROOT/benches/node-server/server.js --port 0" ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}

# Node needs the higher open-files limit from its parent.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

OUTDIR=$TGT/bench-compare
mkdir -p "$OUTDIR"
RESULTS=$OUTDIR/results.jsonl
: >"$RESULTS"
LOG=$OUTDIR/servers.log
: >"$LOG"

run_one() { # server scenario rep args...
  local server=$1 name=$2 rep=$3; shift 3
  local out=$OUTDIR/server.out
  : >"$out"
  # shellcheck disable=SC2046
  taskset -c "$SERVER_CPU" $(server_cmd "$server") >"$out" 2>>"$LOG" &
  local spid=$!
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening .*:\([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "   $server did not start" >&2
    kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
    return 0
  fi
  sleep 0.3
  local line
  line=$(timeout 180 taskset -c "$LOADGEN_CPU" "$LOADGEN" "$@" --port "$port" --server-pid "$spid" \
      --label "$server|$name|$rep" --warmup "$WARMUP" --duration "$DURATION" 2>>"$LOG" || true)
  kill -TERM "$spid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  if [ -z "$line" ]; then
    line="{\"ok\":false,\"label\":\"$server|$name|$rep\",\"first_error\":\"no report\"}"
  fi
  echo "$line" >>"$RESULTS"
  python3 - "$line" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
print("   %-34s ok=%-5s count=%-9s rate/s=%-10.0f srv_cpu_us/unit=%-8s lg_cpu=%s%%" % (
    d.get("label"), d.get("ok"), d.get("count"), d.get("rate_per_s", 0),
    round(d["server_cpu_us_per_unit"], 2) if "server_cpu_us_per_unit" in d else "-",
    round(d.get("loadgen_cpu_pct", 0))))
EOF
}

MACHINE="$(nproc) CPUs, Linux $(uname -r), load average before the run $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
for entry in "${SCENARIOS[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
  echo "==> $name ($args)"
  for rep in $(seq 1 "$REPS"); do
    for server in ${SERVERS//,/ }; do
      # shellcheck disable=SC2086
      run_one "$server" "$name" "$rep" $args
    done
  done
done
echo "==> measured in $(( $(date +%s) - start )) s; raw results: $RESULTS"

python3 "$ROOT/benches/compare/report.py" "$RESULTS" "$ROOT/docs/benchmarks.md" \
  "${WRITE:+write}" "reps=$REPS duration=${DURATION}s warmup=${WARMUP}s; $MACHINE"
