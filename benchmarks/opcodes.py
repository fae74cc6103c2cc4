"""Where the plugin's Python goes: bytecodes executed per plugin function, cold.

Usage::

    python benchmarks/opcodes.py [--top 40] [--users | --crash]

Runs mypy with the plugin once in this process, cold (``--no-incremental``), on
the audit corpus, with a trace function that counts each bytecode the plugin's own
functions execute (``frame.f_trace_opcodes``; mypy is compiled, so only the
plugin is traced). Prints, for the functions executing the most, the bytecodes,
the calls and the bytecodes per call.

Unlike time, the counts repeat exactly from run to run, and unlike an instruction
count of the whole run they do not move with where mypy's objects land (see
RESULTS.md). A bytecode of the plugin costs about 95 instructions on the audit
corpus (calls into mypy and allocations included), so the counts of one function
before and after a change tell what the change saves, in a minute. They leave out
what mypy spends on the plugin's behalf (building a hook's context), which only an
instruction count (``bench.py --instructions``) shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from types import FrameType
from typing import Any

from corpus import ensure_corpus
from mypy import api

Key = tuple[str, str]


def count(arguments: Sequence[str]) -> tuple[Counter[Key], Counter[Key]]:
    """Bytecodes and calls per plugin function (file, name) in one mypy run."""
    bytecodes: Counter[Key] = Counter()
    calls: Counter[Key] = Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if event == "call":
            if "mypy_await_plugin" not in code.co_filename:
                return None
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
            calls[_key(code.co_filename, code.co_name)] += 1
        elif event == "opcode":
            bytecodes[_key(code.co_filename, code.co_name)] += 1
        return trace

    sys.settrace(trace)
    threading.settrace(trace)
    try:
        api.run(list(arguments))
    finally:
        sys.settrace(None)
        threading.settrace(None)
    return bytecodes, calls


def _key(filename: str, name: str) -> Key:
    package = filename.rpartition("mypy_await_plugin")[2].lstrip(os.sep)
    return package, name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=40, help="functions shown (40)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--users", action="store_true", help="the users' corpus")
    which.add_argument("--crash", action="store_true", help="the crash-scan corpus")
    args = parser.parse_args(argv)
    corpus = ensure_corpus(crash=args.crash, users=args.users)
    os.chdir(corpus.directory)
    config = str(corpus.config(plugin=True))
    bytecodes, calls = count(
        ["--config-file", config, "--no-incremental", "--cache-dir", os.devnull]
    )
    total = sum(bytecodes.values())
    print(f"{total:,} bytecodes in the plugin's functions, one cold run of {corpus.directory}")
    print(f"{'bytecodes':>10} {'calls':>7} {'per call':>8}  function")
    for (module, name), executed in bytecodes.most_common(args.top):
        made = calls[module, name]
        print(f"{executed:>10,} {made:>7,} {executed / made:>8.1f}  {module}:{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
