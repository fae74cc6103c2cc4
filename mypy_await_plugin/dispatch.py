"""What runs once a hook fired for a call: the ``CallSite``, the checks, internal errors.

``plugin`` imports this module at the first call it has to check, not when mypy
loads the plugin: a run that checks no call (a warm cache with nothing changed)
then does not pay for importing the checks, about a tenth of such a run.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mypy.checker import TypeChecker
from mypy.types import Type

from mypy_await_plugin.awaitables import Kind
from mypy_await_plugin.callsite import CallSite
from mypy_await_plugin.checks import (
    async_callback,
    awaitable_as_value,
    dangling_task,
    discarded_awaitable,
    never_awaited,
    truthy_coroutine,
)
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.usage import Use

if TYPE_CHECKING:
    from mypy_await_plugin.plugin import AnyContext, HookSpec


def check_call(
    ctx: AnyContext, api: TypeChecker, spec: HookSpec, return_type: Type, config: AwaitConfig
) -> None:
    site = CallSite(ctx, api, spec.fullname, return_type, config, spec.is_method, spec.must_await)
    try:
        _run_checks(site, spec)
    except Exception as exc:  # never take mypy down with us
        _report_internal_error(site, exc)


def _run_checks(site: CallSite, spec: HookSpec) -> None:
    if site.kind is Kind.LAZY:
        use = site.usage.use
        if use in (Use.DROPPED, Use.DROPPED_TO_UNDERSCORE):
            discarded_awaitable.check(site)
        elif use is Use.TESTED:
            truthy_coroutine.check(site)
        elif use in (Use.FORMATTED, Use.ARGUMENT):
            awaitable_as_value.check(site)
        elif use is Use.BOUND:
            never_awaited.check(site)
    if spec.spawner:
        dangling_task.check(site)
    if spec.sink:
        async_callback.check(site)


def _report_internal_error(site: CallSite, exc: Exception) -> None:
    if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
        raise exc
    site.api.note(
        f"mypy-await-plugin: internal error ({type(exc).__name__}: {exc}) while checking"
        f' a call of "{site.callee_name}"; please report it with this line',
        site.call,
    )
