"""Fix edits: where a missing ``await`` goes in a file's text, and whether it may go there.

A finding names a line and a column; the node it reports (the call, or the bound name
for ``never-awaited``) is looked up in the file's tree as Python's ``ast`` parses it,
and the edit is an insertion of ``await `` (with parentheses only where the grammar
needs them) at that node's position; only a binding nothing uses of a call returning
``None`` is replaced (``stored = save()`` -> ``await save()``). Nothing else in the
file is touched, so its
formatting, comments, line endings and encoding stay as they were by construction.
Every edit is checked by parsing the edited text again: the new tree must be the old
one with exactly the expected ``Await`` nodes added, and it must still compile (the
compiler rejects ``await`` outside an ``async def``).

Text edits rather than a concrete syntax tree library: an insertion needs no
rewriting of the rest of the file, the standard library's ``ast`` gives exact
positions and the re-parse proves the edit, and the command keeps its run-time
dependencies (mypy, typing-extensions).

Only places where ``await`` is legal and means the same as it would in a statement
are fixed: the body of an ``async def``, not a nested ``def``, ``lambda`` or class
body, not a generator expression (an ``await`` there makes it an async generator),
and inside at most one list, set or dict comprehension.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from mypy_await_plugin.scan.findings import Finding

#: What a fix of each code does; codes not listed are never fixed.
STATEMENT: Final = "statement"
CONDITION: Final = "condition"
VALUE: Final = "value"
BINDING: Final = "binding"
FIX_KINDS: Final[dict[str, str]] = {
    "unused-coroutine": STATEMENT,
    "unused-awaitable": STATEMENT,
    "discarded-awaitable": STATEMENT,
    "truthy-coroutine": CONDITION,
    "awaitable-as-value": VALUE,
    "never-awaited": BINDING,
}
#: Nodes ``await`` applies to without parentheses (``await_primary`` in the grammar).
_PRIMARY: Final = (ast.Call, ast.Attribute, ast.Subscript, ast.Name, ast.Constant)
#: Nodes through which a statement drops each of its parts.
_DROPPING: Final = (ast.BoolOp, ast.IfExp, ast.Tuple, ast.List, ast.Set)
_COMPREHENSIONS: Final = (ast.ListComp, ast.SetComp, ast.DictComp)
_CALLEE: Final = re.compile(r'returned by "(?:[^"]*\.)?(?P<name>[^".]+)"')
_ASSIGNED: Final = re.compile(r'assigned to "(?P<name>[^"]+)"')
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Edit:
    """``await`` inserted before the node ``node`` (an index in ``ast.walk`` order),
    which spans ``start``..``end`` in the text."""

    finding: Finding
    node: int
    start: int
    end: int
    prefix: str
    suffix: str
    #: The lines whose errors this edit may change (its statement; for a binding, the
    #: rest of the function).
    lines: range
    #: Whether the finding's columns named the node (else its width or name did).
    exact: bool = True
    #: For ``x = f()`` whose result is ``None`` and ``x`` never used: the text from
    #: ``cut`` to ``start`` (``x = ``) goes, and the assignment (the node at index
    #: ``statement``) becomes the statement ``await f()``. ``-1``: nothing goes.
    cut: int = -1
    statement: int = -1

    @property
    def head(self) -> int:
        """Where the edit's text starts."""
        return self.cut if self.cut >= 0 else self.start

    def text(self, source: SourceFile) -> str:
        """The awaited expression as the edit writes it."""
        return self.prefix + source.text[self.start : self.end] + self.suffix


@dataclass(frozen=True)
class Skipped:
    finding: Finding
    reason: str


