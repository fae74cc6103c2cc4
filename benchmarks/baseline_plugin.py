"""A mypy plugin that hooks nothing: the price of any plugin written in Python.

``bench.py --baseline`` times it beside plain mypy and the plugin. It is built like
the plugin's own lookup (``mypy_await_plugin.main.Decisions``): mypy's
``get_function_hook`` and ``get_method_hook`` are the ``__getitem__`` of a dict
that asks mypy's ``DefaultPlugin`` once per name, and every other hook is the
inherited one. So what it costs is what mypy spends asking a plugin in Python for
hooks (about 250,000 questions in a cold run of the benchmark corpus), with no
decision and no hooked call: the floor under the plugin's own cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mypy.options import Options
from mypy.plugin import Plugin
from mypy.plugins.default import DefaultPlugin

_Hook = Callable[[Any], Any]


class _Chained(dict[str, "_Hook | None"]):
    """mypy's own hook for each name, asked once."""

    __slots__ = ("_ask",)

    def __init__(self, ask: Callable[[str], _Hook | None]) -> None:
        super().__init__()
        self._ask = ask

    def __missing__(self, fullname: str) -> _Hook | None:
        hook = self[fullname] = self._ask(fullname)
        return hook


class BaselinePlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        default = DefaultPlugin(options)
        hooks = vars(self)
        hooks["get_function_hook"] = _Chained(default.get_function_hook).__getitem__
        hooks["get_method_hook"] = _Chained(default.get_method_hook).__getitem__


def plugin(version: str) -> type[Plugin]:
    return BaselinePlugin
