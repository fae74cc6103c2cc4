"""A temporary project, and the real ``mypy`` / ``dmypy`` commands run on it.

Shared by the tests that check the plugin the way users run it: cold and warm
caches, ``-n`` workers, the daemon, configuration files and error-code options.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mypy.version

MYPY_VERSION = tuple(int(part) for part in re.findall(r"\d+", mypy.version.__version__)[:2])

_FINDING = re.compile(r"^[^\s:][^:]*:\d+(:\d+)?: (error|warning|note): ")


@dataclass(frozen=True)
class Run:
    """What one command printed, and its exit status."""

    status: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[str]:
        """Error and note lines, sorted (``-n`` and the daemon may order files
        differently); summaries and daemon chatter are left out."""
        return sorted(line for line in self.stdout.splitlines() if _FINDING.match(line))

    def __str__(self) -> str:
        return f"status {self.status}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def assert_same(run: Run, reference: Run) -> None:
    """``run`` printed the findings ``reference`` printed, with the same exit status."""
    assert run.findings == reference.findings, f"{run}\n--- instead of:\n{reference}"
    assert run.status == reference.status


class Project:
    """Files under ``root``; commands run with ``root`` as the working directory."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        for path, text in files.items():
            self.write(path, text)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old_mtime = target.stat().st_mtime_ns if target.exists() else None
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        if old_mtime is not None:
            # mypy and dmypy trust (mtime, size) first: make every edit visible even
            # when it keeps the size and lands within the file system's time step.
            bumped = max(old_mtime + 2_000_000_000, target.stat().st_mtime_ns)
            os.utime(target, ns=(bumped, bumped))

    def edit(self, path: str, old: str, new: str) -> None:
        text = (self.root / path).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {path}"
        self.write(path, text.replace(old, new))

    def mypy(self, *args: str) -> Run:
        return self._run("mypy", *args)

    def dmypy(self, *args: str) -> Run:
        return self._run("mypy.dmypy", "--status-file", str(self.status_file), *args)

    def python(self, module: str, *args: str) -> Run:
        """``python -m module``: a script of the project, run as the commands are."""
        return self._run(module, *args)

    @property
    def status_file(self) -> Path:
        return self.root / ".dmypy.json"

    @contextmanager
    def daemon(self) -> Iterator[None]:
        """Scope for ``dmypy`` commands: the daemon is stopped at the end, always."""
        try:
            yield
        finally:
            if self.status_file.exists():
                stopped = self.dmypy("stop")
                if stopped.status != 0 and self.status_file.exists():
                    self.dmypy("kill")

    def _run(self, module: str, *args: str) -> Run:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
        # A crash inside the plugin raises instead of becoming a note.
        env["MYPY_AWAIT_PLUGIN_DEBUG"] = "1"
        result = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Run(result.returncode, result.stdout, result.stderr)


#: A small service: ``close`` drops the ``Awaitable`` of ``Metrics.flush`` (a finding
#: only the plugin makes; ``flush`` comes from a client typed by a stub, as a plain
#: def declared ``-> Awaitable`` in source code is a handle), and
#: ``Metrics.record_enrichment`` is a plain function until a test makes it
#: ``async def``. Every import later edits need is there from the start (dmypy
#: crashes on edits that add imports of modules it has not seen).
SERVICE = {
    "mypy.ini": """
        [mypy]
        plugins = mypy_await_plugin

        [mypy_await_plugin]
        """,
    "src/svc/__init__.py": "",
    "src/svc/client.pyi": """
        from typing import Awaitable


        class Client:
            def flush(self) -> Awaitable[None]: ...
        """,
    "src/svc/metrics.py": """
        from svc.client import Client


        class Metrics(Client):
            def record_enrichment(self, result: int) -> int:
                return result
        """,
    "src/svc/processor.py": """
        import asyncio
        from typing import Awaitable

        from svc.metrics import Metrics


        class EventProcessor:
            def __init__(self) -> None:
                self.metrics = Metrics()

            async def process_event(self, event: int) -> None:
                result = event * 2
                self.metrics.record_enrichment(result)
                [self.metrics.record_enrichment(part) for part in (result, event)]
                await self.metrics.flush()

            def close(self) -> None:
                self.metrics.flush()
        """,
}

