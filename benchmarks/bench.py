"""Overhead benchmark: plain mypy against mypy with the plugin, on the audit corpus.

Usage::

    python benchmarks/bench.py                 # 5 runs of each, writes benchmarks/RESULTS.md
    python benchmarks/bench.py --runs 9        # more runs, tighter medians
    python benchmarks/bench.py --quick         # CI smoke: small corpus, one run of each
    python benchmarks/bench.py --profile       # also profile the plugin's hooks
    python benchmarks/bench.py --clock         # also time the plugin's own code in place
    python benchmarks/bench.py --instructions  # also count instructions (slow)
    python benchmarks/bench.py --baseline      # also time a plugin that hooks nothing

This module is the command line. The work is in the modules beside it:
``corpus`` builds the corpus and runs a measured process, ``runners`` runs plain
mypy and the plugin alternately in the cold, warm and daemon scenarios (and with
``--baseline`` a plugin that hooks nothing, ``baseline_plugin.py``, whose ratio is
the floor any plugin in Python pays), ``measures`` counts instructions under
valgrind, profiles and clocks the plugin's entry points, and ``report`` writes the
results page. ``RESULTS.md`` says how to read it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus import WORK_DIR, ensure_corpus
from measures import (
    COUNTED_RUNS,
    COUNTED_SETUPS,
    Instructions,
    clock_plugin,
    count_instructions,
    count_recheck_instructions,
    count_warm_instructions,
    profile_plugin,
)
from report import ALL_COUNTED, RESULTS, default_notes, to_markdown
from runners import Bench, Scenario, compile_plugin


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant (5)")
    parser.add_argument("--quick", action="store_true", help="small corpus, one run")
    parser.add_argument(
        "--scenarios", default="cold,warm,daemon", help="comma-separated: cold,warm,daemon"
    )
    parser.add_argument("--profile", action="store_true", help="profile the plugin's hooks")
    parser.add_argument(
        "--clock", action="store_true", help="time the plugin's entry points in place"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions and estimate cycles under valgrind (slow)",
    )
    parser.add_argument(
        "--counted",
        default=ALL_COUNTED,
        help="with --instructions, the scenarios counted (cold,warm,daemon; cold alone: 20 min)",
    )
    parser.add_argument("--output", type=Path, help="the markdown file to write")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time a plugin that hooks nothing (benchmarks/baseline_plugin.py)",
    )
    parser.add_argument(
        "--samples", type=Path, help="also write every timed run's numbers to this JSON file"
    )
    parser.add_argument(
        "--notes",
        type=Path,
        help="markdown appended to the results (default: the hand-written part of RESULTS.md)",
    )
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    compile_plugin()
    corpus = ensure_corpus()
    bench = Bench(corpus, quick=args.quick, runs=runs, baseline=args.baseline)
    scenarios: list[Scenario] = []
    for name in args.scenarios.split(","):
        run_scenario: Callable[[], Scenario] = getattr(bench, name.strip())
        print(f"{name} ...", flush=True)
        scenarios.append(run_scenario())
    instructions = None
    if args.instructions:
        instructions = count_scenarios(bench, {name.strip() for name in args.counted.split(",")})
    profile = profile_plugin(corpus, quick=args.quick) if args.profile else None
    notes_file: Path | None = args.notes
    if notes_file is not None:
        notes = notes_file.read_text()
    else:
        notes = "" if args.quick else default_notes()
    clocks = clock_plugin(corpus, quick=args.quick) if args.clock else None
    markdown = to_markdown(bench, scenarios, instructions, profile, notes, clocks)
    if args.samples:
        samples = [scenario.as_json() for scenario in scenarios]
        args.samples.write_text(json.dumps(samples, indent=1) + "\n")
    default = WORK_DIR / "RESULTS-quick.md" if args.quick else RESULTS
    output: Path = args.output or default
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown)
    print(markdown)
    print(f"written: {output}")
    return 0


def count_scenarios(bench: Bench, counted: set[str]) -> Instructions:
    """Instruction counts for the ``counted`` scenarios (the others left empty)."""
    cold = warm = rechecks = {}
    if "cold" in counted:
        print(
            f"instructions: a cold run of each per setup ({len(COUNTED_SETUPS)})"
            " under cachegrind ...",
            flush=True,
        )
        cold = count_instructions(bench)
    if "warm" in counted:
        print(f"instructions: {COUNTED_RUNS} warm runs of each under cachegrind ...")
        warm = count_warm_instructions(bench)
    if "daemon" in counted:
        print(f"instructions: {COUNTED_RUNS} daemon rechecks of each under callgrind ...")
        rechecks = count_recheck_instructions(bench)
    return Instructions(cold, warm, rechecks)


if __name__ == "__main__":
    sys.exit(main())
