"""What counts as an awaitable, and which kind: lazy, handle or none.

* **lazy**: nothing happens until it is awaited. Coroutines, anything declared as
  ``Awaitable[...]`` by name, generator-based coroutines, TypeVars bound to these,
  and the types a project lists under ``must_await``.
* **handle**: any other class with ``__await__`` (``asyncio.Task``/``Future``, anyio
  and trio handles, textual's ``AwaitMount``, redis-py's ``Pipeline``): the work runs
  whether or not it is awaited.
* **none**: everything else. ``Any`` is never an awaitable here.

A union is lazy when every member other than ``None`` is lazy; frameworks return
``Coroutine[...] | T`` on purpose, and such a union is not reported.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Final

from mypy.nodes import (
    NOT_ABSTRACT,
    Decorator,
    FuncBase,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    TypeInfo,
    Var,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Overloaded,
    ProperType,
    Type,
    TypeType,
    TypeVarType,
    UnionType,
    get_proper_type,
)

#: Classes whose instances are lazy wherever they appear, by full name.
LAZY_TYPE_NAMES: Final = frozenset(
    {
        "typing.Coroutine",
        "types.CoroutineType",
        "typing.Awaitable",
        # mypy's own type for generators decorated with ``@types.coroutine``.
        "typing.AwaitableGenerator",
    }
)


#: For callers without the build's modules at hand: no module counts as a stub.
NO_MODULES: Final[Mapping[str, MypyFile]] = MappingProxyType({})


class Kind(enum.Enum):
    NONE = "none"
    LAZY = "lazy"
    HANDLE = "handle"


def classify(typ: Type, must_await: Collection[str] = ()) -> Kind:
    """The kind of awaitable a value of type ``typ`` is."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance):
        return _classify_instance(proper.type, must_await)
    if isinstance(proper, TypeVarType):
        return Kind.LAZY if classify(proper.upper_bound, must_await) is Kind.LAZY else Kind.NONE
    if isinstance(proper, UnionType):
        return _classify_union(proper, must_await)
    return Kind.NONE


def call_result_kind(typ: Type, must_await: Collection[str], *, listed: bool) -> Kind:
    """The kind of what a call returns: ``classify``, where a handle returned by a
    callee listed under ``must_await`` (``listed``) counts as lazy."""
    proper = get_proper_type(typ)
    # Once per hooked call: the common types are answered here, saving a frame (with
    # the one in ``callee_may_return_lazy``, 76M instructions in a cold run, 0.26%).
    if isinstance(proper, Instance):
        info = proper.type
        if info.fullname in LAZY_TYPE_NAMES:  # most: the coroutine of an ``async def``
            return Kind.LAZY
        kind = _classify_instance(info, must_await)
    elif isinstance(proper, TypeVarType | UnionType):
        kind = classify(proper, must_await)
    else:
        return Kind.NONE
    return Kind.LAZY if kind is Kind.HANDLE and listed else kind


def is_lazy(typ: Type, must_await: Collection[str] = ()) -> bool:
    return classify(typ, must_await) is Kind.LAZY


def _classify_instance(info: TypeInfo, must_await: Collection[str]) -> Kind:
    fullname = info.fullname
    if fullname in LAZY_TYPE_NAMES or fullname in must_await:
        return Kind.LAZY
    if info.get("__await__") is None:
        return Kind.NONE
    for base in info.mro[1:]:
        if base.fullname == "typing.Coroutine" or base.fullname in must_await:
            return Kind.LAZY
    return Kind.HANDLE


def _classify_union(union: UnionType, must_await: Collection[str]) -> Kind:
    kinds = {
        classify(item, must_await)
        for item in union.items
        if not isinstance(get_proper_type(item), NoneType)
    }
    if kinds == {Kind.LAZY}:
        return Kind.LAZY
    if kinds and Kind.NONE not in kinds:
        return Kind.HANDLE
    return Kind.NONE


