"""Attributes whose reading creates an awaitable: properties and descriptors.

``self.current_user`` runs code when the getter is a ``@property``, a
``functools.cached_property`` or any descriptor's ``__get__``; when that code is an
``async def`` (or is declared to return ``Awaitable[...]``), reading the attribute
creates a coroutine exactly as a call would. A plain attribute only gives back what
was stored in it (a task, a coroutine kept for later): reading it loses nothing.

mypy asks attribute hooks for every attribute of an instance it reads, so the
answer is decided once per full name from the attribute's definition (whether the
getter may give a lazy awaitable is ``awaitables.callee_may_return_lazy``, as for a
callee), and most names (plain attributes, sync properties) get no hook at all.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Final

from mypy.expandtype import expand_type_by_instance
from mypy.nodes import (
    Decorator,
    FuncBase,
    OverloadedFuncDef,
    SymbolNode,
    TypeInfo,
    Var,
)
from mypy.types import CallableType, Instance, Overloaded, TypeVarType, get_proper_type

from mypy_await_plugin.awaitables import return_may_be_lazy, union_members


class Getter(enum.Enum):
    """What runs when an attribute is read, as messages name it."""

    PROPERTY = "property"
    DESCRIPTOR = "attribute"


#: ``find_getter`` for an attribute whose type mypy has not inferred yet.
NOT_INFERRED: Final = "not inferred"


def find_getter(
    owner: TypeInfo, name: str, must_await: Collection[str] = ()
) -> tuple[Getter, SymbolNode] | str | None:
    """The definition that runs when ``owner.name`` is read: a property's getter, or
    the ``__get__`` of a descriptor's class; ``NOT_INFERRED`` (ask again later), or
    ``None`` for a plain attribute, and for a descriptor whose ``__get__`` cannot give
    a lazy awaitable for this attribute's type (``Field[int]`` of a ``__get__``
    returning ``T``).

    Once per attribute name mypy reads (thousands per run), so a plain attribute,
    the most common answer, is found first."""
    symbol = owner.names.get(name)
    node = symbol.node if symbol is not None else None
    if node.__class__ is Var:
        assert isinstance(node, Var)
        return _descriptor_getter(node, must_await, decorated=False)
    if isinstance(node, OverloadedFuncDef) and node.is_property and node.items:
        node = node.items[0]  # a property with a setter: the getter comes first
    if isinstance(node, Decorator):
        if not node.var.is_property:  # ``@cached`` over a method: its result decides
            return _descriptor_getter(node.var, must_await, decorated=True)
        if _gives_back_a_type_parameter(node.func.type):
            return None
        return Getter.PROPERTY, node.func
    return None


def _descriptor_getter(
    var: Var, must_await: Collection[str], *, decorated: bool
) -> tuple[Getter, SymbolNode] | str | None:
    """The ``__get__`` that runs when the attribute ``var`` is read, if its type is a
    descriptor's (``find_getter``)."""
    if var.is_property:
        return None  # a property with no getter function to read (``Var.is_property``)
    declared = var.type
    if declared is None:
        return NOT_INFERRED
    declared = get_proper_type(declared)
    if declared.__class__ is not Instance:
        return None
    assert isinstance(declared, Instance)
    get = declared.type.get("__get__")
    if get is None or get.node is None:
        return None
    if not _may_get_lazy(declared, get.node, must_await, decorated=decorated):
        return None
    return Getter.DESCRIPTOR, get.node


def _may_get_lazy(
    descriptor: Instance, get: SymbolNode, must_await: Collection[str], *, decorated: bool
) -> bool:
    """Whether ``get``, the ``__get__`` of ``descriptor``'s class, may give a lazy
    awaitable, its declared result taken with the descriptor's type arguments.

    A generic descriptor made by decorating a function (``@cached async def``, a
    ``__get__`` returning ``T``) gives what the function returns, as it calls it.
    One that is a plain class attribute (``id: Field[int]``) gives back what was
    stored, whatever its type arguments say: only a ``__get__`` declared to return
    an awaitable type itself counts there."""
    signature = get_proper_type(get.type) if isinstance(get, FuncBase) else None
    if not isinstance(signature, CallableType | Overloaded):
        return True  # not known here: the type of each read decides
    items = signature.items if isinstance(signature, Overloaded) else [signature]
    return any(
        return_may_be_lazy(expand_type_by_instance(item.ret_type, descriptor), must_await)
        for item in items
        if decorated or not _gives_back_a_type_parameter(item)
    )


def _gives_back_a_type_parameter(signature: object) -> bool:
    """A getter declared to return a type parameter (``def value(self) -> T`` in a
    ``Box[T]``) gives back what was stored: a ``Box[Coroutine[...]]`` holds a
    coroutine someone made and may await, reading it creates none."""
    return isinstance(signature, CallableType) and all(
        isinstance(item, TypeVarType) for item in union_members(signature.ret_type)
    )
