"""Walking mypy's syntax trees without mypy's visitors.

mypy is compiled with mypyc, and its visitor classes cannot be subclassed by
interpreted code, so the plugin walks trees with one table: for each node class, the
attributes that hold its children. ``path_to`` finds the chain of nodes from a scope
down to one expression, skipping statements whose lines cannot contain it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Final

from mypy import nodes
from mypy.nodes import Block, Node, Statement

#: Child attributes of each node class. Lists (also nested, and tuples of a
#: ``DictExpr``) are flattened; ``None`` entries are skipped.
_CHILDREN: Final[dict[type[Node], tuple[str, ...]]] = {
    # Statements.
    nodes.Block: ("body",),
    nodes.ExpressionStmt: ("expr",),
    nodes.AssignmentStmt: ("lvalues", "rvalue"),
    nodes.OperatorAssignmentStmt: ("lvalue", "rvalue"),
    nodes.IfStmt: ("expr", "body", "else_body"),
    nodes.WhileStmt: ("expr", "body", "else_body"),
    nodes.ForStmt: ("index", "expr", "body", "else_body"),
    nodes.WithStmt: ("expr", "target", "body"),
    nodes.TryStmt: ("body", "types", "vars", "handlers", "else_body", "finally_body"),
    nodes.ReturnStmt: ("expr",),
    nodes.AssertStmt: ("expr", "msg"),
    nodes.DelStmt: ("expr",),
    nodes.RaiseStmt: ("expr", "from_expr"),
    nodes.MatchStmt: ("subject", "guards", "bodies"),
    nodes.Decorator: ("decorators", "func"),
    nodes.FuncDef: ("arguments", "body"),
    nodes.OverloadedFuncDef: ("items",),
    nodes.ClassDef: ("decorators", "base_type_exprs", "defs"),
    nodes.Argument: ("initializer",),
    # Expressions.
    nodes.CallExpr: ("callee", "args"),
    nodes.MemberExpr: ("expr",),
    nodes.OpExpr: ("left", "right"),
    nodes.ComparisonExpr: ("operands",),
    nodes.UnaryExpr: ("expr",),
    nodes.AwaitExpr: ("expr",),
    nodes.YieldExpr: ("expr",),
    nodes.YieldFromExpr: ("expr",),
    nodes.TupleExpr: ("items",),
    nodes.ListExpr: ("items",),
    nodes.SetExpr: ("items",),
    nodes.DictExpr: ("items",),
    nodes.IndexExpr: ("base", "index"),
    nodes.SliceExpr: ("begin_index", "end_index", "stride"),
    nodes.ConditionalExpr: ("cond", "if_expr", "else_expr"),
    nodes.LambdaExpr: ("arguments", "body"),
    nodes.ListComprehension: ("generator",),
    nodes.SetComprehension: ("generator",),
    nodes.GeneratorExpr: ("left_expr", "indices", "sequences", "condlists"),
    nodes.DictionaryComprehension: ("key", "value", "indices", "sequences", "condlists"),
    nodes.StarExpr: ("expr",),
    nodes.AssignmentExpr: ("target", "value"),
    nodes.CastExpr: ("expr",),
    nodes.AssertTypeExpr: ("expr",),
    nodes.RevealExpr: ("expr",),
    nodes.TypeApplication: ("expr",),
}
if hasattr(nodes, "TemplateStrExpr"):  # t-strings; items hold (expr, text, conv, spec)
    _CHILDREN[nodes.TemplateStrExpr] = ("items",)


def children(node: Node) -> list[Node]:
    """The direct children of ``node``, in source order."""
    found: list[Node] = []
    for attr in _CHILDREN.get(type(node), ()):
        value = getattr(node, attr, None)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            _extend(found, value)
    return found


def _extend(found: list[Node], values: list[object] | tuple[object, ...]) -> None:
    for value in values:
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            _extend(found, value)


def path_to(scope: Sequence[Statement], target: Node) -> list[Node] | None:
    """The nodes from a statement of ``scope`` down to ``target`` (both included).

    mypy checks a function with value-restricted TypeVars once per value, on copies of
    its body, while the scope still names the original function: when ``target`` is
    not found by identity, a node of the same class at the same position stands in.
    """
    return _find(scope, target, lambda node: node is target) or _find(
        scope, target, lambda node: _same_place(node, target)
    )


def _same_place(node: Node, target: Node) -> bool:
    return (
        type(node) is type(target)
        and node.line == target.line
        and node.column == target.column
        and node.end_line == target.end_line
        and node.end_column == target.end_column
    )


def _find(
    scope: Sequence[Statement], target: Node, matches: Callable[[Node], bool]
) -> list[Node] | None:
    line = target.line
    for stmt in _candidates(scope, line):
        path = _search(stmt, matches, line)
        if path is not None:
            return path
    return None


_DECORATED: Final = (nodes.Decorator, nodes.OverloadedFuncDef)
_PRUNED: Final = (Statement, Block)


def _candidates(stmts: Sequence[Node], line: int) -> Sequence[Node]:
    """The statements of a block (in source order) whose lines may include ``line``.

    Found by bisection: the statements that start on or before ``line`` and do not
    end before it, and a decorated definition right after them. Only the calls in a
    function are hooked, but a module or class body may hold thousands of them.
    """
    if line < 0 or not stmts:
        return stmts
    end = bisect_right(stmts, line, key=_line)
    start = end
    while start > 0 and _may_contain(stmts[start - 1], line):
        start -= 1
    if end < len(stmts) and isinstance(stmts[end], _DECORATED):
        # Its decorators may start before the line mypy gives the definition.
        end += 1
    return stmts[start:end]


def _line(node: Node) -> int:
    return node.line


def _may_contain(node: Node, line: int) -> bool:
    if line < 0 or node.line < 0:
        return True
    end = node.end_line
    if node.line > line and not isinstance(node, _DECORATED):
        return False
    return end is None or end >= line


def _search(node: Node, matches: Callable[[Node], bool], line: int) -> list[Node] | None:
    if matches(node):
        return [node]
    if type(node) is Block:
        kids: Sequence[Node] = _candidates(node.body, line)
    else:
        kids = children(node)
    for child in kids:
        if isinstance(child, _PRUNED) and not _may_contain(child, line):
            continue
        found = _search(child, matches, line)
        if found is not None:
            found.insert(0, node)
            return found
    return None
