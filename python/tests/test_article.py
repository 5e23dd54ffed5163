"""The article's three dumps through the Python API: every line's states, and each close's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

import tcpexplain

# (line, from, flags, client state, server state) after each line.
CLOSE3 = [
    (1, "client", "S", "SYN_SENT", "SYN_RECEIVED"),
    (2, "server", "S.", "ESTABLISHED", "SYN_RECEIVED"),
    (3, "client", ".", "ESTABLISHED", "ESTABLISHED"),
    (4, "client", "P.", "ESTABLISHED", "ESTABLISHED"),
    (5, "server", ".", "ESTABLISHED", "ESTABLISHED"),
    (6, "server", "P.", "ESTABLISHED", "ESTABLISHED"),
    (7, "server", "F.", "ESTABLISHED", "FIN_WAIT_1"),
    (8, "client", ".", "ESTABLISHED", "FIN_WAIT_1"),
    (9, "client", "F.", "LAST_ACK", "TIME_WAIT"),
    (10, "server", ".", "CLOSED", "TIME_WAIT"),
]

CLOSE4 = [
    (1, "client", "S", "SYN_SENT", "SYN_RECEIVED"),
    (2, "server", "S.", "ESTABLISHED", "SYN_RECEIVED"),
    (3, "client", ".", "ESTABLISHED", "ESTABLISHED"),
    (4, "client", "P.", "ESTABLISHED", "ESTABLISHED"),
    (5, "server", ".", "ESTABLISHED", "ESTABLISHED"),
    (6, "server", "P.", "ESTABLISHED", "ESTABLISHED"),
    (7, "client", ".", "ESTABLISHED", "ESTABLISHED"),
    (8, "client", "F.", "FIN_WAIT_1", "CLOSE_WAIT"),
    (9, "server", ".", "FIN_WAIT_2", "CLOSE_WAIT"),
    (10, "server", "F.", "TIME_WAIT", "LAST_ACK"),
    (11, "client", ".", "TIME_WAIT", "CLOSED"),
]

CLOSING = [
    (1, "server", "F.", "ESTABLISHED", "FIN_WAIT_1"),
    (2, "client", "F.", "FIN_WAIT_1", "CLOSING"),
    (3, "server", ".", "FIN_WAIT_1", "CLOSING"),
    (4, "client", ".", "TIME_WAIT", "TIME_WAIT"),
]


def table(trace: tcpexplain.Trace):
    return [(s.line, s.from_, s.flags, s.client_state, s.server_state) for s in trace.segments]


@pytest.mark.parametrize(
    "name, expected",
    [("close3.txt", CLOSE3), ("close4.txt", CLOSE4), ("closing.txt", CLOSING)],
)
def test_states_per_line(article: Path, name: str, expected) -> None:
    trace = tcpexplain.explain_file(article / name)
    assert table(trace) == expected
    # `state` is the same fact as a dict, as in the JSON contract.
    for s in trace.segments:
        assert s.state == {"client": s.client_state, "server": s.server_state}
    assert trace.diagnostics == []
    assert trace.lines == len(expected)


def test_close3_is_a_three_way_close(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close3.txt")
    line9 = trace.segments[8]
    assert line9.line == 9
    assert line9.state == {"client": "LAST_ACK", "server": "TIME_WAIT"}
    assert "fin_acks_fin" in [e["kind"] for e in line9.events]
    (conn,) = trace.connections
    assert conn.teardown == "three_way"
    assert conn.closed_by == "server"
    assert conn.final_state == {"client": "CLOSED", "server": "TIME_WAIT"}
    assert conn.time_wait == ["server"]
    assert conn.handshake == "complete"
    assert conn.segments == 10
    assert conn.client == "172.16.196.142.41334"
    assert conn.server == "172.16.196.145.60000"


def test_close4_is_a_four_way_close(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "close4.txt")
    (conn,) = trace.connections
    assert conn.teardown == "four_way"
    assert conn.closed_by == "client"
    assert conn.final_state == {"client": "TIME_WAIT", "server": "CLOSED"}
    assert [s.line for s in conn.get_segments()] == list(range(1, 12))


def test_closing_is_simultaneous_and_both_pass_through_closing(article: Path) -> None:
    trace = tcpexplain.explain_file(article / "closing.txt")
    (conn,) = trace.connections
    assert conn.teardown == "simultaneous"
    assert conn.closed_by == "both"
    assert conn.final_state == {"client": "TIME_WAIT", "server": "TIME_WAIT"}
    assert sorted(conn.time_wait) == ["client", "server"]
    through_closing = {
        t["who"] for s in trace.segments for t in s.transitions if t["to"] == "CLOSING"
    }
    assert through_closing == {"client", "server"}
    assert "simultaneous_close" in trace.segments[1].event_kinds


def test_text_and_path_give_the_same_trace(article: Path) -> None:
    path = article / "close4.txt"
    by_path = tcpexplain.explain_file(str(path))
    by_text = tcpexplain.explain(path.read_text())
    by_bytes = tcpexplain.explain(path.read_bytes())
    assert by_path.to_jsonl() == by_text.to_jsonl() == by_bytes.to_jsonl()
    assert [s.to_dict() for s in by_path.segments] == [s.to_dict() for s in by_text.segments]
