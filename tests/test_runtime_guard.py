"""The run-time guard (``pytest --await-guard``) as users run it, on pytester's projects.

Each test writes a small test suite, runs pytest on it in this process (in a
subprocess where the guard is off or pytest-xdist is on, so that nothing leaks into
this run) and reads the outcomes and the report.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mypy_await_plugin.errorcodes import CODES_BY_NAME
from mypy_await_plugin.guard.losses import COROUTINE_CHECKS, TASK_CHECK, check_of_statement

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
"""

SHARED = """
import asyncio
import gc


async def fetch():
    return 1


async def wait_forever():
    await asyncio.Event().wait()


async def boom():
    raise ValueError("boom")


class Box:
    pass
"""


def suite(pytester: pytest.Pytester, tests: str, ini: str = INI) -> None:
    pytester.makeini(ini)
    pytester.makepyfile(shared=SHARED)
    pytester.makepyfile(test_suite="from shared import *\n" + textwrap.dedent(tests))


def line_of(pytester: pytest.Pytester, text: str) -> int:
    """The line of ``test_suite.py`` that holds ``text``."""
    lines = (pytester.path / "test_suite.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_leaking_test_fails_with_the_line_that_created_the_coroutine(
    pytester: pytest.Pytester,
) -> None:
    suite(
        pytester,
        """
        def test_leaks():
            fetch()

        def test_clean():
            assert asyncio.run(fetch()) == 1
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1, passed=1)
    created = line_of(pytester, "    fetch()")
    result.stdout.fnmatch_lines(
        [
            "*_ test_leaks _*",
            "await guard: this test lost 1 coroutine",
            "coroutine 'fetch' was never awaited  [[]call[]]",
            f"  created at test_suite.py:{created}, in test_leaks: fetch()",
            "  static check: discarded-awaitable (mypy's own unused-coroutine where the call *",
            "  creation stack (most recent call last*",
            f'    File "*test_suite.py", line {created}, in test_leaks',
            "      fetch()",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "await guard: 1 lost, at 1 creation site",
            f"  test_suite.py:{created}: 1 x coroutine 'fetch' never awaited"
            "  [[]discarded-awaitable[]]  in test_suite.py::test_leaks",
        ]
    )
    result.stdout.no_fnmatch_line("*test_clean - *")


def test_a_leak_in_a_reference_cycle_is_blamed_on_the_test_that_made_it(
    pytester: pytest.Pytester,
) -> None:
    # Without the guard's collection the cycle lives on until some later test
    # triggers the garbage collector, and Python's warning lands there.
    suite(
        pytester,
        """
        def test_makes_the_cycle():
            box = Box()
            box.itself = box
            box.pending = fetch()

        def test_later():
            gc.collect()
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1, passed=1)
    created = line_of(pytester, "box.pending = fetch()")
    result.stdout.fnmatch_lines(
        [
            "*_ test_makes_the_cycle _*",
            f"  created at test_suite.py:{created}, in test_makes_the_cycle: box.pending = fetch*",
            "  static check: never-awaited",
        ]
    )
    assert "test_later - " not in result.stdout.str()


def test_a_dropped_task_destroyed_while_pending(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_drops_a_task():
            async def main():
                asyncio.create_task(wait_forever())
                await asyncio.sleep(0)
                gc.collect()

            asyncio.run(main())
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1)
    created = line_of(pytester, "asyncio.create_task(wait_forever())")
    result.stdout.fnmatch_lines(
        [
            "await guard: this test lost 1 task",
            "task 'Task-*' of coroutine 'wait_forever': Task was destroyed but it is pending!*",
            f"  created at test_suite.py:{created}, in main: asyncio.create_task(wait_forever())",
            "  static check: dangling-task",
        ]
    )


