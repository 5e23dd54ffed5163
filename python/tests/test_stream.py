"""`tcpexplain.stream`: items as lines arrive, from a real pipe."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List

import pytest

import tcpexplain

# Prints the lines of a file one by one, with a pause after each.
PRINTER = """
import sys, time
path, pause = sys.argv[1], float(sys.argv[2])
with open(path) as f:
    for line in f:
        sys.stdout.write(line)
        sys.stdout.flush()
        time.sleep(pause)
"""


def printer(path: Path, pause: float) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, "-c", PRINTER, str(path), str(pause)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def states(items) -> List[tuple]:  # type: ignore[no-untyped-def]
    return [(i.line, i.client_state, i.server_state) for i in items if i.type == "segment"]


@pytest.mark.parametrize("hold", [None, 5.0])
def test_stream_over_a_pipe_matches_the_batch(article: Path, hold) -> None:  # type: ignore[no-untyped-def]
    path = article / "close3.txt"
    proc = printer(path, 0.05)
    arrivals = []
    items = []
    started = time.monotonic()
    try:
        assert proc.stdout is not None
        for item in tcpexplain.stream(proc.stdout, hold=hold):
            arrivals.append(time.monotonic() - started)
            items.append(item)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == 0
    batch = tcpexplain.explain_file(path)
    assert [i.to_dict() for i in items] == [i.to_dict() for i in batch.items]
    assert states(items) == states(batch.items)
    assert states(items)[8] == (9, "LAST_ACK", "TIME_WAIT")
    # Items came while the lines were still arriving (10 lines, 0.05 s apart),
    # not all at the end.
    assert len(arrivals) == 11
    assert arrivals[-1] - arrivals[0] >= 0.2


def test_stream_releases_held_lines_when_the_input_pauses(article: Path) -> None:
    # The SYN's states wait for the server's answer; if the input pauses
    # longer than `hold`, the line is released (delivery assumed).
    proc = printer(article / "close3.txt", 1.0)
    try:
        assert proc.stdout is not None
        items = tcpexplain.stream(proc.stdout, hold=0.2)
        started = time.monotonic()
        first = next(items)
        waited = time.monotonic() - started
        assert first.type == "segment" and first.line == 1
        assert first.state == {"client": "SYN_SENT", "server": "SYN_RECEIVED"}
        assert waited < 0.9, "line 1 should be released before line 2 arrives"
        items.close()
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_stream_without_hold_waits_for_the_answer(article: Path) -> None:
    proc = printer(article / "close3.txt", 0.4)
    try:
        assert proc.stdout is not None
        items = tcpexplain.stream(proc.stdout, hold=None)
        started = time.monotonic()
        first = next(items)
        waited = time.monotonic() - started
        assert first.type == "segment" and first.line == 1
        assert waited >= 0.3, "line 1 waits for line 2 (the SYN-ACK)"
        items.close()
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_stream_accepts_any_iterable(article: Path) -> None:
    lines = (article / "closing.txt").read_text().splitlines()
    batch = tcpexplain.explain_file(article / "closing.txt")
    for hold in (None, 0.2):
        got = list(tcpexplain.stream(lines, hold=hold))
        assert [i.to_dict() for i in got] == [i.to_dict() for i in batch.items]
    as_bytes = [line.encode() + b"\n" for line in lines]
    assert [i.to_dict() for i in tcpexplain.stream(as_bytes)] == [
        i.to_dict() for i in batch.items
    ]
    conn = [i for i in got if i.type == "connection"][0]
    assert conn.teardown == "simultaneous"
    assert conn.get_segments() == []


def test_stream_passes_on_errors_of_the_input() -> None:
    def broken() -> Iterator[str]:
        yield "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0"
        raise RuntimeError("the capture died")

    for hold in (None, 0.2):
        with pytest.raises(RuntimeError, match="the capture died"):
            list(tcpexplain.stream(broken(), hold=hold))


def test_stream_rejects_a_bad_hold() -> None:
    with pytest.raises(ValueError):
        next(tcpexplain.stream([], hold=0))


def test_stream_rejects_lines_of_other_types() -> None:
    with pytest.raises(TypeError):
        list(tcpexplain.stream([1, 2, 3], hold=None))  # type: ignore[list-item]
