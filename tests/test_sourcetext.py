"""The source-text shortcut for awaited calls agrees with the syntax tree.

``sourcetext.is_awaited`` lets a hook skip the walk from the function's body when the
line shows ``await <call>``. It may say "not known" whenever it likes, but it must
never call a call awaited that the tree does not await. Every call of the program
below is checked against the walk (``usage.find_usage``), with both of mypy's
parsers where the installed mypy has two; the callee's name says what the text
must answer: ``aw`` awaited, ``nt`` not known, ``ok`` either.
"""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import pytest
from mypy.errors import Errors
from mypy.nodes import CallExpr, FuncDef, MemberExpr, MypyFile, NameExpr, Node, SuperExpr
from mypy.options import Options
from mypy.parse import parse

from mypy_await_plugin.sourcetext import SourceLines, is_awaited
from mypy_await_plugin.syntax import paths_to
from mypy_await_plugin.usage import Use, classify_path

PROGRAM = """\
async def plain(c: bool) -> None:
    await aw()
    x = await aw(1, 2)
    await  aw()
    await aw(
        1,
    )
    await aw()  # a comment
    await aw(); await aw()
    print(await aw(), not await aw())
    await aw() if c else nt()
    await (nt())
    await nt().aw()
    await self.nt()[0]
    await nt()(1)
    await ok()(1)


async def continued() -> None:
    y = [
        await aw()

    ]
    z = [
        await nt()
        .aw()
    ]
    await nt() \\
        .aw()
    w = (await nt()  # a comment
         .aw())
    v = (await nt()

         .x)
    await nt()
    (a, b) = await nt()
    [c] = nt()


class Service:
    async def close(self) -> None:
        await super().aw()
        await self.aw()
        await self.nt()  # café


async def elsewhere(items: list[int]) -> None:
    return [await aw(i) for i in items]
    f"{await ok()}"
    lambda: nt()
    await_ = nt()
"""


def _parsers() -> list[bool]:
    # mypy 2 parses with its native parser by default (and builds the tree on demand:
    # ``eager``); mypy 1.x checks with fastparse.
    return [True, False] if "eager" in inspect.signature(parse).parameters else [False]


def _parse(source: str, native: bool) -> MypyFile:
    options = Options()
    if hasattr(options, "native_parser"):
        options.native_parser = native
    errors = Errors(options)
    if native:  # the native parser builds the tree on demand
        tree = parse(source, "program.py", "program", errors, options, eager=True)
    else:
        tree = parse(source, "program.py", "program", errors, options)
    assert not errors.is_errors(), errors.new_messages()
    return tree


def _calls(tree: MypyFile) -> list[tuple[CallExpr, Use]]:
    """Every call in a function of ``tree``, with the use the walk finds for it."""
    found: list[tuple[CallExpr, Use]] = []
    for defn in tree.defs:
        functions: list[Node] = [defn]
        if not isinstance(defn, FuncDef):
            functions = [path[-1] for path in paths_to(defn, (FuncDef,))]
        for function in functions:
            assert isinstance(function, FuncDef)
            for stmt in function.body.body:
                for path in paths_to(stmt, (CallExpr,)):
                    call = path[-1]
                    assert isinstance(call, CallExpr)
                    found.append((call, classify_path(path).use))
    return found


def _callee_name(call: CallExpr) -> str:
    callee = call.callee
    if isinstance(callee, NameExpr | MemberExpr | SuperExpr):
        return callee.name
    return "ok"


@pytest.mark.parametrize("native", _parsers())
def test_text_agrees_with_the_tree(native: bool) -> None:
    tree = _parse(PROGRAM, native)
    lines = PROGRAM.encode().split(b"\n")
    calls = _calls(tree)
    awaited_by_text = 0
    for call, use in calls:
        where = f"line {call.line}: {PROGRAM.splitlines()[call.line - 1].strip()}"
        text_says = is_awaited(call, lines)
        if text_says:
            awaited_by_text += 1
            assert use is Use.AWAITED, where
        expected = _callee_name(call)
        if expected == "aw":
            assert text_says, where
        elif expected == "nt":
            assert not text_says, where
    assert awaited_by_text >= 20


def _later_build() -> SourceLines:
    """The lines a build starting in a minute reads: the files written so far have
    settled by then."""
    return SourceLines(started=time.time_ns() + 60 * 10**9)


def test_lines_are_read_as_bytes_with_any_line_end(tmp_path: Path) -> None:
    unix, windows, mac = tmp_path / "unix.py", tmp_path / "windows.py", tmp_path / "mac.py"
    unix.write_bytes(b"a = 1\nb = 2\n")
    windows.write_bytes(b"a = 1\r\nb = 2\r\n")
    mac.write_bytes(b"a = 1\rb = 2\r")
    sources = _later_build()
    assert sources[str(unix)] == [b"a = 1", b"b = 2", b""]
    assert sources[str(windows)] == [b"a = 1", b"b = 2", b""]
    assert sources[str(mac)] is None  # not plain enough: the walk decides
    assert sources[str(tmp_path / "missing.py")] is None


