"""Walking mypy's syntax trees without mypy's visitors.

mypy is compiled with mypyc, and its visitor classes cannot be subclassed by
interpreted code, so the plugin walks trees with one table: for each node class, the
attributes that hold its children. ``path_to`` finds the chain of nodes from a scope
down to one expression, skipping nodes whose position cannot contain it: it runs for
every lazy awaitable a hook sees, the plugin's most frequent walk.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import attrgetter
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


def paths_to(root: Node, kinds: tuple[type[Node], ...]) -> Iterator[list[Node]]:
    """The path from ``root`` down to each node of one of ``kinds`` below it, in
    source order (a walk of the whole tree: for the rare checks that need one)."""
    path: list[Node] = []
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if isinstance(node, kinds):
            yield list(path)
        if type(node) in _CHILDREN:  # not a leaf (names, literals)
            stack.extend(zip(reversed(children(node)), repeat(depth + 1)))


def path_to(scope: Sequence[Statement], target: Node) -> list[Node] | None:
    """The nodes from a statement of ``scope`` down to ``target`` (both included).

    The first search goes straight down, at each level into the first node whose span
    holds the target's start. mypy checks a function with value-restricted TypeVars
    once per value, on copies of its body, while the scope still names the original
    function, and a few nodes carry positions mypy made up: when that search fails, a
    second one looks through every statement whose lines may hold the target, and a
    node of the same class at the same position stands in for it.
    """
    return _descend(scope, target) or _find(scope, target)


def _descend(scope: Sequence[Statement], target: Node) -> list[Node] | None:
    line, column = target.line, target.column
    path: list[Node] = []
    kids: Sequence[Node] = _candidates(scope, line)
    while True:
        for child in kids:
            if child is target:
                path.append(child)
                return path
            if _may_hold(child, line, column):
                break
        else:
            return None
        path.append(child)
        kids = _children_near(child, line)


def _find(scope: Sequence[Statement], target: Node) -> list[Node] | None:
    line = target.line
    for stmt in _candidates(scope, line):
        path = _search(stmt, target, line)
        if path is not None:
            path.reverse()
            return path
    return None


def _search(node: Node, target: Node, line: int) -> list[Node] | None:
    """The path from ``target`` (or a node at its place) up to ``node``, reversed: it is
    built on the way back. Goes through every child but statements whose lines
    cannot hold ``line``."""
    if _same_place(node, target):
        return [node]
    for child in _children_near(node, line):
        if isinstance(child, _PRUNED) and not _may_contain(child, line):
            continue
        found = _search(child, target, line)
        if found is not None:
            found.append(node)
            return found
    return None


def _children_near(node: Node, line: int) -> Sequence[Node]:
    """The children of ``node``; of a block, only the statements that may hold ``line``."""
    if isinstance(node, Block):
        return _candidates(node.body, line)
    return children(node)


def _same_place(node: Node, target: Node) -> bool:
    return node is target or (
        type(node) is type(target)
        and node.line == target.line
        and node.column == target.column
        and node.end_line == target.end_line
        and node.end_column == target.end_column
    )


_DECORATED: Final = (nodes.Decorator, nodes.OverloadedFuncDef)
_PRUNED: Final = (Statement, Block)
_LINE: Final = attrgetter("line")


def _candidates(stmts: Sequence[Node], line: int) -> Sequence[Node]:
    """The statements of a block (in source order) whose lines may include ``line``.

    Found by bisection: the statements that start on or before ``line`` and do not
    end before it, and a decorated definition right after them. Only the calls in a
    function are hooked, but a module or class body may hold thousands of them.
    """
    if line < 0 or not stmts:
        return stmts
    end = bisect_right(stmts, line, key=_LINE)
    start = end
    while start > 0 and _may_contain(stmts[start - 1], line):
        start -= 1
    if end < len(stmts) and isinstance(stmts[end], _DECORATED):
        # Its decorators may start before the line mypy gives the definition.
        end += 1
    return stmts[start:end]


def _may_contain(node: Node, line: int) -> bool:
    if line < 0 or node.line < 0:
        return True
    end = node.end_line
    if node.line > line and not isinstance(node, _DECORATED):
        return False
    return end is None or end >= line


def _may_hold(node: Node, line: int, column: int) -> bool:
    """Whether the span of ``node`` may include the position ``line``/``column``."""
    start = node.line
    if start < 0:
        return True
    if (start > line or (start == line and node.column > column)) and not isinstance(
        node, _DECORATED
    ):
        return False
    end = node.end_line
    if end is None or end > line:
        return True
    if end < line:
        return False
    end_column = node.end_column
    return end_column is None or end_column > column


def assigned_values(root: Node, var: nodes.Var) -> list[nodes.Expression] | None:
    """What assignments below ``root`` bind to the local ``var`` (``x = value``, and
    ``x, y = a, b`` or ``x, y = (a, b) if c else (d, e)``), in source order; ``None``
    when something else binds it too (a ``for`` or ``with`` target, ``:=``, a
    chained assignment, unpacking of anything but a display)."""
    values: list[nodes.Expression] = []
    for path in paths_to(root, (nodes.NameExpr,)):
        name = path[-1]
        if not isinstance(name, nodes.NameExpr) or name.node is not var:
            continue
        parent = path[-2] if len(path) >= 2 else None
        if isinstance(parent, nodes.AssignmentStmt) and parent.lvalues == [name]:
            values.append(parent.rvalue)
            continue
        if not is_assignment_target(path):
            continue
        unpacked = _unpacked_from(path)
        if unpacked is None:
            return None
        values.extend(unpacked)
    return values


def _unpacked_from(path: Sequence[Node]) -> list[nodes.Expression] | None:
    """``x, y = a, b``: the values the name at the end of ``path`` takes (``b``)."""
    if len(path) < 3:
        return None
    target, stmt = path[-2], path[-3]
    if not (
        isinstance(target, nodes.TupleExpr)
        and isinstance(stmt, nodes.AssignmentStmt)
        and stmt.lvalues == [target]
    ):
        return None
    index = next(i for i, item in enumerate(target.items) if item is path[-1])
    return _items_at(stmt.rvalue, index, len(target.items))


def _items_at(value: nodes.Expression, index: int, length: int) -> list[nodes.Expression] | None:
    if isinstance(value, nodes.TupleExpr | nodes.ListExpr) and len(value.items) == length:
        item = value.items[index]
        return None if isinstance(item, nodes.StarExpr) else [item]
    if isinstance(value, nodes.ConditionalExpr):
        first = _items_at(value.if_expr, index, length)
        second = _items_at(value.else_expr, index, length)
        return None if first is None or second is None else first + second
    return None


#: Nodes an assignment target can sit in: ``a, (b, *c) = ...``.
_TARGET_PARTS: Final = (nodes.TupleExpr, nodes.ListExpr, nodes.StarExpr)


def is_assignment_target(path: Sequence[Node]) -> bool:
    """Whether the name at the end of ``path`` is being bound, not read."""
    depth = len(path) - 1
    child = path[depth]
    while depth > 0 and isinstance(path[depth - 1], _TARGET_PARTS):
        depth -= 1
        child = path[depth]
    if depth == 0:
        return False
    parent = path[depth - 1]
    if isinstance(parent, nodes.AssignmentStmt):
        return any(lvalue is child for lvalue in parent.lvalues)
    if isinstance(parent, nodes.ForStmt):
        return parent.index is child
    if isinstance(parent, nodes.WithStmt):
        return any(target is child for target in parent.target)
    if isinstance(parent, nodes.TryStmt):
        return any(var is child for var in parent.vars)
    if isinstance(parent, nodes.AssignmentExpr):
        return parent.target is child
    return False
