#!/usr/bin/env bash
# Runs every test: the Rust crate (unit, integration, doc tests) and the Python
# package (built from source into a virtual environment this script creates).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust tests"
cargo test --all-targets
cargo test --doc

echo "== Python tests"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet ".[test]"
.venv/bin/python -m pytest python/tests
