#!/usr/bin/python3
"""Real client libraries against a Redis-compatible server: redis-py, ioredis, node-redis and
connect-redis (express-session) on both Node libraries.

Usage:
    run_clients.py --server redis [--redis /usr/bin/redis-server] [--monitor FILE]
    run_clients.py --server latchkey --latchkey PATH
    options: [--only NAME ...] [--keep]

Starts the server on a free loopback port in a throwaway directory and runs each flow script
against it, one after the other (LK_HOST, LK_PORT in their environment). Every flow must exit 0.

Restart hook (the reconnect tests): a flow prints "@@LK stop" or "@@LK start" on a line of its
stdout; the runner stops the server (SIGTERM, as an operator would; data is kept) or starts it
again on the same port and directory, then answers "ok" (or "error <why>") on the flow's stdin.
The flows run with LK_CONTROL=stdio so they know the hook is there.

--monitor FILE (meant for the redis-server run): records MONITOR output while the flows run and
writes the sorted distinct command names each flow and each library sent to FILE. MONITOR does
not show administrative commands (CONFIG, ...), so `INFO commandstats` is read per flow as well
and the runner's own commands are subtracted. Commands the server rejects as unknown (for
example CLIENT SETINFO on Redis 7.0) are in neither and so cannot be listed.

The Node flows need tests/clients/node/node_modules (`npm ci` there; `make test` does it).
Exit status: 0 every flow passed, 1 a flow failed, 2 setup failure.
"""

import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
PYTHON = "/usr/bin/python3"          # the interpreter with Debian's python3-redis

FLOW_TIMEOUT = 90.0                  # seconds for one flow script
STARTUP_TIMEOUT = 20.0               # seconds for the server to answer PING
STOP_TIMEOUT = 20.0                  # seconds for the server to exit after SIGTERM

# (flow name, library it exercises, argv, working directory)
FLOWS = [
    ("redis-py", "redis-py", [PYTHON, os.path.join(HERE, "python", "redis_py_flows.py")], HERE),
    ("connect-redis+ioredis", "ioredis", ["node", "session_flow.js", "ioredis"], NODE_DIR),
    ("connect-redis+node-redis", "node-redis", ["node", "session_flow.js", "node-redis"], NODE_DIR),
    ("ioredis", "ioredis", ["node", "ioredis_flows.js"], NODE_DIR),
    ("node-redis", "node-redis", ["node", "node_redis_flows.js"], NODE_DIR),
]

# Commands whose first argument names a subcommand; MONITOR lists them as "CLIENT" "SETNAME" ...
CONTAINERS = {"ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY",
              "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XINFO", "XGROUP"}


class SetupError(Exception):
    pass


def log(message):
    print(f"[run_clients] {message}", flush=True)


# --------------------------------------------------------------------------
# A minimal RESP2 connection for the runner's own commands
# --------------------------------------------------------------------------

class Resp:
    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def address(self):
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self.reply() for _ in range(max(int(rest), 0))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes a thread blocked in recv()
        except OSError:
            pass
        self.sock.close()


# --------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, kind, binary, workdir):
        self.kind = kind
        self.binary = binary
        self.dir = os.path.join(workdir, "data")
        os.makedirs(self.dir)
        self.log_path = os.path.join(workdir, "server.log")
        self.port = free_port()
        self.proc = None
        self.starts = 0

    def command(self):
        # Both servers take the same redis.conf-style flags.
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]

    def start(self):
        self.starts += 1
        with open(self.log_path, "ab") as logf:
            logf.write(f"---- start #{self.starts}: {' '.join(self.command())}\n".encode())
            logf.flush()
            self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise SetupError(f"{self.kind} exited with {self.proc.returncode} at start\n"
                                 + self.log_tail())
            try:
                conn = Resp(self.port, timeout=1.0)
                try:
                    if conn.call("PING") == "PONG":
                        return
                finally:
                    conn.close()
            except (OSError, ConnectionError, RuntimeError):
                pass
            if time.monotonic() > deadline:
                raise SetupError(f"{self.kind} did not answer PING within {STARTUP_TIMEOUT} s\n"
                                 + self.log_tail())
            time.sleep(0.02)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise SetupError(f"{self.kind} did not exit within {STOP_TIMEOUT} s of SIGTERM")

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


# --------------------------------------------------------------------------
# Command capture: MONITOR plus INFO commandstats
# --------------------------------------------------------------------------

MONITOR_LINE = re.compile(r'^\+\d+\.\d+ \[\d+ ([^\]]*)\] (.*)$')
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def command_name(args):
    name = args[0].upper()
    if name in CONTAINERS and len(args) > 1:
        name += " " + args[1].upper()
    return name


