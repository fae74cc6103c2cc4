"""Which callees take callback sinks (``async-callback``) and which spawn tasks
(``dangling-task``): their names matched against the tables of ``libraries``.

A *sink* is a parameter whose argument the callee calls and whose result it drops:
``threading.Thread(target=...)``, ``loop.call_soon(callback)``... It is found in one
of two ways:

* the table ``libraries.SYNC_CALLBACK_SINKS``, extended by the ``sync_callbacks``
  config key with entries ``module.func:param`` / ``module.Class.method:param``,
  where ``param`` is a parameter name or a 0-based position (``self`` not counted);
* the generic rule: any parameter declared as a callable returning ``object``, of a
  callee whose own declared return cannot be what the callback returned.

A *task spawner* returns a task or future that must be kept: the table
``libraries.TASK_SPAWNERS``, extended by the ``task_spawners`` config key (full names).

Method entries match through the class hierarchy: mypy names a method call after the
receiver's own class (``asyncio.unix_events._UnixSelectorEventLoop.call_soon``), so a
name matches when the class defining the method, or one of its bases, is listed.
A class entry (a constructor) matches subclasses that do not redefine ``__init__``
or ``__new__``.

Everything here is decided from a callee's definition and is cheap: the plugin asks
once per full name, the checks once per call of a name that was accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Final

from mypy.nodes import (
    Decorator,
    FuncDef,
    OverloadedFuncDef,
    SymbolNode,
    SymbolTableNode,
    TypeInfo,
    Var,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    Overloaded,
    ProperType,
    Type,
    TypeAliasType,
    TypeVarType,
    UnionType,
    get_proper_type,
)

from mypy_await_plugin.awaitables import may_be_awaitable, return_may_be_lazy, union_members
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.entries import ParamRef, Sink, index_sinks, parse_sink
from mypy_await_plugin.libraries import NEVER_CALLED, SYNC_CALLBACK_SINKS, TASK_SPAWNERS

_SPAWNER_NAMES: Final = frozenset(TASK_SPAWNERS)


@lru_cache(maxsize=8)
def _last_parts(names: frozenset[str]) -> frozenset[str]:
    """The method names in a table of full names: most callees are none of them, and
    are turned away without walking their class's bases (``_match_table``)."""
    return frozenset(name.rpartition(".")[2] for name in names)


@lru_cache(maxsize=8)
def _sink_table(extra: frozenset[str]) -> Mapping[str, tuple[Sink, ...]]:
    """The built-in sinks plus the config's ``sync_callbacks`` entries.

    Entries that do not parse are left out here; the configuration loader reports
    them (it validates each entry with ``parse_sink``).
    """
    if not extra:
        return SYNC_CALLBACK_SINKS
    parsed: list[Sink] = []
    for entry in sorted(extra):
        try:
            parsed.append(parse_sink(entry))
        except ValueError:
            continue
    return index_sinks(parsed, into=SYNC_CALLBACK_SINKS)


@lru_cache(maxsize=8)
def _sink_names(extra: frozenset[str]) -> frozenset[str]:
    return frozenset(_sink_table(extra))


# Finding a callee's definition.


def lookup_callee(
    fullname: str, lookup: Callable[[str], SymbolTableNode | None]
) -> SymbolNode | None:
    """The definition of ``fullname``, also for a method its class inherits.

    mypy names a method call after the receiver's class
    (``concurrent.futures.thread.ThreadPoolExecutor.submit``), which need not define
    the method itself.
    """
    symbol = lookup(fullname)
    if symbol is not None:
        return symbol.node
    owner_name, _, member = fullname.rpartition(".")
    if not owner_name:
        return None
    owner = lookup(owner_name)
    if owner is None or not isinstance(owner.node, TypeInfo):
        return None
    inherited = owner.node.get(member)
    return inherited.node if inherited is not None else None


def _defining_class(node: SymbolNode | None) -> TypeInfo | None:
    """The class a method or attribute is defined in (``None`` for functions)."""
    if isinstance(node, FuncDef | OverloadedFuncDef | Var):
        info = node.info
    elif isinstance(node, Decorator):
        info = node.func.info
    else:
        return None
    return info or None  # a function outside a class has a falsy ``FakeInfo``


