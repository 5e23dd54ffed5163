#!/usr/bin/env python3
"""CPU time of the command line now next to an earlier commit's, side by side.

    benches/versus_commit.py REV [--runs N] [--format FORMAT] [--input FILE]
                                 [--instructions LINES]

REV is built in a worktree under target/versus/ (once), the working tree with
`cargo build --release`; both then read INPUT (default
target/bench/bulk-1m.txt, made by tests/data/captures/make_bulk.sh) with
`--format FORMAT` (default jsonl), output to /dev/null. The runs alternate in
ABBA order, so that both meet the machine in the same state; CPU time is the
child's user + system time (microseconds, from wait4). The median and quartiles
of each, and the ratio of the medians, are printed. The runs are held to one
CPU where the system allows it.

--instructions LINES also counts the instructions each executes on the first
LINES lines of the input (valgrind's callgrind): a measure that does not move
with the machine's speed.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_current() -> Path:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return ROOT / "target/release/tcpexplain"


def build_commit(rev: str) -> Path:
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", rev + "^{commit}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()
    tree = ROOT / "target/versus" / sha[:12]
    if not tree.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True
        )
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tree, check=True)
    return tree / "target/release/tcpexplain"


def cpu_seconds(binary: Path, fmt: str, input_path: Path) -> float:
    with open(os.devnull, "wb") as null:
        child = subprocess.Popen([str(binary), "--format", fmt, str(input_path)], stdout=null)
        _, status, usage = os.wait4(child.pid, 0)
    # (Reaped here, for its resource usage: the Popen is told how it ended.)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{binary} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def instructions(binary: Path, fmt: str, input_path: Path, lines: int) -> int:
    with tempfile.NamedTemporaryFile("wb", suffix=".txt") as part:
        with open(input_path, "rb") as whole:
            for _, line in zip(range(lines), whole):
                part.write(line)
        part.flush()
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
             str(binary), "--format", fmt, part.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
        )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if not found:
        sys.exit("valgrind did not report a count")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev")
    parser.add_argument("--runs", type=int, default=10, help="runs of each (default 10)")
    parser.add_argument("--format", default="jsonl")
    parser.add_argument("--input", type=Path, default=ROOT / "target/bench/bulk-1m.txt")
    parser.add_argument("--instructions", type=int, metavar="LINES")
    args = parser.parse_args()
    if args.runs < 2:
        sys.exit("--runs: at least 2 (for quartiles)")
    if not args.input.is_file():
        sys.exit(f"no {args.input}: run tests/data/captures/make_bulk.sh")

    builds = {args.rev: build_commit(args.rev), "now": build_current()}
    # Every run on the same CPU (the last one), where the system allows it:
    # moving between CPUs is noise of its own.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    times: dict[str, list[float]] = {name: [] for name in builds}
    for round_ in range(args.runs):
        order = list(builds) if round_ % 2 == 0 else list(reversed(builds))
        for name in order:
            times[name].append(cpu_seconds(builds[name], args.format, args.input))

    print(f"--format {args.format} {args.input.name}, {args.runs} runs each (CPU ms)")
    medians = {}
    for name, runs in times.items():
        q1, median, q3 = statistics.quantiles(runs, n=4)
        medians[name] = median
        print(f"  {name:>12}: median {median * 1e3:7.1f}  quartiles {q1 * 1e3:7.1f} – {q3 * 1e3:7.1f}")
    print(f"  now / {args.rev}: {medians['now'] / medians[args.rev]:.3f}")

    if args.instructions:
        counts = {
            name: instructions(binary, args.format, args.input, args.instructions)
            for name, binary in builds.items()
        }
        print(f"instructions on the first {args.instructions:,} lines:")
        for name, count in counts.items():
            print(f"  {name:>12}: {count:,}")
        print(f"  now / {args.rev}: {counts['now'] / counts[args.rev]:.4f}")


if __name__ == "__main__":
    main()
