"""``--fix`` and ``--diff``: fixes planned, verified by mypy, then written or shown.

The scan's findings (with a baseline, only the new ones) -> ``fixes.plan`` per file ->
mypy checks the edited texts again, given as shadow files, so that the user's files
stay untouched until the end -> a fix whose finding did not disappear, or near which
a new error of any code appeared (mypy's own included), is rolled back and the rest
is checked again -> the kept edits are written (``--fix``) or printed as a unified
diff (``--diff``), with what was fixed and what is left, per code. mypy shows one of
equal messages on a line, so a verified fix can bring another finding to light: a
further pass plans and verifies again, on the texts as the fixes left them.
"""

from __future__ import annotations

import difflib
import re
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
from mypy_await_plugin.scan.runner import ErrorKey, ScanFailed, ScanResult

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
#: Checks of the edited code in one pass before the fixes still in doubt are all
#: rolled back.
MAX_ROUNDS: Final = 4
#: Passes: fixes can bring findings to light (mypy shows one of equal messages on a
#: line), which the next pass fixes.
MAX_PASSES: Final = 3

#: Runs the scan again with extra mypy arguments.
Rescan = Callable[[list[str]], ScanResult]


#: What one pass changed in a file: (offset in the text before the pass, characters
#: removed there, characters inserted instead).
Changes = list[tuple[int, int, int]]


@dataclass(frozen=True)
class Known:
    """A baseline: its findings and the directory its paths are relative to."""

    findings: Counter[baseline.Key]
    root: Path


@dataclass(frozen=True)
class Fixed:
    finding: Finding
    #: The awaited expression as written (``await repo.save(user)``).
    text: str


@dataclass
class Outcome:
    """The files as read, their texts with the verified fixes, the scan of that code,
    and why the findings left were not fixed."""

    originals: dict[Path, SourceFile]
    texts: dict[Path, str]
    fixed: list[Fixed]
    result: ScanResult
    reasons: dict[ErrorKey, str] = field(default_factory=dict)
    #: What each pass inserted in each file, to map positions back to the original.
    passes: dict[Path, list[Changes]] = field(default_factory=dict)
    #: The size of each file's text as mypy last read it (see ``_shadow_files``).
    sizes: dict[Path, int] = field(default_factory=dict)


def run(result: ScanResult, known: Known | None, rescan: Rescan, *, write: bool, fmt: str) -> int:
    """``--fix`` (``write``) or ``--diff``; returns the exit status."""
    outcome = fix(result, known, rescan)
    if write:
        _write(outcome)
        # The findings left point into the files as now written.
        return _report_fixed(outcome, _left(outcome, known, outcome.result.findings), fmt)
    # The files are as they were: the findings left point into them.
    left = [_in_original(outcome, finding) for finding in outcome.result.findings]
    return _report_diff(outcome, _left(outcome, known, left))


def fix(result: ScanResult, known: Known | None, rescan: Rescan) -> Outcome:
    outcome = Outcome({}, {}, [], result)
    with tempfile.TemporaryDirectory(prefix="mypy-await-fix-") as directory:
        for number in range(MAX_PASSES):
            findings = [
                finding
                for finding in _new_findings(outcome.result.findings, known)
                if _key(finding) not in outcome.reasons
            ]
            planned = _plan(outcome, findings)
            if not planned or not _verify(outcome, planned, rescan, Path(directory, str(number))):
                break
    return outcome


def _new_findings(findings: list[Finding], known: Known | None) -> list[Finding]:
    if known is None:
        return findings
    return baseline.split(findings, known.findings, known.root).new


def _plan(outcome: Outcome, findings: list[Finding]) -> dict[Path, tuple[SourceFile, list[Edit]]]:
    """The edits for ``findings``, on the texts as the fixes so far left them."""
    planned: dict[Path, tuple[SourceFile, list[Edit]]] = {}
    for file, group in _by_file(findings).items():
        source = _current(outcome, Path(file))
        if isinstance(source, str):
            _skip(outcome, (Skipped(finding, source) for finding in group))
            continue
        edits, skipped = plan(source, group)
        _skip(outcome, skipped)
        if edits:
            planned[source.path] = (source, edits)
    return planned


def _current(outcome: Outcome, path: Path) -> SourceFile | str:
    original = outcome.originals.get(path)
    if original is None:
        read = SourceFile.read(path)
        if isinstance(read, str):
            return read
        original = outcome.originals[path] = read
    text = outcome.texts.get(path)
    if text is None:
        return original
    return SourceFile.parse(path, original.encoding, text)


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