def _match_table(fullname: str, node: SymbolNode | None, table: frozenset[str]) -> str | None:
    """The name in ``table`` that calls of ``fullname`` (defined by ``node``) match."""
    if fullname in table:
        return fullname
    if isinstance(node, TypeInfo):
        for base in node.mro:
            if base.fullname in table:
                return base.fullname
            if "__init__" in base.names or "__new__" in base.names:
                return None  # a constructor of its own
        return None
    member = fullname.rpartition(".")[2]
    if member not in _last_parts(table):
        return None
    owner = _defining_class(node)
    if owner is None:
        return None
    for base in owner.mro:
        key = f"{base.fullname}.{member}"
        if key in table:
            return key
    return None


def callee_roles(
    fullname: str, node: SymbolNode | None, config: AwaitConfig
) -> tuple[bool, tuple[Sink, ...]]:
    """Whether calls of ``fullname`` (defined by ``node``) match a task spawner entry,
    and the sink parameters they take: what decides that its calls need the
    ``dangling-task`` and ``async-callback`` checks.

    Decided once per name, so kept cheap and exact: most callees are in neither
    table, and are turned away by their method name alone, or (a class) by one walk
    of its bases."""
    spawners, sinks = config.task_spawners, config.sync_callbacks
    if isinstance(node, TypeInfo):
        unlisted = _match_table(fullname, node, _listed_names(spawners, sinks)) is None
    else:
        unlisted = fullname.rpartition(".")[2] not in _listed_members(spawners, sinks)
    if unlisted:
        return False, _object_callback_params(fullname, node)
    return spawner_key(fullname, node, config) is not None, callback_params(fullname, node, config)


def has_no_role(fullname: str, node: SymbolNode | None, config: AwaitConfig) -> bool:
    """Whether calls of ``fullname`` (defined by ``node``) surely need neither the
    ``dangling-task`` nor the ``async-callback`` check: what ``callee_roles`` answers
    with ``(False, ())``, for most callees, told without building that answer.
    ``False`` means "ask ``callee_roles``"."""
    spawners, sinks = config.task_spawners, config.sync_callbacks
    if node.__class__ is TypeInfo:
        assert isinstance(node, TypeInfo)
        listed = _listed_names(spawners, sinks)
        if fullname in listed or not listed.isdisjoint(map(_FULLNAME, node.mro)):
            return False
        definition = constructor_of(node)
    elif fullname.rpartition(".")[2] in _listed_members(spawners, sinks):
        return False
    else:
        definition = node
    if definition.__class__ is FuncDef:  # the most common: one signature, or none
        assert isinstance(definition, FuncDef)
        signature = definition.type
        return signature is None or (
            signature.__class__ is CallableType and _takes_no_callable(signature.arg_types)
        )
    signatures, _ = _declared_signatures(definition)
    return all(_takes_no_callable(signature.arg_types) for signature in signatures)


def _takes_no_callable(arg_types: list[Type]) -> bool:
    """Whether no parameter may be a callable, alone or in a union, as
    ``_object_callback_params`` reads parameters (``X | None``, the common union, and
    most aliases, ``_ExitCode``, hold none)."""
    return _MAY_BE_CALLABLE.isdisjoint(map(type, arg_types)) or not any(
        map(_param_callables, arg_types)
    )


_FULLNAME: Final = attrgetter("fullname")


@lru_cache(maxsize=8)
def _listed_names(spawners: frozenset[str], sinks: frozenset[str]) -> frozenset[str]:
    """Every name in the spawner and sink tables, the config's entries included."""
    return _SPAWNER_NAMES | spawners | _sink_names(sinks)


@lru_cache(maxsize=8)
def _listed_members(spawners: frozenset[str], sinks: frozenset[str]) -> frozenset[str]:
    """The last parts of every name in those tables: the method names."""
    return _last_parts(_listed_names(spawners, sinks))


# Task spawners.


