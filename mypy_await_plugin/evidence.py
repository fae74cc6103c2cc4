"""What a function's body says it returns, where its declaration does not tell.

A plain ``def`` declared ``-> Awaitable[T]`` may start its work and hand back a future
(a handle), or hand back a coroutine that runs only when awaited (lazy); a hook
declared ``-> Coroutine[...] | None`` may only ever return ``None``; a helper declared
``-> asyncio.Task[T]`` may spawn a task that nothing but the event loop's weak set
holds, or keep it in a set of its own. The declaration is the same; the body differs.
This module reads the body and records one ``Fact`` per function:

* ``LAZY``: every value it returns (``None`` aside) is a lazy awaitable it made: the
  call of an ``async def``, of a ``Coroutine``-declared callee, of an ``Awaitable``
  protocol member or callable, of another function with this fact, directly or
  through a local name that nothing else uses.
* ``NONE``: it only ever returns ``None``.
* ``FRESH_TASK``: it returns a task or future it spawned (a listed spawner's call, or
  another function with this fact) and keeps nowhere: dropping it is ``dangling-task``.
* ``KEPT_TASK``: it returns such a task after passing it on or storing it
  (``self._tasks.add(task)``): it is kept, even when its callers drop it.

No fact: the declaration decides, as before. Only plain ``def`` bodies that mypy has
(not stubs, protocol members, abstract or trivial bodies) whose declared return may
be an awaitable are read, and each once per definition.

The evidence is read from the syntax tree and from declarations (names bound by
semantic analysis, annotated types), never from types mypy infers while checking,
so the answer is the same whichever of a caller and its callee mypy checks first
(import cycles, a caller written above its callee).

A module loaded from mypy's cache has no bodies. Its facts travel with it in a
carrier: a private variable of the module (``CARRIER``) whose final value lists
them. ``write_carrier`` puts it in the module's symbol table just before mypy
serializes the module (``report_config_data`` at cache write), so it is also part
of the module's interface hash: an incremental run re-checks the importers of a
module whose facts changed.

A module whose cache entry was valid when the build started but whose imports
changed is parsed again in the middle of the build, where mypy asks no
``get_additional_deps``: ``remember_unseen`` keeps its bodies at the first moment
the plugin sees it whole (a fact asked, its cache written after its interface was
checked, ``get_additional_indirect_deps`` on mypy 2.4, a hook firing in it before).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from itertools import compress
from typing import Final, NamedTuple

from mypy.lookup import lookup_fully_qualified
from mypy.nodes import (
    GDEF,
    LDEF,
    NOT_ABSTRACT,
    AssignmentStmt,
    Block,
    CallExpr,
    ClassDef,
    ConditionalExpr,
    Decorator,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    MatchStmt,
    MemberExpr,
    MypyFile,
    NameExpr,
    Node,
    OverloadedFuncDef,
    PassStmt,
    RefExpr,
    ReturnStmt,
    Statement,
    StrExpr,
    SuperExpr,
    SymbolNode,
    SymbolTableNode,
    TryStmt,
    TypeInfo,
    Var,
    WhileStmt,
    WithStmt,
)
from mypy.semanal import is_trivial_body
from mypy.types import (
    CallableType,
    Instance,
    Overloaded,
    Type,
    UnboundType,
    UnionType,
    get_proper_type,
)

from mypy_await_plugin.awaitables import (
    LAZY_TYPE_NAMES,
    Kind,
    classify,
    module_of,
    starts_its_own_work,
)
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.libraries import TASK_CREATORS
from mypy_await_plugin.queued import may_discard_result
from mypy_await_plugin.sinks import spawner_key
from mypy_await_plugin.syntax import paths_to


class Fact(enum.Enum):
    LAZY = "lazy"
    NONE = "none"
    FRESH_TASK = "task"
    KEPT_TASK = "kept"


#: The name of the variable that carries a cached module's facts.
CARRIER: Final = "__mypy_await_plugin_facts__"
_NO_CYCLE: Final = 1 << 30
_BY_VALUE: Final = {fact.value: fact for fact in Fact}
#: Decorators that keep the function's signature and body as they are.
_TRANSPARENT: Final = frozenset({"builtins.staticmethod", "builtins.classmethod"})


class Evidence:
    """The facts of the functions of one build, read once per definition.

    Answers are kept per full name together with the definition they were read
    from: after a daemon re-parses a module its definitions are new objects, and
    ``forget`` drops everything when any module was (re)parsed, since one function's
    fact may rest on another's.
    """

    def __init__(self, config: AwaitConfig) -> None:
        self._config = config
        self._modules: Mapping[str, MypyFile] = {}
        self._read: dict[str, tuple[FuncDef, Fact | None]] = {}
        self._carried: dict[str, tuple[MypyFile, dict[str, Fact]]] = {}
        #: The functions being read, innermost last, and the outermost of them that a
        #: read came back to (a cycle: its members' facts would depend on where the
        #: reading started, so all of them get none).
        self._reading: list[str] = []
        self._cycle_from = _NO_CYCLE
        #: Whether a class has ``__await__``, by full name.
        self._awaitable_classes: dict[str, bool] = {}
        #: The bodies of the functions that may have facts, as parsed, by module:
        #: mypy empties a module's blocks once it is checked, before or after
        #: writing its cache depending on the version and options (``remember``).
        self._bodies: dict[str, dict[tuple[str, int], _Body]] = {}
        #: The tree each module's bodies were kept from (``remember``).
        self._trees: dict[str, MypyFile] = {}

    def set_modules(self, modules: Mapping[str, MypyFile]) -> None:
        self._modules = modules

    def forget(self) -> None:
        self._read.clear()
        self._carried.clear()
        self._awaitable_classes.clear()

    def remember(self, file: MypyFile) -> None:
        """Keep the statement lists of ``file``'s functions that may have facts, just
        parsed: whenever a fact is read (a caller checked before or after the callee,
        the cache written before or after mypy empties the bodies), it is read from
        the same text. Chosen by the return annotation's names, before it is analysed
        (``_MAY_AWAIT_NAMES``)."""
        self._trees[file.fullname] = file
        bodies: dict[tuple[str, int], _Body] = {}
        if not file.is_stub:
            chosen: list[FuncDef] = []
            _choose(file.defs, chosen, None)
            for func in chosen:
                bodies[func.name, func.line] = _Body(func, _blocks_of(func.body))
        if bodies:
            self._bodies[file.fullname] = bodies
        else:
            self._bodies.pop(file.fullname, None)

    def remember_unseen(self, file: MypyFile) -> None:
        """``remember`` a module that mypy parsed without asking ``get_additional_deps``,
        if its bodies are still whole: one whose cache entry was valid when the build
        started but which is checked again because an import's interface changed.
        Asked wherever the plugin meets a module before mypy may empty it."""
        if self._trees.get(file.fullname) is not file and not (
            file.is_cache_skeleton or file.is_stub or not file.defs  # emptied: too late
        ):
            self.remember(file)

    def _may_have_facts(self, func: FuncDef) -> bool:
        """A plain ``def``, declared to return what may be an awaitable: the only
        definitions whose body is read. (Asked for every function of every module
        mypy writes to its cache: the common answers come first.)"""
        signature = func.type
        if (
            signature.__class__ is not CallableType
            or func.is_coroutine
            or func.is_generator
            or func.abstract_status != NOT_ABSTRACT
        ):
            return False
        assert isinstance(signature, CallableType)
        ret = get_proper_type(signature.ret_type)
        if ret.__class__ is Instance:
            assert isinstance(ret, Instance)
            may_await = self._is_awaitable_class(ret.type)
        elif isinstance(ret, UnionType):
            may_await = any(
                isinstance(item, Instance) and self._is_awaitable_class(item.type)
                for item in map(get_proper_type, ret.items)
            )
        else:
            return False
        info = func.info
        return may_await and not (info and info.is_protocol)

    def _is_awaitable_class(self, info: TypeInfo) -> bool:
        fullname = info.fullname
        known = self._awaitable_classes.get(fullname)
        if known is None:
            known = fullname in LAZY_TYPE_NAMES or info.get("__await__") is not None
            self._awaitable_classes[fullname] = known
        return known

    # Asking.

    def fact(self, node: SymbolNode | None) -> Fact | None:
        """The fact of the function ``node`` (``None``: none, or not a function)."""
        func = _function_of(node)
        if func is None or not self._may_have_facts(func):
            return None
        module = self._modules.get(module_of(func))
        if module is None or module.is_stub:
            return None  # a stub's bodies are ``...``: its declarations are all there is
        fullname = func.fullname
        if module.is_cache_skeleton:
            return self._carrier_of(module).get(fullname)
        self.remember_unseen(module)
        known = self._read.get(fullname)
        if known is not None and known[0] is func:
            return known[1]
        reading = self._reading
        if fullname in reading:
            self._cycle_from = min(self._cycle_from, reading.index(fullname))
            return None
        depth, outer = len(reading), self._cycle_from
        reading.append(fullname)
        self._cycle_from = _NO_CYCLE
        try:
            fact = self._read_body(func)
        finally:
            reading.pop()
            inner = self._cycle_from
            # A cycle that reaches above this function goes on to its reader.
            self._cycle_from = min(outer, inner if inner < depth else _NO_CYCLE)
        if inner <= depth:
            fact = None  # a member of a cycle (recursion, mutual or not)
        self._read[fullname] = (func, fact)
        return fact

    def kind_of(self, node: SymbolNode | None) -> Kind | None:
        """What calls of the function ``node`` give, where its body tells: lazy or
        none (``None``: its declaration decides)."""
        fact = self.fact(node)
        if fact is Fact.LAZY:
            return Kind.LAZY
        return Kind.NONE if fact is Fact.NONE else None

    def _carrier_of(self, module: MypyFile) -> dict[str, Fact]:
        known = self._carried.get(module.fullname)
        if known is not None and known[0] is module:
            return known[1]
        facts = decode(_carrier_text(module))
        self._carried[module.fullname] = (module, facts)
        return facts

    # The carrier.

    def write_carrier(self, module: MypyFile) -> None:
        """Put the facts of ``module``'s functions in its symbol table, for its cache."""
        if module.is_cache_skeleton or module.is_stub:
            return  # it carries its facts already, or has none
        # mypy 2.4 writes a module checked again for its imports' sake after checking
        # its interface only: the bodies are still whole.
        self.remember_unseen(module)
        facts: dict[str, Fact] = {}
        for body in self._bodies.get(module.fullname, {}).values():
            fact = self.fact(body.func)
            if fact is not None:
                facts[body.func.fullname] = fact
        names = module.names
        if not facts:
            names.pop(CARRIER, None)
            return
        carrier = Var(CARRIER)
        carrier._fullname = f"{module.fullname}.{CARRIER}"
        carrier.is_final = True
        carrier.final_value = encode(facts)
        names[CARRIER] = SymbolTableNode(GDEF, carrier, module_public=False, plugin_generated=True)

    # Reading a body.

    def _restore(self, func: FuncDef) -> bool:
        """Give ``func`` back the body it was parsed with; ``False`` if not kept."""
        # By name and line: the daemon merges a module parsed again into the old
        # definitions (``mypy.server.astmerge``), which then hold the new bodies.
        remembered = self._bodies.get(module_of(func), {}).get((func.name, func.line))
        if remembered is None:
            return False
        if remembered.func is func:
            remembered.restore()
        return True

    def _read_body(self, func: FuncDef) -> Fact | None:
        if not self._restore(func):
            return None  # not parsed in this run, or not declared to return an awaitable
        body = func.body.body
        if not body:
            return None  # stripped (an installed package's) or made up by a plugin
        if is_trivial_body(func.body):
            # A docstring or ``pass``: a default hook that does nothing, and returns
            # None. ``...`` or ``raise NotImplementedError``: a declaration only.
            return Fact.NONE if all(map(_does_nothing, body)) else None
        facts: set[Fact | None] = set()
        for value in _returned_values(func.body):
            if value is not None and not _is_none(value):
                facts.add(self._value_fact(value, func))
        facts.discard(Fact.NONE)  # a call of a function that returns only None
        if not facts:
            return Fact.NONE
        return facts.pop() if len(facts) == 1 else None

    def _value_fact(self, value: Expression, func: FuncDef) -> Fact | None:
        if isinstance(value, CallExpr):
            return self._call_fact(value, func)
        if isinstance(value, ConditionalExpr):
            branches = {
                self._value_fact(branch, func) if not _is_none(branch) else Fact.NONE
                for branch in (value.if_expr, value.else_expr)
            }
            branches.discard(Fact.NONE)
            if not branches:
                return Fact.NONE
            return branches.pop() if len(branches) == 1 else None
        if isinstance(value, NameExpr) and value.kind == LDEF and isinstance(value.node, Var):
            return self._local_fact(value.node, func)
        return None

    def _call_fact(self, call: CallExpr, func: FuncDef) -> Fact | None:
        callee = self._callee(call.callee, func)
        if callee is None:
            return None
        fullname, node = callee
        if isinstance(node, Type):
            return Fact.LAZY if _returns_lazy(node, self._config) else None
        own = self.fact(node)
        if own is not None:
            return own
        if fullname is not None and may_discard_result(fullname, node, self._config, self._lookup):
            return None  # a queued command or started work, whatever its declaration
        if fullname is not None and self._creates_task(fullname, node):
            return Fact.FRESH_TASK
        return Fact.LAZY if _definitely_lazy(node, self._config, self._modules) else None

    def _lookup(self, fullname: str) -> SymbolTableNode | None:
        modules = self._modules
        return lookup_fully_qualified(fullname, modules) if isinstance(modules, dict) else None

    def _creates_task(self, fullname: str, node: SymbolNode) -> bool:
        key = spawner_key(fullname, node, self._config)
        return key is not None and (key in TASK_CREATORS or key in self._config.task_spawners)

    def _local_fact(self, var: Var, func: FuncDef) -> Fact | None:
        """A returned local: what its assignments bind, when nothing else uses it (a
        task passed on or stored is kept; a coroutine passed on may be awaited there,
        and one whose methods are called may be run by them: ``coro.send(None)``)."""
        bound: set[Fact | None] = set()
        kept = received = False
        for path in paths_to(func.body, (NameExpr,)):
            name = path[-1]
            if not isinstance(name, NameExpr) or name.node is not var:
                continue
            parent = path[-2] if len(path) >= 2 else None
            if isinstance(parent, AssignmentStmt) and name in parent.lvalues:
                if len(parent.lvalues) != 1:
                    return None
                bound.add(self._value_fact(parent.rvalue, func))
            elif _nested(path):
                kept = True
            elif _is_receiver(path):
                received = True
            elif not isinstance(parent, ReturnStmt):
                kept = True
        if len(bound) != 1:
            return None
        fact = bound.pop()
        if fact in (Fact.FRESH_TASK, Fact.KEPT_TASK):
            return Fact.KEPT_TASK if kept else fact
        return None if kept or received else fact

    # Resolving a callee from declarations.

    def _callee(
        self, callee: Expression, func: FuncDef
    ) -> tuple[str | None, SymbolNode | Type] | None:
        """What a call in ``func`` calls: a definition (with the full name mypy gives
        the call), or the declared type of a callable value."""
        if isinstance(callee, SuperExpr):
            info = callee.info
            if info is None:
                return None
            for base in info.mro[1:]:
                symbol = base.names.get(callee.name)
                if symbol is not None and symbol.node is not None:
                    return f"{base.fullname}.{callee.name}", symbol.node
            return None
        if isinstance(callee, RefExpr) and callee.node is not None:
            node = callee.node
            if isinstance(node, Var):
                typ = _declared_var_type(node, func)
                return (None, typ) if typ is not None else None
            return node.fullname, node
        if isinstance(callee, MemberExpr):
            info = _type_info(self._declared_type(callee.expr, func))
            if info is None:
                return None
            symbol = info.get(callee.name)
            if symbol is None or symbol.node is None:
                return None
            member = symbol.node
            if isinstance(member, Var):
                return (None, member.type) if member.type is not None else None
            return f"{info.fullname}.{callee.name}", member
        return None

    def _declared_type(self, expr: Expression, func: FuncDef) -> Type | None:
        """The type of ``expr`` as declared: ``self``, a parameter, an annotated
        variable or attribute, or an attribute ``__init__`` sets from a parameter."""
        if isinstance(expr, NameExpr):
            node = expr.node
            if isinstance(node, Var):
                if _is_self(node, func):
                    return Instance(func.info, [])
                return _declared_var_type(node, func)
            return None
        if isinstance(expr, MemberExpr) and isinstance(expr.expr, NameExpr):
            owner = expr.expr.node
            if not (isinstance(owner, Var) and _is_self(owner, func)):
                return None
            symbol = func.info.get(expr.name)
            if symbol is None or not isinstance(symbol.node, Var):
                return None
            attribute = symbol.node
            if attribute.type is not None and not attribute.is_inferred:
                return attribute.type
            # Only an ``__init__`` kept as parsed (``remember``): a body mypy has
            # emptied, or may empty before the next question, says nothing.
            symbol = func.info.get("__init__")
            init = symbol.node if symbol is not None else None
            if not isinstance(init, FuncDef) or not self._restore(init):
                return None
            return _set_in_init(init, expr.name)
        return None


