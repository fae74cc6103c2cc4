"""The test-data cases' mypy cache is kept per version of the plugin's source.

pytest-mypy-plugins shares one mypy cache between runs, and mypy keys a module's
cache entry on the plugin's configuration data and the file of the module named in
``plugins``, not on the plugin's other modules. After an edit of, say, ``sinks.py``
a case's results could come back from the cache of the previous run. So the cases
run under a directory named after a digest of the package's sources, and the
directories of other versions are removed.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent / "mypy_await_plugin"
BASE = Path(tempfile.gettempdir()) / "mypy-await-plugin-tests"


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "mypy_testing_base", None) != tempfile.gettempdir():
        return  # pytest-mypy-plugins is absent, or the base was chosen on the command line
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    testing_base = BASE / digest.hexdigest()
    if BASE.is_dir():
        for other in BASE.iterdir():
            if other != testing_base:
                shutil.rmtree(other, ignore_errors=True)
    testing_base.mkdir(parents=True, exist_ok=True)
    config.option.mypy_testing_base = str(testing_base)