def spawner_key(fullname: str, node: SymbolNode | None, config: AwaitConfig) -> str | None:
    """The ``TASK_SPAWNERS`` or ``task_spawners`` entry that ``fullname`` matches."""
    key = _match_table(fullname, node, _SPAWNER_NAMES)
    if key is None and config.task_spawners:
        key = _match_table(fullname, node, config.task_spawners)
    return key


# Callback sinks.


def callback_params(
    fullname: str, node: SymbolNode | None, config: AwaitConfig
) -> tuple[Sink, ...]:
    """The sink parameters of ``fullname``: table entries first, then the generic rule."""
    table = _sink_table(config.sync_callbacks)
    key = _match_table(fullname, node, _sink_names(config.sync_callbacks))
    listed = table[key] if key is not None else ()
    generic = _object_callback_params(fullname, node)
    return (*listed, *(sink for sink in generic if all(s.param != sink.param for s in listed)))


def find_sink(sinks: Iterable[Sink], index: int, name: str | None) -> Sink | None:
    """The first of ``sinks`` that is the formal parameter ``index`` named ``name``."""
    return next((sink for sink in sinks if sink.matches(index, name)), None)


def may_pass_async(
    sinks: tuple[Sink, ...],
    arg_names: Sequence[str | None],
    arg_types: list[list[Type]],
    must_await: Collection[str],
) -> bool:
    """Whether a call may pass an async callable to one of its ``sinks``, by the types
    of the arguments alone: a callable (or an overload) that may return an awaitable,
    or an object with ``__call__``. Most calls of a sink pass a sync callback, and
    are turned away here, before the ``async-callback`` check builds its site; so
    this must admit whatever that check's ``_lazy_return`` may find lazy."""
    for index, name in enumerate(arg_names):
        if find_sink(sinks, index, name) is None:
            continue
        for typ in arg_types[index]:
            proper = get_proper_type(typ)
            if isinstance(proper, CallableType):
                returns: Iterable[Type] = (proper.ret_type,)
            elif isinstance(proper, Overloaded):
                returns = (item.ret_type for item in proper.items)
            elif isinstance(proper, Instance):
                if proper.type.get("__call__") is not None:
                    return True
                continue
            else:
                continue
            if any(may_be_awaitable(ret, must_await) for ret in returns):
                return True
    return False


def _object_callback_params(fullname: str, node: SymbolNode | None) -> tuple[Sink, ...]:
    """Parameters declared as a callable returning ``object`` (the generic rule).

    Not for a callee that never calls it (``NEVER_CALLED``), nor where an overload
    of the callee also takes an async callable at that parameter: such a callee tells
    the two apart (``inspect.iscoroutinefunction``); nor for a signature whose return
    may be what the callback returned (``_may_hand_back``). Runs once for each callee
    name in a program, so parameters that are not callables are passed over at once."""
    definition = constructor_of(node) if isinstance(node, TypeInfo) else node
    if (
        isinstance(definition, FuncDef)
        and isinstance(definition.type, CallableType)
        and _MAY_BE_CALLABLE.isdisjoint(map(type, definition.type.arg_types))
    ):
        return ()  # most callees: a plain ``def``, no parameter that may be a callable
    found: list[Sink] = []
    takes_async: set[ParamRef] = set()
    signatures, skip = _declared_signatures(definition)
    for signature in signatures:
        arg_types = signature.arg_types
        if _MAY_BE_CALLABLE.isdisjoint(map(type, arg_types)):
            continue  # no parameter that may be a callable, seen without a loop
        if _may_hand_back(signature, definition):
            continue
        names = signature.arg_names
        for position, typ in enumerate(arg_types[skip:]):
            callables = _param_callables(typ)
            if not callables:
                continue
            name = names[skip + position]
            param: ParamRef = name if name is not None else position
            if any(return_may_be_lazy(item.ret_type, ()) for item in callables):
                takes_async.add(param)
            elif any(map(_returns_object, callables)) and all(s.param != param for s in found):
                # A callable returning ``object``, alone or in a union that takes no
                # async one.
                found.append(Sink(fullname, param, generic=True))
    if not found or _match_table(fullname, node, NEVER_CALLED) is not None:
        return ()
    return tuple(sink for sink in found if sink.param not in takes_async)


