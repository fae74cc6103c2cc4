"""One mypy run through ``mypy.api``: its arguments, its JSON output, the findings.

mypy prints one JSON object per error (``--output json``), with the notes that follow
an error at the same place joined in ``hint``. Only errors whose code is an await
code become findings; every other error (unrelated type errors, missing imports) is
dropped. mypy's exit status 2 means it stopped early: a blocking error such as a
syntax error in the scanned code, a plugin that cannot be imported, or a crash.
Nothing was checked then, so the scan fails rather than reporting a clean result.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from mypy import api
from mypy.main import process_options

from mypy_await_plugin.scan.findings import AWAIT_CODES, Finding

#: How the plugin words a note about its own failure (see ``dispatch.py``).
PLUGIN_NOTE_PREFIX: Final = "mypy-await-plugin:"
#: An error's file, line, code and message.
ErrorKey = tuple[str, int, str, str]
_USAGE_ERROR: Final = re.compile(r"^mypy: error: (?P<message>.*)$", re.MULTILINE)


class ScanFailed(Exception):
    """mypy could not check the code; the message says why."""


@dataclass(frozen=True)
class ScanRequest:
    paths: list[str]
    #: The plugin-enabled config the run uses, and how to name it to the user.
    config_file: Path
    config_name: str
    cache_dir: str
    #: Extra arguments for mypy, given after ``--``.
    mypy_args: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScanResult:
    findings: list[Finding]
    files_checked: int
    #: mypy's config warnings and the plugin's internal-error notes, for stderr.
    warnings: list[str]
    #: Every error mypy reported, of any code: what a fix must not add to.
    errors: list[ErrorKey] = field(default_factory=list)


def scan(request: ScanRequest) -> ScanResult:
    args = mypy_arguments(request)
    files_checked = count_sources(args, request)
    stdout, stderr, status = _run_mypy(args)
    # Blocking errors (a plugin that cannot be imported) are printed to stderr.
    entries, messages = parse_output(_restore_names(stderr + "\n" + stdout, request))
    for entry in entries:
        if entry.get("file") == request.config_name:
            entry["line"] = -1  # a line of the generated copy, not of the user's file
    if status == 2:
        raise ScanFailed(_blocking_message(entries, messages))
    findings = sorted(to_finding(entry) for entry in entries if is_finding(entry))
    warnings = messages + [_note_text(entry) for entry in entries if _is_plugin_note(entry)]
    errors = [error_key(entry) for entry in entries if entry.get("severity") == "error"]
    return ScanResult(findings, files_checked, warnings, errors)


def mypy_arguments(request: ScanRequest) -> list[str]:
    """mypy's command line: the user's extra arguments may override the first part."""
    return [
        "--config-file",
        str(request.config_file),
        "--cache-dir",
        request.cache_dir,
        "--check-untyped-defs",
        *request.mypy_args,
        "--output",
        "json",
        "--show-error-codes",
        "--hide-error-context",
        "--no-error-summary",
        "--no-pretty",
        "--no-color-output",
        *request.paths,
    ]


def count_sources(args: list[str], request: ScanRequest) -> int:
    """How many files mypy will check; a usage error in ``args`` fails the scan."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        sources, _ = process_options(args, stdout=stdout, stderr=stderr)
    except SystemExit:
        raise ScanFailed(_usage_message(_restore_names(stderr.getvalue(), request))) from None
    return len(sources)


def _usage_message(stderr: str) -> str:
    matches = list(_USAGE_ERROR.finditer(stderr))
    if not matches:
        return "mypy rejected the arguments:\n" + stderr.strip()
    message = matches[-1].group("message")
    if message.startswith("Missing target"):
        return "nothing to scan: give files or directories, or set `files` in the mypy config"
    return f"mypy: {message}"


def _run_mypy(args: list[str]) -> tuple[str, str, int]:
    try:
        return api.run(args)
    except Exception as exc:
        if os.environ.get("MYPY_AWAIT_PLUGIN_DEBUG"):
            raise
        raise ScanFailed(f"mypy failed: {type(exc).__name__}: {exc}") from None


def _restore_names(text: str, request: ScanRequest) -> str:
    """``text`` naming the user's config instead of the generated copy."""
    return text.replace(str(request.config_file), request.config_name)


def parse_output(stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    """mypy's JSON lines, and the other lines it printed (config warnings)."""
    entries: list[dict[str, Any]] = []
    other: list[str] = []
    for line in _lines(stdout):
        entry = _json_object(line)
        if entry is None:
            other.append(line)
        else:
            entries.append(entry)
    return entries, other


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def is_finding(entry: dict[str, Any]) -> bool:
    return entry.get("severity") == "error" and entry.get("code") in AWAIT_CODES


def to_finding(entry: dict[str, Any]) -> Finding:
    """An error entry as a finding; mypy's columns are 0-based, end columns exclusive."""
    line = max(int(entry.get("line", 1)), 1)
    column = max(int(entry.get("column", 0)), 0) + 1
    end_line = int(entry.get("end_line", -1))
    end_column = int(entry.get("end_column", -1))
    if end_line < line or (end_line == line and end_column < column):
        end_line, end_column = line, column
    hint = entry.get("hint")
    notes = tuple(hint.split("\n")) if isinstance(hint, str) and hint else ()
    return Finding(
        file=str(entry.get("file", "")),
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        code=str(entry["code"]),
        message=str(entry.get("message", "")),
        notes=notes,
    )


def error_key(entry: dict[str, Any]) -> ErrorKey:
    """An error without its column: fixes insert text within lines, never lines."""
    code = entry.get("code")
    return (
        str(entry.get("file", "")),
        int(entry.get("line", -1)),
        str(code) if code else "",
        str(entry.get("message", "")),
    )


def _is_plugin_note(entry: dict[str, Any]) -> bool:
    message = entry.get("message")
    return (
        entry.get("severity") == "note"
        and isinstance(message, str)
        and message.startswith(PLUGIN_NOTE_PREFIX)
    )


def _note_text(entry: dict[str, Any]) -> str:
    return f"{entry.get('file')}:{entry.get('line')}: note: {entry.get('message')}"


def _error_text(entry: dict[str, Any]) -> str:
    line = entry.get("line", -1)
    file = entry.get("file")
    where = f"{file}:{line}" if isinstance(line, int) and line > 0 else str(file)
    code = entry.get("code")
    suffix = f"  [{code}]" if code else ""
    return f"{where}: {entry.get('severity')}: {entry.get('message')}{suffix}"


def _blocking_message(entries: list[dict[str, Any]], messages: list[str]) -> str:
    details = [_error_text(entry) for entry in entries if entry.get("severity") == "error"]
    details.extend(messages)
    head = "mypy stopped before checking the code (nothing was scanned)"
    if not details:
        return head
    return head + ":\n" + "\n".join(details)
