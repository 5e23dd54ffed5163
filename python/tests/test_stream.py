"""`tcpexplain.stream`: items as lines arrive, from a real pipe."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

import tcpexplain

# Prints the lines of a file; after each line number given, waits for a line
# on its standard input before going on (so that the test decides when the
# input continues, not a clock).
PRINTER = """
import sys
path, waits = sys.argv[1], {int(n) for n in sys.argv[2:]}
with open(path) as f:
    for n, line in enumerate(f, 1):
        sys.stdout.write(line)
        sys.stdout.flush()
        if n in waits:
            sys.stdin.readline()
"""

# How long a test waits for something that should happen at once before it
# gives up (a guard against hanging, never a measure of speed).
GUARD = 120.0


class Printer:
    def __init__(self, path: Path, *waits: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PRINTER, str(path), *map(str, waits)],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            text=True,
        )
        self.forced = False
        self.guard = threading.Timer(GUARD, self.force)
        self.guard.start()

    @property
    def stdout(self):  # type: ignore[no-untyped-def]
        assert self.proc.stdout is not None
        return self.proc.stdout

    def go(self) -> None:
        """Lets the printer go on past its next wait."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def force(self) -> None:
        # The test hangs: let every wait pass, so that it ends (and fails).
        self.forced = True
        for _ in range(20):
            self.go()

    def close(self) -> None:
        self.guard.cancel()
        self.proc.kill()
        self.proc.wait(timeout=30)


def states(items) -> List[tuple]:  # type: ignore[no-untyped-def]
    return [(i.line, i.client_state, i.server_state) for i in items if i.type == "segment"]


@pytest.mark.parametrize("hold", [None, 5.0])
def test_stream_over_a_pipe_matches_the_batch(article: Path, hold) -> None:  # type: ignore[no-untyped-def]
    path = article / "close3.txt"
    # The printer holds its output open after the last line until told.
    printer = Printer(path, 10)
    items = []
    before_the_end = None
    try:
        for item in tcpexplain.stream(printer.stdout, hold=hold):
            items.append(item)
            # A segment is settled by its answer, long before the input ends.
            if before_the_end is None:
                before_the_end = list(items)
                printer.go()
    finally:
        printer.close()
    assert not printer.forced, "the items waited for the end of the input"
    batch = tcpexplain.explain_file(path)
    assert [i.to_dict() for i in items] == [i.to_dict() for i in batch.items]
    assert states(items) == states(batch.items)
    assert states(items)[8] == (9, "LAST_ACK", "TIME_WAIT")
    assert before_the_end is not None and before_the_end[0].line == 1


def test_stream_releases_held_lines_when_the_input_pauses(article: Path) -> None:
    # The SYN's states wait for the server's answer; if the input pauses
    # longer than `hold`, the line is released. An unanswered SYN is not
    # assumed to have reached a listening socket: the server stays in the
    # LISTEN it was assumed in. The printer stops after line 1 until the
    # SYN has come out.
    printer = Printer(article / "close3.txt", 1)
    try:
        items = tcpexplain.stream(printer.stdout, hold=0.2)
        first = next(items)
        assert not printer.forced, "line 1 was not released while the input paused"
        assert first.type == "segment" and first.line == 1
        assert first.state == {"client": "SYN_SENT", "server": "LISTEN"}
        items.close()
    finally:
        printer.close()


def test_stream_without_hold_waits_for_the_answer(article: Path) -> None:
    # Without `hold`, line 1 comes out only once line 2 (its answer) has
    # been read: while the printer waits after line 1, nothing comes.
    printer = Printer(article / "close3.txt", 1)
    got: list = []
    try:
        items = tcpexplain.stream(printer.stdout, hold=None)
        consumer = threading.Thread(target=lambda: got.append(next(items)))
        consumer.start()
        consumer.join(timeout=1.0)
        assert got == [], "line 1 came out before its answer was read"
        printer.go()
        consumer.join(timeout=GUARD)
        assert got and got[0].type == "segment" and got[0].line == 1
        items.close()
    finally:
        printer.close()


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
