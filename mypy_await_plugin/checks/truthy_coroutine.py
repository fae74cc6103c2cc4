"""``truthy-coroutine``: a lazy awaitable used as a condition (always true).

``if not repo.exists(id):`` with ``async def exists`` tests a coroutine object, which
is always true, and the coroutine never runs. Reported for calls tested directly (in
``if``/``elif``/``while``/``assert``, ``not``, ``and``/``or``, conditional
expressions, comprehension conditions, ``bool(...)``, match guards, through ``:=``),
and, via ``never-awaited``'s data flow, for a local name holding one
(``ready = c.is_ready()`` then ``if ready:``).

An optional awaitable (``Coroutine[...] | None``) tested and dropped is reported
too: whenever it is not ``None`` the test is true and the coroutine never runs. Kept
and awaited later it is fine (``if (c := maybe()) is not None: await c``, or bound
to a name that is awaited), as is the left operand of an ``or`` whose value is kept
(``pending = maybe() or fallback()``).

Not reported: handles such as ``Task``, a tested ``:=`` name that is awaited later,
a binding mypy itself reports (``mypy_errors``), and what mypy's own ``truthy-bool``
already reports where the user enabled it (one report per bug).
"""

from __future__ import annotations

from collections.abc import Sequence

from mypy import nodes
from mypy.errorcodes import TRUTHY_BOOL
from mypy.nodes import AssignmentExpr, NameExpr, Node, Var
from mypy.types import FunctionLike, Instance, Type, UnionType, get_proper_type

from mypy_await_plugin.awaitables import is_optional
from mypy_await_plugin.callsite import Site
from mypy_await_plugin.checks.mypy_errors import mypy_rejects_binding
from mypy_await_plugin.dataflow import Reference, follow_binding, local_function
from mypy_await_plugin.errorcodes import TRUTHY_COROUTINE
from mypy_await_plugin.usage import Usage, Use, classify_path

NOTE = 'Add "await" to test its result'
OPTIONAL_NOTE = (
    'Keep it and await it when it is not None (e.g. "if (c := ...) is not None: await c")'
)
#: Uses of an ``or`` that lose its left operand all the same.
_LOSING = frozenset({Use.TESTED, Use.DROPPED, Use.DROPPED_TO_UNDERSCORE, Use.FORMATTED})


def check(site: Site) -> None:
    """Called when ``site.usage.use`` is ``Use.TESTED``."""
    optional = is_optional(site.return_type)
    if optional and _kept_by_or(site.usage):
        return
    path = site.usage.path
    walrus = _walrus_target(path, site.usage.decider)
    if walrus is not None and (
        mypy_rejects_binding(site, walrus) or not _lost_after_walrus(site, path, walrus)
    ):
        return
    checked = site.return_type
    if walrus is not None and isinstance(walrus.node, Var) and not walrus.node.is_inferred:
        checked = walrus.node.type or checked
    if mypy_reports(site, path, len(path) - 1, checked):
        return
    if optional:
        message = f"{site.returned} is tested and dropped; when it is not None it never runs"
        site.report(TRUTHY_COROUTINE, message, site.expr, OPTIONAL_NOTE)
        return
    message = f"{site.returned} is always true in a condition; it never runs"
    site.report(TRUTHY_COROUTINE, message, site.expr, NOTE)


def _kept_by_or(usage: Usage) -> bool:
    """``pending = maybe_send() or fallback()``: an optional awaitable tested as the
    left operand of ``or`` is the value of the ``or`` whenever it is not ``None``, so
    it is lost only where the ``or`` itself is tested or dropped."""
    decider = usage.decider
    if not isinstance(decider, nodes.OpExpr) or decider.op != "or":
        return False
    path = usage.path
    depth = next((i for i, node in enumerate(path) if node is decider), None)
    if depth is None:
        return False
    return classify_path(path[: depth + 1]).use not in _LOSING


def report_tested_name(site: Site, name: NameExpr, test: Reference) -> None:
    """Report ``test``, a truth test of the local ``name`` holding what ``site``
    returned, unless mypy's ``truthy-bool`` reports it."""
    if mypy_reports(site, test.path, len(test.path) - 1, _declared_type(name, site)):
        return
    message = (
        f'{site.returned} and assigned to "{name.name}"'
        " is always true in a condition; it never runs"
    )
    note = f'Add "await" where "{name.name}" is assigned, to test its result'
    site.report(TRUTHY_COROUTINE, message, test.node, note)


