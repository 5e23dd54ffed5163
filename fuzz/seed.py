#!/usr/bin/env python3
"""Seeds the fuzz corpora from the real tcpdump text under tests/data.

parse_line: every distinct line, and every run of 4 lines (records with
continuation lines). pipeline: runs of 12 lines and each small file whole,
behind the two control bytes the target reads first (limits, flush rhythm).
documents: the same runs and files behind its one control byte (limits).
Writes fuzz/corpus/<target>/ (git-ignored). Run from anywhere:
    python3 fuzz/seed.py
"""
import glob
import hashlib
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [
    "tests/data/article/*.txt",
    "tests/data/captures/*/nn*.txt",
    "tests/data/tcpdump/*.out",
    "tests/data/fuzz/seeds/*",
]
# (limits, rhythm) pairs for the pipeline: defaults-like, tiny limits, summaries only.
CONTROLS = [b"\xff\x00", b"\x00\x03", b"\x49\x81"]


def write(target, data):
    out = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(out, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def main():
    files = sorted(f for pattern in SOURCES for f in glob.glob(os.path.join(ROOT, pattern)))
    for n, path in enumerate(files):
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        for line in lines:
            if line.strip():
                write("parse_line", line)
        for i in range(0, len(lines), 4):
            write("parse_line", b"\n".join(lines[i : i + 4]))
        control = CONTROLS[n % len(CONTROLS)]
        for i in range(0, len(lines), 12):
            write("pipeline", control + b"\n".join(lines[i : i + 12]))
            write("documents", control[:1] + b"\n".join(lines[i : i + 12]))
        if len(data) <= 4096:
            write("pipeline", control + data)
            write("documents", control[:1] + data)
    for target in ("parse_line", "pipeline", "documents"):
        count = len(os.listdir(os.path.join(ROOT, "fuzz", "corpus", target)))
        print(f"{target}: {count} seeds")


if __name__ == "__main__":
    main()
