"""Build the real-world corpora the audit, crash scan and benchmark check.

Usage::

    python benchmarks/corpus.py            # the audit corpus (requirements-corpus.txt)
    python benchmarks/corpus.py --crash    # also the crash-scan corpus
    python benchmarks/corpus.py --users    # also the users' corpus
    python benchmarks/corpus.py --force    # reinstall and copy again

Each corpus gets its own virtual environment under ``benchmarks/.work/`` with the
pinned packages installed (``pip install --no-deps``, then ``pip check``). Their
sources (``.py``, ``.pyi``, ``py.typed``) are copied out of site-packages into a
project directory, where mypy checks them as first-party code; the virtual
environment stays mypy's ``python_executable`` so that the packages' dependencies
are found with their types. The project directory holds one mypy config per run
kind; the plain and plugin configs differ only in the ``plugins`` line:

* ``plugin.ini`` / ``plain.ini``: every package of the corpus,
* ``quick-plugin.ini`` / ``quick-plain.ini``: a small part of it (CI smoke runs;
  not for the users' corpus).

The audit corpus (and the crash-scan corpus built on it) holds async libraries
checked from the inside; the users' corpus (``requirements-users.txt``) holds
published packages that use such libraries from the outside, with the libraries
themselves left installed in its environment, as a user's project sees them.

This module is also the shared library of the other scripts (paths, the corpus
layout, running mypy and measuring a run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

BENCH_DIR: Final = Path(__file__).resolve().parent
REPO_DIR: Final = BENCH_DIR.parent
WORK_DIR: Final = BENCH_DIR / ".work"

#: The packages the audit and the benchmark check (requirements-corpus.txt).
CORPUS_PACKAGES: Final = ("aiohttp", "httpx", "httpcore", "anyio", "starlette", "trio")
#: The small corpus of ``--quick`` runs.
QUICK_PACKAGES: Final = ("starlette",)
#: Checked on top of the corpus by the crash scan (requirements-crash.txt).
CRASH_PACKAGES: Final = (
    "aio_pika",
    "aiofiles",
    "aiokafka",
    "aiormq",
    "aiosqlite",
    "asyncpg",
    "asyncssh",
    "fastapi",
    "hypercorn",
    "quart",
    "redis",
    "textual",
    "tornado",
    "uvicorn",
    "websockets",
)
#: The users' corpus (requirements-users.txt, on its own): code that uses redis-py
#: pipelines, tornado, aiohttp, anyio and asyncio from the outside.
USERS_PACKAGES: Final = (
    "aiocache",
    "discord",
    "distributed",
    "jupyter_client",
    "jupyter_server",
    "jupyter_server_terminals",
    "limits",
    "litestar",
    "mcp",
    "nbclient",
    "saq",
    "sanic",
    "sse_starlette",
    "taskiq",
    "taskiq_redis",
    "terminado",
    "textual_dev",
    "textual_serve",
)
#: Checked in the users' corpus as sources only (requirements-users-sources.txt):
#: downloaded and unpacked beside the others, never installed, because what they
#: declare they need excludes the environment's versions (arq declares redis<6; how
#: the plugin reads redis 8's declarations through them is the point).
USERS_SOURCE_PACKAGES: Final = ("arq",)
PLUGIN_LINE: Final = "plugins = mypy_await_plugin"
#: The line in its place in plain mypy's config.
NO_PLUGIN_LINE: Final = "# (no plugin)"
_COPIED_SUFFIXES: Final = (".py", ".pyi", "py.typed")


@dataclass(frozen=True)
class Corpus:
    """A project directory of copied package sources, ready for mypy."""

    name: str
    directory: Path
    venv: Path
    packages: tuple[str, ...]

    def config(self, *, plugin: bool, quick: bool = False) -> Path:
        prefix = "quick-" if quick else ""
        return self.directory / f"{prefix}{'plugin' if plugin else 'plain'}.ini"

    def line_counts(self, packages: Iterable[str] | None = None) -> dict[str, int]:
        """Lines of ``.py`` source per package."""
        return {
            package: count_lines(self.directory / package)
            for package in (self.packages if packages is None else packages)
        }


# Building.


def ensure_corpus(*, crash: bool = False, users: bool = False, force: bool = False) -> Corpus:
    """The audit corpus; with ``crash`` the crash-scan corpus (a superset of it);
    with ``users`` the users' corpus (a corpus of its own)."""
    if crash and users:
        raise ValueError("the crash-scan and the users' corpus are built one at a time")
    requirements = [BENCH_DIR / "requirements-corpus.txt"]
    packages: tuple[str, ...] = CORPUS_PACKAGES
    name = "corpus"
    if crash:
        requirements.append(BENCH_DIR / "requirements-crash.txt")
        packages = CORPUS_PACKAGES + CRASH_PACKAGES
        name = "crash-corpus"
    source_only: list[Path] = []
    if users:
        requirements = [BENCH_DIR / "requirements-users.txt"]
        source_only = [BENCH_DIR / "requirements-users-sources.txt"]
        packages = USERS_PACKAGES + USERS_SOURCE_PACKAGES
        name = "users-corpus"
    venv = WORK_DIR / f"venv-{name}"
    corpus = Corpus(name, WORK_DIR / name, venv, packages)
    stamp = _stamp([*requirements, *source_only], packages)
    if force or _read_stamp(venv) != stamp:
        _build_venv(venv, requirements)
        (venv / "corpus-stamp").write_text(stamp)
    if force or _read_stamp(corpus.directory) != stamp:
        _copy_sources(corpus, source_only)
        (corpus.directory / "corpus-stamp").write_text(stamp)
    _write_configs(corpus)
    return corpus


