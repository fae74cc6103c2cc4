"""The standard library outside asyncio: threads, executors, signal handlers, exit
hooks, finalizers and exit stacks call a callback and drop its result; ``json``
serializes any value as a plain object.

Documented at:

* https://docs.python.org/3/library/threading.html: ``Thread(target=...)``,
  ``Timer(interval, function)``.
* https://docs.python.org/3/library/concurrent.futures.html: ``Executor.submit``,
  ``Executor.map``, ``Future.add_done_callback``.
* https://docs.python.org/3/library/signal.html#signal.signal,
  https://docs.python.org/3/library/atexit.html#atexit.register,
  https://docs.python.org/3/library/weakref.html#weakref.finalize.
* https://docs.python.org/3/library/contextlib.html#contextlib.ExitStack.callback
  (``push_async_callback`` is the one that awaits).
* https://docs.python.org/3/library/json.html#json.dumps.
"""

from __future__ import annotations

from typing import Final

#: Callback sinks (``module.func:param``) that call it outside the event loop: another
#: thread, a signal, interpreter exit, garbage collection.
THREAD_CALLBACKS: Final[tuple[str, ...]] = (
    "threading.Thread:target",
    "threading.Timer:function",
    "signal.signal:handler",
    "atexit.register:0",
    "weakref.finalize:1",
    "concurrent.futures._base.Executor.submit:0",
    "concurrent.futures._base.Executor.map:fn",
    "concurrent.futures._base.Future.add_done_callback:fn",
)
#: Callback sinks whose caller is not known: ``ExitStack.callback`` /
#: ``AsyncExitStack.callback`` call it on exit and drop the result.
CALLER_CALLBACKS: Final[tuple[str, ...]] = ("contextlib._BaseExitStack.callback:0",)

#: Callees whose parameter (by name; positional or keyword) treats any value as a
#: plain object although it is declared ``Any``.
VALUE_PARAMETERS: Final[dict[str, tuple[int, str]]] = {
    "json.dumps": (0, "obj"),
    "json.dump": (0, "obj"),
}
