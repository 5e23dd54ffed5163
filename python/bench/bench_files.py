"""Benchmark: many dump files into Parquet, per core.

Cuts a big dump (``target/bench/bulk-1m.txt`` by default) into FILES files
of whole lines, then explains them into a Parquet dataset three ways, each
in a fresh process:

- ``tcpexplain.explain_files(paths, out, workers=1)``: one thread;
- ``tcpexplain.explain_files(paths, out)``: a thread per CPU;
- ``python/examples/dask_fleet.py``'s ``explain_on_dask`` on a Dask
  ``LocalCluster`` of one single-threaded worker process per CPU (the
  cluster's start is not timed).

and gives lines per second, in all and per core. On a real cluster, expect
the per-core figure of the Dask case times the cores, as long as the shared
file system keeps up (each core reads its files at tens of MB/s and writes
about a fifth of that as Parquet).

Usage::

    python python/bench/bench_files.py [PATH] [--files N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "target" / "bench" / "bulk-1m.txt"
EXAMPLE = REPO / "python" / "examples" / "dask_fleet.py"


def split(path: Path, files: int, into: Path) -> List[Path]:
    """``path`` cut into ``files`` files of whole lines, about the same size."""
    size = path.stat().st_size
    parts = []
    with open(path, "rb") as f:
        for i in range(files):
            chunk = f.read(max(1, size // files)) + (f.readline() if i < files - 1 else f.read())
            part = into / f"dump-{i:03d}.txt"
            part.write_bytes(chunk)
            parts.append(part)
    return parts


def child(case: str, out: str, paths: List[str]) -> Dict[str, float]:
    import tcpexplain

    workers = os.cpu_count() or 1
    if case == "dask":
        import importlib.util

        from dask.distributed import Client, LocalCluster

        spec = importlib.util.spec_from_file_location("dask_fleet", EXAMPLE)
        assert spec and spec.loader
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, Client(
            cluster
        ) as client:
            client.run(lambda: __import__("tcpexplain"))  # (imports not timed)
            start = time.perf_counter()
            results = example.explain_on_dask(paths, out, client)
            wall = time.perf_counter() - start
        cores = workers
    else:
        threads = 1 if case == "one" else workers
        start = time.perf_counter()
        results = tcpexplain.explain_files(paths, out, workers=threads)
        wall = time.perf_counter() - start
        cores = threads
    return {
        "wall": wall,
        "cores": float(cores),
        "lines": float(sum(r.lines for r in results)),
        "segments": float(sum(r.segments for r in results)),
    }


def main(argv: List[str]) -> None:
    if argv[:1] == ["--child"]:
        case, out, *paths = argv[1:]
        print(json.dumps(child(case, out, paths)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--files", type=int, default=20, help="files to cut the dump into (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three cases (default 2)")
    args = parser.parse_args(argv)

    path = Path(args.path)
    if not path.is_file():
        raise SystemExit(f"no such dump: {path} (make one with tests/data/captures/make_bulk.sh)")
    work = Path(tempfile.mkdtemp(prefix="bench_files-"))
    try:
        parts = split(path, args.files, work)
        size = sum(p.stat().st_size for p in parts) / 2**20
        print(f"{path.name} cut into {len(parts)} files, {size:.0f} MiB; {os.cpu_count()} CPUs")
        names = {
            "one": "explain_files, 1 thread",
            "threads": "explain_files, a thread per CPU",
            "dask": "Dask LocalCluster, a worker per CPU",
        }
        runs: Dict[str, List[Dict[str, float]]] = {case: [] for case in names}
        for _ in range(max(1, args.rounds)):
            for case in names:
                out = work / f"out-{case}"
                shutil.rmtree(out, ignore_errors=True)
                done = subprocess.run(
                    [sys.executable, __file__, "--child", case, str(out), *map(str, parts)],
                    stdout=subprocess.PIPE,
                    check=True,
                )
                runs[case].append(json.loads(done.stdout.decode().splitlines()[-1]))
        print(f"{'case':<38} {'wall s':>7} {'median':>7} {'lines/s':>11} {'per core':>11}")
        for case, name in names.items():
            best = min(runs[case], key=lambda r: r["wall"])
            median = statistics.median(r["wall"] for r in runs[case])
            rate = best["lines"] / best["wall"]
            print(f"{name:<38} {best['wall']:>7.2f} {median:>7.2f} {rate:>11,.0f} {rate / best['cores']:>11,.0f}")
        print(f"({runs['one'][0]['lines']:,.0f} lines, {runs['one'][0]['segments']:,.0f} segments; best of the rounds)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
