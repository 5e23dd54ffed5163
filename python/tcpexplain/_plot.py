"""Plots of a connection as matplotlib figures: ``trace.plot``.

The time-sequence graph is the command's (``tcpexplain --graph``,
``src/render/tsg.rs``) drawn by matplotlib: the same marks, colours and
meaning, after tcptrace's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from ._columns import need, numpy_column

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._trace import Trace

#: Colours, as the command's graph has them (tcptrace's): data black,
#: retransmissions red, the ACK line green, the window's edge yellow-brown,
#: SACK blocks purple, marks on ACKs orange.
DATA = "#222222"
RESENT = "#d62728"
ACK = "#2ca02c"
WINDOW = "#b8860b"
SACK = "#9467bd"
MARK = "#ff7f0e"
#: The other side's window, where both are drawn.
OTHER = "#7f7f7f"

#: The time axis of every plot.
TIME_AXIS = "time since the connection's first line (s)"

RESENDS = ("retransmission", "fast_retransmission", "spurious_retransmission")

#: The columns a plot reads.
_NAMES = ["conn", "from", "len", "seq", "ack", "time", "window", "events", "rtt", "in_flight", "sack"]


class Plot:
    """Plots of one connection of a :class:`Trace`, each a new
    :class:`matplotlib.figure.Figure` (not shown: a notebook shows what a
    cell returns). ``sender`` (``"client"`` or ``"server"``) picks the
    direction whose data is drawn; by default the one that sent more bytes
    (the client when neither sent any), as the command's graph does. Pass
    ``ax`` to draw into axes of your own (the figure they are on is
    returned). Needs matplotlib (``pip install 'tcpexplain[plot]'``).
    """

    __slots__ = ("_trace", "_columns")

    def __init__(self, trace: "Trace") -> None:
        self._trace = trace
        self._columns: Optional[Dict[str, Any]] = None

    # -- data ----------------------------------------------------------------

    def _connection(self, conn: int) -> Dict[str, Any]:
        np = need("numpy", "Trace.plot", "plot")
        if self._columns is None:
            specs = self._trace._data.segment_columns(_NAMES)
            self._columns = {
                name: numpy_column(np, kind, dictionary, chunks)
                for name, kind, dictionary, chunks in specs
            }
        rows = self._columns["conn"] == conn
        if not rows.any():
            raise KeyError(f"no segment of connection {conn}")
        picked = {name: column[rows] for name, column in self._columns.items()}
        return picked

    @staticmethod
    def _sender(c: Dict[str, Any], sender: Optional[str]) -> str:
        if sender is not None:
            if sender not in ("client", "server"):
                raise ValueError(f"sender must be 'client' or 'server', not {sender!r}")
            return sender
        sent = {side: c["len"][c["from"] == side].sum() for side in ("client", "server")}
        return "server" if sent["server"] > sent["client"] else "client"

    def _title(self, conn: int) -> str:
        try:
            s = self._trace.connection(conn)
        except KeyError:
            return f"Connection {conn}"
        return f"Connection {conn}: {s.client} → {s.server}"

    @staticmethod
    def _axes(ax: "Optional[Axes]", panels: int = 1) -> Any:
        if ax is not None:
            return ax.figure, [ax]
        need("matplotlib", "Trace.plot", "plot")
        import matplotlib.pyplot as plt

        # (Made by pyplot, so that a notebook knows how to show it, and closed
        # at once: pyplot shows it no more, the cell's value is shown.)
        figure = plt.figure(figsize=(7.2, 4.2 if panels == 1 else 5.6), layout="constrained")
        plt.close(figure)
        if panels == 1:
            return figure, [figure.add_subplot()]
        grid = figure.add_gridspec(2, 1, height_ratios=[3, 1])
        top = figure.add_subplot(grid[0])
        return figure, [top, figure.add_subplot(grid[1], sharex=top)]

    # -- plots ---------------------------------------------------------------

    def tsg(
        self,
        conn: int,
        sender: Optional[str] = None,
        *,
        rtt: bool = True,
        ax: "Optional[Axes]" = None,
    ) -> "Figure":
        """The time-sequence graph of the data ``sender`` sent on connection
        ``conn`` (tcptrace's, Wireshark's "Stevens" graph; the command's
        ``--graph``): each data segment an I-beam from its first byte to its
        end against time (red: a retransmission); the other side's ACK line
        (green steps), its receive window's edge (ACK + window, yellow-brown)
        and its SACK blocks (purple bars); ``D`` marks a duplicate ACK, ``Z``
        a zero window. Sequence numbers are relative (the ISN is 0); time is
        seconds since the connection's first line. Below, with ``rtt``, the
        round trip of each ACK (see :meth:`rtt`).
        """
        np = need("numpy", "Trace.plot", "plot")
        c = self._connection(conn)
        sender = self._sender(c, sender)
        receiver = "server" if sender == "client" else "client"
        figure, axes = self._axes(ax, 2 if rtt and ax is None else 1)
        main = axes[0]
        timed = ~np.isnan(c["time"])
        data = timed & (c["from"] == sender) & (c["len"] > 0) & ~np.isnan(c["seq"])
        acks = timed & (c["from"] == receiver) & ~np.isnan(c["ack"])
        t, seq, end = c["time"][data], c["seq"][data], c["seq"][data] + c["len"][data]
        resent = np.array([any(e in RESENDS for e in ev) for ev in c["events"][data]], dtype=bool)
        times = c["time"][timed]
        x_end = times.max() if len(times) else 1.0
        at, ack, window = c["time"][acks], c["ack"][acks], c["window"][acks]
        # The receive window's edge, then the ACK line: steps, each held
        # until the next ACK (the last one to the end).
        if len(at):
            steps_t = np.append(at, x_end)
            edge = ack + window
            if (~np.isnan(edge)).any():
                main.step(steps_t, np.append(edge, edge[-1]), where="post", color=WINDOW, lw=1.2, label="window edge (ACK + receive window)")
            main.step(steps_t, np.append(ack, ack[-1]), where="post", color=ACK, lw=1.5, label="ACK")
        # SACK blocks, at the time of the ACK that carries them.
        blocks = [(when, first, last) for when, row in zip(at, c["sack"][acks]) for first, last in row]
        if blocks:
            when, first, last = np.array(blocks, dtype=float).T
            main.vlines(when, first, last, color=SACK, lw=3, label="SACK")
        # Each data segment, an I-beam from its first byte to its end.
        for mask, colour, name in ((~resent, DATA, "data"), (resent, RESENT, "retransmission")):
            if mask.any():
                main.vlines(t[mask], seq[mask], end[mask], color=colour, lw=1.2, label=name)
                for y in (seq[mask], end[mask]):
                    main.scatter(t[mask], y, marker="_", s=16, color=colour, lw=1.2)
        # Problems on the other side's lines: duplicate ACKs, zero windows.
        for when, number, kinds in zip(at, ack, c["events"][acks]):
            mark = "D" if "duplicate_ack" in kinds else "Z" if "zero_window" in kinds else None
            if mark:
                main.annotate(mark, (when, number), xytext=(0, -9), textcoords="offset points", ha="center", fontsize=7, color=MARK)
        # (Scaled to the data and the ACKs: the window's edge is drawn clipped.)
        ys = np.concatenate([seq, end, ack])
        if len(ys):
            low, high = ys.min(), ys.max()
            pad = max((high - low) * 0.03, 1.0)
            main.set_ylim(low - pad, high + pad)
        main.set_title(f"{self._title(conn)}\nsequence numbers of the {sender}'s data over time", fontsize=10)
        main.set_ylabel("relative sequence number (bytes)")
        main.legend(loc="upper left", fontsize=8)
        main.grid(True, color="#eeeeee")
        if len(axes) > 1:
            self._rtt_points(axes[1], c, receiver, np)
            axes[1].set_xlabel(TIME_AXIS)
        else:
            main.set_xlabel(TIME_AXIS)
        return figure

    @staticmethod
    def _bytes_over_time(axis: Any, title: str) -> None:
        """Titles, labels and the legend of a plot of bytes against time."""
        axis.set_ylim(bottom=0)
        axis.set_title(title, fontsize=10)
        axis.set_xlabel(TIME_AXIS)
        axis.set_ylabel("bytes")
        axis.legend(loc="upper left", fontsize=8)
        axis.grid(True, color="#eeeeee")

    @staticmethod
    def _rtt_points(ax: Any, c: Dict[str, Any], receiver: str, np: Any) -> None:
        rows = (c["from"] == receiver) & ~np.isnan(c["rtt"]) & ~np.isnan(c["time"])
        ax.scatter(c["time"][rows], c["rtt"][rows] * 1000, s=6, color=ACK)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("round trip (ms)")
        ax.set_title("round trip of each ACK", fontsize=9, loc="left")
        ax.grid(True, color="#eeeeee")

    def rtt(self, conn: int, sender: Optional[str] = None, *, ax: "Optional[Axes]" = None) -> "Figure":
        """The round trip of each ACK that newly acknowledges ``sender``'s
        data on connection ``conn``: from the segment it covers (the copy it
        answers, for a segment sent more than once) to the ACK, in ms,
        against time (the ``rtt`` column)."""
        np = need("numpy", "Trace.plot", "plot")
        c = self._connection(conn)
        sender = self._sender(c, sender)
        receiver = "server" if sender == "client" else "client"
        figure, (axis,) = self._axes(ax)
        self._rtt_points(axis, c, receiver, np)
        axis.set_title(f"{self._title(conn)}\nround trip of each ACK of the {sender}'s data", fontsize=10)
        axis.set_xlabel(TIME_AXIS)
        return figure

    def window(self, conn: int, *, ax: "Optional[Axes]" = None) -> "Figure":
        """The receive window each side advertised on connection ``conn``, in
        bytes (once the window scale is known), against time: steps, the
        data receiver's in the window colour."""
        np = need("numpy", "Trace.plot", "plot")
        c = self._connection(conn)
        receiver = "server" if self._sender(c, None) == "client" else "client"
        figure, (axis,) = self._axes(ax)
        for side in (receiver, "server" if receiver == "client" else "client"):
            rows = (c["from"] == side) & ~np.isnan(c["window"]) & ~np.isnan(c["time"])
            if rows.any():
                axis.step(c["time"][rows], c["window"][rows], where="post", color=WINDOW if side == receiver else OTHER, lw=1.3, label=f"{side}'s receive window")
        self._bytes_over_time(axis, f"{self._title(conn)}\nreceive windows")
        return figure

    def inflight(self, conn: int, sender: Optional[str] = None, *, ax: "Optional[Axes]" = None) -> "Figure":
        """The bytes ``sender`` had in flight on connection ``conn`` (sent, not
        yet acknowledged nor reported held by SACK: the ``in_flight`` column,
        Wireshark's ``bytes_in_flight``) at each of its data segments, with
        the receiver's advertised window, which bounds it."""
        np = need("numpy", "Trace.plot", "plot")
        c = self._connection(conn)
        sender = self._sender(c, sender)
        receiver = "server" if sender == "client" else "client"
        figure, (axis,) = self._axes(ax)
        rows = (c["from"] == sender) & ~np.isnan(c["in_flight"]) & ~np.isnan(c["time"])
        resent = np.array([any(e in RESENDS for e in ev) for ev in c["events"][rows]], dtype=bool)
        t, flight = c["time"][rows], c["in_flight"][rows]
        axis.step(t, flight, where="post", color=DATA, lw=1.0, label="bytes in flight")
        if resent.any():
            axis.scatter(t[resent], flight[resent], s=10, color=RESENT, zorder=3, label="retransmission")
        window = (c["from"] == receiver) & ~np.isnan(c["window"]) & ~np.isnan(c["time"])
        if window.any():
            axis.step(c["time"][window], c["window"][window], where="post", color=WINDOW, lw=1.2, label=f"{receiver}'s receive window")
        self._bytes_over_time(axis, f"{self._title(conn)}\nthe {sender}'s bytes in flight")
        return figure
