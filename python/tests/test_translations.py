"""The Traditional Chinese words are made from the Simplified ones by
``i18n/hant.py``: the files in the repository are what it makes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_traditional_chinese_is_made_from_the_simplified():
    pytest.importorskip("opencc")
    done = subprocess.run(
        [sys.executable, str(ROOT / "i18n" / "hant.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_the_glossary_terms_are_the_ones_used():
    """A term of the glossary that the Simplified words use is used, in its
    Traditional form, by the Traditional words."""
    hans = (ROOT / "src" / "explain" / "zh_hans.rs").read_text(encoding="utf-8")
    hant = (ROOT / "src" / "explain" / "zh_hant.rs").read_text(encoding="utf-8")
    rows = (ROOT / "i18n" / "glossary.tsv").read_text(encoding="utf-8").splitlines()[1:]
    used = 0
    for row in rows:
        en, simplified, traditional = row.split("\t")[:3]
        for s, t in zip(simplified.split(" / "), traditional.split(" / ")):
            if s in hans:
                used += 1
                assert t in hant, f"{en}: {s} is used, {t} is not"
    assert used > 30


def test_the_conversion_gives_the_glossary_terms():
    """Each Simplified term of the glossary converts to its Traditional term."""
    pytest.importorskip("opencc")
    sys.path.insert(0, str(ROOT / "i18n"))
    try:
        import hant
    finally:
        sys.path.pop(0)
    cc = hant.converter()
    rows = (ROOT / "i18n" / "glossary.tsv").read_text(encoding="utf-8").splitlines()[1:]
    wrong = [
        (simplified, traditional, hant.to_hant(simplified, cc))
        for simplified, traditional in (row.split("\t")[1:3] for row in rows)
        if hant.to_hant(simplified, cc) != traditional
    ]
    assert wrong == []
