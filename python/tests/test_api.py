"""The API's contract: parse_line, errors, the typed objects, tables, the low-level Explainer."""

from __future__ import annotations

import doctest
import math
import os
from pathlib import Path
from typing import List

import pytest

import tcpexplain
import tcpexplain._stream
import tcpexplain._trace
from conftest import ARTICLE, REPO

SYN = "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0"


def test_parse_line_gives_the_record() -> None:
    record = tcpexplain.parse_line(SYN)
    assert record["type"] == "tcp"
    assert record["src"] == {"host": "10.0.0.1", "port": "5000"}
    assert record["dst"] == {"host": "10.0.0.2", "port": "80"}
    assert record["flag_letters"] == "S"
    assert record["seq"] == {"first": 1, "last": None}
    assert record["win"] == 100
    assert record["length"] == 0
    # A trailing newline (as from a file) is fine; bytes too.
    assert tcpexplain.parse_line(SYN + "\n") == record
    assert tcpexplain.parse_line(SYN.encode()) == record


def test_parse_line_reads_one_record() -> None:
    with pytest.raises(ValueError, match="one record"):
        tcpexplain.parse_line(SYN + "\n" + SYN)


def test_parse_line_other_kinds() -> None:
    udp = tcpexplain.parse_line("12:00:00.000000 IP 10.0.0.1.53 > 10.0.0.2.5353: UDP, length 12")
    assert udp["type"] == "other"
    assert udp["protocol"] == "UDP"
    banner = tcpexplain.parse_line("listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes")
    assert banner["type"] == "banner"
    # A line that is not tcpdump's at all is not an error: it has a kind.
    prose = tcpexplain.parse_line("this is not tcpdump output")
    assert prose == {"type": "other_text", "kind": "prose", "text": "this is not tcpdump output"}
    assert tcpexplain.parse_line("# the handshake")["kind"] == "comment"


@pytest.mark.parametrize(
    "garbage",
    [
        "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq x",
        "12:00:00.000000 IP 10.0.0.1.5000 > : Flags [S], seq 1, win 1, length 0",
        "",
    ],
)
def test_parse_line_raises_parse_error(garbage: str) -> None:
    with pytest.raises(tcpexplain.ParseError) as info:
        tcpexplain.parse_line(garbage)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.line == 1
    assert isinstance(err.column, int) and err.column >= 1
    assert isinstance(err.expected, str) and err.expected
    assert err.text == garbage
    assert f"column {err.column}" in str(err)
    assert err.expected in str(err)


def test_parse_error_points_at_the_bad_column() -> None:
    line = "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq x"
    with pytest.raises(tcpexplain.ParseError) as info:
        tcpexplain.parse_line(line)
    # The column is 1-based and at or before the unreadable `x`.
    assert 1 <= info.value.column <= line.index("x") + 1
    assert info.value.column > line.index("Flags")


def test_explain_file_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(FileNotFoundError) as info:
        tcpexplain.explain_file(missing)
    assert info.value.filename == str(missing)
    assert info.value.errno == 2


def test_explain_file_on_a_directory_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        tcpexplain.explain_file(tmp_path)


def test_explain_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        tcpexplain.explain(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tcpexplain.parse_line(None)  # type: ignore[arg-type]


BINARIES = {
    "pcap": bytes([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0]) + bytes(16),
    "pcap-be": bytes([0xA1, 0xB2, 0xC3, 0xD4, 0, 2, 0, 4]) + bytes(16),
    "pcap-ns": bytes([0x4D, 0x3C, 0xB2, 0xA1, 2, 0, 4, 0]) + bytes(16),
    "pcapng": bytes([0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A]),
    "gzip": bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]),
    "zstd": bytes([0x28, 0xB5, 0x2F, 0xFD, 0x24, 0]),
}


@pytest.mark.parametrize("name", sorted(BINARIES))
def test_binary_input_raises_binary_input_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"capture.{name}"
    path.write_bytes(BINARIES[name])
    kind = {"pcap-be": "pcap", "pcap-ns": "pcap"}.get(name, name)
    with pytest.raises(tcpexplain.BinaryInputError) as info:
        tcpexplain.explain_file(path)
    assert info.value.kind == kind
    assert str(info.value).startswith(f"{path}: ")
    assert isinstance(info.value, ValueError)
    if kind.startswith("pcap"):
        assert f"tcpdump -nn -r {path} | tcpexplain" in str(info.value)
    with pytest.raises(tcpexplain.BinaryInputError):
        tcpexplain.explain(BINARIES[name])


