"""``dangling-task``: a task or future from a spawner, dropped on the floor.

The event loop keeps only weak references to tasks: a task nobody keeps can be
garbage-collected before it finishes, and its exception is never seen. Reported
where a statement drops the result of a spawner from ``libraries`` (``create_task``,
``ensure_future``, ``gather``, ``run_in_executor``, the config's ``task_spawners``,
and project helpers whose body returns a task they spawned and kept nowhere: see
``evidence``):
a bare statement, inside ``and``/``or``, a conditional expression, a display or a
comprehension statement, or assigned to ``_``. A bare statement that mypy's own
``unused-awaitable`` reports (when the user enabled it) is left to mypy.
"""

from __future__ import annotations

from functools import partial

from mypy.lookup import lookup_fully_qualified
from mypy.types import Instance, NoneType, Type

from mypy_await_plugin.awaitables import Kind, classify, union_members
from mypy_await_plugin.callsite import CallSite
from mypy_await_plugin.checks.discarded_awaitable import mypy_reports_statement
from mypy_await_plugin.errorcodes import DANGLING_TASK
from mypy_await_plugin.libraries import TASK_SPAWNERS, TASK_TYPES
from mypy_await_plugin.sinks import lookup_callee, spawner_key
from mypy_await_plugin.usage import Use

NOTE = (
    "Keep a reference until it is done (e.g. add it to a set and call"
    ' "add_done_callback(<set>.discard)"), await it, or use an "asyncio.TaskGroup"'
)
ENSURE_FUTURE = "asyncio.tasks.ensure_future"


def check(site: CallSite) -> None:
    """Called for every call of a task spawner (``sinks.callee_roles``)."""
    usage = site.usage
    if usage.use not in (Use.DROPPED, Use.DROPPED_TO_UNDERSCORE):
        return
    returned = _task_of(site.return_type)
    if returned is None:
        return  # ``Any``, ``None``: nothing to keep, or nothing known
    if site.fullname == ENSURE_FUTURE and _passes_a_future(site):
        return  # returns its argument unchanged: whoever made it may keep it
    if usage.use is Use.DROPPED:
        if usage.is_bare_statement and mypy_reports_statement(site):
            return
        fate = "is dropped"
    else:
        fate = 'is assigned to "_" and dropped'
    message = f'{site.type_text()} returned by "{_spawner_name(site)}" {fate}; {_risk(returned)}'
    site.report(DANGLING_TASK, message, site.call, NOTE)


def _task_of(typ: Type) -> Instance | None:
    """The task or future a spawner returns: its return type, or the one class in an
    ``Optional`` one (a helper that spawns only when it has something to run)."""
    members = [item for item in union_members(typ) if not isinstance(item, NoneType)]
    if len(members) == 1 and isinstance(members[0], Instance):
        return members[0]
    return None


def _risk(returned: Instance) -> str:
    if any(base.fullname in TASK_TYPES for base in returned.type.mro):
        return "the event loop keeps only a weak reference to it"
    return "its result and exception are never retrieved"


def _passes_a_future(site: CallSite) -> bool:
    """``ensure_future(task)``: the argument is already a task or future."""
    types: list[Type] = [typ for formal in site.ctx.arg_types[:1] for typ in formal]
    return bool(types) and all(classify(typ) is Kind.HANDLE for typ in types)


def _spawner_name(site: CallSite) -> str:
    """``asyncio.create_task``, ``loop.create_task``; else the callee as users read it."""
    lookup = partial(lookup_fully_qualified, modules=site.api.modules)
    node = lookup_callee(site.fullname, lookup)
    key = spawner_key(site.fullname, node, site.config)
    if key is not None and key in TASK_SPAWNERS:
        return TASK_SPAWNERS[key]
    return site.callee_name
