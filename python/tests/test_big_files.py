"""Files bigger than memory: iter_batches(), explain_file(keep="summary"), and
explain_file's warning before a whole trace would outgrow memory. (How
little memory they take is measured by python/bench/bench_pandas.py; here,
what they give, and that they work under an address-space limit the whole
trace would not fit in.)"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import tcpexplain
from conftest import ARTICLE, REPO

LOSSY = REPO / "tests" / "data" / "captures" / "fast_retransmission" / "nn.txt"
MANY = REPO / "tests" / "data" / "captures" / "reused_ports" / "nn.txt"


@pytest.mark.parametrize("path", [LOSSY, MANY, ARTICLE / "closing.txt"], ids=lambda p: p.parent.name)
@pytest.mark.parametrize("rows", [1, 7, 65_536])
def test_batches_give_the_rows_of_the_whole_trace(path: Path, rows: int) -> None:
    pa = pytest.importorskip("pyarrow")
    trace = tcpexplain.explain_file(path)
    reader = tcpexplain.iter_batches(path, rows=rows, text=True)
    batches = list(reader)
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert all(b.num_rows == rows for b in batches[:-1]) and 0 < batches[-1].num_rows <= rows
    whole = trace.to_arrow(text=True)
    assert pa.Table.from_batches(batches).to_pylist() == whole.to_pylist()
    assert reader.done and reader.lines == trace.lines
    # Each connection's summary once, as the whole trace has them.
    connections = reader.connections(text=True)
    assert connections.to_pylist() == trace.to_arrow(kind="connections", text=True).to_pylist()
    assert reader.connections().num_rows == 0
    with pytest.raises(StopIteration):
        next(reader)


def test_batches_pick_columns_and_refuse_unknown_ones() -> None:
    pytest.importorskip("pyarrow")
    (batch,) = tcpexplain.iter_batches(LOSSY, columns=["line", "in_flight"])
    assert batch.schema.names == ["line", "in_flight"]
    with pytest.raises(ValueError, match="no column"):
        tcpexplain.iter_batches(LOSSY, columns=["line", "from_"])
    with pytest.raises(ValueError, match="at least 1"):
        tcpexplain.iter_batches(LOSSY, rows=0)
    with pytest.raises(FileNotFoundError):
        tcpexplain.iter_batches("no/such/dump.txt")


def test_batches_refuse_binary_input(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pcap = tmp_path / "x.pcap"
    pcap.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    with pytest.raises(tcpexplain.BinaryInputError):
        tcpexplain.iter_batches(pcap)


def test_keep_summary_keeps_the_summaries_only() -> None:
    pytest.importorskip("pandas")
    whole = tcpexplain.explain_file(MANY)
    summary = tcpexplain.explain_file(MANY, keep="summary")
    assert summary.segments == [] and len(summary.connections) == len(whole.connections) >= 2
    assert summary.lines == whole.lines
    assert summary.connections_frame(text=True).equals(whole.connections_frame(text=True))
    assert len(summary.to_pandas()) == 0
    with pytest.raises(ValueError, match="keep must be"):
        tcpexplain.explain_file(MANY, keep="segments")


def big_dump(path: Path, segments: int) -> Path:
    """One long transfer: the client's data segments, each answered by an ACK."""
    head = (
        "10:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65535, "
        "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0\n"
        "10:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65535, "
        "options [mss 1460,sackOK,TS val 2 ecr 1,nop,wscale 7], length 0\n"
    )
    data = (
        "10:{m:02d}:{s:02d}.{u:06d} IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], seq {a}:{b}, ack 1, "
        "win 512, options [nop,nop,TS val {t} ecr 2], length 1000\n"
        "10:{m:02d}:{s:02d}.{v:06d} IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack {b}, "
        "win 512, options [nop,nop,TS val 3 ecr {t}], length 0\n"
    )
    with open(path, "w") as f:
        f.write(head)
        for i in range((segments - 2) // 2):
            micros = 200 + i * 50
            f.write(
                data.format(
                    m=micros // 60_000_000 % 60,
                    s=micros // 1_000_000 % 60,
                    u=micros % 1_000_000,
                    v=(micros + 20) % 1_000_000,
                    a=1 + i * 1000,
                    b=1001 + i * 1000,
                    t=10 + i,
                )
            )
    return path


def test_explain_file_warns_before_outgrowing_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = big_dump(tmp_path / "big.txt", 20_000)
    assert path.stat().st_size > tcpexplain._memory.SAMPLE
    monkeypatch.setattr(tcpexplain._memory, "available_memory", lambda: 3 << 20)
    with pytest.warns(tcpexplain.MemoryWarning, match="keep='summary'.*iter_batches.*explain_files") as caught:
        trace = tcpexplain.explain_file(path)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert len(trace.segments) == 20_000
    # Nothing to warn of: summaries only, or memory enough.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tcpexplain.explain_file(path, keep="summary")
        monkeypatch.setattr(tcpexplain._memory, "available_memory", lambda: 64 << 30)
        tcpexplain.explain_file(path)
        monkeypatch.setattr(tcpexplain._memory, "available_memory", lambda: None)
        tcpexplain.explain_file(path)


def test_available_memory_is_known_here() -> None:
    available = tcpexplain._memory.available_memory()
    assert available is None or available > 0


# A child that reads a big file under an address-space limit its whole trace
# would not fit in: explain_file warns first (raised here, so nothing is
# read), the file is read a chunk at a time and as summaries.
UNDER_LIMIT = textwrap.dedent(
    """
    import resource, sys, warnings
    import numpy  # the chunks' columns are NumPy arrays
    import tcpexplain
    from tcpexplain import _tcpexplain
    path, headroom = sys.argv[1], int(sys.argv[2])
    with open("/proc/self/status") as f:
        size = next(int(l.split()[1]) for l in f if l.startswith("VmSize:")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom, size + headroom))
    with warnings.catch_warnings():
        warnings.simplefilter("error", tcpexplain.MemoryWarning)
        try:
            tcpexplain.explain_file(path)
            print("no warning")
        except tcpexplain.MemoryWarning:
            print("warned")
    reader = _tcpexplain.FileBatches(path, 65536, ["line", "in_flight"])
    rows = 0
    while (columns := reader.next_chunk()) is not None:
        name, kind, dictionary, chunks = columns[0]
        rows += len(chunks[0][1])
    summary = tcpexplain.explain_file(path, keep="summary")
    print(rows, summary.lines, len(summary.connections), summary.connections[0].segments)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, sets RLIMIT_AS")
def test_a_file_bigger_than_the_memory_allowed(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    segments = 600_000
    path = big_dump(tmp_path / "big.txt", segments)
    headroom = 48 << 20  # the whole trace takes about 64 MB
    env = dict(os.environ, MALLOC_ARENA_MAX="1")
    done = subprocess.run(
        [sys.executable, "-c", UNDER_LIMIT, str(path), str(headroom)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    warned, counts = done.stdout.splitlines()
    assert warned == "warned"
    assert counts.split() == [str(segments), str(segments), "1", str(segments)]
