"""The analyst's tables: every column of the segments and connections, checked
against the command line's JSON Lines, the tshark oracle of the real
captures (tests/data/captures/*/oracle.tsv) and Wireshark's own analysis of
them (python/tests/data/wireshark, made by make.sh there); to_arrow(),
to_polars() and to_pandas() against each other."""

from __future__ import annotations

import csv
import json
import math
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import tcpexplain
from conftest import ARTICLE, REPO

CAPTURES = REPO / "tests" / "data" / "captures"
WIRESHARK = Path(__file__).resolve().parent / "data" / "wireshark"
CAPTURED = sorted(p.parent for p in CAPTURES.glob("*/oracle.tsv") if (p.parent / "nn.txt").exists())
LOSSY = CAPTURES / "fast_retransmission" / "nn.txt"
ARTICLES = sorted(ARTICLE.glob("*.txt"))
DUMPS = ARTICLES + [LOSSY]


def jsonl(cli: List[str], path: Path) -> List[Dict[str, Any]]:
    done = subprocess.run(
        [*cli, "--format", "jsonl", str(path)], stdout=subprocess.PIPE, check=True, timeout=120
    )
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def tsv(path: Path) -> List[Dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def number(text: str) -> Optional[float]:
    return float(text) if text != "" else None


def test_the_captures_are_there() -> None:
    assert len(CAPTURED) >= 30
    assert len(list(WIRESHARK.glob("*.tsv"))) == len(CAPTURED)


# -- segments: each column --------------------------------------------------


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.parent.name if p == LOSSY else p.name)
def test_segment_columns_say_what_the_jsonl_says(cli: List[str], path: Path) -> None:
    objects = [o for o in jsonl(cli, path) if o["type"] == "segment"]
    rows = tcpexplain.explain_file(path).to_dicts(text=True)
    assert len(rows) == len(objects) > 0
    for row, obj in zip(rows, objects):
        assert row["sender"] == row["from"] == obj["from"]
        assert row["events"] == [e["kind"] for e in obj["events"]]
        acked = obj["acked"]
        assert row["bytes_acked"] == (acked["bytes"] if acked else None)
        assert row["rtt"] == (acked.get("rtt") if acked else None)
        assert row["sack"] == [{"first": a, "last": b} for a, b in obj.get("sack", [])]
        offer = obj.get("offer") or {}
        assert (row["mss"], row["wscale"]) == (offer.get("mss"), offer.get("wscale"))
        assert row["window"] == obj["window"]
        assert row["text"] == obj["text"]
        for key in ("line", "conn", "flags", "seq", "ack", "seq_raw", "ack_raw", "len", "time"):
            assert row[key] == obj[key], key


def test_article_values() -> None:
    # close3.txt: the article's three-segment close, by hand.
    rows = tcpexplain.explain_file(ARTICLE / "close3.txt").to_dicts()
    syn, synack, ack = rows[0], rows[1], rows[2]
    # 12:43:46.905723, in seconds since midnight.
    assert syn["abs_time"] == pytest.approx(12 * 3600 + 43 * 60 + 46.905723, abs=1e-9)
    assert synack["abs_time"] - syn["abs_time"] == pytest.approx(synack["time"], abs=1e-9)
    assert (syn["tsval"], syn["tsecr"]) == (1412272238, 0)
    assert (synack["tsval"], synack["tsecr"]) == (1425611003, 1412272238)
    assert (syn["mss"], syn["wscale"]) == (1460, 7)
    assert (ack["mss"], ack["wscale"]) == (None, None)
    # The window as printed, and in bytes once both SYNs gave the scale (7).
    assert (syn["window_raw"], syn["window"]) == (14600, 14600)
    assert (ack["window_raw"], ack["window"]) == (115, 115 << 7)
    # The SYN-ACK's ACK covers the SYN (no data); the handshake ACK covers the SYN-ACK.
    assert (synack["bytes_acked"], synack["rtt"]) == (0, pytest.approx(0.000028, abs=1e-9))
    assert (ack["bytes_acked"], ack["rtt"]) == (0, pytest.approx(0.000236, abs=1e-9))
    assert syn["rtt"] is None and syn["bytes_acked"] is None
    # Line 4 carries 3 bytes, the first in flight; line 5 acknowledges them.
    assert (rows[3]["len"], rows[3]["in_flight"]) == (3, 3)
    assert (rows[4]["bytes_acked"], rows[4]["in_flight"]) == (3, None)
    assert all(r["sack"] == [] for r in rows)


