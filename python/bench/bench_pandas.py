"""Benchmark: a big tcpdump text into a pandas DataFrame.

Compares, on the same dump:

- ``tcpexplain.explain_file(path).to_pandas()`` (full analysis: states,
  events, explanations; columns built in Rust);
- a plain pure-Python regex parser (no analysis at all: one dict per line,
  then ``pandas.DataFrame``), the usual way of getting tcpdump text into pandas;
- the command line, ``tcpexplain --format jsonl PATH > /dev/null``.

Each case runs in a fresh process, so that peak RSS is that case's own.
Wall and CPU time are measured inside the process around the work itself
(imports and start-up excluded) and, for the whole process, from outside.
The three cases take turns, round after round, so that a machine whose speed
drifts slows them alike; the best and the median of the rounds are given, and
the ratios are taken round by round.

Usage::

    python python/bench/bench_pandas.py [PATH] [--rounds N]

PATH defaults to ``target/bench/bulk-1m.txt`` in the repository (a
1,000,000-line ``tcpdump -nn`` rendering of a bulk transfer; see
``tests/data/captures/make_bulk.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "target" / "bench" / "bulk-1m.txt"

# One TCP line of `tcpdump -nn` (modern format), enough for a table without analysis.
PATTERN = (
    r"^(?:\d+ )?(?P<time>\d\d:\d\d:\d\d\.\d+) IP6? (?P<src>\S+) > (?P<dst>\S+?): "
    r"Flags \[(?P<flags>[^\]]*)\]"
    r"(?:, seq (?P<seq>\d+)(?::(?P<seq_end>\d+))?)?"
    r"(?:, ack (?P<ack>\d+))?"
    r"(?:, win (?P<win>\d+))?"
    r".*?, length (?P<len>\d+)"
)


def case_tcpexplain(path: str) -> Dict[str, float]:
    import pandas  # noqa: F401  (imports are not timed, as in the regex case)

    import tcpexplain

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass

    wall0, cpu0 = time.perf_counter(), time.process_time()
    trace = tcpexplain.explain_file(path)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    df = trace.to_pandas()
    wall2, cpu2 = time.perf_counter(), time.process_time()
    return {
        "rows": float(len(df)),
        "wall": wall2 - wall0,
        "cpu": cpu2 - cpu0,
        "explain_wall": wall1 - wall0,
        "to_pandas_wall": wall2 - wall1,
    }


def case_regex(path: str) -> Dict[str, float]:
    import re

    import pandas as pd

    wall0, cpu0 = time.perf_counter(), time.process_time()
    match = re.compile(PATTERN).match
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            m = match(line)
            if m is None:
                continue
            d = m.groupdict()
            rows.append(
                {
                    "line": number,
                    "time": d["time"],
                    "src": d["src"],
                    "dst": d["dst"],
                    "flags": d["flags"],
                    "seq": int(d["seq"]) if d["seq"] else None,
                    "ack": int(d["ack"]) if d["ack"] else None,
                    "win": int(d["win"]) if d["win"] else None,
                    "len": int(d["len"]),
                }
            )
    df = pd.DataFrame(rows)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    return {"rows": float(len(df)), "wall": wall1 - wall0, "cpu": cpu1 - cpu0}


def run_child(case: str, path: str) -> Dict[str, float]:
    """Runs one case in a fresh interpreter; returns its own figures and its peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", case, path],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{case} failed with status {proc.returncode}")
    figures = json.loads(out)
    figures["process_wall"] = time.perf_counter() - started
    figures["process_cpu"] = usage.ru_utime + usage.ru_stime
    figures["rss_mib"] = usage.ru_maxrss / 1024
    return figures


def run_cli(path: str) -> Dict[str, float]:
    cli = shutil.which("tcpexplain") or str(Path(sys.executable).parent / "tcpexplain")
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen([cli, "--format", "jsonl", path], stdout=devnull)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the command line failed")
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall": wall,
        "cpu": cpu,
        "process_wall": wall,
        "process_cpu": cpu,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three cases (default 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        figures = {"tcpexplain": case_tcpexplain, "regex": case_regex}[args.child](args.path)
        figures["self_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return

    path = Path(args.path)
    if not path.is_file():
        raise SystemExit(f"no such dump: {path} (make one with tests/data/captures/make_bulk.sh)")
    with open(path, "rb") as f:
        lines = sum(1 for _ in f)
    size = path.stat().st_size / 2**20
    print(f"dump: {path.name}, {lines:,} lines, {size:.0f} MiB; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print()

    names = {
        "tcpexplain": "tcpexplain.explain_file().to_pandas()",
        "regex": "pure-Python regex → DataFrame (no analysis)",
        "cli": "tcpexplain --format jsonl > /dev/null",
    }
    runs: Dict[str, List[Dict[str, float]]] = {case: [] for case in names}
    for _ in range(max(1, args.rounds)):
        runs["tcpexplain"].append(run_child("tcpexplain", str(path)))
        runs["regex"].append(run_child("regex", str(path)))
        runs["cli"].append(run_cli(str(path)))
    header = (
        f"{'case':<46} {'wall s':>7} {'median':>7} {'CPU s':>7} {'lines/s':>11}"
        f" {'peak RSS MiB':>13} {'process wall s':>15}"
    )
    print(f"{len(runs['regex'])} rounds; wall and CPU: the best round; median: of the walls")
    print(header)
    print("-" * len(header))
    for case, name in names.items():
        best = min(runs[case], key=lambda r: r["wall"])
        median = statistics.median(r["wall"] for r in runs[case])
        print(
            f"{name:<46} {best['wall']:>7.2f} {median:>7.2f} {best['cpu']:>7.2f} {lines / best['wall']:>11,.0f}"
            f" {max(r['rss_mib'] for r in runs[case]):>13,.0f} {best['process_wall']:>15.2f}"
        )
    t = min(runs["tcpexplain"], key=lambda r: r["wall"])
    print()
    print(
        f"tcpexplain: explain_file {t['explain_wall']:.2f} s + to_pandas {t['to_pandas_wall']:.2f} s "
        f"({t['rows']:,.0f} rows); regex parser: {runs['regex'][0]['rows']:,.0f} rows"
    )

    def ratios(top: str, bottom: str) -> str:
        each = [a["wall"] / b["wall"] for a, b in zip(runs[top], runs[bottom])]
        return f"{min(each):.1f}–{max(each):.1f}× (median {statistics.median(each):.1f}×)"

    print(f"regex / tcpexplain, round by round: {ratios('regex', 'tcpexplain')}")
    print(f"tcpexplain / CLI jsonl, round by round: {ratios('tcpexplain', 'cli')}")
    print("wall/CPU: the work itself (for the CLI: the whole process); process wall: with start-up and imports.")


if __name__ == "__main__":
    main(sys.argv[1:])
