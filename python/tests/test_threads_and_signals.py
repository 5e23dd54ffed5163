"""Long parses: the GIL is released while Rust works, and Ctrl-C interrupts them."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
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


def seconds_per_line() -> float:
    sample = make_text(TEMPLATE, 20_000)
    started = time.perf_counter()
    tcpexplain.explain(sample)
    return (time.perf_counter() - started) / 20_000


def test_made_text_is_explained_as_many_connections() -> None:
    trace = tcpexplain.explain(make_text(TEMPLATE, 33))
    assert [c.teardown for c in trace.connections] == ["four_way"] * 3
    assert trace.diagnostics == []


def test_gil_is_released_during_a_long_parse() -> None:
    lines = min(2_000_000, int(1.5 / seconds_per_line()))
    text = make_text(TEMPLATE, lines)
    result: dict = {}

    def work() -> None:
        started = time.perf_counter()
        result["trace"] = tcpexplain.explain(text)
        result["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=work)
    ticks = 0
    worker.start()
    while worker.is_alive():
        time.sleep(0.001)
        ticks += 1
    worker.join()
    assert result["trace"].lines == lines
    assert result["seconds"] > 0.5, result
    # With the GIL held by the parse, this thread could not run at all meanwhile.
    assert ticks >= 100 * result["seconds"] / 2, (ticks, result["seconds"])


CHILD = textwrap.dedent(
    """
    import sys, tempfile, time, os
    import tcpexplain
    {make_text}
    template = open(sys.argv[1]).read()
    how = sys.argv[2]
    sample = make_text(template, 20000)
    started = time.perf_counter()
    tcpexplain.explain(sample)
    per_line = (time.perf_counter() - started) / 20000
    n = min(3000000, int(6.0 / per_line))
    text = make_text(template, n)
    if how == "file":
        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        del text
    print("ready", n, n * per_line, flush=True)
    started = time.monotonic()
    try:
        if how == "file":
            tcpexplain.explain_file(path)
        else:
            tcpexplain.explain(text)
        print("finished", time.monotonic() - started, flush=True)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic() - started, flush=True)
    finally:
        if how == "file":
            os.unlink(path)
    """
).format(make_text=MAKE_TEXT)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
@pytest.mark.parametrize("how", ["text", "file"])
def test_ctrl_c_interrupts_a_long_parse(how: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ARTICLE / "close4.txt"), how],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        expected_seconds = float(ready[2])
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
        reacted = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    word, seconds = out.split()
    assert word == "interrupted", out
    # It stopped within a chunk, long before the parse would have ended.
    assert reacted < 3.0, (reacted, expected_seconds)
    assert float(seconds) < max(3.5, expected_seconds / 2), (seconds, expected_seconds)
    assert expected_seconds > 4.0