def _set_in_init(init: FuncDef, attribute: str) -> Type | None:
    """The type ``__init__`` declares for ``self.attribute``: its annotation there
    (``self.loop: AbstractEventLoop = loop``), or the declared type of what it assigns,
    a parameter or a call (``self.loop = asyncio.get_running_loop()``)."""
    if not isinstance(init.type, CallableType):
        return None
    for stmt in init.body.body:
        if not (isinstance(stmt, AssignmentStmt) and len(stmt.lvalues) == 1):
            continue
        target, value = stmt.lvalues[0], stmt.rvalue
        if not (
            isinstance(target, MemberExpr)
            and target.name == attribute
            and isinstance(target.expr, NameExpr)
            and isinstance(target.expr.node, Var)
            and _is_self(target.expr.node, init)
        ):
            continue
        if stmt.type is not None:
            return stmt.type
        if isinstance(value, NameExpr) and isinstance(value.node, Var):
            return _declared_var_type(value.node, init)
        if isinstance(value, CallExpr) and isinstance(value.callee, RefExpr):
            return _declared_return(value.callee.node)
        return None
    return None


def _declared_return(node: SymbolNode | None) -> Type | None:
    """The declared return type of a function that is not generic in it."""
    if isinstance(node, Decorator):
        node = node.func
    if isinstance(node, FuncDef) and isinstance(node.type, CallableType):
        signature = node.type
        if not signature.variables:
            return signature.ret_type
    return None