def test_a_task_on_a_closed_loop_is_one_loss_not_two(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_closes_the_loop_first():
            loop = asyncio.new_event_loop()
            loop.create_task(fetch())
            loop.close()
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["task 'Task-*' of coroutine 'fetch': Task was destroyed but it is pending! (it never*"]
    )
    assert "was never awaited" not in result.stdout.str()


def test_exceptions_never_retrieved(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_task_exception():
            async def main():
                task = asyncio.create_task(boom())
                await asyncio.sleep(0)

            asyncio.run(main())

        def test_future_exception():
            async def main():
                future = asyncio.get_running_loop().create_future()
                future.set_exception(KeyError("lost"))

            asyncio.run(main())
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=2)
    created = line_of(pytester, "task = asyncio.create_task(boom())")
    result.stdout.fnmatch_lines(
        [
            "*_ test_task_exception _*",
            "task 'Task-*' of coroutine 'boom': Task exception was never retrieved: ValueError(*",
            f"  created at test_suite.py:{created}, in main: task = asyncio.create_task(boom())",
            "  static check: none (the task was kept, then neither awaited nor read)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_future_exception _*",
            "await guard: this test lost 1 future",
            "Future: Future exception was never retrieved: KeyError('lost')*",
        ]
    )


def test_clean_tests_and_coroutines_closed_on_purpose_pass(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        import pytest

        def test_awaited():
            assert asyncio.run(fetch()) == 1

        def test_closed_on_purpose():
            coroutine = fetch()
            coroutine.close()

        def test_task_kept_and_awaited():
            async def main():
                task = asyncio.create_task(boom())
                with pytest.raises(ValueError):
                    await task

            asyncio.run(main())

        @pytest.fixture
        def resource():
            yield asyncio.run(fetch())

        def test_with_a_fixture(resource):
            assert resource == 1
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["await guard: on (mode fail, depth 16)", "await guard: no lost coroutines"]
    )


def test_the_guard_off_changes_nothing(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_leaks():
            fetch()
        """,
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert "await guard" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*RuntimeWarning: coroutine 'fetch' was never awaited*"])


def test_a_fixture_that_leaks_is_named(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        import pytest
        import pytest_asyncio

        @pytest.fixture
        def connection():
            yield
            box = Box()
            box.itself = box
            box.close = fetch()

        def test_uses_it(connection):
            pass

        @pytest.fixture
        def client():
            fetch()
            yield

        @pytest_asyncio.fixture
        async def session():
            yield
            wait_forever()

        def test_uses_them(client, session):
            pass
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(passed=1, failed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_uses_it*",
            "coroutine 'fetch' was never awaited  [[]teardown of fixture 'connection'[]]",
            "  created at test_suite.py:*, in connection: box.close = fetch()",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_uses_them _*",
            "coroutine 'fetch' was never awaited  [[]setup of fixture 'client'[]]",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_uses_them*",
            "coroutine 'wait_forever' was never awaited  [[]teardown of fixture 'session'[]]",
        ]
    )


@pytest.mark.parametrize(
    "filters",
    ["-Werror", "-Wignore::RuntimeWarning", "-Wdefault"],
)
def test_whatever_the_warning_filters(pytester: pytest.Pytester, filters: str) -> None:
    suite(
        pytester,
        """
        def test_leaks():
            if fetch():
                pass
        """,
    )
    result = pytester.runpytest("--await-guard", filters)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  static check: truthy-coroutine"])


def test_a_loss_that_reaches_the_unraisable_hook(pytester: pytest.Pytester) -> None:
    # Another reporter of lost coroutines, which raises: Python hands the error and the
    # coroutine to sys.unraisablehook.
    suite(
        pytester,
        """
        import warnings

        def test_another_reporter(monkeypatch):
            def strict(coroutine):
                raise RuntimeWarning(f"coroutine {coroutine.__qualname__!r} was never awaited")

            monkeypatch.setattr(warnings, "_warn_unawaited_coroutine", strict)
            fetch()
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "coroutine 'fetch' was never awaited  [[]call[]]",
            "  created at test_suite.py:*: fetch()",
        ]
    )


