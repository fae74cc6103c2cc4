"""The plugin's configuration section, and how bad configs and bad mypys are refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mypy.options import Options
from mypy.plugin import ReportConfigContext
from mypy_project import MYPY_VERSION, Project

from mypy_await_plugin import __version__, plugin
from mypy_await_plugin.config import AwaitConfig, ConfigError, load_config
from mypy_await_plugin.loading import SUPPORTED_MYPY, mypy_version_problem
from mypy_await_plugin.main import AwaitPlugin

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).parent.parent


def options_for(path: Path | None) -> Options:
    options = Options()
    options.config_file = None if path is None else str(path)
    return options


def config_from(tmp_path: Path, name: str, text: str) -> AwaitConfig:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_config(options_for(path))


def error_from(tmp_path: Path, name: str, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config_from(tmp_path, name, text)
    message = str(caught.value)
    assert "\n" not in message
    return message


EXPECTED = AwaitConfig(
    must_await=frozenset({"pkg.lazy.Deferred", "pkg.client.Client.fetch"}),
    may_discard=frozenset({"pkg.tasks.async_create_task", "pkg.queue.Batch.*"}),
    sync_callbacks=frozenset({"pkg.events.on:handler", "pkg.events.Bus.subscribe:1"}),
    task_spawners=frozenset({"pkg.tasks.spawn"}),
    disable=frozenset({"dangling-task", "truthy-coroutine"}),
)

INI = """\
[mypy]
plugins = mypy_await_plugin

[mypy_await_plugin]
must_await = pkg.lazy.Deferred, pkg.client.Client.fetch
may_discard = pkg.tasks.async_create_task, pkg.queue.Batch.*
sync_callbacks =
    pkg.events.on:handler
    pkg.events.Bus.subscribe:1
task_spawners = pkg.tasks.spawn,
disable = dangling-task,
    truthy-coroutine
"""

TOML = """\
[tool.mypy]
plugins = ["mypy_await_plugin"]

