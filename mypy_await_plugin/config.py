"""The plugin's own configuration: ``[mypy_await_plugin]`` / ``[tool.mypy_await_plugin]``.

Read once per mypy process from the config file mypy itself uses. Everything here
changes the plugin's output, so ``AwaitConfig.to_data`` feeds ``report_config_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mypy.options import Options


@dataclass(frozen=True)
class AwaitConfig:
    #: Types or callables whose results must be awaited (full names).
    must_await: frozenset[str] = field(default_factory=frozenset)
    #: Callables or types whose awaitable results may be dropped (full names).
    may_discard: frozenset[str] = field(default_factory=frozenset)
    #: Extra sinks for ``async-callback``: ``module.func:param`` or ``module.func:N``.
    sync_callbacks: frozenset[str] = field(default_factory=frozenset)
    #: Extra functions for ``dangling-task`` (full names).
    task_spawners: frozenset[str] = field(default_factory=frozenset)
    #: Check codes turned off.
    disable: frozenset[str] = field(default_factory=frozenset)

    def to_data(self) -> dict[str, list[str]]:
        return {
            "must_await": sorted(self.must_await),
            "may_discard": sorted(self.may_discard),
            "sync_callbacks": sorted(self.sync_callbacks),
            "task_spawners": sorted(self.task_spawners),
            "disable": sorted(self.disable),
        }


def load_config(options: Options) -> AwaitConfig:
    """The plugin's section of the config file mypy uses (``options.config_file``)."""
    return AwaitConfig()