class Capture:
    """Attributes the commands other clients send to the flow that is running.

    The runner's control connection marks the start of each flow with ECHO "@@flow <name>" and
    waits until MONITOR shows the marker, so every command MONITOR reports afterwards belongs to
    that flow (flows run one at a time). The control connection's own commands are skipped.
    """

    def __init__(self):
        self.commands = collections.defaultdict(collections.Counter)   # flow -> name -> count
        self.stats = collections.defaultdict(collections.Counter)      # from commandstats
        self.flow = None
        self.control_addr = None
        self.server = None
        self.control = None
        self.monitor = None
        self.thread = None
        self.seen = threading.Condition()
        self.markers = set()
        self.own = collections.Counter()      # runner's commands since the stats were reset

    # Connections (re)made after every server start.
    def attach(self, server):
        self.server = server
        self.monitor = Resp(server.port, timeout=None)
        if self.monitor.call("MONITOR") != "OK":
            raise SetupError("MONITOR was refused")
        self.thread = threading.Thread(target=self.read_monitor, args=(self.monitor,), daemon=True)
        self.thread.start()
        self.control = Resp(server.port)
        self.control_addr = self.control.address()
        self.own = collections.Counter({"ping": 1, "monitor": 1})   # start-up probe, MONITOR

    def detach(self):
        for conn in (self.control, self.monitor):
            if conn is not None:
                conn.close()
        if self.thread is not None:
            self.thread.join(5)
        self.control = self.monitor = self.thread = None

    def read_monitor(self, conn):
        try:
            while True:
                line = conn.line().decode(errors="replace")
                match = MONITOR_LINE.match(line)
                if not match:
                    continue
                addr, rest = match.groups()
                args = [a.encode().decode("unicode_escape", errors="replace")
                        for a in QUOTED.findall(rest)]
                if not args:
                    continue
                if addr == self.control_addr:
                    if args[0].upper() == "ECHO" and len(args) > 1 and args[1].startswith("@@"):
                        with self.seen:
                            if args[1].startswith("@@flow "):
                                self.flow = args[1][len("@@flow "):]
                            self.markers.add(args[1])
                            self.seen.notify_all()
                    continue
                if self.flow is not None:
                    self.commands[self.flow][command_name(args)] += 1
        except (OSError, ConnectionError):
            return      # the server stopped, or detach() closed the connection

    def mark(self, marker):
        self.control.call("ECHO", marker)
        self.own["echo"] += 1
        with self.seen:
            if not self.seen.wait_for(lambda: marker in self.markers, timeout=10):
                raise SetupError(f"MONITOR did not show the marker {marker!r}")

    def begin_flow(self, flow):
        self.control.call("CONFIG", "RESETSTAT")
        self.own = collections.Counter({"config|resetstat": 1})
        self.mark(f"@@flow {flow}")

    def collect_stats(self, flow):
        """Adds the commands counted by INFO commandstats since the last reset, minus our own."""
        self.mark(f"@@sync {flow} {time.monotonic()}")
        info = self.control.call("INFO", "commandstats")
        for line in info.splitlines():
            match = re.match(r"cmdstat_([^:]+):calls=(\d+).*?(?:rejected_calls=(\d+))?", line)
            if not match:
                continue
            name, calls = match.group(1), int(match.group(2))
            calls += int(match.group(3) or 0)
            calls -= self.own.get(name, 0)
            if calls > 0:
                self.stats[flow][" ".join(name.upper().split("|"))] += calls
        self.own["info"] += 1

    def write(self, path, libraries, server_version):
        by_library = collections.defaultdict(set)
        lines = [f"# Redis commands the client libraries sent, captured on redis-server "
                 f"{server_version}",
                 "# (MONITOR, plus INFO commandstats for the administrative commands MONITOR "
                 "hides; commands",
                 "# Redis rejects as unknown, e.g. CLIENT SETINFO on 7.0, appear in neither).", ""]
        for flow, library in libraries:
            names = set(self.commands[flow]) | set(self.stats[flow])
            by_library[library] |= names
            hidden = sorted(set(self.stats[flow]) - set(self.commands[flow]))
            lines.append(f"[flow {flow}] {len(names)} commands")
            lines.extend(sorted(names))
            if hidden:
                lines.append(f"# not shown by MONITOR, from commandstats: {', '.join(hidden)}")
            lines.append("")
        everything = set()
        for library in sorted(by_library):
            everything |= by_library[library]
            lines.append(f"[library {library}] {len(by_library[library])} commands")
            lines.extend(sorted(by_library[library]))
            lines.append("")
        lines.append(f"[all libraries] {len(everything)} commands")
        lines.extend(sorted(everything))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Running one flow
# --------------------------------------------------------------------------

