"""The scan's findings as a SARIF 2.1.0 log, for GitHub code scanning.

One run of the ``mypy-await`` tool: a rule per error code, with the code's docs page
(``docs/checks/CODE.md``) as its help, and a result per finding. Regions are
1-based with an exclusive end column, as SARIF counts. Each result's fingerprint is
the finding's baseline key (``baseline.finding_key``: file, code, message, source
line text; no line number) with the number of earlier findings of the same key, so
it stays the same while edits elsewhere move the finding.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Final

from mypy_await_plugin import __version__
from mypy_await_plugin.errorcodes import ALL_CODES
from mypy_await_plugin.scan.baseline import finding_key
from mypy_await_plugin.scan.findings import MYPY_CODES, Finding

SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT: Final = "mypyAwait/v1"
#: mypy's own codes have no page here: mypy's documentation describes them.
_MYPY_RULES: Final = {
    "unused-coroutine": (
        "A coroutine is created and its value is not used (mypy's own check).",
        "https://mypy.readthedocs.io/en/stable/error_code_list.html"
        "#check-that-coroutine-return-value-is-used-unused-coroutine",
    ),
    "unused-awaitable": (
        "An awaitable is created and its value is not used (mypy's own check).",
        "https://mypy.readthedocs.io/en/stable/error_code_list2.html"
        "#check-that-awaitable-return-value-is-used-unused-awaitable",
    ),
}


def sarif_document(findings: list[Finding], root: Path) -> str:
    """The log, for findings whose files are under ``root`` (the checkout)."""
    codes = [*MYPY_CODES, *(code.code for code in ALL_CODES)]
    index = {code: number for number, code in enumerate(codes)}
    run = {
        "tool": {
            "driver": {
                "name": "mypy-await",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(code) for code in codes],
            }
        },
        "originalUriBaseIds": {"SRCROOT": {"uri": root.absolute().as_uri() + "/"}},
        "results": _results(findings, index, root),
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False)


def _results(findings: list[Finding], index: dict[str, int], root: Path) -> list[Any]:
    seen: Counter[tuple[str, str, str, str]] = Counter()
    results = []
    for finding in findings:
        key = finding_key(finding, root)
        occurrence = seen[key]
        seen[key] += 1
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index.get(finding.code, -1),
                "level": "error",
                "message": {"text": "\n".join([finding.message, *finding.notes])},
                "locations": [{"physicalLocation": _location(finding, key[0])}],
                "partialFingerprints": {FINGERPRINT: _fingerprint(key, occurrence)},
            }
        )
    return results


def _location(finding: Finding, relative: str) -> dict[str, Any]:
    artifact: dict[str, str] = {"uri": relative}
    if not Path(relative).is_absolute():
        artifact["uriBaseId"] = "SRCROOT"
    else:
        artifact["uri"] = Path(relative).as_uri()
    region = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column + 1,  # the column after the last character
    }
    return {"artifactLocation": artifact, "region": region}


def _fingerprint(key: tuple[str, str, str, str], occurrence: int) -> str:
    digest = hashlib.sha256(json.dumps([*key, occurrence]).encode())
    return digest.hexdigest()


def _rule(code: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": code,
        "name": code,
        "defaultConfiguration": {"level": "error"},
    }
    if code in _MYPY_RULES:
        description, uri = _MYPY_RULES[code]
        rule["shortDescription"] = {"text": description}
        rule["helpUri"] = uri
        return rule
    page = docs_page(code)
    if page is None:
        return rule
    rule["shortDescription"] = {"text": summary(page)}
    rule["help"] = {"text": page, "markdown": page}
    return rule


def docs_page(code: str) -> str | None:
    """The docs page of ``code``: shipped in the wheel, or in a source checkout."""
    name = f"{code}.md"
    shipped = resources.files("mypy_await_plugin").joinpath("docs", name)
    checkout = Path(__file__).resolve().parents[2] / "docs" / "checks" / name
    for page in (shipped, checkout):
        try:
            return page.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def summary(page: str) -> str:
    """The first sentence of the page's "What it catches", as one line."""
    lines = page.split("## What it catches", 1)[-1].strip().splitlines()
    paragraph: list[str] = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            break
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    sentence_end = text.find(". ")
    if sentence_end >= 0:
        text = text[:sentence_end]
    return text.rstrip(".:") + "."
