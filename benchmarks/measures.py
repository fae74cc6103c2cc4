"""What the benchmark measures beyond wall time, and its statistics.

This module owns:

* **instruction counts** (``--instructions``): each scenario run under valgrind,
  which counts the instructions and simulates the machine's caches: a cold run of
  each variant for each of ``COUNTED_SETUPS`` and ``COUNTED_RUNS`` warm runs under
  cachegrind, and ``COUNTED_RUNS`` daemon rechecks with each daemon under
  callgrind, its counters zeroed before each recheck. Each gives instructions and
  the cycles estimated from the simulated caches (``Counts.cycles``): measures that
  hardly move with other work on the machine, the second one also weighing what a
  run costs in cache misses;
* **the profile** (``--profile``): mypy with the plugin run in this process under
  ``cProfile`` (cold), and the time spent in the plugin's entry points
  (``ENTRY_POINTS``) against the whole run;
* **the clocks** (``--clock``): mypy with the plugin run in this process (cold)
  with a clock around each of the plugin's entry points (``CLOCKED``): its own time
  where it runs, among mypy's work, which cProfile overstates by slowing Python
  code and not compiled mypy;
* **the confidence interval** of the paired wall-time ratio (``median_interval``).
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib
import io
import math
import os
import pstats
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

from corpus import WORK_DIR, Corpus, mypy_command, run_measured
from runners import (
    EDIT_FILES,
    VARIANTS,
    Bench,
    check_exit,
    daemon_pid,
    dmypy,
    edits,
    restored,
)

#: The confidence of the interval reported for the paired wall-time ratio.
CONFIDENCE: Final = 0.95
#: Warm runs and daemon rechecks counted under valgrind, per variant.
COUNTED_RUNS: Final = 3
#: The setups of the counted cold runs: a hash seed, and how many bytes of padding
#: the environment gets. A count repeats to within 0.01% in one setup, and moves by
#: up to 0.2% between setups: mypy's order of work and the layout of its tables
#: follow string hashes, and where the process's memory starts follows the size of
#: its environment. Plain mypy counted 29,651.8 M instructions with no padding and
#: 29,666.9 M with 3,000 bytes, all of the difference in Python's allocator, whose
#: work depends on where objects land. Both variants of a pair run in the same
#: setup, and the ratio reported is the median over the setups. Rechecks are
#: counted in the first.
COUNTED_SETUPS: Final = (("0", 0), ("1", 1536), ("2", 3072))
#: The variable that carries the padding.
PADDING_VARIABLE: Final = "MYPY_AWAIT_BENCH_PADDING"
#: The cost of one access, in cycles, by where it is served: the first-level
#: caches, the last-level cache, memory. Itamar Turner-Trauring's estimate
#: ("Consistent benchmarking in CI", pythonspeed.com), as iai-callgrind computes it.
CYCLES_PER_ACCESS: Final = (1, 5, 35)
#: Plugin functions whose cumulative profile time is the plugin's cost.
ENTRY_POINTS: Final = (
    # ``get_function_hook``/``get_method_hook`` are the decision tables' own
    # lookup, which runs no Python code until a name is decided here.
    "__missing__",
    "get_function_signature_hook",
    "get_method_signature_hook",
    "get_attribute_hook",
    "get_class_attribute_hook",
    "get_additional_deps",
    "get_customize_class_mro_hook",
    "get_class_decorator_hook",
    "get_base_class_hook",
    "get_metaclass_hook",
    "get_dynamic_class_hook",
    "get_type_analyze_hook",
    "report_config_data",
    "set_modules",
    "_on_call",
    "_on_special_call",
    "_on_attribute",
)


#: What ``--clock`` times: a label, a module, and the function in it (looked up
#: where the plugin calls it, so that the clock sees every call; in the compiled
#: build, only methods of the classes left in Python and functions imported when
#: called are looked up).
CLOCKED: Final = (
    ("deciding a callee or attribute name", "mypy_await_plugin.main", "Decisions.__missing__"),
    ("a hooked call, all of it", "mypy_await_plugin.main", "AwaitPlugin._on_call"),
    ("a hooked call, all of it", "mypy_await_plugin.main", "AwaitPlugin._on_special_call"),
    ("an attribute read, all of it", "mypy_await_plugin.main", "AwaitPlugin._on_attribute"),
    ("of which reading a file's lines", "mypy_await_plugin.sourcetext", "SourceLines.__missing__"),
    ("of which the checks", "mypy_await_plugin.dispatch", "check_call"),
    ("of which the checks", "mypy_await_plugin.dispatch", "check_attribute"),
)


# Statistics.


def median_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """A confidence interval for the median of ``values``, whatever their distribution.

    The k-th smallest and the k-th largest of n values bracket the median with
    probability 1 - 2 P(Binomial(n, 1/2) < k) (the sign test's interval); k is the
    largest that keeps this at least ``confidence``. None when n is too small for
    any k (fewer than 6 values at 95%)."""
    ordered = sorted(values)
    n = len(ordered)
    k = 0
    below = 0.0  # P(Binomial(n, 1/2) < k)
    while k < n:
        below_next = below + math.comb(n, k) / 2**n
        if 1 - 2 * below_next < confidence:
            break
        below = below_next
        k += 1
    if k == 0:
        return None
    return ordered[k - 1], ordered[n - k]


# Counting instructions.


class Counts(NamedTuple):
    """What cachegrind counted in one run."""

    instructions: int
    data_accesses: int
    #: Accesses that missed a first-level cache (cachegrind's "LL refs").
    first_level_misses: int
    last_level_misses: int

    @property
    def cycles(self) -> int:
        """Estimated cycles: each access weighted by where it was served."""
        accesses = self.instructions + self.data_accesses
        first, last, memory = CYCLES_PER_ACCESS
        return (
            first * (accesses - self.first_level_misses)
            + last * (self.first_level_misses - self.last_level_misses)
            + memory * self.last_level_misses
        )


@dataclass
class Instructions:
    #: One cold run of each variant per setup (``COUNTED_SETUPS``).
    cold: dict[str, list[Counts]]
    #: ``COUNTED_RUNS`` warm runs of each variant.
    warm: dict[str, list[Counts]]
    #: ``COUNTED_RUNS`` daemon rechecks of each variant.
    rechecks: dict[str, list[Counts]]


def count_instructions(bench: Bench) -> dict[str, list[Counts]]:
    """What one cold run of each variant per setup executes, under cachegrind with
    the machine's caches simulated.

    Unlike time, the counts hardly move with other work on the machine, so small
    ratios can be told apart; valgrind makes a run about 100 times slower, and the
    two variants run side by side. Instructions alone miss what the plugin costs in
    cache misses: its Python code and the mypy objects it reads are cold when a
    hook runs. The estimated cycles weigh them in.
    """

    def count(variant: str, setup: tuple[str, int]) -> Counts:
        return _cachegrind_run(bench, variant, setup, "--no-incremental")

    counts: dict[str, list[Counts]] = {variant: [] for variant in VARIANTS}
    with ThreadPoolExecutor(len(VARIANTS)) as pool:
        for setup in COUNTED_SETUPS:
            setups = [setup] * len(VARIANTS)
            for variant, found in zip(VARIANTS, pool.map(count, VARIANTS, setups), strict=True):
                counts[variant].append(found)
    return counts


def count_warm_instructions(bench: Bench) -> dict[str, list[Counts]]:
    """``COUNTED_RUNS`` warm runs of each variant under cachegrind, on a cache that
    a run outside valgrind wrote (nothing changed since)."""

    def count(variant: str) -> list[Counts]:
        bench.fresh_cache(variant)
        bench.mypy(variant)
        return [_cachegrind_run(bench, variant, COUNTED_SETUPS[0]) for _ in range(COUNTED_RUNS)]

    with ThreadPoolExecutor(len(VARIANTS)) as pool:
        return dict(zip(VARIANTS, pool.map(count, VARIANTS), strict=True))


def _cachegrind_run(bench: Bench, variant: str, setup: tuple[str, int], *flags: str) -> Counts:
    """The totals of one run of ``variant`` (with ``flags``) under cachegrind, in ``setup``."""
    command = [*_cachegrind(), *mypy_command(bench.config(variant), bench.cache(variant), *flags)]
    result = run_measured(command, cwd=bench.corpus.directory, env=_counted_env(*setup))
    check_exit(command, result)
    return _parse_cachegrind(result.stderr)


def count_recheck_instructions(bench: Bench) -> dict[str, list[Counts]]:
    """``COUNTED_RUNS`` daemon rechecks after a one-line edit, per variant.

    Each daemon runs under callgrind (``dmypy daemon``, in the foreground); its
    counters are zeroed before a recheck and dumped after it, so a count holds the
    recheck and the client's request, not the full check that primed the daemon.
    """
    edit_file = bench.corpus.directory / EDIT_FILES[bench.quick]
    counts: dict[str, list[Counts]] = {variant: [] for variant in VARIANTS}
    with restored(edit_file) as original, _counted_daemons(bench) as daemons:
        with ThreadPoolExecutor(len(VARIANTS)) as pool:
            list(pool.map(lambda daemon: daemon.run(), daemons))  # the full checks
        for index, edit in enumerate(edits(original, 1 + COUNTED_RUNS)):
            edit_file.write_text(edit)
            for daemon in daemons:
                count = daemon.counted_run()
                if index:  # the first recheck does one-time work, as in ``Bench.daemon``
                    counts[daemon.variant].append(count)
    return counts


class _CountedDaemon:
    """A dmypy daemon of one variant, running under callgrind."""

    def __init__(self, bench: Bench, variant: str) -> None:
        self.variant = variant
        self.status = bench.cache_root / f"dmypy-callgrind-{variant}.json"
        self.dumps = bench.cache_root / f"callgrind-{variant}"
        bench.fresh_cache(variant)
        shutil.rmtree(self.dumps, ignore_errors=True)
        self.dumps.mkdir(parents=True)
        self.status.unlink(missing_ok=True)
        flags = bench.daemon_flags(variant)
        self.cwd = bench.corpus.directory
        self.process = subprocess.Popen(
            [
                *_callgrind(self.dumps / "callgrind.out"),
                *dmypy(self.status),
                "daemon",
                "--timeout",
                "36000",
                *flags,
            ],
            cwd=self.cwd,
            env=_counted_env(*COUNTED_SETUPS[0]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.command = [*dmypy(self.status), "run", "--timeout", "36000", *flags]

    def run(self) -> None:
        deadline = time.monotonic() + 600
        while daemon_pid(self.status) is None:  # valgrind starts the daemon slowly
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the {self.variant} daemon under callgrind did not start")
            time.sleep(0.5)
        result = run_measured(self.command, cwd=self.cwd)
        check_exit(self.command, result)

    def counted_run(self) -> Counts:
        pid = str(self.process.pid)
        subprocess.run(["callgrind_control", "--zero", pid], capture_output=True, check=True)
        self.run()
        before = set(self.dumps.iterdir())
        subprocess.run(["callgrind_control", "--dump", pid], capture_output=True, check=True)
        (dump,) = set(self.dumps.iterdir()) - before
        text = dump.read_text()
        dump.unlink()
        return _parse_callgrind_dump(text)

    def stop(self) -> None:
        subprocess.run([*dmypy(self.status), "stop"], capture_output=True, check=False)
        try:
            self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dumps, ignore_errors=True)


@contextlib.contextmanager
def _counted_daemons(bench: Bench) -> Iterator[list[_CountedDaemon]]:
    daemons: list[_CountedDaemon] = []
    try:
        for variant in VARIANTS:
            daemons.append(_CountedDaemon(bench, variant))
        yield daemons
    finally:
        for daemon in daemons:
            daemon.stop()


def _callgrind(out_file: Path) -> list[str]:
    out = f"--callgrind-out-file={out_file}"
    return ["valgrind", "--tool=callgrind", "--cache-sim=yes", out]


def _cachegrind() -> list[str]:
    # The caches simulated are the machine's own, as cachegrind detects them.
    out_file = f"--cachegrind-out-file={os.devnull}"
    return ["valgrind", "--tool=cachegrind", "--cache-sim=yes", out_file]


def _parse_cachegrind(stderr: str) -> Counts:
    """The totals cachegrind prints when the run ends."""
    found = []
    for label in ("I   refs", "D   refs", "LL refs", "LL misses"):
        match = re.search(rf"{label}:\s+([\d,]+)", stderr)
        if match is None:
            raise SystemExit(f"no {label!r} from cachegrind:\n{stderr[-2000:]}")
        found.append(int(match[1].replace(",", "")))
    return Counts(*found)


def _parse_callgrind_dump(text: str) -> Counts:
    """The totals of a callgrind dump written with ``--cache-sim=yes``."""
    events = re.search(r"^events:(.*)$", text, re.MULTILINE)
    summary = re.search(r"^summary:(.*)$", text, re.MULTILINE)
    if events is None or summary is None:
        raise SystemExit(f"no totals in a callgrind dump:\n{text[:2000]}")
    total = dict(zip(events[1].split(), map(int, summary[1].split()), strict=True))
    return Counts(
        instructions=total["Ir"],
        data_accesses=total["Dr"] + total["Dw"],
        first_level_misses=total["I1mr"] + total["D1mr"] + total["D1mw"],
        last_level_misses=total["ILmr"] + total["DLmr"] + total["DLmw"],
    )


def _counted_env(seed: str, padding: int) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": seed, PADDING_VARIABLE: "x" * padding}


def setup_name(seed: str, padding: int) -> str:
    return f"`PYTHONHASHSEED={seed}`, environment +{padding} bytes"


# Profiling.


@dataclass
class Profile:
    total_seconds: float
    plugin_seconds: float
    top: str


def profile_plugin(corpus: Corpus, *, quick: bool) -> Profile:
    """Run mypy with the plugin in this process under cProfile, cold."""
    profiler = cProfile.Profile()
    total = _mypy_in_process(corpus, quick=quick, cache_name="profile", call=profiler.runcall)
    stats = pstats.Stats(profiler)
    plugin_seconds = _plugin_cumulative(stats)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(
        "mypy_await_plugin", 25
    )
    top = "\n".join(
        line
        for line in text.getvalue().splitlines()
        if "mypy_await_plugin" in line or "ncalls" in line
    )
    return Profile(total, plugin_seconds, top)


def _mypy_in_process(
    corpus: Corpus,
    *,
    quick: bool,
    cache_name: str,
    call: Callable[..., object] = lambda function, *args: function(*args),
) -> float:
    """One cold run of mypy with the plugin in this process, made by ``call`` (a
    profiler's, say); its wall time."""
    from mypy import api

    cache = WORK_DIR / "cache" / cache_name
    args = mypy_command(corpus.config(plugin=True, quick=quick), cache, "--no-incremental")[3:]
    cwd = Path.cwd()
    os.chdir(corpus.directory)
    try:
        start = time.perf_counter()
        call(api.run, args)
        return time.perf_counter() - start
    finally:
        os.chdir(cwd)


def _plugin_cumulative(stats: pstats.Stats) -> float:
    """Cumulative time of the plugin's entry points, called from mypy itself."""
    total = 0.0
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, _, cumulative, callers) in raw.items():
        if "mypy_await_plugin" not in filename or function not in ENTRY_POINTS:
            continue
        assert isinstance(callers, dict)
        from_plugin = any("mypy_await_plugin" in caller[0] for caller in callers)
        if not from_plugin:
            total += cumulative
    return total


@dataclass
class Clock:
    label: str
    calls: int = 0
    nanoseconds: int = 0
    #: Whether one of the clock's entry points is running: a call it makes to another
    #: (``_on_special_call`` to ``_on_call``) is not counted again.
    running: bool = False


@dataclass
class Clocks:
    total_seconds: float
    clocks: list[Clock]


def clock_plugin(corpus: Corpus, *, quick: bool) -> Clocks:
    """Run mypy with the plugin in this process, cold, each of ``CLOCKED`` timed."""
    clocks: dict[str, Clock] = {}
    restore: list[tuple[object, str, object]] = []
    for label, module_name, path in CLOCKED:
        owner: object = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, name)
        clock = clocks.setdefault(label, Clock(label))
        setattr(owner, name, _clocked(original, clock))
        restore.append((owner, name, original))
    try:
        total = _mypy_in_process(corpus, quick=quick, cache_name="clock")
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)
    return Clocks(total, list(clocks.values()))


def _clocked(function: Callable[..., object], clock: Clock) -> Callable[..., object]:
    def clocked(*args: object) -> object:
        if clock.running:
            return function(*args)
        clock.running = True
        start = time.perf_counter_ns()
        try:
            return function(*args)
        finally:
            clock.calls += 1
            clock.nanoseconds += time.perf_counter_ns() - start
            clock.running = False

    return clocked
