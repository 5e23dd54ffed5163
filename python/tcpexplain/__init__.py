"""Explains TCP conversations from tcpdump's text output, line by line.

The engine is written in Rust; this package is its Python face.

>>> import tcpexplain
>>> trace = tcpexplain.explain(
...     "12:43:46.905723 IP 10.0.0.1.41334 > 10.0.0.2.80: Flags [S], seq 100, win 14600, length 0\\n"
...     "12:43:46.905751 IP 10.0.0.2.80 > 10.0.0.1.41334: Flags [S.], seq 900, ack 101, win 14480, length 0\\n"
...     "12:43:46.905987 IP 10.0.0.1.41334 > 10.0.0.2.80: Flags [.], ack 901, win 115, length 0\\n"
... )
>>> [s.state for s in trace.segments][-1]
{'client': 'ESTABLISHED', 'server': 'ESTABLISHED'}
>>> trace.connections[0].handshake
'complete'

Entry points:

- :func:`explain` (a text) and :func:`explain_file` (a path) return a :class:`Trace`,
  whose tables are :meth:`Trace.to_pandas`, :meth:`Trace.connections_frame`,
  :meth:`Trace.to_arrow` and :meth:`Trace.to_polars`, and whose plots are
  ``trace.plot.tsg(conn)``, ``.rtt``, ``.window``, ``.inflight``;
- :func:`iter_batches` reads a file of any size a record batch at a time, and
  :func:`explain_files` many files into Parquet;
- :func:`stream` explains lines as they arrive (a pipe from ``tcpdump -l``);
- :func:`parse_line` reads one line into its record, or raises :class:`ParseError`;
- :class:`Explainer` is the engine itself, one line at a time.

In notebooks, :class:`Trace`, :class:`Connection` and :class:`Segment` show
as tables with the ladder diagram (HTML, no script).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union

from . import _tcpexplain
from ._batches import BatchReader, iter_batches
from ._files import FileResult, explain_files
from ._memory import MemoryWarning, warn_if_too_big
from ._plot import Plot
from ._stream import stream
from ._tcpexplain import (
    BinaryInputError,
    Connection,
    Diagnostic,
    Explainer,
    OtherLine,
    ParseError,
    Segment,
    __version__,
)
from ._trace import Item, Trace

__all__ = [
    "BatchReader",
    "BinaryInputError",
    "Connection",
    "Diagnostic",
    "Explainer",
    "FileResult",
    "Item",
    "MemoryWarning",
    "OtherLine",
    "ParseError",
    "Plot",
    "Segment",
    "Trace",
    "__version__",
    "explain",
    "explain_file",
    "explain_files",
    "iter_batches",
    "parse_line",
    "stream",
]


def explain(text: Union[str, bytes], *, lang: Optional[str] = None) -> Trace:
    """Explains a whole tcpdump text output.

    ``lang`` is the language of the words (explanations, summaries, the
    notebook display): ``"en"`` (the default), ``"zh-Hans"`` or
    ``"zh-Hant"`` (also ``"zh"``, ``"zh-CN"``, ``"zh-TW"``). The facts
    (states, events, codes, :meth:`Segment.to_dict` apart from ``text``) are
    the same in every language.

    ``text`` is ``str``, or ``bytes`` (decoded as UTF-8, invalid bytes
    replaced). Lines that cannot be read are not errors: they are kept in
    :attr:`Trace.diagnostics`; lines that are not tcpdump's (prompts,
    comments, prose pasted along) are items of type ``"other_text"``. Bytes
    that are not text (a pcap file's) raise :class:`BinaryInputError`. The
    work is done without the GIL, and Ctrl-C interrupts it.

    >>> trace = explain(
    ...     "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\\n"
    ...     "12:00:00.000001 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq ?\\n"
    ... )
    >>> trace.segments[0].client_state, trace.segments[0].server_state
    ('SYN_SENT', 'LISTEN')
    >>> trace.diagnostics[0].line, trace.diagnostics[0].column, trace.diagnostics[0].expected
    (2, 58, '`, win N`')
    """
    return Trace(_tcpexplain.explain(text, lang))


def explain_file(
    path: Union[str, "os.PathLike[str]"], *, keep: str = "all", lang: Optional[str] = None
) -> Trace:
    """Reads and explains a file of tcpdump text output (e.g. ``tcpdump -nn -r x.pcap > dump.txt``).

    Raises :class:`FileNotFoundError` (or another :class:`OSError`) when the
    file cannot be read, and :class:`BinaryInputError` (a :class:`ValueError`)
    when it is not text: a capture file (run ``tcpdump -nn -r FILE`` on it),
    a compressed file. The file is read and explained without the GIL (one
    thread reads and follows the connections while another keeps what they
    give), and Ctrl-C interrupts it, also while a pipe is awaited or silent.
    A big file is not kept in memory: a segment's ``raw`` lines and
    ``record`` are read again from it when asked, and raise :class:`OSError`
    once the file has changed (explain it again then); everything else the
    trace holds stays. A pipe or device is kept as read, each line cut at
    1 MiB: an endless line of text keeps 1 MiB and reads on until
    Ctrl-C.

    The trace keeps each segment's facts in columns, about 110 bytes a
    segment (the explanations are written from them when asked). Before
    reading a file whose trace would take more than half the memory
    available, this warns (:class:`MemoryWarning`); ``keep="summary"`` keeps
    only the connections' summaries (memory then grows with the connections,
    not the segments), and :func:`iter_batches` and :func:`explain_files`
    read a file of any size. ``lang`` as for :func:`explain`.

    >>> explain_file("no/such/dump.txt")
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] No such file or directory: 'no/such/dump.txt'
    """
    if keep not in ("all", "summary"):
        raise ValueError(f"keep must be 'all' or 'summary', not {keep!r}")
    if keep == "all":
        warn_if_too_big(path)
    return Trace(_tcpexplain.explain_file(path, keep == "summary", lang))


def parse_line(text: Union[str, bytes]) -> Dict[str, Any]:
    """Parses one line of tcpdump output into its record, as a dict.

    The dict is the record model as the Rust engine serialises it: ``type``
    (``"tcp"``, ``"other"``, ``"banner"``, or ``"other_text"`` for a line
    that is not tcpdump's, with its ``kind``) and that kind's fields. TCP
    records also carry ``flag_letters`` (the flags as tcpdump prints them;
    ``flags`` itself is the bit set). Raises :class:`ParseError` (a
    :class:`ValueError`) with ``line``, ``column`` and ``expected`` when the
    line cannot be read.

    >>> record = parse_line("12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0")
    >>> record["type"], record["src"], record["flag_letters"], record["length"]
    ('tcp', {'host': '10.0.0.1', 'port': '5000'}, 'S', 0)
    >>> try:
    ...     parse_line("12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq x")
    ... except ParseError as e:
    ...     print(e.column, e.expected)
    58 `, win N`
    """
    return _tcpexplain.parse_line(text)
