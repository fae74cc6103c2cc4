"""``discarded-awaitable``: a statement evaluates a lazy awaitable and drops it.

Covers what mypy's own ``unused-coroutine`` leaves out: ``Awaitable[...]`` returns,
``Coroutine | None``, awaitables dropped inside ``and``/``or``, conditional
expressions, displays and comprehension statements, and ``_ = coro()``. A bare
statement mypy already reports (``unused-coroutine``, or ``unused-awaitable`` where
the user enabled it) is left to mypy.
"""

from __future__ import annotations

from mypy.errorcodes import UNUSED_AWAITABLE
from mypy.nodes import CallExpr, ConditionalExpr, ExpressionStmt
from mypy.subtypes import is_proper_subtype
from mypy.types import Instance, get_proper_type

from mypy_await_plugin.awaitables import is_coroutine
from mypy_await_plugin.callsite import Site
from mypy_await_plugin.errorcodes import DISCARDED_AWAITABLE
from mypy_await_plugin.usage import Use

NOTE = 'Add "await", or keep a reference and await it later'
UNDERSCORE_NOTE = 'Assigning to "_" does not run it: add "await", or drop the call'


def check(site: Site) -> None:
    usage = site.usage
    if usage.use is Use.DROPPED:
        if usage.is_bare_statement and mypy_reports_statement(site):
            return
        if is_coroutine(site.return_type) and _mypy_reports_conditional(site):
            return
        message = f"{site.returned} is never awaited"
        site.report(DISCARDED_AWAITABLE, message, site.expr, NOTE)
    elif usage.use is Use.DROPPED_TO_UNDERSCORE:
        message = f'{site.returned} is assigned to "_" and never awaited'
        site.report(DISCARDED_AWAITABLE, message, site.expr, UNDERSCORE_NOTE)


def _mypy_reports_conditional(site: Site) -> bool:
    """``a() if c else b()`` as a statement: mypy reports it as a whole when the two
    branches make one coroutine type. A branch not inferred yet counts as one when it
    is a call: mypy checks the first branch again once the second has a type."""
    usage = site.usage
    conditional = usage.carrier
    statement = usage.statement
    if not (
        isinstance(conditional, ConditionalExpr)
        and isinstance(statement, ExpressionStmt)
        and statement.expr is conditional
    ):
        return False
    if conditional.if_expr is site.expr:
        other = conditional.else_expr
    elif conditional.else_expr is site.expr:
        other = conditional.if_expr
    else:
        return False  # nested deeper: mypy sees a union or join
    if not site.api.has_type(other):
        return isinstance(other, CallExpr)
    # mypy types the statement as the union of both branches: one Coroutine when
    # one branch's type contains the other's.
    mine, theirs = site.return_type, site.api.lookup_type(other)
    return is_coroutine(theirs) and (
        is_proper_subtype(mine, theirs) or is_proper_subtype(theirs, mine)
    )


def mypy_reports_statement(site: Site) -> bool:
    """Whether mypy itself reports the bare statement ``site`` (no second report)."""
    proper = get_proper_type(site.return_type)
    if not isinstance(proper, Instance):
        return False
    if proper.type.fullname == "typing.Coroutine":
        # ``unused-coroutine``: on by default; a user who turned it off turned off
        # this report too.
        return True
    return proper.type.get("__await__") is not None and site.enabled(UNUSED_AWAITABLE)
