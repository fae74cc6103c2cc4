"""The plugin as users meet it: the real ``mypy`` command on a temporary project."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

APP = """
import functools
from typing import Awaitable, Protocol

class Metrics(Protocol):
    def record_enrichment(self, result: int) -> Awaitable[None]: ...

def make() -> int:
    return 1

def takes_int(x: int) -> None: ...

def run(metrics: Metrics) -> None:
    metrics.record_enrichment(1)
    reveal_type(make())
    functools.partial(takes_int, "not an int")
"""

FINDING = (
    'app.py:14: error: Awaitable[None] returned by "Metrics.record_enrichment"'
    " is never awaited  [discarded-awaitable]"
)
PARTIAL_ERROR = 'app.py:16: error: Argument 1 to "takes_int" has incompatible type "str"'


def run_mypy(project: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "app.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(TESTS), "PATH": ""},
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def make_project(tmp_path: Path, config_name: str, config: str) -> Path:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / config_name).write_text(textwrap.dedent(config))
    return tmp_path


@pytest.mark.parametrize(
    ("config_name", "config"),
    [
        ("mypy.ini", "[mypy]\nplugins = mypy_await_plugin\ndisable_error_code = empty-body\n"),
        ("setup.cfg", "[mypy]\nplugins = mypy_await_plugin\ndisable_error_code = empty-body\n"),
        (
            "pyproject.toml",
            '[tool.mypy]\nplugins = ["mypy_await_plugin"]\ndisable_error_code = ["empty-body"]\n',
        ),
    ],
)
def test_loads_by_name_from_each_config_file(
    tmp_path: Path, config_name: str, config: str
) -> None:
    out = run_mypy(make_project(tmp_path, config_name, config))
    assert FINDING in out
    # mypy's own functools.partial checks still run through the plugin.
    assert PARTIAL_ERROR in out


@pytest.mark.parametrize(
    "plugins", ["marker_plugin, mypy_await_plugin", "mypy_await_plugin, marker_plugin"]
)
def test_works_beside_another_plugin(tmp_path: Path, plugins: str) -> None:
    config = f"[mypy]\nplugins = {plugins}\ndisable_error_code = empty-body\n"
    out = run_mypy(make_project(tmp_path, "mypy.ini", config))
    assert FINDING in out
    assert 'app.py:15: note: Revealed type is "str"' in out
    assert PARTIAL_ERROR in out
