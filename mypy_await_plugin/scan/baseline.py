"""Known findings recorded in a file, so that a scan reports only new ones.

A finding's key is its file (relative to the baseline file's directory), its code,
its message and the text of its source line without surrounding whitespace; never a
line number, so edits elsewhere in the file move a finding without changing its key.
Equal keys are counted: a baseline that knows one ``self.flush()`` finding in a file
still reports a second, new one with the same text.
"""

from __future__ import annotations

import json
import linecache
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mypy_await_plugin.scan.findings import Finding

FORMAT_VERSION: Final = 1
_FIELDS: Final = ("file", "code", "message", "source")

#: file, code, message, source line text.
Key = tuple[str, str, str, str]


class BaselineError(Exception):
    """The baseline file cannot be read or written; the message says why."""


@dataclass(frozen=True)
class Split:
    """Findings against a baseline."""

    new: list[Finding]
    #: Findings the baseline knows (not reported).
    known: int
    #: Recorded findings not seen any more: fixed, or their line changed.
    stale: int


def finding_key(finding: Finding, root: Path) -> Key:
    path = os.path.abspath(finding.file)
    try:
        relative = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        relative = path
    source = linecache.getline(path, finding.line).strip()
    return (Path(relative).as_posix(), finding.code, finding.message, source)


def split(findings: list[Finding], known: Counter[Key], root: Path) -> Split:
    remaining = Counter(known)
    new: list[Finding] = []
    for finding in findings:
        key = finding_key(finding, root)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(finding)
    return Split(new, len(findings) - len(new), sum(remaining.values()))


def read_baseline(path: Path) -> Counter[Key]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file '{path}' not found (create it with --write-baseline)"
        ) from None
    except (OSError, ValueError) as err:
        raise BaselineError(f"cannot read baseline file '{path}': {err}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BaselineError(f"'{path}' is not a mypy-await baseline (no \"findings\" list)")
    counts: Counter[Key] = Counter()
    for entry in entries:
        key, count = _entry(entry, path)
        counts[key] += count
    return counts


def _entry(entry: Any, path: Path) -> tuple[Key, int]:
    if isinstance(entry, dict):
        values = [entry.get(name) for name in _FIELDS]
        count = entry.get("count", 1)
        if all(isinstance(value, str) for value in values) and _is_count(count):
            file, code, message, source = (str(value) for value in values)
            return (file, code, message, source), count
    raise BaselineError(f"'{path}': malformed baseline entry: {json.dumps(entry)}")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def write_baseline(path: Path, findings: list[Finding]) -> None:
    root = path.absolute().parent
    counts = Counter(finding_key(finding, root) for finding in findings)
    entries = [
        {**dict(zip(_FIELDS, key, strict=True)), "count": count}
        for key, count in sorted(counts.items())
    ]
    document = {"version": FORMAT_VERSION, "tool": "mypy-await", "findings": entries}
    try:
        path.write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except OSError as err:
        raise BaselineError(f"cannot write baseline file '{path}': {err}") from None
