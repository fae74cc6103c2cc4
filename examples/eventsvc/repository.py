"""Storage for events."""

from __future__ import annotations

from collections.abc import Awaitable


class Repository:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    async def exists(self, event_id: str) -> bool:
        return event_id in self.rows

    async def save(self, event: dict[str, str]) -> None:
        self.rows[event["id"]] = event

    async def describe(self, event_id: str) -> str:
        return f"event {event_id}"

    def close(self) -> Awaitable[None] | None:
        """Returns the pending close, or None when already closed."""
        return None
