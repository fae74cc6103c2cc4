"""The compiled build's choice of modules (``hatch_build.py``).

Whether the compiled build behaves as the Python one is checked by running the whole
suite against it (``.ci/compiled.sh``); this only pins which modules it compiles.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not (ROOT / "mypy_await_plugin").is_dir(),
    reason="a copy without the package's sources (.ci/compiled.sh)",
)


def _compiled(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    monkeypatch.syspath_prepend(str(ROOT))
    hatch_build = importlib.import_module("hatch_build")
    return {path.relative_to(ROOT).as_posix() for path in hatch_build.compiled_sources(ROOT)}


def test_the_hook_path_is_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = _compiled(monkeypatch)
    for module in ("main", "awaitables", "usage", "sinks", "sourcetext", "dataflow"):
        assert f"mypy_await_plugin/{module}.py" in compiled
    assert "mypy_await_plugin/checks/never_awaited.py" in compiled


def test_the_entry_point_version_check_and_command_line_stay_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = _compiled(monkeypatch)
    assert "mypy_await_plugin/__init__.py" not in compiled
    assert "mypy_await_plugin/loading.py" not in compiled
    assert "mypy_await_plugin/__main__.py" not in compiled
    assert not any(name.startswith("mypy_await_plugin/scan/") for name in compiled)
    assert not any(name.startswith("mypy_await_plugin/guard/") for name in compiled)
