"""``async-callback``: an async function passed where the caller will not await it."""

from __future__ import annotations

from mypy_await_plugin.callsite import CallSite


def check(site: CallSite) -> None:
    """Called for every call whose callee ``sinks.may_take_callback`` accepted."""
