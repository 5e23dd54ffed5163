"""Issue 25, "hostile input, round two": the Python faults' repros, scaled down.

No assertion depends on the machine's speed: a child process is signalled
once it has provably reached a point (bytes it has read, a file it has open),
and waits are hang guards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import List

import pytest

import tcpexplain
from conftest import ARTICLE

CLOSE3 = (ARTICLE / "close3.txt").read_bytes()


def _big_file(path: Path) -> bytes:
    # Big enough to be read on two threads and not kept (>= 256 KiB).
    text = CLOSE3 * (400_000 // len(CLOSE3) + 1)
    path.write_bytes(text)
    return text


def _wait_for(what: str, predicate) -> None:  # type: ignore[no-untyped-def]
    # A hang guard: polls a condition the child reaches by itself.
    for _ in range(60_000):
        if predicate():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"never happened: {what}")


# A child that explains one file under an address-space limit, and says how
# the call ended ("interrupted" when the native function itself raised
# KeyboardInterrupt: the profile hook sees its "c_exception").
ENDLESS = textwrap.dedent(
    """
    import resource, signal, sys
    from tcpexplain import _tcpexplain
    # Ctrl-C as in a session, even if this test run was started with SIGINT
    # ignored (`nohup … &`), which Python would otherwise keep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    native = _tcpexplain.explain_file
    with open("/proc/self/status") as f:
        size = next(int(l.split()[1]) for l in f if l.startswith("VmSize:")) * 1024
    # Room for a few MiB of input kept, not for everything it gives.
    limit = size + (768 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    events = []
    def watch(frame, event, arg):
        if arg is native:
            events.append(event)
    print("ready", flush=True)
    sys.setprofile(watch)
    try:
        native(sys.argv[1])
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
    except MemoryError:
        outcome = "memory"
    sys.setprofile(None)
    print(outcome, ",".join(events), flush=True)
    """
)


def _bytes_read(pid: int) -> int:
    with open(f"/proc/{pid}/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def test_fault3_dev_zero_is_refused_at_once() -> None:
    # /dev/zero is not text: it is refused before anything is kept.
    with pytest.raises(tcpexplain.BinaryInputError) as info:
        tcpexplain.explain_file("/dev/zero")
    assert info.value.kind == "binary"


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs /proc/PID/io")
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_fault3_an_endless_line_keeps_little_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    # An endless line of text (`a` after `a`, no newline) from a pipe. Once
    # the child has read four times its room for growth (a count of bytes,
    # from /proc), Ctrl-C must stop the parse with KeyboardInterrupt: the
    # line is kept cut at 1 MiB, and the reader checks for signals while
    # bytes flow.
    fifo = tmp_path / "endless.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        ["sh", "-c", f"tr '\\000' a < /dev/zero > '{fifo}'"],
        stdin=subprocess.DEVNULL,
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", ENDLESS, str(fifo)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == ["ready"]
        _wait_for(
            "the child reads 3 GiB",
            lambda: proc.poll() is not None or _bytes_read(proc.pid) > 3 << 30,
        )
        assert proc.poll() is None, "the child ended by itself"
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()
        assert proc.wait(timeout=600) == 0, out
        assert out.split() == ["interrupted", "c_call,c_exception"]
    finally:
        writer.kill()
        writer.wait()


# Explains a big file in a child (so that a signal death fails the test
# instead of killing the test run) and cuts it short: while it is read
# (from another thread, once the parse has started), then after.
TRUNCATED = textwrap.dedent(
    """
    import os, sys, threading
    import tcpexplain
    from tcpexplain import _tcpexplain
    path = sys.argv[1]
    native = _tcpexplain.explain_file
    started = threading.Event()
    def watch(frame, event, arg):
        if arg is native and event == "c_call":
            started.set()
    def cut():
        started.wait()
        os.truncate(path, 0)
    threading.Thread(target=cut, daemon=True).start()
    sys.setprofile(watch)
    try:
        trace = tcpexplain.explain_file(path)
        during = "read"
    except OSError as e:
        trace, during = None, "error"
    sys.setprofile(None)
    # Then a whole read, and the file cut short after.
    with open(path, "wb") as f:
        f.write(bytes.fromhex(sys.argv[2]) * int(sys.argv[3]))
    trace = tcpexplain.explain_file(path)
    segment = trace.segments[-1]
    assert segment.raw
    os.truncate(path, 0)
    try:
        segment.raw
        after = "read"
    except OSError as e:
        after = "changed" if "changed" in str(e) else repr(e)
    print(during, after, flush=True)
    """
)


def test_fault4_file_cut_short_while_read_or_after(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    text = _big_file(path)
    done = subprocess.run(
        [sys.executable, "-c", TRUNCATED, str(path), CLOSE3.hex(), str(len(text) // len(CLOSE3))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    during, after = done.stdout.split()
    assert during in ("read", "error")
    assert after == "changed"


def test_fault15_file_rewritten_in_place_with_its_time_restored(tmp_path: Path) -> None:
    # The same length, the modification time set back: the status change
    # time (and what is read back) still tell that the file changed.
    path = tmp_path / "big.txt"
    text = _big_file(path)
    trace = tcpexplain.explain_file(path)
    segment = trace.segments[3]
    assert segment.raw == CLOSE3.decode().splitlines()[3]
    before = os.stat(path)
    banner = b"reading from file x.pcap, link-type EN10MB (Ethernet)"
    rewritten = b"\n".join(
        (banner + b" " * max(0, len(line) - len(banner)))[: len(line)] for line in text.split(b"\n")
    )
    assert len(rewritten) == len(text)
    with open(path, "r+b") as f:
        f.write(rewritten)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    with pytest.raises(OSError, match="changed"):
        segment.raw
    with pytest.raises(OSError, match="changed"):
        trace.segments[-1].record
    # (What the trace holds besides stays.)
    assert segment.text


@pytest.mark.skipif(sys.platform == "win32", reason="bytes file names")
def test_fault5_cli_reads_a_file_name_that_is_not_utf8(cli: List[str], tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/dump-\xff.txt"
    with open(name, "wb") as f:
        f.write(CLOSE3)
    for command in (cli, [sys.executable, "-m", "tcpexplain"]):
        done = subprocess.run(
            [*command, "--summary", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert b"connection 0" in done.stdout
