"""Where a hook saw a value made: its expression, type, use, and reporting.

A ``Site`` is built once per hook invocation and handed to each check: a
``CallSite`` for a call, an ``AttributeSite`` for an attribute read that runs a
getter (``attributes``). The expensive parts (the syntax walk that finds the use)
are computed on first access (by hand: ``functools.cached_property`` takes a lock
per access before Python 3.12).
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.messages import format_type_bare
from mypy.nodes import CallExpr, ConditionalExpr, Context, Expression, MemberExpr, NameExpr, Var
from mypy.plugin import AttributeContext, FunctionContext, MethodContext
from mypy.types import CallableType, Instance, Type, get_proper_type

from mypy_await_plugin import reporting
from mypy_await_plugin.awaitables import (
    Kind,
    union_call_may_be_plain,
    union_receiver_may_give_plain,
)
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.dataflow import local_function
from mypy_await_plugin.evidence import Evidence
from mypy_await_plugin.queued import may_be_queued, method_module, queued_on
from mypy_await_plugin.specs import AttributeSpec, HookSpec
from mypy_await_plugin.syntax import assigned_values
from mypy_await_plugin.usage import Usage, find_usage, scope_statements


class Site:
    """An expression that made a value a check looks at."""

    __slots__ = (
        "_kind",
        "_usage",
        "api",
        "config",
        "evidence",
        "expr",
        "fullname",
        "result_kind",
        "return_type",
    )

    def __init__(
        self,
        expr: Expression,
        api: TypeChecker,
        fullname: str,
        return_type: Type,
        result_kind: Kind,
        config: AwaitConfig,
        evidence: Evidence,
    ) -> None:
        #: The expression the hook fired for: a call, or an attribute read.
        self.expr = expr
        self.api = api
        self.fullname = fullname
        self.return_type = return_type
        #: The kind of ``return_type`` as the hook classified it (``may_discard`` and
        #: ``must_await`` applied); ``kind`` also looks at unions.
        self.result_kind = result_kind
        self.config = config
        #: What function bodies say they return (``evidence``).
        self.evidence = evidence
        self._kind: Kind | None = None
        self._usage: Usage | None = None

    @property
    def kind(self) -> Kind:
        """The kind of the value: ``result_kind``, except that a lazy value counts as
        none when it is dropped by design: made through a union (of callees, or of
        receivers) where some member gives a plain value, or queued by its receiver
        (``queued``). Computed only for uses a check reports."""
        if self._kind is None:
            lazy = self.result_kind is Kind.LAZY
            self._kind = Kind.NONE if lazy and self._by_design() else self.result_kind
        return self._kind

    def _by_design(self) -> bool:
        return False

    @property
    def usage(self) -> Usage:
        if self._usage is None:
            scope = scope_statements(self.api.scope.stack, self.api.tree)
            self._usage = find_usage(scope, self.expr)
        return self._usage

    @property
    def callee_name(self) -> str:
        """What made the value, as users read it: ``fetch``, ``Metrics.flush``."""
        return display_name(self.fullname, is_method=True)

    @property
    def returned(self) -> str:
        """How messages name the value: ``Awaitable[None] returned by "Metrics.flush"``."""
        return f'{self.type_text()} returned by "{self.callee_name}"'

    def type_text(self, typ: Type | None = None) -> str:
        return format_type_bare(self.return_type if typ is None else typ, self.api.options)

    def enabled(self, code: ErrorCode) -> bool:
        if code.code in self.config.disable:
            return False
        return self.api.errors.is_error_code_enabled(code)

    def report(self, code: ErrorCode, message: str, node: Context, note: str | None) -> None:
        if self.enabled(code):
            reporting.report(self.api, code, message, node, note)


class CallSite(Site):
    """A call a hook fired for."""

    __slots__ = ("ctx", "is_method")

    def __init__(
        self,
        ctx: FunctionContext | MethodContext,
        api: TypeChecker,
        spec: HookSpec,
        return_type: Type,
        result_kind: Kind,
        config: AwaitConfig,
        evidence: Evidence,
    ) -> None:
        call = ctx.context
        assert isinstance(call, CallExpr)
        super().__init__(call, api, spec.fullname, return_type, result_kind, config, evidence)
        self.ctx = ctx
        self.is_method = spec.is_method

    def _by_design(self) -> bool:
        return self._through_union() or self._taken_from_a_queue()

    def _through_union(self) -> bool:
        """The callee is a union and some member's call gives a plain value."""
        call = self.ctx.context
        if not isinstance(call, CallExpr):
            return False
        callee, must_await = call.callee, self.config.must_await
        modules = self.api.modules
        if union_call_may_be_plain(self.api.lookup_type_or_none(callee), must_await, modules):
            return True
        if not self.is_method or not isinstance(callee, MemberExpr):
            return False
        receiver = self.api.lookup_type_or_none(callee.expr)
        return union_receiver_may_give_plain(receiver, callee.name, must_await, modules)

    def _taken_from_a_queue(self) -> bool:
        """``add = pipe.set; add(k, v)``: a method taken from a receiver that queues it
        (``queued``), called through a local name."""
        call = self.ctx.context
        if not isinstance(call, CallExpr) or not isinstance(call.callee, NameExpr):
            return False
        callee, var = call.callee, call.callee.node
        callee_type = get_proper_type(self.api.lookup_type_or_none(callee))
        if not isinstance(callee_type, CallableType) or not isinstance(var, Var):
            return False
        defined_in = method_module(callee_type.definition)
        if not may_be_queued(defined_in, self.config):
            return False
        function = local_function(self.api.scope.stack)
        values = assigned_values(function, var) if function is not None else None
        if not values:
            return False
        return all(self._queues(value, defined_in) for value in values)

    def _queues(self, value: Expression, defined_in: str) -> bool:
        if isinstance(value, ConditionalExpr):
            return self._queues(value.if_expr, defined_in) and self._queues(
                value.else_expr, defined_in
            )
        if not isinstance(value, MemberExpr):
            return False
        receiver = get_proper_type(self.api.lookup_type_or_none(value.expr))
        return isinstance(receiver, Instance) and queued_on(receiver.type, defined_in, self.config)

    @property
    def call(self) -> Context:
        return self.ctx.context

    @property
    def callee_name(self) -> str:
        """The callee as users read it: ``fetch``, ``Metrics.flush``, ``cb``."""
        call = self.ctx.context
        if self.fullname.endswith(".__call__") and isinstance(call, CallExpr):
            callee = call.callee
            if isinstance(callee, NameExpr | MemberExpr):
                return callee.name
        return display_name(self.fullname, self.is_method)


