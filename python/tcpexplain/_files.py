"""Many files at once, into Parquet: :func:`explain_files`."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, List, NamedTuple, Optional, Union

from ._batches import iter_batches
from ._columns import arrow_type, need
from ._tcpexplain import CONNECTION_COLUMNS, SEGMENT_COLUMNS

PathLike = Union[str, "os.PathLike[str]"]


class FileResult(NamedTuple):
    """What :func:`explain_files` made of one file."""

    #: The file, as given.
    path: str
    #: Its number: the name of its parts (``part-NNNNN.parquet``).
    number: int
    lines: int
    segments: int
    connections: int
    #: The Parquet files written: one row per segment, one per connection.
    segments_file: str
    connections_file: str


def schema(kind: str, text: bool = False) -> Any:
    """The Arrow schema of :func:`explain_files`' ``segments`` or
    ``connections`` files: ``file`` (dictionary-encoded), then the columns of
    :meth:`Trace.to_arrow` (``kind="segments"``) or of
    :meth:`Trace.connections_frame`."""
    pa = need("pyarrow", "explain_files()", "parquet")
    columns = list(SEGMENT_COLUMNS if kind == "segments" else CONNECTION_COLUMNS)
    columns = [(name, k) for name, k in columns if name != "text"]
    if text:
        columns.append(("text", "text" if kind == "segments" else "str"))
    fields = [pa.field("file", pa.dictionary(pa.int32(), pa.string()))]
    fields += [pa.field(name, arrow_type(pa, k)) for name, k in columns]
    return pa.schema(fields)


def _with_file(pa: Any, table_or_batch: Any, name: str, target: Any) -> Any:
    """``table_or_batch`` with the ``file`` column first, as ``target`` types it."""
    rows = table_or_batch.num_rows
    file = pa.DictionaryArray.from_arrays(
        pa.array([0] * rows, type=pa.int32()), pa.array([name], type=pa.string())
    )
    columns = [file] + [table_or_batch.column(i) for i in range(table_or_batch.num_columns)]
    if isinstance(table_or_batch, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(columns, schema=target)
    return pa.Table.from_arrays(columns, schema=target)


def _one(number: int, path: PathLike, out: Path, text: bool, rows: int, lang: Optional[str]) -> FileResult:
    pa = need("pyarrow", "explain_files()", "parquet")
    pq = need("pyarrow.parquet", "explain_files()", "parquet")
    name = os.fspath(path)
    part = f"part-{number:05d}.parquet"
    targets = {kind: out / kind / part for kind in ("segments", "connections")}
    # (Written under another name, then renamed: a file cut short by a
    # failure, or a task run twice, never shows as a part.)
    temporary = {kind: target.with_name(f".{target.name}.{os.getpid()}.tmp") for kind, target in targets.items()}
    segment_schema, connection_schema = schema("segments", text), schema("connections", text)
    reader = iter_batches(name, rows=rows, text=text, lang=lang)
    segments = connections = 0
    try:
        with pq.ParquetWriter(temporary["segments"], segment_schema) as seg_writer, pq.ParquetWriter(
            temporary["connections"], connection_schema
        ) as conn_writer:

            def write_connections() -> int:
                table = reader.connections(text)
                if table.num_rows:
                    conn_writer.write_table(_with_file(pa, table, name, connection_schema))
                return table.num_rows

            for batch in reader:
                seg_writer.write_batch(_with_file(pa, batch, name, segment_schema))
                segments += batch.num_rows
                connections += write_connections()
            connections += write_connections()
        for kind in targets:
            os.replace(temporary[kind], targets[kind])
    finally:
        for file in temporary.values():
            if file.exists():
                file.unlink()
    return FileResult(
        path=name,
        number=number,
        lines=reader.lines,
        segments=segments,
        connections=connections,
        segments_file=os.fspath(targets["segments"]),
        connections_file=os.fspath(targets["connections"]),
    )


def explain_files(
    paths: Iterable[PathLike],
    out: PathLike,
    *,
    workers: Optional[int] = None,
    start: int = 0,
    text: bool = False,
    rows: int = 65_536,
    lang: Optional[str] = None,
) -> List[FileResult]:
    """Explains many dump files into a Parquet dataset in directory ``out``.

    Each file gives ``out/segments/part-NNNNN.parquet`` (one row per segment:
    :meth:`Trace.to_arrow`'s columns) and ``out/connections/part-NNNNN.parquet``
    (one row per connection: :meth:`Trace.connections_frame`'s columns), where
    ``NNNNN`` is the file's place in ``paths`` counted from ``start``; both
    begin with the column ``file``, the path as given. ``text=True`` adds the
    explanations (in ``lang``, as for :func:`explain`). Read the dataset with ``pandas.read_parquet(out /
    "segments")``, ``polars.read_parquet``, ``duckdb``, or
    ``dask.dataframe.read_parquet``.

    Files are read ``rows`` segments at a time (see :func:`iter_batches`), so
    any file fits in memory, on ``workers`` threads (the number of CPUs by
    default): the work is done without the GIL, one file per thread. A part
    appears once complete (it is written under another name, then renamed),
    so a run stopped half way leaves whole parts only. To spread the files
    over machines, call this for each file with its number as ``start``:
    ``python/examples/dask_fleet.py`` does it on Dask.

    Returns what was made of each file (:class:`FileResult`), in order.
    Needs pyarrow (``pip install 'tcpexplain[parquet]'``).
    """
    need("pyarrow.parquet", "explain_files()", "parquet")
    out = Path(out)
    for kind in ("segments", "connections"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    jobs = list(enumerate(paths, start))
    if not jobs:
        return []
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if count == 1:
        return [_one(number, path, out, text, rows, lang) for number, path in jobs]
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="tcpexplain") as pool:
        return list(pool.map(lambda job: _one(job[0], job[1], out, text, rows, lang), jobs))
