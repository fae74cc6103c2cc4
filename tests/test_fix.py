"""``mypy-await --fix`` and ``--diff`` as users run them, on temporary projects; and the
edit planning of ``scan.fixes`` on its own (no mypy run)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from mypy_project import MYPY_VERSION

from mypy_await_plugin.scan.autofix import _original_offset, _rejected, fix
from mypy_await_plugin.scan.findings import Finding
from mypy_await_plugin.scan.fixes import Edit, Skipped, SourceFile, plan
from mypy_await_plugin.scan.runner import ScanFailed, ScanResult

# Every fix kind in ``run``; below it, the places where ``await`` is illegal or would
# change what the code means, and a check that is never fixed automatically.
JOBS = """\
import asyncio
from typing import Awaitable, Protocol


class Sink(Protocol):
    def flush(self) -> Awaitable[None]: ...


async def exists(key: str) -> bool:
    await asyncio.sleep(0)
    return bool(key)


async def save(key: str) -> int:
    await asyncio.sleep(0)
    return len(key)


async def run(sink: Sink, keys: list[str], verbose: bool) -> None:
    save("a")  # the first save
    sink.flush()
    verbose and save("b")
    if not exists("a"):
        return
    while verbose or exists("b"):
        break
    assert exists("c"), "missing"
    found = [key for key in keys if exists(key)]
    print("saved", save("d"))
    label = f"{save('e')} bytes"
    pending = save("f")
    lazy = (key for key in keys if exists(key))
    show = lambda: print(save("g"))
    asyncio.create_task(save("h"))

    def helper() -> None:
        save("i")

    class Local:
        print(save("j"))


def sync_caller() -> None:
    save("k")
"""
JOBS_DIFF = """\
--- a/jobs.py
+++ b/jobs.py
@@ -17,18 +17,18 @@
\x20
\x20
 async def run(sink: Sink, keys: list[str], verbose: bool) -> None:
-    save("a")  # the first save
-    sink.flush()
-    verbose and save("b")
-    if not exists("a"):
+    await save("a")  # the first save
+    await sink.flush()
+    verbose and await save("b")
+    if not await exists("a"):
         return
-    while verbose or exists("b"):
+    while verbose or await exists("b"):
         break
-    assert exists("c"), "missing"
-    found = [key for key in keys if exists(key)]
-    print("saved", save("d"))
-    label = f"{save('e')} bytes"
-    pending = save("f")
+    assert await exists("c"), "missing"
+    found = [key for key in keys if await exists(key)]
+    print("saved", await save("d"))
+    label = f"{await save('e')} bytes"
+    pending = await save("f")
     lazy = (key for key in keys if exists(key))
     show = lambda: print(save("g"))
     asyncio.create_task(save("h"))
"""
#: mypy 2 places a call inside an f-string at the call; mypy 1.20 at the f-string.
FSTRING_CALL_COLUMN = 16 if MYPY_VERSION >= (2, 0) else 13
JOBS_FIXED_LINES = [
    'jobs.py:20:5: fixed: await save("a")  [unused-coroutine]',
    "jobs.py:21:5: fixed: await sink.flush()  [discarded-awaitable]",
    'jobs.py:22:17: fixed: await save("b")  [discarded-awaitable]',
    'jobs.py:23:12: fixed: await exists("a")  [truthy-coroutine]',
    'jobs.py:25:22: fixed: await exists("b")  [truthy-coroutine]',
    'jobs.py:27:12: fixed: await exists("c")  [truthy-coroutine]',
    "jobs.py:28:37: fixed: await exists(key)  [truthy-coroutine]",
    'jobs.py:29:20: fixed: await save("d")  [awaitable-as-value]',
    f"jobs.py:30:{FSTRING_CALL_COLUMN}: fixed: await save('e')  [awaitable-as-value]",
    'jobs.py:31:5: fixed: await save("f")  [never-awaited]',
]
JOBS_FIXED_SUMMARY = (
    "Fixed 10 await findings in 1 file: awaitable-as-value 2, discarded-awaitable 2,"
    " never-awaited 1, truthy-coroutine 4, unused-coroutine 1"
)
#: Where each finding left is, and why it was not fixed.
JOBS_LEFT = [
    ("jobs.py:32:36", "await would make the generator expression an async generator"),
    ("jobs.py:33:26", "await is not allowed in a lambda"),
    ("jobs.py:34:5", "dangling-task is not fixed automatically"),
    ("jobs.py:37:9", "await is not allowed in a sync function"),
    ("jobs.py:40:15", "await is not allowed in a class body"),
    ("jobs.py:44:5", "await is not allowed in a sync function"),
]
JOBS_LEFT_SUMMARY = (
    "Found 6 await findings in 1 file (checked 1 source file): awaitable-as-value 2,"
    " dangling-task 1, truthy-coroutine 1, unused-coroutine 2"
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for this module's runs: typeshed is analysed once."""
    return tmp_path_factory.mktemp("fix-cache")


