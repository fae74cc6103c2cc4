"""Build hook: a wheel whose hook path is compiled with mypyc (off unless asked for).

``HATCH_BUILD_HOOKS_ENABLE=1 python -m pip install .`` compiles the modules that run
inside mypy's hooks with mypyc, as mypy and black compile themselves; a build without
it, and every editable install, is plain Python. Both behave the same, and the
compiled build spends about a quarter less time in the plugin's code (see
``benchmarks/RESULTS.md``).

Left as Python: ``__init__`` (pytest marks the package for assertion rewriting,
since its run-time guard is a pytest plugin, and a compiled ``__init__`` imported
before a pytest session starts, as ``pytester`` does, makes pytest warn that it
cannot rewrite it), ``loading`` (it must run on any mypy, to turn an unsupported one
away), the command line (``__main__``, ``scan``) and the pytest plugin (``guard``),
which runs outside mypy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "mypy_await_plugin"
NOT_COMPILED = frozenset({"__init__.py", "__main__.py", "loading.py"})
NOT_COMPILED_DIRS = frozenset({"scan", "guard"})
EXTENSIONS = frozenset({".so", ".pyd"})


class MypycBuildHook(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"
    #: Where the modules are compiled, until the wheel holds the libraries.
    _work: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install runs the sources as they are edited
        self._work = Path(tempfile.mkdtemp(prefix="mypy-await-plugin-mypyc-"))
        shutil.copytree(Path(self.root) / PACKAGE, self._work / PACKAGE)
        sources = [s.relative_to(self._work).as_posix() for s in compiled_sources(self._work)]
        # mypyc type-checks the modules first, under mypy's defaults (no config here).
        result = subprocess.run(
            [sys.executable, "-m", "mypyc", *sources],
            check=False,
            cwd=self._work,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"mypyc failed (status {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        for library in sorted(self._work.rglob("*")):
            relative = library.relative_to(self._work)
            # mypyc builds under ``build/`` and copies each library beside its source.
            if library.suffix in EXTENSIONS and relative.parts[0] != "build":
                build_data["force_include"][str(library)] = relative.as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)


def compiled_sources(root: Path) -> list[Path]:
    """The package's modules that the compiled build compiles."""
    package = root / PACKAGE
    return sorted(
        path
        for path in package.rglob("*.py")
        if path.name not in NOT_COMPILED
        and NOT_COMPILED_DIRS.isdisjoint(path.relative_to(package).parts[:-1])
    )
