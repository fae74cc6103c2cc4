"""Precision audit: every plugin finding on the real-world corpus, next to mypy's opt-ins.

Usage::

    python benchmarks/audit.py                 # the audit corpus
    python benchmarks/audit.py --crash         # the larger crash-scan corpus
    python benchmarks/audit.py --users         # the users' corpus
    python benchmarks/audit.py --plugin-only   # skip the plain run (triage)
    python benchmarks/audit.py --json out.json --markdown out.md

Two cold runs (``--no-incremental``, so no cached result of an older plugin is
replayed) on the same packages:

1. mypy with the plugin (``plugin.ini``): every finding of the plugin's codes and of
   mypy's own ``unused-coroutine``, and any "internal error" note of the plugin;
2. plain mypy (``plain.ini``, no plugin) with ``--enable-error-code unused-awaitable
   --enable-error-code truthy-bool``: how many findings mypy's opt-in checks give
   (left out with ``--plugin-only``, for quicker re-runs while triaging).

It prints a markdown report (counts per package side by side, then the list of
plugin findings) and writes it, with the raw findings as JSON, under
``benchmarks/.work/audit/`` unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from corpus import WORK_DIR, Corpus, ensure_corpus, mypy_command, parse_json_output, run_measured

from mypy_await_plugin.errorcodes import ALL_CODES

PLUGIN_CODES: Final = tuple(code.code for code in ALL_CODES)
#: What the plugin run lists: the plugin's codes and mypy's own coroutine check.
AUDITED_CODES: Final = (*PLUGIN_CODES, "unused-coroutine")
#: mypy's opt-in checks, counted on the plain run.
OPT_IN_CODES: Final = ("unused-awaitable", "truthy-bool")
INTERNAL_ERROR: Final = "mypy-await-plugin: internal error"


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None
    source: str

    @property
    def package(self) -> str:
        return self.file.split("/", 1)[0]

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class AuditResult:
    corpus: str
    packages: tuple[str, ...]
    lines: dict[str, int]
    plugin_findings: list[Finding]
    internal_errors: list[Finding]
    opt_in_findings: list[Finding]
    plugin_seconds: float
    #: None when the plain run was left out (``--plugin-only``).
    plain_seconds: float | None
    mypy_crashed: list[str]


def run_audit(corpus: Corpus, *, plain: bool = True) -> AuditResult:
    cache = WORK_DIR / "cache"
    plugin_run = run_measured(
        mypy_command(
            corpus.config(plugin=True), cache / "audit-plugin", "--no-incremental", "-O", "json"
        ),
        cwd=corpus.directory,
    )
    runs = [("plugin", plugin_run)]
    if plain:
        plain_flags = ["--no-incremental", "-O", "json"]
        for code in OPT_IN_CODES:
            plain_flags += ["--enable-error-code", code]
        plain_run = run_measured(
            mypy_command(corpus.config(plugin=False), cache / "audit-plain", *plain_flags),
            cwd=corpus.directory,
        )
        runs.append(("plain", plain_run))
    crashed = [
        f"{name}: exit {run.returncode}: {run.stderr.strip()[-2000:]}"
        for name, run in runs
        if run.returncode not in (0, 1)
    ]
    plugin_messages = _findings(corpus, parse_json_output(plugin_run.stdout))
    plain_messages = _findings(corpus, parse_json_output(plain_run.stdout)) if plain else []
    return AuditResult(
        corpus=corpus.name,
        packages=corpus.packages,
        lines=corpus.line_counts(),
        plugin_findings=[f for f in plugin_messages if f.code in AUDITED_CODES],
        internal_errors=[f for f in plugin_messages if INTERNAL_ERROR in f.message],
        opt_in_findings=[
            f for f in plain_messages if f.code in (*OPT_IN_CODES, "unused-coroutine")
        ],
        plugin_seconds=plugin_run.seconds,
        plain_seconds=plain_run.seconds if plain else None,
        mypy_crashed=crashed,
    )


def _findings(corpus: Corpus, messages: Iterable[dict[str, object]]) -> list[Finding]:
    found: list[Finding] = []
    for message in messages:
        file = str(message["file"])
        line = int(str(message["line"]))
        found.append(
            Finding(
                file=file,
                line=line,
                column=int(str(message["column"])),
                code=str(message["code"]),
                message=str(message["message"]),
                hint=None if message.get("hint") is None else str(message["hint"]),
                source=_source_line(corpus.directory / file, line),
            )
        )
    return sorted(found, key=lambda f: (f.file, f.line, f.column, f.code))


def _source_line(path: Path, line: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# Reporting.


def to_markdown(result: AuditResult) -> str:
    plugin = _count(result.plugin_findings)
    plain = _count(result.opt_in_findings)
    skipped = result.plain_seconds is None
    columns = [*AUDITED_CODES, *(f"{code} (plain)" for code in OPT_IN_CODES)]
    header = ["package", "lines", *(f"`{c}`" for c in columns)]
    rows = [header, ["---"] * len(header)]
    for package in (*result.packages, "total"):
        cells = [package, str(_lines(result, package))]
        cells += [str(plugin[package, code]) for code in AUDITED_CODES]
        cells += ["-" if skipped else str(plain[package, code]) for code in OPT_IN_CODES]
        rows.append(cells)
    out = [
        f"# Audit of `{result.corpus}`",
        "",
        "Plugin codes and `unused-coroutine` from mypy with the plugin; the `(plain)`"
        " columns from plain mypy with `--enable-error-code unused-awaitable"
        " --enable-error-code truthy-bool`. Both runs cold.",
        "",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Wall time: plugin run {result.plugin_seconds:.1f} s, {_plain_time(result)}.",
        f"Plugin internal errors: {len(result.internal_errors)}.",
    ]
    if result.mypy_crashed:
        out += ["", "mypy exited abnormally:", *(f"    {line}" for line in result.mypy_crashed)]
    out += ["", "## Plugin findings", ""]
    out += _finding_lines(f for f in result.plugin_findings if f.code in PLUGIN_CODES)
    out += ["", "## unused-coroutine (mypy)", ""]
    out += _finding_lines(f for f in result.plugin_findings if f.code == "unused-coroutine")
    out += ["", "## mypy's opt-in checks (plain mypy)", ""]
    if skipped:
        out += ["(plain run left out: `--plugin-only`)"]
    else:
        out += _finding_lines(f for f in result.opt_in_findings if f.code in OPT_IN_CODES)
    if result.internal_errors:
        out += ["", "## Internal errors", "", *_finding_lines(result.internal_errors)]
    return "\n".join(out) + "\n"


def _plain_time(result: AuditResult) -> str:
    if result.plain_seconds is None:
        return "plain run left out"
    return f"plain run {result.plain_seconds:.1f} s"


def _finding_lines(findings: Iterable[Finding]) -> list[str]:
    lines = [f"- `{f.location}` [{f.code}] {f.message}\n  `{f.source}`" for f in findings]
    return lines or ["(none)"]


def _count(findings: Iterable[Finding]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for finding in findings:
        counts[finding.package, finding.code] += 1
        counts["total", finding.code] += 1
    return counts


def _lines(result: AuditResult, package: str) -> int:
    if package == "total":
        return sum(result.lines.values())
    return result.lines.get(package, 0)


def to_json(result: AuditResult) -> str:
    data = asdict(result)
    data["counts"] = {
        "plugin": _flat_counts(result.plugin_findings),
        "plain_opt_in": _flat_counts(result.opt_in_findings),
    }
    return json.dumps(data, indent=2) + "\n"


def _flat_counts(findings: Iterable[Finding]) -> dict[str, int]:
    return dict(sorted(Counter(f.code for f in findings).items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--crash", action="store_true", help="audit the crash-scan corpus")
    which.add_argument("--users", action="store_true", help="audit the users' corpus")
    parser.add_argument(
        "--plugin-only", action="store_true", help="leave out the plain run (opt-in counts)"
    )
    parser.add_argument("--json", type=Path, help="where to write the JSON result")
    parser.add_argument("--markdown", type=Path, help="where to write the markdown report")
    args = parser.parse_args(argv)
    corpus = ensure_corpus(crash=args.crash, users=args.users)
    result = run_audit(corpus, plain=not args.plugin_only)
    out_dir = WORK_DIR / "audit"
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path: Path = args.json or out_dir / f"{corpus.name}.json"
    markdown_path: Path = args.markdown or out_dir / f"{corpus.name}.md"
    json_path.write_text(to_json(result))
    markdown = to_markdown(result)
    markdown_path.write_text(markdown)
    print(markdown)
    print(f"written: {json_path}, {markdown_path}")
    return 1 if result.internal_errors or result.mypy_crashed else 0


if __name__ == "__main__":
    sys.exit(main())
