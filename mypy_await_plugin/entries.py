"""The kinds of entries that library knowledge is made of: callback sinks (with their
``module.func:param`` format, which the ``sync_callbacks`` config key uses too) and
receivers that queue their commands.

The tables of ``libraries`` are made of these, and ``config`` checks its entries
with ``parse_sink``; this module imports neither.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import NamedTuple

#: A parameter: its name, or its 0-based position among the parameters a call
#: passes (``self``/``cls`` not counted).
ParamRef = str | int


class Runs(enum.Enum):
    """Where a sink calls its callback: it decides the fix the note suggests."""

    #: In the event loop's thread, from the loop (``call_soon``, done callbacks).
    LOOP = "loop"
    #: Outside the event loop: another thread, a signal, interpreter exit, GC.
    THREAD = "thread"
    #: Not known: the generic rule and entries from the config.
    CALLER = "caller"


class Sink(NamedTuple):
    """One parameter of one callee that calls its argument and drops the result."""

    fullname: str
    param: ParamRef
    runs: Runs = Runs.CALLER
    #: Found by the generic rule (the parameter's declared type), not listed.
    generic: bool = False

    def matches(self, index: int, name: str | None) -> bool:
        """Whether the formal parameter ``index`` (named ``name``) of a call is this one."""
        if isinstance(self.param, int):
            return self.param == index
        return self.param == name


# Parsing the ``module.func:param`` format.


def parse_sink(entry: str, runs: Runs = Runs.CALLER) -> Sink:
    """Parse a ``sync_callbacks`` entry: ``module.func:param`` or ``module.Class.method:param``.

    ``param`` is a parameter name or a 0-based position (``self`` not counted).
    Raises ``ValueError`` with a message naming the entry when it is malformed.
    """
    fullname, sep, param = entry.strip().partition(":")
    expected = (
        'expected "module.function:parameter" or "module.Class.method:parameter",'
        " where parameter is a name or a 0-based position"
    )
    if not sep:
        raise ValueError(f'"{entry}" has no ":parameter" part; {expected}')
    fullname, param = fullname.strip(), param.strip()
    parts = fullname.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        raise ValueError(f'"{entry}": "{fullname}" is not a dotted full name; {expected}')
    if param.isdigit():
        return Sink(fullname, int(param), runs)
    if not param.isidentifier():
        raise ValueError(f'"{entry}": "{param}" is not a parameter name or position; {expected}')
    return Sink(fullname, param, runs)


class Queued(NamedTuple):
    """Method calls on ``receiver`` (or a subclass) that queue work and return the
    receiver, for the methods defined in modules under ``defined_under``."""

    receiver: str
    defined_under: str
    #: Where the library documents the behaviour.
    documented: str


def index_sinks(
    sinks: Iterable[Sink], into: Mapping[str, tuple[Sink, ...]] | None = None
) -> dict[str, tuple[Sink, ...]]:
    """The sinks by callee, in the order given, after those of ``into`` (a table
    built before: the built-in one, when the config adds entries)."""
    table = dict(into) if into is not None else {}
    for sink in sinks:
        table[sink.fullname] = (*table.get(sink.fullname, ()), sink)
    return table
