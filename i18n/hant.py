#!/usr/bin/env python3
"""Makes the Traditional Chinese words from the Simplified ones.

    python3 i18n/hant.py          # writes src/explain/zh_hant.rs and the zh_hant
                                  # labels in src/render/labels.rs
    python3 i18n/hant.py --check  # exits 1 if either is not what this would write

Conversion: OpenCC's s2twp (characters, then Taiwan's phrases: 數據 → 資料,
字節 → 位元組, 服務器 → 伺服器, 窗口 → 視窗 …), then the terms below, where
the glossary (i18n/glossary.tsv) prefers another word. Needs
`pip install opencc-python-reimplemented`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANS = ROOT / "src/explain/zh_hans.rs"
HANT = ROOT / "src/explain/zh_hant.rs"
LABELS = ROOT / "src/render/labels.rs"

# After s2twp: (what it gives, what the glossary says), in order.
TERMS = [
    ("客戶端", "用戶端"),
    ("抓包", "擷取"),
    ("抓到", "擷取到"),
    ("映象埠", "鏡像埠"),
    ("埠", "連接埠"),
    ("超時", "逾時"),
    ("時間戳", "時間戳記"),
    ("資料包", "封包"),
    ("二進位制", "二進位"),
    ("列印", "印出"),
    ("標誌", "旗標"),
    ("型別", "類型"),
    ("協議", "協定"),
    ("跟蹤", "追蹤"),
    ("地址", "位址"),
    ("註釋", "註解"),
    ("定時器", "計時器"),
    ("首部", "標頭"),
    ("重置", "重設"),
    ("差錯報文", "錯誤訊息"),
    ("當前", "目前"),
    ("壓縮包", "壓縮檔"),
    # Taiwan's TCP words.
    ("報文段", "區段"),
    ("最大區段長度", "最大區段大小"),
    ("序列號", "序號"),
    ("不可達", "無法到達"),
    ("SACK 塊", "SACK 區塊"),
    ("網橋", "橋接器"),
    ("路由環路", "路由迴圈"),
    ("提示符或命令", "提示字元或指令"),
    ("請先解壓（", "請先解壓縮（"),
    ("處於空閒狀態", "處於閒置狀態"),
    ("捎帶", "附帶"),
    ("沒有匹配", "沒有符合"),
]

HEADER = """\
//! Facts into Traditional Chinese. Made from `zh_hans.rs` by
//! `i18n/hant.py` (OpenCC s2twp and the glossary's terms): do not edit;
//! change `zh_hans.rs` and run `python3 i18n/hant.py`.
"""


def converter():
    try:
        import opencc
    except ImportError:
        sys.exit("i18n/hant.py needs OpenCC: pip install opencc-python-reimplemented")
    return opencc.OpenCC("s2twp")


def to_hant(text: str, cc) -> str:
    """Converts the Chinese in `text`; ASCII (code, names) is left as it is."""
    out = cc.convert(text)
    for simplified_result, term in TERMS:
        out = out.replace(simplified_result, term)
    # A lone 包 (a packet) is 封包 in Taiwan; 封包, 壓縮檔 and the like stay.
    out = re.sub(r"(?<![封])包(?![括含])", "封包", out)
    # 套接字 is said `socket`, set apart from Chinese by spaces (not from punctuation).
    out = re.sub(r"(?<=[\u4e00-\u9fff])套接字", " 套接字", out)
    out = re.sub(r"套接字(?=[\u4e00-\u9fff])", "套接字 ", out).replace("套接字", "socket")
    # (Replacements must not stack: 連接連接埠, 時間戳記記.)
    return out.replace("連接連接埠", "連接埠").replace("時間戳記記", "時間戳記")


def explain_file(cc) -> str:
    source = HANS.read_text(encoding="utf-8")
    # The module comment is this file's own; the code follows it.
    body = source[source.index("\nuse ") + 1 :]
    return HEADER + "\n" + to_hant(body, cc)


def labels_file(cc) -> str:
    source = LABELS.read_text(encoding="utf-8")
    hans = re.search(r"    fn zh_hans\(self\).*?\n    }\n", source, re.S)
    hant = re.search(r"    fn zh_hant\(self\).*?\n    }\n", source, re.S)
    if not hans or not hant:
        sys.exit("src/render/labels.rs: fn zh_hans or fn zh_hant not found")
    made = to_hant(hans.group(0), cc).replace("fn zh_hans", "fn zh_hant", 1)
    return source[: hant.start()] + made + source[hant.end() :]


def rustfmt(text: str) -> str:
    """The code as `cargo fmt` leaves it (words of other lengths wrap otherwise)."""
    if shutil.which("rustfmt") is None:
        return text
    done = subprocess.run(
        ["rustfmt", "--edition", "2021"], input=text, capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout if done.returncode == 0 else text


def main() -> int:
    check = "--check" in sys.argv[1:]
    cc = converter()
    stale = []
    for path, text in ((HANT, explain_file(cc)), (LABELS, labels_file(cc))):
        text = rustfmt(text)
        if path.read_text(encoding="utf-8") == text:
            continue
        if check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("not made from the Simplified words: " + ", ".join(stale)
              + " (run python3 i18n/hant.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
