"""redis-py (``redis.asyncio``): a pipeline queues the commands called on it.

redis-py's asyncio command methods are overloads on ``self``: called on a
``redis.asyncio.Redis`` client they return a coroutine that must be awaited, but
called on a pipeline (``Pipeline``, ``ClusterPipeline``, both inheriting the client's
commands) they queue the command and return the pipeline itself, and dropping that
is the documented use::

    async with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "1")   # queued: nothing to await
        pipe.get("a")
        await pipe.execute()  # the one call that runs them

Documented at
https://redis.readthedocs.io/en/stable/examples/asyncio_examples.html#Pipelines.
The commands are defined under ``redis.commands``; the pipeline's own methods,
``execute`` and ``watch`` among them, stay lazy.
"""

from __future__ import annotations

from typing import Final

from mypy_await_plugin.entries import Queued

_PIPELINES: Final[str] = (
    "https://redis.readthedocs.io/en/stable/examples/asyncio_examples.html#Pipelines"
)

#: Receivers whose methods, defined under a module prefix, queue their commands.
QUEUED_COMMANDS: Final[tuple[Queued, ...]] = (
    Queued("redis.asyncio.client.Pipeline", "redis.commands.", _PIPELINES),
    Queued("redis.asyncio.cluster.ClusterPipeline", "redis.commands.", _PIPELINES),
)