def may_be_awaitable(typ: Type, must_await: Collection[str] = ()) -> bool:
    """Whether ``typ`` is, or has a member that is, an awaitable of either kind: what a
    declaration must say for the value to be lazy by any evidence (``evidence`` reads
    the bodies of such functions only)."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        return any(may_be_awaitable(item, must_await) for item in proper.items)
    return classify(proper, must_await) is not Kind.NONE


def is_optional(typ: Type) -> bool:
    """Whether ``None`` is one of the members of ``typ``."""
    proper = get_proper_type(typ)
    return isinstance(proper, UnionType) and any(
        isinstance(get_proper_type(item), NoneType) for item in proper.items
    )


# What a callee may return, decided from its definition alone.


def callee_may_return_lazy(
    node: object, must_await: Collection[str], modules: Mapping[str, MypyFile] = NO_MODULES
) -> bool | None:
    """Whether calling the definition ``node`` may produce a lazy awaitable.

    ``None`` means "not known yet" (a decorated function whose type mypy has not
    inferred yet): the caller must not cache that answer.
    """
    if isinstance(node, FuncDef):
        signature = node.type
        if signature is None:
            return node.is_coroutine
        if isinstance(signature, CallableType):  # most: frames saved (``call_result_kind``)
            lazy = call_may_give_lazy(signature.ret_type, must_await)
        else:
            lazy = _signature_may_return_lazy(signature, must_await, modules)
        # An ``async def`` never starts its own work.
        return lazy and (node.is_coroutine or not starts_its_own_work(node, modules, must_await))
    if isinstance(node, Decorator) and starts_its_own_work(node, modules, must_await):
        return False
    if isinstance(node, OverloadedFuncDef | Decorator | Var):
        typ = node.type if not isinstance(node, Decorator) else node.var.type
        if typ is None:
            return None
        return _signature_may_return_lazy(typ, must_await, modules)
    if isinstance(node, TypeInfo):
        # A class whose instances are lazy: a Coroutine subclass or a must_await type.
        return _classify_instance(node, must_await) is Kind.LAZY
    if isinstance(node, FuncBase):
        return None
    return False


def returns_plain_value(node: object) -> bool:
    """Whether every call of the definition ``node`` gives a plain value, never an
    awaitable, by its declaration alone: a plain ``def`` declared to return ``None``
    or an instance of a class that is no awaitable (``Kind.NONE``), or such a class
    (its constructor). Most callees: they need no hook, and no fact is read for them
    (``evidence`` reads bodies declared to return awaitables only). Asked only when
    nothing is listed under ``must_await``."""
    if isinstance(node, FuncDef):
        signature = node.type
        if not isinstance(signature, CallableType) or node.is_coroutine:
            return False
        ret = get_proper_type(signature.ret_type)
        if isinstance(ret, Instance):
            return _classify_instance(ret.type, ()) is Kind.NONE
        return isinstance(ret, NoneType)
    if isinstance(node, TypeInfo):
        return _classify_instance(node, ()) is Kind.NONE
    return False


def starts_its_own_work(
    definition: object,
    modules: Mapping[str, MypyFile] = NO_MODULES,
    must_await: Collection[str] = (),
) -> bool:
    """Whether ``definition`` is a plain ``def`` in source code, declared to return
    ``Awaitable[...]``: its result is treated as a handle, not a lazy awaitable.

    Such a function may start the work itself and hand back a future to await if
    the caller cares (tornado's ``Lock.acquire`` and ``Queue.get``, callback
    collections that fire every listener and return a gather of them), and nothing
    mypy keeps about it (in a warm cache there is no body to look at) tells that
    apart from a wrapper returning a coroutine: when unsure, do not report. Lazy
    stay: ``async def``, ``Coroutine`` returns, declarations (Protocol members,
    abstract methods, stubs) and ``Callable[..., Awaitable[T]]`` values. A project
    lists its own such functions under ``must_await`` to have them checked.
    """
    if isinstance(definition, Decorator) and (
        definition.var.is_staticmethod or definition.var.is_classmethod
    ):
        definition = definition.func  # decorators that keep the signature
    if not isinstance(definition, FuncDef) or not isinstance(definition.type, CallableType):
        return False
    if definition.fullname in must_await:
        return False
    if definition.is_coroutine or definition.abstract_status != NOT_ABSTRACT:
        return False
    info = definition.info
    if info and info.is_protocol:
        return False
    module = modules.get(module_of(definition))
    if module is not None and module.is_stub:
        return False
    declared = union_members(definition.type.ret_type)
    return any(_is_named(item, "typing.Awaitable") for item in declared) and not any(
        _is_named(item, "typing.Coroutine") for item in declared
    )


def module_of(function: FuncDef) -> str:
    """The full name of the module that defines ``function`` (a method or not)."""
    info = function.info
    return info.module_name if info else function.fullname.rpartition(".")[0]


def is_coroutine(typ: Type) -> bool:
    """Whether ``typ`` is exactly ``Coroutine[...]``: what mypy's own
    ``unused-coroutine`` reports, and what an ``async def`` call gives."""
    return _is_named(get_proper_type(typ), "typing.Coroutine")


def union_members(typ: Type) -> list[ProperType]:
    """The members of ``typ`` if it is a union, else ``typ`` alone, as proper types."""
    proper = get_proper_type(typ)
    items = proper.items if isinstance(proper, UnionType) else [proper]
    return [get_proper_type(item) for item in items]


def _is_named(typ: ProperType, fullname: str) -> bool:
    return isinstance(typ, Instance) and typ.type.fullname == fullname


def union_call_may_be_plain(
    callee_type: Type | None,
    must_await: Collection[str],
    modules: Mapping[str, MypyFile] = NO_MODULES,
) -> bool:
    """Whether a call through a union callee may give something not awaitable.

    ``x.close()`` with ``x: Client | Server`` or ``cb()`` with ``cb: SyncCb | AsyncCb``:
    mypy fires the hook once per member with that member's return type only. The
    call as written returns the union of all members' results, and as with any
    union a member that returns a plain value makes the result a framework's
    choice (code dispatching with ``iscoroutinefunction``), not a lost awaitable.
    """
    proper = get_proper_type(callee_type)
    if not isinstance(proper, UnionType):
        return False
    return any(
        _call_gives_plain(get_proper_type(item), must_await, modules) for item in proper.items
    )


def union_receiver_may_give_plain(
    receiver: Type | None,
    method: str,
    must_await: Collection[str],
    modules: Mapping[str, MypyFile] = NO_MODULES,
) -> bool:
    """Whether ``x.method()`` may give something not awaitable, for a union ``x``.

    The same reasoning as ``union_call_may_be_plain``: ``x: SSHClient | SSHServer``
    and only ``SSHServer.auth_completed`` may return an awaitable.
    """
    proper = get_proper_type(receiver)
    if not isinstance(proper, UnionType):
        return False
    for item in map(get_proper_type, proper.items):
        if isinstance(item, AnyType):
            return True
        if isinstance(item, Instance):
            symbol = item.type.get(method)
            node = symbol.node if symbol is not None else None
            if node is not None and callee_may_return_lazy(node, must_await, modules) is False:
                return True
    return False


def _call_gives_plain(
    callee: ProperType, must_await: Collection[str], modules: Mapping[str, MypyFile]
) -> bool:
    if isinstance(callee, NoneType):
        return False
    if isinstance(callee, AnyType):
        return True
    if isinstance(callee, CallableType | Overloaded):
        return not _signature_items_may_give_lazy(callee, must_await)
    if isinstance(callee, Instance):
        call = callee.type.get("__call__")
        return call is not None and callee_may_return_lazy(call.node, must_await, modules) is False
    return False


def _signature_may_return_lazy(
    typ: Type, must_await: Collection[str], modules: Mapping[str, MypyFile]
) -> bool:
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType | Overloaded):
        return _signature_items_may_give_lazy(proper, must_await)
    if isinstance(proper, Instance):
        # A callable object: look at its ``__call__``.
        call = proper.type.get("__call__")
        if call is None:
            return False
        result = callee_may_return_lazy(call.node, must_await, modules)
        return result is not False
    if isinstance(proper, TypeType):
        return False
    # Any, a union of callables, or something we do not model: let the hook decide.
    return not isinstance(proper, NoneType)


def _signature_items_may_give_lazy(
    signature: CallableType | Overloaded, must_await: Collection[str]
) -> bool:
    """Whether a call of ``signature`` (or of one of its overloads) may give a lazy awaitable."""
    if isinstance(signature, CallableType):
        return call_may_give_lazy(signature.ret_type, must_await)
    return any(call_may_give_lazy(item.ret_type, must_await) for item in signature.items)


def return_may_be_lazy(typ: Type, must_await: Collection[str]) -> bool:
    """Whether a declared return type may turn into a lazy awaitable at a call site."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance):  # most returns, answered without ``classify``
        return _classify_instance(proper.type, must_await) is Kind.LAZY
    if isinstance(proper, TypeVarType):
        # Generic returns (``def first(xs: list[T]) -> T``) become whatever the
        # caller passes in; a TypeVar restricted to values (``AnyStr``) becomes one
        # of them.
        if proper.values:
            return any(return_may_be_lazy(value, must_await) for value in proper.values)
        return not _bound_to_callables(proper.upper_bound)
    if isinstance(proper, UnionType):
        return any(return_may_be_lazy(item, must_await) for item in proper.items)
    return False  # ``classify`` finds no other awaitable types


def _bound_to_callables(bound: Type) -> bool:
    """Whether a TypeVar's bound admits only callables and classes, never an
    awaitable: decorators' ``F = TypeVar("F", bound=Callable[..., Any])`` and class
    decorators' ``bound=type``, applied to every function and class they mark."""
    return all(map(_is_callable_or_class, union_members(bound)))


def _is_callable_or_class(typ: ProperType) -> bool:
    return isinstance(typ, CallableType | Overloaded | TypeType) or _is_named(typ, "builtins.type")


def call_may_give_lazy(ret_type: Type, must_await: Collection[str]) -> bool:
    """Whether a call of a callable declared to return ``ret_type`` may give a lazy
    awaitable: ``return_may_be_lazy``, except that a union with an ``Any`` member
    stays such a union at every call, and is never lazy (``getattr(obj, name,
    default)`` returns ``Any | T``)."""
    proper = get_proper_type(ret_type)
    if isinstance(proper, UnionType) and any(
        isinstance(get_proper_type(item), AnyType) for item in proper.items
    ):
        return False
    return return_may_be_lazy(proper, must_await)
