#!/usr/bin/python3
"""redis-py (Debian's python3-redis) against a Redis-compatible server.

Strings with TTLs, hashes, sets, scan_iter/hscan_iter/sscan_iter, pipelines (transaction and
not), WATCH/MULTI with WatchError and Redis.transaction(), pub/sub through get_message, RESP3 when
this redis-py has protocol=3, and recovery after the server restarts (under run_clients.py).

Environment: LK_HOST (default 127.0.0.1), LK_PORT (default 6379). LK_CONTROL=stdio means the
script runs under run_clients.py, which restarts the server on request: the script prints
"@@LK stop" or "@@LK start" on stdout and reads one line ("ok" or "error ...") from stdin.
Without LK_CONTROL the reconnect checks are skipped. Exit status 0 when every check passed.

    LK_HOST=127.0.0.1 LK_PORT=6379 /usr/bin/python3 tests/clients/python/redis_py_flows.py
"""

import inspect
import os
import sys
import threading
import time
import traceback

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, ResponseError, WatchError
from redis.retry import Retry

HOST = os.environ.get("LK_HOST", "127.0.0.1")
PORT = int(os.environ.get("LK_PORT", "6379"))
CONTROL = os.environ.get("LK_CONTROL") == "stdio"
DB = 1
NAME = "lk-redis-py"

passed = 0
failed = []
server_stopped = False


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def equal(actual, expected, what=""):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}" if what
                      else f"expected {expected!r}, got {actual!r}")


def step(name):
    """Decorator: runs the function at once as one named check. A failure is reported and the
    script goes on with the next check, so one run lists everything that fails."""
    def run(fn):
        global passed
        started = time.monotonic()
        try:
            fn()
        except Exception as err:  # noqa: BLE001 - every failure is reported with its step
            failed.append(name)
            text = " ".join(f"{type(err).__name__}: {err}".split())
            print(f"  FAIL  {name}: {text[:600]}{'...' if len(text) > 600 else ''}", flush=True)
            frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == __file__]
            if frames:
                print(f"        at line {frames[-1].lineno}: {frames[-1].line}", flush=True)
            if server_stopped:          # a failed restart check must not leave it down
                try:
                    control("start")
                except Failure as start_err:
                    print(f"        could not start the server again: {start_err}", flush=True)
            return fn
        passed += 1
        print(f"  ok  {name} ({(time.monotonic() - started) * 1000:.0f} ms)", flush=True)
        return fn
    return run


def control(action):
    """Asks run_clients.py to stop or start the server and waits for its answer."""
    global server_stopped
    print(f"@@LK {action}", flush=True)
    answer = sys.stdin.readline()
    if answer.strip() != "ok":
        raise Failure(f"runner could not {action} the server: {answer.strip() or 'stdin closed'}")
    server_stopped = action == "stop"


