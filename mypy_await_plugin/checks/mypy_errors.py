"""What mypy itself reports where a lazy awaitable is bound: one report per bug.

``allow: bool = self.check(url)`` gets mypy's ``[assignment]`` error on that line
(with its "Maybe you forgot to use await?" note when the awaited result would fit).
The checks then say nothing more about that coroutine: not at the binding
(``never-awaited``), not where the name is tested later (``truthy-coroutine``).

Hooks fire while mypy infers the value, before it checks the assignment, so mypy's
error is predicted from the declared type of the target rather than looked up.
"""

from __future__ import annotations

from mypy.errorcodes import ASSIGNMENT
from mypy.errors import Errors
from mypy.nodes import Context, NameExpr, Var
from mypy.subtypes import is_subtype

from mypy_await_plugin.callsite import Site


def mypy_rejects_binding(site: Site, name: NameExpr) -> bool:
    """Whether mypy reports binding what ``site`` made to ``name``: the name is
    declared with a type the value does not have, and the error is shown (its code
    enabled, no ``# type: ignore`` covering it)."""
    var = name.node
    if not isinstance(var, Var) or var.is_inferred or var.type is None:
        return False
    errors = site.api.errors
    if not errors.is_error_code_enabled(ASSIGNMENT) or _ignored(errors, site.expr):
        return False
    return not is_subtype(site.return_type, var.type, options=site.api.options)


def _ignored(errors: Errors, value: Context) -> bool:
    """Whether a ``# type: ignore`` on the lines of ``value`` (where mypy reports an
    incompatible assignment) covers ``[assignment]``."""
    ignores = errors.ignored_lines.get(errors.file)
    if not ignores:
        return False
    for line in range(value.line, (value.end_line or value.line) + 1):
        codes = ignores.get(line)
        if codes is not None and (not codes or ASSIGNMENT.code in codes):
            return True
    return False