class SourceFile:
    """A Python file's text exactly as stored, and its ``ast`` tree."""

    def __init__(self, path: Path, encoding: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.encoding = encoding
        self.text = text
        self.tree = tree
        self.nodes = list(ast.walk(tree))
        self._index = {id(node): index for index, node in enumerate(self.nodes)}
        self._parents: dict[int, ast.AST] = {
            id(child): node for node in self.nodes for child in ast.iter_child_nodes(node)
        }
        self._line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
        self._by_line: dict[int, list[ast.expr]] = {}
        for node in self.nodes:
            if isinstance(node, ast.expr):
                self._by_line.setdefault(node.lineno, []).append(node)
        self.compiles = _compiles(tree, str(path))

    @classmethod
    def read(cls, path: Path) -> SourceFile | str:
        """The file, or why it cannot be fixed."""
        try:
            data = path.read_bytes()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (OSError, SyntaxError, UnicodeDecodeError) as err:
            return f"cannot read the file: {err}"
        return cls.parse(path, encoding, text)

    @classmethod
    def parse(cls, path: Path, encoding: str, text: str) -> SourceFile | str:
        try:
            tree = ast.parse(text, str(path))
        except (SyntaxError, ValueError) as err:
            return f"cannot parse the file: {err}"
        return cls(path, encoding, text, tree)

    def encoded(self, text: str) -> bytes:
        return text.encode(self.encoding)

    def expressions(self, line: int) -> list[ast.expr]:
        """The expressions that start on ``line``."""
        return self._by_line.get(line, [])

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(id(node))

    def offset(self, line: int, byte_column: int) -> int:
        """The text offset of ``ast``'s (line, UTF-8 byte column)."""
        start = self._line_starts[line - 1]
        head = self.text[start : start + byte_column].encode("utf-8")[:byte_column]
        return start + len(head.decode("utf-8", "ignore"))

    def columns(self, node: ast.expr) -> tuple[int, int]:
        """``node``'s start and end column in characters (0-based, end exclusive)."""
        start = self.offset(node.lineno, node.col_offset)
        end_line = node.end_lineno or node.lineno
        end = self.offset(end_line, node.end_col_offset or 0)
        return (
            start - self._line_starts[node.lineno - 1],
            end - self._line_starts[end_line - 1],
        )

    def span(self, node: ast.expr) -> tuple[int, int]:
        end_line = node.end_lineno or node.lineno
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(end_line, node.end_col_offset or 0),
        )

    def index(self, node: ast.AST) -> int:
        return self._index[id(node)]

    # Edits.

    def apply(self, edits: list[Edit]) -> str:
        text = self.text
        for edit in sorted(edits, key=lambda e: e.start, reverse=True):
            text = (
                text[: edit.head]
                + edit.prefix
                + text[edit.start : edit.end]
                + edit.suffix
                + text[edit.end :]
            )
        return text

    def accepts(self, edits: list[Edit]) -> bool:
        """Whether the edited text parses to this tree with an ``Await`` around each
        edited node, and compiles if this file does."""
        try:
            edited = ast.parse(self.apply(edits), str(self.path))
        except (SyntaxError, ValueError):
            return False
        if ast.dump(edited) != self._expected_dump(edits):
            return False
        return _compiles(edited, str(self.path)) or not self.compiles

    def _expected_dump(self, edits: list[Edit]) -> str:
        """``ast.dump`` of this tree with the edits' ``Await`` nodes (put in place
        for the dump and taken out again: cheaper than a copy)."""
        undo: list[Callable[[], None]] = []
        try:
            for edit in edits:
                target = self.nodes[edit.node]
                assert isinstance(target, ast.expr)
                if edit.statement >= 0:
                    old = self.nodes[edit.statement]
                    new: ast.AST = ast.Expr(value=ast.Await(value=target))
                else:
                    old, new = target, ast.Await(value=target)
                parent = self.parent(old)
                assert parent is not None
                undo.append(_replace(parent, old, new))
            return ast.dump(self.tree)
        finally:
            for step in reversed(undo):
                step()


def plan(source: SourceFile, findings: list[Finding]) -> tuple[list[Edit], list[Skipped]]:
    """The edits for ``findings`` (all in ``source``), accepted together, and the
    findings left with the reason."""
    edits: list[Edit] = []
    skipped: list[Skipped] = []
    for finding in findings:
        outcome = _plan_one(source, finding)
        if isinstance(outcome, str):
            skipped.append(Skipped(finding, outcome))
        elif any(_overlaps(outcome, other) for other in edits):
            skipped.append(Skipped(finding, "it overlaps another fix; run --fix again"))
        else:
            edits.append(outcome)
    if not edits or source.accepts(edits):  # one parse for the file, mostly
        return edits, skipped
    accepted = [edit for edit in edits if source.accepts([edit])]
    skipped += [
        Skipped(edit.finding, "the edited code would not parse the same")
        for edit in edits
        if edit not in accepted
    ]
    if accepted and not source.accepts(accepted):
        return [], [*skipped, *(Skipped(e.finding, "the edits conflict") for e in accepted)]
    return accepted, skipped


def _plan_one(source: SourceFile, finding: Finding) -> Edit | str:
    """The edit for ``finding``, or why there is none."""
    kind = FIX_KINDS.get(finding.code)
    if kind is None:
        return f"{finding.code} is not fixed automatically"
    found = _find(source, finding, kind)
    if isinstance(found, str):
        return found
    reported, target = found
    problem = _await_problem(source, target)
    if problem is None and kind == STATEMENT:
        problem = _drop_problem(source, target)
    if problem is not None:
        return problem
    exact = _at(source, reported, finding, _has_end(finding))
    edit = _edit(source, finding, target, kind, exact)
    if kind == BINDING and _dead_none_binding(source, finding, reported):
        statement = source.parent(reported)
        assert isinstance(statement, ast.Assign)
        cut = source.span(reported)[0]
        return replace(edit, cut=cut, statement=source.index(statement))
    return edit


