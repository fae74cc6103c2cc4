"""What runs once a hook fired for a call or an attribute read: the ``Site``, the
checks, internal errors.

``main`` imports this module at the first value it has to check, not when mypy
loads the plugin: a run that checks no call (a warm cache with nothing changed)
then does not pay for importing the checks, about a tenth of such a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Final

from mypy.checker import TypeChecker
from mypy.plugin import AttributeContext
from mypy.types import Type

from mypy_await_plugin.awaitables import Kind
from mypy_await_plugin.callsite import AttributeSite, CallSite, Site
from mypy_await_plugin.checks import (
    async_callback,
    awaitable_as_value,
    dangling_task,
    discarded_awaitable,
    never_awaited,
    truthy_coroutine,
)
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.evidence import Evidence
from mypy_await_plugin.specs import AnyContext, AttributeSpec, HookSpec
from mypy_await_plugin.usage import Use


def check_call(
    ctx: AnyContext,
    api: TypeChecker,
    spec: HookSpec,
    return_type: Type,
    result_kind: Kind,
    config: AwaitConfig,
    evidence: Evidence,
) -> None:
    site = CallSite(ctx, api, spec, return_type, result_kind, config, evidence)
    try:
        _run_checks(site, spec)
    except Exception as exc:  # never take mypy down with us
        _report_internal_error(site, exc)


def check_attribute(
    ctx: AttributeContext,
    api: TypeChecker,
    spec: AttributeSpec,
    attr_type: Type,
    result_kind: Kind,
    config: AwaitConfig,
    evidence: Evidence,
) -> None:
    """Reading a property or descriptor gave a lazy awaitable: the checks of its use,
    as for a call's result."""
    site = AttributeSite(ctx, api, spec, attr_type, result_kind, config, evidence)
    try:
        _check_use(site)
    except Exception as exc:
        _report_internal_error(site, exc)


#: The check for each use of a lazy awaitable that may lose it.
CHECK_BY_USE: Final[Mapping[Use, Callable[[Site], None]]] = {
    Use.DROPPED: discarded_awaitable.check,
    Use.DROPPED_TO_UNDERSCORE: discarded_awaitable.check,
    Use.TESTED: truthy_coroutine.check,
    Use.FORMATTED: awaitable_as_value.check,
    Use.ARGUMENT: awaitable_as_value.check,
    Use.BOUND: never_awaited.check,
}


def _run_checks(site: CallSite, spec: HookSpec) -> None:
    if site.result_kind is Kind.LAZY:
        _check_use(site)
    if spec.spawner:
        dangling_task.check(site)
    if spec.sinks:
        async_callback.check(site, spec.sinks)


def _check_use(site: Site) -> None:
    # Find the use first: most lazy awaitables are awaited, and then nothing else
    # needs to be known about the value.
    check = CHECK_BY_USE.get(site.usage.use)
    if check is not None and site.kind is Kind.LAZY:
        check(site)


def _report_internal_error(site: Site, exc: Exception) -> None:
    if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
        raise exc
    site.api.note(
        f"mypy-await-plugin: internal error ({type(exc).__name__}: {exc}) while checking"
        f' {"a call" if isinstance(site, CallSite) else "a read"} of "{site.callee_name}";'
        " please report it with this line",
        site.expr,
    )
