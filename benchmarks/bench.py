"""Overhead benchmark: plain mypy against mypy with the plugin, on the audit corpus.

Usage::

    python benchmarks/bench.py                 # 5 runs of each, writes benchmarks/RESULTS.md
    python benchmarks/bench.py --runs 9        # more runs, tighter medians
    python benchmarks/bench.py --quick         # CI smoke: small corpus, one run of each
    python benchmarks/bench.py --profile       # also profile the plugin's hooks
    python benchmarks/bench.py --clock         # also time the plugin's own code in place
    python benchmarks/bench.py --instructions  # also count instructions (slow)
    python benchmarks/bench.py --baseline      # also time a plugin that hooks nothing

Plain mypy (A) and mypy with the plugin (B) run in the same invocation, alternating
A B A B, with configs that differ only in the ``plugins`` line and separate cache
directories (and separate daemons). Three scenarios:

* **cold**: ``mypy --no-incremental``;
* **warm**: ``mypy`` on a cache the previous run left, nothing changed (the cache is
  primed by one untimed run of each);
* **daemon**: ``dmypy run`` after a one-line edit of a corpus module (a new module
  level assignment appended to it), both daemons started and primed beforehand
  with the full check and a first recheck (which does one-time work: plain
  mypy's first recheck counted 7% more instructions than the next ones); the edit
  is undone at the end.

A warm run or a recheck takes well under a second, where a busy machine's noise is
large, so those scenarios run ``SHORT_RUNS`` times as often as ``--runs``.

Wall time is measured around each process, CPU time and peak RSS with ``wait4``;
for the daemon the peak RSS is the daemon's own high-water mark (``VmHWM``) after
all rechecks. Reported: median, min and max per variant, the ratio of medians
B / A, and the median of the per-pair ratios (each B against the A run next to it,
less sensitive to drift on a busy machine) with a distribution-free 95% confidence
interval. ``--baseline`` adds a third variant to every round, ``baseline_plugin.py``:
a plugin that hooks nothing, whose ratio is the floor any plugin in Python pays.

``--instructions`` also runs each scenario under valgrind, which counts the
instructions and simulates the machine's caches: a cold run of each variant for each
of ``COUNTED_SETUPS`` and ``COUNTED_RUNS`` warm runs under cachegrind, and
``COUNTED_RUNS`` daemon rechecks with each daemon under callgrind, its counters
zeroed before each recheck. Reported: instructions, and the cycles estimated from
the simulated caches (``Counts.cycles``): measures that hardly move with other work
on the machine, the second one also weighing what a run costs in cache misses.

``--profile`` runs mypy with the plugin in this process under ``cProfile`` (cold)
and reports the time spent in the plugin's entry points against the whole run.

``--clock`` runs mypy with the plugin in this process (cold) with a clock around each
of the plugin's entry points (``CLOCKED``): its own time where it runs, among mypy's
work, which cProfile overstates by slowing Python code and not compiled mypy.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import cProfile
import importlib
import io
import json
import math
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, NamedTuple

from corpus import (
    BENCH_DIR,
    NO_PLUGIN_LINE,
    QUICK_PACKAGES,
    REPO_DIR,
    WORK_DIR,
    Corpus,
    RunResult,
    ensure_corpus,
    mypy_command,
    run_measured,
)

TARGET: Final = 1.03
#: The confidence of the interval reported for the paired wall-time ratio.
CONFIDENCE: Final = 0.95
#: How many times as many runs the short scenarios (warm, daemon) take.
SHORT_RUNS: Final = 5
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
#: Hand-written notes appended to RESULTS.md: what was changed and what it gained.
DEFAULT_NOTES: Final = BENCH_DIR / "results-notes.md"
VARIANTS: Final = ("plain", "plugin")
#: With ``--baseline``, the timed scenarios also run a plugin that hooks nothing.
BASELINE: Final = "baseline"
BASELINE_PLUGIN: Final = BENCH_DIR / "baseline_plugin.py"
#: The module the daemon scenario edits, per corpus size.
EDIT_FILES: Final = {False: "aiohttp/client.py", True: "starlette/routing.py"}
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
    ("deciding a callee or attribute name", "mypy_await_plugin.plugin", "Decisions.__missing__"),
    ("a hooked call, all of it", "mypy_await_plugin.plugin", "AwaitPlugin._on_call"),
    ("a hooked call, all of it", "mypy_await_plugin.plugin", "AwaitPlugin._on_special_call"),
    ("an attribute read, all of it", "mypy_await_plugin.plugin", "AwaitPlugin._on_attribute"),
    ("of which reading a file's lines", "mypy_await_plugin.sourcetext", "SourceLines.__missing__"),
    ("of which the checks", "mypy_await_plugin.dispatch", "check_call"),
    ("of which the checks", "mypy_await_plugin.dispatch", "check_attribute"),
)


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float
    max_rss_kib: int


@dataclass
class Scenario:
    name: str
    description: str
    runs: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    #: Peak RSS per variant when it is not per run (the daemon).
    peak_rss_kib: dict[str, int] = field(default_factory=dict)

    def add(self, variant: str, result: RunResult) -> None:
        self.samples.setdefault(variant, []).append(
            Sample(result.seconds, result.cpu_seconds, result.max_rss_kib)
        )

    def values(self, variant: str, what: str) -> list[float]:
        if what == "rss" and variant in self.peak_rss_kib:
            return [float(self.peak_rss_kib[variant])]
        pick: dict[str, Callable[[Sample], float]] = {
            "wall": lambda s: s.seconds,
            "cpu": lambda s: s.cpu_seconds,
            "rss": lambda s: float(s.max_rss_kib),
        }
        return [pick[what](s) for s in self.samples[variant]]

    def ratio(self, what: str, variant: str = "plugin") -> float:
        return statistics.median(self.values(variant, what)) / statistics.median(
            self.values("plain", what)
        )

    def paired_ratios(self, what: str, variant: str = "plugin") -> list[float]:
        pairs = zip(self.values("plain", what), self.values(variant, what), strict=False)
        return [b / a for a, b in pairs]

    def paired_ratio(self, what: str, variant: str = "plugin") -> float:
        return statistics.median(self.paired_ratios(what, variant))

    def as_json(self) -> dict[str, object]:
        return {
            "scenario": self.name,
            "runs": self.runs,
            "samples": {
                variant: [vars(sample) for sample in samples]
                for variant, samples in self.samples.items()
            },
            "peak_rss_kib": self.peak_rss_kib,
        }


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


# Running.


class Bench:
    def __init__(self, corpus: Corpus, *, quick: bool, runs: int, baseline: bool = False) -> None:
        self.corpus = corpus
        self.quick = quick
        self.runs = runs
        self.cache_root = WORK_DIR / "cache" / ("bench-quick" if quick else "bench")
        #: The variants timed, in the order each round runs them: plain mypy and
        #: the plugin next to each other, for the paired ratio.
        self.variants: tuple[str, ...] = (*VARIANTS, BASELINE) if baseline else VARIANTS

    @property
    def short_runs(self) -> int:
        return self.runs if self.quick else self.runs * SHORT_RUNS

    def config(self, variant: str) -> Path:
        if variant == BASELINE:
            return self._baseline_config()
        return self.corpus.config(plugin=variant == "plugin", quick=self.quick)

    def _baseline_config(self) -> Path:
        """Plain mypy's config with the baseline plugin in the ``plugins`` line."""
        plain = self.corpus.config(plugin=False, quick=self.quick)
        text = plain.read_text().replace(NO_PLUGIN_LINE, f"plugins = {BASELINE_PLUGIN}")
        # Next to the corpus configs: mypy reads ``packages`` relative to the
        # directory it runs in, and reports the config file's path.
        path = plain.with_name(f"{'quick-' if self.quick else ''}{BASELINE}.ini")
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        return path

    def cache(self, variant: str) -> Path:
        return self.cache_root / variant

    def fresh_cache(self, variant: str) -> None:
        """Empty the variant's cache directory."""
        shutil.rmtree(self.cache(variant), ignore_errors=True)
        self.cache(variant).mkdir(parents=True)

    def daemon_flags(self, variant: str) -> list[str]:
        """The mypy options a variant's daemon is started and run with."""
        config, cache = str(self.config(variant)), str(self.cache(variant))
        return ["--", "--config-file", config, "--cache-dir", cache]

    def mypy(self, variant: str, *flags: str) -> RunResult:
        command = mypy_command(self.config(variant), self.cache(variant), *flags)
        result = run_measured(command, cwd=self.corpus.directory)
        _check_exit(command, result)
        return result

    def cold(self) -> Scenario:
        scenario = Scenario("cold", "`mypy --no-incremental`", self.runs)
        for _ in range(self.runs):
            for variant in self.variants:
                scenario.add(variant, self.mypy(variant, "--no-incremental"))
        return scenario

    def warm(self) -> Scenario:
        scenario = Scenario("warm", "`mypy`, warm cache, nothing changed", self.short_runs)
        for variant in self.variants:
            self.fresh_cache(variant)
            self.mypy(variant)
        for _ in range(self.short_runs):
            for variant in self.variants:
                scenario.add(variant, self.mypy(variant))
        return scenario

    def daemon(self) -> Scenario:
        edit_file = self.corpus.directory / EDIT_FILES[self.quick]
        scenario = Scenario(
            "daemon",
            f"`dmypy run` after a one-line edit of `{EDIT_FILES[self.quick]}`",
            self.short_runs,
        )
        with _restored(edit_file) as original, self._daemons() as daemons:
            for variant in self.variants:
                daemons[variant]()  # the initial full check, not timed
            for index, edit in enumerate(_edits(original, 1 + self.short_runs)):
                edit_file.write_text(edit)
                for variant in self.variants:
                    result = daemons[variant]()
                    if index:  # the first recheck does one-time work: not timed
                        scenario.add(variant, result)
            for variant in self.variants:
                scenario.peak_rss_kib[variant] = _daemon_peak_rss(self._status(variant))
        return scenario

    def _status(self, variant: str) -> Path:
        return self.cache_root / f"dmypy-{variant}.json"

    @contextlib.contextmanager
    def _daemons(self) -> Iterator[dict[str, Callable[[], RunResult]]]:
        runners: dict[str, Callable[[], RunResult]] = {}
        for variant in self.variants:
            self.fresh_cache(variant)
            runners[variant] = self._daemon_runner(variant)
        try:
            yield runners
        finally:
            for variant in self.variants:
                subprocess.run(
                    [*_dmypy(self._status(variant)), "stop"], capture_output=True, check=False
                )

    def _daemon_runner(self, variant: str) -> Callable[[], RunResult]:
        status_file = self._status(variant)
        command = [*_dmypy(status_file), "run", "--timeout", "3600"]
        command += self.daemon_flags(variant)

        def run() -> RunResult:
            before = _daemon_cpu_seconds(status_file)
            result = run_measured(command, cwd=self.corpus.directory)
            _check_exit(command, result)
            # The daemon does the work: count its CPU time with the client's.
            daemon_cpu = _daemon_cpu_seconds(status_file) - before
            return replace(result, cpu_seconds=result.cpu_seconds + daemon_cpu)

        return run


