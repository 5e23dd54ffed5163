"""Rich display: `_repr_mimebundle_` of Trace, Connection and Segment; escaping; long traces."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

import tcpexplain

HOSTILE_IMG = (
    "12:00:00.000000 IP <img src=x onerror=alert(1)>.80 > 10.0.0.1.5000: "
    "Flags [S], seq 1, win 100, length 0"
)
HOSTILE_SCRIPT = (
    "12:00:00.000100 IP evil<script>alert(1)</script>.example.80 > 10.0.0.1.5001: "
    "Flags [S], seq 1, win 100, length 0"
)
HOSTILE_QUOTE = (
    "12:00:00.000200 IP x\"onmouseover='alert(1)'.80 > 10.0.0.1.5002: "
    "Flags [S], seq 1, win 100, length 0"
)

# Every element the HTML may contain: tables, headings, the SVG ladder and
# time-sequence graph, a style sheet.
ALLOWED_TAGS = {
    "div", "p", "b", "code", "h4", "style", "table", "tr", "th", "td",
    "svg", "text", "line", "polygon", "polyline", "path", "rect", "circle",
    "g", "title", "clippath", "tspan",
}


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[Tuple[str, Dict[str, str]]] = []
        self.text: List[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> Elements:
    """No script, no event handler, no element outside the known set."""
    found = elements(html)
    tags: Set[str] = {tag for tag, _ in found.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in found.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, name)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert not re.search(r"<[^>]*\son\w+=", lowered), "an event handler attribute"
    return found


def test_hostile_lines_parse_as_tcp() -> None:
    trace = tcpexplain.explain("\n".join([HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_QUOTE]) + "\n")
    assert [s.line for s in trace.segments] == [1, 2, 3]
    assert trace.diagnostics == []
    clients = [c.client for c in trace.connections]
    # `<img src=x ` lands before the endpoints; the rest of the tag is the host name.
    assert clients[0] == "onerror=alert(1)>.80"
    assert clients[1] == "evil<script>alert(1)</script>.example.80"
    assert clients[2] == "x\"onmouseover='alert(1)'.80"
    assert "<img src=x" in trace.segments[0].raw


def test_trace_html_escapes_every_input_string() -> None:
    trace = tcpexplain.explain("\n".join([HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_QUOTE]) + "\n")
    bundle = trace._repr_mimebundle_()
    html = bundle["text/html"]
    found = assert_safe(html)
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;.example.80" in html
    assert "onerror=alert(1)&gt;.80" in html
    assert "x&quot;onmouseover=&#39;alert(1)&#39;.80" in html
    # The names are shown as text, intact.
    shown = "".join(found.text)
    assert "evil<script>alert(1)</script>.example.80" in shown
    assert "<svg" in html


def test_segment_html_escapes_the_raw_line() -> None:
    trace = tcpexplain.explain(HOSTILE_IMG + "\n")
    seg = trace.segments[0]
    html = seg._repr_mimebundle_()["text/html"]
    assert_safe(html)
    assert "&lt;img src=x onerror=alert(1)&gt;.80" in html
    assert "<img src=x onerror=alert(1)>.80" in "".join(elements(html).text)


def test_connection_html_escapes_names() -> None:
    trace = tcpexplain.explain(HOSTILE_SCRIPT + "\n")
    html = trace.connections[0]._repr_mimebundle_()["text/html"]
    assert_safe(html)
    assert "evil&lt;script&gt;" in html


def test_unparsed_and_other_lines_are_escaped_too() -> None:
    text = (
        "12:00:00.000000 IP 10.0.0.1.53 > 10.0.0.2.5353: <script>alert(1)</script> UDP, length 1\n"
        "12:00:00.000001 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq <img src=x onerror=alert(1)>\n"
    )
    trace = tcpexplain.explain(text)
    assert len(trace.others) + len(trace.diagnostics) == 2
    html = trace._repr_mimebundle_()["text/html"]
    assert_safe(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_close3_bundle(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close3.txt")
    bundle = trace._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    html = bundle["text/html"]
    assert_safe(html)
    # The ladder, and the time-sequence graph of the server's data.
    assert html.count("<svg") == 2
    assert "sequence numbers of the server&#39;s data over time" in html
    assert "LAST_ACK" in html and "TIME_WAIT" in html
    assert "three_way" in html
    # line → direction → states → explanation
    assert "<th>line</th><th>direction</th>" in html
    assert "client → server" in html and "server → client" in html
    plain = bundle["text/plain"]
    assert plain.startswith("Trace: 10 lines, 10 TCP segments, 1 connection")
    assert "LAST_ACK" in plain
    assert repr(trace) == "<Trace: 10 lines, 10 TCP segments, 1 connection, 0 unparsed lines, 0 other lines>"


def test_connection_and_segment_bundles(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close4.txt")
    conn = trace.connections[0]
    bundle = conn._repr_mimebundle_()
    assert "four_way" in bundle["text/plain"]
    assert "<svg" in bundle["text/html"]
    assert bundle["text/html"].count("<tr><td class=\"n\">") == 11
    seg = trace.segments[9]
    bundle = seg._repr_mimebundle_()
    assert "TIME_WAIT" in bundle["text/plain"] and "LAST_ACK" in bundle["text/plain"]
    assert "<svg" not in bundle["text/html"]
    assert ">10<" in bundle["text/html"]


def long_trace(lines: int) -> tcpexplain.Trace:
    """One connection of `lines` data segments after a handshake."""
    out = [
        "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 100, win 1000, length 0",
        "12:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [S.], seq 900, ack 101, win 1000, length 0",
        "12:00:00.000200 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [.], ack 901, win 1000, length 0",
    ]
    seq = 101
    for i in range(lines - 3):
        out.append(
            f"12:00:00.{300 + i:06d} IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [P.], "
            f"seq {seq}:{seq + 10}, ack 901, win 1000, length 10"
        )
        seq += 10
    return tcpexplain.explain("\n".join(out) + "\n")


def test_long_traces_are_cut_to_head_and_tail() -> None:
    trace = long_trace(500)
    html = trace._repr_mimebundle_()["text/html"]
    assert_safe(html)
    rows = re.findall(r'<tr><td class="n">(\d+)</td>', html)
    assert rows == [str(n) for n in range(1, 21)] + [str(n) for n in range(481, 501)]
    assert "… 460 rows omitted …" in html
    # The ladder is cut the same way: 40 arrows.
    assert html.count("<polygon") == 40
    plain = trace._repr_mimebundle_()["text/plain"]
    assert "items omitted" in plain
    assert len(plain) < 20000
    # Everything on request.
    full = trace.to_html(head=None)
    assert len(re.findall(r'<tr><td class="n">(\d+)</td>', full)) == 500
    assert "rows omitted" not in full and "lines; " not in full


def test_many_connections_are_cut() -> None:
    lines = [
        f"12:00:00.{i:06d} IP 10.0.0.1.{5000 + i} > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0"
        for i in range(30)
    ]
    trace = tcpexplain.explain("\n".join(lines) + "\n")
    html = trace._repr_mimebundle_()["text/html"]
    assert html.count("<h4>Connection ") == 10
    assert "… 20 more connections not shown" in html
    assert trace.to_html(max_connections=None).count("<h4>Connection ") == 30


def test_no_javascript_anywhere(article: Path) -> None:
    for name in ("close3.txt", "close4.txt", "closing.txt"):
        trace = tcpexplain.explain_file(article / name)
        objects: list = [trace, *trace.connections, *trace.segments]
        for obj in objects:
            html = obj._repr_mimebundle_()["text/html"]
            assert_safe(html)
            assert "javascript" not in html.lower()


@pytest.mark.parametrize("hostile", [HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_QUOTE])
def test_text_plain_shows_names_as_they_are(hostile: str) -> None:
    trace = tcpexplain.explain(hostile + "\n")
    assert trace.connections[0].client in trace._repr_mimebundle_()["text/plain"]