def project(root: Path, files: dict[str, bytes | str]) -> Path:
    """Files written byte for byte; ``.git`` stops mypy's config search at ``root``."""
    (root / ".git").mkdir()
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (root / name).write_bytes(data)
    return root


def command(cwd: Path, cache: Path, *args: str, code: int) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    env.update(
        HOME=str(cwd), XDG_CONFIG_HOME=str(cwd / ".config"), PYTHONUSERBASE=site.getuserbase()
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy_await_plugin", "--cache-dir", str(cache), *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        check=False,
    )
    # The bytes a diff has for a file in another encoding survive the round trip.
    stdout = result.stdout.decode("utf-8", "surrogateescape")
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == code, stdout + stderr
    return subprocess.CompletedProcess(result.args, result.returncode, stdout, stderr)


def left_lines(stdout: str) -> list[tuple[str, str]]:
    """(where, why) of each finding left, from its "Not fixed" note."""
    prefix = ": note: Not fixed: "
    notes = [line.partition(prefix) for line in stdout.splitlines() if prefix in line]
    return [(where, why) for where, _, why in notes]


def test_diff_then_fix_then_nothing_left_to_fix(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"jobs.py": JOBS})

    diff = command(root, cache_dir, "--diff", "jobs.py", code=1)
    assert diff.stdout == JOBS_DIFF
    assert (root / "jobs.py").read_text() == JOBS  # --diff changes nothing
    assert diff.stderr.splitlines() == [
        *(line.replace(": fixed: ", ": would fix: ") for line in JOBS_FIXED_LINES),
        JOBS_FIXED_SUMMARY.replace("Fixed", "Would fix"),
        JOBS_LEFT_SUMMARY,
    ]
    if shutil.which("patch"):  # the diff applies as it is
        patched = subprocess.run(
            ["patch", "-p1", "--dry-run"], cwd=root, input=diff.stdout, text=True, check=False
        )
        assert patched.returncode == 0

    fixed = command(root, cache_dir, "--fix", "jobs.py", code=1)
    lines = fixed.stdout.splitlines()
    assert lines[: len(JOBS_FIXED_LINES) + 1] == [*JOBS_FIXED_LINES, JOBS_FIXED_SUMMARY]
    assert left_lines(fixed.stdout) == JOBS_LEFT
    assert lines[-1] == JOBS_LEFT_SUMMARY
    text = (root / "jobs.py").read_text()
    assert text == _patched(JOBS, JOBS_DIFF)
    ast.parse(text)

    # A second run finds nothing more to fix and changes nothing.
    again = command(root, cache_dir, "--fix", "jobs.py", code=1)
    assert again.stdout.splitlines()[0] == "No await findings fixed"
    assert left_lines(again.stdout) == JOBS_LEFT
    assert (root / "jobs.py").read_text() == text
    quiet = command(root, cache_dir, "--diff", "jobs.py", code=0)
    assert quiet.stdout == ""


def _patched(text: str, diff: str) -> str:
    """``text`` with the one-hunk ``diff`` applied."""
    hunk = diff.split("@@\n", 1)[1].splitlines(keepends=True)
    old = "".join(line[1:] for line in hunk if not line.startswith("+"))
    new = "".join(line[1:] for line in hunk if not line.startswith("-"))
    assert text.count(old) == 1
    return text.replace(old, new)


ROLLBACK = """\
async def get() -> int:
    return 1


async def twice() -> None:
    value = get()
    value = get()
    await value


async def once() -> None:
    get()
    print(get(), get())


async def store() -> None:
    return None


async def forgotten() -> None:
    stored = store()  # bound and forgotten


async def ternary() -> str:
    return "yes" if get() else "no"
"""


