"""Hook dispatch: which calls and attribute reads get a hook, chaining to mypy's own
plugin, config data.

Data flows one way: a call (or attribute) hook fires -> the type is classified
(``awaitables``) -> its use is found (``usage``; ``sourcetext`` answers the common
``await f()`` from the line alone) -> a check decides -> one message.

mypy asks plugins for a hook per full name, first answer wins, and mypy's own
``DefaultPlugin`` comes last. This plugin returns a hook only for callees that may
return a lazy awaitable, spawn a task, or take a callback, and for properties and
descriptors whose reading may create a lazy awaitable (``attributes``), decided once
per name from the definition; each hook first runs mypy's own hook for that name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection
from functools import partial
from typing import Final, TypeGuard, TypeVar

from mypy.checker import TypeChecker
from mypy.nodes import (
    CallExpr,
    Context,
    FuncDef,
    MemberExpr,
    MypyFile,
    NameExpr,
    SymbolNode,
    TypeAlias,
    TypeInfo,
)
from mypy.options import Options
from mypy.plugin import AttributeContext, Plugin, ReportConfigContext
from mypy.plugins.default import DefaultPlugin
from mypy.types import Type
from mypy_extensions import mypyc_attr

from mypy_await_plugin import errorcodes
from mypy_await_plugin.attributes import find_getter
from mypy_await_plugin.awaitables import (
    NO_MODULES,
    Kind,
    call_result_kind,
    callee_may_return_lazy,
    returns_plain_value,
)
from mypy_await_plugin.config import AwaitConfig, ConfigError, load_config
from mypy_await_plugin.evidence import Evidence, Fact
from mypy_await_plugin.loading import __version__, raise_usage_error
from mypy_await_plugin.queued import may_discard_result
from mypy_await_plugin.sinks import callee_roles, has_no_role, lookup_callee, may_pass_async
from mypy_await_plugin.sourcetext import SourceLines, is_awaited
from mypy_await_plugin.specs import (
    AnyContext,
    AttributeHook,
    AttributeSpec,
    FunctionHook,
    HookSpec,
    MethodHook,
)
from mypy_await_plugin.specs import ChainedHook as _Hook

_H = TypeVar("_H", FunctionHook, MethodHook, AttributeHook)
#: ``dispatch.check_call``, imported at the first call there is to check.
CheckCall = Callable[[AnyContext, TypeChecker, HookSpec, Type, Kind, AwaitConfig, Evidence], None]
#: ``dispatch.check_attribute``, imported with it.
CheckAttribute = Callable[
    [AttributeContext, TypeChecker, AttributeSpec, Type, Kind, AwaitConfig, Evidence], None
]


# An ordinary Python class in the compiled build too (see README): mypy's ``Plugin`` is
# compiled in mypy's own build, whose object layout a class compiled apart cannot
# extend, and the hooks are stored in the instance's ``__dict__``.
@mypyc_attr(native_class=False)
class AwaitPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._usage_error: str | None = None
        try:
            self.config: AwaitConfig = load_config(options)
        except ConfigError as error:  # reported by set_modules, see ``loading``
            self.config = AwaitConfig()
            self._usage_error = str(error)
        self._config_data = config_data(self.config)
        self._evidence = Evidence(self.config)
        self._default = DefaultPlugin(options)
        self._function_hooks = Decisions[FunctionHook](partial(self._decide_safely, False))
        self._method_hooks = Decisions[MethodHook](partial(self._decide_safely, True))
        self._attribute_hooks = Decisions[AttributeHook](self._decide_attribute_safely)
        # The Plugin API's ``get_function_hook`` and ``get_method_hook`` are the
        # tables' own lookup. mypy asks once per call it checks (66,000 times on the
        # benchmark corpus), and a name decided before costs no Python frame: plain
        # methods cost 175M instructions more in a cold run of it (0.59% of mypy's).
        hooks = vars(self)
        hooks["get_function_hook"] = self._function_hooks.__getitem__
        hooks["get_method_hook"] = self._method_hooks.__getitem__
        # Asked for every attribute of an instance mypy reads: the same lookup.
        hooks["get_attribute_hook"] = self._attribute_hooks.__getitem__
        # The hooks this plugin never gives: an empty table's lookup answers "none"
        # without the inherited method's frame.
        for unused in _UNUSED_HOOKS:
            hooks[unused] = _NO_HOOKS.get
        #: Classes by full name, as the decisions look up a member's owner: mypy asks
        #: for several members of most classes it checks calls or reads on.
        self._classes: dict[str, TypeInfo | None] = {}
        self._check_call: CheckCall | None = None
        self._check_attribute: CheckAttribute | None = None
        self._sources = SourceLines(options.shadow_file)

    # Plugin API.

    def set_modules(self, modules: dict[str, MypyFile]) -> None:
        if self._usage_error is not None:
            raise_usage_error(self._usage_error)
        super().set_modules(modules)
        self._default.set_modules(modules)
        self._evidence.set_modules(modules)

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        # Asked once per module when its cache entry is validated (``is_check``) and
        # again just before the module is serialized into the cache: then the facts
        # read from its bodies are stored with it (``evidence``).
        if not ctx.is_check:
            self._write_facts(ctx.id)
        return self._config_data

    def _write_facts(self, module_id: str) -> None:
        module = self._modules.get(module_id) if self._modules else None
        if module is None:
            return
        try:
            self._evidence.write_carrier(module)
        except Exception:
            if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
                raise

    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        # A module was (re)parsed, in a cold run or a daemon update: definitions may
        # have changed, so hook decisions made so far are stale.
        self._function_hooks.clear()
        self._method_hooks.clear()
        self._attribute_hooks.clear()
        self._classes.clear()
        self._sources.forget(file.path)
        self._evidence.forget()
        self._evidence.remember(file)
        return []

    def get_additional_indirect_deps(self, file: MypyFile) -> set[str]:
        # mypy 2.4 and later ask this when a module is checked, just before they empty
        # its bodies: the last moment to keep those of a module parsed in the middle
        # of the build (``Evidence.remember_unseen``).
        self._evidence.remember_unseen(file)
        return set()

    # Deciding, once per full name.

    def _decide_safely(self, is_method: bool, fullname: str) -> tuple[_Hook | None, bool]:
        """``_decide``, but a failure costs this name its checks, never mypy its run.

        ``None`` leaves the name to the plugins after this one, mypy's own last, as
        if this plugin were not there; so mypy's hook is asked for only where this
        plugin's hook must run it first (``_chained``)."""
        try:
            return self._decide(fullname, is_method=is_method)
        except Exception:
            if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
                raise
            return None, True

    def _chained(self, fullname: str, is_method: bool) -> _Hook | None:
        """mypy's own hook for calls of ``fullname``, which this plugin's hook runs."""
        default = self._default
        if is_method:
            return default.get_method_hook(fullname)
        return default.get_function_hook(fullname)

    def _decide(self, fullname: str, *, is_method: bool) -> tuple[_Hook | None, bool]:
        """The hook for ``fullname``, and whether that answer may be cached."""
        if _never_a_written_call(fullname):
            return None, True
        config = self.config
        lookup = self.lookup_fully_qualified
        node = self._method_named(fullname) if is_method else lookup_callee(fullname, lookup)
        spawner, sinks = (
            (False, ())
            if has_no_role(fullname, node, config)
            else callee_roles(fullname, node, config)
        )
        if not (spawner or sinks or config.must_await) and returns_plain_value(node):
            # Most callees: a function returning ``None`` or a plain class's instance,
            # or a class; no fact or queue to look up (about 30M instructions in a
            # cold run of the benchmark corpus, 0.1%).
            return None, True
        # What the callee's body returns, where its declaration does not tell.
        fact = self._evidence.fact(node)
        if fact is Fact.FRESH_TASK or fact is Fact.KEPT_TASK:
            spawner = fact is Fact.FRESH_TASK
        # Most configurations list nothing under ``must_await``.
        must_await = bool(config.must_await) and _listed(fullname, node, config.must_await)
        may_discard = may_discard_result(fullname, node, config, lookup)
        lazy: bool | None = must_await
        if not lazy and not may_discard:
            # ``None``: not known yet, so not cached. A local name (``cb()``) or a
            # class defined in a function cannot be looked up: the hook decides from
            # the inferred type.
            modules = self._modules or NO_MODULES
            if fact is Fact.LAZY or fact is Fact.NONE:
                lazy = fact is Fact.LAZY
            else:
                lazy = node is None or callee_may_return_lazy(node, config.must_await, modules)
        interest = spawner or bool(sinks) or lazy
        if interest is False:
            return None, True
        name = fullname.rpartition(".")[2]
        chained = self._chained(fullname, is_method)
        result = Kind.NONE if may_discard else _fixed_result(node, chained)
        spec = HookSpec(fullname, name, is_method, chained, spawner, sinks, must_await, result)
        if name in _CALLED_BY_SYNTAX:
            return partial(self._on_special_call, spec), interest is True
        return partial(self._on_call, spec), interest is True

    def _method_named(self, fullname: str) -> SymbolNode | None:
        """``lookup_callee`` for a method, its class looked up once for all members."""
        owner_name, _, member = fullname.rpartition(".")
        owner = self._class_named(owner_name) if owner_name else None
        if owner is None:
            return lookup_callee(fullname, self.lookup_fully_qualified)
        symbol = owner.get(member)  # its own first, then inherited
        return symbol.node if symbol is not None else None

    def _class_named(self, fullname: str) -> TypeInfo | None:
        classes = self._classes
        if fullname in classes:
            return classes[fullname]
        symbol = self.lookup_fully_qualified(fullname)
        node = symbol.node if symbol is not None else None
        info = classes[fullname] = node if isinstance(node, TypeInfo) else None
        return info

    # The hook.

    def _on_call(self, spec: HookSpec, ctx: AnyContext) -> Type:
        chained = spec.chained
        return_type = chained(ctx) if chained is not None else ctx.default_return_type
        config = self.config
        kind = spec.result
        if kind is None:
            kind = call_result_kind(return_type, config.must_await, listed=spec.must_await)
        watched = spec.spawner or spec.sinks
        if kind is not Kind.LAZY and not watched:
            return return_type
        api, call = ctx.api, ctx.context
        if not isinstance(api, TypeChecker) or api.errors.file in api.errors.ignored_files:
            # Errors in this module are not shown (an installed package or a stub).
            return return_type
        if _KEEP_BODIES_IN_HOOKS:
            self._evidence.remember_unseen(api.tree)
        if not watched:
            # Most lazy awaitables are awaited on the spot, and the line says so
            # (``sourcetext``): then nothing more is to be known, whoever's call it is.
            lines = self._sources[api.path]
            if lines is not None and isinstance(call, CallExpr) and is_awaited(call, lines):
                return return_type
        if not _is_direct_call(call, spec):
            # mypy re-checks a call on another's behalf (``functools.partial(f)()``
            # checks ``f``): the call written in the source gets its own hook.
            return return_type
        if (
            watched
            and kind is not Kind.LAZY
            and not spec.spawner
            and not may_pass_async(
                spec.sinks, ctx.callee_arg_names, ctx.arg_types, config.must_await
            )
        ):
            return return_type  # a callee with callback sinks: most pass a sync one
        check_call = self._check_call or self._load_checks()
        check_call(ctx, api, spec, return_type, kind, config, self._evidence)
        return return_type

    def _on_special_call(self, spec: HookSpec, ctx: AnyContext) -> Type:
        """``_on_call`` for ``__aenter__``, ``__aexit__`` and ``__anext__``: mypy checks
        every ``async with`` and ``async for`` as a call of these, with the statement's
        expression as the call. Only a call written out (``await cm.__aenter__()``)
        can lose its result, so that is asked first."""
        if _is_direct_call(ctx.context, spec):
            return self._on_call(spec, ctx)
        chained = spec.chained
        return chained(ctx) if chained is not None else ctx.default_return_type

    # Attributes whose reading creates an awaitable (``attributes``).

    def _decide_attribute_safely(self, fullname: str) -> tuple[AttributeHook | None, bool]:
        """The hook for reading the attribute ``fullname`` (``Class.name``), decided
        as ``_decide_safely`` decides calls."""
        try:
            return self._decide_attribute(fullname)
        except Exception:
            if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
                raise
            return None, True

    def _decide_attribute(self, fullname: str) -> tuple[AttributeHook | None, bool]:
        owner_name, _, name = fullname.rpartition(".")
        owner = self._class_named(owner_name)
        if owner is None:
            return None, True
        config = self.config
        found = find_getter(owner, name, config.must_await)
        if found is None:  # a plain attribute: most names
            return None, True
        if isinstance(found, str):  # NOT_INFERRED: reading it gives ``Any`` until then
            return None, False
        kind, definition = found
        modules = self._modules or NO_MODULES
        # What the getter's body returns, where its declaration does not tell.
        told = self._evidence.kind_of(definition)
        if told is not None:
            lazy: bool | None = told is Kind.LAZY
        else:
            lazy = callee_may_return_lazy(definition, config.must_await, modules)
        must_await = fullname in config.must_await
        if lazy is None and not must_await:  # the getter's type is not known yet
            return None, False
        if (lazy is False and not must_await) or fullname in config.may_discard:
            return None, True
        chained = self._default.get_attribute_hook(fullname)
        spec = AttributeSpec(fullname, name, kind, chained, must_await)
        return partial(self._on_attribute, spec), lazy is not None or must_await

    def _on_attribute(self, spec: AttributeSpec, ctx: AttributeContext) -> Type:
        chained = spec.chained
        attr_type = chained(ctx) if chained is not None else ctx.default_attr_type
        if ctx.is_lvalue:
            return attr_type
        config = self.config
        kind = call_result_kind(attr_type, config.must_await, listed=spec.must_await)
        if kind is not Kind.LAZY:
            return attr_type
        api, expr = ctx.api, ctx.context
        if not isinstance(api, TypeChecker) or api.errors.file in api.errors.ignored_files:
            return attr_type
        if _KEEP_BODIES_IN_HOOKS:
            self._evidence.remember_unseen(api.tree)
        if not isinstance(expr, MemberExpr) or expr.name != spec.name:
            return attr_type  # read on mypy's own behalf (an operator, ``super()``...)
        lines = self._sources[api.path]
        if lines is not None and is_awaited(expr, lines):
            return attr_type
        check_attribute = self._check_attribute
        if check_attribute is None:
            self._load_checks()
            check_attribute = self._check_attribute
            assert check_attribute is not None
        check_attribute(ctx, api, spec, attr_type, kind, config, self._evidence)
        return attr_type

    def _load_checks(self) -> CheckCall:
        """Import the checks when the first call is to be checked (see ``dispatch``)."""
        from mypy_await_plugin.dispatch import check_attribute, check_call

        self._check_call = check_call
        self._check_attribute = check_attribute
        return check_call


