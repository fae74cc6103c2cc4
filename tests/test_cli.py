"""The await-only scan as users run it: ``python -m mypy_await_plugin`` on temporary projects."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from mypy_await_plugin.scan.mypyconfig import render_toml

# The seed's example: nothing is annotated except the metrics class, so plain mypy
# skips ``process_event``; the scan turns on check_untyped_defs. The metrics client
# is typed by a stub: a plain def declared -> Awaitable in source code is a handle.
SEED_METRICS = """\
from typing import Awaitable


class Metrics:
    async def record_enrichment(self, result: dict) -> None: ...

    def flush(self) -> Awaitable[None]: ...
"""
SEED = """\
import not_installed_anywhere

from metrics import Metrics


class EventProcessor:
    def __init__(self):
        self.metrics = Metrics()

    async def process_event(self, event):
        result = {"id": event}
        self.metrics.record_enrichment(result)
        self.metrics.flush()
        count: int = "unrelated type error"
        return result
"""
SEED_FILES = {"app.py": SEED, "metrics.pyi": SEED_METRICS}
SEED_COROUTINE = (
    'app.py:12:9: error: Value of type "Coroutine[Any, Any, None]" must be used'
    "  [unused-coroutine]"
)
SEED_AWAITABLE = (
    'app.py:13:9: error: Awaitable[None] returned by "Metrics.flush" is never awaited'
    "  [discarded-awaitable]"
)

CLEAN = """\
import asyncio


async def fetch() -> int:
    await asyncio.sleep(0)
    return 1


async def main() -> None:
    value = await fetch()
    text: str = value
"""

# A project whose own plugin (a relative ``.py`` path in its config) makes
# ``start()`` a coroutine: only if the scan keeps that plugin is it reported.
PROJECT_PLUGIN = """\
from mypy.plugin import FunctionContext, Plugin
from mypy.types import AnyType, NoneType, Type, TypeOfAny


def _coroutine(ctx: FunctionContext) -> Type:
    any_type = AnyType(TypeOfAny.special_form)
    return ctx.api.named_generic_type("typing.Coroutine", [any_type, any_type, NoneType()])


class StartPlugin(Plugin):
    def get_function_hook(self, fullname):
        return _coroutine if fullname == "pkg.core.start" else None


def plugin(version):
    return StartPlugin
"""
CORE = """\
from typing import Awaitable, Protocol


class Metrics(Protocol):
    def flush(self) -> Awaitable[None]: ...


def start() -> int: ...


def run(metrics: Metrics):
    metrics.flush()
    start()
    broken: int = "x"
"""
LEGACY = """\
from pkg.core import Metrics


def run(metrics: Metrics):
    metrics.flush()
"""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per test process: typeshed is analysed once, not per test."""
    return tmp_path_factory.mktemp("scan-cache")


