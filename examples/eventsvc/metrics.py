"""A metrics client whose calls go through a retrying decorator."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def retrying(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for _ in range(2):
            try:
                return await func(*args, **kwargs)
            except ConnectionError:
                continue
        return await func(*args, **kwargs)

    return wrapper


class Metrics:
    def __init__(self) -> None:
        self.sent: list[str] = []

    @retrying
    async def record_enrichment(self, result: dict[str, str]) -> None:
        self.sent.append(f"enriched:{result['id']}")

    async def flush(self) -> None:
        self.sent.clear()
