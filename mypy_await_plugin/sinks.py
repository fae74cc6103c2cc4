"""Tables of callback sinks (``async-callback``) and task spawners (``dangling-task``).

Both tables are extended from the ``sync_callbacks`` and ``task_spawners`` keys of
the plugin's configuration.
"""

from __future__ import annotations

from typing import Final

from mypy.nodes import SymbolNode

from mypy_await_plugin.config import AwaitConfig

#: Functions whose result is a task or future that must be kept.
TASK_SPAWNERS: Final[frozenset[str]] = frozenset()


def is_task_spawner(fullname: str, config: AwaitConfig) -> bool:
    return fullname in TASK_SPAWNERS or fullname in config.task_spawners


def may_take_callback(fullname: str, node: SymbolNode | None, config: AwaitConfig) -> bool:
    """Whether calls of ``fullname`` (defined by ``node``, if known) need the
    ``async-callback`` check: a listed sink, or a parameter typed as a callable
    returning ``object``. Decided once per name, so keep it cheap and exact."""
    return False
