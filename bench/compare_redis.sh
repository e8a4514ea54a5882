#!/usr/bin/env bash
# End-to-end throughput of latchkey-server against redis-server, side by side on this machine.
#
# Runs redis-benchmark (GET and SET, random keys from a space of 1M, 200-byte values, 50 clients) at
# pipeline depths 1 and 16 against both servers, alternating A B A B so machine noise hits both, and
# prints requests/s and the ratio latchkey/redis per workload (median of the rounds).
#
# Usage: bench/compare_redis.sh [path/to/latchkey-server] [requests per run] [rounds]
#   env: IO_THREADS (latchkey io-threads, default 0 = one per core), CLIENTS (default 50)
set -euo pipefail

LK_BIN=${1:-build/server/latchkey-server}
REQUESTS=${2:-1000000}
ROUNDS=${3:-2}
CLIENTS=${CLIENTS:-50}
IO_THREADS=${IO_THREADS:-0}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }

tmp=$(mktemp -d)
RPORT=$(free_port)
LPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
RPID=$!
"$LK_BIN" --port "$LPORT" --bind 127.0.0.1 --dir "$tmp/lk" --io-threads "$IO_THREADS" --loglevel warning >"$tmp/lk.log" 2>&1 &
LPID=$!
trap 'kill $RPID $LPID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_ping "$RPORT"
wait_ping "$LPORT"

# rps <port> <test> <pipeline>
rps() {
  redis-benchmark -p "$1" -t "$2" -r 1000000 -d 200 -c "$CLIENTS" -n "$REQUESTS" -P "$3" --csv -q 2>/dev/null |
    awk -F'","' 'NR>1 || !/test/ {gsub(/"/,"",$2); print $2; exit}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Fill the keyspace once so GETs hit.
redis-benchmark -p "$RPORT" -t set -r 1000000 -d 200 -c 50 -n 1000000 -P 64 -q >/dev/null 2>&1
redis-benchmark -p "$LPORT" -t set -r 1000000 -d 200 -c 50 -n 1000000 -P 64 -q >/dev/null 2>&1

printf '%-6s %-3s %14s %14s %7s\n' test P redis_rps latchkey_rps ratio
for test in get set; do
  for pipeline in 1 16; do
    r_runs=() l_runs=()
    for _ in $(seq "$ROUNDS"); do
      r_runs+=("$(rps "$RPORT" "$test" "$pipeline")")
      l_runs+=("$(rps "$LPORT" "$test" "$pipeline")")
    done
    r=$(printf '%s\n' "${r_runs[@]}" | median)
    l=$(printf '%s\n' "${l_runs[@]}" | median)
    printf '%-6s %-3s %14.0f %14.0f %7s\n' "$test" "$pipeline" "$r" "$l" "$(awk -v l="$l" -v r="$r" 'BEGIN {printf "%.2f", l / r}')"
  done
done
