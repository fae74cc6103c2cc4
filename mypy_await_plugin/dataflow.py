"""What later code does with a local name: the data flow behind ``never-awaited``.

A lazy awaitable bound to a function local (``pending = fetch()``) is fine as long as
some later code consumes it. ``follow_binding`` answers "which uses of the value bound
here can run later?" on a small control-flow graph of the function's statements: it
follows every path from the binding (branches, loops, ``try`` handlers, ``match``
cases) until the name is assigned again, and classifies each use it meets with
``usage.classify_path``.

Everything is over-approximated towards "consumed": every branch may be taken, any
statement in a ``try`` body may jump to its handlers, a loop may run again, and only a
plain assignment of the name ends a path. Uses inside nested functions, lambdas and
classes (closures) count as consuming wherever they are.

The graph and an index of the names each step uses are built once per function and
kept while hooks keep firing in that function, so a function with many bindings is
walked once, and each binding only looks at the steps that use its name.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar, Final, NamedTuple

from mypy import nodes
from mypy.nodes import (
    LDEF,
    AssignmentExpr,
    AssignmentStmt,
    Block,
    FuncItem,
    LambdaExpr,
    NameExpr,
    Node,
    Statement,
    SymbolNode,
)

from mypy_await_plugin.syntax import is_assignment_target, paths_to
from mypy_await_plugin.usage import Use, classify_path


class Effect(enum.Enum):
    """What one use of a name does to the awaitable it holds."""

    #: Awaited, returned, yielded, passed to a call, stored, aliased, captured,
    #: or used in a way this module does not model (``x.close()``, ``async with x``).
    CONSUMED = "consumed"
    #: Its truth value is tested (``if x:``); the awaitable never runs.
    TESTED = "tested"
    #: Looked at without running it: formatted, printed, compared, deleted, dropped.
    IGNORED = "ignored"


class Reference(NamedTuple):
    """One use of the name: the chain of nodes from its statement down to it."""

    path: Sequence[Node]
    effect: Effect

    @property
    def node(self) -> NameExpr:
        name = self.path[-1]
        assert isinstance(name, NameExpr)
        return name


class Flow:
    """The uses a binding's value can reach."""

    __slots__ = ("consumed", "ends", "reassigned", "tests")

    def __init__(self, *, consumed: bool = False) -> None:
        self.consumed = consumed
        #: Truth tests of the name the value reaches, in source order.
        self.tests: list[Reference] = []
        #: Whether some path assigns the name again before any use consumed the value.
        self.reassigned = False
        #: Whether some path reaches the end of the function (or a ``return``/
        #: ``raise``) without assigning the name again.
        self.ends = False


def local_function(stack: Sequence[object]) -> FuncItem | None:
    """The innermost function being checked (lambdas excluded), if any."""
    for item in reversed(stack):
        if isinstance(item, FuncItem) and not isinstance(item, LambdaExpr):
            return item
        if isinstance(item, nodes.TypeInfo):
            return None
    return None


def follow_binding(function: FuncItem, path: Sequence[Node], target: NameExpr) -> Flow | None:
    """Where the value bound to ``target`` can flow in ``function``.

    ``path`` runs from a statement of the function's body down to the binding: an
    assignment statement whose lvalues include ``target``, or an assignment
    expression (``:=``) targeting it. ``None`` means the name is not a plain local
    of ``function`` (a global, a ``nonlocal``, a name bound in a lambda), so its
    uses cannot all be seen.
    """
    name = _LocalName.of(target)
    if name is None or not path or any(isinstance(node, LambdaExpr) for node in path):
        return None
    facts = _FunctionFacts.of(function)
    if name.name in facts.declared_outside:
        return None
    uses = [
        (step, ref)
        for step, ref in facts.uses.get(name.name, ())
        if ref[-1] is not target and name.matches(ref[-1])
    ]
    if any(_inside_nested_scope(ref) for _, ref in uses):
        return Flow(consumed=True)
    if not any(_may_run_after(facts.graph.nodes[step], ref, target) for step, ref in uses):
        return Flow()
    start = facts.graph.node_of(path)
    if start is None:
        return Flow(consumed=True)  # cannot place the binding: assume the best
    by_step: dict[int, list[list[Node]]] = {}
    for step, ref in uses:
        by_step.setdefault(step, []).append(ref)
    return _walk(facts.graph, start, name, by_step)


