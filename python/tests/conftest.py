"""Shared fixtures. The tests run against the installed `tcpexplain` package
(a wheel or an editable install), never against a copy on sys.path."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTICLE = REPO / "tests" / "data" / "article"
TCPDUMP_OUTPUTS = REPO / "tests" / "data" / "tcpdump"


def cli_command() -> List[str]:
    """The installed `tcpexplain` console script (next to this interpreter), or `python -m tcpexplain`."""
    here = Path(sys.executable).parent / ("tcpexplain.exe" if os.name == "nt" else "tcpexplain")
    if here.exists():
        return [str(here)]
    found = shutil.which("tcpexplain")
    if found:
        return [found]
    return [sys.executable, "-m", "tcpexplain"]


@pytest.fixture(scope="session")
def article() -> Path:
    assert ARTICLE.is_dir(), f"missing test data: {ARTICLE}"
    return ARTICLE


@pytest.fixture(scope="session")
def cli() -> List[str]:
    return cli_command()
