"""Training for scripts/pgo.sh: runs an instrumented build of the package
over the inputs given, through the calls analysts make (the first input is
over 256 KiB, for explain_file's two-thread path)."""

import sys

import tcpexplain

paths = sys.argv[1:]
for path in paths:
    trace = tcpexplain.explain_file(path)
    trace.to_pandas()
    trace.to_dicts()
    trace.to_jsonl()
for path in paths[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for _ in tcpexplain.stream(f):
            pass