[tool.mypy_await_plugin]
must_await = ["pkg.lazy.Deferred", "pkg.client.Client.fetch"]
may_discard = ["pkg.tasks.async_create_task", "pkg.queue.Batch.*"]
sync_callbacks = ["pkg.events.on:handler", "pkg.events.Bus.subscribe:1"]
task_spawners = ["pkg.tasks.spawn"]
disable = ["dangling-task", "truthy-coroutine"]
"""


@pytest.mark.parametrize("name", ["mypy.ini", ".mypy.ini", "setup.cfg", "my-config"])
def test_ini_lists_by_comma_and_newline(tmp_path: Path, name: str) -> None:
    assert config_from(tmp_path, name, INI) == EXPECTED


def test_toml_arrays(tmp_path: Path) -> None:
    assert config_from(tmp_path, "pyproject.toml", TOML) == EXPECTED


def test_no_config_file_or_no_section_means_defaults(tmp_path: Path) -> None:
    assert load_config(options_for(None)) == AwaitConfig()
    assert config_from(tmp_path, "mypy.ini", "[mypy]\n") == AwaitConfig()
    assert config_from(tmp_path, "pyproject.toml", "[tool.mypy]\n") == AwaitConfig()


def test_ini_default_section_is_not_an_unknown_key(tmp_path: Path) -> None:
    text = "[DEFAULT]\nroot = .\n[mypy]\n[mypy_await_plugin]\ndisable = never-awaited\n"
    assert config_from(tmp_path, "mypy.ini", text).disable == {"never-awaited"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "must_awiat = pkg.mod.Name",
            '[mypy_await_plugin] unknown key "must_awiat" (did you mean "must_await"?);'
            " the keys are: must_await, may_discard, sync_callbacks, task_spawners, disable",
        ),
        (
            "must_await = Deferred",
            '[mypy_await_plugin] must_await: "Deferred" is not a full name'
            ' (write it as "package.module.Name")',
        ),
        (
            "may_discard = pkg.queue.*.add",
            '[mypy_await_plugin] may_discard: "pkg.queue.*.add" is not a full name (write it'
            ' as "package.module.Name", or "package.module.Class.*" for every method called'
            " on that class)",
        ),
        (
            "task_spawners = pkg.mod.Class.*",
            '[mypy_await_plugin] task_spawners: "pkg.mod.Class.*" is not a full name',
        ),
        (
            "task_spawners = pkg.mod.spawn  # our spawner",
            '[mypy_await_plugin] task_spawners: "pkg.mod.spawn  # our spawner" is not a full name',
        ),
        (
            "disable = discarded-awaitble",
            '[mypy_await_plugin] disable: unknown check "discarded-awaitble"'
            ' (did you mean "discarded-awaitable"?); the checks are: async-callback,',
        ),
        ("disable = unused-coroutine", "(mypy's own codes go in disable_error_code)"),
        (
            "sync_callbacks = pkg.events.on",
            '[mypy_await_plugin] sync_callbacks: "pkg.events.on"',
        ),
        (
            "must_await = pkg.mod.f\nmay_discard = pkg.mod.f",
            '[mypy_await_plugin] may_discard: "pkg.mod.f" is also listed in must_await',
        ),
        ("[mypy_await_plugin]", "[mypy_await_plugin] cannot read the file: While reading"),
    ],
)
def test_ini_errors_name_file_section_and_key(tmp_path: Path, body: str, expected: str) -> None:
    message = error_from(tmp_path, "mypy.ini", f"[mypy]\n[mypy_await_plugin]\n{body}\n")
    assert message.startswith(f"{tmp_path / 'mypy.ini'}: error: [mypy_await_plugin]")
    assert expected in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'must_await = "pkg.mod.Deferred"',
            "[tool.mypy_await_plugin] must_await: must be an array of strings,"
            ' e.g. ["pkg.mod.Deferred"]',
        ),
        ("disable = [1]", "[tool.mypy_await_plugin] disable: must be an array of strings"),
        ("mustawait = []", '[tool.mypy_await_plugin] unknown key "mustawait"'),
        ("must_await = [", "[tool.mypy_await_plugin] cannot read the file: "),
    ],
)
def test_toml_errors_name_file_section_and_key(tmp_path: Path, body: str, expected: str) -> None:
    text = f"[tool.mypy]\n[tool.mypy_await_plugin]\n{body}\n"
    message = error_from(tmp_path, "pyproject.toml", text)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}: error: [tool.mypy_await_plugin]")
    assert expected in message


def test_toml_section_must_be_a_table(tmp_path: Path) -> None:
    message = error_from(tmp_path, "pyproject.toml", '[tool]\nmypy_await_plugin = "x"\n')
    assert message.endswith("[tool.mypy_await_plugin] must be a table")


def test_report_config_data_holds_version_and_config(tmp_path: Path) -> None:
    path = tmp_path / "mypy.ini"
    path.write_text(INI, encoding="utf-8")
    data = AwaitPlugin(options_for(path)).report_config_data(
        ReportConfigContext("pkg", "pkg/__init__.py", is_check=True)
    )
    version, settings = data.removeprefix("mypy-await-plugin ").split(" ", 1)
    assert version == __version__
    assert json.loads(settings) == EXPECTED.to_data()
    default = AwaitPlugin(options_for(None)).report_config_data(
        ReportConfigContext("pkg", "pkg/__init__.py", is_check=True)
    )
    assert default != data


# Supported mypy versions.


def test_supported_range_matches_the_package_metadata() -> None:
    with open(ROOT / "pyproject.toml", "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    assert f"mypy{SUPPORTED_MYPY}" in dependencies


@pytest.mark.parametrize("version", ["1.20.0", "1.20.2", "2.0.0", "2.4.1", "2.4.99+dev.1a2b3c"])
def test_supported_mypy_versions(version: str) -> None:
    assert mypy_version_problem(version) is None
    assert plugin(version) is AwaitPlugin


@pytest.mark.parametrize("version", ["1.19.1", "0.991", "2.5.0", "3.0.0+dev", "unknown"])
def test_unsupported_mypy_versions(version: str) -> None:
    problem = mypy_version_problem(version)
    assert problem is not None
    assert f"supports mypy >=1.20,<2.5, not mypy {version}" in problem
    assert plugin(version) is not AwaitPlugin


# The real commands: one line on stderr, status 2, no traceback.

BAD_CONFIG = """\
[mypy]
plugins = mypy_await_plugin