def _verify(
    outcome: Outcome,
    planned: dict[Path, tuple[SourceFile, list[Edit]]],
    rescan: Rescan,
    directory: Path,
) -> bool:
    """Check the planned edits with mypy, roll back the ones it does not confirm, and
    record the rest in ``outcome``; whether any was kept."""
    before = outcome.result
    edits = {path: list(edits) for path, (_, edits) in planned.items()}
    for number in range(MAX_ROUNDS):
        kept = [edit for group in edits.values() for edit in group]
        if not kept:
            return False
        texts = {path: planned[path][0].apply(group) for path, group in edits.items() if group}
        try:
            after = rescan(
                _shadow_files(outcome, {**outcome.texts, **texts}, directory / str(number))
            )
        except ScanFailed as failed:
            # The code as it was could be checked: the edits are to blame.
            first = next(iter(str(failed).splitlines()), "")
            reason = f"mypy could not check the fixed code: {first}"
            for edit in kept:
                outcome.reasons[_key(edit.finding)] = reason
            return False
        rejected = _rejected(before, after, kept)
        if not rejected:
            outcome.texts.update(texts)
            for path, group in edits.items():
                _record(outcome, path, planned[path][0], group)
            outcome.result = after
            return True
        for edit, reason in rejected.items():
            outcome.reasons[_key(edit.finding)] = reason
        edits = {path: [e for e in group if e not in rejected] for path, group in edits.items()}
    for group in edits.values():
        for edit in group:
            outcome.reasons[_key(edit.finding)] = "mypy did not settle on the fixes"
    return False


def _record(outcome: Outcome, path: Path, source: SourceFile, edits: list[Edit]) -> None:
    """Kept ``edits`` of ``source``: shown at the finding's column in the original."""
    passes = outcome.passes.setdefault(path, [])
    original = outcome.originals[path].text
    for edit in edits:
        line = edit.finding.line
        column = edit.start - _line_start(source.text, line)
        before = _original_offset(passes, edit.start) - _line_start(original, line)
        finding = replace(edit.finding, column=edit.finding.column - (column - before))
        outcome.fixed.append(Fixed(finding, edit.text(source)))
    changes = [(edit.head, edit.start - edit.head, len(edit.prefix)) for edit in edits]
    changes += [(edit.end, 0, len(edit.suffix)) for edit in edits if edit.suffix]
    passes.append(changes)


def _original_offset(passes: list[Changes], offset: int) -> int:
    """Where ``offset`` of the text after ``passes`` was before them."""
    for changes in reversed(passes):
        offset = _before_changes(changes, offset)
    return offset


def _before_changes(changes: Changes, offset: int) -> int:
    shift = 0  # how much later than before the text after the changes so far stands
    for start, removed, added in sorted(changes):
        moved = start + shift
        if offset < moved:
            break
        if offset < moved + added:  # inside inserted text: where it went in
            return start
        shift += added - removed
    return offset - shift


def _shadow_files(outcome: Outcome, texts: dict[Path, str], directory: Path) -> list[str]:
    """mypy arguments that make it read the edited texts instead of the files.

    mypy trusts its cache for a file whose size it has seen before without reading
    the text it is given (2.4.1 hashes the file a shadow stands for, and the clock
    may not tell two writes apart): a text of the size of the file, or of the text
    it checked last, would get that text's errors. Such a text gets a line end more
    at its end, which changes no error."""
    args: list[str] = []
    for path, source in outcome.originals.items():
        size = len(source.encoded(source.text))
        text = texts.get(path)
        if text is None:
            outcome.sizes[path] = size
            continue
        data = source.encoded(text)
        while len(data) in (size, outcome.sizes.get(path, size)):
            data += source.encoded("\n")
        shadow = directory / str(len(args)) / path.name
        shadow.parent.mkdir(parents=True)
        shadow.write_bytes(data)
        outcome.sizes[path] = len(data)
        args += ["--shadow-file", str(path), str(shadow)]
    return args


def _rejected(before: ScanResult, after: ScanResult, edits: list[Edit]) -> dict[Edit, str]:
    """The edits to roll back, and why: their finding is still there, or a new error
    appeared on a line they may change (in a file where none of them can be blamed,
    all of the file's edits; in another file, all edits).

    mypy shows one of equal messages on a line: two ``if ok() and ok():`` findings
    are one error. After a fix that named its node exactly, the same error may stay
    for the other one; it is fixed in the next pass."""
    errors_before, errors_after = Counter(before.errors), Counter(after.errors)
    fixing = Counter(_key(edit.finding) for edit in edits)
    rejected: dict[Edit, str] = {}
    for edit in edits:
        key = _key(edit.finding)
        if errors_after[key] <= errors_before[key] - fixing[key]:
            continue
        if edit.exact and errors_after[key] <= errors_before[key] and not _still_at(after, edit):
            continue  # another node's equal message, shown once before
        rejected[edit] = "the finding was still reported after the fix"
    for (file, line, code, message), _ in (errors_after - errors_before).items():
        in_file = [edit for edit in edits if edit.finding.file == file]
        blamed = [edit for edit in in_file if line in edit.lines] or in_file or edits
        for edit in blamed:
            where = f"line {line}" if file == edit.finding.file else file
            suffix = f"  [{code}]" if code else ""
            rejected.setdefault(edit, f"the fix adds an error on {where}: {message}{suffix}")
    return rejected


