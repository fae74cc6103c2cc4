"""Running mypy for the benchmark: plain mypy against mypy with the plugin, timed.

This module owns the variants (plain mypy, the plugin, and with ``--baseline`` a
plugin that hooks nothing), their configs, caches and daemons, and the three timed
scenarios, each variant run alternately (A B A B) in the same invocation:

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

Wall time is measured around each process, CPU time and peak RSS with ``wait4``
(``corpus.run_measured``); for the daemon the peak RSS is the daemon's own
high-water mark (``VmHWM``) after all rechecks, and its CPU time is counted with
the client's. A ``Scenario`` holds the samples and their ratios, plugin over plain.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from corpus import (
    BENCH_DIR,
    NO_PLUGIN_LINE,
    WORK_DIR,
    Corpus,
    RunResult,
    mypy_command,
    run_measured,
)

#: How many times as many runs the short scenarios (warm, daemon) take.
SHORT_RUNS: Final = 5
#: The variants every measure compares: plain mypy and mypy with the plugin.
VARIANTS: Final = ("plain", "plugin")
#: With ``--baseline``, the timed scenarios also run a plugin that hooks nothing.
BASELINE: Final = "baseline"
BASELINE_PLUGIN: Final = BENCH_DIR / "baseline_plugin.py"
#: The module the daemon scenario edits, per corpus size.
EDIT_FILES: Final = {False: "aiohttp/client.py", True: "starlette/routing.py"}


@dataclass
class Sample:
    """One timed run of a variant."""

    seconds: float
    cpu_seconds: float
    max_rss_kib: int


@dataclass
class Scenario:
    """The timed runs of each variant in one scenario, and their ratios to plain mypy."""

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


class Bench:
    """The variants of one benchmark run, their configs, caches and daemons, and the
    scenarios that time them."""

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
        check_exit(command, result)
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
        with restored(edit_file) as original, self._daemons() as daemons:
            for variant in self.variants:
                daemons[variant]()  # the initial full check, not timed
            for index, edit in enumerate(edits(original, 1 + self.short_runs)):
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
                    [*dmypy(self._status(variant)), "stop"], capture_output=True, check=False
                )

    def _daemon_runner(self, variant: str) -> Callable[[], RunResult]:
        status_file = self._status(variant)
        command = [*dmypy(status_file), "run", "--timeout", "3600"]
        command += self.daemon_flags(variant)

        def run() -> RunResult:
            before = _daemon_cpu_seconds(status_file)
            result = run_measured(command, cwd=self.corpus.directory)
            check_exit(command, result)
            # The daemon does the work: count its CPU time with the client's.
            daemon_cpu = _daemon_cpu_seconds(status_file) - before
            return replace(result, cpu_seconds=result.cpu_seconds + daemon_cpu)

        return run


# What the scenarios share with the counted runs (``measures``).


def edits(original: str, count: int) -> Iterator[str]:
    """``count`` one-line edits of a module's text, each a different length: mypy's
    file watcher compares sizes and modification times, and runs can fall within
    one tick of the clock."""
    for run in range(count):
        yield original + f"\n_bench_edit = {'1' * (run + 1)}\n"


def dmypy(status_file: Path) -> list[str]:
    return [sys.executable, "-m", "mypy.dmypy", "--status-file", str(status_file)]


def check_exit(command: Sequence[str], result: RunResult) -> None:
    if result.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command)} exited {result.returncode}:\n"
            f"{result.stderr[-3000:]}{result.stdout[-3000:]}"
        )


@contextlib.contextmanager
def restored(path: Path) -> Iterator[str]:
    original = path.read_text()
    try:
        yield original
    finally:
        path.write_text(original)


def daemon_pid(status_file: Path) -> int | None:
    try:
        return int(json.loads(status_file.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def _daemon_peak_rss(status_file: Path) -> int:
    """The daemon's peak resident set size so far, KiB (Linux)."""
    pid = daemon_pid(status_file)
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _daemon_cpu_seconds(status_file: Path) -> float:
    """User plus system CPU time the daemon has used so far (Linux; else 0)."""
    pid = daemon_pid(status_file)
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Before any run.


def compile_plugin() -> None:
    """Write the plugin's bytecode, as installing a wheel does.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on some CI
    machines) would otherwise compile the plugin's source in every measured run,
    a cost no installed copy pays."""
    import mypy_await_plugin

    package = Path(mypy_await_plugin.__file__).parent
    if not compileall.compile_dir(str(package), quiet=1):
        raise SystemExit(f"could not compile {package}")
