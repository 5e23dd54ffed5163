"""trace.plot: matplotlib figures of a connection, with the marks, colours and
meaning of the command's time-sequence graph (src/render/tsg.rs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

import tcpexplain
from conftest import ARTICLE, REPO

LOSSY = REPO / "tests" / "data" / "captures" / "fast_retransmission" / "nn.txt"
TSG = REPO / "src" / "render" / "tsg.rs"

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402


def colours(artist: Any) -> List[str]:
    if isinstance(artist, Line2D):
        return [to_hex(artist.get_color())]
    return sorted({to_hex(c) for c in artist.get_edgecolor()} | {to_hex(c) for c in artist.get_facecolor()})


def by_label(ax: Any) -> dict:
    found = {}
    for artist in ax.get_children():
        label = artist.get_label() if hasattr(artist, "get_label") else ""
        if isinstance(label, str) and label and not label.startswith("_"):
            found[label] = artist
    return found


def test_the_colours_are_the_commands() -> None:
    # The same colours as the SVG graph, read from its source.
    source = TSG.read_text()
    for name in ("DATA", "RESENT", "ACK", "WINDOW", "SACK", "MARK"):
        value = getattr(tcpexplain._plot, name)
        line = next(l for l in source.splitlines() if l.startswith(f"const {name}: &str"))
        svg = line.split('"')[1]
        if len(svg) == 4:  # #222 is #222222
            svg = "#" + "".join(c * 2 for c in svg[1:])
        assert value == svg, name


def test_tsg_of_a_lossy_connection() -> None:
    trace = tcpexplain.explain_file(LOSSY)
    figure = trace.plot.tsg(0)
    assert isinstance(figure, Figure)
    main, rtt = figure.axes
    found = by_label(main)
    assert set(found) >= {"data", "retransmission", "ACK", "SACK", "window edge (ACK + receive window)"}
    assert colours(found["data"]) == ["#222222"]
    assert colours(found["retransmission"]) == ["#d62728"]
    assert colours(found["ACK"]) == ["#2ca02c"]
    assert colours(found["SACK"]) == ["#9467bd"]
    assert colours(found["window edge (ACK + receive window)"]) == ["#b8860b"]
    # One I-beam per data segment of the client's (it sent more): 26 data
    # segments, one of them sent again.
    sent = [r for r in trace.to_dicts() if r["from"] == "client" and r["len"] > 0]
    assert len(sent) == 26
    data = found["data"]
    assert isinstance(data, LineCollection) and len(data.get_segments()) == 25
    (resent,) = found["retransmission"].get_segments()
    assert resent.tolist() == [[0.00134, 977.0], [0.00134, 1465.0]]
    # The duplicate ACKs are marked D, in orange.
    marks = [t for t in main.texts if t.get_text() == "D"]
    assert len(marks) == 11 and all(to_hex(t.get_color()) == "#ff7f0e" for t in marks)
    # The SACK blocks: one bar per block of the server's duplicate ACKs.
    sack = found["SACK"].get_segments()
    assert [s[:, 1].tolist() for s in sack][:2] == [[1465.0, 1953.0], [1465.0, 2441.0]]
    # The round trip of each ACK, below, in ms.
    (points,) = [c for c in rtt.collections if isinstance(c, PathCollection)]
    acks = [r for r in trace.to_dicts() if r["from"] == "server" and r["rtt"] is not None]
    assert points.get_offsets()[:, 1].tolist() == pytest.approx([r["rtt"] * 1000 for r in acks])
    assert "10.77.0.1.35188 → 10.77.0.2.9000" in main.get_title()
    assert "client's data" in main.get_title()


def test_tsg_of_the_other_direction_and_into_given_axes() -> None:
    trace = tcpexplain.explain_file(ARTICLE / "close3.txt")
    figure = Figure()
    ax = figure.add_subplot()
    assert trace.plot.tsg(0, "client", ax=ax) is figure
    assert len(figure.axes) == 1
    # The server sent more (6 bytes against 3): its data by default.
    assert "server's data" in trace.plot.tsg(0, rtt=False).axes[0].get_title()
    with pytest.raises(ValueError, match="sender"):
        trace.plot.tsg(0, "both")
    with pytest.raises(KeyError):
        trace.plot.tsg(7)


def test_rtt_window_and_inflight() -> None:
    trace = tcpexplain.explain_file(LOSSY)
    rows = trace.to_dicts()
    (ax,) = trace.plot.rtt(0).axes
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points.get_offsets()) == sum(1 for r in rows if r["from"] == "server" and r["rtt"] is not None)
    (ax,) = trace.plot.window(0).axes
    lines = {l.get_label(): l for l in ax.get_lines()}
    assert set(lines) == {"server's receive window", "client's receive window"}
    assert colours(lines["server's receive window"]) == ["#b8860b"]
    (ax,) = trace.plot.inflight(0).axes
    lines = {l.get_label(): l for l in ax.get_lines()}
    flight = lines["bytes in flight"]
    expected = [r["in_flight"] for r in rows if r["from"] == "client" and r["in_flight"] is not None]
    assert flight.get_ydata().tolist() == expected
    assert "server's receive window" in lines
    assert by_label(ax)["retransmission"] is not None


def test_plots_render() -> None:
    # Each figure draws to PNG (headless, Agg).
    import io

    trace = tcpexplain.explain_file(LOSSY)
    for plot in (trace.plot.tsg, trace.plot.rtt, trace.plot.window, trace.plot.inflight):
        out = io.BytesIO()
        plot(0).savefig(out, format="png")
        assert out.getvalue().startswith(b"\x89PNG")
