"""The plugin's codes behave like mypy's own: enable/disable options (global and per
module), ``# type: ignore[code]``, ``warn_unused_ignores``, ``--hide-error-codes``
and ``--output json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mypy_project import Project

from mypy_await_plugin.errorcodes import CODES_BY_NAME

# A function declared in a stub: a plain def with a body declared -> Awaitable
# would be a handle, never reported.
CLIENT = """
    from typing import Awaitable


    def flush() -> Awaitable[None]: ...
    """

CORE = """
    from app.client import flush


    def close() -> None:
        flush()
        flush()  # type: ignore[discarded-awaitable]
        flush()  # type: ignore
        flush()  # type: ignore[unused-coroutine]
    """

# A test module that creates awaitables on purpose.
TEST_CORE = """
    from app.core import flush


    def test_flush_returns_an_awaitable() -> None:
        flush()
    """

FILES = {
    "mypy.ini": "[mypy]\nplugins = mypy_await_plugin\n",
    "app/__init__.py": "",
    "app/client.pyi": CLIENT,
    "app/core.py": CORE,
    "tests/__init__.py": "",
    "tests/test_core.py": TEST_CORE,
}

MESSAGE = 'Awaitable[None] returned by "flush" is never awaited'
NOTE = 'Add "await", or keep a reference and await it later'
CORE_FINDING = f"app/core.py:5: error: {MESSAGE}  [discarded-awaitable]"
WRONG_CODE = "app/core.py:8: error: " + MESSAGE + "  [discarded-awaitable]"
# mypy 2 names the ignore's codes in this note, mypy 1.20 does not.
WRONG_CODE_NOTE = 'app/core.py:8: note: Error code "discarded-awaitable" not covered by'
TEST_FINDING = f"tests/test_core.py:5: error: {MESSAGE}  [discarded-awaitable]"
UNUSED_IGNORE = 'app/core.py:6: error: Unused "type: ignore" comment  [unused-ignore]'


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path, FILES)


def test_codes_and_ignores(project: Project) -> None:
    run = project.mypy("--warn-unused-ignores", "app", "tests")
    findings = [line for line in run.findings if not line.startswith(WRONG_CODE_NOTE)]
    assert len(findings) == len(run.findings) - 1, run
    assert findings == sorted(
        [
            CORE_FINDING,
            f"app/core.py:5: note: {NOTE}",
            WRONG_CODE,
            f"app/core.py:8: note: {NOTE}",
            'app/core.py:8: error: Unused "type: ignore" comment  [unused-ignore]',
            TEST_FINDING,
            f"tests/test_core.py:5: note: {NOTE}",
        ]
    ), run


def test_disable_globally_makes_ignores_unused(project: Project) -> None:
    run = project.mypy(
        "--warn-unused-ignores", "--disable-error-code", "discarded-awaitable", "app", "tests"
    )
    assert not any("discarded-awaitable" in line for line in run.findings), run
    assert UNUSED_IGNORE in run.findings, run


def test_disable_per_module(project: Project) -> None:
    project.write(
        "mypy.ini",
        """
        [mypy]
        plugins = mypy_await_plugin

        [mypy-tests.*]
        disable_error_code = discarded-awaitable
        """,
    )
    run = project.mypy("app", "tests")
    assert CORE_FINDING in run.findings, run
    assert not any(line.startswith("tests/") for line in run.findings), run


def test_every_plugin_code_is_known_to_mypy(project: Project) -> None:
    codes = ", ".join(CODES_BY_NAME)
    project.write(
        "mypy.ini", f"[mypy]\nplugins = mypy_await_plugin\ndisable_error_code = {codes}\n"
    )
    run = project.mypy("app")
    assert (run.status, run.stderr, run.findings) == (0, "", []), run


def test_hide_error_codes(project: Project) -> None:
    run = project.mypy("--hide-error-codes", "app")
    assert f"app/core.py:5: error: {MESSAGE}" in run.findings, run
    assert not any("[discarded-awaitable]" in line for line in run.findings), run


def test_output_json(project: Project) -> None:
    run = project.mypy("--output", "json", "app")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    first = records[0]
    assert first["file"] == "app/core.py"
    assert first["line"] == 5
    assert first["severity"] == "error"
    assert first["message"] == MESSAGE
    assert first["code"] == "discarded-awaitable"
    assert first["hint"] == NOTE
