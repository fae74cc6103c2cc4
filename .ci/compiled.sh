#!/usr/bin/env bash
# The compiled build (hatch_build.py): the whole test suite against a wheel compiled
# with mypyc, on the newest mypy and then on the oldest one the package supports
# (the wheel is compiled against the newest).
#
# Runs in a virtual environment of its own, from a copy of the repository without
# the package's sources, so that the installed build is the one imported. Fails
# when the build fails, when the copy imports plain Python, or when a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
"$python" -m venv "$work/venv"
# shellcheck disable=SC1091
source "$work/venv/bin/activate"
python -m pip install --quiet --upgrade pip

cd "$root"
echo "+ HATCH_BUILD_HOOKS_ENABLE=1 python -m pip install '.[test]'"
HATCH_BUILD_HOOKS_ENABLE=1 python -m pip install --quiet ".[test]"

mkdir "$work/copy"
tar --exclude=./.git --exclude=./mypy_await_plugin --exclude=./benchmarks/.work \
    --exclude='*/__pycache__' -cf - . | tar -xf - -C "$work/copy"
cd "$work/copy"
python - <<'EOF'
import importlib

for name in ("main", "awaitables", "usage", "sinks"):
    module = importlib.import_module(f"mypy_await_plugin.{name}")
    if str(module.__file__).endswith(".py"):
        raise SystemExit(f"mypy_await_plugin.{name} is not compiled: {module.__file__}")
print("the compiled build is installed")
EOF
echo "+ python -m pytest -n 2 -q (compiled build)"
python -m pytest -n 2 -q

echo "+ .ci/old-mypy.sh (compiled build)"
bash "$root/.ci/old-mypy.sh" "$work/copy"
