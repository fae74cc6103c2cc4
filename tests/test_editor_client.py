"""The plugin's findings reach an editor: python-lsp-server with pylsp-mypy over stdio.

A small Language Server Protocol client opens a document, edits it without saving
(a bug fixed; then a bug added above the others, shifting their lines), and saves
it; after each step the diagnostics the server publishes must carry the plugin's
findings (code, line, message) for the text of that step. In live mode pylsp-mypy
checks each unsaved buffer as ``--shadow-file``; with ``dmypy = true`` it checks
saved files only and repeats its last diagnostics while a buffer is unsaved. The
settings are the ones ``docs/configuration.md`` gives.

The added bug stands where the file on disk awaits the same call on the same
columns, so reading the disk instead of the buffer would hide it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pylsp", reason="python-lsp-server is not installed (the test extra)")
pytest.importorskip(
    "pylsp_mypy", reason="pylsp-mypy is not installed (the test extra installs it on 3.11+)"
)

#: Seconds to wait for one answer of the server (each is one mypy or dmypy run).
TIMEOUT = 60
#: The file on disk changed this long ago is trusted by the plugin (``sourcetext``).
SETTLE_SECONDS = 2.1

OPENED = """\
class Metrics:
    async def record(self, name: str) -> int:
        return 0


async def main(m: Metrics) -> None:
    await m.record("a")
    fut = m.record("b")
    print(m.record("c"))
"""
# The first unsaved edit fixes the bug of line 8. Each edit changes the file's size:
# mypy 2.4.1 with --incremental compares a shadow file's hash with the cache by
# hashing the file it shadows, so a buffer of the file's size gets the file's
# errors (no plugin needed; see docs/configuration.md).
FIXED = OPENED.replace('    fut = m.record("b")', '    fut = await m.record("b")')
# The second adds a bug above: on line 7, where the disk awaits ``m.record("a")``.
ADDED_ABOVE = FIXED.replace(
    '    await m.record("a")', '    job = m.record("z")\n    await m.record("a")'
)

NEVER_AWAITED = (
    "never-awaited",
    'Coroutine[Any, Any, int] returned by "Metrics.record" is assigned to "{}" and never awaited',
)
AS_VALUE = (
    "awaitable-as-value",
    'Coroutine[Any, Any, int] returned by "Metrics.record" is formatted as text; it never runs',
)


def _expected(*findings: tuple[int, tuple[str, str], str]) -> list[tuple[str, int, str]]:
    """(code, 1-based line, message) of each error."""
    return sorted((code, line, message.format(name)) for line, (code, message), name in findings)


AT_OPEN = _expected((8, NEVER_AWAITED, "fut"), (9, AS_VALUE, ""))
AFTER_FIX = _expected((9, AS_VALUE, ""))
AFTER_ADDING = _expected((7, NEVER_AWAITED, "job"), (10, AS_VALUE, ""))

MYPY_INI = """\
[mypy]
plugins = mypy_await_plugin
"""


class LanguageServer:
    """python-lsp-server over stdio: requests, notifications, and what it sends."""

    def __init__(self, root: Path) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
        # pylsp-mypy runs the ``mypy`` / ``dmypy`` it finds on PATH: this Python's.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pylsp"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._received: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        answer = self.wait_for(lambda message: message.get("id") == ident, method)
        assert "error" not in answer, answer
        return answer.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """The next message ``wanted`` accepts (others are passed over)."""
        deadline = time.monotonic() + TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self._received.get(timeout=left)
            except queue.Empty:
                break
            if message is None:
                pytest.fail(f"the language server stopped while waiting for {what}")
            if wanted(message):
                return message
        pytest.fail(f"no {what} from the language server within {TIMEOUT} s")

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                self.request("shutdown", {})
                self.notify("exit", {})
                self._process.wait(timeout=TIMEOUT)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        stdin.flush()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                length = None
                while (header := stdout.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if length is None:
                    break
                self._received.put(json.loads(stdout.read(length)))
        except (OSError, ValueError):
            pass
        self._received.put(None)


class Editor:
    """One open document, edited and saved as an editor does."""

    def __init__(self, server: LanguageServer, path: Path) -> None:
        self.server = server
        self.path = path
        self.uri = path.as_uri()
        self.version = 1

    def open(self) -> list[tuple[str, int, str]]:
        self.server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.uri,
                    "languageId": "python",
                    "version": self.version,
                    "text": self.path.read_text(),
                }
            },
        )
        return self._diagnostics()

    def change(self, text: str) -> list[tuple[str, int, str]]:
        """The whole buffer replaced, not saved."""
        self.version += 1
        self.server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": text}],
            },
        )
        return self._diagnostics()

    def save(self, text: str) -> list[tuple[str, int, str]]:
        self.path.write_text(text)
        self.server.notify("textDocument/didSave", {"textDocument": {"uri": self.uri}})
        return self._diagnostics()

    def _diagnostics(self) -> list[tuple[str, int, str]]:
        """The plugin's errors in the next diagnostics published for the document."""
        message = self.server.wait_for(
            lambda message: (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == self.uri
            ),
            f"diagnostics for version {self.version}",
        )
        found = []
        for diagnostic in message["params"]["diagnostics"]:
            if diagnostic.get("source") != "mypy" or diagnostic["severity"] == 3:
                continue  # another linter's, or a note
            # What mypy printed on stderr (a crash, a usage error) comes without a code.
            assert "code" in diagnostic, diagnostic
            line = diagnostic["range"]["start"]["line"] + 1
            found.append((diagnostic["code"], line, diagnostic["message"]))
        return sorted(found)


@contextmanager
def _editing(root: Path, pylsp_mypy_settings: str) -> Iterator[Editor]:
    (root / "mypy.ini").write_text(MYPY_INI)
    (root / "pyproject.toml").write_text(textwrap.dedent(pylsp_mypy_settings))
    app = root / "app.py"
    app.write_text(OPENED)
    written = time.monotonic()
    server = LanguageServer(root)
    try:
        server.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}},
        )
        server.notify("initialized", {})
        # A file saved a while ago, as most are: the plugin may trust its text.
        time.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - written)))
        yield Editor(server, app)
    finally:
        server.close()
        status = root / ".dmypy.json"
        if status.exists():  # the server stops its daemon at shutdown; in case not
            subprocess.run(
                [sys.executable, "-m", "mypy.dmypy", "--status-file", str(status), "kill"],
                cwd=root,
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )


LIVE_MODE = """
    [tool.pylsp-mypy]
    enabled = true
    live_mode = true
"""
DMYPY = """
    [tool.pylsp-mypy]
    enabled = true
    live_mode = false
    dmypy = true
"""


def test_live_mode_follows_unsaved_edits(tmp_path: Path) -> None:
    with _editing(tmp_path, LIVE_MODE) as editor:
        assert editor.open() == AT_OPEN
        assert editor.change(FIXED) == AFTER_FIX
        assert editor.change(ADDED_ABOVE) == AFTER_ADDING
        # mypy runs with --incremental: after the save it may answer from what the
        # unsaved buffer's run cached, so that must have been right.
        assert editor.save(ADDED_ABOVE) == AFTER_ADDING


def test_dmypy_mode_follows_saves(tmp_path: Path) -> None:
    with _editing(tmp_path, DMYPY) as editor:
        assert editor.open() == AT_OPEN
        # An unsaved edit is not checked: the last diagnostics stay.
        assert editor.change(FIXED) == AT_OPEN
        assert editor.save(FIXED) == AFTER_FIX
        assert editor.change(ADDED_ABOVE) == AFTER_FIX
        assert editor.save(ADDED_ABOVE) == AFTER_ADDING