def never_awaited(root: Path, function: str) -> list[str]:
    """Python's own judgement: the coroutines it warns were never awaited when
    ``function`` of ``app.py`` runs."""
    code = f"import asyncio, gc, app; asyncio.run(app.{function}()); gc.collect()"
    ran = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in ran.stderr.splitlines() if "was never awaited" in line]


def test_a_fix_that_adds_an_error_is_rolled_back(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"app.py": ROLLBACK})
    assert len(never_awaited(root, "once")) == 3
    assert len(never_awaited(root, "forgotten")) == 1
    result = command(root, cache_dir, "--fix", "app.py", code=1)
    assert never_awaited(root, "once") == []
    # Awaiting the first get() makes "value" an int: the second assignment no longer
    # type-checks, so that fix is rolled back; the others are kept. mypy shows one of
    # the two equal messages of line 13: the second is found and fixed once the first
    # is.
    assert result.stdout.splitlines() == [
        "app.py:12:5: fixed: await get()  [unused-coroutine]",
        "app.py:13:11: fixed: await get()  [awaitable-as-value]",
        "app.py:13:18: fixed: await get()  [awaitable-as-value]",
        "app.py:21:5: fixed: await store()  [never-awaited]",
        "app.py:25:21: fixed: await get()  [truthy-coroutine]",
        "Fixed 5 await findings in 1 file: awaitable-as-value 2, never-awaited 1,"
        " truthy-coroutine 1, unused-coroutine 1",
        'app.py:6:5: error: Coroutine[Any, Any, int] returned by "get" is assigned to "value"'
        ' and lost when "value" is reassigned; it never runs  [never-awaited]',
        'app.py:6:5: note: Add "await", or pass "value" on to code that awaits it',
        "app.py:6:5: note: Not fixed: the fix adds an error on line 7: Incompatible types in"
        ' assignment (expression has type "Coroutine[Any, Any, int]", variable has type'
        ' "int")  [assignment]',
        "Found 1 await finding in 1 file (checked 1 source file): never-awaited 1",
    ]
    # "stored" is never used and store() returns None: "stored = await store()" would
    # be mypy's func-returns-value error, so the binding goes.
    assert (root / "app.py").read_text() == (
        ROLLBACK.replace("    get()\n", "    await get()\n")
        .replace("print(get(), get())", "print(await get(), await get())")
        .replace("stored = store()", "await store()")
        .replace('"yes" if get()', '"yes" if await get()')
    )
    assert never_awaited(root, "forgotten") == []


# CRLF line endings, non-ASCII text before the call on the same line (where mypy's
# columns are not character columns), no newline at the end; and a Latin-1 file.
CRLF = (
    "async def get() -> int:\r\n"
    "    return 1\r\n"
    "\r\n"
    "\r\n"
    "async def main() -> None:\r\n"
    '    print("naïve ☃", get())  # café\r\n'
    "    get()"
).encode()
LATIN1 = (
    "# -*- coding: latin-1 -*-\n"
    "from crlf import get\n"
    "\n"
    "\n"
    "async def main() -> None:\n"
    '    print("déjà", get())\n'
).encode("latin-1")


def test_line_endings_and_encodings_are_kept(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"crlf.py": CRLF, "latin.py": LATIN1})
    diff = command(root, cache_dir, "--diff", "crlf.py", "latin.py", code=1)
    assert diff.stdout.encode("utf-8", "surrogateescape") == (
        "--- a/crlf.py\n"
        "+++ b/crlf.py\n"
        "@@ -3,5 +3,5 @@\n"
        " \r\n"
        " \r\n"
        " async def main() -> None:\r\n"
        '-    print("naïve ☃", get())  # café\r\n'
        "-    get()\n"
        "\\ No newline at end of file\n"
        '+    print("naïve ☃", await get())  # café\r\n'
        "+    await get()\n"
        "\\ No newline at end of file\n"
    ).encode() + (
        # In the file's own encoding, so that ``patch`` applies it.
        "--- a/latin.py\n"
        "+++ b/latin.py\n"
        "@@ -3,4 +3,4 @@\n"
        " \n"
        " \n"
        " async def main() -> None:\n"
        '-    print("déjà", get())\n'
        '+    print("déjà", await get())\n'
    ).encode("latin-1")

    command(root, cache_dir, "--fix", "crlf.py", "latin.py", code=0)
    assert (root / "crlf.py").read_bytes() == CRLF.replace(b"  get()", b"  await get()").replace(
        b", get()", b", await get()"
    )
    assert (root / "latin.py").read_bytes() == LATIN1.replace(b", get()", b", await get()")