def run_flow(name, argv, cwd, server, capture, env):
    """Runs one flow script, serving its restart requests. Returns True when it passed."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(FLOW_TIMEOUT, kill)
    timer.start()
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("@@LK "):
                action = line[len("@@LK "):].strip()
                answer = "ok"
                try:
                    if action == "stop":
                        if capture:
                            capture.collect_stats(name)
                            capture.detach()
                        t0 = time.monotonic()
                        server.stop()
                        log(f"{name}: server stopped ({time.monotonic() - t0:.2f} s)")
                    elif action == "start":
                        t0 = time.monotonic()
                        server.start()
                        if capture:
                            capture.attach(server)
                        log(f"{name}: server started again ({time.monotonic() - t0:.2f} s)")
                    else:
                        answer = f"error unknown action {action}"
                except SetupError as err:
                    answer = f"error {str(err).splitlines()[0]}"
                    log(f"{name}: {action} failed: {err}")
                try:
                    proc.stdin.write(answer + "\n")
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass
                continue
            print(f"[{name}] {line}", flush=True)
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if timed_out.is_set():
        log(f"{name}: killed after {FLOW_TIMEOUT} s")
    # A flow may leave the server stopped if it failed between its stop and start requests.
    if server.proc is None or server.proc.poll() is not None:
        log(f"{name}: server was not running after the flow; starting it again")
        server.start()
        if capture:
            capture.attach(server)
    return proc.returncode == 0


def main():
    # ctest's timeout (or a Ctrl-C) must not leave a server or a flow behind: exit through the
    # finally clauses below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=["redis", "latchkey"], required=True)
    parser.add_argument("--latchkey", help="path of latchkey-server (with --server latchkey)")
    parser.add_argument("--redis", default="/usr/bin/redis-server")
    parser.add_argument("--monitor", metavar="FILE",
                        help="write the distinct commands each library sent (MONITOR) to FILE")
    parser.add_argument("--only", nargs="+", metavar="FLOW",
                        help="run only these flows: " + ", ".join(f[0] for f in FLOWS))
    parser.add_argument("--keep", action="store_true", help="keep the server's directory")
    args = parser.parse_args()

    binary = args.redis if args.server == "redis" else args.latchkey
    if not binary or not os.access(binary, os.X_OK):
        print(f"run_clients: no executable server binary: {binary!r}", file=sys.stderr)
        return 2
    flows = [f for f in FLOWS if not args.only or f[0] in args.only]
    if args.only and len(flows) != len(args.only):
        print(f"run_clients: unknown flow in {args.only}", file=sys.stderr)
        return 2
    if any(f[2][0] == "node" for f in flows):
        if shutil.which("node") is None:
            print("run_clients: node is not installed (Debian: apt-get install nodejs npm)",
                  file=sys.stderr)
            return 2
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
            print(f"run_clients: {NODE_DIR}/node_modules is missing: run `npm ci` there "
                  "(make test does it)", file=sys.stderr)
            return 2

    workdir = tempfile.mkdtemp(prefix=f"lk-clients-{args.server}-")
    server = Server(args.server, binary, workdir)
    capture = Capture() if args.monitor else None
    results = []
    try:
        server.start()
        hello = Resp(server.port)
        version = hello.call("INFO", "server")
        hello.close()
        match = re.search(r"redis_version:(\S+)", version)
        server_version = match.group(1) if match else "?"
        log(f"{args.server} ({binary}, redis_version {server_version}) on 127.0.0.1:{server.port}, "
            f"dir {server.dir}")
        if capture:
            capture.attach(server)
        env = dict(os.environ, LK_HOST="127.0.0.1", LK_PORT=str(server.port), LK_CONTROL="stdio")
        for name, _library, argv, cwd in flows:
            log(f"flow {name}: {' '.join(argv)}")
            started = time.monotonic()
            if capture:
                capture.begin_flow(name)
            ok = run_flow(name, argv, cwd, server, capture, env)
            if capture:
                capture.collect_stats(name)
            results.append((name, ok, time.monotonic() - started))
            log(f"flow {name}: {'PASSED' if ok else 'FAILED'} ({time.monotonic() - started:.1f} s)")
        if capture:
            capture.write(args.monitor, [(f[0], f[1]) for f in flows], server_version)
            log(f"commands the libraries sent: {args.monitor}")
    except SetupError as err:
        print(f"run_clients: {err}", file=sys.stderr)
        return 2
    finally:
        if capture:
            capture.detach()
        try:
            server.stop()
        except SetupError as err:
            print(f"run_clients: {err}", file=sys.stderr)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    failed = [name for name, ok, _ in results if not ok]
    print(f"\nclients vs {args.server}:")
    for name, ok, seconds in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name} ({seconds:.1f} s)")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
