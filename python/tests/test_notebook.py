"""examples/tour.ipynb, run headless with a real kernel (this interpreter)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import REPO

NOTEBOOK = REPO / "examples" / "tour.ipynb"


def kernel_spec(directory: Path) -> str:
    """A kernel spec that runs this interpreter, in a folder of its own (nothing installed for the user)."""
    name = "tcpexplain-test"
    spec = directory / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "tcpexplain test",
                "language": "python",
            }
        )
    )
    return name


def outputs(nb: Any, tag: str) -> List[Dict[str, Any]]:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return list(cells[0].get("outputs", []))


def html_of(nb: Any, tag: str) -> str:
    found = [o["data"]["text/html"] for o in outputs(nb, tag) if "text/html" in o.get("data", {})]
    assert found, f"cell {tag!r} showed no HTML"
    return "".join(found)


def text_of(nb: Any, tag: str) -> str:
    parts = []
    for o in outputs(nb, tag):
        if o.get("output_type") == "stream":
            parts.append(o["text"])
        elif "text/plain" in o.get("data", {}):
            parts.append(o["data"]["text/plain"])
    return "".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    try:
        import ipykernel  # noqa: F401
        import nbclient
        import nbformat
    except ImportError as e:  # pragma: no cover - depends on the environment
        pytest.skip(f"notebook tools not installed: {e}")
    jupyter = tmp_path_factory.mktemp("jupyter")
    name = kernel_spec(jupyter)
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(jupyter))
    mp.setenv("JUPYTER_DATA_DIR", str(jupyter))
    mp.setenv("JUPYTER_RUNTIME_DIR", str(jupyter / "runtime"))
    mp.setenv("IPYTHONDIR", str(jupyter / "ipython"))
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        for cell in nb.cells:  # what is checked is what this run shows, not what was saved
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        client = nbclient.NotebookClient(
            nb,
            kernel_name=name,
            timeout=120,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    finally:
        mp.undo()
    return nb


def test_notebook_exists_and_is_valid() -> None:
    assert NOTEBOOK.is_file()
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    sources = "\n".join(c.source for c in nb.cells)
    assert "import tcpexplain" in sources
    for name in ("close3.txt", "close4.txt", "closing.txt"):
        assert name in sources


def test_no_cell_failed(executed: Any) -> None:
    for cell in executed.cells:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", o


def test_close3_shows_diagram_and_states(executed: Any) -> None:
    html = html_of(executed, "close3")
    assert "<svg" in html
    assert "TIME_WAIT" in html
    assert "LAST_ACK" in html
    assert "three_way" in html
    assert "<script" not in html.lower()


def test_segment_and_connection_display(executed: Any) -> None:
    segment = html_of(executed, "segment")
    assert "LAST_ACK" in segment and "TIME_WAIT" in segment
    assert "fin_acks_fin" in text_of(executed, "fields")
    close4 = html_of(executed, "close4")
    assert "<svg" in close4 and "four_way" in close4 and "CLOSE_WAIT" in close4


def test_simultaneous_close(executed: Any) -> None:
    html = html_of(executed, "closing")
    assert "<svg" in html and "CLOSING" in html and "simultaneous" in html
    through = text_of(executed, "through-closing")
    assert "'client'" in through and "'server'" in through


def test_dataframes(executed: Any) -> None:
    table = html_of(executed, "dataframe")
    assert "<table" in table
    assert "client_state" in table and "FIN_WAIT_2" in table
    compare = html_of(executed, "compare")
    for teardown in ("three_way", "four_way", "simultaneous"):
        assert teardown in compare


def test_stream_and_parse_error_cells(executed: Any) -> None:
    streamed = text_of(executed, "stream")
    assert "closed: simultaneous" in streamed
    assert "TIME_WAIT" in streamed
    assert text_of(executed, "parse-error").startswith("column ")


def test_the_analysts_columns(executed: Any) -> None:
    columns = html_of(executed, "columns")
    for name in ("in_flight", "bytes_acked", "rtt", "sack", "fast_retransmission", "duplicate_ack"):
        assert name in columns, name
    assert "duplicate_ack" in text_of(executed, "events")


def test_arrow_and_polars(executed: Any) -> None:
    schema = text_of(executed, "arrow")
    assert "in_flight: uint32" in schema and "flags: dictionary<values=string, indices=int16" in schema
    polars = html_of(executed, "polars")
    assert "mean_rtt" in polars and "client" in polars and "server" in polars


def test_plots_show_as_images(executed: Any) -> None:
    for tag in ("tsg", "inflight"):
        images = [o for o in outputs(executed, tag) if "image/png" in o.get("data", {})]
        assert len(images) == 1, tag


def test_big_and_many_files(executed: Any) -> None:
    batches = text_of(executed, "batches")
    assert batches.startswith("([(20, ") and "(13, " in batches and batches.rstrip().endswith("1)")
    files = html_of(executed, "files")
    assert "nn.txt" in files and "events_retransmission" in files