def _may_hand_back(signature: CallableType, definition: SymbolNode | None) -> bool:
    """Whether a call of ``signature`` may return what its callback returned: it is
    declared to return ``object``, ``Any``, a type variable or an awaitable (for an
    ``async def``, what its coroutine gives), as a helper that calls a sync or async
    handler and hands back its result does (``def invoke(handler: Callable[...,
    object], *args: object) -> object: return handler(*args)``, awaited by its caller).
    Its caller has the result, so the callback's coroutine is not lost there."""
    ret = get_proper_type(signature.ret_type)
    if (
        isinstance(definition, FuncDef | Decorator)
        and _function_of(definition).is_coroutine
        and isinstance(ret, Instance)
        and ret.type.fullname == "typing.Coroutine"
        and ret.args
    ):
        ret = get_proper_type(ret.args[-1])
    return any(map(_may_be_a_result, union_members(ret)))


def _function_of(definition: FuncDef | Decorator) -> FuncDef:
    return definition.func if isinstance(definition, Decorator) else definition


def _may_be_a_result(typ: ProperType) -> bool:
    """Whether a value of any type may be returned as ``typ``."""
    if isinstance(typ, AnyType | TypeVarType):
        return True
    if isinstance(typ, Instance):
        return typ.type.fullname == "builtins.object" or may_be_awaitable(typ)
    return False


#: The types a union member may be and stand for a callable (mypy's type classes
#: have no subclasses, so these are compared by identity).
_CALLABLE_TYPES: Final = frozenset({CallableType, TypeAliasType})
#: The parameter types that may be (or hold) a callable: others are passed over
#: without expanding anything.
_MAY_BE_CALLABLE: Final = _CALLABLE_TYPES | {UnionType}


def _param_callables(typ: Type) -> list[CallableType]:
    """The callables a parameter declared as ``typ`` may be (``_callable_members``);
    a type that is no callable, and a union holding none (``X | None``, the common
    one), are passed over without expanding anything."""
    kind = typ.__class__
    if kind not in _MAY_BE_CALLABLE:
        return []
    if kind is UnionType and _CALLABLE_TYPES.isdisjoint(map(type, typ.items)):  # type: ignore[attr-defined]
        return []
    return _callable_members(typ)


def _callable_members(typ: Type) -> list[CallableType]:
    """``typ`` if it is a callable type, or the callable members of a union."""
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType):
        return [proper]
    if isinstance(proper, UnionType):
        return [
            item for item in map(get_proper_type, proper.items) if isinstance(item, CallableType)
        ]
    return []


def _declared_signatures(node: SymbolNode | None) -> tuple[list[CallableType], int]:
    """Each declared signature of the function ``node`` (a class's constructor, for
    a class), and how many leading parameters a call does not pass (``self``/``cls``)."""
    if isinstance(node, FuncDef | OverloadedFuncDef):
        return _callable_items(node.type), int(bool(node.info) and not node.is_static)
    if isinstance(node, Decorator):
        func = node.func
        return _callable_items(node.var.type), int(bool(func.info) and not func.is_static)
    if isinstance(node, Var):
        return _callable_items(node.type), 0
    return [], 0


def constructor_of(info: TypeInfo) -> SymbolNode | None:
    """What a call of the class ``info`` passes its arguments to: its ``__init__``, or
    else its ``__new__``, where one is defined below ``object``."""
    for method in ("__init__", "__new__"):
        symbol = info.get(method)
        if symbol is None:
            continue
        owner = _defining_class(symbol.node)
        if owner is not None and owner.fullname != "builtins.object":
            return symbol.node
    return None


def _callable_items(typ: Type | None) -> list[CallableType]:
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType):
        return [proper]
    if isinstance(proper, Overloaded):
        return list(proper.items)
    return []


def _returns_object(callable_type: CallableType) -> bool:
    ret = get_proper_type(callable_type.ret_type)
    return isinstance(ret, Instance) and ret.type.fullname == "builtins.object"
