"""``awaitable-as-value``: a lazy awaitable formatted, printed or compared as an object."""

from __future__ import annotations

from mypy_await_plugin.callsite import CallSite


def check(site: CallSite) -> None:
    """Called when ``site.usage.use`` is ``Use.FORMATTED`` or ``Use.ARGUMENT``."""