def test_lines_that_are_not_tcpdumps_are_items_of_their_own() -> None:
    trace = tcpexplain.explain(f"$ curl -s http://10.0.0.2/\n{SYN}\nthis is not tcpdump\n...\n")
    others = [(o.type, o.line, o.kind) for o in trace.others]
    assert others == [
        ("other_text", 1, "command"),
        ("other_text", 3, "prose"),
        ("other_text", 4, "elision"),
    ]
    assert [s.line for s in trace.segments] == [2]
    assert trace.others[1].to_dict() == {
        "type": "other_text",
        "line": 3,
        "kind": "prose",
        "text": "this is not tcpdump",
    }


def test_unreadable_lines_become_diagnostics() -> None:
    bad = "12:00:00.000001 IP 10.0.0.1.5000 > : Flags [S], seq 1, win 1, length 0"
    trace = tcpexplain.explain(f"{SYN}\n{bad}\n{SYN.replace('seq 1', 'seq 5')}\n")
    (diag,) = trace.diagnostics
    assert diag.type == "unparsed"
    assert diag.line == 2
    assert diag.column >= 1
    assert diag.expected
    assert diag.text == bad
    assert diag.to_dict() == {
        "type": "unparsed",
        "line": 2,
        "column": diag.column,
        "expected": diag.expected,
        "text": bad,
    }
    err = diag.to_error()
    assert isinstance(err, tcpexplain.ParseError)
    assert (err.line, err.column, err.expected) == (2, diag.column, diag.expected)
    assert [s.line for s in trace.segments] == [1, 3]


def test_icmp_errors_name_the_segment_they_report() -> None:
    # A real capture: a SYN towards a network the router has no route to.
    trace = tcpexplain.explain_file(REPO / "tests" / "data" / "icmp" / "nn_v.txt")
    errors = [o for o in trace.others if o.icmp is not None]
    assert len(errors) == 6
    first = errors[0]
    assert first.protocol == "ICMP"
    icmp = first.icmp
    assert icmp == first.to_dict()["icmp"]
    assert icmp["problem"] == "host_unreachable"
    assert icmp["conn"] == 0 and icmp["from"] == "client"
    assert icmp["segment"] == {"line": 1, "syn": True, "fin": False, "len": 0}
    assert icmp["undelivered"] and not icmp["inferred"]  # tied to the quoted header
    assert "never reached the server" in icmp["text"]
    # The SYN never arrived, so the server never left LISTEN.
    assert trace.connections[0].to_dict()["final_state"]["server"] == "LISTEN"
    assert all(o.icmp is None for o in trace.others if o.protocol != "ICMP" and o.protocol != "ICMP6")


def test_empty_input() -> None:
    trace = tcpexplain.explain("")
    assert len(trace) == 0
    assert trace.lines == 0
    assert trace.segments == [] and trace.connections == [] and trace.diagnostics == []
    assert trace.to_dicts() == []
    assert trace.to_jsonl() == ""


