#!/usr/bin/env bash
# Refresh-token rotation, end to end, side by side with Redis running the least a plain-Redis store
# must do per rotation (one Lua script: compare the presented secret's hash, store the new one; see
# bench/rotate_bench.cc). For each fsync policy (everysec, always; Redis: appendfsync of the same
# name), both servers run with persistence on and are measured A B A B over ROUNDS rounds; prints
# ops/s (median), p50/p99/p99.9 (ms, median run) and the ratio latchkey/redis.
#
# Usage: bench/compare_rotate.sh [build dir] [seconds per run] [rounds]
#   CLIENTS (default 50); PIN=1 puts the servers on CPU 0 (Latchkey with one I/O thread) and the
#   load generator on CPU 1.
set -euo pipefail

BUILD=${1:-build}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-2}
CLIENTS=${CLIENTS:-50}
LK_BIN=$BUILD/server/latchkey-server
BENCH=$BUILD/bench/rotate_bench

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }

SERVER_CPU=() CLIENT_CPU=() IO_THREADS=0
if [[ "${PIN:-0}" == 1 ]]; then SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1) IO_THREADS=1; fi

tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

printf '%-9s %-8s %10s %8s %8s %8s\n' policy server ops/s p50_ms p99_ms p99.9_ms
for policy in everysec always; do
  RPORT=$(free_port)
  LPORT=$(free_port)
  mkdir -p "$tmp/$policy/redis" "$tmp/$policy/lk"
  "${SERVER_CPU[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly yes \
    --appendfsync "$policy" --dir "$tmp/$policy/redis" >"$tmp/$policy/redis.log" 2>&1 &
  pids+=($!)
  "${SERVER_CPU[@]}" "$LK_BIN" --port "$LPORT" --bind 127.0.0.1 --dir "$tmp/$policy/lk" --io-threads "$IO_THREADS" \
    --fsync "$policy" --loglevel warning >"$tmp/$policy/lk.log" 2>&1 &
  pids+=($!)
  wait_ping "$RPORT"
  wait_ping "$LPORT"
  for round in $(seq "$ROUNDS"); do
    for target in latchkey redis; do
      port=$LPORT
      [[ $target == redis ]] && port=$RPORT
      "${CLIENT_CPU[@]}" "$BENCH" --port "$port" --target "$target" --clients "$CLIENTS" \
        --seconds "$SECONDS_PER_RUN" --warmup 2 >>"$tmp/$policy.$target"
    done
  done
  for target in latchkey redis; do
    ops=$(field ops_per_sec <"$tmp/$policy.$target" | median)
    run=$(grep -m1 "ops_per_sec=$ops" "$tmp/$policy.$target" || head -1 "$tmp/$policy.$target")
    printf '%-9s %-8s %10s %8s %8s %8s\n' "$policy" "$target" "$ops" "$(field p50_ms <<<"$run")" \
      "$(field p99_ms <<<"$run")" "$(field p999_ms <<<"$run")"
    eval "ops_$target=$ops"
  done
  awk -v a="$ops_latchkey" -v b="$ops_redis" -v p="$policy" 'BEGIN {printf "%-9s ratio latchkey/redis ops/s: %.2fx\n", p, a / b}'
done