def wait_for(what, fn, timeout=5.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def next_message(pubsub, timeout=5.0):
    """The next pub/sub message (subscribe confirmations included), or a failure after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            return {k: message[k] for k in ("type", "pattern", "channel", "data")}
    raise Failure(f"no pub/sub message within {timeout} s")


def client(**kwargs):
    options = dict(host=HOST, port=PORT, db=DB, client_name=NAME, decode_responses=True,
                   socket_timeout=5, socket_connect_timeout=5)
    options.update(kwargs)
    return redis.Redis(**options)


print(f"redis-py {redis.__version__} flows: server {HOST}:{PORT}", flush=True)
started_all = time.monotonic()
r = client()
other = client(client_name=f"{NAME}-other")


@step("connect (SELECT db, CLIENT SETNAME)")
def _():
    equal(r.ping(), True, "PING")
    equal(r.client_getname(), NAME, "CLIENT GETNAME")
    equal(r.flushdb(), True, "FLUSHDB")
    equal(r.dbsize(), 0, "DBSIZE")


@step("strings with TTLs")
def _():
    equal(r.set("s:a", "v1", ex=30), True)
    equal(r.get("s:a"), "v1")
    pttl = r.pttl("s:a")
    check(28000 < pttl <= 30000, f"PTTL {pttl}")
    equal(r.ttl("s:a"), 30, "TTL")
    equal(r.set("s:a", "v2", nx=True), None, "SET NX on an existing key")
    equal(r.set("s:a", "v2", xx=True, keepttl=True), True, "SET XX KEEPTTL")
    check(r.pttl("s:a") > 28000, "KEEPTTL lost the TTL")
    equal(r.persist("s:a"), True, "PERSIST")
    equal(r.ttl("s:a"), -1, "TTL after PERSIST")
    equal(r.pexpire("s:a", 5000), True, "PEXPIRE")
    check(0 < r.pttl("s:a") <= 5000, "PEXPIRE did not set the TTL")
    equal(r.setex("s:b", 10, "x"), True, "SETEX")
    equal(r.ttl("s:b"), 10, "TTL after SETEX")
    equal(r.psetex("s:c", 10000, "y"), True, "PSETEX")
    check(9000 < r.pttl("s:c") <= 10000, "PSETEX TTL")
    equal(r.getex("s:c", ex=100), "y", "GETEX")
    equal(r.ttl("s:c"), 100, "TTL after GETEX")
    equal(r.ttl("s:none"), -2, "TTL of a missing key")
    equal(r.incr("s:n"), 1)
    equal(r.incrby("s:n", 41), 42)
    equal(r.mset({"s:m1": "a", "s:m2": "b"}), True, "MSET")
    equal(r.mget("s:m1", "s:m2", "s:none"), ["a", "b", None], "MGET")
    equal(r.exists("s:m1", "s:m2", "s:none"), 2, "EXISTS")
    equal(r.delete("s:m1", "s:m2", "s:none"), 2, "DEL")
    equal(r.getdel("s:n"), "42", "GETDEL")
    equal(r.type("s:b"), "string", "TYPE")


@step("hashes")
def _():
    equal(r.hset("h:u1", mapping={"name": "alice", "role": "admin"}), 2, "HSET mapping")
    equal(r.hset("h:u1", "role", "user"), 0, "HSET existing field")
    equal(r.hset("h:u1", "logins", "1"), 1, "HSET new field")
    equal(r.hget("h:u1", "name"), "alice")
    equal(r.hget("h:u1", "missing"), None)
    equal(r.hmget("h:u1", ["name", "role", "missing"]), ["alice", "user", None], "HMGET")
    equal(r.hgetall("h:u1"), {"name": "alice", "role": "user", "logins": "1"}, "HGETALL")
    equal(r.hincrby("h:u1", "logins", 4), 5, "HINCRBY")
    equal(r.hexists("h:u1", "role"), True, "HEXISTS")
    equal(r.hsetnx("h:u1", "role", "root"), False, "HSETNX")
    equal(r.hlen("h:u1"), 3, "HLEN")
    equal(sorted(r.hkeys("h:u1")), ["logins", "name", "role"], "HKEYS")
    equal(sorted(r.hvals("h:u1")), ["5", "alice", "user"], "HVALS")
    equal(r.hdel("h:u1", "role", "missing"), 1, "HDEL")
    equal(r.type("h:u1"), "hash", "TYPE")
    equal(r.hgetall("h:none"), {}, "HGETALL of a missing key")
    equal(r.expire("h:u1", 60), True, "EXPIRE on a hash")
    check(r.ttl("h:u1") > 0, "hash TTL")


@step("sets")
def _():
    equal(r.sadd("set:a", "x", "y", "z"), 3, "SADD")
    equal(r.sadd("set:a", "x", "w"), 1, "SADD with a duplicate")
    equal(r.sismember("set:a", "y"), True, "SISMEMBER")
    equal(r.sismember("set:a", "nope"), False, "SISMEMBER missing")
    equal(r.scard("set:a"), 4, "SCARD")
    equal(r.smembers("set:a"), {"w", "x", "y", "z"}, "SMEMBERS")
    equal(r.srem("set:a", "x", "nope"), 1, "SREM")
    equal(r.type("set:a"), "set", "TYPE")
    equal(r.smembers("set:none"), set(), "SMEMBERS of a missing key")


@step("scan_iter: SCAN MATCH COUNT over 270 keys")
def _():
    pipe = r.pipeline(transaction=False)
    for i in range(250):
        pipe.set(f"scan:{i}", i)
    for i in range(20):
        pipe.set(f"other:{i}", i)
    pipe.execute()
    keys = set(r.scan_iter(match="scan:*", count=50))
    equal(keys, {f"scan:{i}" for i in range(250)}, "SCAN MATCH")


@step("hscan_iter: HSCAN MATCH COUNT over 600 fields")
def _():
    fields = {f"f{i}": f"v{i}" for i in range(600)}   # above Redis' listpack limit
    equal(r.hset("scan-hash", mapping=fields), 600, "HSET 600 fields")
    found = dict(r.hscan_iter("scan-hash", match="f1*", count=50))
    equal(found, {f: v for f, v in fields.items() if f.startswith("f1")}, "HSCAN MATCH")


@step("sscan_iter: SSCAN COUNT over 300 members")
def _():
    equal(r.sadd("scan-set", *[f"m{i}" for i in range(300)]), 300, "SADD 300 members")
    members = set(r.sscan_iter("scan-set", count=50))
    equal(members, {f"m{i}" for i in range(300)}, "SSCAN")


@step("pipeline without transaction: replies in order, errors in place")
def _():
    r.set("p:str", "not a number")
    pipe = r.pipeline(transaction=False)
    pipe.set("p:a", 1).incr("p:a").get("p:a").incr("p:str").expire("p:a", 60)
    results = pipe.execute(raise_on_error=False)
    equal(results[:3], [True, 2, "2"], "pipeline replies")
    check(isinstance(results[3], ResponseError) and "not an integer" in str(results[3]),
          f"INCR of a string in a pipeline: {results[3]!r}")
    equal(results[4], True, "EXPIRE in a pipeline")
    pipe.set("p:b", 1).incr("p:str")
    try:
        pipe.execute()
        raise Failure("pipeline with an error did not raise")
    except ResponseError as err:
        check("not an integer" in str(err), f"unexpected pipeline error {err}")
    equal(r.get("p:b"), "1", "the command before the error ran")


@step("pipeline with transaction (MULTI/EXEC): batch, runtime error, queueing error")
def _():
    pipe = r.pipeline()   # transaction=True
    pipe.set("m:a", 1).incr("m:a").get("m:a")
    equal(pipe.execute(), [True, 2, "2"], "MULTI/EXEC replies")
    pipe.set("m:s", "x").incr("m:s").get("m:s")
    results = pipe.execute(raise_on_error=False)
    equal(results[0], True)
    check(isinstance(results[1], ResponseError), f"INCR of a string inside EXEC: {results[1]!r}")
    equal(results[2], "x")
    pipe.set("m:q", 1).execute_command("SET", "m:q")    # wrong arity: EXECABORT
    try:
        pipe.execute()
        raise Failure("a transaction with a queueing error did not raise")
    except ResponseError as err:
        check("wrong number of arguments" in str(err), f"unexpected error {err}")
    equal(r.exists("m:q"), 0, "a discarded transaction wrote its key")


@step("WATCH/MULTI: a concurrent write raises WatchError; transaction() retries")
def _():
    r.set("w:k", "start")
    with r.pipeline() as pipe:
        pipe.watch("w:k")
        equal(pipe.get("w:k"), "start", "GET while watching")
        other.set("w:k", "theirs")
        pipe.multi()
        pipe.set("w:k", "mine")
        try:
            pipe.execute()
            raise Failure("EXEC ran despite the WATCH")
        except WatchError:
            pass
    equal(r.get("w:k"), "theirs")

    with r.pipeline() as pipe:
        pipe.watch("w:k")
        other.set("w:k", "theirs again")
        pipe.unwatch()
        pipe.multi()
        pipe.set("w:k", "mine")
        equal(pipe.execute(), [True], "EXEC after UNWATCH")
    equal(r.get("w:k"), "mine")

    r.set("w:counter", 10)
    calls = []

    def add_one(pipe):
        value = int(pipe.get("w:counter"))
        if not calls:
            other.incrby("w:counter", 100)    # a concurrent writer, once
        calls.append(value)
        pipe.multi()
        pipe.set("w:counter", value + 1)

    equal(r.transaction(add_one, "w:counter"), [True], "transaction() result")
    equal(calls, [10, 110], "transaction() should run twice")
    equal(r.get("w:counter"), "111")


pubsub = r.pubsub()


@step("pub/sub: subscribe, psubscribe, get_message, ping, unsubscribe")
def _():
    pubsub.subscribe("news", "alerts")
    pubsub.psubscribe("user.*")
    equal(next_message(pubsub), {"type": "subscribe", "pattern": None, "channel": "news", "data": 1})
    equal(next_message(pubsub), {"type": "subscribe", "pattern": None, "channel": "alerts", "data": 2})
    equal(next_message(pubsub), {"type": "psubscribe", "pattern": None, "channel": "user.*", "data": 3})
    equal(r.publish("news", "hello"), 1, "PUBLISH news")
    equal(r.publish("user.42", "login"), 1, "PUBLISH user.42")
    equal(r.publish("nobody", "x"), 0, "PUBLISH without subscribers")
    equal(next_message(pubsub), {"type": "message", "pattern": None, "channel": "news", "data": "hello"})
    equal(next_message(pubsub),
          {"type": "pmessage", "pattern": "user.*", "channel": "user.42", "data": "login"})
    pubsub.ping()                                       # PING in subscribed mode (RESP2: a pong push)
    equal(next_message(pubsub), {"type": "pong", "pattern": None, "channel": None, "data": ""})
    pubsub.unsubscribe("news")
    equal(next_message(pubsub), {"type": "unsubscribe", "pattern": None, "channel": "news", "data": 2})
    pubsub.punsubscribe("user.*")
    equal(next_message(pubsub),
          {"type": "punsubscribe", "pattern": None, "channel": "user.*", "data": 1})
    equal(r.publish("news", "unheard"), 0)
    equal(r.publish("alerts", "still"), 1)
    equal(next_message(pubsub), {"type": "message", "pattern": None, "channel": "alerts", "data": "still"})
    equal(pubsub.get_message(timeout=0.05), None, "an extra pub/sub message")


if "protocol" in inspect.signature(redis.Redis.__init__).parameters:
    @step("RESP3 (protocol=3)")
    def _():
        r3 = client(protocol=3, client_name=f"{NAME}-resp3")
        equal(r3.ping(), True)
        r3.hset("r3:h", mapping={"a": "1", "b": "2"})
        equal(r3.hgetall("r3:h"), {"a": "1", "b": "2"}, "HGETALL over RESP3")
        r3.sadd("r3:s", "x", "y")
        equal(r3.smembers("r3:s"), {"x", "y"}, "SMEMBERS over RESP3")
        r3.set("r3:k", "v", px=5000)
        check(0 < r3.pttl("r3:k") <= 5000, "PTTL over RESP3")
        r3.close()
else:
    print(f"  skip RESP3: redis-py {redis.__version__} has no protocol=3 (added in 5.0)", flush=True)


if CONTROL:
    @step("reconnect after the server restarts (pool reconnect, Retry, db and name restored)")
    def _():
        r.set("persist:k", "before restart")
        retrying = client(client_name=f"{NAME}-retry",
                          retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 100),
                          # redis-py 4.3 raises the socket's own ConnectionRefusedError while
                          # connecting: list it too, or a refused connect is not retried.
                          retry_on_error=[ConnectionError, ConnectionRefusedError])
        equal(retrying.get("persist:k"), "before restart")
        control("stop")
        try:
            r.ping()
            raise Failure("PING succeeded while the server was stopped")
        except ConnectionError:
            pass
        result = {}

        def get_with_retries():
            try:
                result["value"] = retrying.get("persist:k")
            except Exception as err:  # noqa: BLE001 - reported below
                result["error"] = err

        thread = threading.Thread(target=get_with_retries)
        thread.start()
        time.sleep(0.05)      # let it fail and back off at least once
        control("start")
        thread.join(15)
        check(not thread.is_alive(), "the retrying GET did not return")
        check("error" not in result, f"the retrying GET failed: {result.get('error')!r}")
        equal(result["value"], "before restart", "GET retried across the restart")
        retrying.close()
        # The pool replaces the dead connection on its own, with the same db and name.
        equal(r.get("persist:k"), "before restart", "GET after the restart")
        equal(r.client_getname(), NAME, "connection name after the restart")
        pipe = r.pipeline(transaction=False)
        pipe.get("persist:k").ping()
        equal(pipe.execute(), ["before restart", True], "pipeline after the restart")
        equal(other.get("persist:k"), "before restart")

    @step("MULTI/EXEC after the restart")
    def _():
        pipe = r.pipeline()
        pipe.incr("persist:n").incr("persist:n")
        equal(pipe.execute(), [1, 2], "MULTI/EXEC after the restart")

    @step("the subscriber resubscribes after the restart")
    def _():
        # The next read fails once (the old connection is dead); then PubSub reconnects and
        # subscribes again to what it had.
        def resubscribed():
            try:
                pubsub.get_message(timeout=0.05)
            except ConnectionError:
                return False
            return r.publish("alerts", "back") >= 1

        wait_for("the subscriber to resubscribe", resubscribed)
        while True:
            message = next_message(pubsub)
            if message["type"] == "message":
                break
            equal(message["type"], "subscribe", "message type after the restart")
        equal(message, {"type": "message", "pattern": None, "channel": "alerts", "data": "back"})
else:
    print("  skip reconnect after the server restarts (LK_CONTROL not set)", flush=True)


@step("clean up")
def _():
    pubsub.close()
    equal(r.flushdb(), True)
    other.close()
    r.close()


elapsed = (time.monotonic() - started_all) * 1000
if failed:
    print(f"redis-py flows: {len(failed)} of {passed + len(failed)} checks FAILED in {elapsed:.0f} ms: "
          + " | ".join(failed), flush=True)
    sys.exit(1)
print(f"redis-py flows: {passed} checks passed in {elapsed:.0f} ms", flush=True)
