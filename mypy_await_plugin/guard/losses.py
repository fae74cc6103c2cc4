"""A lost coroutine, task or future, described: where it was created and which check covers it.

A ``Loss`` is plain data (it crosses from pytest-xdist workers to the controller as
JSON). The creation site is the innermost frame of the creation stack that is the
user's code, outside the standard library and site-packages; the static check is
read from the statement at that site when it shows the pattern, else named as a
set of candidates.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import os
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from functools import cache
from typing import Any

NEVER_AWAITED = "never-awaited"
TASK_DESTROYED = "task-destroyed"
NEVER_RETRIEVED = "exception-never-retrieved"

#: The static checks that report a coroutine created and never awaited.
COROUTINE_CHECKS = (
    "discarded-awaitable",
    "never-awaited",
    "truthy-coroutine",
    "awaitable-as-value",
    "async-callback",
)
TASK_CHECK = "dangling-task"
#: A task kept, then neither awaited nor its result read: beyond the static checks.
NO_CHECK = "none"

#: A frame of a creation stack: file, line, function.
Frame = tuple[str, int, str]


@dataclass(frozen=True)
class Loss:
    kind: str
    #: What was lost, as Python names it: ``coroutine 'Client.fetch'``.
    what: str
    #: The coroutine's qualified name and module, for the allow-list (None for a future).
    qualname: str | None
    module: str | None
    #: Where it was created, outermost frame first; empty when nothing was tracked.
    stack: tuple[Frame, ...]
    #: The check of this plugin that reports the pattern statically, or candidates.
    check: str
    #: What else Python said (the task's repr, the exception never retrieved).
    detail: str = ""
    #: When in the test it was reported: ``call``, ``teardown of fixture 'db'``, ...
    phase: str = field(default="", compare=False)

    @property
    def site(self) -> Frame | None:
        """The innermost frame of the user's code that created it."""
        for frame in reversed(self.stack):
            if not is_library(frame[0]):
                return frame
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "qualname": self.qualname,
            "module": self.module,
            "stack": [list(frame) for frame in self.stack],
            "check": self.check,
            "detail": self.detail,
            "phase": self.phase,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Loss:
        stack = tuple((str(f), int(n), str(fn)) for f, n, fn in data["stack"])
        return cls(
            kind=data["kind"],
            what=data["what"],
            qualname=data["qualname"],
            module=data["module"],
            stack=stack,
            check=data["check"],
            detail=data["detail"],
            phase=data["phase"],
        )


def lost_coroutine(coro: Any, kind: str = NEVER_AWAITED, detail: str = "") -> Loss:
    """Describe ``coro`` (a coroutine object) lost as ``kind``."""
    qualname = str(getattr(coro, "__qualname__", "?"))
    stack = creation_stack(getattr(coro, "cr_origin", None))
    name = str(getattr(coro, "__name__", qualname))
    check = coroutine_check(name, stack) if kind == NEVER_AWAITED else task_check(name, stack)
    return Loss(
        kind=kind,
        what=f"coroutine {qualname!r}",
        qualname=qualname,
        module=coroutine_module(coro),
        stack=stack,
        check=check,
        detail=detail,
    )


def lost_future(kind: str, what: str, source_traceback: Any, detail: str) -> Loss:
    """Describe a future (not a task) lost as ``kind``; asyncio's debug mode keeps its stack."""
    stack: tuple[Frame, ...] = ()
    if source_traceback:
        stack = tuple((s.filename, s.lineno or 0, s.name) for s in source_traceback)
    return Loss(kind, what, None, None, stack, TASK_CHECK, detail)


def creation_stack(origin: Any) -> tuple[Frame, ...]:
    """``cr_origin`` (innermost first) as a stack, outermost first."""
    if not origin:
        return ()
    return tuple((str(f), int(n), str(fn)) for f, n, fn in reversed(origin))


def coroutine_module(coro: Any) -> str | None:
    """The module that defines the coroutine's function."""
    frame = getattr(coro, "cr_frame", None)
    if frame is not None:
        name = frame.f_globals.get("__name__")
        return name if isinstance(name, str) else None
    code = getattr(coro, "cr_code", None)
    return None if code is None else _module_of_file(code.co_filename)


def _module_of_file(filename: str) -> str | None:
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return None


