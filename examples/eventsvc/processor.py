"""The event processor. Every method below has a bug a test suite rarely sees."""

from __future__ import annotations

import asyncio
import logging
import threading

from eventsvc.metrics import Metrics
from eventsvc.repository import Repository

log = logging.getLogger(__name__)


class EventProcessor:
    def __init__(self) -> None:
        self.metrics = Metrics()
        self.repo = Repository()

    async def process_event(self, event: dict[str, str]) -> None:
        result = {**event, "enriched": "yes"}
        self.metrics.record_enrichment(result)  # the seed bug: no await
        await self.repo.save(result)

    async def handle(self, event: dict[str, str]) -> bool:
        if not self.repo.exists(event["id"]):  # always true: a coroutine object
            return False
        log.info("handling %s", self.repo.describe(event["id"]))  # logs a coroutine
        pending = self.repo.save(event)  # bound and forgotten
        return True

    async def fan_out(self, events: list[dict[str, str]]) -> None:
        for event in events:
            asyncio.create_task(self.process_event(event))  # may be garbage-collected

    def start_flusher(self) -> None:
        threading.Thread(target=self.metrics.flush).start()  # flush() never runs

    def close(self) -> None:
        self.repo.close()  # Awaitable | None, dropped


async def main() -> None:
    processor = EventProcessor()
    await processor.process_event({"id": "1"})
    await processor.handle({"id": "1"})
    processor.close()


if __name__ == "__main__":
    asyncio.run(main())
