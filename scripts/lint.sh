#!/usr/bin/env bash
# Lint the repository (CI runs this first): ruff over every Python file, then import-linter's
# layer contracts once pyproject.toml holds them. Exits non-zero on any finding. The tools come
# from requirements-dev.txt, installed into .venv as scripts/test.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -d .venv ] || "$PY" -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt

status=0
echo "== 代码检查：ruff =="
.venv/bin/ruff check . || status=$?

# Import layers: the contracts (views → services → models, areas that may know each other)
# live in pyproject.toml under [tool.importlinter]; lint-imports checks them once they exist.
if grep -q '^\[tool\.importlinter\]' pyproject.toml; then
  echo "== 代码检查：import-linter =="
  .venv/bin/lint-imports || status=$?
fi
if [ "$status" != "0" ]; then
  echo "代码检查未通过（退出码 $status）" >&2
fi
exit "$status"
