"""``truthy-coroutine``: a lazy awaitable used as a condition (always true)."""

from __future__ import annotations

from mypy_await_plugin.callsite import CallSite


def check(site: CallSite) -> None:
    """Called when ``site.usage.use`` is ``Use.TESTED``."""