BASELINED = """\
async def get() -> int:
    return 1


async def main() -> None:
    print(get())
"""


def test_with_a_baseline_only_new_findings_are_fixed(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"app.py": BASELINED})
    command(root, cache_dir, "--write-baseline", "baseline.json", "app.py", code=0)
    (root / "app.py").write_text(BASELINED + "    get()\n")

    result = command(root, cache_dir, "--fix", "--baseline", "baseline.json", "app.py", code=0)
    assert result.stdout.splitlines() == [
        "app.py:7:5: fixed: await get()  [unused-coroutine]",
        "Fixed 1 await finding in 1 file: unused-coroutine 1",
        "No new await findings (checked 1 source file; 1 known from the baseline)",
    ]
    assert (root / "app.py").read_text() == BASELINED + "    await get()\n"


def test_json_format_reports_what_is_left(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, {"app.py": ROLLBACK.replace("async def once", "def once")})
    result = command(root, cache_dir, "--fix", "--format", "json", "app.py", code=1)
    document = json.loads(result.stdout)
    assert [finding["notes"][-1] for finding in document["findings"]] == [
        "Not fixed: the fix adds an error on line 7: Incompatible types in assignment"
        ' (expression has type "Coroutine[Any, Any, int]", variable has type "int")'
        "  [assignment]",
        "Not fixed: await is not allowed in a sync function",
        "Not fixed: await is not allowed in a sync function",
    ]
    assert result.stderr.splitlines() == [
        "app.py:21:5: fixed: await store()  [never-awaited]",
        "app.py:25:21: fixed: await get()  [truthy-coroutine]",
        "Fixed 2 await findings in 1 file: never-awaited 1, truthy-coroutine 1",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fix", "--diff", "app.py"], "argument --diff: not allowed with argument --fix"),
        (
            ["--fix", "--write-baseline", "b.json", "app.py"],
            "--write-baseline cannot be combined with --fix or --diff",
        ),
    ],
)
def test_usage_errors(tmp_path: Path, cache_dir: Path, args: list[str], message: str) -> None:
    root = project(tmp_path, {"app.py": BASELINED})
    result = command(root, cache_dir, *args, code=2)
    assert message in result.stderr
    assert (root / "app.py").read_text() == BASELINED


# Planning without mypy: findings as the scan makes them, at (line, text of the node).


def _planned(
    tmp_path: Path, source: str, *places: tuple[int, str, str]
) -> tuple[SourceFile, list[Edit], list[Skipped]]:
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source))
    lines = path.read_text().splitlines()
    findings = []
    for number, text, code in places:
        column = lines[number - 1].index(text) + 1
        end = column + len(text) - 1
        findings.append(Finding(str(path), number, column, number, end, code, ""))
    loaded = SourceFile.read(path)
    assert isinstance(loaded, SourceFile)
    edits, skipped = plan(loaded, findings)
    return loaded, edits, skipped


def _fixed(tmp_path: Path, source: str, *places: tuple[int, str, str]) -> list[str]:
    loaded, edits, skipped = _planned(tmp_path, source, *places)
    assert not skipped, skipped
    return loaded.apply(edits).splitlines()[1:]


def test_parentheses_only_where_the_grammar_needs_them(tmp_path: Path) -> None:
    source = """\
        async def f(a, c, x, y):
            x or c.get()
            -c.get()
            2 ** c.get()
            c.get().real
            x if y else c.get()
            print(*c.get(), key=c.put())
            a.b().c()
            c.get().real
            c.get()[0]
            c.get()()
    """
    assert _fixed(
        tmp_path,
        source,
        (2, "c.get()", "discarded-awaitable"),
        (3, "-c.get()", "unused-coroutine"),
        (4, "c.get()", "awaitable-as-value"),
        (5, "c.get().real", "unused-coroutine"),
        (6, "x if y else c.get()", "unused-coroutine"),
        (7, "c.put()", "awaitable-as-value"),
        (8, "a.b().c()", "unused-coroutine"),
        (9, "c.get()", "awaitable-as-value"),
        (10, "c.get()", "awaitable-as-value"),
        (11, "c.get()", "awaitable-as-value"),
    ) == [
        "    x or await c.get()",
        "    await (-c.get())",
        "    2 ** await c.get()",
        "    await c.get().real",
        "    await (x if y else c.get())",
        "    print(*c.get(), key=await c.put())",
        "    await a.b().c()",
        "    (await c.get()).real",
        "    (await c.get())[0]",
        "    (await c.get())()",
    ]


