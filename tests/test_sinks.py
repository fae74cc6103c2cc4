"""The sink and spawner tables: the entry format, and which full names they match.

The matching tests use the names mypy passes to call hooks (checked on mypy 2.4.1):
a method call is named after the receiver's own class, which need not define the
method (``ThreadPoolExecutor.submit`` is ``Executor.submit``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

import pytest
from mypy import build
from mypy.lookup import lookup_fully_qualified
from mypy.modulefinder import BuildSource
from mypy.nodes import Decorator, FuncDef, MypyFile, OverloadedFuncDef, SymbolNode, TypeInfo, Var
from mypy.options import Options

from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.entries import ParamRef, Runs, Sink, parse_sink
from mypy_await_plugin.libraries import SYNC_CALLBACK_SINKS, TASK_SPAWNERS
from mypy_await_plugin.sinks import (
    callback_params,
    callee_roles,
    find_sink,
    has_no_role,
    lookup_callee,
    may_pass_async,
    spawner_key,
)

PROGRAM = """
import asyncio
import contextlib
import threading
import unittest
from typing import Any, Awaitable, Callable, Optional

class MyLoop(asyncio.SelectorEventLoop): ...
class Worker(threading.Thread): ...
class OwnInit(threading.Thread):
    def __init__(self, job: Callable[[], Any]) -> None: ...

def on_change(
    listener: Callable[[], object], /, other: Optional[Callable[[int], object]]
) -> None: ...
def run_any(fn: Callable[[], Any]) -> None: ...
Handler = Callable[[], object]
def maybe_later(listener: Optional[Callable[[], object]] = None) -> None: ...
def aliased(listener: Handler) -> None: ...
def either(fn: Callable[[], object] | Callable[[], Awaitable[None]]) -> None: ...

class Bus:
    def subscribe(self, topic: str, handler: Callable[[str], Any]) -> None: ...
    @staticmethod
    def publish(listener: Callable[[], object]) -> None: ...
