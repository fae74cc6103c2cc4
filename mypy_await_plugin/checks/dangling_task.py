"""``dangling-task``: a task or future from a spawner, dropped on the floor."""

from __future__ import annotations

from mypy_await_plugin.callsite import CallSite


def check(site: CallSite) -> None:
    """Called for every call of a task spawner (``sinks.is_task_spawner``)."""