[mypy_await_plugin]
disable = discarded-awaitble
"""
BAD_CONFIG_LINE = (
    'mypy.ini: error: [mypy_await_plugin] disable: unknown check "discarded-awaitble"'
)
SOURCE = "async def send() -> None: ...\n\nasync def main() -> None:\n    _ = send()\n"


def assert_refused(stderr: str, expected: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(expected), stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["app.py"], id="serial"),
        pytest.param(
            ["-n", "2", "app.py"],
            id="workers",
            marks=pytest.mark.skipif(
                MYPY_VERSION < (2, 0), reason="parallel checking (-n) needs mypy 2"
            ),
        ),
    ],
)
def test_bad_config_stops_mypy(tmp_path: Path, args: list[str]) -> None:
    project = Project(tmp_path, {"mypy.ini": BAD_CONFIG, "app.py": SOURCE})
    run = project.mypy(*args)
    assert run.status == 2, run
    assert_refused(run.stderr, BAD_CONFIG_LINE)
    assert run.stdout == "Found 1 error in 1 file (errors prevented further checking)\n", run


def test_bad_config_stops_dmypy_which_recovers_once_fixed(tmp_path: Path) -> None:
    project = Project(tmp_path, {"mypy.ini": BAD_CONFIG, "app.py": SOURCE})
    with project.daemon():
        run = project.dmypy("run", "--", "app.py")
        assert run.status == 2, run
        assert_refused(run.stderr, BAD_CONFIG_LINE)
        assert "Traceback" not in run.stdout, run
        project.edit("mypy.ini", "discarded-awaitble", "never-awaited")
        run = project.dmypy("run", "--", "app.py")
        assert run.status == 1, run
        assert "[discarded-awaitable]" in run.stdout, run


def test_unsupported_mypy_stops_mypy(tmp_path: Path) -> None:
    # A stand-in entry point that hands the real one a version it does not support.
    entry = (
        "import mypy_await_plugin\n\n"
        "def plugin(version):\n"
        '    return mypy_await_plugin.plugin("1.19.1")\n'
    )
    files = {"mypy.ini": "[mypy]\nplugins = old_mypy.py\n", "old_mypy.py": entry, "app.py": SOURCE}
    run = Project(tmp_path, files).mypy("app.py")
    assert run.status == 2, run
    expected = f"mypy: error: mypy-await-plugin {__version__} supports mypy >=1.20,<2.5, not mypy"
    assert_refused(run.stderr, f"{expected} 1.19.1: install a supported mypy")


def test_entry_point_survives_loading_the_plugin() -> None:
    # mypy fetches ``mypy_await_plugin.plugin`` again on each daemon run: loading the
    # hooks (``main``) must leave it the entry point.
    import mypy_await_plugin

    assert mypy_await_plugin.plugin("2.4.1") is AwaitPlugin
    assert mypy_await_plugin.plugin is plugin


#: Two builds in one fresh process, as a daemon makes them: mypy imports the plugin
#: for the first and looks ``mypy_await_plugin.plugin`` up again for the second.
TWO_BUILDS = """
from mypy import api

for _ in range(2):
    stdout, stderr, status = api.run(["--no-incremental", "app.py"])
    print(status, stdout.splitlines()[0], stderr.strip() or "-")
"""


def test_second_build_in_one_process_loads_the_plugin(tmp_path: Path) -> None:
    files = {"mypy.ini": "[mypy]\nplugins = mypy_await_plugin\n", "app.py": SOURCE}
    project = Project(tmp_path, {**files, "two_builds.py": TWO_BUILDS})
    run = project.python("two_builds")
    assert run.status == 0, run
    first, second = run.stdout.splitlines()
    assert first.startswith("1 app.py:4:") and first.endswith("[discarded-awaitable] -"), run
    assert second == first, run
