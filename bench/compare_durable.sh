#!/usr/bin/env bash
# Durable-write throughput and restart time, latchkey-server against redis-server with AOF.
#
#  1. SET throughput (redis-benchmark, -c 50, P=1 and P=16, 200-byte values, 1M random keys):
#     Redis `appendfsync always` vs Latchkey `fsync always` (group commit), Redis `everysec` vs
#     Latchkey `everysec`, and Latchkey `fsync no` as the no-sync reference. Rounds alternate servers.
#  2. Restart time with KEYS keys (200-byte values, each with a TTL): time from process start until it
#     answers PING with all keys loaded, Latchkey (RocksDB) vs Redis (AOF replay).
#
# Usage: bench/compare_durable.sh [path/to/latchkey-server] [requests per run] [keys for restart test]
set -euo pipefail

LK_BIN=${1:-build/server/latchkey-server}
REQUESTS=${2:-200000}
KEYS=${3:-1000000}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 6000); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.01; done; echo "server on $1 did not start" >&2; exit 1; }
now_ms() { date +%s%3N; }

tmp=$(mktemp -d)
# Servers are started inside $(...) subshells, so their pids are collected in a file.
cleanup() { xargs -r kill <"$tmp/pids" 2>/dev/null || true; sleep 0.5; rm -rf "$tmp"; }
trap cleanup EXIT

start_redis() {  # <dir> <appendfsync> -> port
  local port; port=$(free_port); mkdir -p "$1"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync "$2" --dir "$1" \
    --aof-use-rdb-preamble no --auto-aof-rewrite-percentage 0 >"$1/log" 2>&1 &
  echo $! >>"$tmp/pids"; wait_ping "$port"; echo "$port"
}
start_lk() {  # <dir> <fsync> -> port
  local port; port=$(free_port)
  "$LK_BIN" --port "$port" --bind 127.0.0.1 --dir "$1" --fsync "$2" --loglevel warning >"$tmp/lk-$port.log" 2>&1 &
  echo $! >>"$tmp/pids"; wait_ping "$port"; echo "$port"
}
rps() {  # <port> <pipeline>
  redis-benchmark -p "$1" -t set -r 1000000 -d 200 -c 50 -n "$REQUESTS" -P "$2" --csv 2>/dev/null |
    awk -F'","' '!/test/ {gsub(/"/,"",$2); print $2; exit}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "== SET throughput, 50 clients, 200-byte values =="
printf '%-9s %-3s %12s %12s %7s\n' policy P redis lk ratio
for policy in always everysec; do
  rport=$(start_redis "$tmp/redis-$policy" "$policy")
  lport=$(start_lk "$tmp/lk-$policy" "$policy")
  for p in 1 16; do
    r1=$(rps "$rport" "$p"); l1=$(rps "$lport" "$p"); r2=$(rps "$rport" "$p"); l2=$(rps "$lport" "$p")
    r=$(awk -v a="$r1" -v b="$r2" 'BEGIN {print (a + b) / 2}'); l=$(awk -v a="$l1" -v b="$l2" 'BEGIN {print (a + b) / 2}')
    printf '%-9s %-3s %12.0f %12.0f %7s\n' "$policy" "$p" "$r" "$l" "$(ratio "$l" "$r")"
  done
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$lport" shutdown >/dev/null 2>&1 || true
done
lport=$(start_lk "$tmp/lk-no" no)
for p in 1 16; do printf '%-9s %-3s %12s %12.0f\n' "lk-no" "$p" "-" "$(rps "$lport" "$p")"; done
redis-cli -p "$lport" shutdown >/dev/null 2>&1 || true

echo "== Restart with $KEYS keys (200-byte values, TTL 1 day) =="
fill() {  # <port>
  /usr/bin/python3 - "$1" "$KEYS" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
value = b"v" * 200
sent = got = 0
# Keep at most 50k replies outstanding: a client that never reads makes the server stop reading it.
for start in range(0, n, 1000):
    batch = []
    for i in range(start, min(n, start + 1000)):
        k = b"key:%d" % i
        batch.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$200\r\n%s\r\n$2\r\nEX\r\n$5\r\n86400\r\n" % (len(k), k, value))
    s.sendall(b"".join(batch))
    sent += len(batch)
    while sent - got > 50000:
        got += s.recv(1 << 20).count(b"\n")  # every reply is one "+OK\r\n" line
while got < n:
    got += s.recv(1 << 20).count(b"\n")
PY
}
rport=$(start_redis "$tmp/redis-restart" everysec); fill "$rport"; redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
lport=$(start_lk "$tmp/lk-restart" everysec); fill "$lport"; redis-cli -p "$lport" shutdown >/dev/null 2>&1 || true
sleep 1
t0=$(now_ms); rport=$(start_redis "$tmp/redis-restart" everysec); t1=$(now_ms)
rkeys=$(redis-cli -p "$rport" dbsize)
t2=$(now_ms); lport=$(start_lk "$tmp/lk-restart" everysec); t3=$(now_ms)
lkeys=$(redis-cli -p "$lport" dbsize)
printf 'redis AOF replay: %d keys in %d ms; latchkey load: %d keys in %d ms; ratio redis/latchkey %s\n' \
  "$rkeys" $((t1 - t0)) "$lkeys" $((t3 - t2)) "$(ratio $((t1 - t0)) $((t3 - t2)))"
