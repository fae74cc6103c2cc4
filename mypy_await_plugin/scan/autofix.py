"""``--fix`` and ``--diff``: fixes planned, verified by mypy, then written or shown.

The scan's findings (with a baseline, only the new ones) -> ``fixes.plan`` per file ->
mypy checks the edited texts again, given as shadow files, so that the user's files
stay untouched until the end -> a fix whose finding did not disappear, or near which
a new error of any code appeared (mypy's own included), is rolled back and the rest
is checked again -> the kept edits are written (``--fix``) or printed as a unified
diff (``--diff``), with what was fixed and what is left, per code.
"""

from __future__ import annotations

import difflib
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from mypy_await_plugin.scan import baseline, report
from mypy_await_plugin.scan.findings import Finding
from mypy_await_plugin.scan.fixes import Edit, Skipped, SourceFile, plan
from mypy_await_plugin.scan.runner import ErrorKey, ScanResult

#: Checks of the edited code before the fixes still in doubt are all rolled back.
MAX_ROUNDS: Final = 4

#: Runs the scan again with extra mypy arguments.
Rescan = Callable[[list[str]], ScanResult]


@dataclass(frozen=True)
class Known:
    """A baseline: its findings and the directory its paths are relative to."""

    findings: Counter[baseline.Key]
    root: Path


@dataclass
class Outcome:
    """The verified fixes, the scan of the code with them, and why the rest is left."""

    sources: dict[Path, SourceFile]
    edits: dict[Path, list[Edit]]
    result: ScanResult
    reasons: dict[ErrorKey, str] = field(default_factory=dict)

    @property
    def kept(self) -> list[Edit]:
        return [edit for edits in self.edits.values() for edit in edits]


def run(result: ScanResult, known: Known | None, rescan: Rescan, *, write: bool, fmt: str) -> int:
    """``--fix`` (``write``) or ``--diff``; returns the exit status."""
    outcome = fix(_new_findings(result.findings, known), result, rescan)
    left = _left(outcome, known)
    if write:
        _write(outcome)
        return _report_fixed(outcome, left, fmt)
    return _report_diff(outcome, left)


def fix(findings: list[Finding], result: ScanResult, rescan: Rescan) -> Outcome:
    outcome = Outcome({}, {}, result)
    for file, group in _by_file(findings).items():
        source = SourceFile.read(Path(file))
        if isinstance(source, str):
            _skip(outcome, (Skipped(finding, source) for finding in group))
            continue
        edits, skipped = plan(source, group)
        _skip(outcome, skipped)
        if edits:
            outcome.sources[source.path] = source
            outcome.edits[source.path] = edits
    _verify(outcome, rescan)
    return outcome


def _new_findings(findings: list[Finding], known: Known | None) -> list[Finding]:
    if known is None:
        return findings
    return baseline.split(findings, known.findings, known.root).new


def _by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.file, []).append(finding)
    return grouped


def _skip(outcome: Outcome, skipped: Iterable[Skipped]) -> None:
    for item in skipped:
        outcome.reasons.setdefault(_key(item.finding), item.reason)


def _key(finding: Finding) -> ErrorKey:
    return (finding.file, finding.line, finding.code, finding.message)


# Verification.


def _verify(outcome: Outcome, rescan: Rescan) -> None:
    before = outcome.result
    with tempfile.TemporaryDirectory(prefix="mypy-await-fix-") as directory:
        for round_ in range(MAX_ROUNDS):
            if not outcome.kept:
                outcome.result = before
                return
            shadows = _shadow_files(outcome, Path(directory) / str(round_))
            after = rescan(shadows)
            rejected = _rejected(before, after, outcome.kept)
            if not rejected:
                outcome.result = after
                return
            for edit in rejected:
                outcome.reasons[_key(edit.finding)] = rejected[edit]
            outcome.edits = {
                path: [edit for edit in edits if edit not in rejected]
                for path, edits in outcome.edits.items()
            }
    for edit in outcome.kept:
        outcome.reasons[_key(edit.finding)] = "mypy did not settle on the fixes"
    outcome.edits = {}
    outcome.result = before


def _shadow_files(outcome: Outcome, directory: Path) -> list[str]:
    """mypy arguments that make it read the edited texts instead of the files."""
    args: list[str] = []
    for number, (path, edits) in enumerate(outcome.edits.items()):
        if not edits:
            continue
        source = outcome.sources[path]
        shadow = directory / str(number) / path.name
        shadow.parent.mkdir(parents=True)
        shadow.write_bytes(source.encoded(source.apply(edits)))
        args += ["--shadow-file", str(path), str(shadow)]
    return args


