#!/usr/bin/env python3
"""Parse wrk output and callgrind totals collected by scripts/bench; print tables.

Usage: report.py [--markdown] [--policies POLICIES_TSV] [--paired PAIRED_TSV] THROUGHPUT_TSV CALLGRIND_TSV

THROUGHPUT_TSV lines: proxy <TAB> status <TAB> wrk-output-file [<TAB> workload]
    status is "ok" or a short reason the proxy could not be measured;
    workload is http (the default), https or handshake: one table each.
CALLGRIND_TSV lines:  proxy <TAB> status <TAB> Ir(N1) <TAB> Ir(N2) <TAB> N1 <TAB> N2 [<TAB> workload]
    workload is keepalive (the default), handshake or resumption: one table each.
    (may be absent or empty when the callgrind part was skipped).
POLICIES_TSV lines:   label <TAB> target <TAB> status <TAB> sample-directory
    Gatehouse with one policy on the route; target is the ratio the row
    should reach (e.g. 0.95) or empty; the directory holds wrk-R.txt and
    base-R.txt for each round R, and wrk-R.cpu / base-R.cpu (the CPU seconds
    the measured process used) where it could be read (see policy_rows).
Ratios are relative to the "nginx" row; the policy rows' to a Gatehouse
without the policy, sampled alternately with it (the median of the pairs).
"""
import argparse
import os
import re
import sys

BASELINE = "nginx"

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """wrk prints latencies as e.g. 215.00us, 1.02ms, 1.00s, 2.00m."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"bad wrk duration {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(path: str) -> dict:
    with open(path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    result = {"errors": []}
    m = re.search(r"^Requests/sec:\s*([0-9.]+)", out, re.M)
    if not m:
        raise ValueError("no Requests/sec line")
    result["rps"] = float(m.group(1))
    m = re.search(r"^\s*(\d+) requests in", out, re.M)
    if m:
        result["requests"] = int(m.group(1))
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}%\s+(\S+)", out, re.M)
        if not m:
            raise ValueError(f"no {pct}% latency line (was wrk run with --latency?)")
        result[f"p{pct}"] = parse_duration(m.group(1))
    m = re.search(r"^\s*Non-2xx or 3xx responses:\s*(\d+)", out, re.M)
    if m and int(m.group(1)):
        result["errors"].append(f"{m.group(1)} non-2xx responses")
    m = re.search(r"^\s*Socket errors:\s*(.*)$", out, re.M)
    if m:
        counts = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", m.group(1))}
        bad = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        if bad:
            result["errors"].append(f"socket errors: {bad}")
    return result


def read_tsv(path: str) -> list:
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


WORKLOAD_TITLES = {
    "http": "Throughput, plain HTTP keep-alive (wrk)",
    "https": "Throughput, HTTPS keep-alive (wrk, TLS terminated by the proxy)",
    "handshake": "TLS handshakes: a new connection per request (wrk, Connection: close)",
}


def workloads(path: str) -> list:
    """The workloads in the file, in order of first appearance."""
    seen = []
    for fields in read_tsv(path):
        w = fields[3] if len(fields) > 3 and fields[3] else "http"
        if w not in seen:
            seen.append(w)
    return seen


def measured_row(row: dict, status: str, wrk_file: str) -> dict:
    """row with status, and wrk's numbers when status is "ok"."""
    row["status"] = status
    if status == "ok":
        try:
            row.update(parse_wrk(wrk_file))
        except (OSError, ValueError) as exc:
            row["status"] = f"could not parse wrk output: {exc}"
    return row


def throughput_rows(path: str, workload: str = "http") -> list:
    rows = []
    for fields in read_tsv(path):
        if (fields[3] if len(fields) > 3 and fields[3] else "http") != workload:
            continue
        proxy, status, wrk_file = (fields + ["", "", ""])[:3]
        rows.append(measured_row({"proxy": proxy}, status, wrk_file))
    base = next((r for r in rows if r["proxy"] == BASELINE and "rps" in r), None)
    table = []
    for r in rows:
        if "rps" not in r:
            table.append([r["proxy"], "-", "-", "-", "-", r["status"]])
            continue
        ratio = f"{r['rps'] / base['rps']:.2f}x" if base else "n/a"
        table.append([r["proxy"], f"{r['rps']:,.0f}", fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                      ratio, "; ".join(r["errors"])])
    return table


POLICY_TITLE = "Policies: Gatehouse with one policy on the route, plain HTTP keep-alive (wrk)"


def cpu_per_request(wrk_file: str, row: dict):
    """Microseconds of CPU the measured process used per request in one
    sample (its .cpu file next to the wrk output), or None."""
    cpu_file = wrk_file[:-len(".txt")] + ".cpu"
    try:
        with open(cpu_file, encoding="utf-8") as f:
            seconds = float(f.read().strip())
    except (OSError, ValueError):
        return None
    return seconds * 1e6 / row["requests"] if row.get("requests") else None


