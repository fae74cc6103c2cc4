"""The benchmark reads cachegrind's totals and judges the target from both ratios.

CI runs ``bench.py --quick``, which counts nothing under valgrind (a counted run
takes minutes); this checks the part of ``--instructions`` that reads and reports,
on the summary cachegrind printed for a cold run of the benchmark corpus, and the
part of the results page a full run keeps.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

import measures
import report
import runners
from corpus import RunResult

SUMMARY = """\
==24727== I   refs:      29,701,196,411
==24727== I1  misses:       669,078,285
==24727== LLi misses:            89,615
==24727== I1  miss rate:           2.25%
==24727== LLi miss rate:           0.00%
==24727==
==24727== D   refs:      13,883,780,371  (9,511,925,753 rd   + 4,371,854,618 wr)
==24727== D1  misses:       259,250,929  (  231,736,846 rd   +    27,514,083 wr)
==24727== LLd misses:         4,030,668  (      177,600 rd   +     3,853,068 wr)
==24727== D1  miss rate:            1.9% (          2.4%     +           0.6%  )
==24727== LLd miss rate:            0.0% (          0.0%     +           0.1%  )
==24727==
==24727== LL refs:          928,329,214  (  900,815,131 rd   +    27,514,083 wr)
==24727== LL misses:          4,120,283  (      267,215 rd   +     3,853,068 wr)
==24727== LL miss rate:             0.0% (          0.0%     +           0.1%  )
"""


def test_totals_are_read_from_the_summary() -> None:
    counts = measures._parse_cachegrind(SUMMARY)
    assert counts == measures.Counts(29_701_196_411, 13_883_780_371, 928_329_214, 4_120_283)


def test_a_summary_without_cache_simulation_is_refused() -> None:
    with pytest.raises(SystemExit, match="D   refs"):
        measures._parse_cachegrind("==1== I   refs:      29,701,196,411\n")


def test_cycles_weigh_each_access_by_where_it_is_served() -> None:
    # 100 accesses: 90 served by a first-level cache, 8 by the last level, 2 by memory.
    counts = measures.Counts(instructions=60, data_accesses=40, first_level_misses=10,
                          last_level_misses=2)  # fmt: skip
    assert counts.cycles == 90 * 1 + 8 * 5 + 2 * 35


def test_a_daemon_dump_gives_the_same_totals() -> None:
    dump = (
        "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n"
        "summary: 38531665 10389982 5691585 308565 453679 86205 11420 21427 36782\n"
    )
    counts = measures._parse_callgrind_dump(dump)
    assert counts == measures.Counts(
        instructions=38_531_665,
        data_accesses=10_389_982 + 5_691_585,
        first_level_misses=308_565 + 453_679 + 86_205,
        last_level_misses=11_420 + 21_427 + 36_782,
    )


def _instructions(plugin_instructions: int, plugin_misses: int) -> measures.Instructions:
    plain = measures.Counts(1_000_000, 500_000, 10_000, 100)
    plugin = measures.Counts(plugin_instructions, 500_000, plugin_misses, 100)
    runs = {"plain": [plain] * 3, "plugin": [plugin] * 3}
    recheck = {
        "plain": [measures.Counts(1000, 500, 10, 1)] * 3,
        "plugin": [measures.Counts(1010, 500, 10, 1)] * 3,
    }
    return measures.Instructions(cold=runs, warm=runs, rechecks=recheck)


def _row(table: list[str], measure: str) -> str:
    return next(row for row in table if row.startswith(f"| {measure}"))


def test_the_target_is_met_when_both_ratios_are_within_it() -> None:
    row = _row(report._instruction_table(_instructions(1_020_000, 10_100)), "one cold run, median")
    assert row.endswith("| 1.0200 | 1.0132 | met |")


def test_cache_misses_alone_can_miss_the_target() -> None:
    # 2% more instructions, but five times the misses of plain mypy.
    row = _row(report._instruction_table(_instructions(1_020_000, 50_000)), "one cold run, median")
    assert row.endswith("| 1.0200 | 1.1167 | MISSED |")


def test_warm_runs_and_rechecks_are_judged_by_their_medians() -> None:
    table = report._instruction_table(_instructions(1_020_000, 50_000))
    warm = _row(table, "a warm run")
    recheck = _row(table, "a daemon recheck")
    assert warm.endswith("| 1,000,000 | 1,020,000 | 1.0200 | 1.1167 | MISSED |")
    assert recheck.endswith("| 1,000 | 1,010 | 1.0100 | 1.0064 | met |")


def test_counting_the_cold_scenario_alone_leaves_the_other_rows_out() -> None:
    counts = _instructions(1_020_000, 10_100)
    cold_only = measures.Instructions(cold=counts.cold, warm={}, rechecks={})
    table = report._instruction_table(cold_only)
    assert _row(table, "one cold run, median")
    assert not [row for row in table if row.startswith(("| a warm run", "| a daemon recheck"))]
    assert report._counted(cold_only) == "cold"
    assert report._counted(counts) == "cold,warm,daemon"


def test_the_paired_interval_is_the_sign_tests() -> None:
    # Five values cannot give 95%: even their extremes bracket the median with
    # probability 1 - 2/32 = 0.9375.
    assert measures.median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) is None
    # Six can, with the extremes (1 - 2/64 = 0.969).
    assert measures.median_interval([6.0, 1.0, 5.0, 2.0, 4.0, 3.0]) == (1.0, 6.0)
    # Forty: the 14th smallest and the 14th largest (P(B < 14) = 0.0192).
    values = [float(v) for v in range(40)]
    assert measures.median_interval(values) == (13.0, 26.0)


def test_a_noisy_run_shows_its_interval_in_the_table() -> None:
    scenario = runners.Scenario("cold", "`mypy --no-incremental`", 6)
    for plain, plugin in [(10, 10.2), (9, 9.5), (11, 10.9), (10, 10.4), (9.5, 9.6), (10, 10.1)]:
        scenario.add("plain", RunResult(1, "", "", plain, 1000, plain))
        scenario.add("plugin", RunResult(1, "", "", plugin, 1000, plugin))
    assert report._interval(scenario.paired_ratios("wall")) == "0.991-1.056"


def test_the_baseline_gets_its_own_row_against_the_same_plain_runs() -> None:
    scenario = runners.Scenario("cold", "`mypy --no-incremental`", 6)
    for plain, plugin, baseline in [(10, 10.5, 10.2)] * 6:
        scenario.add("plain", RunResult(1, "", "", plain, 1000, plain))
        scenario.add("plugin", RunResult(1, "", "", plugin, 1000, plugin))
        scenario.add(runners.BASELINE, RunResult(1, "", "", baseline, 1000, baseline))
    row = report._scenario_row(scenario, runners.BASELINE, "(the floor)")
    assert row.startswith("| cold, baseline: `mypy --no-incremental` | 10.00 (10.00-10.00)")
    assert "| 1.020 | 1.020 | 1.020-1.020 | 1.020 |" in row
    assert row.endswith("| (the floor) |")


@pytest.mark.parametrize(("label", "module", "path"), measures.CLOCKED)
def test_each_clocked_entry_point_exists(label: str, module: str, path: str) -> None:
    # ``--clock`` replaces these by name: a rename must fail here, not time nothing.
    owner: object = importlib.import_module(module)
    for part in path.split("."):
        owner = getattr(owner, part)
    assert callable(owner), label


def test_a_clock_counts_an_entry_point_called_from_another_once() -> None:
    clock = measures.Clock("hooked")

    def inner(x: int) -> int:
        return x + 1

    clocked_inner = measures._clocked(inner, clock)

    def outer(x: int) -> object:
        return clocked_inner(x)

    clocked_outer = measures._clocked(outer, clock)
    assert clocked_outer(1) == 2
    assert clocked_inner(2) == 3
    assert clock.calls == 2
    assert not clock.running


def test_a_full_run_keeps_the_hand_written_part_of_the_results_page() -> None:
    # ``bench.py`` (not ``--quick``) rewrites RESULTS.md: the tables above the marker,
    # and the method and the current numbers below it, as they were.
    page = report.RESULTS.read_text()
    kept = report.default_notes()
    assert kept.startswith(report.HAND_WRITTEN_MARKER)
    assert page.endswith(kept)
    assert "\n## This version\n" in kept
    assert report.hand_written_part("# Overhead benchmark\n\n| a table |\n") == ""
