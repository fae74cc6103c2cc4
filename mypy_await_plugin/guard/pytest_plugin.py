"""The pytest plugin: fail the test that lost a coroutine, and say where it was made.

Registered through pytest's ``pytest11`` entry point and off until asked for
(``pytest --await-guard``, or ``await_guard = true`` in the ini options): with the
guard off this module only declares its options. With it on, each test runs with
coroutine origin tracking, a collection runs after the test's call, after each of the
user's fixture teardowns and after its teardown, and what ``catch`` hands over while
the test runs is that test's: its report fails (mode ``fail``) or it warns (``warn``).
The session ends with the lost coroutines per creation site.

The only module of the package that imports pytest.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest

from mypy_await_plugin.guard.catch import Catcher
from mypy_await_plugin.guard.losses import Loss, is_library
from mypy_await_plugin.guard.text import Summary, describe, headline, test_report

MODES = ("fail", "warn")
DEFAULT_DEPTH = 16
#: The name the pytest-xdist controller reads a worker's losses outside any test by.
_WORKER_OUTPUT = "await_guard_outside"
_OUTSIDE = "(outside any test)"


class AwaitGuardWarning(pytest.PytestWarning):
    """A lost coroutine, task or future, in mode ``warn``."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("await-guard", "mypy-await-plugin's run-time guard")
    group.addoption(
        "--await-guard",
        action="store_true",
        default=False,
        help="Fail the test that lost a coroutine, task or future (await_guard_* ini options).",
    )
    parser.addini("await_guard", "Turn the await guard on (as --await-guard)", type="bool")
    parser.addini("await_guard_mode", "fail (the default) or warn", default="fail")
    parser.addini(
        "await_guard_depth",
        f"Frames of each coroutine's creation stack to keep (default {DEFAULT_DEPTH})",
        default=str(DEFAULT_DEPTH),
    )
    parser.addini(
        "await_guard_allow",
        "Known leaks: coroutine qualified names or modules the guard lets through",
        type="linelist",
        default=[],
    )


@pytest.hookimpl(trylast=True)  # after pytest's own sys.unraisablehook is in place
def pytest_configure(config: pytest.Config) -> None:
    settings = Settings.of(config)
    if settings is None:
        return
    guard = Guard(config, settings)
    config.pluginmanager.register(guard, "await-guard")
    guard.start()
    config.add_cleanup(guard.stop)


@dataclass(frozen=True)
class Settings:
    mode: str
    depth: int
    allow: tuple[str, ...]

    @classmethod
    def of(cls, config: pytest.Config) -> Settings | None:
        """The guard's settings, or None when it is off; bad values stop the run."""
        if not (config.getoption("await_guard") or config.getini("await_guard")):
            return None
        mode = str(config.getini("await_guard_mode")).strip()
        if mode not in MODES:
            raise pytest.UsageError(f"await_guard_mode must be 'fail' or 'warn', not {mode!r}")
        depth_text = str(config.getini("await_guard_depth")).strip()
        if not depth_text.isdigit() or int(depth_text) < 1:
            raise pytest.UsageError(
                "await_guard_depth must be a whole number of frames, 1 or more,"
                f" not {depth_text!r}"
            )
        allow = tuple(str(entry) for entry in config.getini("await_guard_allow"))
        return cls(mode, int(depth_text), allow)

    def allows(self, loss: Loss) -> bool:
        """Whether an entry of the allow-list names the coroutine or its module."""
        if loss.qualname is None:
            return False
        full = f"{loss.module}.{loss.qualname}" if loss.module else loss.qualname
        return any(
            entry in (loss.qualname, full) or full.startswith(entry + ".") for entry in self.allow
        )


