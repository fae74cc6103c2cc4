"""The ``mypy-await`` command line: options, the run, exit codes.

Exit status: 0 when there is no (new) await finding, 1 when there is one, 2 when the
scan could not run (bad arguments, an unreadable config or baseline, mypy stopped
early). Errors are one clear message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from mypy.version import __version__ as mypy_version

from mypy_await_plugin import __version__
from mypy_await_plugin.scan import autofix, baseline, report
from mypy_await_plugin.scan.mypyconfig import (
    ConfigError,
    MypyConfig,
    find_config,
    scan_cache_dir,
    write_scan_config,
)
from mypy_await_plugin.scan.runner import ScanFailed, ScanRequest, ScanResult, scan

PROG: Final = "mypy-await"
EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_ERROR: Final = 2
#: mypy options the command sets itself; given after ``--`` they would break it.
RESERVED_MYPY_OPTIONS: Final = ("--config-file", "-O", "--output")

DESCRIPTION: Final = """\
Report only missing-await findings in Python code, with mypy and mypy-await-plugin,
even where the code does not pass mypy yet. Runs mypy with the plugin enabled and
check_untyped_defs on, on top of the project's own mypy config; prints mypy's
unused-coroutine/unused-awaitable errors and the plugin's errors, nothing else."""

EPILOG: Final = """\
Arguments after "--" are passed to mypy as they are, for example
  mypy-await src -- --python-executable .venv/bin/python
exit status: 0 no (new) findings, 1 findings, 2 usage, config or mypy error."""


class UsageError(Exception):
    """The command line is wrong; the message says how."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories to scan (default: `files` from the mypy config)",
    )
    parser.add_argument(
        "--config-file",
        metavar="FILE",
        help="the mypy config to start from (default: found the way mypy finds it)",
    )
    parser.add_argument(
        "--format",
        choices=report.FORMATS,
        default="text",
        help="text (like mypy), json, github (workflow annotations) or sarif (code"
        " scanning); default: text",
    )
    known = parser.add_mutually_exclusive_group()
    known.add_argument(
        "--baseline", metavar="FILE", help="report only findings that FILE does not record"
    )
    known.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record the current findings in FILE and exit with status 0",
    )
    fixing = parser.add_mutually_exclusive_group()
    fixing.add_argument(
        "--fix",
        action="store_true",
        help="insert the missing await where that is safe; report what is left",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff and change nothing (exit 1 if any)",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="mypy's cache for scans (default: a mypy-await folder in mypy's cache dir)",
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__} (mypy {mypy_version})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _tolerate_unencodable_output()
    own_args, mypy_args = split_mypy_args(list(sys.argv[1:] if argv is None else argv))
    try:
        options = build_parser().parse_args(own_args)
    except SystemExit as exit_:  # --help, --version, or argparse's usage error
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        return run(options, mypy_args)
    except (UsageError, ConfigError, baseline.BaselineError, ScanFailed) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_ERROR


def split_mypy_args(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" not in argv:
        return argv, []
    index = argv.index("--")
    return argv[:index], argv[index + 1 :]


def run(options: argparse.Namespace, mypy_args: list[str]) -> int:
    _check_paths(options.paths)
    _check_mypy_args(mypy_args)
    config = find_config(options.config_file, Path.cwd())
    if (options.fix or options.diff) and options.write_baseline:
        raise UsageError("--write-baseline cannot be combined with --fix or --diff")
    known = baseline.read_baseline(Path(options.baseline)) if options.baseline else None
    result = _scan(options, mypy_args, config)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if options.write_baseline:
        return _write_baseline(Path(options.write_baseline), result)
    if options.fix or options.diff:
        return _fix(options, mypy_args, config, result, known)
    summary = report.Summary(result.files_checked, result.findings)
    if known is not None:
        split = baseline.split(result.findings, known, Path(options.baseline).absolute().parent)
        summary = report.Summary(result.files_checked, split.new, True, split.known, split.stale)
    print(report.render(options.format, summary))
    return EXIT_FINDINGS if summary.findings else EXIT_CLEAN


def _scan(options: argparse.Namespace, mypy_args: list[str], config: MypyConfig) -> ScanResult:
    cache_dir = options.cache_dir or scan_cache_dir(config)
    with tempfile.TemporaryDirectory(prefix="mypy-await-") as directory:
        request = ScanRequest(
            paths=options.paths,
            config_file=write_scan_config(config, Path(directory)),
            config_name=_display_name(config.path),
            cache_dir=cache_dir,
            mypy_args=mypy_args,
        )
        return scan(request)


def _fix(
    options: argparse.Namespace,
    mypy_args: list[str],
    config: MypyConfig,
    result: ScanResult,
    known: Counter[baseline.Key] | None,
) -> int:
    def rescan(extra: list[str]) -> ScanResult:
        return _scan(options, [*mypy_args, *extra], config)

    root = Path(options.baseline).absolute().parent if options.baseline else Path()
    found = autofix.Known(known, root) if known is not None else None
    return autofix.run(result, found, rescan, write=options.fix, fmt=options.format)


def _write_baseline(path: Path, result: ScanResult) -> int:
    baseline.write_baseline(path, result.findings)
    found = report.plural(len(result.findings), "await finding")
    checked = report.plural(result.files_checked, "source file")
    print(f"Wrote {found} to {path} (checked {checked})")
    return EXIT_CLEAN


def _check_paths(paths: list[str]) -> None:
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")


def _check_mypy_args(mypy_args: list[str]) -> None:
    for arg in mypy_args:
        name = arg.split("=", 1)[0]
        if name in RESERVED_MYPY_OPTIONS or (arg.startswith("-O") and arg != "-O"):
            raise UsageError(f"{name} cannot be passed to mypy after '--': {PROG} sets it")


def _display_name(path: Path | None) -> str:
    if path is None:
        return "<no mypy config>"
    relative = os.path.relpath(path.absolute())
    return str(path) if relative.startswith("..") else relative


def _tolerate_unencodable_output() -> None:
    """Print what the terminal cannot encode as escapes, like mypy does."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")
