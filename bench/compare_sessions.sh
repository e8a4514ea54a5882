#!/usr/bin/env bash
# Sessions, end to end, against Redis serving the connect-redis pattern, side by side on this machine.
#
#   read:   latchkey SESSION.GET <id>          vs  redis GET sess:<id>
#   touch:  latchkey SESSION.GET <id> TOUCH    vs  redis EXPIRE sess:<id> 1800 (connect-redis's touch;
#           a real touch costs Redis a GET *and* an EXPIRE, so this favours Redis)
#   create: latchkey SESSION.CREATE            vs  redis SET sess:<rand> <200 B> EX 1800
#
# redis-benchmark custom-command mode, 50 clients, P=1, each workload A B A B over ROUNDS rounds;
# prints ops/s (median), p50 and p99 (ms, from the median run) and the ratio latchkey/redis. Both
# servers persist: Redis appendonly everysec, Latchkey fsync everysec. Then memory per session with a
# 200-byte blob: N sessions created in each, used_memory delta / N.
#
# Usage: bench/compare_sessions.sh [path/to/latchkey-server] [requests per run] [rounds] [sessions for memory]
set -euo pipefail

LK_BIN=${1:-build/server/latchkey-server}
REQUESTS=${2:-300000}
ROUNDS=${3:-2}
MEMORY_SESSIONS=${4:-100000}
CLIENTS=${CLIENTS:-50}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }

tmp=$(mktemp -d)
RPORT=$(free_port)
LPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec --dir "$tmp" \
  >"$tmp/redis.log" 2>&1 &
RPID=$!
mkdir -p "$tmp/lk"
"$LK_BIN" --port "$LPORT" --bind 127.0.0.1 --dir "$tmp/lk" --io-threads "${IO_THREADS:-0}" --fsync everysec --loglevel warning >"$tmp/lk.log" 2>&1 &
LPID=$!
trap 'kill $RPID $LPID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_ping "$RPORT"
wait_ping "$LPORT"

BLOB=$(head -c 150 /dev/urandom | base64 -w0 | head -c 200)
ID=$(redis-cli -p "$LPORT" session.create bench-user IDLE 1800 ABS 86400 DATA "$BLOB" | sed -n 2p)
RKEY="sess:$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
redis-cli -p "$RPORT" set "$RKEY" "$BLOB" EX 1800 >/dev/null

# run <port> <command...>: prints "rps p50 p99" of one redis-benchmark run.
run() {
  local port=$1
  shift
  redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" --csv "$@" 2>/dev/null |
    awk -F'","' 'NR==2 {gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $5, $7}'
}
# The run with the median ops/s among the arguments ("rps p50 p99" each).
median_run() { printf '%s\n' "$@" | sort -n -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

printf '%-7s %12s %12s %6s %9s %9s %9s %9s\n' workload redis_ops lk_ops ratio r_p50 lk_p50 r_p99 lk_p99
compare() {
  local name=$1 redis_cmd=$2 lk_cmd=$3
  local r_runs=() l_runs=()
  for _ in $(seq "$ROUNDS"); do
    # shellcheck disable=SC2086
    r_runs+=("$(run "$RPORT" $redis_cmd)")
    # shellcheck disable=SC2086
    l_runs+=("$(run "$LPORT" $lk_cmd)")
  done
  read -r rr rp50 rp99 <<<"$(median_run "${r_runs[@]}")"
  read -r lr lp50 lp99 <<<"$(median_run "${l_runs[@]}")"
  printf '%-7s %12.0f %12.0f %6s %9s %9s %9s %9s\n' "$name" "$rr" "$lr" \
    "$(awk -v l="$lr" -v r="$rr" 'BEGIN {printf "%.2f", l / r}')" "$rp50" "$lp50" "$rp99" "$lp99"
}
compare read "GET $RKEY" "SESSION.GET $ID"
compare touch "EXPIRE $RKEY 1800" "SESSION.GET $ID TOUCH"
compare create "SET sess:__rand_int__ $BLOB EX 1800" "SESSION.CREATE u:__rand_int__ IDLE 1800 ABS 86400 DATA $BLOB"

# Memory per session: N more sessions in each server, used_memory before and after. For Latchkey,
# used_memory_for_maxmemory: the allocator's figure without RocksDB's memtables, a bounded write buffer
# whose fill level at the two instants would otherwise swing the result by hundreds of bytes.
used() { redis-cli -p "$1" info memory | awk -F: -v f="${2:-used_memory}" '$1 == f {print $2+0}'; }
rb=$(used "$RPORT")
lb=$(used "$LPORT" used_memory_for_maxmemory)
redis-benchmark -p "$RPORT" -c 50 -n "$MEMORY_SESSIONS" -r 100000000000 -P 32 \
  SET "sess:__rand_int____rand_int____rand_int__" "$BLOB" EX 1800 >/dev/null 2>&1
redis-benchmark -p "$LPORT" -c 50 -n "$MEMORY_SESSIONS" -P 32 \
  SESSION.CREATE "u:__rand_int__" IDLE 1800 ABS 86400 DATA "$BLOB" >/dev/null 2>&1
ra=$(used "$RPORT")
la=$(used "$LPORT" used_memory_for_maxmemory)
rn=$(redis-cli -p "$RPORT" dbsize)
ln=$(redis-cli -p "$LPORT" info sessions | awk -F: '/^sessions_live:/ {print $2+0}')
echo
echo "memory per session with a 200-byte blob (used_memory delta / sessions added; latchkey without memtables):"
awk -v rb="$rb" -v ra="$ra" -v lb="$lb" -v la="$la" -v n="$MEMORY_SESSIONS" -v rn="$rn" -v ln="$ln" 'BEGIN {
  printf "  redis    %7.0f B  (%d keys)\n", (ra - rb) / n, rn
  printf "  latchkey %7.0f B  (%d sessions)\n", (la - lb) / n, ln
  printf "  ratio    %7.2f\n", (la - lb) / (ra - rb) }'