class AttributeSite(Site):
    """An attribute read that runs a property's getter or a descriptor's ``__get__``."""

    __slots__ = ("getter",)

    def __init__(
        self,
        ctx: AttributeContext,
        api: TypeChecker,
        spec: AttributeSpec,
        attr_type: Type,
        result_kind: Kind,
        config: AwaitConfig,
        evidence: Evidence,
    ) -> None:
        member = ctx.context
        assert isinstance(member, MemberExpr)
        super().__init__(member, api, spec.fullname, attr_type, result_kind, config, evidence)
        #: ``property`` or ``attribute``, as messages name what was read.
        self.getter = spec.getter.value

    def _by_design(self) -> bool:
        """The receiver is a union and some member's attribute is a plain value."""
        member = self.expr
        assert isinstance(member, MemberExpr)
        receiver = self.api.lookup_type_or_none(member.expr)
        must_await, modules = self.config.must_await, self.api.modules
        return union_receiver_may_give_plain(receiver, member.name, must_await, modules)

    @property
    def returned(self) -> str:
        """``Coroutine[Any, Any, User] returned by property "Session.user"``."""
        return f'{self.type_text()} returned by {self.getter} "{self.callee_name}"'


def display_name(fullname: str, is_method: bool) -> str:
    parts = fullname.split(".")
    if is_method and len(parts) >= 2:
        return ".".join(parts[-2:])
    return parts[-1]
