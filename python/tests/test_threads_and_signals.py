"""Long parses: the GIL is released while Rust works, and Ctrl-C interrupts them.

No assertion here depends on how fast the machine is: each test orders events
(a signal sent while the parse is provably running; an input that cannot end
before the signal) and checks what happened, never how long it took.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import tcpexplain
from conftest import ARTICLE

# Builds `n` lines: copies of the article's four-segment close, each its own connection.
MAKE_TEXT = textwrap.dedent(
    """
    def make_text(template, n):
        lines = template.splitlines()
        out = []
        i = 0
        while len(out) < n:
            host = "10.%d.%d.%d.41424" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            out.extend(line.replace("172.16.196.142.41424", host) for line in lines)
            i += 1
        return "\\n".join(out[:n]) + "\\n"
    """
)

namespace: dict = {}
exec(MAKE_TEXT, namespace)
make_text = namespace["make_text"]
TEMPLATE = (ARTICLE / "close4.txt").read_text()


def test_made_text_is_explained_as_many_connections() -> None:
    trace = tcpexplain.explain(make_text(TEMPLATE, 33))
    assert [c.teardown for c in trace.connections] == ["four_way"] * 3
    assert trace.diagnostics == []


def test_gil_is_released_while_a_file_is_read() -> None:
    # The file is a pipe that this process writes, from another Python thread,
    # while explain_file reads it: the parse cannot end before the writer has
    # written every line and closed the pipe, which it can only do if the
    # parse let go of the GIL.
    text = make_text(TEMPLATE, 50_000)
    read, write = os.pipe()
    written = threading.Event()

    def writer() -> None:
        with os.fdopen(write, "w") as pipe:
            pipe.write(text)
        written.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        trace = tcpexplain.explain_file(f"/dev/fd/{read}")
    finally:
        os.close(read)
    thread.join()
    assert written.is_set()
    assert trace.lines == 50_000
    assert trace.diagnostics == []


def test_gil_is_released_while_a_text_is_parsed() -> None:
    # Another thread counts its turns while the parse is running (between the
    # call and the return of the native function). With the GIL held by the
    # parse, it would get no turn at all until the parse returned. If the
    # parse ends before the counter has had its turns, the input is doubled
    # and the parse tried again: what is checked is the order, not a speed.
    native = tcpexplain._tcpexplain.explain
    lines = 100_000
    while True:
        text = make_text(TEMPLATE, lines)
        inside = threading.Event()
        returned = threading.Event()
        turns_inside = []

        def watch(frame, event, arg):  # type: ignore[no-untyped-def]
            if arg is native and event == "c_call":
                inside.set()
            elif arg is native and event in ("c_return", "c_exception"):
                returned.set()

        def parse() -> None:
            sys.setprofile(watch)
            try:
                native(text)
            finally:
                sys.setprofile(None)

        worker = threading.Thread(target=parse)
        worker.start()
        inside.wait()
        turns = 0
        while not returned.is_set() and turns < 20:
            threading.Event().wait(0.0001)  # gives the GIL up, takes it back
            turns += not returned.is_set()
        turns_inside.append(turns)
        worker.join()
        if turns >= 20:
            return
        assert lines < 6_400_000, f"the parse never ran beside this thread: {turns_inside}"
        lines *= 2


# Runs one parse in a child process and says how it ended: "interrupted" when
# the native function itself raised KeyboardInterrupt (the profile hook sees
# its "c_exception"), "finished" when it returned a trace.
CHILD = textwrap.dedent(
    """
    import os, signal, sys, threading
    import tcpexplain
    from tcpexplain import _tcpexplain
    # Ctrl-C as in a session, even if this test run was started with SIGINT
    # ignored (`nohup … &`), which Python would otherwise keep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    {make_text}
    how, source = sys.argv[1], sys.argv[2]
    native = _tcpexplain.explain_file if how == "file" else _tcpexplain.explain
    events = []
    started = threading.Event()

    def watch(frame, event, arg):
        if arg is native:
            events.append(event)
            if event == "c_call":
                started.set()

    def interrupt():
        # Runs once the parse has started and let go of the GIL.
        started.wait()
        os.kill(os.getpid(), signal.SIGINT)

    if how == "text":
        text = make_text(open(source).read(), int(sys.argv[3]))
        threading.Thread(target=interrupt, daemon=True).start()
    print("ready", flush=True)
    sys.setprofile(watch)
    try:
        native(text if how == "text" else source)
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
    sys.setprofile(None)
    print(outcome, ",".join(events), flush=True)
    """
).format(make_text=MAKE_TEXT)


def run_child(*args: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def ending(proc: "subprocess.Popen[str]") -> list:
    assert proc.stdout is not None
    out = proc.stdout.read()
    assert proc.wait(timeout=600) == 0, out
    return out.split()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_interrupts_a_long_parse_of_a_text() -> None:
    # The signal is sent by another thread of the child once the parse has
    # started. Should the parse win that race and return first, the test
    # tries again with twice the input: on any machine, the signal lands
    # inside the parse at last, and the parse must then stop with
    # KeyboardInterrupt instead of returning.
    lines = 100_000
    while True:
        proc = run_child("text", str(ARTICLE / "close4.txt"), str(lines))
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == ["ready"]
        word, events = ending(proc)
        if word == "interrupted":
            assert events == "c_call,c_exception", "raised by the parse itself"
            return
        # The parse returned before the signal could be sent.
        assert events == "c_call,c_return", (word, events)
        assert lines < 6_400_000, "the signal never reached a running parse"
        lines *= 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_ctrl_c_interrupts_a_parse_of_a_pipe_that_never_ends(tmp_path: Path) -> None:
    # explain_file reads a named pipe that this test keeps writing: the parse
    # cannot end by itself. The signal is sent once the child has read more
    # than a pipe's buffer holds (so the parse is running).
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    proc = run_child("file", str(fifo))
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["ready"]
    chunk = make_text(TEMPLATE, 10_000).encode()
    with open(fifo, "wb", buffering=0) as pipe:
        for _ in range(4):
            pipe.write(chunk)
        proc.send_signal(signal.SIGINT)
        try:
            # Until the child stops reading. A cap (200 MB, fifteen times what
            # is read between two checks for signals) instead of a clock, in
            # case it never does: the parse then ends, and "finished" fails.
            for _ in range(100):
                pipe.write(chunk)
        except BrokenPipeError:
            pass
    assert ending(proc) == ["interrupted", "c_call,c_exception"]


def _has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (from /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        links = [os.readlink(fd) for fd in fds.iterdir()]
    except OSError:
        return False
    return str(path) in links


def _wait_for(what: str, predicate) -> None:  # type: ignore[no-untyped-def]
    # A hang guard: polls a condition that the child reaches by itself.
    # Nothing is measured; the limit only turns a hang into a failure.
    for _ in range(60_000):
        if predicate():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_ctrl_c_interrupts_a_wait_for_a_pipes_first_writer(tmp_path: Path) -> None:
    # Issue 25, fault 3: a named pipe that nobody opens for writing. The
    # child's explain_file has the pipe open (seen in /proc: opening did not
    # block, and the parse is running) when the signal is sent; it must
    # raise KeyboardInterrupt from inside the parse.
    fifo = (tmp_path / "capture.fifo").resolve()
    os.mkfifo(fifo)
    proc = run_child("file", str(fifo))
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["ready"]
    _wait_for("explain_file opens the pipe", lambda: _has_open(proc.pid, fifo))
    proc.send_signal(signal.SIGINT)
    assert ending(proc) == ["interrupted", "c_call,c_exception"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_ctrl_c_interrupts_a_parse_of_a_silent_pipe(tmp_path: Path) -> None:
    # Issue 25, fault 3: the writer writes a few lines, then keeps the pipe
    # open without writing (a quiet `tcpdump -l`). The signal is sent once
    # the child has the pipe open and has read all that was written (the
    # pipe holds no byte), so the parse is waiting for more.
    import fcntl
    import termios

    fifo = (tmp_path / "capture.fifo").resolve()
    os.mkfifo(fifo)
    proc = run_child("file", str(fifo))
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["ready"]
    _wait_for("explain_file opens the pipe", lambda: _has_open(proc.pid, fifo))
    with open(fifo, "wb", buffering=0) as pipe:
        pipe.write(TEMPLATE.encode()[:2000])
        waiting = bytearray(4)

        def drained() -> bool:
            fcntl.ioctl(pipe.fileno(), termios.FIONREAD, waiting)
            return int.from_bytes(waiting, sys.byteorder) == 0

        _wait_for("the child reads what was written", drained)
        proc.send_signal(signal.SIGINT)
        assert ending(proc) == ["interrupted", "c_call,c_exception"]
