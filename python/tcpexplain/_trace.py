"""The result of explaining a whole text: :class:`Trace`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._tcpexplain import COLUMNS as _COLUMNS
from ._tcpexplain import Connection, Diagnostic, OtherLine, Segment, TraceData

if TYPE_CHECKING:  # pragma: no cover
    import pandas

#: One explained item: a segment, a connection summary, an unreadable line, or another line.
Item = Union[Segment, Connection, Diagnostic, OtherLine]

#: The table's columns, in order (see :meth:`Trace.to_pandas`).
COLUMNS = tuple(_COLUMNS)


class Trace:
    """Everything explained in one text, in input order.

    - :attr:`segments`: one :class:`Segment` per TCP line (the JSON Lines
      ``"segment"`` objects);
    - :attr:`connections`: one :class:`Connection` summary per connection;
    - :attr:`diagnostics`: the lines that could not be read (:class:`Diagnostic`);
    - :attr:`others`: lines of other protocols, tcpdump's own messages and lines
      that are not tcpdump's (prompts, comments, prose pasted along);
    - :attr:`items`: all of them, in the order the engine gives them
      (``tcpexplain --format jsonl`` prints the same objects in the same order).

    Lists are made on first use and kept. Each object's ``to_dict()`` is its
    JSON Lines object exactly; :meth:`to_dicts` and :meth:`to_pandas` give one
    flat row per segment.

    >>> import tcpexplain
    >>> trace = tcpexplain.explain(
    ...     "1 12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\\n"
    ...     "2 12:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [R.], seq 0, ack 2, win 0, length 0\\n"
    ... )
    >>> trace
    <Trace: 2 lines, 2 TCP segments, 1 connection, 0 unparsed lines, 0 other lines>
    >>> trace.connections[0].teardown
    'refused'
    >>> trace.to_dicts()[1]["from"], trace.to_dicts()[1]["flags"]
    ('server', 'R.')
    """

    __slots__ = ("_data", "_items", "_segments", "_connections", "_diagnostics", "_others")

    def __init__(self, data: TraceData) -> None:
        self._data = data
        self._items: Optional[List[Item]] = None
        self._segments: Optional[List[Segment]] = None
        self._connections: Optional[List[Connection]] = None
        self._diagnostics: Optional[List[Diagnostic]] = None
        self._others: Optional[List[OtherLine]] = None

    # -- the items ---------------------------------------------------------

    @property
    def lines(self) -> int:
        """Number of input lines read."""
        return self._data.lines

    @property
    def items(self) -> List[Item]:
        """Every item, in output order (segments and other lines in input
        order, each connection's summary once it is over)."""
        if self._items is None:
            self._items = self._data.items()
        return self._items

    @property
    def segments(self) -> List[Segment]:
        """One :class:`Segment` per TCP line, in input order."""
        if self._segments is None:
            self._segments = self._data.segments()
        return self._segments

    @property
    def connections(self) -> List[Connection]:
        """The connection summaries, in the order the connections ended."""
        if self._connections is None:
            self._connections = self._data.connections()
        return self._connections

    @property
    def diagnostics(self) -> List[Diagnostic]:
        """The lines that could not be read: ``line``, ``column``, ``expected``, ``text``."""
        if self._diagnostics is None:
            self._diagnostics = self._data.diagnostics()
        return self._diagnostics

    @property
    def others(self) -> List[OtherLine]:
        """Lines that are not TCP segments: other protocols, tcpdump's own messages."""
        if self._others is None:
            self._others = self._data.others()
        return self._others

    def connection(self, conn: int) -> Connection:
        """The summary of connection number ``conn`` (0-based, as in ``Segment.conn``).

        Raises :class:`KeyError` when there is no such connection.
        """
        found = self._data.connection(conn)
        if found is None:
            raise KeyError(conn)
        return found

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    # -- data work ---------------------------------------------------------

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per segment, with the columns of :meth:`to_pandas`.

        The sender is under the key ``"from"`` (the attribute is ``from_``,
        as ``from`` is a Python keyword); ``events`` is the event kinds joined
        by commas (``""`` when none); missing values are ``None``. For the
        full JSON Lines objects use ``[s.to_dict() for s in trace.segments]``.
        """
        return self._data.rows()

    def to_pandas(self, columns: Optional[Sequence[str]] = None) -> "pandas.DataFrame":
        """The segments as a :class:`pandas.DataFrame`, one row per segment.

        Columns and dtypes: ``line``, ``conn``, ``len`` (int64); ``seq``,
        ``ack``, ``seq_raw``, ``ack_raw``, ``window`` (nullable Int64);
        ``time`` (float64, seconds since the connection's first line, NaN when
        the text has no timestamps); ``from``, ``flags``, ``client_state``,
        ``server_state``, ``events`` (category; ``events`` is the event kinds
        joined by commas, ``""`` when none); ``text`` (the explanation, str:
        Arrow-backed, without a Python object per row, when pyarrow is
        installed; Python strings otherwise).

        ``columns`` picks some of them, in the order given (without pyarrow,
        leaving out ``text`` saves a Python string per segment).

        The Rust engine writes the table, the explanations too, while the
        trace is read; here the DataFrame gets copies of its numbers and reads
        the text where it lies, so this is fast for millions of segments.
        Changing the DataFrame leaves the trace as it is. pandas is optional
        (``pip install tcpexplain[pandas]``): it is imported here, and a clear
        :class:`ImportError` is raised when it is missing.
        """
        try:
            import numpy as np
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Trace.to_pandas() needs pandas: pip install pandas "
                "(or pip install 'tcpexplain[pandas]'); Trace.to_dicts() works without it"
            ) from e
        wanted = list(COLUMNS) if columns is None else list(columns)
        unknown = [name for name in wanted if name not in COLUMNS]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; the columns are {list(COLUMNS)}")
        data: Dict[str, Any] = {}
        arrow_text = "text" in wanted and _has_pyarrow()
        for name, column in self._data.columns("text" in wanted, arrow_text):
            if name not in wanted:
                continue
            spec: Any = column
            kind = spec[0]
            if kind in ("int64", "float64"):
                data[name] = spec[1]
            elif kind == "Int64":
                data[name] = pd.arrays.IntegerArray(spec[1], spec[2])
            elif kind == "category":
                data[name] = pd.Categorical.from_codes(spec[1], categories=spec[2])
            elif kind == "utf8":
                data[name] = _arrow_strings(pd, np, spec[1])
            else:
                data[name] = np.array(spec[1], dtype=object)
        return pd.DataFrame(data, columns=wanted, copy=False)

    def to_jsonl(self) -> str:
        """The JSON Lines text, as ``tcpexplain --format jsonl`` writes it for the same input."""
        return self._data.jsonl()

    # -- display -----------------------------------------------------------

    def to_html(
        self,
        head: Optional[int] = 20,
        tail: int = 20,
        max_connections: Optional[int] = 10,
    ) -> str:
        """An HTML fragment: per connection the ladder diagram (inline SVG),
        the table of lines and the summary; then the lines that were not TCP.

        Tables longer than ``head + tail`` rows keep the first ``head`` and
        the last ``tail`` rows; ``head=None`` keeps every row. At most
        ``max_connections`` connections are shown (``None``: all). Every
        string from the input is escaped; there is no script.
        """
        return self._data.html(head, tail, max_connections)

    def to_text(self, head: Optional[int] = 20, tail: int = 20) -> str:
        """The text the command line prints, cut to the first ``head`` and last
        ``tail`` items (``head=None``: all)."""
        return self._data.text(head, tail)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> Dict[str, str]:
        return {"text/plain": self.to_text(), "text/html": self.to_html()}

    def __repr__(self) -> str:
        return f"<Trace: {self._data.headline()}>"


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _arrow_strings(pd: Any, np: Any, chunks: List[Tuple[Any, Any]]) -> Any:
    """A pandas string array over Arrow buffers, one chunk per (int64 offsets,
    UTF-8 bytes) pair, without copying them."""
    import pyarrow as pa

    array = pa.chunked_array(
        [
            pa.LargeStringArray.from_buffers(
                len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
            )
            for offsets, data in chunks
        ],
        type=pa.large_string(),
    )
    try:
        # pandas' own `str` dtype (the default for strings from pandas 3 on).
        dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pragma: no cover - pandas before 2.3
        dtype = pd.StringDtype("pyarrow")
    return pd.array(array, dtype=dtype)