def test_lossy_capture_values() -> None:
    rows = {r["line"]: r for r in tcpexplain.explain_file(LOSSY).to_dicts()}
    # Line 20: the first duplicate ACK, with the SACK block of what came after the loss.
    assert rows[20]["events"] == ["duplicate_ack"]
    assert rows[20]["sack"] == [{"first": 1465, "last": 1953}]
    assert rows[25]["sack"] == [{"first": 1465, "last": 3905}]
    # Line 23: the fast retransmission; in flight less what the SACK blocks hold.
    assert rows[23]["events"] == ["fast_retransmission", "retransmission"]
    assert (rows[23]["seq"], rows[23]["in_flight"]) == (977, 6833 - 977 - (2929 - 1465))
    # Line 39 acknowledges up to 6833: the retransmitted bytes and those SACKed.
    assert rows[39]["ack"] == 6833
    assert rows[39]["bytes_acked"] == 6833 - 977
    # The FIN with data: in flight less the FIN's own number.
    assert "F" in rows[46]["flags"] and rows[46]["in_flight"] == 3216


@pytest.mark.parametrize("capture", CAPTURED, ids=lambda p: p.name)
def test_segment_columns_against_tshark(capture: Path) -> None:
    oracle = {int(r["frame.number"]): r for r in tsv(capture / "oracle.tsv")}
    wireshark = {int(r["frame"]): r for r in tsv(WIRESHARK / f"{capture.name}.tsv")}
    trace = tcpexplain.explain_file(capture / "nn.txt")
    offsets = set()
    for row, segment in zip(trace.to_dicts(), trace.segments):
        frame = oracle[row["line"]]
        ws = wireshark[row["line"]]
        # What the line prints: timestamps option, window field, SYN options.
        assert row["tsval"] == (int(frame["tcp.options.timestamp.tsval"]) if frame["tcp.options.timestamp.tsval"] else None)
        assert row["tsecr"] == (int(frame["tcp.options.timestamp.tsecr"]) if frame["tcp.options.timestamp.tsecr"] else None)
        assert row["window_raw"] == int(frame["tcp.window_size_value"])
        if "S" in row["flags"]:
            assert row["mss"] == (int(frame["tcp.options.mss_val"]) if frame["tcp.options.mss_val"] else None)
            assert row["wscale"] == (int(frame["tcp.options.wscale.shift"]) if frame["tcp.options.wscale.shift"] else None)
        if row["window"] is not None and "S" not in row["flags"]:
            assert row["window"] == int(frame["tcp.window_size"]), row["line"]
        # The time printed is the capture's time of day: a fixed offset from the epoch.
        offsets.add(round(row["abs_time"] - float(frame["frame.time_epoch"]) % 86400, 6))
        # Bytes in flight: Wireshark's, exactly.
        assert row["in_flight"] == (int(ws["bytes_in_flight"]) if ws["bytes_in_flight"] else None), row["line"]
        # The round trip: Wireshark's, but for a segment sent more than once,
        # whose ACK answers the later copy (Wireshark times the first).
        rtt, theirs = row["rtt"], number(ws["ack_rtt"])
        if segment.acked and segment.acked.get("wireshark_line"):
            assert rtt is not None and theirs is not None and rtt < theirs
        else:
            assert (rtt is None) == (theirs is None), row["line"]
            if rtt is not None:
                assert rtt == pytest.approx(theirs, abs=1e-6)
    assert len(offsets) == 1


def test_time_and_abs_time_agree_per_connection() -> None:
    rows = tcpexplain.explain_file(CAPTURES / "reused_ports" / "nn.txt").to_dicts()
    starts: Dict[int, set] = {}
    for row in rows:
        starts.setdefault(row["conn"], set()).add(round(row["abs_time"] - row["time"], 6))
    assert len(starts) >= 2
    assert all(len(s) == 1 for s in starts.values())


@pytest.mark.parametrize(
    "stamp, seconds",
    [
        ("1515151515.000100", 1515151515.0001),  # -tt
        ("2018-01-05 11:25:15.000100", 1515151515.0001),  # -tttt: the date read as UTC
        ("23:59:59.999999", 86399.999999),  # the time of day
    ],
)
def test_abs_time_of_each_form(stamp: str, seconds: float) -> None:
    line = f"{stamp} IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n"
    (row,) = tcpexplain.explain(line).to_dicts()
    assert row["abs_time"] == pytest.approx(seconds, abs=1e-6)


def test_abs_time_goes_on_past_midnight() -> None:
    text = (
        "23:59:59.900000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n"
        "00:00:00.100000 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [S.], seq 9, ack 2, win 100, length 0\n"
    )
    first, second = tcpexplain.explain(text).to_dicts()
    assert second["abs_time"] - first["abs_time"] == pytest.approx(0.2, abs=1e-9)
    assert second["time"] == pytest.approx(0.2, abs=1e-9)


def test_rows_without_timestamps_or_options() -> None:
    rows = tcpexplain.explain(
        "IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n"
    ).to_dicts()
    assert rows[0]["abs_time"] is None and rows[0]["time"] is None
    assert (rows[0]["tsval"], rows[0]["mss"], rows[0]["window_raw"]) == (None, None, 100)


