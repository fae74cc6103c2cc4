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
"""

from __future__ import annotations

import os
from typing import Final

from mypy.nodes import CallExpr, Expression, IndexExpr, MemberExpr, NameExpr, SuperExpr
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


@mypyc_attr(native_class=False)  # a dict with ``__missing__``, as ``plugin.Decisions``
class SourceLines(dict[str, "list[bytes] | None"]):
    """The lines of the files being checked, as bytes, read when first asked for."""

    __slots__ = ()

    def forget(self, path: str) -> None:
        """``path`` was parsed again (a daemon update): its text may have changed."""
        self.pop(path, None)

    def __missing__(self, path: str) -> list[bytes] | None:
        if len(self) >= _FILES_KEPT:
            self.clear()
        lines = self[path] = _read_lines(path)
        return lines


def _read_lines(path: str) -> list[bytes] | None:
    # ``os`` calls, not ``open()``: no buffered file object is built for one read.
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        data = _read_all(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:  # a lone carriage return ends a line for Python too
            return None
    return data.split(b"\n")


def _read_all(fd: int) -> bytes:
    """The whole file: one read for the size ``fstat`` gives, more if it changed."""
    size = os.fstat(fd).st_size
    data = os.read(fd, size + 1)
    if len(data) == size:
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def is_awaited(expr: CallExpr | MemberExpr, lines: list[bytes]) -> bool:
    """Whether the text shows ``expr`` (a call, or an attribute read) as the operand
    of ``await`` (``False``: the text says otherwise or is not plain enough to say)."""
    line, column = expr.line, expr.column
    end_line, end_column = expr.end_line, expr.end_column
    if end_line is None or end_column is None or not 0 < line <= end_line <= len(lines):
        return False
    text = lines[line - 1]
    if not text.isascii():
        return False
    before = text[:column].rstrip(_BLANK)
    if not before.endswith(b"await") or (len(before) > 5 and before[-6] in _NAME_BYTES):
        return False
    first = _first_name(expr.callee if isinstance(expr, CallExpr) else expr)
    if first is None or not text.startswith(first, column):
        return False
    end_text = text if end_line == line else lines[end_line - 1]
    if not end_text.isascii() or not _ends_with(expr, end_text[:end_column]):
        return False
    return _ends_primary(lines, end_line, end_text[end_column:])


def _ends_with(expr: CallExpr | MemberExpr, text: bytes) -> bool:
    """Whether ``text``, up to where mypy says ``expr`` ends, ends as ``expr`` does:
    a call with ``)``, an attribute read with the attribute's name."""
    if isinstance(expr, CallExpr):
        return text.endswith(b")")
    name = expr.name.encode()
    return text.endswith(name) and text[-len(name) - 1 : -len(name)] == b"."


def _first_name(callee: Expression) -> bytes | None:
    """The name the call's text starts with: ``a`` of ``a.b[0].c``, ``super`` of
    ``super().f``."""
    expr = callee
    while True:
        if isinstance(expr, NameExpr):
            return expr.name.encode()
        if isinstance(expr, MemberExpr):
            expr = expr.expr
        elif isinstance(expr, CallExpr):
            expr = expr.callee
        elif isinstance(expr, IndexExpr):
            expr = expr.base
        elif isinstance(expr, SuperExpr):
            return b"super"
        else:
            return None


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
