"""How a scan shows its findings: text like mypy's, JSON, GitHub annotations, or SARIF
(``sarif``).

Lines and columns are 1-based in every format (mypy's own JSON output uses 0-based
columns); ``end_line``/``end_column`` point at the last character of the expression.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mypy_await_plugin.scan.findings import Finding

FORMATS: Final = ("text", "json", "github", "sarif")


@dataclass(frozen=True)
class Summary:
    files_checked: int
    findings: list[Finding]
    #: Whether a baseline was applied, how many findings it knew, how many it lists
    #: that were not seen any more.
    baseline: bool = False
    known: int = 0
    stale: int = 0
    by_code: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        counts = Counter(finding.code for finding in self.findings)
        object.__setattr__(self, "by_code", dict(sorted(counts.items())))


def render(output_format: str, summary: Summary) -> str:
    if output_format == "json":
        return json_document(summary)
    if output_format == "sarif":
        from mypy_await_plugin.scan.sarif import sarif_document

        return sarif_document(summary.findings, Path.cwd())
    github = output_format == "github"
    lines = github_lines(summary.findings) if github else text_lines(summary.findings)
    return "\n".join([*lines, summary_line(summary)])


def text_lines(findings: list[Finding]) -> list[str]:
    lines: list[str] = []
    for finding in findings:
        where = f"{finding.file}:{finding.line}:{finding.column}"
        lines.append(f"{where}: error: {finding.message}  [{finding.code}]")
        lines.extend(f"{where}: note: {note}" for note in finding.notes)
    return lines


def github_lines(findings: list[Finding]) -> list[str]:
    """Workflow commands that annotate the lines in a pull request."""
    lines: list[str] = []
    for finding in findings:
        properties = {
            "file": finding.file,
            "line": finding.line,
            "col": finding.column,
            "endLine": finding.end_line,
            "endColumn": finding.end_column,
            "title": finding.code,
        }
        head = ",".join(f"{name}={_property(str(value))}" for name, value in properties.items())
        text = "\n".join([finding.message, *finding.notes])
        lines.append(f"::error {head}::{_data(text)}")
    return lines


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def json_document(summary: Summary) -> str:
    document = {
        "findings": [finding.to_data() for finding in summary.findings],
        "summary": {
            "files_checked": summary.files_checked,
            "findings": len(summary.findings),
            "by_code": summary.by_code,
            "baseline_known": summary.known,
            "baseline_stale": summary.stale,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def summary_line(summary: Summary) -> str:
    """One line, like mypy's: ``Found 2 await findings in 1 file (checked 3 source
    files): discarded-awaitable 1, unused-coroutine 1``."""
    new = "new " if summary.baseline else ""
    checked = f"checked {plural(summary.files_checked, 'source file')}{_baseline_note(summary)}"
    count = len(summary.findings)
    if not count:
        return f"No {new}await findings ({checked})"
    files = len({finding.file for finding in summary.findings})
    by_code = ", ".join(f"{code} {number}" for code, number in summary.by_code.items())
    found = plural(count, f"{new}await finding")
    return f"Found {found} in {plural(files, 'file')} ({checked}): {by_code}"


def _baseline_note(summary: Summary) -> str:
    note = ""
    if summary.known:
        note += f"; {summary.known} known from the baseline"
    if summary.stale:
        entries = "entry" if summary.stale == 1 else "entries"
        note += f"; {summary.stale} baseline {entries} no longer found"
    return note


def plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
