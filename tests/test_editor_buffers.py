"""What an editor checks is its unsaved buffer, and the plugin reads that text.

Editors run ``mypy --shadow-file SOURCE BUFFER SOURCE``: mypy checks BUFFER's text
under SOURCE's path. The plugin answers "is this call awaited?" from the line's
text where it can (``sourcetext``); reading SOURCE from disk there would hide the
buffer's findings, and with ``--incremental`` mypy would cache them and replay them
after the save. Here the disk awaits every call, on the very columns where the
buffer drops them, so only the buffer's text gives the buffer's findings.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from mypy.options import Options
from mypy_project import Project, Run, assert_same

ON_DISK = """
    class Metrics:
        async def record(self, name: str) -> None: ...
        async def ready(self) -> bool:
            return True


    async def main(m: Metrics, ok: bool) -> None:
        await m.record("a")
        await m.record("b")
        if await m.ready():
            pass
"""
# The same calls on the same columns, each lost in another way.
BUFFER = (
    ON_DISK.replace('    await m.record("a")', '    print(m.record("a"))')
    .replace('    await m.record("b")', '    fut = m.record("b")')
    .replace("    if await m.ready():", "    if ok or m.ready():")
)
CODES = ["[awaitable-as-value]", "[never-awaited]", "[truthy-coroutine]"]
#: File times count as changed this long before a build (``sourcetext``): longer
#: ago, the plugin trusts the file, as it would a file saved a while ago.
SETTLE_SECONDS = 2.1


def _codes(run: Run) -> list[str]:
    return sorted(code for line in run.findings for code in CODES if code in line)


def _settled_project(tmp_path: Path) -> tuple[Project, Run]:
    """The project with the disk text and the buffer, and the buffer's findings when
    saved (checked in a copy); its files are old enough to be trusted."""
    project = Project(tmp_path / "editor", {"app.py": ON_DISK, "buffer.py": BUFFER})
    project.write("mypy.ini", MYPY_INI)
    written = time.monotonic()
    saved = Project(tmp_path / "saved", {"app.py": BUFFER, "mypy.ini": MYPY_INI})
    reference = saved.mypy("--no-incremental", "app.py")
    assert _codes(reference) == CODES, reference
    time.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - written)))
    return project, reference


MYPY_INI = """
    [mypy]
    plugins = mypy_await_plugin
"""


def test_a_shadow_file_is_checked_and_cached_as_the_buffer(tmp_path: Path) -> None:
    project, reference = _settled_project(tmp_path)
    absolute = str(project.root / "app.py")
    for source in ("app.py", absolute):  # mypy swaps the file however it is spelled
        run = project.mypy("--no-incremental", "--shadow-file", source, "buffer.py", "app.py")
        assert_same(run, reference)

    # As pylsp-mypy runs: incremental, so the shadow run's findings are cached
    # under the buffer's text...
    cache = ["--incremental", "--cache-dir", "editor-cache"]  # written by these runs only
    run = project.mypy(*cache, "--shadow-file", absolute, "buffer.py", absolute)
    assert _codes(run) == CODES, run
    # ... and replayed once the buffer is saved: they must have been right.
    project.write("app.py", BUFFER)
    assert_same(project.mypy(*cache, absolute), run)


def test_a_program_given_as_text_is_checked_as_that_text(tmp_path: Path) -> None:
    # ``mypy -c`` names the module ``<string>``; a file of that name is another text.
    # (mypy 2's native parser checks such a file instead of the program: the older
    # parser is the one that checks the program.)
    project = Project(tmp_path, {"<string>": ON_DISK, "mypy.ini": MYPY_INI})
    time.sleep(SETTLE_SECONDS)
    parser = ["--no-native-parser"] if hasattr(Options(), "native_parser") else []
    run = project.mypy("--no-incremental", *parser, "-c", textwrap.dedent(BUFFER))
    assert _codes(run) == CODES, run