def _declared_var_type(var: Var, func: FuncDef) -> Type | None:
    """A parameter's declared type, or an explicitly annotated variable's."""
    signature = func.type
    if isinstance(signature, CallableType):
        for argument, typ in zip(func.arguments, signature.arg_types, strict=False):
            if argument.variable is var:
                return typ
    if var.type is not None and not var.is_inferred:
        return var.type
    return None


def _is_self(var: Var, func: FuncDef) -> bool:
    return (
        bool(func.info)
        and not func.is_static
        and not func.is_class
        and bool(func.arguments)
        and func.arguments[0].variable is var
    )


def _type_info(typ: Type | None) -> TypeInfo | None:
    proper = get_proper_type(typ)
    return proper.type if isinstance(proper, Instance) else None


# What counts as evidence.


def _definitely_lazy(
    node: SymbolNode | Type, config: AwaitConfig, modules: Mapping[str, MypyFile]
) -> bool:
    """Whether every call of the definition ``node`` gives a lazy awaitable, by its
    declaration: an ``async def``, or a declared lazy return (all overloads) that is
    not a plain ``def`` starting its own work."""
    if isinstance(node, FuncDef):
        if node.is_coroutine:
            return not node.is_async_generator
        if starts_its_own_work(node, modules, config.must_await):
            return False
        return node.type is not None and _returns_lazy(node.type, config)
    if isinstance(node, OverloadedFuncDef):
        return node.type is not None and _returns_lazy(node.type, config)
    if isinstance(node, Decorator):
        if starts_its_own_work(node, modules, config.must_await):
            return False
        return node.var.type is not None and _returns_lazy(node.var.type, config)
    return False