@mypyc_attr(native_class=False)  # mypy calls ``__getitem__`` on every call it checks
class Decisions(dict[str, "_H | None"]):
    """The hook decided for each full name so far; a name not seen yet is decided
    when first looked up, and the answer kept when it is final."""

    __slots__ = ("_decide",)
    _decide: Callable[[str], tuple[_H | None, bool]]

    def __init__(self, decide: Callable[[str], tuple[_H | None, bool]]) -> None:
        super().__init__()
        self._decide = decide

    def __missing__(self, fullname: str) -> _H | None:
        hook, final = self._decide(fullname)
        if final:
            self[fullname] = hook
        return hook


#: mypy before 2.4 asks no plugin between checking a module and emptying its bodies
#: (``get_additional_indirect_deps``): there, the hooks keep the bodies of the module
#: they fire in (``Evidence.remember_unseen``).
_KEEP_BODIES_IN_HOOKS: Final = not hasattr(Plugin, "get_additional_indirect_deps")
#: The ``Plugin`` hooks this plugin answers "none" for every name.
_UNUSED_HOOKS: Final = (
    "get_type_analyze_hook",
    "get_function_signature_hook",
    "get_method_signature_hook",
    "get_class_attribute_hook",
    "get_class_decorator_hook",
    "get_class_decorator_hook_2",
    "get_metaclass_hook",
    "get_base_class_hook",
    "get_customize_class_mro_hook",
    "get_dynamic_class_hook",
)
_NO_HOOKS: Final[dict[str, None]] = {}
#: Special methods of async context managers and iterators: mypy checks every
#: ``async with`` and ``async for`` as calls of them, and a program may call them by
#: name (``await super().__aenter__()``).
_CALLED_BY_SYNTAX: Final = frozenset({"__aenter__", "__aexit__", "__anext__"})
#: Special methods a program calls by name: those, and callable objects.
_CALLED_BY_NAME: Final = _CALLED_BY_SYNTAX | {"__call__"}


