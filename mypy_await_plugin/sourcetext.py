"""Whether a call is awaited, read from the source text instead of the syntax tree.

Most lazy awaitables a hook sees are awaited on the spot (``await client.get(url)``,
``await self.current_user``), and then nothing is to be reported. mypy gives a hook
no parent of the call, so the general answer (``usage``) walks down from the
function's body to the call; for the common case the line itself says it: the token
before the call is ``await`` and no ``.``, ``(`` or ``[`` follows it (``await`` binds
the whole primary, so ``await a.b().c()`` awaits ``.c()``, not ``a.b()``).

The text is only trusted when it agrees with the tree: the lines are ASCII (mypy's
columns count UTF-8 bytes), the callee's first name is where the call starts and a
``)`` is where it ends (for an attribute read, its name). Anything else (parentheses
around the call, a backslash, a line that is not plain) answers "not known", and the
walk decides. So this module can only make the plugin faster, never change a finding.

The text read must be the text mypy checks. An editor checks its unsaved buffer as
``mypy --shadow-file SOURCE BUFFER``: the module keeps SOURCE's path, and its lines
are read from BUFFER, found the way mypy finds it (the same file, however spelled).
``mypy -c PROGRAM`` names its module ``<string>``, which is never read. A file
written since mypy could have read it (a save during the run, in a daemon since the
file was parsed again) may no longer be the text that was parsed: a file changed
less than ``_SETTLE_NS`` before that moment is not read, so that a coarse file clock
cannot hide an edit. Only mypy's API can still hand over a text under a file's path
that differs from the file; no command does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Final

from mypy.nodes import CallExpr, MemberExpr
from mypy_extensions import mypyc_attr

#: Bytes that continue a primary after a call: an attribute, a call, an index; and
#: a line continuation, after which we do not look.
_TRAILERS: Final = frozenset(b".([\\")
_NAME_BYTES: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_BLANK: Final = b" \t"
_HASH: Final = ord("#")
#: Lines kept for this many files at most: mypy checks one module at a time (and
#: the modules of an import cycle in turns), so a few files are all that is reused.
_FILES_KEPT: Final = 16
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # no newline translation
#: A file changed this shortly before mypy may have read it is not trusted: file
#: times lag the clock by a tick, and some file systems count whole seconds (two on
#: FAT). Only speed is lost: the walk answers for that file.
_SETTLE_NS: Final = 2_000_000_000
#: The path mypy gives a program passed as text (``mypy -c``).
_NO_FILE: Final = "<string>"


@mypyc_attr(native_class=False)  # a dict with ``__missing__``, as ``main.Decisions``
class SourceLines(dict[str, "list[bytes] | None"]):
    """The lines of the files being checked, as bytes, read when first asked for, by
    the path mypy gives the module (``None``: the text cannot be trusted)."""

    __slots__ = ("_parsed", "_parsed_again", "_shadows", "_started")
    #: ``--shadow-file`` pairs: the module's path, and the file mypy reads instead.
    _shadows: tuple[tuple[str, str], ...]
    #: When this build started (``time.time_ns``): mypy creates its plugins before
    #: it reads a file. (A ``-n`` worker creates its own after the coordinator has
    #: started reading: an edit in between, more than ``_SETTLE_NS`` before the
    #: worker's start, is the one not seen.)
    _started: int
    _parsed: set[str]
    #: When a daemon parsed a file again, after reading it.
    _parsed_again: dict[str, int]

    def __init__(
        self, shadow_file: Iterable[Sequence[str]] | None = None, *, started: int | None = None
    ) -> None:
        """``shadow_file`` is mypy's option; ``started`` (ns) is now unless given."""
        super().__init__()
        self._shadows = tuple((pair[0], pair[1]) for pair in shadow_file or ())
        self._started = time.time_ns() if started is None else started
        self._parsed = set()
        self._parsed_again = {}

    def forget(self, path: str) -> None:
        """``path`` was parsed: the first time in this build, or again (a daemon
        update), and then its text may have changed."""
        self.pop(path, None)
        if path in self._parsed:
            self._parsed_again[path] = time.time_ns()
        else:
            self._parsed.add(path)

    def __missing__(self, path: str) -> list[bytes] | None:
        if len(self) >= _FILES_KEPT:
            self.clear()
        lines = self[path] = self._read(path)
        return lines

    def _read(self, path: str) -> list[bytes] | None:
        if path == _NO_FILE:
            return None
        read_from = _shadow_of(path, self._shadows) if self._shadows else path
        read_at = self._parsed_again.get(path, self._started)
        return _read_lines(read_from, changed_before=read_at - _SETTLE_NS)


