#!/usr/bin/python3
"""Differential test: Latchkey against a real redis-server, reply byte for byte.

Usage:
    run_differential.py --latchkey PATH [--redis /usr/bin/redis-server]
                        [-v|--dump] [CASES_FILE_OR_DIR ...]

Starts both servers on free loopback ports in throwaway directories, sends the
same commands to each and requires the raw RESP replies to be identical.
Without file arguments it runs every `*.cases` file beside this script.
Exit status: 0 all cases agree, 1 at least one mismatch, 2 setup failure.

Case file format (`*.cases`), one case per line:
    # comment              skipped, as are blank lines
    SET k "a b" ''         a command, split with shlex.split (shell-like
                           quoting and backslash escapes); sent as a RESP
                           multibulk array; the raw reply bytes must match
    ~ PTTL k               compare only the reply's shape: frame type, and for
                           aggregates the element count and, recursively, the
                           elements' shapes (for TIME, RANDOMKEY, PTTL, ...)
    !sleep 1.1             sleep that many seconds (expiry tests; sparingly)
    !raw b"PING\\r\\n"       send these bytes (a Python bytes literal) as they
                           are and compare one reply
    !raw 2 b"..."          the same, comparing two replies (pipelining)

Each file runs on a fresh connection per server, starting with FLUSHALL, in
RESP2. State the file sets up (SELECT, HELLO 3, CLIENT SETNAME) lasts until the
end of that file only; server-wide state (CONFIG SET) lasts for the whole run,
so files must restore what they change. If both servers close the connection
(QUIT, protocol errors) the next case reconnects, again in RESP2 and db 0.
"""

import argparse
import ast
import glob
import os
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPLY_TIMEOUT = 5.0     # seconds to wait for one reply
STARTUP_TIMEOUT = 10.0  # seconds for a server to answer PING

CLOSED = b"<connection closed>"
TIMEOUT = b"<timeout>"


class ConnectionClosed(Exception):
    pass


# --------------------------------------------------------------------------
# RESP framing
# --------------------------------------------------------------------------

# Frames whose payload is the rest of the line: simple string, error, integer,
# RESP3 null, double, boolean, big number.
LINE_TYPES = b"+-:_,#("
# Frames with a length line and that many bytes: bulk string, bulk error,
# verbatim string.
BULK_TYPES = b"$!="
# Aggregates with N elements: array, set, push.  Maps and attributes have N
# key/value pairs, i.e. 2N elements.
ARRAY_TYPES = b"*~>"
PAIR_TYPES = b"%|"


class Frame:
    """One parsed RESP frame: its type byte, the raw bytes, and children."""

    def __init__(self, kind, raw, children=None, null=False):
        self.kind = kind            # type byte as a one-char str, e.g. '$'
        self.raw = raw              # exact bytes on the wire
        self.children = children or []
        self.null = null            # RESP2 null bulk ($-1) or null array (*-1)

    def shape(self):
        """Type and structure without values, for `~` cases."""
        if self.null:
            return self.kind + "null"
        if self.kind in "*~>%|":
            return "%s%d[%s]" % (self.kind, len(self.children),
                                 ",".join(c.shape() for c in self.children))
        return self.kind


class RespConnection:
    """A blocking client socket with a buffered RESP reader."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True
            raise ConnectionClosed()

    def drain_unexpected(self):
        """Return bytes that arrived without being asked for (desync check)."""
        data = self.buf
        self.buf = b""
        while not self.closed:
            ready, _, _ = select.select([self.sock], [], [], 0)
            if not ready:
                break
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                break
            data += chunk
        return data

    def wait_eof(self, timeout):
        """After a reply that should end the connection (QUIT, protocol
        error): wait up to timeout for the server to close it."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                try:
                    chunk = self.sock.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.closed = True
                else:
                    self.buf += chunk

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            raise ConnectionClosed()
        self.buf += chunk

    def _readline(self, pos):
        """Return (line without CRLF, position after CRLF), reading as needed."""
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return self.buf[pos:end], end + 2
            self._fill()

    def _need(self, end):
        while len(self.buf) < end:
            self._fill()

    def _parse(self, pos):
        """Parse one frame starting at buf[pos]; return (Frame, next pos)."""
        self._need(pos + 1)
        kind = self.buf[pos:pos + 1]
        line, nxt = self._readline(pos + 1)
        k = kind.decode("latin-1")
        if kind not in LINE_TYPES + BULK_TYPES + ARRAY_TYPES + PAIR_TYPES:
            raise ValueError("bad RESP type byte %r in %r" % (kind, self.buf[pos:pos + 40]))
        if kind in LINE_TYPES:
            return Frame(k, self.buf[pos:nxt]), nxt
        n = int(line)
        if kind in BULK_TYPES:
            if n < 0:
                return Frame(k, self.buf[pos:nxt], null=True), nxt
            self._need(nxt + n + 2)
            if self.buf[nxt + n:nxt + n + 2] != b"\r\n":
                raise ValueError("bulk string not terminated by CRLF")
            end = nxt + n + 2
            return Frame(k, self.buf[pos:end]), end
        if n < 0:
            return Frame(k, self.buf[pos:nxt], null=True), nxt
        count = n * 2 if kind in PAIR_TYPES else n
        children = []
        cur = nxt
        for _ in range(count):
            child, cur = self._parse(cur)
            children.append(child)
        return Frame(k, self.buf[pos:cur], children), cur

    def read_reply(self):
        """Read exactly one reply.  An attribute frame (|) is kept together
        with the frame it annotates, so the raw bytes cover both."""
        frame, end = self._parse(0)
        if frame.kind == "|":
            value, end = self._parse(end)
            frame = Frame(value.kind, self.buf[:end], value.children, value.null)
        self.buf = self.buf[end:]
        return frame

    def command(self, *args):
        self.send(encode_command(args))
        return self.read_reply()