# Names.


class _LocalName(NamedTuple):
    name: str
    var: SymbolNode | None

    @staticmethod
    def of(target: NameExpr) -> _LocalName | None:
        if target.kind != LDEF or target.name == "_":
            return None
        return _LocalName(target.name, target.node)

    def matches(self, node: Node) -> bool:
        if not isinstance(node, NameExpr) or node.name != self.name:
            return False
        return self.var is None or node.node is None or node.node is self.var


class _FunctionFacts:
    """The control-flow graph of a function and where each name occurs in it."""

    #: The facts of the function hooks fired in last: hooks fire call by call, so
    #: one function's calls come together (both passes of a deferred function, all
    #: copies of a function with value-restricted TypeVars).
    _last: ClassVar[_FunctionFacts | None] = None

    def __init__(self, function: FuncItem) -> None:
        self.function = function
        self.body = function.body
        self.size = len(function.body.body)
        self.graph = _Graph.build(function.body.body)
        #: For each name: the steps that contain it, with the path from the step's
        #: statement down to each occurrence (reads and assignment targets alike).
        self.uses: dict[str, list[tuple[int, list[Node]]]] = {}
        #: Names declared ``global`` or ``nonlocal`` anywhere in the function.
        self.declared_outside: set[str] = set()
        for index, step in enumerate(self.graph.nodes):
            for path in step.occurrences():
                leaf = path[-1]
                if isinstance(leaf, NameExpr):
                    self.uses.setdefault(leaf.name, []).append((index, path))
                elif isinstance(leaf, nodes.GlobalDecl | nodes.NonlocalDecl):
                    self.declared_outside.update(leaf.names)

    @classmethod
    def of(cls, function: FuncItem) -> _FunctionFacts:
        last = cls._last
        if (
            last is None
            or last.function is not function
            or last.body is not function.body
            or last.size != len(function.body.body)
        ):
            last = cls._last = _FunctionFacts(function)
        return last


def _inside_nested_scope(path: Sequence[Node]) -> bool:
    return any(isinstance(node, FuncItem | nodes.ClassDef) for node in path[:-1])


def _may_run_after(step: _CfgNode, path: Sequence[Node], target: NameExpr) -> bool:
    """Whether the name at the end of ``path`` may be read after ``target`` is bound:
    a read on a later line, or anything in a loop (cheap, over-approximated)."""
    if step.in_loop:
        return True
    return path[-1].line >= target.line and not is_assignment_target(path)


def _assigns(stmt: Node, name: _LocalName) -> bool:
    """Whether ``stmt`` certainly binds ``name`` again when it completes."""
    if not isinstance(stmt, AssignmentStmt) or isinstance(stmt.rvalue, nodes.TempNode):
        return False
    return any(_binds(lvalue, name) for lvalue in stmt.lvalues)


def _binds(lvalue: Node, name: _LocalName) -> bool:
    if isinstance(lvalue, nodes.TupleExpr | nodes.ListExpr):
        return any(_binds(item, name) for item in lvalue.items)
    if isinstance(lvalue, nodes.StarExpr):
        return _binds(lvalue.expr, name)
    return name.matches(lvalue)


# Uses.


#: Uses that read the awaitable without running or keeping it.
_IGNORING: Final = frozenset({Use.FORMATTED, Use.DROPPED, Use.DROPPED_TO_UNDERSCORE})


def effect_of(path: Sequence[Node]) -> Effect:
    """What the use of a name at the end of ``path`` does to the awaitable it holds."""
    if _inside_nested_scope(path):
        return Effect.CONSUMED
    if len(path) >= 2 and isinstance(path[-2], nodes.DelStmt):
        return Effect.IGNORED
    usage = classify_path(path)
    if any(isinstance(node, AssignmentExpr) for node in usage.path):
        return Effect.CONSUMED  # ``if (y := x):`` makes an alias
    if usage.use is Use.TESTED:
        return Effect.TESTED
    if usage.use in _IGNORING:
        return Effect.IGNORED
    return Effect.CONSUMED


