"""What the plugin knows about libraries, as data: one module per library, named
after it, and the tables assembled from them here.

* ``asyncio``: the event loop's callbacks, task spawners, task classes;
* ``stdlib``: the rest of the standard library (threads, executors, signal handlers,
  exit hooks, finalizers, exit stacks, ``json``);
* ``redis``: redis-py's asyncio pipelines, which queue the commands called on them;
* ``motor``: MongoDB's driver, whose commands, declared ``async def``, start on the
  call and return a future.

Each table, and the logic that reads it:

* ``SYNC_CALLBACK_SINKS``: callees that call a callback and drop its result, by
  where they call it (``async-callback``; ``sinks``). Entries are
  ``module.func:param`` / ``module.Class.method:param``, ``param`` a parameter name
  or a 0-based position (``self`` not counted), grouped by where the callback runs:
  ``THREAD_CALLBACKS``, ``LOOP_CALLBACKS``, ``CALLER_CALLBACKS``.
* ``NEVER_CALLED``: callees whose callable parameter is never called (``sinks``).
* ``TASK_SPAWNERS``: callees whose result is a task or future that must be kept, with
  the name messages use (``dangling-task``; ``sinks``); ``TASK_CREATORS``, those
  whose task only the event loop's weak set holds (``evidence``); ``TASK_TYPES``,
  the task classes (``checks.dangling_task``).
* ``QUEUED_COMMANDS``: receivers that queue the commands called on them instead of
  returning something to await (``queued``).
* ``STARTED_ON_CALL``: methods declared ``async def`` that start their work when
  called and return a future: handles, whatever the declaration says (``queued``).
* ``VALUE_PARAMETERS``: parameters declared ``Any`` that take any value as a plain
  object (``awaitable-as-value``; ``checks.awaitable_as_value``).

Names are full names as mypy sees them: the class that defines a method
(``concurrent.futures._base.Executor.submit``), matched through subclasses. A new
library gets a module here whose docstring says what it covers and where the library
documents it, and a line in each table below that it adds to. Every table is
declared with its type: the compiled build type-checks these modules together, and
a type inferred in one of them may not be known yet where another reads it.

Surveyed and left out, because their declarations say what they do: aiohttp (client
and server methods that must be awaited are ``async def``), asyncpg, SQLAlchemy's
asyncio extension, aio-pika, anyio and trio (spawns return ``None`` or handles),
tornado (callback-style methods return ``Future`` handles, which are never lazy),
and textual (``AwaitMount`` and friends are handles).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from mypy_await_plugin.entries import Queued, Runs, Sink, index_sinks, parse_sink
from mypy_await_plugin.libraries import asyncio, motor, redis, stdlib


def _table(runs: Runs, *entries: str) -> Iterator[Sink]:
    for entry in entries:
        yield parse_sink(entry, runs)


#: Callees that call a callback and drop its result, by full name.
SYNC_CALLBACK_SINKS: Final[Mapping[str, tuple[Sink, ...]]] = index_sinks(
    (
        *_table(Runs.THREAD, *stdlib.THREAD_CALLBACKS, *asyncio.THREAD_CALLBACKS),
        *_table(Runs.LOOP, *asyncio.LOOP_CALLBACKS),
        *_table(Runs.CALLER, *stdlib.CALLER_CALLBACKS),
    )
)
NEVER_CALLED: Final[frozenset[str]] = asyncio.NEVER_CALLED

TASK_SPAWNERS: Final[Mapping[str, str]] = {**asyncio.TASK_SPAWNERS}
TASK_CREATORS: Final[frozenset[str]] = asyncio.TASK_CREATORS
TASK_TYPES: Final[frozenset[str]] = asyncio.TASK_TYPES

QUEUED_COMMANDS: Final[tuple[Queued, ...]] = (*redis.QUEUED_COMMANDS,)
STARTED_ON_CALL: Final[frozenset[str]] = motor.STARTED_ON_CALL

VALUE_PARAMETERS: Final[dict[str, tuple[int, str]]] = {**stdlib.VALUE_PARAMETERS}