def _stamp(requirements: Sequence[Path], packages: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for path in requirements:
        digest.update(path.read_bytes())
    digest.update(" ".join(packages).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _read_stamp(directory: Path) -> str | None:
    stamp = directory / "corpus-stamp"
    return stamp.read_text() if stamp.exists() else None


def _build_venv(venv: Path, requirements: Sequence[Path]) -> None:
    print(f"creating {venv.relative_to(REPO_DIR)} ...", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check"]
    install = [*pip, "install", "--quiet", "--no-deps"]
    for path in requirements:
        install += ["-r", str(path)]
    subprocess.run(install, check=True)
    subprocess.run([*pip, "check"], check=True)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run(
        [str(venv_python(venv)), "-c", code], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def _copy_sources(corpus: Corpus, source_only: Sequence[Path] = ()) -> None:
    print(f"copying sources into {corpus.directory.relative_to(REPO_DIR)} ...", flush=True)
    if corpus.directory.exists():
        shutil.rmtree(corpus.directory)
    corpus.directory.mkdir(parents=True)
    roots = [site_packages(corpus.venv)]
    if source_only:
        roots.append(_unpack_source_only(corpus, source_only))
    for package in corpus.packages:
        root = next(root for root in roots if (root / package).is_dir())
        shutil.copytree(root / package, corpus.directory / package, ignore=_not_source)


def _unpack_source_only(corpus: Corpus, requirements: Sequence[Path]) -> Path:
    """The pinned wheels of ``requirements``, downloaded without their dependencies
    and unpacked (not installed: ``pip check`` of the environment stays clean)."""
    work = WORK_DIR / f"sources-{corpus.name}"
    if work.exists():
        shutil.rmtree(work)
    wheels, tree = work / "wheels", work / "tree"
    download = [str(venv_python(corpus.venv)), "-m", "pip", "--disable-pip-version-check"]
    download += ["download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", str(wheels)]
    for path in requirements:
        download += ["-r", str(path)]
    subprocess.run(download, check=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tree)
    return tree


def _not_source(directory: str, names: list[str]) -> set[str]:
    """What ``copytree`` leaves out: all but sources, stubs and markers (and caches)."""
    ignored = {"__pycache__"}
    for name in names:
        is_dir = os.path.isdir(os.path.join(directory, name))
        if not is_dir and not name.endswith(_COPIED_SUFFIXES):
            ignored.add(name)
    return ignored


def _write_configs(corpus: Corpus) -> None:
    has_quick_part = set(QUICK_PACKAGES) <= set(corpus.packages)
    for quick in (False, True) if has_quick_part else (False,):
        packages = QUICK_PACKAGES if quick else corpus.packages
        for plugin in (False, True):
            text = mypy_config(corpus, packages, plugin=plugin)
            path = corpus.config(plugin=plugin, quick=quick)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)


def mypy_config(corpus: Corpus, packages: Sequence[str], *, plugin: bool) -> str:
    """A config for ``packages``; with and without the plugin it differs in one line."""
    lines = [
        "# Written by benchmarks/corpus.py.",
        "[mypy]",
        PLUGIN_LINE if plugin else NO_PLUGIN_LINE,
        f"python_executable = {venv_python(corpus.venv)}",
        f"packages = {', '.join(packages)}",
        "check_untyped_defs = True",
        "ignore_missing_imports = True",
        "show_traceback = True",
        "",
    ]
    return "\n".join(lines)


def count_lines(path: Path) -> int:
    """Lines in the ``.py`` files under ``path``."""
    total = 0
    for file in sorted(path.rglob("*.py")):
        with file.open("rb") as handle:
            total += sum(1 for _ in handle)
    return total


# Running mypy.


@dataclass(frozen=True)
class RunResult:
    """One finished process: its exit code, output, wall time and peak memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    #: Peak resident set size of the process and the children it waited for, KiB.
    max_rss_kib: int
    #: User plus system CPU time of the process and its waited-for children.
    cpu_seconds: float = 0.0


def mypy_command(config: Path, cache_dir: Path | None, *extra: str) -> list[str]:
    """``mypy`` of this interpreter's environment, on a corpus config."""
    command = [sys.executable, "-m", "mypy", "--config-file", str(config)]
    if cache_dir is not None:
        command += ["--cache-dir", str(cache_dir)]
    return [*command, *extra]


def run_measured(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> RunResult:
    """Run ``command`` and measure its wall time and peak RSS (``wait4``)."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
    ):
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, env=dict(env) if env else None
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return RunResult(
            process.returncode,
            out.read(),
            err.read(),
            seconds,
            _max_rss_kib(usage),
            usage.ru_utime + usage.ru_stime,
        )


def _max_rss_kib(usage: resource.struct_rusage) -> int:
    # Linux reports KiB, macOS bytes.
    return usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss


def parse_json_output(stdout: str) -> list[dict[str, object]]:
    """The messages of ``mypy -O json`` (one object per line)."""
    messages: list[dict[str, object]] = []
    for raw in stdout.splitlines():
        line = raw.strip()
        if line.startswith("{"):
            messages.append(json.loads(line))
    return messages


def plugin_env(*, debug: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "MYPY_AWAIT_PLUGIN_DEBUG"}
    if debug:
        env["MYPY_AWAIT_PLUGIN_DEBUG"] = "1"
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crash", action="store_true", help="also build the crash corpus")
    parser.add_argument("--users", action="store_true", help="also build the users' corpus")
    parser.add_argument("--force", action="store_true", help="reinstall and copy again")
    args = parser.parse_args(argv)
    corpora = [ensure_corpus(force=args.force)]
    if args.crash:
        corpora.append(ensure_corpus(crash=True, force=args.force))
    if args.users:
        corpora.append(ensure_corpus(users=True, force=args.force))
    for corpus in corpora:
        counts = corpus.line_counts()
        width = max(12, *map(len, counts))
        print(f"{corpus.name}: {corpus.directory}")
        for package, lines in counts.items():
            print(f"  {package:<{width}} {lines:>8} lines")
        print(f"  {'total':<{width}} {sum(counts.values()):>8} lines")
        if corpus.name == "crash-corpus":
            extra = sum(corpus.line_counts(CRASH_PACKAGES).values())
            print(f"  beyond the audit corpus: {extra} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
