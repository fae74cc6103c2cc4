"""``never-awaited``: a lazy awaitable bound to a local name that nothing consumes."""

from __future__ import annotations

from mypy_await_plugin.callsite import CallSite


def check(site: CallSite) -> None:
    """Called when ``site.usage.use`` is ``Use.BOUND``."""
