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


# ---------------------------------------------------------------------------
# lang= in every Python door: the words change, the facts do not.

import re  # noqa: E402

import tcpexplain  # noqa: E402

# Latin words that would mean English leaked into a Chinese paragraph (codes
# such as TIME_WAIT, SYN or conn_state are not words of a sentence).
ENGLISH = re.compile(r"\b(the|and|of|acknowledges|connection|segment|sent|line|omitted)\b", re.I)
HANS_ONLY = "连这个们发应时态确区"  # characters Traditional writes otherwise


def chinese(text: str, lang: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not ENGLISH.search(text), text
    if lang == "zh-Hant":
        assert not any(c in text for c in HANS_ONLY), text


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_explain_speaks_the_language_asked(article: Path, lang: str) -> None:
    english = tcpexplain.explain_file(article / "close3.txt")
    trace = tcpexplain.explain_file(article / "close3.txt", lang=lang)
    assert [s.line for s in trace.segments] == [s.line for s in english.segments]
    for seg, eng in zip(trace.segments, english.segments):
        chinese(seg.text, lang)
        assert seg.text != eng.text
        mine, theirs = seg.to_dict(), eng.to_dict()
        assert mine.pop("text") and theirs.pop("text")
        assert mine == theirs  # the facts are the same in every language
    (conn,) = trace.connections
    chinese(conn.text, lang)
    assert conn.teardown == "three_way"  # codes stay codes
    frame = trace.to_pandas(text=True)
    for text in frame["text"]:
        chinese(text, lang)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_the_notebook_display_speaks_it_too(article: Path, lang: str) -> None:
    trace = tcpexplain.explain((article / "closing.txt").read_text(), lang=lang)
    bundle = trace._repr_mimebundle_()
    html, plain = bundle["text/html"], bundle["text/plain"]
    connection = "连接" if lang == "zh-Hans" else "連線"
    assert f"{connection} 0：" in html
    assert f'lang="{lang}"' in html
    shown = re.sub(r"<style>.*?</style>|<[^>]*>", " ", html, flags=re.S)  # the words a reader sees
    for english in ("Connection", "TCP segment", "omitted", "final client", "Other lines", "bytes"):
        assert english not in shown
    assert plain.startswith("抓包记录：4 行，" if lang == "zh-Hans" else "擷取記錄：4 行，")
    assert "CLOSING" in plain and "TIME_WAIT" in plain
    (conn,) = trace.connections
    chinese(conn.text, lang)
    assert f"{connection} 0：" in conn._repr_mimebundle_()["text/html"]


def test_stream_and_batches_take_the_language(article: Path) -> None:
    lines = (article / "close4.txt").read_text().splitlines()
    items = list(tcpexplain.stream(lines, hold=None, lang="zh-Hant"))
    segments = [i for i in items if i.type == "segment"]
    whole = tcpexplain.explain("\n".join(lines), lang="zh-Hant").segments
    assert [s.text for s in segments] == [s.text for s in whole]
    for s in segments:
        chinese(s.text, "zh-Hant")
    pytest.importorskip("pyarrow")
    (batch,) = list(tcpexplain.iter_batches(article / "close4.txt", text=True, lang="zh-Hans"))
    assert batch.column("text").to_pylist() == [
        s.text for s in tcpexplain.explain_file(article / "close4.txt", lang="zh-Hans").segments
    ]


@pytest.mark.parametrize("tag", ["zh", "zh-CN", "zh_CN.UTF-8", "zh-TW"])
def test_language_tags_as_the_command_takes_them(article: Path, tag: str) -> None:
    trace = tcpexplain.explain_file(article / "close3.txt", lang=tag)
    chinese(trace.segments[0].text, "zh-Hant" if tag == "zh-TW" else "zh-Hans")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no language"):
        tcpexplain.explain("", lang="klingon")
    with pytest.raises(ValueError, match="no language"):
        list(tcpexplain.stream([""], lang="xx"))
