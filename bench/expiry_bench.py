#!/usr/bin/python3
"""Expiry, side by side: how promptly Latchkey and Redis reclaim keys whose deadline passed.

Each server in turn (Latchkey first, then Redis, same settings: persistence everysec, hz 10,
active-expire-effort 1) is loaded with N keys whose deadlines (PXAT) are spread evenly over a window
(default 1M keys over 60 s: 1M expiries a minute), starting a few seconds after the load. While they
expire, a client reads and writes other keys at a steady rate (GET and SET in turn) and times each. Every 10 ms the tool reads INFO
stats: expired_keys (keys reclaimed, lazily or actively) and expire_cycle_cpu_milliseconds.

From those samples, for both servers alike:
  stale(t)       keys whose deadline passed but that are still in memory: deadlines before t minus
                 expired_keys(t); the stale ratio divides it by the keys still in memory (its maximum
                 is taken while at least 10% of the loaded keys are in memory: at the very end one
                 stale key among the last few would read as a huge ratio).
  lag            the FIFO-equivalent reclamation lag: for the k-th deadline d_k, the first sample at
                 which k keys were reclaimed, minus d_k (10 ms sampling, plus an INFO round trip).
  expiry CPU     expire_cycle_cpu_milliseconds over the run.
  load p50/p99   the load's GET and SET latencies (a Python client: ~0.1 ms of its own overhead in both).
Latchkey's own exact lag histogram (INFO expire_lag_p50_ms/p99_ms) is reported beside it.

Writes <out>/report.md, <out>/stale.csv and, when gnuplot is installed (apt-get install
gnuplot-nox), <out>/stale.png: stale keys over time for both servers.

Usage: bench/expiry_bench.py [--latchkey build/server/latchkey-server] [--keys 1000000]
                             [--window 60] [--out bench/results/<date>-expiry]
                             [--servers latchkey,redis]
"""
import argparse
import bisect
import datetime
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import redis

SAMPLE_S = 0.01


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(kind, binary, port, data_dir):
    if kind == "redis":
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
               "--appendfsync", "everysec", "--dir", data_dir, "--hz", "10"]
    else:
        cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", data_dir, "--fsync", "everysec",
               "--hz", "10", "--loglevel", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, client
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit(f"{kind} did not start on port {port}")


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def load_keys(port, deadlines):
    """SET e:<i> v PXAT <deadline> for every deadline, through redis-cli --pipe."""
    pipe = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    chunk = []
    for i, d in enumerate(deadlines):
        chunk.append(resp("SET", f"e:{i}", "v" * 16, "PXAT", d))
        if len(chunk) == 10000:
            pipe.stdin.write(b"".join(chunk))
            chunk = []
    pipe.stdin.write(b"".join(chunk))
    pipe.stdin.close()
    if pipe.wait() != 0:
        raise SystemExit("loading failed")


def info_stats(client):
    s = client.info("stats")
    return int(s.get("expired_keys", 0)), int(s.get("expire_cycle_cpu_milliseconds", 0))


