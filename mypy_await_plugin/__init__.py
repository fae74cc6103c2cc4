"""mypy-await-plugin: find coroutines and awaitables that are created and then lost.

Enable it in the mypy configuration::

    [mypy]
    plugins = mypy_await_plugin
"""

from __future__ import annotations

from mypy.plugin import Plugin

__version__ = "0.1.0"


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class for this mypy ``version``."""
    from mypy_await_plugin.plugin import AwaitPlugin

    return AwaitPlugin
