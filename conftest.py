"""The test-data cases' mypy cache is kept per version of the plugin's source.

pytest-mypy-plugins shares one mypy cache between runs, and mypy keys a module's
cache entry on the plugin's configuration data and the file of the module named in
``plugins``, not on the plugin's other modules. After an edit of, say, ``sinks.py``
a case's results could come back from the cache of the previous run. So the cases
run under a directory named after a digest of the package's sources, and the
directories of other versions are removed: those of this checkout only, so that the
suites of two checkouts (a clean clone beside the working tree) never share a cache
or remove each other's.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import shutil
import sys
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
    checkout = BASE / hashlib.blake2b(str(PACKAGE.resolve()).encode(), digest_size=6).hexdigest()
    testing_base = checkout / digest.hexdigest()
    if checkout.is_dir():
        for other in checkout.iterdir():
            if other != testing_base:
                shutil.rmtree(other, ignore_errors=True)
    testing_base.mkdir(parents=True, exist_ok=True)
    config.option.mypy_testing_base = str(testing_base)
    _link_cache_versions(testing_base)


def _link_cache_versions(testing_base: Path) -> None:
    """After each case pytest-mypy-plugins removes its modules from the shared cache,
    in the folder of the running Python's version. The cases are checked for the
    version ``test-data/mypy.ini`` names, whose folder mypy writes: without a link
    from one to the other nothing is removed, and a case's modules stay in the cache
    for the cases run after it, which then depend on the order xdist gives them."""
    ini = configparser.ConfigParser()
    ini.read(Path(__file__).parent / "test-data" / "mypy.ini")
    checked = ini.get("mypy", "python_version", fallback=None)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if checked is None or checked == running:
        return
    cache = testing_base / ".mypy_cache"
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):  # as pytest-mypy-plugins names it
        cache /= worker
    (cache / checked).mkdir(parents=True, exist_ok=True)
    link = cache / running
    if not link.is_symlink():
        shutil.rmtree(link, ignore_errors=True)
        link.symlink_to(checked, target_is_directory=True)
