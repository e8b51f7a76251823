#!/usr/bin/env bash
# ruff and mypy over the project's Python code.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ruff check .
ruff format --check .
mypy
