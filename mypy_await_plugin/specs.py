"""What a hook carries down: the decision made about a callee or an attribute when
its hook was created (``HookSpec``, ``AttributeSpec``), and the hook types.

``main`` makes them, once per full name; ``dispatch``, ``callsite`` and the checks
read them. This module sits below all of them and imports none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from mypy.plugin import AttributeContext, FunctionContext, MethodContext
from mypy.types import Type

from mypy_await_plugin.attributes import Getter
from mypy_await_plugin.awaitables import Kind
from mypy_await_plugin.entries import Sink

FunctionHook = Callable[[FunctionContext], Type]
MethodHook = Callable[[MethodContext], Type]
AttributeHook = Callable[[AttributeContext], Type]
AnyContext = FunctionContext | MethodContext
#: mypy's own hook for a name, which a hook runs first: a function or a method hook.
ChainedHook = Callable[[Any], Type]


class HookSpec(NamedTuple):
    """What was decided about a full name when its hook was created."""

    fullname: str
    #: The last part of ``fullname``: how a direct call spells the callee.
    name: str
    is_method: bool
    chained: ChainedHook | None
    spawner: bool
    #: The parameters whose arguments the callee calls and drops the result of.
    sinks: tuple[Sink, ...]
    #: The callee's definition is listed under ``must_await``.
    must_await: bool = False
    #: The kind of every call's result, where the definition decides it: none for a
    #: callee listed under ``may_discard``, lazy for an ``async def``.
    result: Kind | None = None


class AttributeSpec(NamedTuple):
    """What was decided about an attribute (``Class.name``) when its hook was created."""

    fullname: str
    name: str
    #: What runs when it is read: a property's getter or a descriptor's ``__get__``.
    getter: Getter
    chained: AttributeHook | None
    #: The attribute is listed under ``must_await``.
    must_await: bool = False