def _fixed_result(node: SymbolNode | None, chained: _Hook | None) -> Kind | None:
    """``Kind.LAZY`` when every call of ``node`` gives a coroutine: an ``async def``
    that no decorator wraps and no hook of mypy's rewrites (``None``: the hook
    classifies each call's result)."""
    if (
        chained is None
        and isinstance(node, FuncDef)
        and node.is_coroutine
        and not node.is_async_generator
    ):
        return Kind.LAZY
    return None


def config_data(config: AwaitConfig) -> str:
    """What invalidates mypy's cache when it changes: the plugin's version and its
    settings, as one string (read back for every module of a warm run, where a
    string costs less than a nested value)."""
    settings = json.dumps(config.to_data(), sort_keys=True, separators=(",", ":"))
    return f"mypy-await-plugin {__version__} {settings}"


def _listed(fullname: str, node: SymbolNode | None, names: Collection[str]) -> bool:
    """Whether the callee is in ``names``: by the name it is called by, or (for an
    inherited method) by the name of its definition."""
    return fullname in names or (node is not None and node.fullname in names)


def _never_a_written_call(fullname: str) -> bool:
    """Names whose hook fires only for calls mypy makes up, decided once per name.

    mypy infers displays and comprehensions as calls of generic functions named
    ``<list>``, ``<dict>``, ``<list-comprehension>``..., and checks ``for``,
    ``with``, indexing, operators and descriptors as calls of special methods
    (``Iterator.__next__``, ``dict.__getitem__``, ``__enter__``). On real code that
    is two calls in five a hook would see; ``_is_direct_call`` turns them all away
    (an explicit ``d.__getitem__(k)`` is not worth the cost).
    """
    if fullname.startswith("<"):
        return True
    if "__" not in fullname:  # most names, answered without splitting them
        return False
    # Operators on a callable type arrive as ``__eq__ of object``.
    name = fullname.rpartition(".")[2].partition(" ")[0]
    return (
        len(name) > 4
        and name.startswith("__")
        and name.endswith("__")
        and name not in _CALLED_BY_NAME
    )


def _is_direct_call(context: Context, spec: HookSpec) -> TypeGuard[CallExpr]:
    """Whether ``context`` is a call written as a call of ``spec.fullname``."""
    if not isinstance(context, CallExpr):
        return False
    name = spec.name
    if name == "__call__":
        # A callable object, however it is spelled: ``p()``, ``make()()``.
        return True
    callee = context.callee
    if not isinstance(callee, NameExpr | MemberExpr):
        return False
    return (
        callee.name == name
        or callee.fullname == spec.fullname
        or isinstance(callee.node, TypeAlias)
    )


__all__ = ["AwaitPlugin", "errorcodes"]
