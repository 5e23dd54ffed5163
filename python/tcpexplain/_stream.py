"""Explaining lines as they arrive: :func:`stream`."""

from __future__ import annotations

import queue
import threading
from typing import Generator, Iterable, Optional, Union

from ._tcpexplain import Explainer
from ._trace import Item

_END = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def stream(
    lines: Iterable[Union[str, bytes]], *, hold: Optional[float] = 0.2, lang: Optional[str] = None
) -> Generator[Item, None, None]:
    """Explains lines as they arrive, yielding each item once it is settled.

    ``lines`` is any iterable of ``str`` (or ``bytes``) lines, with or without
    their newlines: a list, an open file, or the output of a live capture::

        import subprocess, tcpexplain
        proc = subprocess.Popen(["tcpdump", "-l", "-nn", "-i", "any", "tcp"],
                                stdout=subprocess.PIPE, text=True)
        for item in tcpexplain.stream(proc.stdout):
            if item.type == "segment":
                print(item.line, item.state, item.text)

    Items are the same objects as in a :class:`Trace` (:class:`Segment`,
    :class:`Connection`, :class:`Diagnostic`, :class:`OtherLine`), in the same
    order as :func:`explain` gives them. A line's states depend on what the
    other end sends next, so each segment is yielded once that answer has
    arrived (or the input ends). A connection's summary is yielded once the
    connection is over and quiet; it has no ``get_segments()`` history.

    ``hold``: when the input pauses for this many seconds, lines still waiting
    for an answer are released, assuming delivery on arrival (as the command
    line does with ``--hold``). This reads ``lines`` in a background thread.
    ``hold=None`` reads in the calling thread and never guesses: every item is
    then exactly as :func:`explain` would give it. ``lang`` as for
    :func:`explain`.

    >>> lines = [
    ...     "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0",
    ...     "12:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [S.], seq 7, ack 2, win 100, length 0",
    ... ]
    >>> [(item.type, item.line if item.type == "segment" else item.conn) for item in stream(lines, hold=None)]
    [('segment', 1), ('segment', 2), ('connection', 0)]
    """
    explainer = Explainer(lang)
    if hold is None:
        for line in lines:
            yield from explainer.push(line)
        explainer.finish()
        yield from explainer.drain()
        return
    if hold <= 0:
        raise ValueError("hold must be a positive number of seconds, or None")

    pending: "queue.Queue[object]" = queue.Queue(maxsize=4096)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                pending.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for line in lines:
                if not put(line):
                    return
        except BaseException as e:  # handed to the consuming thread
            put(_Failed(e))
        else:
            put(_END)

    thread = threading.Thread(target=pump, name="tcpexplain-stream", daemon=True)
    thread.start()
    try:
        while True:
            try:
                value = pending.get(timeout=hold)
            except queue.Empty:
                explainer.flush()
                yield from explainer.drain()
                continue
            if value is _END:
                break
            if isinstance(value, _Failed):
                raise value.error
            yield from explainer.push(value)  # type: ignore[arg-type]
        explainer.finish()
        yield from explainer.drain()
    finally:
        stop.set()