def test_items_are_in_output_order_and_typed(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close3.txt")
    kinds = [item.type for item in trace]
    assert kinds == ["segment"] * 10 + ["connection"]
    assert len(trace) == 11
    assert isinstance(trace.items[0], tcpexplain.Segment)
    assert isinstance(trace.items[-1], tcpexplain.Connection)
    seg = trace.segments[3]
    assert (seg.line, seg.from_, seg.flags, seg.seq, seg.ack, seg.len) == (4, "client", "P.", 1, 1, 3)
    assert (seg.seq_raw, seg.ack_raw) == (3255498565, 4195434199)
    assert seg.raw.startswith("4 12:43:46.906031 IP 172.16.196.142.41334 > ")
    assert seg.record["type"] == "tcp"
    assert seg.record["flag_letters"] == "P."
    assert seg.record["length"] == 3
    assert seg.to_dict()["from"] == "client"
    assert "from_" not in seg.to_dict()
    assert repr(seg).startswith("Segment(line=4, conn=0, from_='client', flags='P.'")
    conn = trace.connection(0)
    assert conn.to_dict() == trace.connections[0].to_dict()
    assert repr(conn).startswith("Connection(conn=0, ")
    with pytest.raises(KeyError):
        trace.connection(99)


def test_to_dicts_rows(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close3.txt")
    rows = trace.to_dicts()
    assert len(rows) == 10
    assert list(rows[0]) == list(tcpexplain._trace.COLUMNS)
    row = rows[8]
    assert row["line"] == 9
    assert row["from"] == "client"
    assert row["flags"] == "F."
    assert (row["client_state"], row["server_state"]) == ("LAST_ACK", "TIME_WAIT")
    assert row["events"] == ["fin_acks_fin"]
    assert row["sender"] == row["from"]
    assert rows[0]["ack"] is None
    assert rows[0]["events"] == [] and rows[0]["sack"] == []
    assert isinstance(row["time"], float)
    assert "text" not in row
    with_text = trace.to_dicts(text=True)
    assert [r["text"] for r in with_text] == [s.text for s in trace.segments]


def test_to_pandas_types_and_values(article: Path) -> None:
    pd = pytest.importorskip("pandas")
    trace = tcpexplain.explain_file(article / "close4.txt")
    df = trace.to_pandas()
    assert list(df.columns) == list(tcpexplain._trace.COLUMNS)
    assert len(df) == 11
    dtypes = {name: str(dtype) for name, dtype in df.dtypes.items()}
    assert dtypes["line"] == dtypes["conn"] == dtypes["len"] == "int64"
    for name in ("seq", "ack", "seq_raw", "ack_raw", "window"):
        assert dtypes[name] == "Int64", name
    assert dtypes["time"] == "float64"
    for name in ("from", "sender", "flags", "client_state", "server_state"):
        assert dtypes[name] == "category", name
    # Values equal the rows of to_dicts() (None ↔ <NA>).
    for record, row in zip(df.to_dict("records"), trace.to_dicts()):
        for key, value in row.items():
            got = record[key]
            if isinstance(value, list):
                assert list(got) == value, key
            elif value is None:
                assert got is None or got is pd.NA or (isinstance(got, float) and math.isnan(got)), key
            else:
                assert got == value, key
    assert df.loc[df.line == 10, "server_state"].item() == "LAST_ACK"
    assert df["seq"].isna().sum() == sum(1 for s in trace.segments if s.seq is None)
    assert (df["from"] == "client").sum() == 6


def test_to_pandas_text_with_and_without_pyarrow(monkeypatch: pytest.MonkeyPatch, article: Path) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    trace = tcpexplain.explain_file(article / "closing.txt")
    texts = [s.text for s in trace.segments]
    assert any("→" in t for t in texts)  # multi-byte text crosses the buffers intact
    arrow = trace.to_pandas(text=True)
    assert str(arrow["text"].dtype) in ("str", "string")  # Arrow-backed, no object per row
    monkeypatch.setattr(tcpexplain._columns, "_has_pyarrow", lambda: False)
    plain = trace.to_pandas(text=True)
    assert arrow["text"].tolist() == plain["text"].tolist() == texts
    # Without pyarrow, the lists are tuples.
    assert [list(e) for e in plain["events"]] == [list(e) for e in arrow["events"]]
    assert [list(s) for s in plain["sack"]] == [[(b["first"], b["last"]) for b in s] for s in arrow["sack"]]
    lists = ["text", "events", "sack"]
    assert arrow.drop(columns=lists).equals(plain.drop(columns=lists))


def test_to_pandas_text_across_chunks(article: Path) -> None:
    # The Arrow text column comes in chunks of 65,536 rows, written from the
    # facts when asked: every row must still hold its own segment's text.
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    trace = tcpexplain.explain((article / "close4.txt").read_text() * 6000)
    texts = [s.text for s in trace.segments]
    assert len(texts) == 66_000
    df = trace.to_pandas(columns=["line", "text"])
    assert df["text"].tolist() == texts
    assert df["line"].tolist() == [s.line for s in trace.segments]


def test_to_pandas_reads_the_trace_without_changing_it(article: Path) -> None:
    # The DataFrame reads the trace's own buffers: changing it leaves the
    # trace, and the next DataFrame, as they were.
    pytest.importorskip("pandas")
    trace = tcpexplain.explain_file(article / "close3.txt")
    first = trace.to_pandas(text=True)
    seq, text = first.loc[0, "seq"], first.loc[0, "text"]
    first.loc[0, "seq"] = 12345
    first.loc[0, "text"] = "changed"
    first["line"] += 1
    again = trace.to_pandas(text=True)
    assert again.loc[0, "seq"] == seq == trace.segments[0].seq
    assert again.loc[0, "text"] == text == trace.segments[0].text
    assert again["line"].tolist() == [s.line for s in trace.segments]
    assert first.loc[0, "seq"] == 12345


def test_to_pandas_picks_columns(article: Path) -> None:
    pytest.importorskip("pandas")
    trace = tcpexplain.explain_file(article / "close3.txt")
    df = trace.to_pandas(columns=["server_state", "line"])
    assert list(df.columns) == ["server_state", "line"]
    assert df.iloc[8].tolist() == ["TIME_WAIT", 9]
    full = trace.to_pandas()
    assert df["line"].tolist() == full["line"].tolist()
    with pytest.raises(ValueError, match="unknown columns"):
        trace.to_pandas(columns=["line", "from_"])


def test_to_pandas_without_timestamps_gives_nan_time() -> None:
    pytest.importorskip("pandas")
    trace = tcpexplain.explain(
        "IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n"
        "IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [S.], seq 9, ack 2, win 100, length 0\n"
    )
    df = trace.to_pandas()
    assert df["time"].isna().all()
    assert [s.time for s in trace.segments] == [None, None]


def test_to_pandas_names_pandas_when_missing(monkeypatch: pytest.MonkeyPatch, article: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    trace = tcpexplain.explain_file(article / "close3.txt")
    with pytest.raises(ImportError, match="pip install pandas"):
        trace.to_pandas()
    assert len(trace.to_dicts()) == 10  # still fine without pandas


def test_low_level_explainer(article: Path) -> None:
    explainer = tcpexplain.Explainer()
    items = []
    for line in (article / "close3.txt").read_text().splitlines(keepends=True):
        explainer.push_line(line)
        while True:
            item = explainer.next_item()
            if item is None:
                break
            items.append(item)
    assert explainer.next_item() is None
    explainer.finish()
    items.extend(explainer.drain())
    assert explainer.lines == 10
    batch = tcpexplain.explain_file(article / "close3.txt")
    assert [i.to_dict() for i in items] == [i.to_dict() for i in batch.items]


def test_explainer_push_splits_text_holding_several_lines(article: Path) -> None:
    explainer = tcpexplain.Explainer()
    items = explainer.push((article / "closing.txt").read_text())
    explainer.finish()
    items += explainer.drain()
    assert explainer.lines == 4
    assert [i.to_dict() for i in items] == [
        i.to_dict() for i in tcpexplain.explain_file(article / "closing.txt").items
    ]


def test_crlf_and_invalid_utf8_are_read_like_the_cli() -> None:
    bad = b"12:00:00.000001 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq \xff\xfe, win 1, length 0"
    trace = tcpexplain.explain((SYN + "\r\n").encode() + bad + b"\r\n")
    assert trace.segments[0].flags == "S"
    assert trace.segments[0].raw == SYN
    (diag,) = trace.diagnostics
    assert diag.text == bad.decode("utf-8", errors="replace")


def test_objects_outlive_their_trace(article: Path) -> None:
    seg = tcpexplain.explain_file(article / "close3.txt").segments[8]
    import gc

    gc.collect()
    assert seg.state == {"client": "LAST_ACK", "server": "TIME_WAIT"}


@pytest.mark.parametrize(
    "module",
    [tcpexplain, tcpexplain._trace, tcpexplain._stream],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the examples name relative paths that must not exist
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_stub_and_marker_are_installed() -> None:
    package = Path(tcpexplain.__file__).parent
    assert (package / "py.typed").is_file()
    stub = (package / "_tcpexplain.pyi").read_text()
    for name in ("class Segment", "class Connection", "class ParseError", "def explain_file", "def cli_main"):
        assert name in stub
    native = tcpexplain._tcpexplain
    assert native.__name__ == "tcpexplain._tcpexplain"
    assert os.path.basename(native.__file__).startswith("_tcpexplain")


def _line_by_line(text: bytes) -> List[tcpexplain.Segment]:
    """The segments of `text` pushed line by line to an Explainer (which keeps every record's text)."""
    lines = text.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()  # (The text ends with a newline: no line after it.)
    explainer = tcpexplain.Explainer()
    for line in lines:
        explainer.push_line(line)
    explainer.finish()
    return [item for item in explainer.drain() if isinstance(item, tcpexplain.Segment)]


def _renderings() -> List[Path]:
    data = REPO / "tests" / "data"
    return sorted(data.glob("captures/*/nn*.txt")) + sorted(data.glob("tcpdump/*.out"))


def _same_raw_and_record_as_line_by_line(path: Path) -> int:
    # A whole trace keeps its input, not each segment's lines: `raw` and
    # `record` are read again from it, and must be what a line-by-line reading
    # gives (the streaming Explainer keeps every record's own text).
    text = path.read_bytes()
    expected = [(s.line, s.raw, s.record) for s in _line_by_line(text)]
    for trace in (tcpexplain.explain_file(path), tcpexplain.explain(text)):
        assert [(s.line, s.raw, s.record) for s in trace.segments] == expected, path
    return len(expected)


@pytest.mark.parametrize("path", _renderings(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_segment_raw_is_its_lines_as_read(path: Path) -> None:
    assert _same_raw_and_record_as_line_by_line(path) > 0


def test_segment_raw_is_its_lines_as_read_in_tcpdumps_own_tests() -> None:
    # Every rendering of tcpdump's test suite in ../shared (tunnels, -A/-X
    # dumps, -v headers on their own lines, ...), when it is beside the checkout.
    corpus = REPO.parent / "shared" / "corpus" / "tcpdump-tests"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus/tcpdump-tests not present")
    outputs = sorted(corpus.rglob("*.out"))
    assert sum(_same_raw_and_record_as_line_by_line(p) for p in outputs) > 1000


def test_segment_raw_in_a_big_trace_read_on_two_threads(tmp_path: Path) -> None:
    # Inputs of 256 KiB and more are parsed on a second thread; CRLF line ends
    # and bytes that are not UTF-8 come back as a line-by-line reading gives them.
    one = (REPO / "tests" / "data" / "captures" / "four_way" / "nn_v.txt").read_bytes()
    text = (one.replace(b"\n", b"\r\n") + b"bad \xff line\n") * (300_000 // len(one) + 1)
    assert len(text) > 256 << 10
    path = tmp_path / "big.txt"
    path.write_bytes(text)
    expected = [(s.line, s.raw) for s in _line_by_line(text)]
    trace = tcpexplain.explain_file(path)
    assert [(s.line, s.raw) for s in trace.segments] == expected
    assert trace.segments[-1].record == tcpexplain.parse_line(trace.segments[-1].raw)


def test_a_big_file_changed_after_it_was_read(tmp_path: Path) -> None:
    # A big file is read where it lies, and a segment's lines are read again
    # from it when asked: once the file has changed, asking raises, and
    # everything else the trace holds is still there.
    one = (REPO / "tests" / "data" / "article" / "close3.txt").read_bytes()
    text = one * (300_000 // len(one) + 1)
    path = tmp_path / "big.txt"
    path.write_bytes(text)
    trace = tcpexplain.explain_file(path)
    segment = trace.segments[7]
    assert segment.raw == one.decode().splitlines()[7]
    path.write_bytes(text[: len(text) // 2])  # cut short, as `tcpdump > file` would
    with pytest.raises(OSError, match="changed"):
        segment.raw
    with pytest.raises(OSError, match="changed"):
        trace.segments[-1].record
    assert segment.text and segment.ack_raw is not None
    assert trace.to_text(head=3, tail=3).startswith("Trace: ")
    assert tcpexplain.explain(text).to_jsonl() == trace.to_jsonl()