def test_the_ini_options_turn_it_on_and_make_it_warn(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_leaks():
            print(fetch())
        """,
        INI + "await_guard = true\nawait_guard_mode = warn\n",
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*test_suite.py:*: AwaitGuardWarning: coroutine 'fetch' was never awaited",
            "    created at test_suite.py:*, in test_leaks: print(fetch())",
            "    static check: awaitable-as-value",
        ]
    )


def test_the_allow_list_names_coroutines_or_modules(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        known="""
        async def legacy():
            pass
        """
    )
    suite(
        pytester,
        """
        import known

        def test_by_module():
            known.legacy()

        def test_by_qualname():
            fetch()

        def test_not_allowed():
            wait_forever()
        """,
        INI + "await_guard_allow =\n    known\n    fetch\n",
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*1 lost, at 1 creation site (2 more allowed*", "FAILED test_suite.py::test_not_allowed*"]
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("await_guard_mode=loud", "*await_guard_mode must be 'fail' or 'warn', not 'loud'*"),
        ("await_guard_depth=deep", "*await_guard_depth must be a whole number*not 'deep'*"),
    ],
)
def test_bad_settings_are_rejected(pytester: pytest.Pytester, option: str, message: str) -> None:
    suite(pytester, "def test_nothing():\n    pass\n")
    result = pytester.runpytest("--await-guard", "-o", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_coroutine_created_by_library_code_is_an_async_callback(
    pytester: pytest.Pytester,
) -> None:
    suite(
        pytester,
        """
        def test_callback():
            async def main():
                asyncio.get_running_loop().call_soon(fetch)
                await asyncio.sleep(0)

            asyncio.run(main())
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  static check: async-callback"])


def test_pytest_asyncio_and_anyio_tests(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        import pytest

        @pytest.mark.asyncio
        async def test_asyncio_leaks():
            if not fetch():
                pass

        @pytest.mark.asyncio
        async def test_asyncio_clean():
            assert await fetch() == 1

        @pytest.mark.anyio
        async def test_anyio_leaks():
            pending = fetch()

        @pytest.mark.anyio
        async def test_anyio_clean():
            assert await fetch() == 1

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=2, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_asyncio_leaks _*",
            "*, in test_asyncio_leaks: if not fetch():",
            "  static check: truthy-coroutine",
            "*_ test_anyio_leaks*",
            "*, in test_anyio_leaks: pending = fetch()",
            "  static check: never-awaited",
        ]
    )