def tests_can_be_false(site: Site, name: NameExpr) -> bool:
    """Whether a truth test of the local ``name`` holding what ``site`` returned can
    be false: an optional awaitable (a test for ``None``), or a binding that only
    sometimes is the awaitable (``x = f() if c else None``, ``x = c and f()``)."""
    usage = site.usage
    if usage.carrier is not usage.path[-1]:
        return True
    return is_optional(site.return_type) or is_optional(_declared_type(name, site))


def _declared_type(name: NameExpr, site: Site) -> Type:
    var = name.node
    if isinstance(var, Var) and not var.is_inferred and var.type is not None:
        return var.type
    return site.return_type


# ``:=``.


def _walrus_target(path: Sequence[Node], decider: Node | None) -> NameExpr | None:
    """The name ``:=`` binds the tested value to, if any (``if x := f():``)."""
    for depth in range(len(path) - 1, 0, -1):
        parent, child = path[depth - 1], path[depth]
        if parent is decider:
            break
        if isinstance(parent, AssignmentExpr) and parent.value is child:
            target = parent.target
            return target if isinstance(target, NameExpr) else None
    return None


def _lost_after_walrus(site: Site, path: Sequence[Node], target: NameExpr) -> bool:
    """Whether nothing consumes the awaitable ``:=`` bound to ``target``."""
    function = local_function(site.api.scope.stack)
    if function is None:
        return False
    binding = next(
        i
        for i, node in enumerate(path)
        if isinstance(node, AssignmentExpr) and node.target is target
    )
    flow = follow_binding(function, path[: binding + 1], target)
    return flow is not None and not flow.consumed


# mypy's ``truthy-bool``.


def mypy_reports(site: Site, path: Sequence[Node], index: int, checked: Type) -> bool:
    """Whether mypy's ``truthy-bool`` reports the tested ``path[index]`` itself.

    Mirrors where mypy checks truthiness: conditions of ``if``/``while``/``assert``,
    conditional expressions, comprehensions and match guards, recursing through
    ``and``/``or``/``not``/``:=``; the operand of ``not``; the left operand of
    ``and``/``or``. ``bool(x)`` is not checked by mypy.
    """
    if not site.enabled(TRUTHY_BOOL) or not site.api.options.strict_optional:
        return False
    if not _always_true_type(checked):
        return False
    return _in_boolean_context(path, index)


def _in_boolean_context(path: Sequence[Node], index: int) -> bool:
    # ``direct``: the node at ``depth`` has the checked type itself, not a union made
    # by ``and``/``or`` around it.
    direct = True
    for depth in range(index, 0, -1):
        parent, child = path[depth - 1], path[depth]
        if isinstance(parent, AssignmentExpr) and parent.value is child:
            continue
        if isinstance(parent, nodes.OpExpr) and parent.op in ("and", "or"):
            if parent.left is child:
                return True
            direct = False
            continue
        if isinstance(parent, nodes.UnaryExpr) and parent.op == "not":
            if direct:
                return True
            continue
        if isinstance(parent, nodes.ConditionalExpr) and parent.cond is not child:
            # mypy checks the whole conditional expression; assume its type is as
            # always-true as this branch unless the other branch is ``None``.
            other = parent.else_expr if parent.if_expr is child else parent.if_expr
            if _is_none(other):
                return False
            direct = True
            continue
        return _is_condition(parent, child)
    return False


def _is_condition(parent: Node, child: Node) -> bool:
    if isinstance(parent, nodes.IfStmt):
        return any(expr is child for expr in parent.expr)
    if isinstance(parent, nodes.WhileStmt | nodes.AssertStmt):
        return parent.expr is child
    if isinstance(parent, nodes.ConditionalExpr):
        return parent.cond is child
    if isinstance(parent, nodes.MatchStmt):
        return any(guard is child for guard in parent.guards)
    if isinstance(parent, nodes.GeneratorExpr | nodes.DictionaryComprehension):
        return any(cond is child for conds in parent.condlists for cond in conds)
    return False


def _always_true_type(typ: Type) -> bool:
    """mypy's test for a type without ``__bool__`` or ``__len__`` (``truthy-bool``)."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance):
        info = proper.type
        return (
            not info.has_readable_member("__bool__")
            and not info.has_readable_member("__len__")
            and info.fullname != "builtins.object"
        )
    if isinstance(proper, UnionType):
        return all(_always_true_type(item) for item in proper.items)
    return isinstance(proper, FunctionLike)


def _is_none(expr: Node) -> bool:
    return isinstance(expr, NameExpr) and expr.fullname == "builtins.None"
