"""Crash scan: the plugin with every check on over the audit and crash-scan corpora.

Usage::

    python benchmarks/crash_scan.py            # the full scan (four cold runs)
    python benchmarks/crash_scan.py --quick    # the audit corpus only

Runs mypy with the plugin on the crash-scan corpus (the audit corpus plus the
packages of ``requirements-crash.txt``) four times, each from an empty cache:

* one process (``--no-incremental``) and two workers (``-n 2``),
* each with ``MYPY_AWAIT_PLUGIN_DEBUG=1`` (a plugin exception takes mypy down with a
  traceback) and without it (the plugin turns it into an "internal error" note);
  the runs without it also enable mypy's ``unused-awaitable`` and ``truthy-bool``,
  which change the plugin's path through ``discarded-awaitable``.

Every plugin error code is enabled on the command line. Success is zero internal
error notes and no mypy crash (exit status other than 0 or 1). A summary is
printed and written, with the raw counts, under ``benchmarks/.work/crash-scan/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Final

from corpus import (
    CRASH_PACKAGES,
    WORK_DIR,
    Corpus,
    ensure_corpus,
    mypy_command,
    parse_json_output,
    plugin_env,
    run_measured,
)

from mypy_await_plugin.errorcodes import ALL_CODES

INTERNAL_ERROR: Final = "mypy-await-plugin: internal error"
OPT_IN_CODES: Final = ("unused-awaitable", "truthy-bool")


@dataclass(frozen=True)
class ScanRun:
    name: str
    command: list[str]
    debug: bool
    returncode: int
    seconds: float
    max_rss_kib: int
    internal_errors: list[str]
    crash: str | None
    plugin_counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.internal_errors and self.crash is None


def scan(corpus: Corpus, *, parallel: bool, debug: bool) -> ScanRun:
    name = f"{'-n 2' if parallel else 'serial'}, {'debug' if debug else 'notes'}"
    cache = WORK_DIR / "cache" / f"crash-{'n2' if parallel else 'serial'}-{int(debug)}"
    shutil.rmtree(cache, ignore_errors=True)
    flags = ["-O", "json"]
    flags += ["-n", "2"] if parallel else ["--no-incremental"]
    codes = [code.code for code in ALL_CODES]
    if not debug:
        codes += OPT_IN_CODES
    for code in codes:
        flags += ["--enable-error-code", code]
    command = mypy_command(corpus.config(plugin=True), cache, *flags)
    run = run_measured(command, cwd=corpus.directory, env=plugin_env(debug=debug))
    messages = parse_json_output(run.stdout)
    internal = [
        f"{m['file']}:{m['line']}: {m['message']}"
        for m in messages
        if INTERNAL_ERROR in str(m["message"])
    ]
    plugin_codes = {code.code for code in ALL_CODES}
    counts = Counter(str(m["code"]) for m in messages if m["code"] in plugin_codes)
    crash = None
    if run.returncode not in (0, 1):
        crash = f"exit {run.returncode}\n{run.stderr[-4000:]}\n{run.stdout[-2000:]}"
    return ScanRun(
        name,
        command,
        debug,
        run.returncode,
        run.seconds,
        run.max_rss_kib,
        internal,
        crash,
        dict(sorted(counts.items())),
    )


def to_markdown(corpus: Corpus, runs: Sequence[ScanRun]) -> str:
    lines = corpus.line_counts()
    beyond = sum(n for package, n in lines.items() if package in CRASH_PACKAGES)
    out = [
        f"# Crash scan of `{corpus.name}`",
        "",
        f"{len(lines)} packages, {sum(lines.values())} lines of Python"
        f" ({beyond} beyond the audit corpus).",
        "",
        "| run | exit | wall s | peak RSS MiB | internal errors | crash | plugin findings |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        findings = ", ".join(f"{code}: {n}" for code, n in run.plugin_counts.items()) or "-"
        out.append(
            f"| {run.name} | {run.returncode} | {run.seconds:.1f} | {run.max_rss_kib // 1024}"
            f" | {len(run.internal_errors)} | {'yes' if run.crash else 'no'} | {findings} |"
        )
    for run in runs:
        if run.internal_errors or run.crash:
            out += ["", f"## {run.name}", ""]
            out += [f"- {error}" for error in run.internal_errors]
            if run.crash:
                out += ["", "```", run.crash, "```"]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="scan the audit corpus only")
    args = parser.parse_args(argv)
    corpus = ensure_corpus(crash=not args.quick)
    runs: list[ScanRun] = []
    for parallel in (False, True):
        for debug in (True, False):
            run = scan(corpus, parallel=parallel, debug=debug)
            print(f"{run.name}: {'ok' if run.ok else 'FAILED'} ({run.seconds:.0f} s)", flush=True)
            runs.append(run)
    out_dir = WORK_DIR / "crash-scan"
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(corpus, runs)
    (out_dir / f"{corpus.name}.md").write_text(markdown)
    data = {
        "corpus": corpus.name,
        "lines": corpus.line_counts(),
        "runs": [asdict(r) for r in runs],
    }
    (out_dir / f"{corpus.name}.json").write_text(json.dumps(data, indent=2) + "\n")
    print(markdown)
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
