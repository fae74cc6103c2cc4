"""One call a hook fired for: its context, what it returns, how it is used, and reporting.

A ``CallSite`` is built once per hook invocation and handed to each check; the
expensive parts (the syntax walk that finds the use) are computed on first access.
"""

from __future__ import annotations

from functools import cached_property

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.messages import format_type_bare
from mypy.nodes import CallExpr, Context, MemberExpr, NameExpr
from mypy.plugin import FunctionContext, MethodContext
from mypy.types import Type

from mypy_await_plugin import reporting
from mypy_await_plugin.awaitables import (
    Kind,
    classify,
    union_call_may_be_plain,
    union_receiver_may_give_plain,
)
from mypy_await_plugin.config import AwaitConfig
from mypy_await_plugin.usage import Usage, find_usage, scope_statements


class CallSite:
    def __init__(
        self,
        ctx: FunctionContext | MethodContext,
        api: TypeChecker,
        fullname: str,
        return_type: Type,
        config: AwaitConfig,
        is_method: bool,
        must_await: bool,
    ) -> None:
        self.ctx = ctx
        self.api = api
        self.fullname = fullname
        self.return_type = return_type
        self.config = config
        self.is_method = is_method
        #: The callee is listed under ``must_await`` (by its name or its definition's).
        self.must_await = must_await

    @cached_property
    def kind(self) -> Kind:
        if self.fullname in self.config.may_discard:
            return Kind.NONE
        kind = classify(self.return_type, self.config.must_await)
        if kind is Kind.HANDLE and self.must_await:
            return Kind.LAZY
        if kind is Kind.LAZY and self._through_union():
            return Kind.NONE
        return kind

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

    @property
    def call(self) -> Context:
        return self.ctx.context

    @cached_property
    def usage(self) -> Usage:
        call = self.ctx.context
        assert isinstance(call, CallExpr)
        scope = scope_statements(self.api.scope.stack, self.api.tree)
        return find_usage(scope, call)

    @cached_property
    def callee_name(self) -> str:
        """The callee as users read it: ``fetch``, ``Metrics.flush``, ``cb``."""
        call = self.ctx.context
        if self.fullname.endswith(".__call__") and isinstance(call, CallExpr):
            callee = call.callee
            if isinstance(callee, NameExpr | MemberExpr):
                return callee.name
        return display_name(self.fullname, self.is_method)

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


def display_name(fullname: str, is_method: bool) -> str:
    parts = fullname.split(".")
    if is_method and len(parts) >= 2:
        return ".".join(parts[-2:])
    return parts[-1]
