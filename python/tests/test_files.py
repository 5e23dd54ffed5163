"""Many files at once: explain_files() into Parquet, and the same on a Dask
cluster (python/examples/dask_fleet.py on a LocalCluster of 2 workers)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, List

import pytest

import tcpexplain
from conftest import REPO

CAPTURES = sorted(p for p in (REPO / "tests" / "data" / "captures").glob("*/nn.txt"))
FLEET = CAPTURES[:20]
EXAMPLE = REPO / "python" / "examples" / "dask_fleet.py"

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def rows(table: Any) -> List[dict]:
    return table.to_pylist()


def test_there_are_twenty_files() -> None:
    assert len(FLEET) == 20


def test_explain_files_writes_a_part_per_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    results = tcpexplain.explain_files(FLEET, out, workers=2)
    assert [r.path for r in results] == [str(p) for p in FLEET]
    assert [r.number for r in results] == list(range(20))
    for result, path in zip(results, FLEET):
        trace = tcpexplain.explain_file(path)
        segments = pq.read_table(result.segments_file)
        connections = pq.read_table(result.connections_file)
        assert Path(result.segments_file).name == f"part-{result.number:05d}.parquet"
        assert set(segments.column("file").to_pylist()) <= {str(path)}
        assert (result.lines, result.segments, result.connections) == (
            trace.lines,
            len(trace.segments),
            len(trace.connections),
        )
        assert rows(segments.drop(["file"])) == rows(trace.to_arrow())
        assert rows(connections.drop(["file"])) == rows(trace.to_arrow(kind="connections"))
        assert segments.schema == tcpexplain._files.schema("segments")
    # Nothing else was left in the directories.
    assert sorted(p.name for p in (out / "segments").iterdir()) == [f"part-{i:05d}.parquet" for i in range(20)]
    # The dataset reads as one table, the file a column.
    pd = pytest.importorskip("pandas")
    whole = pd.read_parquet(out / "segments")
    assert len(whole) == sum(r.segments for r in results)
    assert whole["file"].nunique() == 20


def test_explain_files_on_one_thread_or_two_is_the_same(tmp_path: Path) -> None:
    one = tcpexplain.explain_files(FLEET[:4], tmp_path / "one", workers=1, rows=5, text=True)
    two = tcpexplain.explain_files(FLEET[:4], tmp_path / "two", workers=2, text=True)
    for a, b in zip(one, two):
        assert rows(pq.read_table(a.segments_file)) == rows(pq.read_table(b.segments_file))
        assert rows(pq.read_table(a.connections_file)) == rows(pq.read_table(b.connections_file))
    assert "text" in pq.read_table(one[0].segments_file).column_names
    assert "text" in pq.read_table(one[0].connections_file).column_names


def test_explain_files_numbers_from_start_and_leaves_no_part_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (result,) = tcpexplain.explain_files([FLEET[0]], out, start=7)
    assert Path(result.segments_file).name == "part-00007.parquet"
    with pytest.raises(FileNotFoundError):
        tcpexplain.explain_files([tmp_path / "missing.txt"], out, start=8)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    (nothing,) = tcpexplain.explain_files([empty], out, start=9)
    assert (nothing.segments, nothing.connections) == (0, 0)
    assert pq.read_table(nothing.segments_file).schema == tcpexplain._files.schema("segments")
    assert sorted(p.name for p in (out / "segments").iterdir()) == ["part-00007.parquet", "part-00009.parquet"]
    assert tcpexplain.explain_files([], out) == []


def load_example(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("dask_fleet", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "dask_fleet", module)
    spec.loader.exec_module(module)
    return module


def test_dask_local_cluster_gives_the_rows_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    example = load_example(monkeypatch)
    one = tmp_path / "one"
    tcpexplain.explain_files(FLEET, one)
    many = tmp_path / "many"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as tasks:
            results = example.explain_on_dask(FLEET, many, client)
        assert len(client.scheduler_info()["workers"]) == 2
        assert len({t["worker"] for t in tasks.data}) == 2  # both did some
        assert [r.path for r in results] == [str(p) for p in FLEET]
        per_file = example.summary(many)
    for kind in ("segments", "connections"):
        a = pd.read_parquet(one / kind)
        b = pd.read_parquet(many / kind)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b)
        assert sorted(p.name for p in (one / kind).iterdir()) == sorted(p.name for p in (many / kind).iterdir())
    assert per_file["segments"].sum() == sum(r.segments for r in results)
    assert len(per_file) == 20