# -- pyarrow, polars and pandas agree -----------------------------------------


def test_arrow_schema() -> None:
    pa = pytest.importorskip("pyarrow")
    table = tcpexplain.explain_file(LOSSY).to_arrow(text=True)
    d8 = pa.dictionary(pa.int8(), pa.string())
    expected = {
        "line": pa.int64(),
        "conn": pa.uint32(),
        "from": d8,
        "sender": d8,
        "flags": pa.dictionary(pa.int16(), pa.string()),
        "seq": pa.uint32(),
        "ack": pa.uint32(),
        "seq_raw": pa.uint32(),
        "ack_raw": pa.uint32(),
        "len": pa.uint32(),
        "time": pa.float64(),
        "abs_time": pa.float64(),
        "window": pa.uint64(),
        "window_raw": pa.uint32(),
        "client_state": d8,
        "server_state": d8,
        "events": pa.list_(pa.string()),
        "rtt": pa.float64(),
        "bytes_acked": pa.uint32(),
        "in_flight": pa.uint32(),
        "sack": pa.list_(pa.struct([("first", pa.uint32()), ("last", pa.uint32())])),
        "tsval": pa.uint32(),
        "tsecr": pa.uint32(),
        "mss": pa.uint32(),
        "wscale": pa.uint32(),
        "text": pa.large_string(),
    }
    assert {f.name: f.type for f in table.schema} == expected
    assert table.column_names == list(tcpexplain._trace.COLUMNS) + ["text"]
    table.validate(full=True)
    assert table.column("from").chunk(0).dictionary.to_pylist() == ["client", "server"]
    assert table.column("client_state").chunk(0).dictionary.to_pylist()[0] == "CLOSED"


def test_arrow_lends_the_kept_buffers() -> None:
    # The kept columns are the trace's own memory: two tables share it, the
    # table keeps the trace alive, and nothing can write through it.
    pa = pytest.importorskip("pyarrow")
    np = pytest.importorskip("numpy")
    trace = tcpexplain.explain_file(LOSSY)
    first, second = trace.to_arrow(), trace.to_arrow()
    for name in ("line", "seq", "time", "abs_time", "tsval", "flags"):
        a = first.column(name).chunk(0)
        b = second.column(name).chunk(0)
        if name == "flags":
            a, b = a.indices, b.indices
        assert a.buffers()[1].address == b.buffers()[1].address, name
    for name in ("in_flight", "rtt", "events"):
        assert first.column(name).chunk(0).buffers()[1].address != second.column(name).chunk(0).buffers()[1].address
    seq = first.column("seq").chunk(0)
    view = np.frombuffer(seq.buffers()[1], dtype=np.uint32)
    assert not view.flags.writeable
    del trace, second
    import gc

    gc.collect()
    assert first.column("line").to_pylist()[:3] == [1, 2, 3]


def test_arrow_chunks_are_record_batches_of_65536_rows(article: Path) -> None:
    pytest.importorskip("pyarrow")
    trace = tcpexplain.explain((article / "close4.txt").read_text() * 6000)
    table = trace.to_arrow(["line", "in_flight", "text"])
    assert [b.num_rows for b in table.to_batches()] == [65536, 464]
    assert table.column("text").to_pylist() == [s.text for s in trace.segments]


