"""The benchmark's report: the markdown page of results (``RESULTS.md``).

This module owns the page's tables (the machine, the timed scenarios against the
target, the instruction counts, the clocks, the profile), the verdict on each
target, and the hand-written part of ``RESULTS.md`` that a full run keeps: the
method and what each cost is, below ``HAND_WRITTEN_MARKER``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from corpus import BENCH_DIR, QUICK_PACKAGES, REPO_DIR
from measures import (
    CONFIDENCE,
    COUNTED_RUNS,
    COUNTED_SETUPS,
    CYCLES_PER_ACCESS,
    Clocks,
    Counts,
    Instructions,
    Profile,
    median_interval,
    setup_name,
)
from runners import BASELINE, VARIANTS, Bench, Scenario

#: The page a full run writes.
RESULTS: Final = BENCH_DIR / "RESULTS.md"
#: The line of ``RESULTS.md`` where its hand-written part starts; a full run writes
#: the tables above it and keeps the rest.
HAND_WRITTEN_MARKER: Final = (
    "<!-- Written by hand from here on: bench.py keeps it when it writes the tables above. -->"
)
#: The target of every measure: plugin / plain mypy at most this.
TARGET: Final = 1.03


def machine() -> dict[str, str]:
    """The machine table: what ran the benchmark, and which build of the plugin."""
    import mypy.version

    import mypy_await_plugin

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "-C", str(REPO_DIR), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "CPU": cpu,
        "cores (nproc)": str(os.cpu_count()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "mypy": mypy.version.__version__,
        "mypy-await-plugin": f"{mypy_await_plugin.__version__} ({commit or 'no git'})",
        "build of the plugin": plugin_build(),
    }


def plugin_build() -> str:
    """Whether the plugin that runs is the compiled build (``hatch_build.py``)."""
    hooks = importlib.import_module("mypy_await_plugin.main")
    compiled = not str(hooks.__file__).endswith(".py")
    return "compiled with mypyc" if compiled else "Python"


def to_markdown(
    bench: Bench,
    scenarios: Sequence[Scenario],
    instructions: Instructions | None,
    profile: Profile | None,
    notes: str,
    clocks: Clocks | None = None,
) -> str:
    """The results page: the tables of what was measured, then ``notes``."""
    corpus = bench.corpus
    packages = QUICK_PACKAGES if bench.quick else corpus.packages
    lines = sum(corpus.line_counts(packages).values())
    pins = _pins(packages)
    out = [
        "# Overhead benchmark",
        "",
        "Written by `python benchmarks/bench.py"
        + (" --quick" if bench.quick else f" --runs {bench.runs}")
        + "".join(
            f" --{option}"
            for option, used in (
                ("instructions", instructions is not None),
                (f"counted {_counted(instructions)}", _counted(instructions) != ALL_COUNTED),
                ("baseline", BASELINE in bench.variants),
                ("profile", profile is not None),
                ("clock", clocks is not None),
            )
            if used
        )
        + f"` on {time.strftime('%Y-%m-%d')}.",
        "",
        f"Corpus: {', '.join(pins)}: {lines} lines of Python, checked with"
        " `check_untyped_defs` and `ignore_missing_imports`"
        " (`benchmarks/requirements-corpus.txt`).",
        "Runs of each variant per scenario: "
        + ", ".join(f"{scenario.name} {scenario.runs}" for scenario in scenarios)
        + f"; alternating {', '.join(bench.variants)}.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in machine().items()),
        "",
        "## Results",
        "",
        "Ratio: plugin / plain, of the medians; paired: the median of per-pair ratios.",
        "",
        "| scenario | plain wall s (min-max) | plugin wall s (min-max) | wall ratio"
        f" | paired | paired {CONFIDENCE:.0%} interval | CPU ratio"
        " | plain peak MiB | plugin peak MiB | memory ratio | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scenario in scenarios:
        # Met only when the ratio of medians and the paired ratio both agree.
        wall = max(scenario.ratio("wall"), scenario.paired_ratio("wall"))
        met = wall <= TARGET and scenario.ratio("rss") <= TARGET
        out.append(_scenario_row(scenario, "plugin", "met" if met else "MISSED"))
        if BASELINE in scenario.samples:
            out.append(_scenario_row(scenario, BASELINE, "(the floor)"))
    out += [
        "",
        f"Target: ratio <= {TARGET} for wall time (both the ratio of medians and the"
        " paired ratio) and for peak memory. The interval holds the median of the"
        f" per-pair ratios with {CONFIDENCE:.0%} confidence, whatever the noise's"
        " distribution: when it spans the target, the run is too noisy to settle"
        " the wall time either way, and more runs narrow it.",
    ]
    if any(BASELINE in scenario.samples for scenario in scenarios):
        out += [
            "",
            f'Rows marked "{BASELINE}" (`--baseline`) time'
            " `benchmarks/baseline_plugin.py` in the same rounds, against the same plain"
            " runs: a plugin in Python that hooks nothing, so what any plugin costs"
            " before it does any work.",
        ]
    if instructions is not None:
        out += ["", *_instruction_table(instructions)]
    if profile is not None:
        share = profile.plugin_seconds / profile.total_seconds
        out += [
            "",
            "## Profile of the hook path",
            "",
            "mypy with the plugin, cold, in one process under cProfile"
            f" (`python benchmarks/bench.py --profile{' --quick' if bench.quick else ''}`):"
            f" {profile.plugin_seconds:.2f} s of {profile.total_seconds:.2f} s"
            f" ({share:.1%}) inside the plugin's entry points. cProfile slows the"
            " plugin's Python code and not compiled mypy, so this overstates the share.",
            "",
            "```",
            profile.top,
            "```",
        ]
    if clocks is not None:
        command = f"python benchmarks/bench.py --clock{' --quick' if bench.quick else ''}"
        out += ["", *_clock_table(clocks, command)]
    if notes:
        out += ["", notes.strip()]
    return "\n".join(out) + "\n"


#: Every scenario ``--instructions`` counts, as ``--counted`` names them.
ALL_COUNTED = "cold,warm,daemon"


def _counted(instructions: Instructions | None) -> str:
    """The scenarios counted, as ``--counted`` names them (all when none were)."""
    if instructions is None:
        return ALL_COUNTED
    parts = (instructions.cold, instructions.warm, instructions.rechecks)
    return ",".join(name for name, part in zip(ALL_COUNTED.split(","), parts, strict=True) if part)


def _instruction_table(instructions: Instructions) -> list[str]:
    """The counted scenarios' rows (``--counted`` may leave some out)."""
    first, last, memory = CYCLES_PER_ACCESS
    first_setup = setup_name(*COUNTED_SETUPS[0])
    rows = _cold_rows(instructions.cold) if instructions.cold else []
    if instructions.warm:
        rows.append(
            _medians_row(
                f"a warm run, median of {COUNTED_RUNS} ({first_setup})", instructions.warm
            )
        )
    if instructions.rechecks:
        rows.append(
            _medians_row(
                f"a daemon recheck, median of {COUNTED_RUNS} ({first_setup})",
                instructions.rechecks,
            )
        )
    return [
        "Instructions executed, plugin / plain (`--instructions`: runs under"
        " valgrind's cachegrind, daemons under callgrind), and the cycles estimated"
        " from valgrind's simulation of this machine's caches: each access costs"
        f" {first} if a first-level cache serves it, {last} if the last-level cache"
        f" does and {memory} if memory does (Itamar Turner-Trauring's estimate). A"
        " target counts as met only when both ratios are within it.",
        "",
        "| measure | plain instructions | plugin instructions | ratio"
        " | estimated cycles ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
    ]