class Guard:
    """The hooks of a session with the guard on."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self._config = config
        self._root = str(config.rootpath)
        self._catcher = Catcher(self._lost)
        self._summary = Summary()
        #: The test running now, its losses not yet in a report, its stage (setup, call,
        #: teardown) and the phase that names its losses (a stage, or a fixture's).
        self._test: pytest.Item | None = None
        self._losses: list[Loss] = []
        self._allowed = 0
        self._stage = self._phase = "outside any test"
        self._outside: list[Loss] = []
        #: Mode warn: the test's losses not yet warned about.
        self._unwarned: list[Loss] = []
        self._frozen = False

    def start(self) -> None:
        self._catcher.install()

    def stop(self) -> None:
        self._catcher.uninstall()
        self._unfreeze()

    def _unfreeze(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def _lost(self, loss: Loss) -> None:
        if self.settings.allows(loss):
            self._allowed += 1
            return
        loss = dataclasses.replace(loss, phase=self._phase)
        if self._test is None:
            self._outside.append(loss)
            return
        self._losses.append(loss)
        if self.settings.mode == "warn":
            self._unwarned.append(loss)

    def _collect(self) -> None:
        gc.collect()
        self._catcher.forget_tasks()

    def _freeze(self) -> None:
        """What survived the collection is left out of the next ones (the cost stays small).

        Reference counting still frees frozen objects; only a cycle that becomes garbage
        after it was frozen waits for the session's end (``gc.unfreeze``)."""
        gc.freeze()
        self._frozen = True

    # -- a test ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        if not self._frozen:  # the first test: what collection lost is no test's
            self._collect()
            self._freeze()
        previous = sys.get_coroutine_origin_tracking_depth()
        self._test, self._losses, self._unwarned, self._allowed = item, [], [], 0
        sys.set_coroutine_origin_tracking_depth(max(previous, self.settings.depth))
        try:
            return (yield)
        finally:
            sys.set_coroutine_origin_tracking_depth(previous)
            self._test, self._stage = None, "outside any test"
            self._phase = self._stage
            self._freeze()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self) -> Generator[None, object, object]:
        self._stage = self._phase = "setup"
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self) -> Generator[None, object, object]:
        self._stage = self._phase = "call"
        try:
            return (yield)
        finally:
            self._collect()
            self._warn()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self) -> Generator[None, object, object]:
        self._stage = self._phase = "teardown"
        try:
            return (yield)
        finally:
            self._collect()
            self._warn()

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any]
    ) -> Generator[None, object, object]:
        """What a fixture loses while it sets up or tears down is named after it."""
        if self._test is None:
            return (yield)
        self._phase = f"setup of fixture {fixturedef.argname!r}"
        try:
            result = yield
        finally:
            self._phase = self._stage
        # Finalizers run last added first: this one runs just before the fixture's own.
        teardown = f"teardown of fixture {fixturedef.argname!r}"
        fixturedef.addfinalizer(lambda: setattr(self, "_phase", teardown))
        return result

    def pytest_fixture_post_finalizer(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """After the teardown of one of the user's fixtures, a collection: its cycles too."""
        ran = self._test is not None and fixturedef.cached_result is not None
        if ran and _is_user_generator(fixturedef.func):
            self._collect()
        self._phase = self._stage

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if item is not self._test or call.when == "setup":
            return report
        losses, self._losses = self._losses, []
        allowed, self._allowed = self._allowed, 0
        if losses or allowed:
            report.await_guard = {  # type: ignore[attr-defined]  # read by logreport
                "losses": [loss.to_json() for loss in losses],
                "allowed": allowed,
            }
        if losses and self.settings.mode == "fail":
            _fail(report, test_report(losses, self._root))
        return report

    def _warn(self) -> None:
        """Mode warn: one warning per loss, at its creation site, in the running test."""
        unwarned, self._unwarned = self._unwarned, []
        for loss in unwarned:
            text = "\n".join([headline(loss), *describe(loss, self._root)])
            site = loss.site
            if site is None:
                warnings.warn(AwaitGuardWarning(text), stacklevel=1)
            else:
                warnings.warn_explicit(AwaitGuardWarning(text), AwaitGuardWarning, *site[:2])

    # -- the session -------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "await_guard", None)
        if not isinstance(data, dict):
            return
        for loss in data.get("losses", []):
            self._summary.add(Loss.from_json(loss), report.nodeid, self._root)
        self._summary.allowed += int(data.get("allowed", 0))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._unfreeze()
        self._collect()
        self._summary.allowed += self._allowed
        workeroutput = getattr(self._config, "workeroutput", None)
        if isinstance(workeroutput, dict):  # a pytest-xdist worker: the controller reports
            workeroutput[_WORKER_OUTPUT] = [loss.to_json() for loss in self._outside]
            self._outside = []
        for loss in self._outside:
            self._summary.add(loss, _OUTSIDE, self._root)
        if self._outside and self.settings.mode == "fail" and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        """pytest-xdist's controller: a worker's losses outside any test."""
        for loss in getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, []):
            self._outside.append(Loss.from_json(loss))

    def pytest_report_header(self) -> str:
        return f"await guard: on (mode {self.settings.mode}, depth {self.settings.depth})"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self._outside:
            terminalreporter.section("await guard: lost outside any test")
            for loss in self._outside:
                terminalreporter.write_line(f"{headline(loss)}  [{loss.phase}]")
                for line in describe(loss, self._root):
                    terminalreporter.write_line(line)
        for line in self._summary.lines():
            terminalreporter.write_line(line)


def _fail(report: pytest.TestReport, text: str) -> None:
    """A passing report fails with ``text``; a failing one carries it as a section."""
    if report.failed or hasattr(report, "wasxfail"):
        report.sections.append(("await guard", text))
        return
    report.outcome = "failed"
    report.longrepr = text


def _is_user_generator(function: object) -> bool:
    function = inspect.unwrap(function)  # type: ignore[arg-type]
    if not (inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)):
        return False
    code = getattr(function, "__code__", None)
    return code is not None and not is_library(code.co_filename)
