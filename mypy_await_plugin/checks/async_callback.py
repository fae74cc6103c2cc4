"""``async-callback``: an async function passed where the caller will not await it.

The callee (a sink from ``sinks``: ``Thread(target=...)``, ``loop.call_soon``, a
parameter declared as a callable returning ``object``...) calls what it is given and
drops the result, so an async function passed there only creates a coroutine that
never runs. Reported for each argument of a sink parameter whose calls return a lazy
awaitable: a function or bound method, a ``functools.partial`` of one, a lambda whose
body is a lazy awaitable, or an object whose ``__call__`` is async.

A parameter found by the generic rule is not a sink when the callee is defined in the
module being checked and its body keeps what a call of the parameter returns
(``result = fn()`` and then ``inspect.iscoroutine(result)``).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

from mypy.lookup import lookup_fully_qualified
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    CallExpr,
    Decorator,
    Expression,
    ExpressionStmt,
    FuncBase,
    FuncDef,
    FuncItem,
    LambdaExpr,
    MemberExpr,
    NameExpr,
    SymbolNode,
    TypeInfo,
)
from mypy.subtypes import find_member
from mypy.types import CallableType, Instance, Overloaded, ProperType, Type, get_proper_type

from mypy_await_plugin.awaitables import (
    Kind,
    is_coroutine,
    is_lazy,
    module_of,
    starts_its_own_work,
)
from mypy_await_plugin.callsite import CallSite
from mypy_await_plugin.entries import Runs, Sink
from mypy_await_plugin.errorcodes import ASYNC_CALLBACK
from mypy_await_plugin.sinks import constructor_of, find_sink, lookup_callee
from mypy_await_plugin.syntax import paths_to
from mypy_await_plugin.usage import Use, classify_path

#: What the note suggests, by where the sink calls its callback.
NOTES = {
    Runs.LOOP: (
        'Pass a sync function that starts it as a task (e.g. "loop.create_task(...)")'
        " and keeps a reference to the task"
    ),
    Runs.THREAD: (
        'Pass a sync function that runs it with "asyncio.run(...)", or that hands it to'
        ' the running event loop with "asyncio.run_coroutine_threadsafe(..., loop)"'
    ),
    Runs.CALLER: (
        "The callee drops what its callback returns: pass a sync function that starts"
        ' it as a task (keeping a reference) or runs it with "asyncio.run(...)"'
    ),
}


class Passed(NamedTuple):
    """An argument whose calls return a lazy awaitable, as messages describe it."""

    #: ``Async function "shutdown"``, ``Lambda returning "Awaitable[None]"``...
    subject: str
    #: What its calls return.
    returns: Type


def check(site: CallSite, sinks: tuple[Sink, ...]) -> None:
    """Called for every call of a callee with sink parameters, ``sinks`` (decided once
    per name by ``sinks.callee_roles``)."""
    ctx = site.ctx
    for index, name in enumerate(ctx.callee_arg_names):
        sink = find_sink(sinks, index, name)
        if sink is None:
            continue
        for arg, typ, kind in zip(
            ctx.args[index], ctx.arg_types[index], ctx.arg_kinds[index], strict=True
        ):
            if kind.is_star():
                continue  # ``*callbacks``: the type is the container's
            passed = describe(arg, typ, site)
            # Most callbacks are sync: the callee's body is read only for an async one.
            if passed is None or (sink.generic and _keeps_result(sink, site)):
                continue
            if _mypy_reports_the_result(site):
                return  # one report per bug: mypy's own
            _report(site, sink, index, name, arg, passed)


def _mypy_reports_the_result(site: CallSite) -> bool:
    """Whether mypy reports this bug itself: the sink hands back the coroutine it
    made, and ``await`` gets it as a statement (``await loop.run_in_executor(None,
    job)`` gives an unused ``Coroutine``: mypy's ``unused-coroutine``)."""
    usage = site.usage
    path = usage.path
    if usage.use is not Use.AWAITED or len(path) < 3:
        return False
    statement, awaited = path[-3], path[-2]
    if not (isinstance(statement, ExpressionStmt) and statement.expr is awaited):
        return False
    result = get_proper_type(site.return_type)
    awaitable = site.api.named_type("typing.Awaitable").type
    if not isinstance(result, Instance) or not result.type.has_base(awaitable.fullname):
        return False
    value = map_instance_to_supertype(result, awaitable).args
    return bool(value) and is_coroutine(value[0])


def _keeps_result(sink: Sink, site: CallSite) -> bool:
    """Whether the callee, defined in the module being checked, keeps what a call of
    the ``sink`` parameter returns: binds, returns, stores or passes it on (printing
    or testing it loses a coroutine all the same).

    Only the module being checked has its function bodies in every run (a module read
    from the cache keeps none), so a callee elsewhere keeps the generic rule and the
    answer is the same cold, cached and in the daemon.
    """
    lookup = partial(lookup_fully_qualified, modules=site.api.modules)
    function = _function_def(lookup_callee(site.fullname, lookup))
    if function is None or not isinstance(sink.param, str):
        return False
    if module_of(function) != site.api.tree.fullname:
        return False
    param = next(
        (arg.variable for arg in function.arguments if arg.variable.name == sink.param), None
    )
    if param is None:
        return False
    for stmt in function.body.body:
        for path in paths_to(stmt, (CallExpr,)):
            call = path[-1]
            assert isinstance(call, CallExpr)
            if not isinstance(call.callee, NameExpr) or call.callee.node is not param:
                continue
            if any(isinstance(node, FuncItem) for node in path):
                continue  # called in a nested function or lambda
            if classify_path(path).use not in _LOST:
                return True
    return False


#: Uses of a callback's result in the callee that lose a coroutine all the same.
_LOST = frozenset({Use.DROPPED, Use.DROPPED_TO_UNDERSCORE, Use.FORMATTED, Use.TESTED})


def _function_def(callee: SymbolNode | None) -> FuncDef | None:
    """The ``def`` a call of ``callee`` runs, when it is a plain one."""
    if isinstance(callee, TypeInfo):
        callee = constructor_of(callee)
    if isinstance(callee, Decorator):
        callee = callee.func
    return callee if isinstance(callee, FuncDef) else None


def describe(arg: Expression, typ: Type, site: CallSite) -> Passed | None:
    """``arg`` (of type ``typ``) as messages describe it, if its calls return a lazy
    awaitable; ``None`` otherwise (sync callables, ``Any``, unions, classes)."""
    proper = get_proper_type(typ)
    returns = _lazy_return(proper, site)
    if returns is None:
        return None
    if isinstance(arg, LambdaExpr):
        return Passed(f'Lambda returning "{site.type_text(returns)}"', returns)
    if isinstance(proper, Instance):
        wrapped = _partial_target(proper)
        if wrapped is not None:
            name = _callable_name(wrapped, _partial_first_arg(arg))
            return Passed(f'{_function(name, returns, site)} wrapped in "partial"', returns)
        return Passed(
            f'Callable "{proper.type.name}" returning "{site.type_text(returns)}"', returns
        )
    assert isinstance(proper, CallableType | Overloaded)
    item = proper if isinstance(proper, CallableType) else proper.items[0]
    return Passed(_function(_callable_name(item, arg), returns, site), returns)


def _lazy_return(proper: ProperType, site: CallSite) -> Type | None:
    """What calls of a value of type ``proper`` return, if that is a lazy awaitable."""
    must_await = site.config.must_await
    if isinstance(proper, CallableType):
        if proper.is_type_obj():
            return None  # a class: calling it builds an object
        told = site.evidence.kind_of(proper.definition)
        if told is not None:
            return proper.ret_type if told is Kind.LAZY else None
        if starts_its_own_work(proper.definition, site.api.modules, site.config.must_await):
            return None
        return proper.ret_type if is_lazy(proper.ret_type, must_await) else None
    if isinstance(proper, Overloaded):
        if all(is_lazy(item.ret_type, must_await) for item in proper.items):
            return _lazy_return(proper.items[0], site)
        return None
    if isinstance(proper, Instance):
        call = find_member("__call__", proper, proper, is_operator=True)
        if call is None:
            return None
        called = get_proper_type(call)
        if isinstance(called, CallableType | Overloaded):
            return _lazy_return(called, site)
    return None


def _function(name: str | None, returns: Type, site: CallSite) -> str:
    """``Async function "send"``, or ``Function "flush" returning "Awaitable[None]"``."""
    named = f' "{name}"' if name is not None else ""
    if is_coroutine(returns):
        return f"Async function{named}"
    return f'Function{named} returning "{site.type_text(returns)}"'


def _partial_target(instance: Instance) -> CallableType | None:
    """The function a ``functools.partial`` wraps, as mypy's partial plugin recorded it."""
    if instance.type.fullname != "functools.partial" or instance.extra_attrs is None:
        return None
    wrapped = instance.extra_attrs.attrs.get("__mypy_partial")
    proper = get_proper_type(wrapped) if wrapped is not None else None
    return proper if isinstance(proper, CallableType) else None


def _partial_first_arg(arg: Expression) -> Expression | None:
    """For ``partial(send, 1)`` written in place: ``send``."""
    if isinstance(arg, CallExpr) and arg.args:
        return arg.args[0]
    return None


def _callable_name(callable_type: CallableType, arg: Expression | None) -> str | None:
    """``shutdown``, ``Conn.close``: from the definition, else from the expression."""
    definition = callable_type.definition
    if isinstance(definition, FuncBase):
        info = definition.info
        return f"{info.name}.{definition.name}" if info else definition.name
    if isinstance(arg, NameExpr | MemberExpr):
        return arg.name
    return None


def _report(
    site: CallSite, sink: Sink, index: int, name: str | None, arg: Expression, passed: Passed
) -> None:
    where = f'"{name}"' if name is not None else f"argument {index + 1}"
    if is_coroutine(passed.returns):
        lost = "its coroutine never runs"
    else:
        lost = "what it returns is never awaited"
    message = (
        f'{passed.subject} passed to "{site.callee_name}" as {where} is called without'
        f' "await"; {lost}'
    )
    site.report(ASYNC_CALLBACK, message, arg, NOTES[sink.runs])
