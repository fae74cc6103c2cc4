"""What a scan reports: one await finding, and which error codes count as one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mypy_await_plugin.errorcodes import ALL_CODES

#: mypy's own codes for a lost awaitable (``unused-awaitable`` is off unless the
#: project enables it), then the plugin's.
MYPY_CODES: Final = ("unused-coroutine", "unused-awaitable")
AWAIT_CODES: Final[frozenset[str]] = frozenset((*MYPY_CODES, *(c.code for c in ALL_CODES)))


@dataclass(frozen=True, order=True)
class Finding:
    """One await finding; ``line``/``column`` are 1-based, ``end_*`` inclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    notes: tuple[str, ...] = ()

    def to_data(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "message": self.message,
            "notes": list(self.notes),
        }
