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
from mypy.nodes import NameExpr, Var
from mypy.subtypes import is_subtype

from mypy_await_plugin.callsite import Site


def mypy_rejects_binding(site: Site, name: NameExpr) -> bool:
    """Whether mypy reports binding what ``site`` made to ``name``: the name is
    declared with a type the value does not have."""
    var = name.node
    if not isinstance(var, Var) or var.is_inferred or var.type is None:
        return False
    if not site.api.errors.is_error_code_enabled(ASSIGNMENT):
        return False
    return not is_subtype(site.return_type, var.type, options=site.api.options)
