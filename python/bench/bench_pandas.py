"""Benchmark: a big tcpdump text into a pandas DataFrame.

Compares, on the same dump:

- ``tcpexplain.explain_file(path).to_pandas()`` (full analysis: states,
  events, acknowledgments, bytes in flight; the table kept in Rust, the
  explanations written when asked), then ``to_arrow()`` and ``to_polars()``
  of the same trace;
- a plain pure-Python regex parser (no analysis at all: one dict per line,
  then ``pandas.DataFrame``), the usual way of getting tcpdump text into pandas;
- the command line, ``tcpexplain --format jsonl PATH > /dev/null``.

And the memory a trace takes: the peak RSS of ``explain_file(path)`` beyond
the interpreter and its imports, per segment (the file itself is not kept:
a segment's lines are read again from it when asked), and, for files bigger
than memory, the peak of reading it through ``iter_batches(path)`` and of
``explain_file(path, keep="summary")``, which do not grow with the file.

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
    figures = {
        "rows": float(len(df)),
        "wall": wall2 - wall0,
        "cpu": cpu2 - cpu0,
        "explain_wall": wall1 - wall0,
        "to_pandas_wall": wall2 - wall1,
    }
    del df
    # (Not part of the DataFrame's time: the other doors to the same trace.)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return figures
    start = time.perf_counter()
    table = trace.to_arrow()
    figures["to_arrow_wall"] = time.perf_counter() - start
    try:
        import polars  # noqa: F401
    except ImportError:
        return figures
    start = time.perf_counter()
    frame = trace.to_polars()
    figures["to_polars_wall"] = time.perf_counter() - start
    del table, frame
    return figures


def _rss() -> int:
    """Resident bytes now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    """The process's peak resident bytes so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def case_memory(path: str) -> Dict[str, float]:
    """The whole trace: peak and resident bytes beyond the imports, per segment."""
    import tcpexplain

    peak0, rss0 = _peak(), _rss()
    trace = tcpexplain.explain_file(path)
    peak1, rss1 = _peak(), _rss()
    segments = trace._data.counts()[0]
    return {
        "segments": float(segments),
        "peak_per_segment": (peak1 - max(peak0, rss0)) / segments,
        "resident_per_segment": (rss1 - rss0) / segments,
    }


def case_batches(path: str) -> Dict[str, float]:
    """Reading the file a record batch at a time: the peak beyond the imports
    (and pyarrow's own start-up: its first array takes some 50 MiB)."""
    import pyarrow

    import tcpexplain

    pyarrow.array([0])

    peak0, rss0 = _peak(), _rss()
    wall0 = time.perf_counter()
    rows = 0
    reader = tcpexplain.iter_batches(path)
    for batch in reader:
        rows += batch.num_rows
    reader.connections()
    return {
        "rows": float(rows),
        "wall": time.perf_counter() - wall0,
        "peak_mib": (_peak() - max(peak0, rss0)) / 2**20,
    }


def case_summary(path: str) -> Dict[str, float]:
    """``keep="summary"``: the peak beyond the imports."""
    import tcpexplain

    peak0, rss0 = _peak(), _rss()
    wall0 = time.perf_counter()
    trace = tcpexplain.explain_file(path, keep="summary")
    return {
        "connections": float(len(trace.connections)),
        "wall": time.perf_counter() - wall0,
        "peak_mib": (_peak() - max(peak0, rss0)) / 2**20,
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
        cases = {
            "tcpexplain": case_tcpexplain,
            "regex": case_regex,
            "memory": case_memory,
            "batches": case_batches,
            "summary": case_summary,
        }
        figures = cases[args.child](args.path)
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
    arrow = [r["to_arrow_wall"] for r in runs["tcpexplain"] if "to_arrow_wall" in r]
    if arrow:
        line = f"the same trace: to_arrow {min(arrow) * 1000:.1f} ms"
        polars = [r["to_polars_wall"] for r in runs["tcpexplain"] if "to_polars_wall" in r]
        if polars:
            line += f", to_polars {min(polars) * 1000:.1f} ms"
        print(line + " (best round)")

    def ratios(top: str, bottom: str) -> str:
        each = [a["wall"] / b["wall"] for a, b in zip(runs[top], runs[bottom])]
        return f"{min(each):.1f}–{max(each):.1f}× (median {statistics.median(each):.1f}×)"

    print(f"regex / tcpexplain, round by round: {ratios('regex', 'tcpexplain')}")
    print(f"tcpexplain / CLI jsonl, round by round: {ratios('tcpexplain', 'cli')}")
    print("wall/CPU: the work itself (for the CLI: the whole process); process wall: with start-up and imports.")

    print()
    memory = [run_child("memory", str(path)) for _ in range(max(1, args.rounds))]
    worst = max(memory, key=lambda r: r["peak_per_segment"])
    print(
        f"memory of a whole trace (explain_file), beyond the imports: peak {worst['peak_per_segment']:.0f} bytes "
        f"per segment, resident after {worst['resident_per_segment']:.0f} (worst of {len(memory)} runs; "
        f"{worst['segments']:,.0f} segments; target ≤ 120)"
    )
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("iter_batches: skipped (no pyarrow)")
    else:
        b = run_child("batches", str(path))
        print(
            f"through iter_batches: peak {b['peak_mib']:.0f} MiB beyond the imports and pyarrow's start-up, for "
            f"{b['rows']:,.0f} segments in {b['wall']:.2f} s (a record batch and the open connections at a time)"
        )
    m = run_child("summary", str(path))
    print(f"explain_file(keep='summary'): peak {m['peak_mib']:.0f} MiB beyond the imports, in {m['wall']:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
