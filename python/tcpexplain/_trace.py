"""The result of explaining a whole text: :class:`Trace`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._columns import arrow_table, need, pandas_frame
from ._tcpexplain import CONNECTION_COLUMNS as _CONNECTION_COLUMNS
from ._tcpexplain import SEGMENT_COLUMNS as _SEGMENT_COLUMNS
from ._tcpexplain import Connection, Diagnostic, OtherLine, Segment, TraceData

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars
    import pyarrow

    from ._plot import Plot

#: One explained item: a segment, a connection summary, an unreadable line, or another line.
Item = Union[Segment, Connection, Diagnostic, OtherLine]

#: The segments' columns, in order (see :meth:`Trace.to_pandas`; ``text`` is
#: given when asked for).
COLUMNS = tuple(name for name, _ in _SEGMENT_COLUMNS)

#: The connections' columns, in order (see :meth:`Trace.connections_frame`).
CONNECTION_COLUMNS = tuple(name for name, _ in _CONNECTION_COLUMNS if name != "text")


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

    def to_dicts(self, text: bool = False) -> List[Dict[str, Any]]:
        """One dict per segment, with the columns of :meth:`to_pandas`.

        The sender is under the keys ``"from"`` and ``"sender"`` (the
        attribute is ``from_``, as ``from`` is a Python keyword); ``events``
        is the list of event kinds, ``sack`` the list of SACK blocks, each
        ``{"first": .., "last": ..}``; missing values are ``None`` (the rows
        of ``to_arrow().to_pylist()``). ``text=True`` adds the
        explanation (written now: the trace keeps the facts, not the words).
        For the full JSON Lines objects use ``[s.to_dict() for s in trace.segments]``.
        """
        return self._data.rows(text)

    def _specs(
        self, kind: str, columns: Optional[Sequence[str]], text: bool, pandas: bool = False
    ) -> Tuple[List[Any], List[str]]:
        """The native columns asked for (``pandas``: numbers joined into one
        array each, as pandas takes them), and their order."""
        if kind == "segments":
            known = list(COLUMNS) + ["text"]
            wanted = list(COLUMNS) if columns is None else list(columns)
        elif kind == "connections":
            known = list(CONNECTION_COLUMNS) + ["text"]
            wanted = list(CONNECTION_COLUMNS) if columns is None else list(columns)
        else:
            raise ValueError(f"kind must be 'segments' or 'connections', not {kind!r}")
        if text and "text" not in wanted:
            wanted.append("text")
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; the columns are {known}")
        if kind == "segments":
            if pandas:
                return list(self._data.pandas_columns(wanted)), wanted
            return list(self._data.segment_columns(wanted)), wanted
        specs = [s for s in self._data.connection_columns("text" in wanted) if s[0] in wanted]
        return specs, wanted

    def to_pandas(
        self,
        columns: Optional[Sequence[str]] = None,
        *,
        kind: str = "segments",
        text: bool = False,
    ) -> "pandas.DataFrame":
        """The segments (or, with ``kind="connections"``, the connections:
        see :meth:`connections_frame`) as a :class:`pandas.DataFrame`, one
        row per segment.

        Columns and dtypes:

        - ``line``, ``conn``, ``len`` (int64): the input line, the connection
          (0-based, as in :meth:`connections_frame`), the payload bytes;
        - ``from`` and ``sender`` (category: ``client``, ``server``; the same
          column under a name that is not a Python keyword), ``flags``
          (category, as tcpdump prints them), ``client_state`` and
          ``server_state`` (category, RFC 9293's states in their order);
        - ``seq``, ``ack`` (nullable Int64, relative: ISN = 0 as Wireshark
          counts), ``seq_raw``, ``ack_raw`` (as printed, absolute);
        - ``time`` (float64, seconds since the connection's first line) and
          ``abs_time`` (float64, the time the line printed, in seconds: since
          the epoch for ``-tt`` and ``-tttt``, since midnight for the usual
          time of day; NaN when the text has no timestamps);
        - ``window`` (Int64, the receive window in bytes once the scale is
          known), ``window_raw`` (Int64, the window field as printed);
        - ``events`` (the event kinds, a list per row);
        - ``rtt`` (float64, seconds from the segment this ACK newly
          acknowledges to the ACK), ``bytes_acked`` (Int64, data bytes it
          newly acknowledges), ``in_flight`` (Int64, bytes sent and not yet
          acknowledged, on segments that carry data: Wireshark's
          ``bytes_in_flight``);
        - ``sack`` (the SACK blocks, a list of ``(first, last)`` per row,
          relative, ``last`` excluded);
        - ``tsval``, ``tsecr`` (Int64, the TCP timestamps option);
        - ``mss``, ``wscale`` (Int64, what a SYN or SYN-ACK offers);
        - ``text`` (the explanation), only when asked for (``text=True``, or
          in ``columns``): it is written now from the facts, as the trace
          keeps no paragraphs.

        With pyarrow installed, ``events``, ``sack`` and ``text`` are
        Arrow-backed (no Python object per row); without it they hold tuples
        and str. ``columns`` picks some of them, in the order given.

        The values are copies: changing the DataFrame leaves the trace as it
        is. pandas is optional (``pip install 'tcpexplain[pandas]'``): it is
        imported here, and a clear :class:`ImportError` is raised when it is
        missing.
        """
        need("pandas", "Trace.to_pandas()", "pandas")
        if kind == "connections":
            return self.connections_frame(columns, text=text)
        specs, wanted = self._specs(kind, columns, text, pandas=True)
        return pandas_frame(specs, wanted)

    def connections_frame(
        self, columns: Optional[Sequence[str]] = None, *, text: bool = False
    ) -> "pandas.DataFrame":
        """The connections as a :class:`pandas.DataFrame`, one row per
        connection summary (in the order the connections ended; ``conn`` joins
        it to :meth:`to_pandas`).

        Every field of the JSON Lines ``"connection"`` object, flat:
        ``conn``, ``client``, ``server``, ``roles_inferred``, ``first_line``,
        ``last_line``, ``segments``, ``duration``, ``bytes_client``,
        ``bytes_server``, ``handshake``, ``handshake_rtt``, ``teardown``,
        ``closed_by``, ``final_state_client``, ``final_state_server``,
        ``time_wait`` (a list), ``conn_state``, ``history``, ``vantage``,
        ``evicted``, ``problems`` (how many, in all), the ``stall`` object as
        ``stall_side``, ``stall_bytes``, ``stall_fin``, ``stall_since_line``,
        ``stall_resent``, ``stall_backoff``, ``stall_seconds``;
        ``captured_only``, ``fins_inferred`` (a list), ``half_close``,
        ``zero_window_at_end``, ``icmp_errors`` (how many); then a count
        column per event kind (``events_retransmission``, ...) and per kind
        of problem (``problems_retransmission``, ...): the same columns for
        every trace, 0 where none. ``text=True`` adds the summary's words.
        """
        need("pandas", "Trace.connections_frame()", "pandas")
        specs, wanted = self._specs("connections", columns, text)
        return pandas_frame(specs, wanted)

    def to_arrow(
        self,
        columns: Optional[Sequence[str]] = None,
        *,
        kind: str = "segments",
        text: bool = False,
    ) -> "pyarrow.Table":
        """The segments (or the connections, ``kind="connections"``) as a
        :class:`pyarrow.Table`, one record batch per 65,536 segments.

        The columns are :meth:`to_pandas`'s, typed as they are kept:
        ``line`` int64; ``conn``, ``seq``, ``ack``, ``seq_raw``, ``ack_raw``,
        ``len``, ``window_raw``, ``tsval``, ``tsecr``, ``bytes_acked``,
        ``in_flight``, ``mss``, ``wscale`` uint32; ``window`` uint64;
        ``time``, ``abs_time``, ``rtt`` float64; ``from``, ``sender``,
        ``client_state``, ``server_state`` dictionary<int8, string>; ``flags``
        dictionary<int16, string>; ``events`` list<string>; ``sack``
        list<struct<first: uint32, last: uint32>>; ``text`` large_string.
        Missing values are nulls.

        The kept columns are the trace's own buffers, not copies (the table
        keeps the trace alive; they are read-only); ``events``, ``sack``,
        ``rtt``, ``bytes_acked``, ``in_flight``, ``mss``, ``wscale`` and
        ``text`` are computed now. pyarrow is optional (``pip install
        'tcpexplain[arrow]'``).
        """
        need("numpy", "Trace.to_arrow()", "arrow")
        need("pyarrow", "Trace.to_arrow()", "arrow")
        specs, _ = self._specs(kind, columns, text)
        return arrow_table(specs)

    def to_polars(
        self,
        columns: Optional[Sequence[str]] = None,
        *,
        kind: str = "segments",
        text: bool = False,
    ) -> "polars.DataFrame":
        """:meth:`to_arrow`'s table as a :class:`polars.DataFrame` (polars
        reads Arrow's buffers as they are where its types allow: the
        dictionary columns become ``Categorical``). polars is optional
        (``pip install 'tcpexplain[polars]'``)."""
        pl = need("polars", "Trace.to_polars()", "polars")
        return pl.from_arrow(self.to_arrow(columns, kind=kind, text=text))

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The segments table through the Arrow PyCapsule interface (for
        ``polars.DataFrame(trace)``, ``duckdb``, ``pyarrow.table(trace)``...)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    @property
    def plot(self) -> "Plot":
        """Plots of a connection, as matplotlib figures: ``trace.plot.tsg(conn)``
        (the time-sequence graph of the command's ``--graph``), ``.rtt(conn)``,
        ``.window(conn)``, ``.inflight(conn)``. See :class:`tcpexplain.Plot`."""
        from ._plot import Plot

        return Plot(self)

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
