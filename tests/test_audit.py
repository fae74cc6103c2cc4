"""The audit's corpora are pinned exactly, and a plugin-only run reports what it left out.

The audit itself downloads packages and runs mypy for minutes, so it stays out of the
suite; this checks the parts a re-run depends on: the requirements files that make it
reproducible, and the report of ``--plugin-only`` (used while triaging).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

import audit
import corpus

#: ``name==version`` with nothing looser (no ranges, no extras, no markers).
EXACT_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")


def _pins(name: str) -> list[str]:
    text = (corpus.BENCH_DIR / name).read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    "name",
    [
        "requirements-corpus.txt",
        "requirements-crash.txt",
        "requirements-users.txt",
        "requirements-users-sources.txt",
    ],
)
def test_every_requirement_is_pinned_exactly(name: str) -> None:
    loose = [line for line in _pins(name) if not EXACT_PIN.match(line)]
    assert loose == []


def test_the_users_corpus_pins_each_package_it_checks() -> None:
    # Distribution names differ from import names (discord.py, textual-dev ...).
    pins = _pins("requirements-users.txt") + _pins("requirements-users-sources.txt")
    pinned = {re.sub(r"[-_.]", "", line.split("==")[0].lower()) for line in pins}
    aliases = {"discord": "discordpy"}
    for package in corpus.USERS_PACKAGES + corpus.USERS_SOURCE_PACKAGES:
        assert aliases.get(package, package.replace("_", "")) in pinned, package


def test_packages_checked_as_sources_only_are_not_installed() -> None:
    # Installing them would break ``pip check``: that is why they are sources only.
    installed = {line.split("==")[0].lower() for line in _pins("requirements-users.txt")}
    sources = {line.split("==")[0].lower() for line in _pins("requirements-users-sources.txt")}
    assert not installed & sources


def test_the_users_corpus_is_its_own_and_leaves_the_benchmark_corpus_alone() -> None:
    assert not set(corpus.USERS_PACKAGES) & set(corpus.CORPUS_PACKAGES + corpus.CRASH_PACKAGES)
    with pytest.raises(ValueError, match="one at a time"):
        corpus.ensure_corpus(crash=True, users=True)


def test_a_plugin_only_report_says_the_plain_run_was_left_out() -> None:
    finding = audit.Finding(
        "pkg/mod.py", 3, 4, "dangling-task", "Task dropped", None, "asyncio.create_task(f())"
    )
    result = audit.AuditResult(
        corpus="users-corpus",
        packages=("pkg",),
        lines={"pkg": 10},
        plugin_findings=[finding],
        internal_errors=[],
        opt_in_findings=[],
        plugin_seconds=1.0,
        plain_seconds=None,
        mypy_crashed=[],
    )
    markdown = audit.to_markdown(result)
    assert "| pkg | 10 | 0 | 0 | 0 | 0 | 0 | 1 | 0 | - | - |" in markdown
    assert "plain run left out" in markdown
    assert "- `pkg/mod.py:3` [dangling-task] Task dropped" in markdown
