"""Where a value ends up: awaited, dropped, tested, formatted, bound, passed on.

Given the expression a hook fired for, ``find_usage`` walks up from it through the
syntax that only carries a value along (parentheses, ``and``/``or`` right operands,
conditional-expression branches, displays and comprehensions, ``cast``) to the node
that decides its fate, and returns a ``Usage`` the checks can read.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final, NamedTuple

from mypy import nodes
from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    Expression,
    FuncItem,
    LambdaExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    Node,
    RefExpr,
    Statement,
    StrExpr,
    TupleExpr,
)

from mypy_await_plugin.syntax import path_to


class Use(enum.Enum):
    AWAITED = "awaited"
    #: Evaluated as a statement (or inside one) and thrown away.
    DROPPED = "dropped"
    #: Assigned to ``_``.
    DROPPED_TO_UNDERSCORE = "dropped to _"
    #: Its truth value is tested.
    TESTED = "tested"
    #: Formatted, printed, converted to ``str`` or compared by value.
    FORMATTED = "formatted"
    #: Passed as an argument to a call (``Usage.call``, ``Usage.arg_index``).
    ARGUMENT = "argument"
    #: Bound to a local name (``Usage.name``).
    BOUND = "bound"
    RETURNED = "returned"
    #: Stored in an attribute, a container that is kept, or an index.
    STORED = "stored"
    OTHER = "other"


#: Calls whose argument is only converted to text.
FORMATTING_CALLS: Final = frozenset(
    {"builtins.str", "builtins.repr", "builtins.ascii", "builtins.format", "builtins.print"}
)
#: Calls whose argument is only tested for truth.
TESTING_CALLS: Final = frozenset({"builtins.bool"})
VALUE_COMPARISONS: Final = frozenset({"==", "!=", "in", "not in"})

_CONTAINERS: Final = (
    nodes.TupleExpr,
    nodes.ListExpr,
    nodes.SetExpr,
    nodes.DictExpr,
    nodes.StarExpr,
    nodes.ListComprehension,
    nodes.SetComprehension,
    nodes.DictionaryComprehension,
)
_WRAPPERS: Final = (nodes.CastExpr, nodes.AssertTypeExpr, nodes.TypeApplication)


class Usage(NamedTuple):
    """The use of a value."""

    use: Use
    #: The expression that carries the value to its use: the target itself, or a
    #: display, comprehension, conditional or ``and``/``or`` around it.
    carrier: Node
    #: The node that decides the use: the statement, call, test or name.
    decider: Node | None = None
    #: Whether the value sits inside a display or comprehension.
    in_container: bool = False
    call: CallExpr | None = None
    arg_index: int = -1
    name: NameExpr | None = None
    path: Sequence[Node] = ()

    @property
    def statement(self) -> Statement | None:
        """The statement the target is part of."""
        for node in reversed(self.path):
            if isinstance(node, Statement) and not isinstance(node, nodes.Block):
                return node
        return None

    @property
    def is_bare_statement(self) -> bool:
        """The target is itself the whole expression statement."""
        statement = self.statement
        return (
            self.use is Use.DROPPED
            and isinstance(statement, nodes.ExpressionStmt)
            and statement.expr is self.carrier
            and bool(self.path)
            and self.carrier is self.path[-1]
        )


def scope_statements(stack: Sequence[object], module: MypyFile) -> list[Statement]:
    """The statements of the innermost function (lambdas excluded) or the module."""
    for item in reversed(stack):
        if isinstance(item, FuncItem) and not isinstance(item, LambdaExpr):
            return item.body.body
    return module.defs


def find_usage(scope: Sequence[Statement], target: Expression) -> Usage:
    path = path_to(scope, target)
    if path is None:
        return Usage(Use.OTHER, target)
    return classify_path(path)


def classify_path(path: Sequence[Node]) -> Usage:
    """Decide the use of ``path[-1]`` from the chain of its ancestors."""
    target = path[-1]
    if len(path) > 1 and type(path[-2]) is nodes.AwaitExpr:
        # By far the most common use, decided without the walk below.
        return Usage(Use.AWAITED, target, path[-2], path=path)
    walk = _Walk(path, target)
    for depth in range(len(path) - 2, -1, -1):
        parent, child = path[depth], walk.carrier
        binding = _tuple_unpacking(path, depth)
        if binding is not None:
            return _decide_name(binding, walk, path[depth - 1])
        if isinstance(parent, nodes.DictionaryComprehension):
            held = child is parent.key or child is parent.value
        else:
            held = isinstance(parent, _CONTAINERS) or (
                isinstance(parent, nodes.GeneratorExpr) and parent.left_expr is child
            )
        if held:
            walk.in_container = True
            walk.carrier = parent
            continue
        if isinstance(parent, nodes.GeneratorExpr | nodes.DictionaryComprehension):
            # A comprehension condition, or the iterable of one.
            if any(child in conds for conds in parent.condlists):
                return walk.result(Use.TESTED, parent)
            return walk.result(Use.OTHER, parent)
        if isinstance(parent, _WRAPPERS):
            walk.carrier = parent
            continue
        if isinstance(parent, nodes.OpExpr) and parent.op in ("and", "or"):
            if parent.left is child:
                return walk.result(Use.TESTED, parent)
            walk.carrier = parent
            continue
        if isinstance(parent, nodes.ConditionalExpr):
            if parent.cond is child:
                return walk.result(Use.TESTED, parent)
            walk.carrier = parent
            continue
        if isinstance(parent, nodes.AssignmentExpr):
            if parent.value is not child:
                return walk.result(Use.OTHER, parent)
            walk.carrier = parent
            continue
        return _decide(parent, child, walk)
    return walk.result(Use.OTHER)


class _Walk:
    """The state of a walk up from the target: what carries the value so far."""

    __slots__ = ("carrier", "in_container", "path")

    def __init__(self, path: Sequence[Node], carrier: Node) -> None:
        self.path = path
        self.carrier = carrier
        self.in_container = False

    def result(
        self,
        use: Use,
        decider: Node | None = None,
        *,
        call: CallExpr | None = None,
        arg_index: int = -1,
        name: NameExpr | None = None,
    ) -> Usage:
        return Usage(
            use, self.carrier, decider, self.in_container, call, arg_index, name, self.path
        )


def _decide(parent: Node, child: Node, walk: _Walk) -> Usage:
    in_container = walk.in_container
    if isinstance(parent, nodes.AwaitExpr):
        return walk.result(Use.OTHER if in_container else Use.AWAITED, parent)
    if isinstance(parent, nodes.ExpressionStmt):
        return walk.result(Use.DROPPED, parent)
    if isinstance(parent, nodes.AssignmentStmt):
        if child is not parent.rvalue:
            return walk.result(Use.OTHER, parent)
        if len(parent.lvalues) == 1 and isinstance(parent.lvalues[0], NameExpr):
            return _decide_name(parent.lvalues[0], walk, parent)
        return walk.result(Use.STORED, parent)
    if isinstance(parent, nodes.ReturnStmt | nodes.YieldExpr | nodes.YieldFromExpr):
        return walk.result(Use.RETURNED, parent)
    if isinstance(parent, nodes.IfStmt | nodes.WhileStmt | nodes.AssertStmt):
        tested = child is parent.expr or (isinstance(parent.expr, list) and child in parent.expr)
        return walk.result(Use.TESTED if tested and not in_container else Use.OTHER, parent)
    if isinstance(parent, nodes.MatchStmt):
        tested = child in parent.guards and not in_container
        return walk.result(Use.TESTED if tested else Use.OTHER, parent)
    if isinstance(parent, nodes.UnaryExpr):
        tested = parent.op == "not" and not in_container
        return walk.result(Use.TESTED if tested else Use.OTHER, parent)
    if isinstance(parent, CallExpr):
        return _decide_call(parent, child, walk)
    if isinstance(parent, nodes.OpExpr):
        formatted = parent.op == "%" and parent.right is child and _is_text_literal(parent.left)
        return walk.result(Use.FORMATTED if formatted else Use.OTHER, parent)
    if isinstance(parent, nodes.ComparisonExpr):
        compared = not in_container and any(op in VALUE_COMPARISONS for op in parent.operators)
        return walk.result(Use.FORMATTED if compared else Use.OTHER, parent)
    # ``coro().close()``, ``coro().send(None)``, indexing, ``async with``, ``for``...
    return walk.result(Use.OTHER, parent)


def _decide_name(name: NameExpr, walk: _Walk, stmt: Node) -> Usage:
    if name.name == "_":
        return walk.result(Use.DROPPED_TO_UNDERSCORE, stmt, name=name)
    if walk.in_container and walk.carrier is not walk.path[-1]:
        return walk.result(Use.STORED, stmt)
    return walk.result(Use.BOUND, stmt, name=name)


def _decide_call(call: CallExpr, child: Node, walk: _Walk) -> Usage:
    if call.callee is child or not any(arg is child for arg in call.args):
        return walk.result(Use.OTHER, call)
    index = next(i for i, arg in enumerate(call.args) if arg is child)
    callee = call.callee
    if isinstance(callee, RefExpr) and callee.fullname in TESTING_CALLS:
        return walk.result(Use.TESTED, call)
    if (isinstance(callee, RefExpr) and callee.fullname in FORMATTING_CALLS) or (
        isinstance(callee, MemberExpr)
        and callee.name == "format"
        and _is_text_literal(callee.expr)
    ):
        return walk.result(Use.FORMATTED, call, call=call, arg_index=index)
    return walk.result(Use.ARGUMENT, call, call=call, arg_index=index)


def _tuple_unpacking(path: Sequence[Node], depth: int) -> NameExpr | None:
    """For ``a, b = f(), g()``: the name the display item below ``depth`` is bound to."""
    parent = path[depth]
    if depth == 0 or not isinstance(parent, TupleExpr):
        return None
    stmt = path[depth - 1]
    if not isinstance(stmt, AssignmentStmt) or stmt.rvalue is not parent:
        return None
    if len(stmt.lvalues) != 1:
        return None
    lvalue = stmt.lvalues[0]
    if not isinstance(lvalue, TupleExpr | nodes.ListExpr):
        return None
    if len(lvalue.items) != len(parent.items) or any(
        isinstance(i, nodes.StarExpr) for i in lvalue.items
    ):
        return None
    item = path[depth + 1]
    for target, value in zip(lvalue.items, parent.items, strict=True):
        if value is item and isinstance(target, NameExpr):
            return target
    return None


def _is_text_literal(expr: Expression) -> bool:
    return isinstance(expr, StrExpr | nodes.BytesExpr)
