"""A third-party plugin stand-in for tests: ``app.make()`` returns ``str``."""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import FunctionContext, Plugin
from mypy.types import Type


class MarkerPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == "app.make":
            return lambda ctx: ctx.api.named_generic_type("builtins.str", [])
        return None


def plugin(version: str) -> type[Plugin]:
    return MarkerPlugin