def _rejected(before: ScanResult, after: ScanResult, edits: list[Edit]) -> dict[Edit, str]:
    """The edits to roll back, and why: their finding is still there, or a new error
    appeared on a line they may change (in a file where none of them can be blamed,
    all of the file's edits; in another file, all edits)."""
    errors_before, errors_after = Counter(before.errors), Counter(after.errors)
    fixing = Counter(_key(edit.finding) for edit in edits)
    rejected: dict[Edit, str] = {}
    for edit in edits:
        key = _key(edit.finding)
        if errors_after[key] > errors_before[key] - fixing[key]:
            rejected[edit] = "the finding was still reported after the fix"
    for (file, line, code, message), _ in (errors_after - errors_before).items():
        in_file = [edit for edit in edits if edit.finding.file == file]
        blamed = [edit for edit in in_file if line in edit.lines] or in_file or edits
        for edit in blamed:
            where = f"line {line}" if file == edit.finding.file else file
            suffix = f"  [{code}]" if code else ""
            rejected.setdefault(edit, f"the fix adds an error on {where}: {message}{suffix}")
    return rejected


# Results.


def _left(outcome: Outcome, known: Known | None) -> report.Summary:
    """The findings left after the fixes, each with a note saying why it was not
    fixed. The baseline keys read the files' lines as they were before (``linecache``
    keeps the text the first split read), so known findings stay known."""
    result = outcome.result
    findings = [_with_reason(finding, outcome.reasons) for finding in result.findings]
    if known is None:
        return report.Summary(result.files_checked, findings)
    split = baseline.split(findings, known.findings, known.root)
    return report.Summary(result.files_checked, split.new, True, split.known, split.stale)


def _with_reason(finding: Finding, reasons: dict[ErrorKey, str]) -> Finding:
    reason = reasons.get(_key(finding))
    if reason is None:
        return finding
    return replace(finding, notes=(*finding.notes, f"Not fixed: {reason}"))


def _write(outcome: Outcome) -> None:
    for path, edits in outcome.edits.items():
        source = outcome.sources[path]
        if edits and path.read_bytes() == source.encoded(source.text):
            path.write_bytes(source.encoded(source.apply(edits)))
        elif edits:  # changed while the scan ran: nothing is written over it
            print(f"{path}: changed during the scan; not fixed", file=sys.stderr)
            outcome.edits[path] = []


def _report_fixed(outcome: Outcome, left: report.Summary, fmt: str) -> int:
    fixed = [*_fixed_lines(outcome, "fixed"), _fixed_summary(outcome, "Fixed", "fixed")]
    if fmt == "text":
        lines = [*fixed, *report.text_lines(left.findings), report.summary_line(left)]
        print("\n".join(lines))
    else:
        print("\n".join(fixed), file=sys.stderr)
        print(report.render(fmt, left))
    return 1 if left.findings else 0


def _report_diff(outcome: Outcome, left: report.Summary) -> int:
    diff = b"".join(_diff(outcome.sources[path], edits) for path, edits in outcome.edits.items())
    # Bytes: each file's lines in its own encoding and with its own line endings, so
    # that ``patch`` applies the diff.
    sys.stdout.flush()
    sys.stdout.buffer.write(diff)
    sys.stdout.buffer.flush()
    summary = _fixed_summary(outcome, "Would fix", "to fix")
    lines = [*_fixed_lines(outcome, "would fix"), summary]
    print("\n".join([*lines, report.summary_line(left)]), file=sys.stderr)
    return 1 if diff else 0


def _fixed_lines(outcome: Outcome, verb: str) -> list[str]:
    lines = []
    for edit in sorted(outcome.kept, key=lambda e: e.finding):
        finding = edit.finding
        source = outcome.sources[Path(finding.file)]
        text = edit.prefix + source.text[edit.start : edit.end] + edit.suffix
        first, *rest = text.splitlines()
        shown = f"{first} ..." if rest else first
        where = f"{finding.file}:{finding.line}:{finding.column}"
        lines.append(f"{where}: {verb}: {shown}  [{finding.code}]")
    return lines


def _fixed_summary(outcome: Outcome, verb: str, nothing: str) -> str:
    kept = outcome.kept
    if not kept:
        return f"No await findings {nothing}"
    files = len({edit.finding.file for edit in kept})
    by_code = Counter(edit.finding.code for edit in kept)
    codes = ", ".join(f"{code} {number}" for code, number in sorted(by_code.items()))
    found = report.plural(len(kept), "await finding")
    return f"{verb} {found} in {report.plural(files, 'file')}: {codes}"


def _diff(source: SourceFile, edits: list[Edit]) -> bytes:
    if not edits:
        return b""
    name = source.path.as_posix()
    before, after = _lines(source.text), _lines(source.apply(edits))
    diff = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
    head = [next(diff), next(diff)]  # the file names, in UTF-8 like the terminal's
    parts: list[str] = []
    for line in diff:
        parts.append(line)
        if not line.endswith(("\n", "\r")):
            parts.append("\n\\ No newline at end of file\n")
    encoding = "utf-8" if source.encoding == "utf-8-sig" else source.encoding
    return "".join(head).encode("utf-8") + "".join(parts).encode(encoding)


def _lines(text: str) -> list[str]:
    """Lines with their own endings (``\\r\\n`` kept), as Python splits them."""
    lines: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if char == "\n" or (char == "\r" and text[index + 1 : index + 2] != "\n"):
            lines.append(text[start : index + 1])
            start = index + 1
    if start < len(text):
        lines.append(text[start:])
    return lines