def coroutine_state(coro: Any) -> str:
    """How far a task's coroutine got: ``never started``, ``suspended at f.py:3``, or ``""``."""
    state = inspect.getcoroutinestate(coro)
    if state == inspect.CORO_CREATED:
        return "it never started"
    if state == inspect.CORO_SUSPENDED:
        frame = coro.cr_frame
        return f"suspended at {frame.f_code.co_filename}:{frame.f_lineno}"
    return ""


def coroutine_check(name: str, stack: tuple[Frame, ...]) -> str:
    """The static check for a coroutine ``name`` created by the innermost ``stack`` frame.

    Created by library code (threading, call_soon, a framework's callback): the async
    function was handed over as a callback. Created by the user's code: the statement
    at that line shows what happened to the call's result."""
    if stack and is_library(stack[-1][0]):
        return "async-callback"
    if stack:
        check = check_of_statement(name, linecache.getline(stack[-1][0], stack[-1][1]))
        if check is not None:
            return check
    return "one of " + ", ".join(COROUTINE_CHECKS)


def task_check(name: str, stack: tuple[Frame, ...]) -> str:
    """The static check for a task of coroutine ``name`` that was lost.

    dangling-task when the statement that spawned it dropped it; a task that was
    kept and then never awaited is beyond the static checks (a task is a handle)."""
    if stack:
        call = _call_of(name, linecache.getline(stack[-1][0], stack[-1][1]))
        if call is not None:
            node, parents = call
            spawner = parents.get(node)
            if isinstance(spawner, ast.Call):
                if _check_of_use(spawner, parents) == "discarded-awaitable":
                    return TASK_CHECK
                return NO_CHECK
    return f"{TASK_CHECK}, if the statement that started it dropped it"


def check_of_statement(name: str, line: str) -> str | None:
    """The check that covers a call of ``name`` in the one-line statement ``line``."""
    call = _call_of(name, line)
    return None if call is None else _check_of_use(*call)


def _call_of(name: str, line: str) -> tuple[ast.Call, dict[ast.AST, ast.AST]] | None:
    """The one call of ``name`` in the statement ``line``, and each node's parent."""
    tree = _parse_line(line.strip())
    if tree is None:
        return None
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    matching = [call for call in calls if _callee_name(call) == name]
    return (matching[0], parents) if len(matching) == 1 else None


def _parse_line(line: str) -> ast.Module | None:
    if line.startswith("elif "):
        line = line[2:]
    for candidate in (line, line + " pass"):
        try:
            return ast.parse(candidate)
        except (SyntaxError, ValueError, RecursionError):
            continue
    return None


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


#: Expressions whose value is (or holds) their operand's: the use is further up.
_PASSING_ON = (
    ast.BoolOp,
    ast.IfExp,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Starred,
    ast.ListComp,
    ast.SetComp,
    ast.GeneratorExp,
)


def _check_of_use(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    """Walk up from the call through the operators that pass it on, to its use."""
    parent = parents.get(node)
    while isinstance(parent, _PASSING_ON):
        if isinstance(parent, ast.IfExp) and parent.test is node:
            return "truthy-coroutine"
        if isinstance(parent, ast.BoolOp) and parent.values[-1] is not node:
            return "truthy-coroutine"  # an operand before the last is tested
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return "truthy-coroutine"
    if isinstance(parent, ast.Expr):
        return "discarded-awaitable"
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if all(isinstance(t, ast.Name) and t.id == "_" for t in targets):
            return "discarded-awaitable"
        return "never-awaited"
    if isinstance(parent, (ast.If, ast.While, ast.Assert)) and parent.test is node:
        return "truthy-coroutine"
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return "truthy-coroutine"
    if isinstance(parent, ast.Call) and _callee_name(parent) == "bool":
        return "truthy-coroutine"
    if isinstance(parent, (ast.Call, ast.FormattedValue, ast.Compare, ast.BinOp)):
        return "awaitable-as-value"
    return None


@cache
def is_library(filename: str) -> bool:
    """Whether ``filename`` is the standard library, site-packages or frozen code."""
    if filename.startswith("<"):
        return True
    path = os.path.join(os.path.realpath(filename), "")
    if "site-packages" in path.split(os.sep) or "dist-packages" in path.split(os.sep):
        return True
    return path.startswith(_library_prefixes())


@cache
def _library_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.update(getattr(site, "getsitepackages", list)())
    roots.add(site.getusersitepackages())
    roots.add(os.path.dirname(os.__file__))
    if sys.prefix != sys.base_prefix:
        roots.add(os.path.join(sys.prefix, "lib"))
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots if root)