def _cold_rows(cold: dict[str, list[Counts]]) -> list[str]:
    """One row per counted setup, and their median."""
    pairs = list(zip(cold["plain"], cold["plugin"], strict=True))
    instruction_ratios = [b.instructions / a.instructions for a, b in pairs]
    cycle_ratios = [b.cycles / a.cycles for a, b in pairs]
    return [
        *(
            _instruction_row(
                f"one cold run, {setup_name(*setup)}",
                plain.instructions,
                plugin.instructions,
                plugin.cycles / plain.cycles,
            )
            for setup, (plain, plugin) in zip(COUNTED_SETUPS, pairs, strict=True)
        ),
        _ratios_row(
            f"one cold run, median over the {len(COUNTED_SETUPS)} setups above",
            statistics.median(instruction_ratios),
            statistics.median(cycle_ratios),
        ),
    ]


def _instruction_row(measure: str, plain: float, plugin: float, cycles: float) -> str:
    ratio = plugin / plain
    return f"| {measure} | {plain:,.0f} | {plugin:,.0f} |" + _ratio_cells(ratio, cycles)


def _medians_row(measure: str, runs: dict[str, list[Counts]]) -> str:
    """A row for several runs of each variant: the ratios of their medians."""
    instructions = {v: statistics.median(c.instructions for c in runs[v]) for v in VARIANTS}
    cycles = {v: statistics.median(c.cycles for c in runs[v]) for v in VARIANTS}
    return _instruction_row(
        measure, instructions["plain"], instructions["plugin"], cycles["plugin"] / cycles["plain"]
    )