#: What the plugin reports on ``SERVICE`` as written, and after each edit.
FLUSH_IN_CLOSE = (
    'src/svc/processor.py:18: error: Awaitable[None] returned by "Metrics.flush" is never'
    " awaited  [discarded-awaitable]"
)
FLUSH_IN_PROCESS = FLUSH_IN_CLOSE.replace(":18:", ":15:")
ENRICHMENT_IN_COMPREHENSION = (
    "src/svc/processor.py:14: error: Coroutine[Any, Any, int] returned by"
    ' "Metrics.record_enrichment" is never awaited  [discarded-awaitable]'
)
ENRICHMENT_STATEMENT = (
    'src/svc/processor.py:13: error: Value of type "Coroutine[Any, Any, int]" must be used'
    "  [unused-coroutine]"
)
MAKE_ENRICHMENT_ASYNC = ("    def record_enrichment", "    async def record_enrichment")


#: Sync wrappers whose bodies tell what their declarations do not (``evidence``):
#: ``Metrics.record`` and the property ``Metrics.pending`` hand back a coroutine,
#: ``spawn`` a task it keeps nowhere, ``on_event`` only ever returns None, and
#: ``flush`` returns a future (a handle) until a test makes it return a coroutine.
#: The callers are in another module, so a warm run reads the facts from the cache.
WRAPPERS = {
    "mypy.ini": """
        [mypy]
        plugins = mypy_await_plugin
        """,
    "src/app/__init__.py": "",
    "src/app/metrics.py": """
        import asyncio
        from typing import Any, Awaitable, Coroutine, Optional


        class Backend:
            async def record(self, x: str) -> None: ...


        class Metrics:
            def __init__(self, backend: Backend) -> None:
                self._backend = backend

            def record(self, x: str) -> Awaitable[None]:
                return self._backend.record(x)

            def flush(self) -> Awaitable[None]:
                return asyncio.get_running_loop().create_future()

            def on_event(self) -> Optional[Coroutine[Any, Any, None]]:
                return None

            @property
            def pending(self) -> Awaitable[None]:
                return self._backend.record("pending")


        def spawn(coro: Coroutine[Any, Any, None]) -> "asyncio.Task[None]":
            task = asyncio.create_task(coro)
            task.set_name("spawned")
            return task
        """,
    "src/app/main.py": """
        import asyncio

        from app.metrics import Metrics, spawn


        async def run(m: Metrics) -> None:
            m.record("a")
            m.on_event()
            spawn(asyncio.sleep(0))


        def close(m: Metrics) -> None:
            m.flush()


        async def peek(m: Metrics) -> None:
            m.pending
        """,
}
PENDING_READ = (
    'src/app/main.py:17: error: Awaitable[None] returned by property "Metrics.pending" is'
    " never awaited  [discarded-awaitable]"
)
RECORD_DROPPED = (
    'src/app/main.py:7: error: Awaitable[None] returned by "Metrics.record" is never awaited'
    "  [discarded-awaitable]"
)
SPAWN_DROPPED = (
    'src/app/main.py:9: error: Task[None] returned by "spawn" is dropped; the event loop keeps'
    " only a weak reference to it  [dangling-task]"
)
FLUSH_DROPPED = (
    'src/app/main.py:13: error: Awaitable[None] returned by "Metrics.flush" is never awaited'
    "  [discarded-awaitable]"
)
ON_EVENT_DROPPED = (
    'src/app/main.py:8: error: Awaitable[None] returned by "Metrics.on_event" is never awaited'
    "  [discarded-awaitable]"
)
MAKE_FLUSH_LAZY = (
    "return asyncio.get_running_loop().create_future()",
    "return asyncio.sleep(0)",
)