def policy_rows(path: str, with_cpu: bool = False) -> list:
    """The policy table. Each row's directory holds paired samples, wrk-R.txt
    (the policy) and base-R.txt (Gatehouse without it, measured just before);
    the ratio is the median of the per-round ratios, and the numbers shown
    are those of the round with that median. With with_cpu, a column shows
    the CPU each side used per request and the ratio baseline / policy, of
    the round whose CPU ratio is the median."""
    table = []
    for fields in read_tsv(path):
        label, target, status, sample_dir = (fields + ["", "", "", ""])[:4]
        target_text = f">= {float(target):.2f}x" if target else ""
        rounds = []
        cpu_rounds = []
        notes = []
        if status == "ok":
            r = 1
            while os.path.exists(os.path.join(sample_dir, f"wrk-{r}.txt")):
                pol_file = os.path.join(sample_dir, f"wrk-{r}.txt")
                base_file = os.path.join(sample_dir, f"base-{r}.txt")
                pol = measured_row({}, "ok", pol_file)
                base = measured_row({}, "ok", base_file)
                if "rps" not in pol or "rps" not in base or base["rps"] <= 0:
                    status = pol["status"] if "rps" not in pol else base["status"]
                    break
                notes += [e for e in pol["errors"] + ["baseline: " + x for x in base["errors"]] if e not in notes]
                rounds.append((pol["rps"] / base["rps"], pol, base))
                pol_cpu, base_cpu = cpu_per_request(pol_file, pol), cpu_per_request(base_file, base)
                if pol_cpu and base_cpu:
                    cpu_rounds.append((base_cpu / pol_cpu, pol_cpu, base_cpu))
                r += 1
            if status == "ok" and not rounds:
                status = "no samples"
        cpu_cell = ["-"] if with_cpu else []
        if status != "ok":
            table.append([label, "-", "-", "-", "-", "-"] + cpu_cell + [target_text, status])
            continue
        rounds.sort(key=lambda x: x[0])
        ratio, pol, base = rounds[len(rounds) // 2]
        notes.append(f"{len(rounds)} pairs, ratios {rounds[0][0]:.2f}-{rounds[-1][0]:.2f}")
        if target and ratio < float(target):
            notes.append("below target")
        if with_cpu and len(cpu_rounds) == len(rounds):
            cpu_rounds.sort(key=lambda x: x[0])
            cpu_ratio, pol_cpu, base_cpu = cpu_rounds[len(cpu_rounds) // 2]
            cpu_cell = [f"{pol_cpu:.1f} vs {base_cpu:.1f} us ({cpu_ratio:.2f}x)"]
        table.append([label, f"{pol['rps']:,.0f}", fmt_ms(pol["p50"]), fmt_ms(pol["p99"]), f"{base['rps']:,.0f}",
                      f"{ratio:.2f}x"] + cpu_cell + [target_text, "; ".join(notes)])
    return table


PAIRED_TITLE = ("TLS, Gatehouse and nginx side by side, sampled alternately "
                "(median of the per-round ratios; the figures are that round's)")

CALLGRIND_TITLES = {
    "keepalive": "User-space instructions per proxied request (callgrind)",
    "handshake": "User-space instructions per TLS handshake + request on a new connection (callgrind)",
    "resumption": "User-space instructions per resumed TLS 1.3 handshake (session ticket) + request on a new connection (callgrind)",
}


def callgrind_workload(fields: list) -> str:
    return fields[6] if len(fields) > 6 and fields[6] else "keepalive"


def callgrind_rows(path: str, workload: str = "keepalive") -> list:
    rows = []
    for fields in read_tsv(path):
        if callgrind_workload(fields) != workload:
            continue
        proxy, status = fields[0], fields[1]
        row = {"proxy": proxy, "status": status}
        if status == "ok":
            ir1, ir2, n1, n2 = (int(x) for x in fields[2:6])
            row["per_request"] = (ir2 - ir1) / (n2 - n1)
            row["note"] = f"Ir({n1})={ir1:,}, Ir({n2})={ir2:,}"
        rows.append(row)
    base = next((r for r in rows if r["proxy"] == BASELINE and "per_request" in r), None)
    table = []
    for r in rows:
        if "per_request" not in r:
            table.append([r["proxy"], "-", "-", r["status"]])
            continue
        ratio = f"{r['per_request'] / base['per_request']:.2f}x" if base else "n/a"
        table.append([r["proxy"], f"{r['per_request']:,.0f}", ratio, r["note"]])
    return table


def print_text(header: list, table: list) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *table)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in table:
        print(line(row))


def print_markdown(header: list, table: list) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i in (0, len(header) - 1) else "---:"
                         for i in range(len(header))) + "|")
    for row in table:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true", help="also print markdown tables")
    parser.add_argument("--policies", default="", help="the policy rows (POLICIES_TSV)")
    parser.add_argument("--paired", default="", help="Gatehouse vs nginx sampled alternately (policies' format)")
    parser.add_argument("throughput")
    parser.add_argument("callgrind", nargs="?", default="")
    args = parser.parse_args()

    sections = []
    for workload in workloads(args.throughput):
        tp = throughput_rows(args.throughput, workload)
        if tp:
            sections.append((WORKLOAD_TITLES.get(workload, workload),
                             ["proxy", "requests/s", "p50", "p99", "vs nginx", "notes"], tp))
    if args.paired:
        sections.append((PAIRED_TITLE, ["workload", "gatehouse requests/s", "p50", "p99", "nginx requests/s",
                                        "vs nginx", "target", "notes"], policy_rows(args.paired)))
    if args.policies:
        sections.append((POLICY_TITLE, ["policy", "requests/s", "p50", "p99", "baseline requests/s",
                                        "vs no policy", "CPU/request (vs no policy)", "target", "notes"],
                         policy_rows(args.policies, with_cpu=True)))
    seen = []
    for fields in read_tsv(args.callgrind):
        if callgrind_workload(fields) not in seen:
            seen.append(callgrind_workload(fields))
    for workload in seen:
        cg = callgrind_rows(args.callgrind, workload)
        if cg:
            sections.append((CALLGRIND_TITLES.get(workload, workload),
                             ["proxy", "instructions/request", "vs nginx", "notes"], cg))

    for title, header, table in sections:
        print(f"\n{title}\n")
        print_text(header, table)
    if args.markdown:
        for title, header, table in sections:
            print(f"\n**{title}**\n")
            print_markdown(header, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