class LocalBus(Bus): ...
"""


# The entry format.


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("pkg.events.on:handler", Sink("pkg.events.on", "handler")),
        ("pkg.events.Bus.subscribe:1", Sink("pkg.events.Bus.subscribe", 1)),
        (" pkg.on : cb ", Sink("pkg.on", "cb")),
        ("atexit.register:0", Sink("atexit.register", 0)),
    ],
)
def test_parse_sink(entry: str, expected: Sink) -> None:
    assert parse_sink(entry) == expected


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("pkg.events.on", 'has no ":parameter" part'),
        ("on:handler", "is not a dotted full name"),
        ("pkg..on:handler", "is not a dotted full name"),
        ("pkg.on-off:handler", "is not a dotted full name"),
        ("pkg.on:", "is not a parameter name or position"),
        ("pkg.on:-1", "is not a parameter name or position"),
        ("pkg.on:a:b", "is not a parameter name or position"),
        ("pkg.on:first arg", "is not a parameter name or position"),
    ],
)
def test_parse_sink_rejects(entry: str, problem: str) -> None:
    with pytest.raises(ValueError, match="expected") as caught:
        parse_sink(entry)
    message = str(caught.value)
    assert message.startswith(f'"{entry}"')
    assert problem in message


def test_builtin_tables_are_well_formed() -> None:
    for fullname, sinks in SYNC_CALLBACK_SINKS.items():
        assert sinks and all(sink.fullname == fullname for sink in sinks)
        assert all(sink.runs is not Runs.CALLER or "contextlib" in fullname for sink in sinks)
    assert all(name.count(".") >= 2 for name in TASK_SPAWNERS)


def test_find_sink_by_name_or_position() -> None:
    sinks = (Sink("m.f", "callback"), Sink("m.f", 2))
    assert find_sink(sinks, 0, "callback") == sinks[0]
    assert find_sink(sinks, 2, None) == sinks[1]
    assert find_sink(sinks, 1, None) is None
    assert find_sink(sinks, 1, "other") is None


# Matching full names, on definitions from a real mypy build.

Lookup = Callable[[str], SymbolNode | None]


def _build(directory: Path, module: str, source: str) -> dict[str, MypyFile]:
    """The modules of a mypy build of ``source`` as ``module``, with no error."""
    path = directory / f"{module}.py"
    path.write_text(source, encoding="utf-8")
    options = Options()
    options.incremental = False
    result = build.build([BuildSource(str(path), module)], options)
    assert not result.errors, result.errors
    return result.files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MypyFile]:
    return _build(tmp_path_factory.mktemp("sinks"), "prog", PROGRAM)


@pytest.fixture(scope="module")
def node(files: dict[str, MypyFile]) -> Lookup:
    lookup = partial(lookup_fully_qualified, modules=files)
    return partial(lookup_callee, lookup=lookup)


def params(fullname: str, node: Lookup, config: AwaitConfig | None = None) -> list[ParamRef]:
    found = callback_params(fullname, node(fullname), config or AwaitConfig())
    return [sink.param for sink in found]


@pytest.mark.parametrize(
    ("fullname", "expected", "runs"),
    [
        ("threading.Thread", ["target"], Runs.THREAD),
        ("threading.Timer", ["function"], Runs.THREAD),
        ("prog.Worker", ["target"], Runs.THREAD),
        ("signal.signal", ["handler"], Runs.THREAD),
        ("atexit.register", [0], Runs.THREAD),
        ("weakref.finalize", [1], Runs.THREAD),
        ("concurrent.futures.thread.ThreadPoolExecutor.submit", [0], Runs.THREAD),
        ("concurrent.futures.process.ProcessPoolExecutor.map", ["fn"], Runs.THREAD),
        ("asyncio.events.AbstractEventLoop.run_in_executor", ["func"], Runs.THREAD),
        ("asyncio.events.AbstractEventLoop.call_soon", ["callback"], Runs.LOOP),
        ("asyncio.unix_events._UnixSelectorEventLoop.call_later", ["callback"], Runs.LOOP),
        ("prog.MyLoop.call_soon_threadsafe", ["callback"], Runs.LOOP),
        ("prog.MyLoop.add_signal_handler", ["callback"], Runs.LOOP),
        ("_asyncio.Future.add_done_callback", [0], Runs.LOOP),
        ("_asyncio.Task.add_done_callback", [0], Runs.LOOP),
        ("contextlib.AsyncExitStack.callback", [0], Runs.CALLER),
    ],
)
def test_listed_sinks_match_the_names_mypy_passes(
    fullname: str, expected: list[ParamRef], runs: Runs, node: Lookup
) -> None:
    assert params(fullname, node) == expected
    assert callback_params(fullname, node(fullname), AwaitConfig())[0].runs is runs


@pytest.mark.parametrize(
    ("fullname", "expected"),
    [
        ("prog.on_change", [0, "other"]),
        ("prog.Bus.publish", ["listener"]),
        ("unittest.case.TestCase.addCleanup", [0]),
        ("prog.OwnInit", []),  # its own constructor, not Thread's
        ("prog.run_any", []),
        ("prog.either", []),
        ("prog.Bus.subscribe", []),
    ],
)
def test_generic_rule(fullname: str, expected: list[ParamRef], node: Lookup) -> None:
    assert params(fullname, node) == expected


@pytest.mark.parametrize(
    "fullname",
    [
        "builtins.print",
        "builtins.len",
        "builtins.map",
        "builtins.sorted",
        "builtins.list.append",
        "functools.partial",
        "asyncio.tasks.create_task",
        "asyncio.tasks.gather",
        "asyncio.runners.run",
        "contextlib.AsyncExitStack.push_async_callback",
        "prog.no_such_function",
    ],
)
def test_names_that_cannot_matter_get_no_callback_hook(fullname: str, node: Lookup) -> None:
    definition = node(fullname)
    assert callee_roles(fullname, definition, AwaitConfig())[1] == ()


def test_sync_callbacks_from_config_match_subclasses(node: Lookup) -> None:
    config = AwaitConfig(sync_callbacks=frozenset({"prog.Bus.subscribe:handler", "bad entry"}))
    assert params("prog.LocalBus.subscribe", node, config) == ["handler"]
    assert params("prog.run_any", node, AwaitConfig(sync_callbacks=frozenset({"prog.run_any:0"})))


@pytest.mark.parametrize(
    ("fullname", "expected"),
    [
        ("asyncio.tasks.create_task", True),
        ("asyncio.tasks.ensure_future", True),
        ("asyncio.tasks.gather", True),
        ("asyncio.events.AbstractEventLoop.create_task", True),
        ("asyncio.events.AbstractEventLoop.run_in_executor", True),
        ("asyncio.unix_events._UnixSelectorEventLoop.create_task", True),
        ("prog.MyLoop.create_task", True),
        ("asyncio.taskgroups.TaskGroup.create_task", False),
        ("asyncio.tasks.wait_for", False),
        ("builtins.print", False),
    ],
)
def test_task_spawners(fullname: str, expected: bool, node: Lookup) -> None:
    spawner, _ = callee_roles(fullname, node(fullname), AwaitConfig())
    assert spawner is expected


def test_task_spawners_from_config(node: Lookup) -> None:
    config = AwaitConfig(task_spawners=frozenset({"prog.Bus.subscribe"}))
    assert callee_roles("prog.LocalBus.subscribe", node("prog.LocalBus.subscribe"), config)[0]
    assert not callee_roles("prog.Bus.publish", node("prog.Bus.publish"), config)[0]


_CONFIGS: Final = (
    AwaitConfig(),
    AwaitConfig(task_spawners=frozenset({"prog.Bus.subscribe"})),
    AwaitConfig(sync_callbacks=frozenset({"prog.Bus.subscribe:handler", "prog.run_any:0"})),
)


@pytest.mark.parametrize("config", _CONFIGS)
@pytest.mark.parametrize(
    "fullname",
    [
        "threading.Thread",
        "prog.Worker",
        "prog.OwnInit",
        "asyncio.unix_events._UnixSelectorEventLoop.call_later",
        "asyncio.unix_events._UnixSelectorEventLoop.create_task",
        "_asyncio.Task.add_done_callback",
        "prog.MyLoop.create_task",
        "prog.LocalBus.subscribe",
        "prog.Bus.publish",
        "prog.run_any",
        "prog.on_change",
        "asyncio.taskgroups.TaskGroup.create_task",
        "builtins.print",
        "prog.no_such_function",
    ],
)
def test_callee_roles_agree_with_the_tables(
    fullname: str, config: AwaitConfig, node: Lookup
) -> None:
    # ``callee_roles`` turns most names away by their last part; it must give the
    # answer matching each table would.
    definition = node(fullname)
    spawner = spawner_key(fullname, definition, config) is not None
    expected = (spawner, callback_params(fullname, definition, config))
    assert callee_roles(fullname, definition, config) == expected


def _callees(files: dict[str, MypyFile]) -> list[tuple[str, SymbolNode]]:
    """Every function, method and class of the build, by the name calls give it."""
    found: list[tuple[str, SymbolNode]] = []
    for file in files.values():
        for symbol in file.names.values():
            definition = symbol.node
            if isinstance(definition, TypeInfo) and definition.module_name == file.fullname:
                found.append((definition.fullname, definition))
                for name, member in definition.names.items():
                    found.append((f"{definition.fullname}.{name}", member.node))  # type: ignore[arg-type]
            elif isinstance(definition, FuncDef | OverloadedFuncDef | Decorator | Var):
                found.append((definition.fullname, definition))
    return found


@pytest.mark.parametrize("config", _CONFIGS)
def test_has_no_role_never_hides_a_role(files: dict[str, MypyFile], config: AwaitConfig) -> None:
    # ``has_no_role`` answers most callees without ``callee_roles``: over every
    # definition of asyncio, threading, contextlib, unittest and their imports, it
    # may only say so where ``callee_roles`` finds no role, and it says so for most.
    callees = _callees(files)
    answered = 0
    for fullname, definition in callees:
        if has_no_role(fullname, definition, config):
            answered += 1
            assert callee_roles(fullname, definition, config) == (False, ()), fullname
    assert answered > len(callees) // 2


ARGUMENTS = """
import asyncio
from typing import Awaitable
def sync() -> None: ...
async def async_fn() -> None: ...
def awaitable_fn() -> Awaitable[None]: raise NotImplementedError
def future_fn() -> "asyncio.Future[None]": raise NotImplementedError
class Callable_:
    async def __call__(self) -> None: ...
callable_object = Callable_()
number = 1
"""


@pytest.fixture(scope="module")
def argument_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MypyFile]:
    return _build(tmp_path_factory.mktemp("arguments"), "args", ARGUMENTS)


@pytest.mark.parametrize(
    ("argument", "passes"),
    [
        ("sync", False),
        ("async_fn", True),
        ("awaitable_fn", True),
        ("future_fn", True),  # a handle by its declaration; its body may say lazy
        ("callable_object", True),
        ("number", False),
    ],
)
def test_may_pass_async(argument: str, passes: bool, argument_files: dict[str, MypyFile]) -> None:
    # Sink calls are checked only where an argument may be an async callable: a sync
    # callback or a plain value is turned away before the check, anything that may
    # return an awaitable or that has ``__call__`` is not; and only at a sink.
    definition = argument_files["args"].names[argument].node
    assert isinstance(definition, FuncDef | Var)
    typ = definition.type
    assert typ is not None
    sink = Sink("threading.Thread", "target")
    names: list[str | None] = ["group", "target", "name"]
    assert may_pass_async((sink,), names, [[], [typ], []], ()) is passes
    assert not may_pass_async((sink,), names, [[typ], [], []], ())