def test_a_file_is_read_whole_whatever_size_it_reports(tmp_path: Path) -> None:
    empty, large = tmp_path / "empty.py", tmp_path / "large.py"
    empty.write_bytes(b"")
    large.write_bytes(b"x = 1\n" * 50_000)
    sources = _later_build()
    assert sources[str(empty)] == [b""]
    assert sources[str(large)] == [b"x = 1"] * 50_000 + [b""]
    assert sources[str(tmp_path)] is None  # a directory opens, and fails to read
    status = Path("/proc/self/status")  # Linux gives its size as 0
    if status.exists():
        lines = sources[str(status)]
        assert lines is not None and lines[0].startswith(b"Name:")


def test_a_file_parsed_again_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_bytes(b"old\n")
    sources = _later_build()
    sources.forget(str(path))  # parsed
    assert sources[str(path)] == [b"old", b""]
    path.write_bytes(b"new\n")
    assert sources[str(path)] == [b"old", b""]
    sources.forget(str(path))  # parsed again (a daemon update), just after the edit
    assert sources[str(path)] is None  # it may have changed since it was read: the walk


def test_a_file_changed_during_the_build_is_not_read(tmp_path: Path) -> None:
    settled, saved = tmp_path / "settled.py", tmp_path / "saved.py"
    settled.write_bytes(b"await f()\n")
    build = SourceLines(started=time.time_ns() + 60 * 10**9)
    saved.write_bytes(b"await f()\n")
    assert build[str(settled)] == [b"await f()", b""]
    assert build[str(saved)] == [b"await f()", b""]

    build = SourceLines()  # a build starting now: both changed within two seconds
    assert build[str(settled)] is None
    assert build[str(saved)] is None
    # Setting the modification time back does not make it settled.
    os.utime(saved, ns=(0, 0))
    assert SourceLines()[str(saved)] is None


def test_a_shadowed_file_is_read_from_its_shadow(tmp_path: Path) -> None:
    source, buffer = tmp_path / "app.py", tmp_path / "buffer.py"
    source.write_bytes(b"await f()\n")
    buffer.write_bytes(b"print(f())\n")
    other = tmp_path / "other.py"
    other.write_bytes(b"other\n")
    # mypy swaps the file when it is the same, however spelled.
    spelled = os.path.relpath(source)
    sources = SourceLines([[spelled, str(buffer)]], started=time.time_ns() + 60 * 10**9)
    assert sources[str(source)] == [b"print(f())", b""]
    assert sources[str(other)] == [b"other", b""]
    assert sources[str(tmp_path / "missing.py")] is None


def test_a_program_given_as_text_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``mypy -c PROGRAM`` names its module ``<string>``: a file of that name is
    # another text.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "<string>").write_bytes(b"await f()\n")
    assert _later_build()["<string>"] is None


#: Attribute reads (a property's getter may create the awaitable): the attribute's
#: name says what the text must answer, as the callee's name does above.
READS = """\
async def reads(s: S, c: bool) -> None:
    await s.aw
    x = await s.a.aw
    await  s.aw
    await s.aw  # a comment
    print(await s.aw, not await s.aw)
    await s.aw if c else s.nt
    await s.nt.x
    await s.nt()
    await s.nt[0]
    await (s.nt)
    await s . nt
    await s.nt \\
        .x
    y = [
        await s.aw
    ]
    z = [
        await s.nt
        .x
    ]
    f"{await s.ok}"
    s.nt
    await_ = s.nt
    await self.nt  # café
"""


def _reads(tree: MypyFile) -> list[tuple[MemberExpr, Use]]:
    found: list[tuple[MemberExpr, Use]] = []
    for defn in tree.defs:
        assert isinstance(defn, FuncDef)
        for stmt in defn.body.body:
            for path in paths_to(stmt, (MemberExpr,)):
                member = path[-1]
                assert isinstance(member, MemberExpr)
                found.append((member, classify_path(path).use))
    return found


@pytest.mark.parametrize("native", _parsers())
def test_text_agrees_with_the_tree_for_attribute_reads(native: bool) -> None:
    tree = _parse(READS, native)
    lines = READS.encode().split(b"\n")
    awaited_by_text = 0
    for member, use in _reads(tree):
        where = f"line {member.line}: {READS.splitlines()[member.line - 1].strip()}"
        text_says = is_awaited(member, lines)
        if text_says:
            awaited_by_text += 1
            assert use is Use.AWAITED, where
        if member.name == "aw":
            assert text_says, where
        elif member.name == "nt":
            assert not text_says, where
    assert awaited_by_text >= 8
