"""How losses read: in the report of the test that lost them, and in the session summary."""

from __future__ import annotations

import linecache
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from mypy_await_plugin.guard.losses import (
    NEVER_AWAITED,
    NO_CHECK,
    TASK_DESTROYED,
    Frame,
    Loss,
    is_library,
)

_PLAIN = " where the call is typed exactly Coroutine"


def headline(loss: Loss) -> str:
    if loss.kind == NEVER_AWAITED:
        return f"{loss.what} was never awaited"
    return f"{loss.what}: {loss.detail}"


def label(loss: Loss) -> str:
    """A loss in a few words, the same for every loss of its kind made at one site."""
    if loss.qualname is None:
        return f"{loss.what}: exception never retrieved"
    if loss.kind == NEVER_AWAITED:
        return f"coroutine {loss.qualname!r} never awaited"
    if loss.kind == TASK_DESTROYED:
        return f"task of {loss.qualname!r} destroyed while pending"
    return f"task of {loss.qualname!r}: exception never retrieved"


def where(frame: Frame | None, root: str) -> str:
    if frame is None:
        return "?"
    return f"{relative(frame[0], root)}:{frame[1]}"


def relative(filename: str, root: str) -> str:
    try:
        path = os.path.relpath(filename, root)
    except ValueError:  # another drive
        return filename
    return filename if path.startswith(os.pardir) else path


def test_report(losses: Sequence[Loss], root: str) -> str:
    """The section of a test's report: every loss with its site, check and stack."""
    lines = [f"await guard: this test lost {count(losses)}"]
    for loss in losses:
        lines += ["", f"{headline(loss)}  [{loss.phase}]", *describe(loss, root)]
    return "\n".join(lines)


def count(losses: Sequence[Loss]) -> str:
    """``2 coroutines, 1 task``: coroutines never awaited, tasks and futures lost."""
    kinds = {
        "coroutine": sum(loss.kind == NEVER_AWAITED for loss in losses),
        "task": sum(loss.kind != NEVER_AWAITED and loss.qualname is not None for loss in losses),
        "future": sum(loss.qualname is None for loss in losses),
    }
    return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds.items() if n)


def describe(loss: Loss, root: str) -> list[str]:
    site = loss.site
    if site is not None:
        source = linecache.getline(site[0], site[1]).strip()
        lines = [f"  created at {where(site, root)}, in {site[2]}: {source}"]
    elif loss.stack:
        lines = [
            f"  created in library code only ({len(loss.stack)} frames tracked;"
            " raise await_guard_depth to see further)"
        ]
    else:
        lines = ["  created where nothing was tracked (before the test started, or in a thread)"]
    if loss.check == NO_CHECK:
        lines.append("  static check: none (the task was kept, then neither awaited nor read)")
    elif loss.check == "discarded-awaitable":
        lines.append(f"  static check: {loss.check} (mypy's own unused-coroutine{_PLAIN})")
    else:
        lines.append(f"  static check: {loss.check}")
    stack = _from_first_user_frame(loss.stack)
    if stack:
        left_out = len(loss.stack) - len(stack)
        above = f"; {left_out} library frames above it left out" if left_out else ""
        lines.append(f"  creation stack (most recent call last{above}):")
        for filename, lineno, function in stack:
            lines.append(f'    File "{filename}", line {lineno}, in {function}')
            source = linecache.getline(filename, lineno).strip()
            if source:
                lines.append(f"      {source}")
    return lines


def _from_first_user_frame(stack: tuple[Frame, ...]) -> tuple[Frame, ...]:
    for index, frame in enumerate(stack):
        if not is_library(frame[0]):
            return stack[index:]
    return stack


@dataclass
class Site:
    """The losses that one creation site caused, across the session."""

    losses: int = 0
    tests: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """Lost coroutines per creation site, and what the allow-list let through."""

    sites: dict[tuple[str, str, str], Site] = field(default_factory=dict)
    allowed: int = 0

    def add(self, loss: Loss, test: str, root: str) -> None:
        key = (where(loss.site, root), label(loss), loss.check)
        site = self.sites.setdefault(key, Site())
        site.losses += 1
        if test not in site.tests:
            site.tests.append(test)

    def lines(self) -> list[str]:
        total = sum(site.losses for site in self.sites.values())
        allowed = f" ({self.allowed} more allowed by await_guard_allow)" if self.allowed else ""
        if not total:
            return [f"await guard: no lost coroutines{allowed}"]
        plural = "s" if len(self.sites) != 1 else ""
        lines = [f"await guard: {total} lost, at {len(self.sites)} creation site{plural}{allowed}"]
        ranked = sorted(self.sites.items(), key=lambda item: (-item[1].losses, item[0]))
        for (at, what, check), site in ranked:
            more = f" (+{len(site.tests) - 1} more)" if len(site.tests) > 1 else ""
            lines.append(f"  {at}: {site.losses} x {what}  [{check}]  in {site.tests[0]}{more}")
        return lines