def _walk(graph: _Graph, start: int, name: _LocalName, uses: dict[int, list[list[Node]]]) -> Flow:
    """Follow the value bound at step ``start`` along every path until rebound."""
    flow = Flow()
    seen: set[int] = set()
    first = graph.nodes[start]
    if not _assigns(first.stmt, name):
        # An assignment expression: the rest of its step runs after it, and running
        # the step again binds a new value.
        seen.add(start)
        if _visit(uses.get(start, ()), flow):
            return flow
    queue = list(first.succ)
    while queue:
        index = queue.pop()
        if index in seen:
            continue
        seen.add(index)
        node = graph.nodes[index]
        if _visit(uses.get(index, ()), flow):
            return flow
        if _assigns(node.stmt, name):
            flow.reassigned = flow.reassigned or index != start
            continue
        flow.ends = flow.ends or not node.succ
        queue.extend(node.succ)
    flow.tests.sort(key=lambda ref: (ref.node.line, ref.node.column))
    return flow


def _visit(paths: Iterable[list[Node]], flow: Flow) -> bool:
    """Record the uses of the name at one step; whether one of them consumed it."""
    for path in paths:
        if is_assignment_target(path):
            continue
        ref = Reference(path, effect_of(path))
        if ref.effect is Effect.CONSUMED:
            flow.consumed = True
            return True
        if ref.effect is Effect.TESTED and all(ref.node is not t.node for t in flow.tests):
            flow.tests.append(ref)
    return False


# The control-flow graph.


class _CfgNode:
    """One step of execution: a simple statement, or the header of a compound one."""

    __slots__ = ("in_loop", "roots", "stmt", "succ")

    def __init__(self, stmt: Statement, roots: list[Node], *, in_loop: bool) -> None:
        self.stmt = stmt
        #: The syntax evaluated at this step (the statement itself for simple ones).
        self.roots = roots
        #: Whether the step is in a loop (its header included): it may run again.
        self.in_loop = in_loop
        self.succ: list[int] = []

    def occurrences(self) -> Iterator[list[Node]]:
        """Names and ``global``/``nonlocal`` declarations evaluated at this step, each
        with the path from the statement down to it."""
        for root in self.roots:
            prefix: list[Node] = [self.stmt] if root is not self.stmt else []
            for path in paths_to(root, _OCCURRENCES):
                yield [*prefix, *path]


_OCCURRENCES: Final = (NameExpr, nodes.GlobalDecl, nodes.NonlocalDecl)


