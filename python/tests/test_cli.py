"""The Python objects against the command line's JSON Lines, and the command itself."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

import tcpexplain
from conftest import ARTICLE, TCPDUMP_OUTPUTS

DUMPS = sorted(ARTICLE.glob("*.txt")) + sorted(TCPDUMP_OUTPUTS.glob("*.out"))


def cli_jsonl(cli: List[str], path: Path) -> List[Dict[str, Any]]:
    done = subprocess.run(
        [*cli, "--format", "jsonl", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def test_there_are_dumps_to_compare() -> None:
    assert len(DUMPS) >= 3 + 10


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.name)
def test_every_object_equals_the_cli_jsonl(cli: List[str], path: Path) -> None:
    expected = cli_jsonl(cli, path)
    trace = tcpexplain.explain_file(path)
    got = [item.to_dict() for item in trace.items]
    assert len(got) == len(expected)
    for want, have in zip(expected, got):
        assert have == want
    # The typed lists are the same objects, split by kind.
    assert [s.to_dict() for s in trace.segments] == [o for o in expected if o["type"] == "segment"]
    assert [c.to_dict() for c in trace.connections] == [
        o for o in expected if o["type"] == "connection"
    ]
    assert [d.to_dict() for d in trace.diagnostics] == [
        o for o in expected if o["type"] == "unparsed"
    ]
    assert [o.to_dict() for o in trace.others] == [
        o for o in expected if o["type"] in ("other", "banner")
    ]
    # And the whole JSON Lines text.
    assert [json.loads(line) for line in trace.to_jsonl().splitlines()] == expected


def test_a_long_input_equals_the_cli_jsonl(cli: List[str], tmp_path: Path) -> None:
    # Every dump one after the other: over a megabyte, read in two threads,
    # with records crossing from the parsing one to the tracking one in many
    # batches; from a file and from a string.
    text = "".join(p.read_text(errors="replace") for p in DUMPS * 3)
    path = tmp_path / "long.txt"
    path.write_text(text)
    expected = cli_jsonl(cli, path)
    trace = tcpexplain.explain_file(path)
    assert len(text) > 512 * 1024  # well past the size read in two threads
    assert trace.lines == text.count("\n")
    assert len(expected) > 2_000
    assert [json.loads(line) for line in trace.to_jsonl().splitlines()] == expected
    assert tcpexplain.explain(text).to_jsonl() == trace.to_jsonl()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomly_edited_input_equals_the_cli_jsonl(cli: List[str], tmp_path: Path, seed: int) -> None:
    # Lines dropped, repeated, swapped and cut short: the trace keeps its
    # segments as a table with their rarer facts apart, and gives them back
    # as the command line writes them, whatever each segment holds.
    rng = random.Random(seed)
    lines = "".join(p.read_text(errors="replace") for p in DUMPS).splitlines()
    edited = []
    for line in lines:
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.10:
            edited.append(line[: rng.randrange(len(line) + 1)])
        elif roll < 0.15:
            edited.extend([line, line])
        elif roll < 0.20 and edited:
            edited.insert(len(edited) - 1, line)
        else:
            edited.append(line)
    path = tmp_path / "edited.txt"
    path.write_text("\n".join(edited) + "\n")
    trace = tcpexplain.explain_file(path)
    assert [json.loads(line) for line in trace.to_jsonl().splitlines()] == cli_jsonl(cli, path)
    rows = trace.to_dicts(text=True)
    assert [(r["line"], r["seq"], r["ack_raw"], r["text"]) for r in rows] == [
        (s.line, s.seq, s.ack_raw, s.text) for s in trace.segments
    ]
    if importlib.util.find_spec("pandas") is not None:
        df = trace.to_pandas(text=True)
        assert df["line"].tolist() == [r["line"] for r in rows]
        assert df["text"].tolist() == [r["text"] for r in rows]
        assert [list(e) for e in df["events"]] == [r["events"] for r in rows]


@pytest.mark.parametrize("path", sorted(ARTICLE.glob("*.txt")), ids=lambda p: p.name)
def test_attributes_carry_the_jsonl_fields(cli: List[str], path: Path) -> None:
    trace = tcpexplain.explain_file(path)
    objects = cli_jsonl(cli, path)
    segments = [o for o in objects if o["type"] == "segment"]
    connections = [o for o in objects if o["type"] == "connection"]
    for seg, obj in zip(trace.segments, segments):
        for key, value in obj.items():
            attr = {"from": "from_"}.get(key, key)
            assert getattr(seg, attr) == value, key
    for conn, obj in zip(trace.connections, connections):
        for key, value in obj.items():
            assert getattr(conn, key) == value, key
    # to_dicts(): flat rows, keys "from" and "sender", events as a list of kinds.
    for row, obj in zip(trace.to_dicts(text=True), segments):
        assert row["from"] == row["sender"] == obj["from"]
        assert row["client_state"] == obj["state"]["client"]
        assert row["server_state"] == obj["state"]["server"]
        assert row["events"] == [e["kind"] for e in obj["events"]]
        for key in ("line", "conn", "flags", "seq", "ack", "seq_raw", "ack_raw", "len", "time", "window", "text"):
            assert row[key] == obj[key], key


def test_python_dash_m_is_the_same_command(cli: List[str]) -> None:
    path = ARTICLE / "close3.txt"
    via_module = subprocess.run(
        [sys.executable, "-m", "tcpexplain", "--format", "jsonl", str(path)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    assert [json.loads(x) for x in via_module.stdout.decode().splitlines()] == cli_jsonl(cli, path)


def test_console_script_is_installed() -> None:
    from conftest import cli_command

    command = cli_command()
    assert command[0] != sys.executable, "the `tcpexplain` console script is not installed"


def test_cli_text_help_and_exit_status(cli: List[str], tmp_path: Path) -> None:
    shown = subprocess.run([*cli, "--help"], capture_output=True, timeout=60, check=False)
    assert shown.returncode == 0
    assert b"tcpexplain" in shown.stdout
    assert b"Usage: tcpexplain" in shown.stdout

    version = subprocess.run([*cli, "--version"], capture_output=True, timeout=60, check=False)
    assert version.returncode == 0
    assert version.stdout.decode().strip() == f"tcpexplain {tcpexplain.__version__}"

    text = subprocess.run(
        [*cli, "--color", "never", str(ARTICLE / "close3.txt")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert text.returncode == 0
    assert "LAST_ACK" in text.stdout.decode()

    bad = tmp_path / "bad.txt"
    bad.write_text("this is not tcpdump output\n")
    strict = subprocess.run(
        [*cli, "--strict", str(bad)], capture_output=True, timeout=60, check=False
    )
    assert strict.returncode == 1

    missing = subprocess.run(
        [*cli, str(tmp_path / "missing.txt")], capture_output=True, timeout=60, check=False
    )
    assert missing.returncode == 2
    assert b"missing.txt" in missing.stderr

    usage = subprocess.run([*cli, "--no-such-flag"], capture_output=True, timeout=60, check=False)
    assert usage.returncode == 2


def test_cli_main_from_python() -> None:
    # In a child process: the command line takes over Ctrl-C for the process it runs in.
    script = (
        "import sys\n"
        "from tcpexplain._tcpexplain import cli_main\n"
        "sys.exit(cli_main(['tcpexplain', '--format', 'jsonl', '--summary', sys.argv[1]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ARTICLE / "close4.txt")],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (summary,) = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert summary["type"] == "connection"
    assert summary["teardown"] == "four_way"
