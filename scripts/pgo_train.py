"""Training for scripts/pgo.sh: runs an instrumented build of the package
over the inputs given, through the calls analysts make (the first input is
over 256 KiB, for explain_file's two-thread path)."""

import importlib.util
import sys

import tcpexplain

if importlib.util.find_spec("pandas") is None:
    print("pgo_train: no pandas here, so to_pandas() is not trained", file=sys.stderr)
    with_pandas = False
else:
    with_pandas = True

paths = sys.argv[1:]
for path in paths:
    trace = tcpexplain.explain_file(path)
    if with_pandas:
        trace.to_pandas()
    trace.to_dicts()
    trace.to_jsonl()
for path in paths[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for _ in tcpexplain.stream(f):
            pass
