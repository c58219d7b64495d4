#!/usr/bin/env python3
"""Instructions (and, with --cache-sim, simulated cache misses) per request of
the cache policy's misses against plain proxying, under valgrind's callgrind.

Each row runs Gatehouse (1 worker) under callgrind twice, for N1 and N2
sequential keep-alive requests (keepalive_client.py, a new URL each time),
and reports (total(N2) - total(N1)) / (N2 - N1): start-up, shutdown and
filling the store cancel out as long as the store is full before N1
requests (the default 1 MiB store holds ~600 of the 1 KiB responses).

Rows: plain proxying (no policy); the stored miss (`cache: { default_ttl:
60s, max_size: ... }`, every response stored, every insert evicting); the
not-storable miss (`cache`: the origin's responses carry no freshness).

Columns: "whole" is every instruction; "without I/O" leaves out Asio's
reactor, recv/send, error codes and the mutexes, whose counts move by up to
±200 per request from one run to the next (how often a read finds nothing
yet) while the rest repeats to within ~20. With --cache-sim, callgrind
simulates 32 KiB L1 caches and a 32 MiB last-level cache and the table adds
L1i misses and last-level read and write misses per request; give a store
larger than that (--store-size 48MiB) and N1 past its filling (--requests
40000,44000) to see a full store's cold memory. L1d misses follow each run's
address layout (ASLR) and are not shown.

Usage: scripts/bench.d/miss_callgrind.py [--requests N1,N2] [--store-size S]
           [--cache-sim] [--rows plain,stored,not-storable] [--keep DIR]
Binaries: GATEHOUSE_BIN, GATEHOUSE_UPSTREAM_BIN (default build/bin/...).
Needs valgrind (scripts/install-deps --bench installs it).
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from free_ports import free_ports  # this script's folder is on sys.path
from one_worker import wait_for_port, write_config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIENT = os.path.join(ROOT, "scripts", "bench.d", "keepalive_client.py")
# Functions of the I/O scheduling, left out of "without I/O".
IO_FUNCTIONS = re.compile(
    r"boost::asio|boost::system|recv|send|epoll|asynccancel|pthread_mutex|writev|__libc|syscall")
EVENTS = "Ir I1mr DLmr DLmw"


def run_once(gatehouse, workdir, label, policy, requests, upstream_port, cache_sim):
    port, admin_port = free_ports(2)
    config = os.path.join(workdir, f"{label}-{requests}.yaml")
    out = os.path.join(workdir, f"{label}-{requests}.callgrind")
    write_config(config, port, admin_port, upstream_port, policy)
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    if cache_sim:
        command += ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=33554432,16,64"]
    command += [gatehouse, "--config", config]
    with open(os.path.join(workdir, f"{label}-{requests}.log"), "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            if not wait_for_port(port, proc, 120):
                raise RuntimeError(f"{label}: Gatehouse under callgrind did not start (see {log.name})")
            client = subprocess.run([sys.executable, CLIENT, "--port", str(port), "--requests", str(requests),
                                     "--unique-paths"], capture_output=True, text=True)
            if client.returncode != 0:
                raise RuntimeError(f"{label}: {client.stderr.strip()}")
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return out


def read_counts(out):
    """Program totals per event, and the Ir of the I/O scheduling's functions."""
    listing = subprocess.run(["callgrind_annotate", "--threshold=100", out], capture_output=True, text=True,
                             check=True).stdout
    events = None
    totals = None
    io = 0
    for line in listing.splitlines():
        if line.startswith("Events shown:"):
            events = line.split(":", 1)[1].split()
            continue
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
        if not m:
            continue
        if "PROGRAM TOTALS" in line:
            totals = [int(x.replace(",", "")) for x in re.findall(r"([\d,]+)(?:\s+\([^)]*\))?", line.split("PROGRAM")[0])]
            continue
        rest = m.group(2)
        if ":" not in rest or rest.startswith("=>") or re.search(r"\([\d,]+x\)\s*$", rest):
            continue
        if IO_FUNCTIONS.search(rest.split(":", 1)[1]):
            io += int(m.group(1).replace(",", ""))
    if events is None or totals is None:
        raise RuntimeError(f"no totals in {out}")
    return dict(zip(events, totals)), io


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", default="1000,3000")
    parser.add_argument("--store-size", default="1MiB")
    parser.add_argument("--cache-sim", action="store_true")
    parser.add_argument("--rows", default="plain,stored,not-storable")
    parser.add_argument("--keep", help="keep the configs, logs and callgrind files in this directory")
    args = parser.parse_args()
    n1, n2 = (int(x) for x in args.requests.split(","))
    if not 0 < n1 < n2:
        parser.error("--requests: N1,N2 with 0 < N1 < N2")
    policies = {
        "plain": "",
        "stored": f"cache: {{ default_ttl: 60s, max_size: {args.store_size} }}",
        "not-storable": f"cache: {{ max_size: {args.store_size} }}",
    }
    rows = args.rows.split(",")
    for row in rows:
        if row not in policies:
            parser.error(f"--rows: unknown row {row!r} (plain, stored, not-storable)")
    for tool in ("valgrind", "callgrind_annotate"):
        if shutil.which(tool) is None:
            sys.exit(f"miss_callgrind: {tool} not found (scripts/install-deps --bench)")
    gatehouse = os.environ.get("GATEHOUSE_BIN", os.path.join(ROOT, "build", "bin", "gatehouse"))
    upstream_bin = os.environ.get("GATEHOUSE_UPSTREAM_BIN", os.path.join(ROOT, "build", "bin", "gatehouse-upstream"))

    workdir = args.keep or tempfile.mkdtemp(prefix="gatehouse-miss-callgrind.")
    os.makedirs(workdir, exist_ok=True)
    (upstream_port,) = free_ports(1)
    upstream = subprocess.Popen([upstream_bin, "--listen", f"127.0.0.1:{upstream_port}", "--threads", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        if not wait_for_port(upstream_port, upstream, 30):
            sys.exit("miss_callgrind: gatehouse-upstream did not start")
        header = f"{'per request':14s} {'whole':>9s} {'without I/O':>12s}"
        if args.cache_sim:
            header += f" {'L1i misses':>11s} {'LL read':>8s} {'LL write':>9s}"
        results = []
        for row in rows:
            counts = [read_counts(run_once(gatehouse, workdir, row, policies[row], n, upstream_port, args.cache_sim))
                      for n in (n1, n2)]
            (a, io_a), (b, io_b) = counts
            per = {k: (b[k] - a[k]) / (n2 - n1) for k in a}
            line = f"{row:14s} {per['Ir']:9,.0f} {((b['Ir'] - io_b) - (a['Ir'] - io_a)) / (n2 - n1):12,.0f}"
            if args.cache_sim:
                # round(...) or 0.0: no "-0.0" where two runs' counts tie.
                line += (f" {round(per['I1mr']) or 0:11,d} {round(per['DLmr'], 1) or 0.0:8,.1f}"
                         f" {round(per['DLmw'], 1) or 0.0:9,.1f}")
            results.append(line)
        print(f"gatehouse: {gatehouse}; requests {n1} and {n2}; store {args.store_size}")
        print(header)
        print("\n".join(results))
    finally:
        upstream.terminate()
        upstream.wait()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
