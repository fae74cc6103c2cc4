#!/usr/bin/env bash
# The whole test suite again, on the oldest mypy the package supports.
#
# Run it inside an activated virtual environment that already has the project
# installed with its test extra (as .ci/run leaves it): it replaces that
# environment's mypy with the lower bound of the "mypy>=..." requirement in
# pyproject.toml and reruns the suite, in the directory given (the repository by
# default). Fails when a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${1:-$root}"
cd "$root"

oldest="$(python - <<'EOF'
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

with open("pyproject.toml", "rb") as file:
    dependencies = tomllib.load(file)["project"]["dependencies"]
bounds = [
    match[1]
    for dependency in dependencies
    if (match := re.fullmatch(r"mypy\s*>=\s*([\d.]+)\s*,.*", dependency))
]
if len(bounds) != 1:
    sys.exit(f"expected one 'mypy>=X,<Y' dependency in pyproject.toml, found {dependencies}")
print(bounds[0])
EOF
)"

echo "+ pip install mypy==$oldest"
python -m pip install --quiet "mypy==$oldest"
python -m mypy --version
echo "+ python -m pytest -n 2"
cd "$suite"
python -m pytest -n 2