class _Loop:
    __slots__ = ("breaks", "header")

    def __init__(self, header: int) -> None:
        self.header = header
        self.breaks: list[int] = []


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[_CfgNode] = []
        #: The steps of each statement, by ``id`` (the graph keeps the statements).
        self._steps: dict[int, list[int]] = {}
        self._loops: list[_Loop] = []
        #: Nodes created inside each enclosing ``try`` body (exception edges).
        self._guarded: list[list[int]] = []

    @staticmethod
    def build(body: Sequence[Statement]) -> _Graph:
        graph = _Graph()
        graph._block(body, [])
        return graph

    def node_of(self, path: Sequence[Node]) -> int | None:
        """The step that evaluates the innermost statement of ``path``."""
        depth = max(
            (
                i
                for i, node in enumerate(path)
                if isinstance(node, Statement) and not isinstance(node, Block)
            ),
            default=None,
        )
        if depth is None:
            return None
        stmt = path[depth]
        below = path[depth + 1] if depth + 1 < len(path) else stmt
        for index in self._steps.get(id(stmt), ()):
            if any(root is below or root is stmt for root in self.nodes[index].roots):
                return index
        return None

    # Building.

    def _new(self, stmt: Statement, roots: Sequence[Node | None], preds: list[int]) -> int:
        index = len(self.nodes)
        present = [root for root in roots if root is not None]
        self.nodes.append(_CfgNode(stmt, present, in_loop=bool(self._loops)))
        self._steps.setdefault(id(stmt), []).append(index)
        for guarded in self._guarded:
            guarded.append(index)
        self._link(preds, index)
        return index

    def _link(self, preds: Sequence[int], target: int) -> None:
        for pred in preds:
            self.nodes[pred].succ.append(target)

    def _block(self, stmts: Sequence[Statement], preds: list[int]) -> list[int]:
        for stmt in stmts:
            preds = self._statement(stmt, preds)
        return preds

    def _body(self, block: Block | None, preds: list[int]) -> list[int]:
        return preds if block is None else self._block(block.body, preds)

    def _statement(self, stmt: Statement, preds: list[int]) -> list[int]:
        if isinstance(stmt, nodes.IfStmt):
            return self._if(stmt, preds)
        if isinstance(stmt, nodes.WhileStmt | nodes.ForStmt):
            return self._loop(stmt, preds)
        if isinstance(stmt, nodes.WithStmt):
            header = self._new(stmt, [*stmt.expr, *stmt.target], preds)
            return self._body(stmt.body, [header])
        if isinstance(stmt, nodes.TryStmt):
            return self._try(stmt, preds)
        if isinstance(stmt, nodes.MatchStmt):
            return self._match(stmt, preds)
        if isinstance(stmt, Block):
            return self._block(stmt.body, preds)
        index = self._new(stmt, [stmt], preds)
        if isinstance(stmt, nodes.ReturnStmt | nodes.RaiseStmt):
            return []
        if isinstance(stmt, nodes.BreakStmt | nodes.ContinueStmt) and self._loops:
            loop = self._loops[-1]
            if isinstance(stmt, nodes.BreakStmt):
                loop.breaks.append(index)
            else:
                self._link([index], loop.header)
            return []
        return [index]

    def _if(self, stmt: nodes.IfStmt, preds: list[int]) -> list[int]:
        exits: list[int] = []
        for expr, body in zip(stmt.expr, stmt.body, strict=False):
            header = self._new(stmt, [expr], preds)
            exits += self._body(body, [header])
            preds = [header]
        return exits + self._body(stmt.else_body, preds)

    def _loop(self, stmt: nodes.WhileStmt | nodes.ForStmt, preds: list[int]) -> list[int]:
        roots: list[Node] = (
            [stmt.expr] if isinstance(stmt, nodes.WhileStmt) else [stmt.expr, stmt.index]
        )
        header = self._new(stmt, roots, preds)
        self.nodes[header].in_loop = True
        loop = _Loop(header)
        self._loops.append(loop)
        self._link(self._body(stmt.body, [header]), header)
        self._loops.pop()
        return self._body(stmt.else_body, [header]) + loop.breaks

    def _try(self, stmt: nodes.TryStmt, preds: list[int]) -> list[int]:
        guarded: list[int] = []
        self._guarded.append(guarded)
        body_exits = self._body(stmt.body, preds)
        self._guarded.pop()
        handler_nodes: list[int] = []
        if stmt.finally_body is not None:
            self._guarded.append(handler_nodes)
        exits = self._body(stmt.else_body, body_exits)
        raised = [*preds, *guarded]
        for type_expr, var, handler in zip(stmt.types, stmt.vars, stmt.handlers, strict=False):
            header = self._new(stmt, [type_expr, var], raised)
            exits += self._body(handler, [header])
        if stmt.finally_body is None:
            return exits
        self._guarded.pop()
        return self._body(stmt.finally_body, [*exits, *raised, *handler_nodes])

    def _match(self, stmt: nodes.MatchStmt, preds: list[int]) -> list[int]:
        header = self._new(stmt, [stmt.subject], preds)
        exits = [header]
        for guard, body in zip(stmt.guards, stmt.bodies, strict=False):
            entry = header if guard is None else self._new(stmt, [guard], [header])
            exits += self._body(body, [entry])
        return exits


__all__ = ["Effect", "Flow", "Reference", "effect_of", "follow_binding", "local_function"]