def _shadow_of(path: str, shadows: tuple[tuple[str, str], ...]) -> str:
    """The file mypy reads for ``path``: the shadow of the first source that is the
    same file, as ``BuildManager.maybe_swap_for_shadow_path`` decides."""
    try:
        status = os.stat(path)
        for source, shadow in shadows:
            if os.path.samestat(status, os.stat(source)):
                return shadow
    except OSError:  # mypy cannot read such a file either
        pass
    return path


def _read_lines(path: str, changed_before: int) -> list[bytes] | None:
    """The lines of ``path``, if it has not changed since ``changed_before`` (ns)."""
    # ``os`` calls, not ``open()``: no buffered file object is built for one read.
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        data = _read_all(fd, changed_before)
    except OSError:
        return None
    finally:
        os.close(fd)
    if data is None:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:  # a lone carriage return ends a line for Python too
            return None
    return data.split(b"\n")


def _read_all(fd: int, changed_before: int) -> bytes | None:
    """The whole file: one read for the size ``fstat`` gives, more if it changed.

    ``None`` when the file changed at ``changed_before`` or later: its content, or
    its inode (``st_ctime``, which no program sets back, unlike ``st_mtime``)."""
    status = os.fstat(fd)
    if max(status.st_mtime_ns, status.st_ctime_ns) >= changed_before:
        return None
    size = status.st_size
    data = os.read(fd, size + 1)
    if len(data) == size:
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def is_awaited(expr: CallExpr | MemberExpr, lines: list[bytes]) -> bool:
    """Whether the text shows ``expr`` (a call, or an attribute read) as the operand
    of ``await`` (``False``: the text says otherwise or is not plain enough to say).

    Asked for most lazy awaitables a hook sees (thousands per run): the common
    answer, a call on one line awaited, is found with few bytes copied. mypy's
    positions are trusted as they are (the file is read only when it has not changed
    since mypy read it, ``SourceLines``): ``await`` and blanks just before where
    ``expr`` starts, and nothing that continues it where it ends."""
    line, end_line, end_column = expr.line, expr.end_line, expr.end_column
    if end_line is None or end_column is None or not 0 < line <= end_line <= len(lines):
        return False
    text = lines[line - 1]
    column = expr.column
    start = text.rfind(b"await", 0, column)
    if start < 0 or text[start + 5 : column].strip(_BLANK):
        return False
    # Not the end of a longer name (``self.await``, ``no_await``); byte columns are
    # character columns only in ASCII text.
    if (start and text[start - 1] in _NAME_BYTES) or not text.isascii():
        return False
    if end_line != line:
        text = lines[end_line - 1]
        if not text.isascii():
            return False
    if isinstance(expr, CallExpr):
        if text[end_column - 1 : end_column] != b")":
            return False
    elif not _ends_with_name(expr.name.encode(), text, end_column):
        return False
    return _ends_primary(lines, end_line, text[end_column:])


def _ends_with_name(name: bytes, text: bytes, end: int) -> bool:
    """Whether ``text`` ends at ``end`` with ``.name``, as an attribute read does."""
    return text.endswith(name, 0, end) and text[end - len(name) - 1 : end - len(name)] == b"."


def _ends_primary(lines: list[bytes], line: int, rest: bytes) -> bool:
    """Whether no trailer follows the call, which ends ``rest`` before on ``line``.

    Inside brackets the next token may stand on a later line, so after a line end the
    first code line below must not start with one either (blank lines and comments
    are passed over; a statement that starts with a bracket is left to the walk)."""
    rest = rest.lstrip(_BLANK)
    while not rest or rest[0] == _HASH:
        if line >= len(lines):
            return True
        rest = lines[line].lstrip(_BLANK)
        line += 1
    return rest[0] not in _TRAILERS
