"""Where Python and asyncio report lost coroutines, tasks and futures, caught while installed.

- A coroutine collected before it ran: CPython calls
  ``warnings._warn_unawaited_coroutine`` before any warning filter applies, so the
  replacement here sees every one, whatever the filters; one that reaches
  ``sys.unraisablehook`` instead (a replacement of that function that raised) is
  caught there.
- "Task was destroyed but it is pending!", "Task exception was never retrieved" and
  "Future exception was never retrieved": asyncio hands them to the loop's
  ``call_exception_handler``, wrapped here on ``asyncio.BaseEventLoop`` (asyncio's
  own loops); the loop's handler still runs.

A ``Catcher`` hands each ``Loss`` to its sink, and keeps nothing of the lost objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from mypy_await_plugin.guard.losses import (
    NEVER_RETRIEVED,
    TASK_DESTROYED,
    Loss,
    coroutine_state,
    lost_coroutine,
    lost_future,
)

#: CPython's own reporter, as the warnings module defines it.
_PYTHONS_WARNING = warnings._warn_unawaited_coroutine  # type: ignore[attr-defined]

#: The context a guard is passing on to the handler it wrapped: when guards are nested
#: (pytest run inside a test), the innermost one owns the loss.
_claimed = threading.local()

_MESSAGES = {
    "Task was destroyed but it is pending!": TASK_DESTROYED,
    "Task exception was never retrieved": NEVER_RETRIEVED,
    "Future exception was never retrieved": NEVER_RETRIEVED,
}


class Catcher:
    """Replaces the three reporting points while installed; ``uninstall`` puts them back."""

    def __init__(self, sink: Callable[[Loss], None]) -> None:
        self._sink = sink
        self._saved: list[tuple[Any, str, Any]] = []
        #: Coroutines of destroyed tasks: their "never awaited" is the same loss.
        self._task_coroutines: set[int] = set()

    def install(self) -> None:
        self._replace(warnings, "_warn_unawaited_coroutine", self._never_awaited)
        self._replace(sys, "unraisablehook", self._wrap_unraisablehook(sys.unraisablehook))
        handler = asyncio.BaseEventLoop.__dict__["call_exception_handler"]
        self._replace(asyncio.BaseEventLoop, "call_exception_handler", self._wrap_handler(handler))

    def uninstall(self) -> None:
        while self._saved:
            owner, name, value = self._saved.pop()
            setattr(owner, name, value)

    def forget_tasks(self) -> None:
        """Drop the ids of destroyed tasks' coroutines (after a collection, before reuse)."""
        self._task_coroutines.clear()

    def _replace(self, owner: Any, name: str, value: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _never_awaited(self, coro: Any) -> None:
        if id(coro) in self._task_coroutines:
            self._task_coroutines.discard(id(coro))
            return
        try:
            loss = lost_coroutine(coro)
        except Exception:  # never lose Python's own warning to a bug here
            _PYTHONS_WARNING(coro)
            return
        self._sink(loss)

    def _wrap_unraisablehook(self, previous: Callable[[Any], object]) -> Callable[[Any], None]:
        def unraisablehook(unraisable: Any) -> None:
            if _is_never_awaited(unraisable.exc_value) and asyncio.iscoroutine(unraisable.object):
                self._never_awaited(unraisable.object)
                return
            previous(unraisable)

        return unraisablehook

    def _wrap_handler(self, handler: Any) -> Callable[..., None]:
        catcher = self

        def call_exception_handler(loop: Any, context: dict[str, Any]) -> None:
            kind = _MESSAGES.get(str(context.get("message", "")))
            if kind is None or getattr(_claimed, "context", None) is context:
                handler(loop, context)  # not a loss, or an inner guard's already
                return
            with contextlib.suppress(Exception):  # the loop's handler runs regardless
                catcher._asyncio_loss(kind, context)
            _claimed.context = context
            try:
                handler(loop, context)
            finally:
                _claimed.context = None

        return call_exception_handler

    def _asyncio_loss(self, kind: str, context: dict[str, Any]) -> None:
        future: Any = context.get("task", context.get("future"))
        get_coro = getattr(future, "get_coro", None)
        coro = get_coro() if get_coro is not None else None
        if coro is not None and asyncio.iscoroutine(coro):
            self._task_coroutines.add(id(coro))
            detail = _detail(kind, context, coroutine_state(coro))
            task = f"task {future.get_name()!r} of " if hasattr(future, "get_name") else ""
            loss = lost_coroutine(coro, kind, detail)
            self._sink(_renamed(loss, task + loss.what))
            return
        traceback = getattr(future, "_source_traceback", None)
        detail = _detail(kind, context, "")
        self._sink(lost_future(kind, type(future).__name__, traceback, detail))


def _is_never_awaited(error: object) -> bool:
    return isinstance(error, RuntimeWarning) and "was never awaited" in str(error)


def _detail(kind: str, context: dict[str, Any], state: str) -> str:
    message = str(context.get("message", ""))
    exception = context.get("exception")
    if kind == NEVER_RETRIEVED and exception is not None:
        return f"{message}: {exception!r}"
    return f"{message} ({state})" if state else message


def _renamed(loss: Loss, what: str) -> Loss:
    return Loss(loss.kind, what, loss.qualname, loss.module, loss.stack, loss.check, loss.detail)