def _find(source: SourceFile, finding: Finding, kind: str) -> tuple[ast.expr, ast.expr] | str:
    """The node the finding reports and the one to await, or why they are not found."""
    if kind == BINDING:
        name = _locate(source, finding, (ast.Name,))
        if name is None:
            return "the expression was not found in the file"
        value = _bound_value(source, name)
        if value is None:
            return "bound other than by a plain assignment (x = f(), a, b = f(), g())"
        return name, value
    node = _locate(source, finding, (ast.expr,) if kind == STATEMENT else (ast.Call,))
    if node is not None:
        return node, node
    if kind == CONDITION and _locate(source, finding, (ast.Name,)):
        return 'a tested name: add "await" where it is assigned'
    return "the expression was not found in the file"


def _dead_none_binding(source: SourceFile, finding: Finding, name: ast.expr) -> bool:
    """``x = f()``, ``f`` returning ``None``, and ``x`` named nowhere else in the
    function: ``x = await f()`` would be mypy's ``func-returns-value`` error, and
    ``await f()`` is the fix."""
    returned = finding.message.split(" returned by ", 1)[0]
    if not (returned.endswith(", None]") or returned == "Awaitable[None]"):
        return False
    statement = source.parent(name)
    if not (isinstance(statement, ast.Assign) and statement.targets == [name]):
        return False
    assert isinstance(name, ast.Name)
    function = _function(source, statement)
    if function is None:
        return False
    uses = [
        node
        for node in ast.walk(function)
        if (isinstance(node, ast.Name) and node.id == name.id)
        or (isinstance(node, ast.Global | ast.Nonlocal) and name.id in node.names)
    ]
    return uses == [name]


def _locate(
    source: SourceFile, finding: Finding, kinds: tuple[type[ast.expr], ...]
) -> ast.expr | None:
    """The node of one of ``kinds`` that ``finding`` reports.

    mypy's columns are character columns on ASCII lines only; on a line with other
    text they are off. There the node must be singled out by its lines, and by its
    width or the name in the message (``returned by "Repo.save"``). Without an end
    (a mypy that gives none) the node's start and that name must do."""
    ends = _has_end(finding)
    on_line = [
        node
        for node in source.expressions(finding.line)
        if isinstance(node, kinds) and (not ends or node.end_lineno == finding.end_line)
    ]
    at = [node for node in on_line if _at(source, node, finding, ends)]
    if len(at) == 1:
        return at[0]
    candidates = _named(source, finding, kinds, at or on_line)
    if not at and ends and finding.line == finding.end_line and len(candidates) > 1:
        width = finding.end_column - finding.column + 1
        candidates = [node for node in candidates if _width(source, node) == width]
    return candidates[0] if len(candidates) == 1 else None


def _has_end(finding: Finding) -> bool:
    """Whether mypy gave the end (the scan puts the start there when it did not)."""
    return (finding.end_line, finding.end_column) != (finding.line, finding.column)


def _at(source: SourceFile, node: ast.expr, finding: Finding, ends: bool) -> bool:
    start, end = source.columns(node)
    return start == finding.column - 1 and (not ends or end == finding.end_column)


def _named(
    source: SourceFile, finding: Finding, kinds: tuple[type[ast.expr], ...], nodes: list[ast.expr]
) -> list[ast.expr]:
    """The ``nodes`` the finding's message names, if it names one."""
    named = (_ASSIGNED if kinds == (ast.Name,) else _CALLEE).search(finding.message)
    if named is not None:
        return [node for node in nodes if _name(node) == named.group("name")]
    if kinds == (ast.expr,):  # mypy's own codes report a statement's expression
        return [node for node in nodes if isinstance(source.parent(node), ast.Expr)]
    return nodes


def _width(source: SourceFile, node: ast.expr) -> int:
    start, end = source.columns(node)
    return end - start


def _name(node: ast.expr) -> str | None:
    """A name's identifier; a call's callee name (``save`` of ``repo.save()``)."""
    if isinstance(node, ast.Name):
        return node.id
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _bound_value(source: SourceFile, name: ast.expr) -> ast.expr | None:
    """The value bound to ``name`` by a plain assignment (``x = f()``,
    ``a, b = f(), g()``); ``None`` for other bindings."""
    parent = source.parent(name)
    if isinstance(parent, ast.Assign) and parent.targets == [name]:
        return parent.value
    if isinstance(parent, ast.Tuple | ast.List):
        statement = source.parent(parent)
        value = statement.value if isinstance(statement, ast.Assign) else None
        if (
            isinstance(statement, ast.Assign)
            and statement.targets == [parent]
            and isinstance(value, ast.Tuple | ast.List)
            and len(value.elts) == len(parent.elts)
            and not any(isinstance(item, ast.Starred) for item in (*parent.elts, *value.elts))
        ):
            return value.elts[parent.elts.index(name)]
    return None


