"""Python as the judge: findings compared with ``coroutine ... was never awaited``.

Each test writes a small program of scenario functions, runs ``mypy`` with the plugin
on it, then runs the program with ``python -W always::RuntimeWarning`` and coroutine
origin tracking, which makes every lost coroutine warn with the line and function
that created it. Per scenario function: a finding where no coroutine was lost is a
false positive, a lost coroutine with no finding is a miss.

Scenarios are small functions, each losing at most one kind of coroutine, and every
one of them runs (``main`` calls them all with arguments that take the paths named
in the scenario).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from mypy_project import Project

_CREATED_AT = re.compile(
    r"RuntimeWarning: coroutine '[^']+' was never awaited\n"
    r"Coroutine created at \(most recent call last\)\n"
    r"((?:  File .*\n(?:    .*\n)?)+)"
)
_FRAME = re.compile(r'  File "([^"]+)", line (\d+), in ')
_FINDING = re.compile(r"^program\.py:(\d+): error: .*\[([a-z-]+)\]$")

#: Prepended to every program: warnings name where each lost coroutine was created
#: (the frames that created it, as deep as ``judge`` is asked to look).
_PRELUDE = """\
import sys

sys.set_coroutine_origin_tracking_depth({depth})
"""


@dataclass(frozen=True)
class Verdict:
    #: Scenario functions with a finding of one of the checked codes.
    reported: set[str]
    #: Scenario functions in which Python found a coroutine that never ran (by the
    #: line that created it: comprehensions run in functions of their own).
    lost: set[str]
    mypy_output: str
    python_output: str

    def explain(self) -> str:
        return (
            f"false positives: {sorted(self.reported - self.lost)}\n"
            f"misses: {sorted(self.lost - self.reported)}\n"
            f"--- mypy\n{self.mypy_output}--- python\n{self.python_output}"
        )


def judge(
    tmp_path: Path,
    program: str,
    codes: set[str],
    *,
    helpers: frozenset[str] = frozenset(),
) -> Verdict:
    """Run ``program`` through mypy (findings of ``codes``) and through Python.

    A lost coroutine belongs to the innermost function of the program that created
    it, not counting ``helpers``: functions that create a coroutine on behalf of
    their caller (a descriptor's ``__get__``, a function returning ``f()``).
    """
    depth = 3 if helpers else 1
    source = _PRELUDE.format(depth=depth) + textwrap.dedent(program)
    project = Project(tmp_path, {"program.py": source, "mypy.ini": _MYPY_INI})
    checked = project.mypy("--no-incremental", "program.py")
    assert checked.status in (0, 1), str(checked)
    functions = _function_ranges(source)
    reported = set()
    for line in checked.stdout.splitlines():
        match = _FINDING.match(line)
        if match and match.group(2) in codes:
            reported.add(_function_at(functions, int(match.group(1))))
    ran = _run_python(tmp_path / "program.py")
    lost = {_creator(functions, frames, helpers) for frames in _CREATED_AT.findall(ran.stderr)}
    assert ran.returncode == 0, ran.stderr
    return Verdict(reported, lost, checked.stdout, ran.stderr)


_MYPY_INI = """
    [mypy]
    plugins = mypy_await_plugin
    """


def _run_python(path: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-W", "always::RuntimeWarning", str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _function_ranges(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every top-level function and method."""
    ranges = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ranges.append((node.lineno, node.end_lineno or node.lineno, node.name))
    return ranges


def _creator(ranges: list[tuple[int, int, str]], frames: str, helpers: frozenset[str]) -> str:
    """The innermost function of the program among the frames a warning lists
    (outermost first), helpers passed over."""
    names = [
        _function_at(ranges, int(line))
        for path, line in _FRAME.findall(frames)
        if Path(path).name == "program.py"
    ]
    return next((name for name in reversed(names) if name not in helpers), "<unknown>")


def _function_at(ranges: list[tuple[int, int, str]], line: int) -> str:
    """The innermost function around ``line``."""
    around = [r for r in ranges if r[0] <= line <= r[1]]
    if not around:
        return "<module>"
    return min(around, key=lambda r: r[1] - r[0])[2]


# truthy-coroutine, never-awaited, awaitable-as-value.

_LOST_AWAITABLE_CODES = {"truthy-coroutine", "never-awaited", "awaitable-as-value"}

_LOST_AWAITABLE_PROGRAM = """
import asyncio
import json
import logging
from typing import Awaitable, Callable, Optional

log = logging.getLogger("oracle")


class Repo:
    async def exists(self, key: int) -> bool:
        return key > 0

    async def name(self) -> str:
        return "repo"


async def fetch(page: int = 0) -> int:
    return page


# Lost: Python must warn, the plugin must report.


async def truthy_not(r: Repo) -> bool:
    if not r.exists(1):
        return False
    return True


def truthy_bool(r: Repo) -> bool:
    return bool(r.exists(2))


async def truthy_walrus(r: Repo) -> None:
    if found := r.exists(3):
        print("found")


async def truthy_name(r: Repo) -> None:
    ready = r.exists(4)
    if ready:
        print("ready")


def truthy_callable_value(cb: Optional[Callable[[int], Awaitable[bool]]]) -> bool:
    return bool(cb and cb(5))


async def truthy_comprehension(r: Repo) -> list[int]:
    return [k for k in (1, 2) if r.exists(k)]


async def never_unused() -> None:
    pending = fetch(1)
    print("not awaited")


async def never_rebound() -> int:
    x = fetch(1)
    x = fetch(2)
    return await x


async def never_tuple() -> int:
    a, b = fetch(1), fetch(2)
    return await a


async def never_in_loop() -> None:
    for page in range(2):
        c = fetch(page)
        print(repr(c)[:1])


def never_in_sync_code() -> None:
    pending = fetch(3)


async def value_printed(r: Repo) -> None:
    print(r.name())


async def value_fstring(r: Repo) -> str:
    return f"name={r.name()}"


async def value_percent(r: Repo) -> str:
    return "%s/%s" % (r.name(), 1)


async def value_str(r: Repo) -> str:
    return str(r.name())


async def value_logged(r: Repo) -> None:
    log.info("name %s", r.name())


async def value_compared(r: Repo) -> bool:
    return r.name() == "repo"


async def value_json(r: Repo) -> None:
    try:
        json.dumps(r.name())
    except TypeError:
        pass


async def value_exception(r: Repo) -> None:
    try:
        raise ValueError(r.name())
    except ValueError:
        pass


# Look-alikes: every coroutine runs, nothing may be reported.


async def ok_awaited_conditions(r: Repo) -> bool:
    if not await r.exists(1):
        return False
    return bool(await r.exists(2))


async def ok_walrus_awaited(r: Repo) -> None:
    if (found := r.exists(3)) and await found:
        print("found")


async def ok_branches(flag: bool) -> int:
    if flag:
        x = fetch(1)
    else:
        x = fetch(2)
    return await x


async def ok_gathered() -> list[int]:
    coros = []
    c = fetch(1)
    coros.append(c)
    return await asyncio.gather(*coros)


async def ok_returned_later() -> int:
    pending = fetch(1)
    print("working")
    return await pending


async def ok_carried_over_iterations() -> None:
    pending = None
    for page in range(3):
        if pending is not None:
            await pending
        pending = fetch(page)
    if pending is not None:
        await pending


async def ok_alias_and_closure() -> int:
    x = fetch(1)
    y = x

    async def inner() -> int:
        return await z

    z = fetch(2)
    return await y + await inner()


async def ok_closed_on_purpose() -> None:
    coro = fetch(1)
    print(repr(coro)[:1])
    coro.close()


async def ok_handles(r: Repo) -> None:
    task = asyncio.ensure_future(r.name())
    print(task, f"{task}")
    if task:
        await task


async def ok_optional(r: Repo, flag: bool) -> None:
    refresh = r.name() if flag else None
    if refresh is not None:
        await refresh


async def main() -> None:
    r = Repo()

    async def check(key: int) -> bool:
        return key > 0

    await truthy_not(r)
    truthy_bool(r)
    await truthy_walrus(r)
    await truthy_name(r)
    truthy_callable_value(check)
    await truthy_comprehension(r)
    await never_unused()
    await never_rebound()
    await never_tuple()
    await never_in_loop()
    never_in_sync_code()
    await value_printed(r)
    await value_fstring(r)
    await value_percent(r)
    await value_str(r)
    await value_logged(r)
    await value_compared(r)
    await value_json(r)
    await value_exception(r)
    await ok_awaited_conditions(r)
    await ok_walrus_awaited(r)
    await ok_branches(True)
    await ok_branches(False)
    await ok_gathered()
    await ok_returned_later()
    await ok_carried_over_iterations()
    await ok_alias_and_closure()
    await ok_closed_on_purpose()
    await ok_handles(r)
    await ok_optional(r, True)


asyncio.run(main())
"""


def test_lost_awaitable_checks_agree_with_python(tmp_path: Path) -> None:
    verdict = judge(tmp_path, _LOST_AWAITABLE_PROGRAM, _LOST_AWAITABLE_CODES)
    assert verdict.reported == verdict.lost, verdict.explain()
    # The program exercises both sides: every bug scenario lost a coroutine.
    scenarios = {name for _, _, name in _function_ranges(_LOST_AWAITABLE_PROGRAM)}
    expected_lost = {name for name in scenarios if name.split("_")[0] in _BUG_PREFIXES}
    assert verdict.lost == expected_lost, verdict.explain()


_BUG_PREFIXES = {"truthy", "never", "value"}


# async-callback: helpers in the module being checked, whose bodies the plugin reads.

_CALLBACK_PROGRAM = """
import asyncio
import inspect
from typing import Callable


async def refresh() -> None:
    pass


# Helpers taking a callable returning ``object``: a coroutine is lost inside them,
# or run there, or handed back.

def fire(fn: Callable[[], object]) -> None:
    fn()


def show(fn: Callable[[], object]) -> None:
    print("result:", fn())


def drive(fn: Callable[[], object]) -> None:
    result = fn()
    if inspect.iscoroutine(result):
        asyncio.run(result)


def run_it(fn: Callable[[], object]) -> object:
    return fn()


# Scenarios: each passes the async function to one helper.

def callback_fire() -> None:
    fire(refresh)


def callback_show() -> None:
    show(refresh)


def ok_driven() -> None:
    drive(refresh)


def ok_handed_back() -> None:
    result = run_it(refresh)
    if inspect.iscoroutine(result):
        asyncio.run(result)


callback_fire()
callback_show()
ok_driven()
ok_handed_back()
"""

#: The scenario that passes the callback to each helper: Python names the helper
#: (the coroutine is created there), the plugin the call that passed it.
_PASSED_BY = {
    "fire": "callback_fire",
    "show": "callback_show",
    "drive": "ok_driven",
    "run_it": "ok_handed_back",
}


def test_async_callback_agrees_with_python(tmp_path: Path) -> None:
    verdict = judge(tmp_path, _CALLBACK_PROGRAM, {"async-callback"})
    assert verdict.reported == {_PASSED_BY[name] for name in verdict.lost}, verdict.explain()
    assert verdict.reported == {"callback_fire", "callback_show"}, verdict.explain()


# Optional awaitables tested, awaitables read from attributes, and bindings mypy
# reports itself: every lost coroutine gets exactly one report, mypy's or ours.

_SHAPES_CODES = _LOST_AWAITABLE_CODES | {"discarded-awaitable", "unused-coroutine", "assignment"}

_SHAPES_PROGRAM = """
import asyncio
import functools
from typing import Any, Callable, Coroutine, Generic, Optional, TypeVar

T = TypeVar("T")


class lazy(Generic[T]):
    # A descriptor: reading the attribute calls the async function.
    def __init__(self, fn: Callable[[Any], Coroutine[Any, Any, T]]) -> None:
        self.fn = fn

    def __get__(self, obj: Any, owner: Any) -> Coroutine[Any, Any, T]:
        return self.fn(obj)


class Service:
    def maybe_refresh(self, due: bool) -> Optional[Coroutine[Any, Any, None]]:
        return self.refresh() if due else None

    async def refresh(self) -> None:
        pass

    async def check(self, url: str) -> bool:
        return bool(url)

    @property
    async def current_user(self) -> str:
        return "ada"

    @functools.cached_property
    async def profile(self) -> str:
        return "profile"

    @lazy
    async def balance(self) -> int:
        return 1

    @property
    def done(self) -> "asyncio.Future[None]":
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    @property
    def name(self) -> str:
        return "service"


# Lost: Python must warn, one report each.


async def optional_if(s: Service) -> None:
    if s.maybe_refresh(True):
        print("refreshing")


async def optional_not(s: Service) -> None:
    if not s.maybe_refresh(True):
        print("nothing to do")


def optional_bool(s: Service) -> bool:
    return bool(s.maybe_refresh(True))


async def optional_ternary(s: Service) -> int:
    return 1 if s.maybe_refresh(True) else 0


async def optional_comprehension(s: Service) -> list[int]:
    return [k for k in (1,) if s.maybe_refresh(True)]


async def optional_assert(s: Service) -> None:
    assert s.maybe_refresh(True)


async def optional_while(s: Service) -> None:
    while s.maybe_refresh(True):
        break


async def property_statement(s: Service) -> None:
    s.current_user


async def property_tested(s: Service) -> None:
    if s.current_user:
        print("logged in")


async def property_fstring(s: Service) -> str:
    return f"user={s.current_user}"


async def property_bound(s: Service) -> None:
    user = s.current_user
    print("never awaited")


async def cached_tested(s: Service) -> None:
    if not s.profile:
        print("no profile")


async def descriptor_tested(s: Service) -> None:
    if s.balance:
        print("has balance")


async def descriptor_bound(s: Service) -> None:
    total = s.balance


async def binding_declared_bool(s: Service) -> None:
    allow: bool = s.check("u")
    if allow:
        print("allowed")


async def binding_declared_earlier(s: Service) -> None:
    ok: bool
    ok = s.check("u")
    if not ok:
        print("denied")


# Look-alikes: every coroutine runs, nothing may be reported.


async def ok_optional_walrus(s: Service) -> None:
    if (c := s.maybe_refresh(True)) is not None:
        await c


async def ok_optional_bound(s: Service) -> None:
    c = s.maybe_refresh(True)
    if c:
        await c


async def ok_optional_or(s: Service) -> None:
    c = s.maybe_refresh(True) or s.refresh()
    await c


async def ok_property_awaited(s: Service) -> None:
    if await s.current_user:
        print(f"user={await s.current_user}")
    later = s.current_user
    await later


async def ok_cached_and_descriptor_awaited(s: Service) -> None:
    print(await s.profile, await s.balance)


async def ok_handle_and_sync_properties(s: Service) -> None:
    if s.done and s.name:
        print(s.done, f"{s.name}")
    s.done


async def main() -> None:
    await optional_if(Service())
    await optional_not(Service())
    optional_bool(Service())
    await optional_ternary(Service())
    await optional_comprehension(Service())
    try:
        await optional_assert(Service())
    except AssertionError:
        pass
    await optional_while(Service())
    await property_statement(Service())
    await property_tested(Service())
    await property_fstring(Service())
    await property_bound(Service())
    await cached_tested(Service())
    await descriptor_tested(Service())
    await descriptor_bound(Service())
    await binding_declared_bool(Service())
    await binding_declared_earlier(Service())
    await ok_optional_walrus(Service())
    await ok_optional_bound(Service())
    await ok_optional_or(Service())
    await ok_property_awaited(Service())
    await ok_cached_and_descriptor_awaited(Service())
    await ok_handle_and_sync_properties(Service())


asyncio.run(main())
"""


def test_optional_attribute_and_mypy_reported_shapes_agree_with_python(tmp_path: Path) -> None:
    program = _SHAPES_PROGRAM
    verdict = judge(tmp_path, program, _SHAPES_CODES, helpers=_SHAPE_HELPERS)
    assert verdict.reported == verdict.lost, verdict.explain()
    scenarios = {name for _, _, name in _function_ranges(program)}
    expected_lost = {name for name in scenarios if name.split("_")[0] in _SHAPE_BUG_PREFIXES}
    assert verdict.lost == expected_lost, verdict.explain()
    # One report per lost coroutine: mypy's own, or the plugin's.
    functions = _function_ranges(_PRELUDE.format(depth=3) + textwrap.dedent(program))
    findings = [
        _function_at(functions, int(match.group(1)))
        for match in map(_FINDING.match, verdict.mypy_output.splitlines())
        if match and match.group(2) in _SHAPES_CODES
    ]
    assert sorted(findings) == sorted(expected_lost), verdict.explain()


_SHAPE_BUG_PREFIXES = {"optional", "property", "cached", "descriptor", "binding"}
_SHAPE_HELPERS = frozenset({"__get__", "maybe_refresh"})


# Wrappers: plain defs whose bodies make the coroutine (``evidence``). Python names
# the wrapper as the coroutine's creator; the scenario that called it is the
# innermost frame that is not a wrapper.

_WRAPPER_PROGRAM = """
import asyncio
from typing import Any, Awaitable, Coroutine, Optional


class Backend:
    async def record(self, x: str) -> None:
        pass


class Metrics:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def record(self, x: str) -> Awaitable[None]:
        return self._backend.record(x)

    def maybe(self, x: str) -> Optional[Awaitable[None]]:
        if not x:
            return None
        return self._backend.record(x)

    def through_a_local(self, x: str) -> Awaitable[None]:
        sent = self._backend.record(x)
        return sent

    def acquire(self) -> Awaitable[None]:
        waiter = asyncio.get_running_loop().create_future()
        waiter.set_result(None)
        return waiter

    def on_event(self) -> Optional[Coroutine[Any, Any, None]]:
        return None


async def dropped_record(m: Metrics) -> None:
    m.record("a")


async def dropped_optional(m: Metrics) -> None:
    m.maybe("b")


async def truthy_record(m: Metrics) -> None:
    if not m.record("c"):
        print("never")


async def value_record(m: Metrics) -> None:
    print("sent:", m.through_a_local("d"))


async def never_record(m: Metrics) -> None:
    pending = m.record("e")


async def ok_awaited(m: Metrics) -> None:
    await m.record("f")
    await m.through_a_local("f")


async def ok_bound_and_awaited(m: Metrics) -> None:
    pending = m.maybe("g")
    if pending is not None:
        await pending


async def ok_handle(m: Metrics) -> None:
    m.acquire()


def ok_hook(m: Metrics) -> None:
    m.on_event()


async def main() -> None:
    m = Metrics(Backend())
    await dropped_record(m)
    await dropped_optional(m)
    await truthy_record(m)
    await value_record(m)
    await never_record(m)
    await ok_awaited(m)
    await ok_bound_and_awaited(m)
    await ok_handle(m)
    ok_hook(m)


asyncio.run(main())
"""


#: The wrappers: each makes a coroutine on behalf of the scenario that called it.
_WRAPPERS = frozenset({"record", "maybe", "through_a_local"})


def test_wrappers_whose_bodies_make_coroutines_agree_with_python(tmp_path: Path) -> None:
    codes = {*_LOST_AWAITABLE_CODES, "discarded-awaitable"}
    verdict = judge(tmp_path, _WRAPPER_PROGRAM, codes, helpers=_WRAPPERS)
    assert verdict.reported == verdict.lost, verdict.explain()
    expected = {"dropped_record", "dropped_optional", "truthy_record", "value_record"}
    assert verdict.lost == expected | {"never_record"}, verdict.explain()


# Helper spawners: a task only the event loop's weak set holds is destroyed while it
# waits, and asyncio says so. Each scenario's task runs a coroutine of its own, whose
# name tells the scenario.

_SPAWNER_PROGRAM = """
import asyncio
import gc
from typing import Any, Coroutine

_running: set["asyncio.Task[Any]"] = set()


def spawn(coro: Coroutine[Any, Any, None]) -> "asyncio.Task[None]":
    task = asyncio.create_task(coro)
    task.set_name("spawned")
    return task


def spawn_kept(coro: Coroutine[Any, Any, None]) -> "asyncio.Task[None]":
    task = asyncio.create_task(coro)
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def forever() -> None:
    await asyncio.get_running_loop().create_future()


async def in_dangling_spawn() -> None:
    await forever()


async def in_ok_kept() -> None:
    await forever()


async def dangling_spawn() -> None:
    spawn(in_dangling_spawn())


async def ok_kept() -> None:
    spawn_kept(in_ok_kept())


async def main() -> None:
    await dangling_spawn()
    await ok_kept()
    for _ in range(3):
        await asyncio.sleep(0)
        gc.collect()
    for task in list(_running):
        task.cancel()
    await asyncio.sleep(0)


asyncio.run(main())
"""
_DESTROYED = re.compile(
    r"Task was destroyed but it is pending!\ntask: <Task pending [^>]*coro=<in_(\w+)\("
)


def test_helper_spawners_agree_with_python(tmp_path: Path) -> None:
    project = Project(tmp_path, {"program.py": _SPAWNER_PROGRAM, "mypy.ini": _MYPY_INI})
    checked = project.mypy("--no-incremental", "program.py")
    functions = _function_ranges(_SPAWNER_PROGRAM)
    reported = {
        _function_at(functions, int(match.group(1)))
        for match in map(_FINDING.match, checked.stdout.splitlines())
        if match and match.group(2) == "dangling-task"
    }
    ran = _run_python(tmp_path / "program.py")
    assert ran.returncode == 0, ran.stderr
    destroyed = set(_DESTROYED.findall(ran.stderr))
    assert destroyed == {"dangling_spawn"}, ran.stderr
    assert reported == destroyed, f"{checked}\n--- python\n{ran.stderr}"