def _ratios_row(measure: str, ratio: float, cycles: float) -> str:
    return f"| {measure} | | |" + _ratio_cells(ratio, cycles)


def _ratio_cells(ratio: float, cycles: float) -> str:
    met = ratio <= TARGET and cycles <= TARGET
    return f" {ratio:.4f} | {cycles:.4f} | {'met' if met else 'MISSED'} |"


def _scenario_row(scenario: Scenario, variant: str, verdict: str) -> str:
    """A scenario's timings of ``variant`` against plain mypy."""
    label = "" if variant == "plugin" else f", {variant}"
    return (
        f"| {scenario.name}{label}: {scenario.description}"
        f" | {_spread(scenario.values('plain', 'wall'))}"
        f" | {_spread(scenario.values(variant, 'wall'))}"
        f" | {scenario.ratio('wall', variant):.3f}"
        f" | {scenario.paired_ratio('wall', variant):.3f}"
        f" | {_interval(scenario.paired_ratios('wall', variant))}"
        f" | {scenario.ratio('cpu', variant):.3f}"
        f" | {statistics.median(scenario.values('plain', 'rss')) / 1024:.0f}"
        f" | {statistics.median(scenario.values(variant, 'rss')) / 1024:.0f}"
        f" | {scenario.ratio('rss', variant):.3f}"
        f" | {verdict} |"
    )


def _interval(values: Sequence[float]) -> str:
    interval = median_interval(values)
    return "too few runs" if interval is None else f"{interval[0]:.3f}-{interval[1]:.3f}"


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _pins(packages: Sequence[str]) -> list[str]:
    wanted = {p.replace("_", "-") for p in packages}
    pins = []
    for line in (BENCH_DIR / "requirements-corpus.txt").read_text().splitlines():
        name = line.split("==")[0].strip()
        if name in wanted:
            pins.append(line.strip())
    return pins


def _clock_table(clocks: Clocks, command: str) -> list[str]:
    total_ns = clocks.total_seconds * 1e9
    return [
        "## The plugin's own time, in place",
        "",
        f"mypy with the plugin, cold, in one process (`{command}`): a clock around each"
        f" of the plugin's entry points, in a run of {clocks.total_seconds:.2f} s. A"
        " clock adds well under a microsecond per call.",
        "",
        "| entry point | calls | ms | share of the run | µs per call |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {clock.label} | {clock.calls:,} | {clock.nanoseconds / 1e6:.1f}"
            f" | {clock.nanoseconds / total_ns:.2%}"
            f" | {clock.nanoseconds / 1e3 / max(clock.calls, 1):.1f} |"
            for clock in clocks.clocks
        ),
    ]


def hand_written_part(page: str) -> str:
    """The part of a results page from ``HAND_WRITTEN_MARKER`` on ("" without one)."""
    start = page.find(HAND_WRITTEN_MARKER)
    return "" if start < 0 else page[start:]


def default_notes() -> str:
    """What a full run appends to its tables: the hand-written part of ``RESULTS.md``."""
    return hand_written_part(RESULTS.read_text()) if RESULTS.exists() else ""
