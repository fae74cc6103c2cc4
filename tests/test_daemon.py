"""``dmypy`` gives the answers of ``mypy``, and follows edits.

The daemon keeps one plugin instance across runs and re-checks only what an edit
affects; the plugin's per-name hook decisions are dropped whenever a module is
parsed again (``get_additional_deps``), so a callee that becomes async gets its
hook. Each test has its own status file and always stops its daemon.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy_project import (
    ENRICHMENT_IN_COMPREHENSION,
    ENRICHMENT_STATEMENT,
    FLUSH_DROPPED,
    FLUSH_IN_CLOSE,
    MAKE_ENRICHMENT_ASYNC,
    MAKE_FLUSH_LAZY,
    ON_EVENT_DROPPED,
    RECORD_DROPPED,
    SERVICE,
    WRAPPERS,
    Project,
    assert_same,
)


def test_daemon_equals_mypy_and_follows_dependency_edits(tmp_path: Path) -> None:
    project = Project(tmp_path, SERVICE)
    plain = project.mypy("src")
    assert FLUSH_IN_CLOSE in plain.findings, plain
    with project.daemon():
        assert_same(project.dmypy("run", "--", "src"), plain)

        # The dependency changes: the daemon reports the caller.
        project.edit("src/svc/metrics.py", *MAKE_ENRICHMENT_ASYNC)
        run = project.dmypy("run", "--", "src")
        assert ENRICHMENT_IN_COMPREHENSION in run.findings, run
        assert ENRICHMENT_STATEMENT in run.findings, run
        assert_same(run, project.mypy("--no-incremental", "src"))

        # The caller adds the awaits: the findings go away.
        project.edit(
            "src/svc/processor.py",
            "        self.metrics.record_enrichment(result)\n"
            "        [self.metrics.record_enrichment(part) for part in (result, event)]\n",
            "        await self.metrics.record_enrichment(result)\n"
            "        [await self.metrics.record_enrichment(part) for part in (result, event)]\n",
        )
        run = project.dmypy("run", "--", "src")
        assert not any("record_enrichment" in line for line in run.findings), run
        assert FLUSH_IN_CLOSE in run.findings, run
        assert_same(run, project.mypy("--no-incremental", "src"))


@pytest.mark.parametrize(
    "section",
    [
        pytest.param("[mypy_await_plugin]\ndisable = discarded-awaitable\n", id="plugin-key"),
        pytest.param("[mypy-svc.*]\ndisable_error_code = discarded-awaitable\n", id="per-module"),
    ],
)
def test_daemon_honours_the_ways_to_disable_a_plugin_code(tmp_path: Path, section: str) -> None:
    # The two documented ways that work under the daemon: global enable_error_code /
    # disable_error_code naming a plugin code crash dmypy (see the next test).
    project = Project(tmp_path, SERVICE)
    project.edit("mypy.ini", "[mypy_await_plugin]\n", section)
    project.edit("src/svc/metrics.py", *MAKE_ENRICHMENT_ASYNC)
    plain = project.mypy("--no-incremental", "src")
    assert ENRICHMENT_STATEMENT in plain.findings, plain
    assert not any("[discarded-awaitable]" in line for line in plain.findings), plain
    with project.daemon():
        assert_same(project.dmypy("run", "--", "src"), plain)


def test_daemon_never_ignores_a_global_plugin_code_silently(tmp_path: Path) -> None:
    # mypy's daemon compares options before plugins define their codes: with a
    # plugin code in the global disable_error_code, dmypy 1.20 to 2.4 crash with
    # KeyError (documented in docs/configuration.md). Should a mypy release fix
    # that, the code must then be honoured, not dropped.
    project = Project(tmp_path, SERVICE)
    project.edit("mypy.ini", "[mypy_await_plugin]\n", "disable_error_code = discarded-awaitable\n")
    with project.daemon():
        run = project.dmypy("run", "--", "src")
    if run.status == 2:
        assert "KeyError: 'discarded-awaitable'" in run.stderr, run
    else:
        assert run.findings == [], run


def test_daemon_reads_facts_from_bodies_and_follows_body_edits(tmp_path: Path) -> None:
    project = Project(tmp_path, WRAPPERS)
    plain = project.mypy("--no-incremental", "src")
    assert RECORD_DROPPED in plain.findings, plain
    with project.daemon():
        assert_same(project.dmypy("run", "--", "src"), plain)

        # A body edit that takes a wrapper's evidence away: the caller had errors,
        # and mypy's fine-grained engine checks such a function again.
        project.edit(
            "src/app/metrics.py",
            "return self._backend.record(x)",
            "return asyncio.get_event_loop().create_future()",
        )
        run = project.dmypy("run", "--", "src")
        assert RECORD_DROPPED not in run.findings, run
        assert_same(run, project.mypy("--no-incremental", "src"))

        # A body edit that gives a wrapper lazy evidence, with a caller that had no
        # errors: the daemon checks a function again when the declarations it uses
        # change, and a body is not one of them. The finding appears once the
        # caller's module is checked again (documented in docs/configuration.md);
        # should a mypy release re-check it at once, this test tells.
        project.edit("src/app/metrics.py", *MAKE_FLUSH_LAZY)
        run = project.dmypy("run", "--", "src")
        assert FLUSH_DROPPED not in run.findings, run
        project.edit(
            "src/app/main.py",
            "def close(m: Metrics) -> None:",
            "def close(m: Metrics) -> None:  # edited",
        )
        run = project.dmypy("run", "--", "src")
        assert FLUSH_DROPPED in run.findings, run
        assert_same(run, project.mypy("--no-incremental", "src"))

        # A callee that returned None becomes a wrapper around a coroutine: its
        # declaration changes, and the callers are checked again at once.
        project.edit(
            "src/app/metrics.py",
            "def on_event(self) -> Optional[Coroutine[Any, Any, None]]:\n        return None",
            'def on_event(self) -> Awaitable[None]:\n        return self._backend.record("e")',
        )
        run = project.dmypy("run", "--", "src")
        assert ON_EVENT_DROPPED in run.findings, run


#: A property read in another module; a test makes it ``async``.
PROPERTIES = {
    "mypy.ini": """
        [mypy]
        plugins = mypy_await_plugin
        """,
    "src/app/__init__.py": "",
    "src/app/session.py": """
        class Session:
            @property
            def ready(self) -> bool:
                return True
        """,
    "src/app/views.py": """
        from app.session import Session


        async def show(s: Session) -> None:
            if s.ready:
                print("ready")
        """,
}
READY_TESTED = "src/app/views.py:5: error: Coroutine[Any, Any, bool] returned by property"


def test_daemon_follows_a_property_that_becomes_async(tmp_path: Path) -> None:
    project = Project(tmp_path, PROPERTIES)
    plain = project.mypy("src")
    assert not plain.findings, plain
    with project.daemon():
        assert_same(project.dmypy("run", "--", "src"), plain)

        project.edit("src/app/session.py", "    def ready", "    async def ready")
        run = project.dmypy("run", "--", "src")
        assert any(line.startswith(READY_TESTED) for line in run.findings), run
        assert_same(run, project.mypy("--no-incremental", "src"))

        project.edit("src/app/views.py", "if s.ready:", "if await s.ready:")
        run = project.dmypy("run", "--", "src")
        assert not run.findings, run
        assert_same(run, project.mypy("--no-incremental", "src"))
