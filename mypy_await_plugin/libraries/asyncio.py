"""asyncio: the event loop's callbacks, the calls that spawn tasks, and the task
classes the loop holds only weakly.

Documented at:

* https://docs.python.org/3/library/asyncio-eventloop.html: ``call_soon``,
  ``call_later``, ``call_at``, ``add_reader``/``add_writer``, ``add_signal_handler``
  and ``run_in_executor`` call their callback and drop its result; ``create_task``.
* https://docs.python.org/3/library/asyncio-future.html: ``Future.add_done_callback``.
* https://docs.python.org/3/library/asyncio-task.html#creating-tasks: "Save a
  reference to the result of this function, to avoid a task disappearing
  mid-execution. The event loop only keeps weak references to tasks."

Names are those typeshed defines (``asyncio.Future`` is ``_asyncio.Future``); the
loop's methods are those of ``AbstractEventLoop``, matched through its subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

_LOOP: Final = "asyncio.events.AbstractEventLoop"

#: Callback sinks (``module.Class.method:param``) that call it outside the event loop.
THREAD_CALLBACKS: Final[tuple[str, ...]] = (f"{_LOOP}.run_in_executor:func",)
#: Callback sinks that call it in the event loop's thread, from the loop.
LOOP_CALLBACKS: Final[tuple[str, ...]] = (
    f"{_LOOP}.call_soon:callback",
    f"{_LOOP}.call_soon_threadsafe:callback",
    f"{_LOOP}.call_later:callback",
    f"{_LOOP}.call_at:callback",
    f"{_LOOP}.add_signal_handler:callback",
    f"{_LOOP}.add_reader:callback",
    f"{_LOOP}.add_writer:callback",
    "_asyncio.Future.add_done_callback:0",
)
#: Callees with a parameter typed as a callable returning ``object`` that never call
#: it: they unregister it or look at it.
NEVER_CALLED: Final[frozenset[str]] = frozenset({"_asyncio.Future.remove_done_callback"})

#: Callees whose result is a task or future that must be kept: full name -> the
#: name messages use.
TASK_SPAWNERS: Final[Mapping[str, str]] = {
    "asyncio.tasks.create_task": "asyncio.create_task",
    "asyncio.tasks.ensure_future": "asyncio.ensure_future",
    "asyncio.tasks.gather": "asyncio.gather",
    f"{_LOOP}.create_task": "loop.create_task",
    f"{_LOOP}.run_in_executor": "loop.run_in_executor",
}
#: The spawners whose result is a task only the event loop's weak set holds. A helper
#: returning ``gather(...)`` or ``run_in_executor(...)`` hands back a future to await
#: if the caller cares (callback collections do), and stays a handle.
TASK_CREATORS: Final[frozenset[str]] = frozenset(
    {
        "asyncio.tasks.create_task",
        "asyncio.tasks.ensure_future",
        f"{_LOOP}.create_task",
    }
)
#: Task classes: the loop holds them weakly (``asyncio.Task`` is ``_asyncio.Task``).
TASK_TYPES: Final[frozenset[str]] = frozenset({"_asyncio.Task", "asyncio.tasks.Task"})