def reader(port, stop, latencies):
    """GET and SET in turn on keys without a deadline, about 1000 a second; records each one's latency
    (ms)."""
    client = redis.Redis(port=port)
    i = 0
    next_at = time.perf_counter()
    while not stop.is_set():
        start = time.perf_counter()
        if i % 2:
            client.set(f"load:{i % 1000}", "y" * 32)
        else:
            client.get(f"load:{i % 1000}")
        latencies.append((time.perf_counter() - start) * 1000)
        i += 1
        next_at += 0.001
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def run(kind, binary, keys, window_s):
    data_dir = tempfile.mkdtemp(prefix=f"expiry-{kind}-")
    port = free_port()
    proc, client = start_server(kind, binary, port, data_dir)
    try:
        client.mset({f"load:{i}": "x" * 32 for i in range(1000)})
        lead_ms = 4000 + keys // 100  # room for the load itself (~200 keys/ms through --pipe, halved)
        t0 = int(time.time() * 1000) + lead_ms
        step = window_s * 1000 / keys
        deadlines = [t0 + int(i * step) for i in range(keys)]
        load_keys(port, deadlines)
        if int(time.time() * 1000) > t0:
            raise SystemExit("loading took longer than its lead; use fewer keys")
        base_expired, base_cpu = info_stats(client)
        stop = threading.Event()
        latencies = []
        load = threading.Thread(target=reader, args=(port, stop, latencies))
        load.start()
        samples = []  # (unix ms, reclaimed, cpu ms)
        end = t0 + window_s * 1000 + 10000
        while True:
            now = int(time.time() * 1000)
            expired, cpu = info_stats(client)
            samples.append((now, expired - base_expired, cpu - base_cpu))
            if now > end or (now > t0 + window_s * 1000 and expired - base_expired >= keys):
                break
            time.sleep(SAMPLE_S)
        stop.set()
        load.join()
        own_lag = None
        if kind == "latchkey":
            s = client.info("stats")
            own_lag = (s.get("expire_lag_p50_ms"), s.get("expire_lag_p99_ms"))
        return analyse(kind, deadlines, samples, latencies, own_lag, t0)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def analyse(kind, deadlines, samples, latencies, own_lag, t0):
    n = len(deadlines)
    curve = []  # (seconds since t0, stale keys, stale ratio)
    max_ratio = 0.0
    for now, reclaimed, _ in samples:
        due = bisect.bisect_left(deadlines, now)
        stale = max(0, due - reclaimed)
        in_memory = max(1, n - reclaimed)
        ratio = stale / in_memory
        if now >= t0 and in_memory >= n // 10:
            max_ratio = max(max_ratio, ratio)
        curve.append(((now - t0) / 1000, stale, ratio))
    lags = []
    j = 0
    for k, d in enumerate(deadlines):
        while j < len(samples) and samples[j][1] < k + 1:
            j += 1
        if j == len(samples):
            break  # never reclaimed within the run
        lags.append(max(0, samples[j][0] - d))
    return {
        "kind": kind,
        "reclaimed": samples[-1][1],
        "keys": n,
        "lag_p50": percentile(lags, 0.50),
        "lag_p99": percentile(lags, 0.99),
        "lag_max": max(lags) if lags else float("nan"),
        "max_stale_ratio": max_ratio,
        "max_stale": max((stale for _, stale, _ in curve), default=0),
        "cpu_ms": samples[-1][2],
        "load_p50": percentile(latencies, 0.50),
        "load_p99": percentile(latencies, 0.99),
        "own_lag": own_lag,
        "curve": curve,
    }


def write_report(out, results, keys, window_s):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "stale.csv"), "w") as f:
        f.write("server,seconds,stale_keys,stale_ratio\n")
        for r in results:
            for t, stale, ratio in r["curve"]:
                f.write(f"{r['kind']},{t:.3f},{stale},{ratio:.6f}\n")
    lines = [
        f"# Expiry: {keys} keys, deadlines spread over {window_s} s "
        f"({keys * 60 // window_s} expiries a minute)",
        "",
        f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on this machine; both servers with "
        "everysec persistence, hz 10, effort 1, measured one after the other (`bench/expiry_bench.py`).",
        "",
        "| server | reclaimed | lag p50 (ms) | lag p99 (ms) | lag max (ms) | max stale keys | max stale ratio "
        "| expiry CPU (ms) | load p50 (ms) | load p99 (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['reclaimed']}/{r['keys']} | {r['lag_p50']:.0f} | {r['lag_p99']:.0f} | "
            f"{r['lag_max']:.0f} | {r['max_stale']} | {100 * r['max_stale_ratio']:.2f}% | {r['cpu_ms']} | "
            f"{r['load_p50']:.3f} | "
            f"{r['load_p99']:.3f} |")
        if r["own_lag"]:
            lines.append("")
            lines.append(f"Latchkey's own lag histogram (INFO, power-of-two buckets): p50 {r['own_lag'][0]} ms, "
                         f"p99 {r['own_lag'][1]} ms.")
    lines += ["", "Lag is FIFO-equivalent at a 10 ms sampling resolution (see the script's header).", ""]
    if shutil.which("gnuplot"):
        png = os.path.join(out, "stale.png")
        script = (
            f"set terminal pngcairo size 1000,500; set output '{png}';"
            "set datafile separator ','; set xlabel 'seconds since the first deadline';"
            "set ylabel 'stale keys + 1 (deadline passed, still in memory; log scale)'; set logscale y;"
            "set key top right;"
            f"plot '< grep ^latchkey, {out}/stale.csv' using 2:($3+1) with lines title 'latchkey',"
            f"     '< grep ^redis, {out}/stale.csv' using 2:($3+1) with lines title 'redis'")
        subprocess.run(["gnuplot", "-e", script], check=True)
        lines.append("![stale keys over time](stale.png)")
    else:
        lines.append("(no plot: gnuplot is not installed; `apt-get install gnuplot-nox`)")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latchkey", default="build/server/latchkey-server")
    parser.add_argument("--keys", type=int, default=1000000)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--out", default=f"bench/results/{datetime.date.today().isoformat()}-expiry")
    parser.add_argument("--servers", default="latchkey,redis", help="which to run, in order")
    args = parser.parse_args()
    results = [run(kind, args.latchkey, args.keys, args.window) for kind in args.servers.split(",")]
    write_report(args.out, results, args.keys, args.window)


if __name__ == "__main__":
    main()