def _drop_problem(source: SourceFile, node: ast.expr) -> str | None:
    """``None`` when a statement evaluates ``node`` and drops it: the statement
    itself, a part of ``and``/``or``, a conditional's branch, a display's item; or the
    value of ``_ = ...``. Otherwise why ``await <node>`` is not the fix."""
    child: ast.AST = node
    parent = source.parent(child)
    while isinstance(parent, _DROPPING):
        if isinstance(parent, ast.IfExp) and parent.test is child:
            return "not a dropped value"
        child, parent = parent, source.parent(parent)
    if isinstance(parent, ast.ListComp | ast.SetComp | ast.DictComp):
        # Awaiting each item in turn is a choice between that and running them
        # concurrently (``asyncio.gather``): the author's.
        return "made in a comprehension: await each in a loop, or gather them"
    if isinstance(parent, ast.Expr):
        return None
    if (
        isinstance(parent, ast.Assign)
        and parent.value is child
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
        and parent.targets[0].id == "_"
    ):
        return None
    return "not a dropped value"


def _await_problem(source: SourceFile, node: ast.expr) -> str | None:
    """Why ``await`` cannot go before ``node``, or ``None`` when it can. A function's
    or class's decorators, defaults and bases run in the enclosing scope."""
    comprehensions = 0
    child: ast.AST = node
    parent = source.parent(child)
    while parent is not None:
        if _in_body(parent, child):
            if isinstance(parent, ast.AsyncFunctionDef):
                if comprehensions > 1:
                    return "await in a nested comprehension is an error before Python 3.11"
                return None
            if isinstance(parent, ast.FunctionDef):
                return "await is not allowed in a sync function"
            if isinstance(parent, ast.Lambda):
                return "await is not allowed in a lambda"
            return "await is not allowed in a class body"
        if isinstance(parent, ast.GeneratorExp):
            return "await would make the generator expression an async generator"
        if isinstance(parent, _COMPREHENSIONS):
            comprehensions += 1
        child, parent = parent, source.parent(parent)
    return "await is not allowed at module level"


def _in_body(scope: ast.AST, child: ast.AST) -> bool:
    """Whether ``child`` of ``scope`` runs in the scope a function or class opens."""
    if isinstance(scope, ast.Lambda):
        return scope.body is child
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return any(statement is child for statement in scope.body)
    return False


def _edit(source: SourceFile, finding: Finding, node: ast.expr, kind: str, exact: bool) -> Edit:
    start, end = source.span(node)
    prefix, suffix = "await ", ""
    if not isinstance(node, _PRIMARY):
        prefix, suffix = "await (", ")"
    parent = source.parent(node)
    if _followed_by_trailer(parent, node):
        prefix, suffix = "(" + prefix, suffix + ")"
    statement = _statement(source, node)
    lines = range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)
    if kind == BINDING:
        function = _function(source, statement)
        if function is not None:
            lines = range(statement.lineno, (function.end_lineno or statement.lineno) + 1)
    return Edit(finding, source.index(node), start, end, prefix, suffix, lines, exact)


def _followed_by_trailer(parent: ast.AST | None, node: ast.expr) -> bool:
    """``(await f()).x``, ``(await f())[0]``, ``(await f())()``: ``await`` would
    take the whole primary."""
    if isinstance(parent, ast.Attribute | ast.Subscript):
        return parent.value is node
    return isinstance(parent, ast.Call) and parent.func is node


def _statement(source: SourceFile, node: ast.AST) -> ast.stmt:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = source.parent(current)
    assert current is not None  # every expression is inside a statement
    return current


def _function(source: SourceFile, node: ast.AST) -> ast.AsyncFunctionDef | None:
    current = source.parent(node)
    while current is not None and not isinstance(current, ast.AsyncFunctionDef):
        current = source.parent(current)
    return current


def _overlaps(edit: Edit, other: Edit) -> bool:
    return edit.head < other.end and other.head < edit.end


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> Callable[[], None]:
    """Put ``new`` where ``parent`` holds ``old``; returns how to undo it."""
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return lambda: setattr(parent, name, old)
        if isinstance(value, list) and any(item is old for item in value):
            index = [id(item) for item in value].index(id(old))
            value[index] = new
            return lambda: value.__setitem__(index, old)
    raise AssertionError("not a child of its parent")


def _compiles(tree: ast.Module, filename: str) -> bool:
    try:
        compile(tree, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
