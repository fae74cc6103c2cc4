"""Storage for events."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any


class Repository:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    async def exists(self, event_id: str) -> bool:
        return event_id in self.rows

    async def save(self, event: dict[str, str]) -> None:
        self.rows[event["id"]] = event

    async def describe(self, event_id: str) -> str:
        return f"event {event_id}"

    async def _close(self) -> None:
        self.rows.clear()

    def close(self) -> Coroutine[Any, Any, None] | None:
        """The close to await, or None when there is nothing to close."""
        return self._close() if self.rows else None
