#!/usr/bin/env bash
# The gateway's hot path, end to end, against Redis answering the usual pattern, on the same data:
#
#   latchkey  DENY.CHECK bench j<n>            vs  redis  EXISTS revoked:bench:j<n>
#
# Both hold N revoked tokens (exp spread over a day; Redis keys carry EXAT). redis-benchmark, 50
# clients, -r 2N so half the checks hit; P=1 and P=16, A B A B over ROUNDS rounds; prints ops/s (median
# run), p50/p99 (ms) and latchkey/redis ratios. Then memory per entry (used_memory delta / N for both,
# and Latchkey's own denylist_bytes_per_entry), and the restart time to the first PING with
# everything loaded. Both persist: Redis appendonly everysec, Latchkey fsync everysec.
#
# PIN=1 gives each side one core: both servers on CPU 0 (Latchkey with one I/O thread), the load
# generator on CPU 1 (taskset), so neither server competes with redis-benchmark for a core.
#
# Usage: [PIN=1] bench/compare_denylist.sh [path/to/latchkey-server] [entries] [requests per run] [rounds]
set -euo pipefail

LK_BIN=${1:-build/server/latchkey-server}
ENTRIES=${2:-10000000}
REQUESTS=${3:-1000000}
ROUNDS=${4:-2}
CLIENTS=${CLIENTS:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER_CPU=()
CLIENT_CPU=()
IO_THREADS=${IO_THREADS:-0}
if [ "${PIN:-0}" = 1 ]; then
  SERVER_CPU=(taskset -c 0)
  CLIENT_CPU=(taskset -c 1)
  IO_THREADS=1
fi

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() {
  for _ in $(seq 6000); do
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.02
  done
  echo "server on $1 did not start" >&2
  exit 1
}
used() { redis-cli -p "$1" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
rss() { redis-cli -p "$1" info memory | awk -F: '/^used_memory_rss:/ {print $2+0}'; }
ms() { date +%s%3N; }

tmp=$(mktemp -d)
RPORT=$(free_port)
LPORT=$(free_port)
start_redis() {
  "${SERVER_CPU[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
    --dir "$tmp" >>"$tmp/redis.log" 2>&1 &
  RPID=$!
}
start_latchkey() {
  "${SERVER_CPU[@]}" "$LK_BIN" --port "$LPORT" --bind 127.0.0.1 --dir "$tmp/lk" --io-threads "$IO_THREADS" --fsync everysec \
    --loglevel warning >>"$tmp/lk.log" 2>&1 &
  LPID=$!
}
mkdir -p "$tmp/lk"
start_redis
start_latchkey
trap 'kill $RPID $LPID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_ping "$RPORT"
wait_ping "$LPORT"

echo "loading $ENTRIES revoked tokens into each server..."
rb=$(used "$RPORT")
lb=$(used "$LPORT")
t0=$(ms)
"$HERE/gen_denylist.py" redis "$ENTRIES" | redis-cli -p "$RPORT" --pipe >/dev/null
t1=$(ms)
"$HERE/gen_denylist.py" latchkey "$ENTRIES" | redis-cli -p "$LPORT" --pipe >/dev/null
t2=$(ms)
sleep 2  # let the last second of writes settle before measuring memory
# Redis rewrites its AOF after such a load (a forked child; pinned, it would share Redis's core):
# measure only once that is over.
while redis-cli -p "$RPORT" info persistence | grep -q '^aof_rewrite_in_progress:1'; do sleep 1; done
ra=$(used "$RPORT")
la=$(used "$LPORT")
echo "  load through redis-cli --pipe: redis $((t1 - t0)) ms, latchkey $((t2 - t1)) ms"
echo "  redis dbsize $(redis-cli -p "$RPORT" dbsize), latchkey entries" \
  "$(redis-cli -p "$LPORT" info denylist | awk -F: '/^denylist_entries:/ {print $2+0}')"

run() {
  local port=$1 pipeline=$2
  shift 2
  "${CLIENT_CPU[@]}" redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" -P "$pipeline" -r $((2 * ENTRIES)) --csv "$@" 2>/dev/null |
    awk -F'","' 'NR==2 {gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $5, $7}'
}
median_run() { printf '%s\n' "$@" | sort -n -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

echo
printf '%-5s %12s %12s %6s %9s %9s %9s %9s\n' P redis_ops lk_ops ratio r_p50 lk_p50 r_p99 lk_p99
for P in 1 16; do
  r_runs=() l_runs=()
  for _ in $(seq "$ROUNDS"); do
    r_runs+=("$(run "$RPORT" "$P" EXISTS revoked:bench:j__rand_int__)")
    l_runs+=("$(run "$LPORT" "$P" DENY.CHECK bench j__rand_int__)")
  done
  read -r rr rp50 rp99 <<<"$(median_run "${r_runs[@]}")"
  read -r lr lp50 lp99 <<<"$(median_run "${l_runs[@]}")"
  printf '%-5s %12.0f %12.0f %6s %9s %9s %9s %9s\n' "$P" "$rr" "$lr" \
    "$(awk -v l="$lr" -v r="$rr" 'BEGIN {printf "%.2f", l / r}')" "$rp50" "$lp50" "$rp99" "$lp99"
done
hits=$(redis-cli -p "$LPORT" info denylist | awk -F: '/^denylist_hits:/ {h=$2} /^denylist_checks:/ {c=$2} END {printf "%.2f", h / c}')
echo "latchkey hit ratio over the runs: $hits"

echo
echo "memory per entry (used_memory delta / entries):"
bpe=$(redis-cli -p "$LPORT" info denylist | awk -F: '/^denylist_bytes_per_entry:/ {print $2+0}')
awk -v rb="$rb" -v ra="$ra" -v lb="$lb" -v la="$la" -v n="$ENTRIES" -v bpe="$bpe" 'BEGIN {
  printf "  redis    %6.1f B\n", (ra - rb) / n
  printf "  latchkey %6.1f B  (denylist structures alone: %.1f B; the rest is RocksDB memtables)\n", (la - lb) / n, bpe
  printf "  ratio    %6.2f\n", (la - lb) / (ra - rb) }'
echo "  rss after load: redis $(rss "$RPORT") B, latchkey $(rss "$LPORT") B"

echo
echo "restart with $ENTRIES entries (shutdown, start, first PING answered):"
redis-cli -p "$RPORT" shutdown >/dev/null 2>&1 || true
redis-cli -p "$LPORT" shutdown >/dev/null 2>&1 || true
wait "$RPID" "$LPID" 2>/dev/null || true
t0=$(ms)
start_redis
wait_ping "$RPORT"
t1=$(ms)
start_latchkey
wait_ping "$LPORT"
t2=$(ms)
echo "  redis    $((t1 - t0)) ms (AOF, dbsize $(redis-cli -p "$RPORT" dbsize))"
echo "  latchkey $((t2 - t1)) ms (denylist_load_ms" \
  "$(redis-cli -p "$LPORT" info denylist | awk -F: '/^denylist_load_ms:/ {print $2+0}'), entries" \
  "$(redis-cli -p "$LPORT" info denylist | awk -F: '/^denylist_entries:/ {print $2+0}'))"
