"""How the plugin loads or refuses to: its version, the mypy versions it supports,
and usage errors.

A usage error (a bad ``[mypy_await_plugin]`` section, an unsupported mypy) must
read like mypy's own (``mypy: error: Invalid error code(s): ...``): one line on
stderr and exit status 2, no traceback, the same under ``mypy``, ``mypy -n N`` and
``dmypy``. Raising from the plugin's constructor does not give that: mypy prints
"Error constructing plugin instance" first, every ``-n`` worker prints it again,
and ``SystemExit`` kills the daemon. So the constructor only records the problem
and ``raise_usage_error`` raises mypy's ``CompileError`` from ``set_modules``,
which mypy calls once per build, after loading the module graph and before
checking anything; mypy reports it like its own blocking errors.
"""

from __future__ import annotations

import re
from typing import Final, NoReturn

from mypy.errors import CompileError
from mypy.nodes import MypyFile
from mypy.plugin import Plugin

#: This release (read by the build too: ``[tool.hatch.version]`` in pyproject.toml).
__version__ = "0.1.0"
#: The mypy versions this release supports: ``>=1.20,<2.5`` (as in pyproject.toml).
OLDEST_MYPY: Final = (1, 20)
FIRST_UNSUPPORTED_MYPY: Final = (2, 5)
SUPPORTED_MYPY: Final = ">=1.20,<2.5"


def mypy_version_problem(version: str) -> str | None:
    """Why mypy ``version`` cannot run this plugin, or ``None`` when it can."""
    parsed = _release(version)
    if parsed is not None and OLDEST_MYPY <= parsed < FIRST_UNSUPPORTED_MYPY:
        return None
    return (
        f"mypy: error: mypy-await-plugin {__version__} supports mypy {SUPPORTED_MYPY},"
        f' not mypy {version}: install a supported mypy (pip install "mypy{SUPPORTED_MYPY}")'
        " or a mypy-await-plugin release made for this mypy"
    )


def _release(version: str) -> tuple[int, int] | None:
    """``(major, minor)`` of a version such as ``2.4.1`` or ``2.5.0+dev.1a2b``."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return None
    return int(match[1]), int(match[2])


def raise_usage_error(message: str) -> NoReturn:
    """Stop the build with ``message`` reported as a blocking usage error (status 2)."""
    raise CompileError([message])


def refusing_plugin(message: str) -> type[Plugin]:
    """A plugin class that loads quietly and stops the build with ``message``."""

    class RefusingPlugin(Plugin):
        def set_modules(self, modules: dict[str, MypyFile]) -> None:
            raise_usage_error(message)

    return RefusingPlugin