def _returns_lazy(signature: Type, config: AwaitConfig) -> bool:
    proper = get_proper_type(signature)
    if isinstance(proper, CallableType):
        return classify(proper.ret_type, config.must_await) is Kind.LAZY
    if isinstance(proper, Overloaded):
        must_await = config.must_await
        return all(classify(item.ret_type, must_await) is Kind.LAZY for item in proper.items)
    return False


class _Body(NamedTuple):
    """A function as parsed, with the statements of each of its blocks."""

    func: FuncDef
    blocks: list[tuple[Block, list[Statement]]]

    def restore(self) -> None:
        """Put back the statements mypy removed from the blocks once it was done."""
        for block, statements in self.blocks:
            if not block.body and statements:
                block.body.extend(statements)


#: The names of the types a return annotation may name for the function to have
#: facts (``Evidence.remember``), in any part of it (``Optional[Awaitable[T]]``).
_MAY_AWAIT_NAMES: Final = frozenset(
    {"Awaitable", "Coroutine", "CoroutineType", "Future", "Task", "AwaitableGenerator"}
)


def _may_await_by_name(typ: Type | None) -> bool:
    """Whether an annotation, not analysed yet, names an awaitable type."""
    if isinstance(typ, UnboundType):
        if typ.name.rpartition(".")[2] in _MAY_AWAIT_NAMES:
            return True
        return any(map(_may_await_by_name, typ.args))
    if isinstance(typ, UnionType):
        return any(map(_may_await_by_name, typ.items))
    return False


