"""mypy-await-plugin: find coroutines and awaitables that are created and then lost.

Enable it in the mypy configuration::

    [mypy]
    plugins = mypy_await_plugin

mypy looks ``mypy_await_plugin.plugin`` up as the entry point; the hooks are in
``main``, imported when mypy first asks for the plugin class.
"""

from __future__ import annotations

from mypy.plugin import Plugin

from mypy_await_plugin.loading import __version__, mypy_version_problem, refusing_plugin

__all__ = ["__version__", "plugin"]


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class for this mypy ``version``.

    An unsupported mypy gets a plugin that stops the build with a one-line usage
    error (see ``loading``) instead of failing somewhere inside mypy."""
    problem = mypy_version_problem(version)
    if problem is not None:
        return refusing_plugin(problem)
    from mypy_await_plugin.main import AwaitPlugin

    return AwaitPlugin