def project(root: Path, files: dict[str, str]) -> Path:
    """A project at ``root``; ``.git`` stops mypy's config search there."""
    (root / ".git").mkdir()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def scan(cwd: Path, *args: str, cache: Path | None, code: int) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    # No user-level mypy config (~/.mypy.ini) either; packages installed with
    # ``pip install --user`` stay importable.
    env.update(
        HOME=str(cwd), XDG_CONFIG_HOME=str(cwd / ".config"), PYTHONUSERBASE=site.getuserbase()
    )
    cache_args = ["--cache-dir", str(cache)] if cache is not None else []
    result = subprocess.run(
        [sys.executable, "-m", "mypy_await_plugin", *cache_args, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == code, result.stdout + result.stderr
    return result


def test_seed_example_without_any_config(tmp_path: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    # No --cache-dir: the default is a folder of its own in mypy's cache.
    result = scan(root, "app.py", cache=None, code=1)
    assert result.stdout.splitlines() == [
        SEED_COROUTINE,
        "app.py:12:9: note: Are you missing an await?",
        SEED_AWAITABLE,
        'app.py:13:9: note: Add "await", or keep a reference and await it later',
        "Found 2 await findings in 1 file (checked 1 source file):"
        " discarded-awaitable 1, unused-coroutine 1",
    ]
    assert result.stderr == ""
    assert sorted(path.name for path in (root / ".mypy_cache").iterdir()) == ["mypy-await"]


def test_clean_code_with_unrelated_errors_exits_0(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"app.py": CLEAN})
    result = scan(root, "app.py", cache=cache_dir, code=0)
    assert result.stdout == "No await findings (checked 1 source file)\n"


def test_ini_config_is_honoured(tmp_path: Path, cache_dir: Path) -> None:
    config = """\
        [mypy]
        files = src
        mypy_path = $MYPY_CONFIG_FILE_DIR/src
        plugins = tools/start_plugin.py
        junit_xml = junit.xml

        [mypy-pkg.legacy]
        ignore_errors = True
    """
    files = {
        "mypy.ini": config,
        "tools/start_plugin.py": PROJECT_PLUGIN,
        "src/pkg/__init__.py": "",
        "src/pkg/core.py": CORE,
        "src/pkg/legacy.py": LEGACY,
    }
    root = project(tmp_path, files)
    result = scan(root, cache=cache_dir, code=1)
    lines = result.stdout.splitlines()
    # The project's plugin made start() a coroutine; the per-module section silenced
    # pkg.legacy; the unrelated assignment error is not shown.
    assert [line for line in lines if ": error: " in line] == [
        'src/pkg/core.py:12:5: error: Awaitable[None] returned by "Metrics.flush" is never'
        " awaited  [discarded-awaitable]",
        'src/pkg/core.py:13:5: error: Value of type "Coroutine[Any, Any, None]" must be used'
        "  [unused-coroutine]",
    ]
    assert lines[-1].startswith("Found 2 await findings in 1 file (checked 3 source files)")
    assert not (root / "junit.xml").exists()
    assert (root / "mypy.ini").read_text() == textwrap.dedent(config)


def test_pyproject_config_found_from_a_subdirectory(tmp_path: Path, cache_dir: Path) -> None:
    config = """\
        [project]
        name = "demo"

        [tool.mypy]
        mypy_path = "$MYPY_CONFIG_FILE_DIR/stubs"

        [[tool.mypy.overrides]]
        module = ["pkg.legacy"]
        ignore_errors = true

        [tool.mypy_await_plugin]
        disable = ["never-awaited"]
    """
    core = """\
        from typing import Awaitable, Protocol

        import extlib


        class Metrics(Protocol):
            def flush(self) -> Awaitable[None]: ...


        def run(metrics: Metrics):
            extlib.send()
            pending = metrics.flush()
            broken: int = "x"
    """
    files = {
        "pyproject.toml": config,
        "stubs/extlib.pyi": "from typing import Awaitable\ndef send() -> Awaitable[None]: ...\n",
        "src/pkg/__init__.py": "",
        "src/pkg/core.py": core,
        "src/pkg/legacy.py": LEGACY,
    }
    root = project(tmp_path, files)
    # extlib is typed by the stub on mypy_path; the plugin's own section disables
    # never-awaited; the override silences pkg.legacy.
    result = scan(root / "src", "pkg", cache=cache_dir, code=1)
    assert result.stdout.splitlines() == [
        'pkg/core.py:11:5: error: Awaitable[None] returned by "send" is never awaited'
        "  [discarded-awaitable]",
        'pkg/core.py:11:5: note: Add "await", or keep a reference and await it later',
        "Found 1 await finding in 1 file (checked 3 source files): discarded-awaitable 1",
    ]


def test_explicit_config_file_and_mypy_arguments(tmp_path: Path, cache_dir: Path) -> None:
    files = {
        "ci/scan.ini": "[mypy]\n[mypy-app]\ndisable_error_code = unused-coroutine\n",
        "mypy.ini": "[mypy]\nplugins = not_installed_plugin\n",
        **SEED_FILES,
        "broken.py": "def f(:\n",
    }
    root = project(tmp_path, files)
    # The discovered mypy.ini (with a plugin that does not exist) is not used; what
    # follows -- goes to mypy: here, an exclude that skips the unparsable file.
    result = scan(
        root,
        "--config-file",
        "ci/scan.ini",
        ".",
        "--",
        "--exclude",
        r"broken\.py$",
        cache=cache_dir,
        code=1,
    )
    assert "[unused-coroutine]" not in result.stdout
    # Both app.py and the metrics stub are sources of ".".
    assert result.stdout.splitlines()[-1] == (
        "Found 1 await finding in 1 file (checked 2 source files): discarded-awaitable 1"
    )


def test_baseline_reports_only_new_findings(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    written = scan(
        root, "--write-baseline", "await-baseline.json", "app.py", cache=cache_dir, code=0
    )
    assert written.stdout == (
        "Wrote 2 await findings to await-baseline.json (checked 1 source file)\n"
    )
    recorded = json.loads((root / "await-baseline.json").read_text())["findings"]
    assert [(entry["file"], entry["code"], entry["source"]) for entry in recorded] == [
        ("app.py", "discarded-awaitable", "self.metrics.flush()"),
        ("app.py", "unused-coroutine", "self.metrics.record_enrichment(result)"),
    ]

    result = scan(root, "--baseline", "await-baseline.json", "app.py", cache=cache_dir, code=0)
    assert result.stdout == (
        "No new await findings (checked 1 source file; 2 known from the baseline)\n"
    )

    # Lines added above the findings move them; one more lost awaitable is new; the
    # known flush() is fixed.
    edited = SEED.replace(
        "import not_installed_anywhere\n",
        "import not_installed_anywhere\nimport os\n\nDEBUG = 1\n",
    )
    edited = edited.replace(
        "        self.metrics.flush()\n", "        self.metrics.record_enrichment({})\n"
    )
    (root / "app.py").write_text(edited)
    result = scan(root, "--baseline", "await-baseline.json", "app.py", cache=cache_dir, code=1)
    assert result.stdout.splitlines() == [
        'app.py:16:9: error: Value of type "Coroutine[Any, Any, None]" must be used'
        "  [unused-coroutine]",
        "app.py:16:9: note: Are you missing an await?",
        "Found 1 new await finding in 1 file (checked 1 source file; 1 known from the"
        " baseline; 1 baseline entry no longer found): unused-coroutine 1",
    ]


def test_json_format(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    result = scan(root, "--format", "json", "app.py", cache=cache_dir, code=1)
    document = json.loads(result.stdout)
    assert document["findings"][0] == {
        "file": "app.py",
        "line": 12,
        "column": 9,
        "end_line": 12,
        "end_column": 46,
        "code": "unused-coroutine",
        "message": 'Value of type "Coroutine[Any, Any, None]" must be used',
        "notes": ["Are you missing an await?"],
    }
    assert document["summary"] == {
        "files_checked": 1,
        "findings": 2,
        "by_code": {"discarded-awaitable": 1, "unused-coroutine": 1},
        "baseline_known": 0,
        "baseline_stale": 0,
    }


def test_github_format(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    result = scan(root, "--format", "github", "app.py", cache=cache_dir, code=1)
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "::error file=app.py,line=13,col=9,endLine=13,endColumn=28,title=discarded-awaitable"
        '::Awaitable[None] returned by "Metrics.flush" is never awaited'
        '%0AAdd "await", or keep a reference and await it later'
    )
    assert lines[2].startswith("Found 2 await findings")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml", "app.py"], "argument --format: invalid choice: 'xml'"),
        (["missing.py"], "mypy-await: error: no such file or directory: missing.py"),
        ([], "mypy-await: error: nothing to scan: give files or directories"),
        (["app.py", "--", "--no-such-flag"], "mypy: unrecognized arguments: --no-such-flag"),
        (["app.py", "--", "-O", "json"], "-O cannot be passed to mypy after '--'"),
        (["--config-file", "none.ini", "app.py"], "cannot find config file 'none.ini'"),
        (["--baseline", "none.json", "app.py"], "baseline file 'none.json' not found"),
        (["--config-file", "broken.toml", "app.py"], "cannot read mypy config broken.toml"),
        (
            ["broken.py"],
            "mypy stopped before checking the code (nothing was scanned):\nbroken.py:1: error: ",
        ),
    ],
)
def test_usage_and_config_errors_exit_2(
    tmp_path: Path, cache_dir: Path, args: list[str], message: str
) -> None:
    files = {**SEED_FILES, "broken.py": "def f(:\n", "broken.toml": "[tool.mypy\n"}
    result = scan(project(tmp_path, files), *args, cache=cache_dir, code=2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_generated_toml_reads_back_the_same() -> None:
    tool = {
        "mypy": {
            "plugins": ["a", "b.py:entry"],
            "strict": True,
            "python_version": "3.11",
            "num": 3,
            "ratio": 0.5,
            "overrides": [{"module": ["x.*"], "ignore_errors": True}],
        },
        "other": {"text": 'quote " back\\slash\ttab\x7f é', "nested": {"empty": []}},
    }
    assert tomllib.loads(render_toml(tool)) == {"tool": tool}