def test_pytest_xdist_workers_report_to_the_controller(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        import pytest

        box = Box()
        box.itself = box
        box.pending = wait_forever()  # at collection, in each worker
        del box

        @pytest.mark.parametrize("n", range(4))
        def test_leaks(n):
            fetch()
        """,
    )
    result = pytester.runpytest_subprocess("--await-guard", "-n", "2", "-p", "xdist")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*await guard: lost outside any test*",
            "coroutine 'wait_forever' was never awaited  [[]outside any test[]]",
            "coroutine 'wait_forever' was never awaited  [[]outside any test[]]",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "await guard: 6 lost, at 2 creation sites",
            "  test_suite.py:*: 4 x coroutine 'fetch' never awaited"
            "  [[]discarded-awaitable[]]  in test_suite.py::test_leaks[[]*[]] (+3 more)",
            "  ?: 2 x coroutine 'wait_forever' never awaited  [[]*[]]  in (outside any test)",
        ]
    )


@pytest.mark.parametrize(
    ("line", "check"),
    [
        ("fetch()", "discarded-awaitable"),
        ("flag and fetch()", "discarded-awaitable"),
        ("_ = fetch()", "discarded-awaitable"),
        ("pending = fetch()", "never-awaited"),
        ("self.pending: object = client.fetch()", "never-awaited"),
        ("if not client.fetch():", "truthy-coroutine"),
        ("elif fetch():", "truthy-coroutine"),
        ("while fetch():", "truthy-coroutine"),
        ("assert fetch()", "truthy-coroutine"),
        ("x = 1 if fetch() else 2", "truthy-coroutine"),
        ("if fetch() and ready:", "truthy-coroutine"),
        ("ok = bool(fetch())", "truthy-coroutine"),
        ('log.info("%s", fetch())', "awaitable-as-value"),
        ('print(f"{fetch()}")', "awaitable-as-value"),
        ("same = fetch() == 1", "awaitable-as-value"),
        ("[fetch(m) for m in messages]", "discarded-awaitable"),
        ("(fetch(), 1)", "discarded-awaitable"),
        ("ready = [m for m in messages if fetch(m)]", "truthy-coroutine"),
        ("return fetch()", None),  # returned: the caller lost it
        ("fetch(); fetch()", None),  # which one?
        ("results = gather(", None),  # the statement goes on below
    ],
)
def test_the_static_check_read_from_the_creation_line(line: str, check: str | None) -> None:
    assert check_of_statement("fetch", "    " + line + "\n") == check


def test_the_checks_it_names_are_the_plugins_error_codes() -> None:
    assert {*COROUTINE_CHECKS, TASK_CHECK} <= set(CODES_BY_NAME)


def test_importing_the_package_does_not_import_pytest() -> None:
    code = (
        "import sys, mypy_await_plugin, mypy_await_plugin.guard.catch, "
        "mypy_await_plugin.guard.text; assert 'pytest' not in sys.modules, 'pytest imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_failing_test_keeps_its_failure_and_gains_the_loss(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        def test_fails_and_leaks():
            fetch()
            assert 1 == 2
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E       assert 1 == 2", "*- await guard -*", "await guard: this test lost 1 coroutine"]
    )


def test_a_loss_outside_any_test_fails_the_session(pytester: pytest.Pytester) -> None:
    suite(
        pytester,
        """
        box = Box()
        box.itself = box
        box.pending = fetch()
        del box

        def test_clean():
            pass
        """,
    )
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*await guard: lost outside any test*",
            "coroutine 'fetch' was never awaited  [[]outside any test[]]",
            "  created *",  # tracked only if this run is itself under the guard
            "*1 x coroutine 'fetch' never awaited  [[]*[]]  in (outside any test)",
        ]
    )


def test_the_docs_list_every_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = pytester.runpytest("--help")
    declared = set(re.findall(r"^  (await_guard\w*) \(", result.stdout.str(), re.MULTILINE))
    page = (Path(__file__).parents[1] / "docs" / "runtime-guard.md").read_text()
    documented = set(re.findall(r"^\| `(await_guard\w*)` \|", page, re.MULTILINE))
    options = {"await_guard", "await_guard_mode", "await_guard_depth", "await_guard_allow"}
    assert declared == documented == options


def test_the_plugin_can_be_left_out_by_its_name(pytester: pytest.Pytester) -> None:
    suite(pytester, "def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:mypy-await-guard", "--await-guard")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --await-guard*"])


def test_the_docs_example_reports_what_the_docs_show(pytester: pytest.Pytester) -> None:
    page = (Path(__file__).parents[1] / "docs" / "runtime-guard.md").read_text()
    example = page.split("## Example", 1)[1]
    code, output = re.findall(r"```(?:python)?\n(.*?)```", example, re.DOTALL)[:2]
    pytester.makeini(INI)
    pytester.makepyfile(test_orders=code)
    result = pytester.runpytest("--await-guard")
    result.assert_outcomes(failed=2)
    shown = [
        line.replace("[", "[[]").replace("Task-2", "Task-*")
        for line in output.splitlines()
        if line.startswith(("coroutine ", "task ", "  created at", "  static check", "  test_"))
    ]
    assert len(shown) == 8
    result.stdout.fnmatch_lines(shown)