def _still_at(after: ScanResult, edit: Edit) -> bool:
    """Whether ``after`` reports the edit's finding where it was: the edit moved its
    node, so that is not another node's report."""
    found = edit.finding
    return any(
        _key(finding) == _key(found) and finding.column == found.column
        for finding in after.findings
    )


# Results.


def _left(outcome: Outcome, known: Known | None, left: list[Finding]) -> report.Summary:
    """The findings ``left`` after the fixes, each with a note saying why it was not
    fixed. The baseline keys read the files' lines as they were before (``linecache``
    keeps the text the first split read), so known findings stay known."""
    result = outcome.result
    findings = [_with_reason(finding, outcome.reasons) for finding in left]
    if known is None:
        return report.Summary(result.files_checked, findings)
    split = baseline.split(findings, known.findings, known.root)
    return report.Summary(result.files_checked, split.new, True, split.known, split.stale)


def _in_original(outcome: Outcome, finding: Finding) -> Finding:
    """``finding`` of the fixed text, at its column in the original text."""
    path = Path(finding.file)
    passes, text = outcome.passes.get(path), outcome.texts.get(path)
    if not passes or text is None:
        return finding
    offset = _line_start(text, finding.line) + finding.column - 1
    original = outcome.originals[path].text
    column = _original_offset(passes, offset) - _line_start(original, finding.line) + 1
    return replace(finding, column=column)


def _line_start(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        found = _LINE_BREAK.search(text, offset)
        if found is None:
            break
        offset = found.end()
    return offset


def _with_reason(finding: Finding, reasons: dict[ErrorKey, str]) -> Finding:
    reason = reasons.get(_key(finding))
    if reason is None:
        return finding
    return replace(finding, notes=(*finding.notes, f"Not fixed: {reason}"))


def _write(outcome: Outcome) -> None:
    for path, text in list(outcome.texts.items()):
        original = outcome.originals[path]
        if path.read_bytes() != original.encoded(original.text):
            # Changed while the scan ran: nothing is written over it.
            print(f"{path}: changed during the scan; not fixed", file=sys.stderr)
            del outcome.texts[path]
            outcome.fixed = [item for item in outcome.fixed if Path(item.finding.file) != path]
            continue
        path.write_bytes(original.encoded(text))


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
    diff = b"".join(
        _diff(outcome.originals[path], text) for path, text in sorted(outcome.texts.items())
    )
    # Bytes: each file's lines in its own encoding and with its own line endings, so
    # that ``patch`` applies the diff.
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stream (tests calling ``main``)
        sys.stdout.write(diff.decode("utf-8", "replace"))
    else:
        stream.write(diff)
        stream.flush()
    summary = _fixed_summary(outcome, "Would fix", "to fix")
    lines = [*_fixed_lines(outcome, "would fix"), summary]
    print("\n".join([*lines, report.summary_line(left)]), file=sys.stderr)
    return 1 if diff else 0


def _fixed_lines(outcome: Outcome, verb: str) -> list[str]:
    lines = []
    for item in sorted(outcome.fixed, key=lambda fixed: fixed.finding):
        finding = item.finding
        first, *rest = item.text.splitlines()
        shown = f"{first} ..." if rest else first
        where = f"{finding.file}:{finding.line}:{finding.column}"
        lines.append(f"{where}: {verb}: {shown}  [{finding.code}]")
    return lines


def _fixed_summary(outcome: Outcome, verb: str, nothing: str) -> str:
    fixed = outcome.fixed
    if not fixed:
        return f"No await findings {nothing}"
    files = len({item.finding.file for item in fixed})
    by_code = Counter(item.finding.code for item in fixed)
    codes = ", ".join(f"{code} {number}" for code, number in sorted(by_code.items()))
    found = report.plural(len(fixed), "await finding")
    return f"{verb} {found} in {report.plural(files, 'file')}: {codes}"


def _diff(source: SourceFile, text: str) -> bytes:
    name = source.path.as_posix()
    diff = difflib.unified_diff(_lines(source.text), _lines(text), f"a/{name}", f"b/{name}")
    head = [next(diff, ""), next(diff, "")]  # the file names, in UTF-8 like the terminal's
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