def encode_command(args):
    """Encode arguments (str or bytes) as a RESP multibulk array."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode("utf-8", "surrogateescape")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def free_ports(n):
    """Ask the kernel for n distinct free loopback ports (all bound at once,
    so the same port cannot come back twice)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Server:
    def __init__(self, name, argv, port, workdir):
        self.name = name
        self.port = port
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=workdir)

    def wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError("%s exited with status %s during startup\n%s"
                                 % (self.name, self.proc.returncode, self.log_tail()))
            try:
                conn = RespConnection(self.port)
                try:
                    reply = conn.command("PING").raw
                finally:
                    conn.close()
                if reply == b"+PONG\r\n":
                    return
                last = "PING answered %r" % reply
            except (OSError, ConnectionClosed, ValueError) as e:
                last = repr(e)
            time.sleep(0.05)
        raise SetupError("%s did not answer PING on port %d within %.0f s (%s)\n%s"
                         % (self.name, self.port, STARTUP_TIMEOUT, last, self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join("  | " + l for l in lines[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

class Case:
    """One line of a cases file."""

    def __init__(self, path, lineno, text, mode, payload, count=1):
        self.path = path
        self.lineno = lineno
        self.text = text          # the line as written, for reports
        self.mode = mode          # 'exact', 'shape', 'sleep', 'raw'
        self.payload = payload    # args list, seconds, or raw bytes
        self.count = count        # replies to read (raw only)

    def where(self):
        return "%s:%d" % (os.path.basename(self.path), self.lineno)


def parse_cases(path):
    cases = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                if text.startswith("!sleep"):
                    cases.append(Case(path, lineno, text, "sleep", float(text.split()[1])))
                elif text.startswith("!raw"):
                    rest = text[4:].strip()
                    count = 1
                    first = rest.split(None, 1)[0]
                    if first.isdigit():
                        count = int(first)
                        rest = rest[len(first):].strip()
                    data = ast.literal_eval(rest)
                    if not isinstance(data, bytes):
                        raise ValueError("!raw needs a bytes literal")
                    cases.append(Case(path, lineno, text, "raw", data, count))
                elif text.startswith("!"):
                    raise ValueError("unknown directive")
                elif text.startswith("~"):
                    args = shlex.split(text[1:])
                    if not args:
                        raise ValueError("empty command")
                    cases.append(Case(path, lineno, text, "shape", args))
                else:
                    cases.append(Case(path, lineno, text, "exact", shlex.split(text)))
            except (ValueError, SyntaxError, IndexError) as e:
                raise SetupError("%s:%d: cannot parse %r: %s" % (path, lineno, text, e))
    return cases


class Session:
    """The connection pair one cases file runs on."""

    def __init__(self, servers):
        self.servers = servers
        self.conns = [None, None]

    def connect(self):
        for i, srv in enumerate(self.servers):
            if self.conns[i] is not None:
                self.conns[i].close()
            self.conns[i] = RespConnection(srv.port)

    def close(self):
        for c in self.conns:
            if c is not None:
                c.close()

    def exchange(self, i, data, count):
        """Send data on connection i and read count replies.  Returns a list
        of (raw bytes, Frame or None)."""
        conn = self.conns[i]
        out = []
        if conn.closed:
            return [(CLOSED, None)] * count
        try:
            conn.send(data)
        except ConnectionClosed:
            return [(CLOSED, None)] * count
        for _ in range(count):
            try:
                frame = conn.read_reply()
                out.append((frame.raw, frame))
            except ConnectionClosed:
                out.append((CLOSED, None))
            except socket.timeout:
                out.append((TIMEOUT, None))
                conn.close()   # stream position is unknown now
            except ValueError as e:
                out.append((b"<unparsable: %s; buffer %r>" % (str(e).encode(), conn.buf[:200]), None))
                conn.close()
        return out


def run_file(path, servers, args):
    """Run one cases file; return (cases run, list of mismatch reports).
    Mismatches are printed as they are found."""
    cases = parse_cases(path)
    session = Session(servers)
    mismatches = []
    ran = 0

    def report(text):
        print(text, flush=True)
        mismatches.append(text)

    try:
        try:
            session.connect()
        except OSError as e:
            raise SetupError("%s: cannot connect: %s" % (path, e))
        for i in range(2):
            reply = session.exchange(i, encode_command(["FLUSHALL"]), 1)[0][0]
            if reply != b"+OK\r\n":
                raise SetupError("%s: FLUSHALL on %s answered %r" % (path, servers[i].name, reply))
        for case in cases:
            if case.mode == "sleep":
                time.sleep(case.payload)
                continue
            ran += 1
            # A closed connection (QUIT, protocol error) is replaced, on both
            # sides, by a fresh one: RESP2, db 0.  Only one side closing is a
            # mismatch in itself.
            closed = [c.closed for c in session.conns]
            if any(closed):
                if not all(closed):
                    who = servers[closed.index(True)].name
                    report("MISMATCH %s: before %s: only %s closed the connection"
                           % (case.where(), case.text, who))
                try:
                    session.connect()
                except OSError as e:
                    raise SetupError("%s: cannot reconnect: %s" % (case.where(), e))
            # Unrequested bytes mean a previous reply was longer than parsed.
            for i, srv in enumerate(servers):
                extra = session.conns[i].drain_unexpected()
                if extra:
                    report("MISMATCH %s: before %s: unexpected bytes from %s: %r"
                           % (case.where(), case.text, srv.name, extra[:300]))
            data = case.payload if case.mode == "raw" else encode_command(case.payload)
            replies = [session.exchange(i, data, case.count) for i in range(2)]
            for srv in servers:
                if srv.proc.poll() is not None:
                    raise SetupError("%s exited with status %s at %s: %s\n%s"
                                     % (srv.name, srv.proc.returncode, case.where(),
                                        case.text, srv.log_tail()))
            # Give servers the chance to close after replies that must close.
            quit_cmd = case.mode != "raw" and case.payload[0].upper() == "QUIT"
            for i in range(2):
                last = replies[i][-1][0]
                if quit_cmd or last.startswith(b"-ERR Protocol error"):
                    session.conns[i].wait_eof(1.0)
            for n in range(case.count):
                (lk_raw, lk_frame), (rd_raw, rd_frame) = replies[0][n], replies[1][n]
                if case.mode == "shape" and lk_frame and rd_frame:
                    same = lk_frame.shape() == rd_frame.shape()
                else:
                    same = lk_raw == rd_raw
                if args.dump:
                    print("%-22s %-45s %r" % (case.where(), case.text[:45], rd_raw))
                if not same:
                    label = " (reply %d)" % (n + 1) if case.count > 1 else ""
                    report_text = ("MISMATCH %s%s: %s\n    latchkey: %r\n    redis:    %r"
                                   % (case.where(), label, case.text, lk_raw, rd_raw))
                    if case.mode == "shape" and lk_frame and rd_frame:
                        report_text += "\n    shapes:   %s vs %s" % (lk_frame.shape(), rd_frame.shape())
                    report(report_text)
    finally:
        session.close()
    return ran, mismatches


def collect_files(paths):
    here = os.path.dirname(os.path.abspath(__file__))
    if not paths:
        paths = [here]
    files = []
    for p in paths:
        if os.path.isdir(p):
            files.extend(sorted(glob.glob(os.path.join(p, "*.cases"))))
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise SetupError("no such cases file or directory: %s" % p)
    if not files:
        raise SetupError("no *.cases files found")
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latchkey", required=True, help="path to latchkey-server")
    ap.add_argument("--redis", default="/usr/bin/redis-server", help="path to redis-server")
    ap.add_argument("-v", "--dump", action="store_true",
                    help="print every case with redis' reply (to review what redis does)")
    ap.add_argument("files", nargs="*", help="cases files or directories")
    args = ap.parse_args()

    started = time.monotonic()
    servers = []
    tmpdirs = []
    total, mismatches = 0, []
    try:
        files = collect_files(args.files)
        for binary in (args.latchkey, args.redis):
            if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
                raise SetupError("not an executable: %s" % binary)
        ports = free_ports(2)
        for name, binary, port in (("latchkey", args.latchkey, ports[0]),
                                   ("redis", args.redis, ports[1])):
            d = tempfile.mkdtemp(prefix="lk-diff-%s-" % name)
            tmpdirs.append(d)
            if name == "redis":
                argv = [binary, "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", d]
            else:
                argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d]
            servers.append(Server(name, argv, port, d))
        for srv in servers:
            srv.wait_ready()
        for path in files:
            ran, bad = run_file(path, servers, args)
            total += ran
            mismatches.extend(bad)
            print("%-20s %4d cases, %d mismatches" % (os.path.basename(path), ran, len(bad)))
    except SetupError as e:
        print("SETUP FAILED: %s" % e, file=sys.stderr)
        return 2
    finally:
        for srv in servers:
            srv.stop()
        for d in tmpdirs:
            shutil.rmtree(d, ignore_errors=True)
    print("%d cases, %d mismatches, %.1f s" % (total, len(mismatches), time.monotonic() - started))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