def test_places_where_await_is_illegal_are_left(tmp_path: Path) -> None:
    source = """\
        async def f(c):
            def inner(x=c.get()):
                c.get()
            [[y for y in c if c.ok()] for _ in c]
            lambda: c.get()
            (y for y in c if c.ok())
            class K:
                c.get()
            [c.get() for _ in c]
        c.get()
        async def g(c, x=c.get()): ...
    """
    _, edits, skipped = _planned(
        tmp_path,
        source,
        (2, "c.get()", "awaitable-as-value"),
        (3, "c.get()", "unused-coroutine"),
        (4, "c.ok()", "truthy-coroutine"),
        (5, "c.get()", "awaitable-as-value"),
        (6, "c.ok()", "truthy-coroutine"),
        (8, "c.get()", "unused-coroutine"),
        (9, "c.get()", "discarded-awaitable"),
        (10, "c.get()", "unused-coroutine"),
        (10, "c.get()", "dangling-task"),
        (11, "c.get()", "awaitable-as-value"),
    )
    # A nested function's default runs in the async function: that one is fixed.
    assert [edit.finding.line for edit in edits] == [2]
    assert [item.reason for item in skipped] == [
        "await is not allowed in a sync function",
        "await in a nested comprehension is an error before Python 3.11",
        "await is not allowed in a lambda",
        "await would make the generator expression an async generator",
        "await is not allowed in a class body",
        "made in a comprehension: await each in a loop, or gather them",
        "await is not allowed at module level",
        "dangling-task is not fixed automatically",
        "await is not allowed at module level",
    ]


def test_nodes_on_non_ascii_lines_are_found_by_width_and_name(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        'async def f(c):\n    s = "é"; pending = c.get()\n    print("☃", c.get("ü"))\n'
    )
    loaded = SourceFile.read(path)
    assert isinstance(loaded, SourceFile)
    returned = 'Coroutine[Any, Any, int] returned by "C.get"'
    # Columns as mypy gives them on such lines: not character columns.
    findings = [
        Finding(str(path), 2, 13, 2, 19, "never-awaited", f'{returned} is assigned to "pending"'),
        Finding(str(path), 3, 13, 3, 21, "awaitable-as-value", f"{returned} is formatted"),
    ]
    edits, skipped = plan(loaded, findings)
    assert skipped == []
    assert loaded.apply(edits).splitlines()[1:] == [
        '    s = "é"; pending = await c.get()',
        '    print("☃", await c.get("ü"))',
    ]


def test_a_fix_is_blamed_for_new_errors_near_it() -> None:
    kept = Finding("a.py", 3, 5, 3, 10, "unused-coroutine", "m")
    blamed = Finding("a.py", 8, 5, 8, 10, "never-awaited", "n")
    # Still reported after the fix: where the finding was found by name and width,
    # the fix missed it; where its columns named the node, the error that stays
    # elsewhere on the line is another node's equal message (mypy shows one per
    # line), fixed in the next pass; where it stays at the same column, it is not.
    stuck = Finding("a.py", 20, 5, 20, 10, "truthy-coroutine", "t")
    equal = Finding("a.py", 30, 5, 30, 10, "truthy-coroutine", "t")
    stale = Finding("a.py", 40, 5, 40, 10, "truthy-coroutine", "t")
    findings = (kept, blamed, stuck, equal, stale)
    before = ScanResult(list(findings), 1, [], [_error(finding) for finding in findings])
    left = [stuck, replace(equal, column=20, end_column=25), stale]
    after_errors = [*(_error(finding) for finding in left), ("a.py", 9, "assignment", "bad")]
    after = ScanResult(left, 1, [], after_errors)
    edits = {
        finding: Edit(
            finding,
            0,
            0,
            0,
            "await ",
            "",
            range(finding.line, finding.line + 3),
            exact=finding is not stuck,
        )
        for finding in findings
    }
    assert _rejected(before, after, list(edits.values())) == {
        edits[blamed]: "the fix adds an error on line 9: bad  [assignment]",
        edits[stuck]: "the finding was still reported after the fix",
        edits[stale]: "the finding was still reported after the fix",
    }


def _error(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.file, finding.line, finding.code, finding.message)