def _choose(
    statements: Sequence[Statement], chosen: list[FuncDef], inits: list[FuncDef] | None
) -> int:
    """Add to ``chosen`` the functions of a module just parsed whose return annotation
    names an awaitable type (``_may_await_by_name``), at its top level and in its
    classes (also under ``if`` and ``try``, and decorated), not nested in functions,
    and the ``__init__`` of each class that has such a method: it declares the
    attributes their bodies use (``self._backend.record(x)``). ``inits`` collects the
    ``__init__`` of the class being read (``None`` outside a class). Returns how many
    functions of this body, its classes' aside, were chosen.

    Runs for every statement of every module parsed, so a statement that defines no
    function is passed over by its class alone: one loop per body, no generator and
    no pairs built, saves about 100M instructions in a cold run of the benchmark
    corpus (0.35% of mypy's) against a walk yielding each function with its class."""
    own = 0
    # The statements that may define a function, picked without a bytecode per
    # statement (imports, assignments and expressions are most of a module).
    for stmt in compress(statements, map(_MAY_DEFINE.__contains__, map(type, statements))):
        # By class, not ``isinstance``: mypy's node classes have no subclasses.
        kind = stmt.__class__
        if kind is FuncDef:
            func: FuncDef = stmt  # type: ignore[assignment]
        elif kind is Decorator:
            func = stmt.func  # type: ignore[attr-defined]
        elif kind is ClassDef:
            methods_init: list[FuncDef] = []
            if _choose(stmt.defs.body, chosen, methods_init):  # type: ignore[attr-defined]
                chosen += methods_init[-1:]  # the last ``__init__`` is the one that counts
            continue
        elif kind is OverloadedFuncDef:
            own += _choose(stmt.items, chosen, inits)  # type: ignore[attr-defined]
            continue
        else:  # a statement of ``_COMPOUND``
            own += _choose(_inner_statements(stmt), chosen, inits)
            continue
        if inits is not None and func.name == "__init__":
            inits.append(func)
            continue
        signature = func.unanalyzed_type
        if signature.__class__ is not CallableType:
            continue
        ret = signature.ret_type
        if ret.__class__ is UnboundType and not ret.args:  # most: ``-> None``, ``-> str``
            if ret.name.rpartition(".")[2] not in _MAY_AWAIT_NAMES:
                continue
        elif not _may_await_by_name(ret):
            continue
        chosen.append(func)
        own += 1
    return own


