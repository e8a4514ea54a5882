#!/usr/bin/python3
"""Client state that only shows from other connections, against a real redis-server:

- MONITOR: the same commands, sent by redis-cli from other connections and by the monitoring client
  itself, must produce the same feed on both servers once timestamps and client ports are masked
  (argument quoting and escaping, the database shown, redaction of AUTH and HELLO AUTH, admin commands
  left out, the monitoring client's own restrictions);
- CLIENT LIST / CLIENT KILL TYPE: a subscriber, a client inside MULTI and a monitor show the same
  flags, sub/psub/multi counts and last command, and TYPE filters select the same clients;
- keyspace notifications for expiry (notify-keyspace-events KEx): the same expired events, on the
  keyevent and keyspace channels, for keys reclaimed lazily (a GET) and by active expiry.

Usage: client_state_vs_redis.py --latchkey PATH [--redis /usr/bin/redis-server]
"""
import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port, directory):
    proc = subprocess.Popen(argv + ["--port", str(port), "--bind", "127.0.0.1", "--dir", directory],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"server {argv[0]} did not start")


def feed(port):
    """Runs the script against the server on `port` and returns the monitor's raw output."""
    monitor = socket.create_connection(("127.0.0.1", port))
    monitor.sendall(b"MONITOR\r\n")
    time.sleep(0.1)

    def cli(*args):
        subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, check=False)

    cli("auth", "someone", "secret")
    cli("set", "a b", 'q"uote\\back\n\x01\xff')
    cli("config", "get", "hz")  # admin: not fed
    cli("-n", "3", "hello", "3", "auth", "default", "secret", "setname", "x")
    cli("-n", "2", "get", "k")
    cli("client", "list")  # admin: not fed
    cli("ping", "")
    monitor.sendall(b"GET a\r\nPING\r\nECHO hi\r\n")
    time.sleep(0.3)
    monitor.settimeout(1)
    data = b""
    try:
        while True:
            chunk = monitor.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.count(b"\r\n") >= 12:
                break
    except socket.timeout:
        pass
    monitor.close()
    return data


def client_list_view(port):
    """CLIENT LIST's per-client state with a subscriber, a transaction and a monitor connected."""
    subscriber = socket.create_connection(("127.0.0.1", port))
    subscriber.sendall(b"SUBSCRIBE a b\r\nPSUBSCRIBE c*\r\n")
    in_multi = socket.create_connection(("127.0.0.1", port))
    in_multi.sendall(b"MULTI\r\nGET x\r\nGET y\r\n")
    monitor = socket.create_connection(("127.0.0.1", port))
    monitor.sendall(b"MONITOR\r\n")
    time.sleep(0.2)
    view = []
    for args in (["client", "list"], ["client", "list", "type", "pubsub"], ["client", "list", "type", "normal"],
                 ["client", "kill", "type", "pubsub"], ["client", "list"]):
        out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout
        for line in out.splitlines():
            fields = re.findall(r"\b(flags|sub|psub|multi|cmd)=(\S*)", line)
            view.append(" ".join(args) + ": " + (" ".join(f"{k}={v}" for k, v in fields) if fields else line))
    for s in (subscriber, in_multi, monitor):
        s.close()
    return "\n".join(view) + "\n"


def expired_events(port):
    """The expired notifications both kinds of reclamation produce, sorted (their order across
    channels and between lazy and active expiry is not part of the contract)."""
    subprocess.run(["redis-cli", "-p", str(port), "config", "set", "notify-keyspace-events", "KEx"],
                   capture_output=True, check=True)
    sub = socket.create_connection(("127.0.0.1", port))
    sub.sendall(b"PSUBSCRIBE __key*@0__:*\r\n")
    time.sleep(0.1)
    cli = socket.create_connection(("127.0.0.1", port))
    cli.sendall(b"SET lazy v PX 50\r\nSET active v PX 50\r\nSET stays v\r\n")
    time.sleep(0.08)
    cli.sendall(b"GET lazy\r\n")  # reclaimed by this read
    time.sleep(1.0)  # `active` is reclaimed by the background cycle
    sub.settimeout(0.5)
    data = b""
    try:
        while True:
            chunk = sub.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    sub.close()
    cli.close()
    messages = re.findall(rb"\*4\r\n\$8\r\npmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)\r\n",
                          data)
    return "".join(sorted(f"event {c.decode()} {m.decode()}\n" for c, m in messages))


def normalize(data):
    text = data.decode("latin-1")
    text = re.sub(r"\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", r"+<time> [\1 <client>]", text)
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latchkey", required=True)
    parser.add_argument("--redis", default="/usr/bin/redis-server")
    args = parser.parse_args()
    outputs = {}
    for name, argv in (("redis", [args.redis, "--save", "", "--appendonly", "no"]), ("latchkey", [args.latchkey])):
        with tempfile.TemporaryDirectory() as d:
            port = free_port()
            proc = start(argv, port, d)
            try:
                outputs[name] = normalize(feed(port)) + client_list_view(port) + expired_events(port)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    if outputs["redis"] != outputs["latchkey"]:
        print("client state differs\n--- redis\n" + outputs["redis"] + "\n--- latchkey\n" + outputs["latchkey"])
        return 1
    lines = outputs["redis"].count("\r\n")
    if lines < 10:
        print("too few lines in the feed, the test did not exercise MONITOR:\n" + outputs["redis"])
        return 1
    events = outputs["redis"].count("event ")
    if events != 4:
        print("expected 4 expired events (2 keys x keyevent/keyspace), got:\n" + outputs["redis"])
        return 1
    print(f"MONITOR feeds, CLIENT LIST views and expired events agree ({lines} feed lines, {events} events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