def test_positions_map_back_through_the_passes() -> None:
    # "f(a(), b())": pass 1 awaits a(), pass 2 b() (offsets of the text each starts from).
    original = "f(a(), b())"
    after_first = "f(await a(), b())"
    after_second = "f(await a(), await b())"
    passes = [[(2, 0, 6)], [(13, 0, 6)]]
    assert _original_offset(passes, after_second.index("b()")) == original.index("b()")
    assert _original_offset(passes[:1], after_first.index("b()")) == original.index("b()")
    assert _original_offset(passes, after_second.index("await b")) == original.index("b()")
    assert _original_offset(passes, 0) == 0
    # "x = f(); g()": "x = " replaced by "await ".
    assert _original_offset([[(0, 4, 6)]], "await f(); g()".index("g")) == "x = f(); g()".index(
        "g"
    )


def test_a_binding_of_none_goes_only_when_the_name_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "async def f(c):\n"
        "    done = c.close()  # closed\n"
        "    kept = c.close()\n"
        "    print(kept)\n"
        "    count = c.count()\n"
    )
    loaded = SourceFile.read(path)
    assert isinstance(loaded, SourceFile)

    def finding(line: int, name: str, returned: str) -> Finding:
        message = f'{returned} returned by "C.close" is assigned to "{name}" and never awaited'
        return Finding(str(path), line, 5, line, 4 + len(name), "never-awaited", message)

    edits, skipped = plan(
        loaded,
        [
            finding(2, "done", "Coroutine[Any, Any, None]"),
            finding(3, "kept", "Coroutine[Any, Any, None]"),
            finding(5, "count", "Coroutine[Any, Any, int | None]"),
        ],
    )
    assert skipped == []
    assert loaded.apply(edits).splitlines()[1:] == [
        "    await c.close()  # closed",
        "    kept = await c.close()",
        "    print(kept)",
        "    count = await c.count()",
    ]


def test_fixed_code_mypy_cannot_check_is_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("async def f(c):\n    c.get()\n")
    finding = Finding(str(path), 2, 5, 2, 11, "unused-coroutine", "m")
    checked: list[list[str]] = []

    def rescan(args: list[str]) -> ScanResult:
        checked.append(args)
        raise ScanFailed("mypy stopped before checking the code (nothing was scanned):\n...")

    outcome = fix(ScanResult([finding], 1, [], [_error(finding)]), None, rescan)
    assert checked[0][0] == "--shadow-file"
    assert (outcome.texts, outcome.fixed) == ({}, [])
    assert outcome.reasons == {
        _error(finding): "mypy could not check the fixed code: mypy stopped before checking"
        " the code (nothing was scanned):"
    }
    assert path.read_text() == "async def f(c):\n    c.get()\n"


def test_without_end_positions_the_start_and_the_name_find_the_node(tmp_path: Path) -> None:
    # mypy versions whose JSON has no end: the scan puts the start there.
    source = """\
        async def f(c):
            c.get().close()
            x = 1
    """
    returned = 'Coroutine[Any, Any, None] returned by "C.close"'
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source))
    loaded = SourceFile.read(path)
    assert isinstance(loaded, SourceFile)
    findings = [Finding(str(path), 2, 5, 2, 5, "discarded-awaitable", f"{returned} is lost")]
    edits, skipped = plan(loaded, findings)
    assert skipped == []
    assert loaded.apply(edits).splitlines()[1] == "    await c.get().close()"


def test_a_fix_that_keeps_the_size_is_checked_as_fixed(tmp_path: Path, cache_dir: Path) -> None:
    # "job = " and "await " are as long: mypy must not take the fixed text for the
    # file it has seen (a shadow file of the same size gets the cached errors).
    text = (
        "async def store() -> None:\n    return None\n\n\n"
        "async def main() -> None:\n    job = store()\n"
    )
    root = project(tmp_path, {"app.py": text})
    command(root, cache_dir, "app.py", code=1)
    result = command(root, cache_dir, "--fix", "app.py", code=0)
    assert result.stdout.splitlines() == [
        "app.py:6:5: fixed: await store()  [never-awaited]",
        "Fixed 1 await finding in 1 file: never-awaited 1",
        "No await findings (checked 1 source file)",
    ]
    assert (root / "app.py").read_text() == text.replace("job = store()", "await store()")
    command(root, cache_dir, "app.py", code=0)
