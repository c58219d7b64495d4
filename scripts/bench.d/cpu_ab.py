#!/usr/bin/env python3
"""CPU per request of Gatehouse configurations at equal load, for a machine
with too few cores for scripts/bench.d/pinned.sh (which needs 16).

Every Gatehouse (one worker each) runs on one core, the upstream
(gatehouse-upstream, one thread) and wrk (one thread, 32 connections, a new
URL per request: unique_paths.lua) share another. The load generator is then
the bottleneck, every Gatehouse serves about the same requests/s, and what
tells them apart is the CPU each spends per request (user + system ticks
from /proc/PID/stat over requests served): the figure that sets requests/s
where Gatehouse is the bottleneck. Each round runs every configuration for
--seconds in turn, starting one configuration later than the round before
(whichever runs after another may find the core in a state of its making);
rounds repeat, so the host's drift falls on all alike. The first
configuration is the baseline: each other one's ratio is the
baseline's CPU per request over its own (0.9 = 10% more CPU per request),
and each pair of the others is compared round by round.

Before the rounds, each configuration with a policy serves --fill seconds of
new URLs (a cache's store is full after that, so every stored miss evicts).

Usage: scripts/bench.d/cpu_ab.py [--rounds N] [--seconds S] [--fill S]
           [--cores PROXY,LOAD] NAME=BINARY|POLICY[|ENV] ...
e.g.   scripts/bench.d/cpu_ab.py "base=build/bin/gatehouse|" \\
           "stored=build/bin/gatehouse|cache: { default_ttl: 60s }"
POLICY is one entry of the route's policies list (empty: none); ENV is
NAME=VALUE set for that Gatehouse. GATEHOUSE_UPSTREAM_BIN names the upstream
(default build/bin/gatehouse-upstream). Needs wrk and taskset; ports are
chosen at run time.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

from free_ports import free_ports  # this script's folder is on sys.path
from one_worker import wait_for_port, write_config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIQUE = os.path.join(ROOT, "scripts", "bench.d", "unique_paths.lua")


class Config:
    def __init__(self, spec):
        name, sep, rest = spec.partition("=")
        parts = rest.split("|")
        if not sep or not name or len(parts) not in (2, 3):
            raise ValueError(f"not NAME=BINARY|POLICY[|ENV]: {spec}")
        self.name, self.binary, self.policy = name, parts[0], parts[1]
        self.env = parts[2] if len(parts) == 3 else ""
        self.port = 0
        self.proc = None
        self.cpu_per_request = []  # µs, one per round


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wrk(core, port, seconds):
    out = subprocess.run(["taskset", "-c", core, "wrk", "-t1", "-c32", f"-d{seconds}s", "-s", UNIQUE,
                          f"http://127.0.0.1:{port}/bytes/1024"], capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def summary(values):
    return f"median {statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--fill", type=int, default=25)
    parser.add_argument("--cores", default="1,0", help="PROXY,LOAD: the cores for Gatehouse and for the rest")
    parser.add_argument("configs", nargs="+")
    args = parser.parse_args()
    configs = [Config(spec) for spec in args.configs]
    proxy_core, load_core = args.cores.split(",")
    if shutil.which("wrk") is None:
        sys.exit("cpu_ab: wrk is not installed (scripts/install-deps --bench)")
    upstream_bin = os.environ.get("GATEHOUSE_UPSTREAM_BIN", os.path.join(ROOT, "build", "bin", "gatehouse-upstream"))
    work = tempfile.mkdtemp(prefix="gatehouse-cpu-ab.")
    procs = []
    try:
        ports = free_ports(1 + 2 * len(configs))
        upstream_port = ports[0]
        upstream = subprocess.Popen(["taskset", "-c", load_core, upstream_bin, "--listen",
                                     f"127.0.0.1:{upstream_port}", "--threads", "1"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        procs.append(upstream)
        for i, c in enumerate(configs):
            c.port = ports[1 + 2 * i]
            yaml = os.path.join(work, f"{c.name}.yaml")
            write_config(yaml, c.port, ports[2 + 2 * i], upstream_port, c.policy)
            env = dict(os.environ)
            if c.env:
                key, _, value = c.env.partition("=")
                env[key] = value
            with open(os.path.join(work, f"{c.name}.log"), "w") as log:
                c.proc = subprocess.Popen(["taskset", "-c", proxy_core, c.binary, "--config", yaml],
                                          stdout=log, stderr=subprocess.STDOUT, env=env)
            procs.append(c.proc)
            if not wait_for_port(c.port, c.proc, 10):
                sys.exit(f"cpu_ab: {c.name} did not start (log: {work}/{c.name}.log)")
        for c in configs:
            wrk(load_core, c.port, args.fill if c.policy else 2)
        for r in range(args.rounds):
            line = []
            # Each round starts one configuration later: whichever runs
            # right after another may find the core's caches and clock in
            # a state of that one's making.
            turn = r % len(configs)
            for c in configs[turn:] + configs[:turn]:
                before = cpu_ticks(c.proc.pid)
                rps = wrk(load_core, c.port, args.seconds)
                ticks = cpu_ticks(c.proc.pid) - before
                # Clock ticks are 10 ms: µs per request = ticks * 1e4 / requests.
                c.cpu_per_request.append(ticks * 1e4 / (rps * args.seconds) if rps else float("nan"))
                line.append(f"{c.name} {rps:,.0f} rps {c.cpu_per_request[-1]:.2f} µs/req ({ticks / args.seconds:.0f}% CPU)")
            print(f"round {r + 1}: " + "  ".join(line), flush=True)
        base = configs[0]
        for c in configs[1:]:
            ratios = [b / x for b, x in zip(base.cpu_per_request, c.cpu_per_request)]
            print(f"{c.name} vs {base.name}: CPU per request ratio {summary(ratios)}; "
                  f"{statistics.median(c.cpu_per_request):.2f} vs {statistics.median(base.cpu_per_request):.2f} µs")
        for i, a in enumerate(configs[1:], 1):
            for b in configs[i + 1:]:
                ratios = [y / x for x, y in zip(a.cpu_per_request, b.cpu_per_request)]
                print(f"{a.name} vs {b.name}, round by round: {summary(ratios)}, "
                      f"{a.name} cheaper in {sum(q > 1 for q in ratios)} of {len(ratios)}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
