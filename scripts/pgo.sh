#!/usr/bin/env bash
# Builds tcpexplain with profile-guided optimisation (PGO): the same code, laid
# out and inlined by the compiler for the paths real dumps take. The parser and
# the tracker are long chains of branches; knowing which ones are taken saves
# about a third of `--summary`'s CPU time and a tenth of `--format jsonl`'s
# (benches/versus_tcpdump.sh measures both builds).
#
#   scripts/pgo.sh            the command: target/pgo/<host>/release/tcpexplain
#   scripts/pgo.sh --python   also the Python package, as a wheel in
#                             target/pgo/wheels, installed into $PYTHON
#                             (default python3) with pip (the instrumented
#                             wheel is installed there while it trains)
#
# (With an explicit --target, RUSTFLAGS reach only the crates built for it,
# not the build scripts and macros that run while compiling.)
#
# Training reads every real capture rendering and tcpdump test output in
# tests/data (never the benchmark dumps), in each output format, with an
# instrumented build; the profile it leaves is merged with the llvm-profdata of
# rustc's own LLVM (`rustup component add llvm-tools`, or set LLVM_PROFDATA).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_TOO=false
case "${1:-}" in
    --python) PYTHON_TOO=true ;;
    "") ;;
    *) echo "usage: scripts/pgo.sh [--python]" >&2; exit 2 ;;
esac

HOST=$(rustc -vV | sed -n 's/^host: //p')
PROFDATA=${LLVM_PROFDATA:-$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata}
if [[ ! -x $PROFDATA ]]; then
    echo "no llvm-profdata at $PROFDATA: rustup component add llvm-tools (or set LLVM_PROFDATA)" >&2
    exit 2
fi

WORK=$PWD/target/pgo
mapfile -t INPUTS < <(find tests/data -name '*.txt' -o -name '*.out' | sort)

# Runs the command given (an instrumented build and its training) with the
# flag that makes it record a profile into the directory $1.
record() {
    local raw=$1
    shift
    rm -rf "$raw"
    mkdir -p "$raw"
    RUSTFLAGS="-Cprofile-generate=$raw" "$@"
}

build_instrumented_cli() {
    local bin=$WORK/instrumented/$HOST/release/tcpexplain mode
    cargo build --release --quiet --target "$HOST" --target-dir "$WORK/instrumented"
    for mode in --summary "--format jsonl" "--format text"; do
        # (Some inputs have lines no grammar reads: the exit status says so.)
        # shellcheck disable=SC2086
        "$bin" $mode "${INPUTS[@]}" >/dev/null 2>&1 || true
    done
}

echo "== the command: instrumented build, training, optimised build"
record "$WORK/raw-cli" build_instrumented_cli
"$PROFDATA" merge -o "$WORK/cli.profdata" "$WORK/raw-cli"
RUSTFLAGS="-Cprofile-use=$WORK/cli.profdata" \
    cargo build --release --quiet --target "$HOST" --target-dir "$WORK"
echo "built $WORK/$HOST/release/tcpexplain"

if $PYTHON_TOO; then
    PY=${PYTHON:-python3}
    "$PY" -m maturin --version >/dev/null 2>&1 || "$PY" -m pip install --quiet "maturin>=1.5,<2"
    # Big enough (over 256 KiB) for explain_file's two-thread path.
    cat "${INPUTS[@]}" >"$WORK/train.txt"
    build_instrumented_python() {
        rm -rf "$WORK/wheels-instrumented"
        CARGO_TARGET_DIR=$WORK/instrumented-py "$PY" -m maturin build --release --quiet \
            --target "$HOST" --out "$WORK/wheels-instrumented"
        "$PY" -m pip install --quiet --force-reinstall --no-deps "$WORK"/wheels-instrumented/*.whl
        "$PY" scripts/pgo_train.py "$WORK/train.txt" "${INPUTS[@]}"
    }
    echo "== the Python package: instrumented build, training, optimised build"
    record "$WORK/raw-python" build_instrumented_python
    # The engine is the same code: the command's training counts for it too.
    "$PROFDATA" merge -o "$WORK/python.profdata" "$WORK/cli.profdata" "$WORK/raw-python"
    rm -rf "$WORK/wheels"
    RUSTFLAGS="-Cprofile-use=$WORK/python.profdata" CARGO_TARGET_DIR=$WORK/optimized-py \
        "$PY" -m maturin build --release --quiet --target "$HOST" --out "$WORK/wheels"
    "$PY" -m pip install --quiet --force-reinstall --no-deps "$WORK"/wheels/*.whl
    echo "built and installed $(ls "$WORK"/wheels/*.whl)"
fi
