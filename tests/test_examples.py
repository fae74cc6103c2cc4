"""The bundled example service: the README shows what the scan prints, and Python agrees."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESSOR = "examples/eventsvc/processor.py"


def scan_examples() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy_await_plugin", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if ": note: " not in line]


def readme_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    after = readme.split("<!-- scan-command -->", 1)[1]
    block = after.split("```\n")[3]
    return block.splitlines()


def test_readme_shows_what_the_scan_prints() -> None:
    assert scan_examples() == readme_block()


def test_every_coroutine_python_loses_is_a_finding() -> None:
    finding_lines = {
        int(line.split(":")[1]) for line in scan_examples() if line.startswith(PROCESSOR)
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT / "examples"), "PYTHONASYNCIODEBUG": "1"}
    ran = subprocess.run(
        [sys.executable, "-W", "always::RuntimeWarning", "-m", "eventsvc.processor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    # With origin tracking (asyncio debug mode), each warning's traceback ends with
    # the line that created the coroutine.
    lost = set()
    for warning in ran.stderr.split("RuntimeWarning: coroutine")[1:]:
        created_at = re.findall(r'File "[^"]*processor\.py", line (\d+)', warning)
        lost.add(int(created_at[-1]))
    assert lost, ran.stderr
    assert lost <= finding_lines, ran.stderr