def _edits(original: str, count: int) -> Iterator[str]:
    """``count`` one-line edits of a module's text, each a different length: mypy's
    file watcher compares sizes and modification times, and runs can fall within
    one tick of the clock."""
    for run in range(count):
        yield original + f"\n_bench_edit = {'1' * (run + 1)}\n"


def _dmypy(status_file: Path) -> list[str]:
    return [sys.executable, "-m", "mypy.dmypy", "--status-file", str(status_file)]


def _check_exit(command: Sequence[str], result: RunResult) -> None:
    if result.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command)} exited {result.returncode}:\n"
            f"{result.stderr[-3000:]}{result.stdout[-3000:]}"
        )


@contextlib.contextmanager
def _restored(path: Path) -> Iterator[str]:
    original = path.read_text()
    try:
        yield original
    finally:
        path.write_text(original)


def _daemon_pid(status_file: Path) -> int | None:
    try:
        return int(json.loads(status_file.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def _daemon_peak_rss(status_file: Path) -> int:
    """The daemon's peak resident set size so far, KiB (Linux)."""
    pid = _daemon_pid(status_file)
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _daemon_cpu_seconds(status_file: Path) -> float:
    """User plus system CPU time the daemon has used so far (Linux; else 0)."""
    pid = _daemon_pid(status_file)
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    _check_exit(command, result)
    return _parse_cachegrind(result.stderr)


def count_recheck_instructions(bench: Bench) -> dict[str, list[Counts]]:
    """``COUNTED_RUNS`` daemon rechecks after a one-line edit, per variant.

    Each daemon runs under callgrind (``dmypy daemon``, in the foreground); its
    counters are zeroed before a recheck and dumped after it, so a count holds the
    recheck and the client's request, not the full check that primed the daemon.
    """
    edit_file = bench.corpus.directory / EDIT_FILES[bench.quick]
    counts: dict[str, list[Counts]] = {variant: [] for variant in VARIANTS}
    with _restored(edit_file) as original, _counted_daemons(bench) as daemons:
        with ThreadPoolExecutor(len(VARIANTS)) as pool:
            list(pool.map(lambda daemon: daemon.run(), daemons))  # the full checks
        for index, edit in enumerate(_edits(original, 1 + COUNTED_RUNS)):
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
                *_dmypy(self.status),
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
        self.command = [*_dmypy(self.status), "run", "--timeout", "36000", *flags]

    def run(self) -> None:
        deadline = time.monotonic() + 600
        while _daemon_pid(self.status) is None:  # valgrind starts the daemon slowly
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the {self.variant} daemon under callgrind did not start")
            time.sleep(0.5)
        result = run_measured(self.command, cwd=self.cwd)
        _check_exit(self.command, result)

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
        subprocess.run([*_dmypy(self.status), "stop"], capture_output=True, check=False)
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


def _setup_name(seed: str, padding: int) -> str:
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


# Reporting.


def machine() -> dict[str, str]:
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
    hooks = importlib.import_module("mypy_await_plugin.plugin")
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


def _instruction_table(instructions: Instructions) -> list[str]:
    cold = instructions.cold
    pairs = list(zip(cold["plain"], cold["plugin"], strict=True))
    instruction_ratios = [b.instructions / a.instructions for a, b in pairs]
    cycle_ratios = [b.cycles / a.cycles for a, b in pairs]
    first, last, memory = CYCLES_PER_ACCESS
    first_setup = _setup_name(*COUNTED_SETUPS[0])
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
        *(
            _instruction_row(
                f"one cold run, {_setup_name(*setup)}",
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
        _medians_row(f"a warm run, median of {COUNTED_RUNS} ({first_setup})", instructions.warm),
        _medians_row(
            f"a daemon recheck, median of {COUNTED_RUNS} ({first_setup})",
            instructions.rechecks,
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
        help="markdown appended to the results (default: benchmarks/results-notes.md)",
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
        print(
            f"instructions: a cold run of each per setup ({len(COUNTED_SETUPS)})"
            " under cachegrind ...",
            flush=True,
        )
        cold = count_instructions(bench)
        print(f"instructions: {COUNTED_RUNS} warm runs of each under cachegrind ...")
        warm = count_warm_instructions(bench)
        print(f"instructions: {COUNTED_RUNS} daemon rechecks of each under callgrind ...")
        instructions = Instructions(cold, warm, count_recheck_instructions(bench))
    profile = profile_plugin(corpus, quick=args.quick) if args.profile else None
    notes_file: Path | None = args.notes
    if notes_file is None and not args.quick and DEFAULT_NOTES.exists():
        notes_file = DEFAULT_NOTES
    notes = notes_file.read_text() if notes_file else ""
    clocks = clock_plugin(corpus, quick=args.quick) if args.clock else None
    markdown = to_markdown(bench, scenarios, instructions, profile, notes, clocks)
    if args.samples:
        samples = [scenario.as_json() for scenario in scenarios]
        args.samples.write_text(json.dumps(samples, indent=1) + "\n")
    default = WORK_DIR / "RESULTS-quick.md" if args.quick else BENCH_DIR / "RESULTS.md"
    output: Path = args.output or default
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown)
    print(markdown)
    print(f"written: {output}")
    return 0


def compile_plugin() -> None:
    """Write the plugin's bytecode, as installing a wheel does.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on some CI
    machines) would otherwise compile the plugin's source in every measured run,
    a cost no installed copy pays."""
    import mypy_await_plugin

    package = Path(mypy_await_plugin.__file__).parent
    if not compileall.compile_dir(str(package), quiet=1):
        raise SystemExit(f"could not compile {package}")


if __name__ == "__main__":
    sys.exit(main())
