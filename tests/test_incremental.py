"""Warm caches and ``-n`` workers give the answers of a fresh serial run.

mypy replays a fresh module's errors from its cache, so a stale cache would repeat
old findings; the plugin's config and version are in ``report_config_data`` to
prevent that. Every ``-n`` worker builds its own plugin.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy_project import (
    ENRICHMENT_IN_COMPREHENSION,
    ENRICHMENT_STATEMENT,
    FLUSH_DROPPED,
    FLUSH_IN_CLOSE,
    FLUSH_IN_PROCESS,
    MAKE_ENRICHMENT_ASYNC,
    MAKE_FLUSH_LAZY,
    MYPY_VERSION,
    PENDING_READ,
    RECORD_DROPPED,
    SERVICE,
    SPAWN_DROPPED,
    WRAPPERS,
    Project,
    assert_same,
)


def test_warm_cache_after_edits_equals_a_fresh_run(tmp_path: Path) -> None:
    project = Project(tmp_path, SERVICE)
    cold = project.mypy("src")
    assert FLUSH_IN_CLOSE in cold.findings, cold

    warm = project.mypy("src")
    assert_same(warm, cold)

    # A callee in another module becomes async: its callers are checked again.
    project.edit("src/svc/metrics.py", *MAKE_ENRICHMENT_ASYNC)
    run = project.mypy("src")
    assert ENRICHMENT_IN_COMPREHENSION in run.findings, run
    assert ENRICHMENT_STATEMENT in run.findings, run
    assert_same(run, project.mypy("--no-incremental", "src"))

    # An await goes missing in the module itself.
    project.edit("src/svc/processor.py", "await self.metrics.flush()", "self.metrics.flush()")
    run = project.mypy("src")
    assert FLUSH_IN_PROCESS in run.findings, run
    assert_same(run, project.mypy("--no-incremental", "src"))

    # Only the plugin's own section changes: cached errors must not be replayed.
    project.edit(
        "mypy.ini", "[mypy_await_plugin]\n", "[mypy_await_plugin]\ndisable = discarded-awaitable\n"
    )
    run = project.mypy("src")
    assert not any("[discarded-awaitable]" in line for line in run.findings), run
    assert ENRICHMENT_STATEMENT in run.findings, run
    assert_same(run, project.mypy("--no-incremental", "src"))


@pytest.mark.skipif(MYPY_VERSION < (2, 0), reason="parallel checking (-n) needs mypy 2")
def test_workers_equal_a_serial_run(tmp_path: Path) -> None:
    project = Project(tmp_path, SERVICE)
    project.edit("src/svc/metrics.py", *MAKE_ENRICHMENT_ASYNC)
    serial = project.mypy("--no-incremental", "src")
    parallel = project.mypy("-n", "2", "src")
    assert FLUSH_IN_CLOSE in parallel.findings, parallel
    assert ENRICHMENT_IN_COMPREHENSION in parallel.findings, parallel
    assert_same(parallel, serial)


def test_facts_from_bodies_survive_the_cache(tmp_path: Path) -> None:
    # The callers' module is checked again while the wrappers' module comes from the
    # cache, without bodies: the facts travel with it.
    project = Project(tmp_path, WRAPPERS)
    cold = project.mypy("src")
    assert RECORD_DROPPED in cold.findings, cold
    assert SPAWN_DROPPED in cold.findings, cold
    assert PENDING_READ in cold.findings, cold
    assert FLUSH_DROPPED not in cold.findings, cold
    assert len([line for line in cold.findings if ": error: " in line]) == 3, cold

    project.edit(
        "src/app/main.py",
        "def close(m: Metrics) -> None:",
        "def close(m: Metrics) -> None:  # edited",
    )
    assert_same(project.mypy("src"), cold)

    # Only a body changes: the facts are part of the module's interface, so the
    # callers are checked again.
    project.edit("src/app/metrics.py", *MAKE_FLUSH_LAZY)
    run = project.mypy("src")
    assert FLUSH_DROPPED in run.findings, run
    assert_same(run, project.mypy("--no-incremental", "src"))


def test_facts_of_a_module_checked_again_for_its_imports(tmp_path: Path) -> None:
    # The wrappers' module is unchanged but its import's interface is not: mypy parses
    # it again in the middle of the build, where no ``get_additional_deps`` is asked,
    # checks it, and writes its cache anew. Its facts must come out as in a cold run.
    files = dict(WRAPPERS)
    files["src/app/settings.py"] = "LEVEL = 1\n"
    files["src/app/metrics.py"] = files["src/app/metrics.py"].replace(
        "import asyncio\n", "import asyncio\n\n        from app import settings\n", 1
    )
    project = Project(tmp_path, files)
    cold = project.mypy("src")
    assert RECORD_DROPPED in cold.findings, cold
    assert SPAWN_DROPPED in cold.findings, cold

    project.edit("src/app/settings.py", "LEVEL = 1", 'LEVEL = "debug"')
    run = project.mypy("src")
    assert_same(run, cold)
    # And once more from the cache it wrote.
    project.edit(
        "src/app/main.py",
        "def close(m: Metrics) -> None:",
        "def close(m: Metrics) -> None:  # edited",
    )
    assert_same(project.mypy("src"), cold)


@pytest.mark.skipif(MYPY_VERSION < (2, 0), reason="parallel checking (-n) needs mypy 2")
def test_workers_read_facts_from_bodies_like_a_serial_run(tmp_path: Path) -> None:
    project = Project(tmp_path, WRAPPERS)
    serial = project.mypy("--no-incremental", "src")
    assert RECORD_DROPPED in serial.findings, serial
    assert_same(project.mypy("-n", "2", "src"), serial)


#: A property and a descriptor defined in one module, read in another: a warm run
#: decides them from the cached definitions.
ATTRIBUTES = {
    "mypy.ini": """
        [mypy]
        plugins = mypy_await_plugin
        """,
    "src/app/__init__.py": "",
    "src/app/session.py": """
        import functools


        class Session:
            @property
            async def current_user(self) -> str:
                return "ada"

            @functools.cached_property
            async def profile(self) -> str:
                return "profile"

            @property
            def name(self) -> str:
                return "session"
        """,
    "src/app/views.py": """
        from app.session import Session


        async def show(s: Session) -> str:
            if s.current_user:
                print(s.name)
            user = s.profile
            return f"{s.name}"
        """,
}
USER_TESTED = "src/app/views.py:5: error: Coroutine[Any, Any, str] returned by property"
PROFILE_BOUND = "src/app/views.py:7: error: Coroutine[Any, Any, str] returned by property"


def test_attributes_read_from_a_cached_module(tmp_path: Path) -> None:
    project = Project(tmp_path, ATTRIBUTES)
    cold = project.mypy("src")
    assert any(line.startswith(USER_TESTED) for line in cold.findings), cold
    assert any(line.startswith(PROFILE_BOUND) for line in cold.findings), cold
    assert_same(project.mypy("src"), cold)

    # Only the reader changes: the definitions come from the cache.
    project.edit("src/app/views.py", 'return f"{s.name}"', 'return f"{s.name}!"')
    run = project.mypy("src")
    assert_same(run, cold)
    if MYPY_VERSION >= (2, 0):  # parallel checking (-n) needs mypy 2
        assert_same(project.mypy("-n", "2", "--no-incremental", "src"), cold)
