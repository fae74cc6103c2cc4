"""Receivers that queue the commands called on them, commands that start on the call,
and results that may be dropped.

Some libraries declare a method ``-> Awaitable[...]`` for one receiver and behave
otherwise for another: redis-py's commands return a coroutine on a client but queue
the command on a pipeline, and dropping what they return there is the documented use
(``libraries.redis``).

``libraries.QUEUED_COMMANDS`` lists such receivers: full class names, matched through
subclasses, with the module prefix where the queuing methods are defined (the
receiver's own methods, ``execute`` and ``watch`` among them, stay lazy). The
``may_discard`` setting extends it with entries ``package.module.Class.*``: every
method called on an instance of that class or a subclass.

``libraries.STARTED_ON_CALL`` lists methods declared ``async def`` that start their
work when called and return a future (motor's commands, ``libraries.motor``): their
results are handles, and dropping one loses no work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
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

from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.libraries import QUEUED_COMMANDS, STARTED_ON_CALL

_QUEUING_MODULES: Final = tuple(entry.defined_under for entry in QUEUED_COMMANDS)
#: The modules that define the methods of ``STARTED_ON_CALL``.
_STARTING_MODULES: Final = frozenset(
    name.rpartition(".")[0].rpartition(".")[0] for name in STARTED_ON_CALL
)
#: How a ``may_discard`` entry names a receiver class rather than a callee.
RECEIVER_SUFFIX: Final = ".*"


def may_discard_result(
    fullname: str,
    node: SymbolNode | None,
    config: AwaitConfig,
    lookup: Callable[[str], SymbolTableNode | None],
) -> bool:
    """Whether the result of calls of ``fullname`` (defined by ``node``) may be dropped:
    listed under ``may_discard`` by name, or a method called on a receiver listed in
    ``QUEUED_COMMANDS`` or as ``Class.*`` under ``may_discard``, or a method that
    starts its work on the call (``STARTED_ON_CALL``, by its definition's name)."""
    if fullname in config.may_discard:
        return True
    defined_in = method_module(node)
    if defined_in in _STARTING_MODULES and node is not None and node.fullname in STARTED_ON_CALL:
        return True
    if not may_be_queued(defined_in, config):
        return False  # most calls: decided without looking up the receiver
    receiver = _receiver(fullname, lookup)
    return receiver is not None and queued_on(receiver, defined_in, config)


def may_be_queued(defined_in: str, config: AwaitConfig) -> bool:
    """Whether a method defined in the module ``defined_in`` may queue its work on
    some receiver (cheap: no receiver looked at)."""
    return defined_in.startswith(_QUEUING_MODULES) or bool(_listed_receivers(config.may_discard))


def queued_on(receiver: TypeInfo, defined_in: str, config: AwaitConfig) -> bool:
    """Whether a method defined in the module ``defined_in``, called on an instance of
    ``receiver``, queues its work (``QUEUED_COMMANDS``, or ``Class.*`` entries)."""
    receivers = _listed_receivers(config.may_discard)
    for base in receiver.mro:
        if base.fullname in receivers:
            return True
        if any(
            entry.receiver == base.fullname and defined_in.startswith(entry.defined_under)
            for entry in QUEUED_COMMANDS
        ):
            return True
    return False


@lru_cache(maxsize=8)
def _listed_receivers(may_discard: frozenset[str]) -> frozenset[str]:
    suffix = RECEIVER_SUFFIX
    return frozenset(entry.removesuffix(suffix) for entry in may_discard if entry.endswith(suffix))


def _receiver(fullname: str, lookup: Callable[[str], SymbolTableNode | None]) -> TypeInfo | None:
    owner = fullname.rpartition(".")[0]
    symbol = lookup(owner) if owner else None
    node = symbol.node if symbol is not None else None
    return node if isinstance(node, TypeInfo) else None


def method_module(node: SymbolNode | None) -> str:
    """The module that defines the method ``node`` (also an alias in a class body:
    redis-py's ``incr = incrby``); ``""`` for anything else."""
    if isinstance(node, Decorator):
        node = node.func
    if isinstance(node, FuncDef | OverloadedFuncDef | Var) and node.info:
        return node.info.module_name
    return ""