#: The statements that hold blocks of statements (``_inner_statements``).
_COMPOUND: Final = frozenset({Block, IfStmt, WhileStmt, ForStmt, WithStmt, TryStmt, MatchStmt})
#: The statements ``_choose`` looks into.
_MAY_DEFINE: Final = _COMPOUND | {FuncDef, Decorator, ClassDef, OverloadedFuncDef}


def _blocks_of(body: Block) -> list[tuple[Block, list[Statement]]]:
    """Every block of a function body, with a copy of its statements: those of its
    compound statements and of the functions and classes defined in it (not of
    lambdas: statements are walked, not expressions)."""
    found: list[tuple[Block, list[Statement]]] = []
    blocks = [body]
    while blocks:
        block = blocks.pop()
        found.append((block, list(block.body)))
        for stmt in block.body:
            blocks.extend(_blocks_in(stmt))
    return found


def _blocks_in(stmt: Statement) -> list[Block]:
    if isinstance(stmt, FuncDef):
        return [stmt.body]
    if isinstance(stmt, Decorator):
        return [stmt.func.body]
    if isinstance(stmt, ClassDef):
        return [stmt.defs]
    if isinstance(stmt, IfStmt):
        return [*stmt.body, *([stmt.else_body] if stmt.else_body else [])]
    if isinstance(stmt, WhileStmt | ForStmt):
        return [stmt.body, *([stmt.else_body] if stmt.else_body else [])]
    if isinstance(stmt, WithStmt):
        return [stmt.body]
    if isinstance(stmt, TryStmt):
        extra = [block for block in (stmt.else_body, stmt.finally_body) if block]
        return [stmt.body, *stmt.handlers, *extra]
    if isinstance(stmt, MatchStmt):
        return list(stmt.bodies)
    return []


