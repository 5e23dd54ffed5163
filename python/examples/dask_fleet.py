"""A fleet's dumps explained on a Dask cluster, into one Parquet dataset.

Each dump file is one task: a worker runs ``tcpexplain.explain_files`` on it
(the file read a record batch at a time, so any size fits), which writes
``OUT/segments/part-NNNNN.parquet`` and ``OUT/connections/part-NNNNN.parquet``,
``NNNNN`` the file's place in the list. The parts are the same, row for row,
as one process's ``tcpexplain.explain_files(paths, OUT)``; the dataset is then
read back with ``dask.dataframe.read_parquet`` (or pandas, polars, duckdb).

Usage::

    python python/examples/dask_fleet.py OUT DUMP [DUMP ...]              # a LocalCluster here
    python python/examples/dask_fleet.py OUT DUMP ... --scheduler tcp://scheduler:8786

On a real cluster, every worker needs tcpexplain installed (``pip install
'tcpexplain[dask]'``, the same version as here) and must see the dumps and
OUT at the same paths: a shared file system (NFS, a mounted bucket). Start a
scheduler (``dask scheduler``) and workers (``dask worker tcp://scheduler:8786
--nthreads 1`` on each machine, one per core, or ``--nworkers N``), then pass
``--scheduler``. Nothing else changes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, List, Sequence

import tcpexplain


def explain_on_dask(paths: Sequence[os.PathLike], out: os.PathLike, client: Any) -> List[tcpexplain.FileResult]:
    """Explains ``paths`` into the Parquet dataset ``out``, a task per file on
    ``client``'s cluster; returns what was made of each file, in order.

    Each task is ``tcpexplain.explain_files([path], out, start=number)``: a
    function the workers import from tcpexplain itself, so nothing of this
    script travels to them."""
    import dask.bag as db

    files = [[os.fspath(path)] for path in paths]
    if not files:
        return []
    Path(out).mkdir(parents=True, exist_ok=True)
    count = len(files)
    parts = db.map(
        tcpexplain.explain_files,
        db.from_sequence(files, npartitions=count),
        out=os.fspath(out),
        start=db.from_sequence(range(count), npartitions=count),
        workers=1,
    )
    return parts.flatten().compute(scheduler=client.get)


def summary(out: os.PathLike) -> Any:
    """Per file: segments, connections, retransmissions, problems (a pandas
    DataFrame, computed on the cluster from the dataset)."""
    import dask.dataframe as dd

    segments = dd.read_parquet(os.path.join(out, "segments"), columns=["file", "len"])
    connections = dd.read_parquet(
        os.path.join(out, "connections"),
        columns=["file", "problems", "events_retransmission", "bytes_client", "bytes_server"],
    )
    per_file = connections.groupby("file", observed=True).sum()
    per_file["segments"] = segments.groupby("file", observed=True).len.count()
    return per_file.compute()


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="directory of the Parquet dataset to write")
    parser.add_argument("dumps", nargs="+", help="tcpdump text files")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (default: a LocalCluster here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="LocalCluster workers")
    args = parser.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1))
    with client:
        results = explain_on_dask(args.dumps, args.out, client)
        lines = sum(r.lines for r in results)
        print(f"{len(results)} files, {lines:,} lines, {sum(r.segments for r in results):,} segments "
              f"into {args.out}/segments and {args.out}/connections")
        print(summary(args.out).to_string())


if __name__ == "__main__":
    main(sys.argv[1:])
