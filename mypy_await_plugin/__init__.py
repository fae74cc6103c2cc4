"""mypy-await-plugin: find coroutines and awaitables that are created and then lost.

Enable it in the mypy configuration::

    [mypy]
    plugins = mypy_await_plugin
"""

from __future__ import annotations

import importlib

from mypy.plugin import Plugin
from mypy.version import __version__ as _mypy_version

from mypy_await_plugin.loading import mypy_version_problem, refusing_plugin

__version__ = "0.1.0"

if mypy_version_problem(_mypy_version) is None:
    # Load the submodule ``plugin`` before the entry point below takes that name:
    # importing a submodule for the first time binds it to the package attribute of
    # the same name, and mypy looks ``mypy_await_plugin.plugin`` up again on every
    # ``dmypy run`` and in-process build.
    importlib.import_module(f"{__name__}.plugin")


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class for this mypy ``version``.

    An unsupported mypy gets a plugin that stops the build with a one-line usage
    error (see ``loading``) instead of failing somewhere inside mypy."""
    problem = mypy_version_problem(version)
    if problem is not None:
        return refusing_plugin(problem)
    from mypy_await_plugin.plugin import AwaitPlugin

    return AwaitPlugin
