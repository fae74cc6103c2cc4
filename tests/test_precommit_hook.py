"""``.pre-commit-hooks.yaml``: the scan as a pre-commit hook of this repository.

pre-commit's own manifest loader validates the file; the hook runs the scan's
console script, on the whole project (a missing await is often in a file the commit
did not change), with the environment pre-commit builds from this package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_the_hook_runs_the_scan_on_the_whole_project() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit (the test extra)")
    (hook,) = clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert hook["id"] == "mypy-await"
    assert hook["entry"] in scripts
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