def normal(value: Any) -> Any:
    """A cell as plain Python, NaN and NA as None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.parent.name if p == LOSSY else p.name)
@pytest.mark.parametrize("kind", ["segments", "connections"])
def test_arrow_polars_pandas_and_dicts_agree(path: Path, kind: str) -> None:
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    trace = tcpexplain.explain_file(path)
    table = trace.to_arrow(kind=kind, text=True)
    frame = trace.to_pandas(kind=kind, text=True)
    polars = trace.to_polars(kind=kind, text=True)
    assert table.column_names == list(frame.columns) == polars.columns
    arrow_rows = table.to_pylist()
    assert [normal(r) for r in frame.to_dict("records")] == [normal(r) for r in arrow_rows]
    assert [normal(r) for r in polars.to_dicts()] == [normal(r) for r in arrow_rows]
    if kind == "segments":
        assert [normal(r) for r in trace.to_dicts(text=True)] == [normal(r) for r in arrow_rows]
    # polars types follow Arrow's.
    schema = polars.schema
    if kind == "segments":
        assert schema["line"] == pl.Int64 and schema["seq"] == pl.UInt32
        assert schema["from"] == pl.Categorical and schema["events"] == pl.List(pl.String)
        assert schema["sack"] == pl.List(pl.Struct({"first": pl.UInt32, "last": pl.UInt32}))
    else:
        assert schema["conn"] == pl.UInt32 and schema["teardown"] == pl.Categorical
        assert schema["time_wait"] == pl.List(pl.String)
    assert isinstance(frame, pd.DataFrame)


def test_pandas_types() -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    df = tcpexplain.explain_file(LOSSY).to_pandas()
    dtypes = {name: str(dtype) for name, dtype in df.dtypes.items()}
    for name in ("line", "conn", "len"):
        assert dtypes[name] == "int64", name
    for name in ("seq", "ack", "window", "window_raw", "bytes_acked", "in_flight", "tsval", "tsecr", "mss", "wscale"):
        assert dtypes[name] == "Int64", name
    for name in ("time", "abs_time", "rtt"):
        assert dtypes[name] == "float64", name
    for name in ("from", "sender", "flags", "client_state", "server_state"):
        assert dtypes[name] == "category", name
    assert dtypes["events"].startswith("list<item: string>")
    assert list(df.loc[df.line == 23, "events"].item()) == ["fast_retransmission", "retransmission"]
    assert df.explode("events")["events"].value_counts()["duplicate_ack"] == 11
    assert (df.sender == df["from"]).all()


def test_missing_extras_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__
    missing = set()

    def importer(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in missing:
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", importer)
    trace = tcpexplain.explain_file(LOSSY)
    for module, call, extra in [
        ("pyarrow", trace.to_arrow, "arrow"),
        ("polars", trace.to_polars, "polars"),
        ("pandas", trace.connections_frame, "pandas"),
        ("matplotlib", lambda: trace.plot.tsg(0), "plot"),
        ("pyarrow", lambda: tcpexplain.iter_batches(LOSSY), "arrow"),
    ]:
        missing.clear()
        missing.add(module)
        with pytest.raises(ImportError, match=rf"pip install {module} \(or pip install 'tcpexplain\[{extra}\]'\)"):
            call()
    missing.clear()
    assert len(trace.to_dicts()) == 53  # no extra needed


# -- connections ------------------------------------------------------------


def flat(obj: Dict[str, Any], name: str) -> Any:
    """What the connections frame's column ``name`` says of a JSON Lines connection object."""
    if name.startswith(("events_", "problems_")):
        group, kind = name.split("_", 1)
        return obj.get(group, {}).get(kind, 0)
    if name == "problems":
        return sum(obj.get("problems", {}).values())
    if name == "icmp_errors":
        return len(obj.get("icmp_errors", []))
    if name.startswith("final_state_"):
        return obj["final_state"][name[len("final_state_"):]]
    if name.startswith("stall_"):
        return (obj.get("stall") or {}).get(name[len("stall_"):])
    if name in ("time_wait", "fins_inferred"):
        return obj.get(name, [])
    return obj.get(name)


@pytest.mark.parametrize("path", DUMPS + [c / "nn.txt" for c in CAPTURED], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_connections_frame_against_the_jsonl(cli: List[str], path: Path) -> None:
    pytest.importorskip("pandas")
    objects = [o for o in jsonl(cli, path) if o["type"] == "connection"]
    frame = tcpexplain.explain_file(path).connections_frame(text=True)
    assert len(frame) == len(objects)
    columns = list(frame.columns)
    assert columns == list(tcpexplain._trace.CONNECTION_COLUMNS) + ["text"]
    # Every field of the object has its column (nested ones flattened).
    known = set(columns) | {"final_state", "stall", "events", "problems"}
    for obj in objects:
        for key in obj:
            assert key == "type" or key in known, key
        for kind in obj.get("problems", {}):
            assert f"problems_{kind}" in columns, kind
        for kind in obj.get("events", {}):
            assert f"events_{kind}" in columns, kind
    for record, obj in zip(frame.to_dict("records"), objects):
        for name in columns:
            assert normal(record[name]) == normal(flat(obj, name)), name


def test_connections_frame_of_a_lossy_connection() -> None:
    pytest.importorskip("pandas")
    frame = tcpexplain.explain_file(LOSSY).to_pandas(kind="connections")
    (row,) = frame.to_dict("records")
    assert row["events_duplicate_ack"] == row["problems_duplicate_ack"] == 11
    assert row["events_fast_retransmission"] == 1
    assert row["problems"] == sum(v for k, v in row.items() if k.startswith("problems_"))
    assert str(frame.dtypes["teardown"]) == "category"
    assert str(frame.dtypes["segments"]) == "int64"
    assert str(frame.dtypes["stall_bytes"]) == "Int64"
    assert "text" not in frame.columns


# -- the Arrow PyCapsule interface ---------------------------------------------


def test_arrow_c_stream() -> None:
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    trace = tcpexplain.explain_file(LOSSY)
    assert pa.table(trace).equals(trace.to_arrow())
    assert pl.DataFrame(trace).shape == (53, len(tcpexplain._trace.COLUMNS))