def _function_of(node: SymbolNode | None) -> FuncDef | None:
    if isinstance(node, Decorator) and all(
        isinstance(decorator, RefExpr) and decorator.fullname in _TRANSPARENT
        for decorator in node.decorators
    ):
        return node.func
    return node if isinstance(node, FuncDef) else None


def _does_nothing(stmt: Statement) -> bool:
    """``pass``, or a docstring."""
    return isinstance(stmt, PassStmt) or (
        isinstance(stmt, ExpressionStmt) and isinstance(stmt.expr, StrExpr)
    )


def _is_none(expr: Expression) -> bool:
    return isinstance(expr, NameExpr) and expr.fullname == "builtins.None"


def _returned_values(block: Block) -> Iterator[Expression | None]:
    """The expression of each ``return`` in a function body, nested functions and
    classes aside (``None`` for a bare ``return``)."""
    stack: list[Statement] = list(reversed(block.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ReturnStmt):
            yield stmt.expr
        else:
            stack.extend(reversed(_inner_statements(stmt)))


def _inner_statements(stmt: Statement) -> list[Statement]:
    blocks: list[Block | None]
    if isinstance(stmt, Block):
        blocks = [stmt]
    elif isinstance(stmt, IfStmt):
        blocks = [*stmt.body, stmt.else_body]
    elif isinstance(stmt, WhileStmt | ForStmt):
        blocks = [stmt.body, stmt.else_body]
    elif isinstance(stmt, WithStmt):
        blocks = [stmt.body]
    elif isinstance(stmt, TryStmt):
        blocks = [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]
    elif isinstance(stmt, MatchStmt):
        blocks = list(stmt.bodies)
    else:
        return []
    return [inner for block in blocks if block is not None for inner in block.body]


def _is_receiver(path: list[Node]) -> bool:
    """``name.method(...)``: the name is only the receiver of a method call."""
    if len(path) < 3:
        return False
    member, call = path[-2], path[-3]
    return (
        isinstance(member, MemberExpr)
        and member.expr is path[-1]
        and isinstance(call, CallExpr)
        and call.callee is member
    )


def _nested(path: list[Node]) -> bool:
    """Whether the use sits in a nested function or lambda (it may run any time)."""
    return any(isinstance(node, FuncItem) for node in path[1:])


# The carrier's text.


def encode(facts: Mapping[str, Fact]) -> str:
    """``name=fact`` pairs, sorted so that the same facts give the same cache bytes."""
    return ";".join(f"{name}={facts[name].value}" for name in sorted(facts))


def decode(text: str | None) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    if not text:
        return facts
    for pair in text.split(";"):
        name, _, value = pair.partition("=")
        fact = _BY_VALUE.get(value)
        if fact is not None:
            facts[name] = fact
    return facts


def _carrier_text(module: MypyFile) -> str | None:
    symbol = module.names.get(CARRIER)
    node = symbol.node if symbol is not None else None
    if isinstance(node, Var) and isinstance(node.final_value, str):
        return node.final_value
    return None


__all__ = ["CARRIER", "Evidence", "Fact"]
