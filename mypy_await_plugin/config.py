"""The plugin's own configuration: ``[mypy_await_plugin]`` / ``[tool.mypy_await_plugin]``.

Read once per mypy process from the config file mypy itself uses
(``options.config_file``: the file given with ``--config-file`` or the one mypy
found, ``mypy.ini``, ``.mypy.ini``, ``pyproject.toml``, ``setup.cfg`` or a user
config). With no config file there is no plugin section and nothing to read.

Every key holds a list: comma- or newline-separated in ini files, an array of
strings in TOML. Values are checked for their shape only (a full name, a sink, a
known check code): names are resolved lazily, when a call of that name is checked,
because whether a module is part of a run depends on what mypy was asked to check.
A name that never resolves simply never matches.

Everything here changes the plugin's output, so ``AwaitConfig.to_data`` feeds
``report_config_data``. Problems raise ``ConfigError`` with one line naming the
file, the section and the key.
"""

from __future__ import annotations

import configparser
import difflib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Final, NamedTuple

from mypy.options import Options

from mypy_await_plugin.entries import parse_sink
from mypy_await_plugin.errorcodes import CODES_BY_NAME

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

INI_SECTION: Final = "mypy_await_plugin"
TOML_SECTION: Final = "tool.mypy_await_plugin"


class ConfigError(Exception):
    """A problem in the plugin's configuration: one line naming file, section and key."""


class AwaitConfig(NamedTuple):
    """The plugin's settings. (A ``NamedTuple``, like the small records of this
    package that exist when mypy loads it: a frozen dataclass takes a millisecond to
    define, a noticeable part of a warm mypy run.)"""

    #: Types or callables whose results must be awaited (full names).
    must_await: frozenset[str] = frozenset()
    #: Callables whose awaitable results may be dropped (full names), and receiver
    #: classes every method call on which may be dropped (``package.Class.*``).
    may_discard: frozenset[str] = frozenset()
    #: Extra sinks for ``async-callback``: ``module.func:param`` or ``module.func:N``.
    sync_callbacks: frozenset[str] = frozenset()
    #: Extra functions for ``dangling-task`` (full names).
    task_spawners: frozenset[str] = frozenset()
    #: Check codes turned off.
    disable: frozenset[str] = frozenset()

    def to_data(self) -> dict[str, list[str]]:
        return {
            "must_await": sorted(self.must_await),
            "may_discard": sorted(self.may_discard),
            "sync_callbacks": sorted(self.sync_callbacks),
            "task_spawners": sorted(self.task_spawners),
            "disable": sorted(self.disable),
        }


def load_config(options: Options) -> AwaitConfig:
    """The plugin's section of the config file mypy uses (``options.config_file``)."""
    path = options.config_file
    if not path:
        return AwaitConfig()
    if _is_toml(path):
        return _from_toml(path)
    return _from_ini(path)


# Reading the two file formats.


def _is_toml(path: str) -> bool:
    # The test mypy itself uses to pick a parser.
    return path.lower().endswith(".toml")


def _from_toml(path: str) -> AwaitConfig:
    where = _Where(path, TOML_SECTION)
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise where.error(f"cannot read the file: {_one_line(exc)}") from None
    tool = data.get("tool", {})
    section = tool.get("mypy_await_plugin") if isinstance(tool, dict) else None
    if section is None:
        return AwaitConfig()
    if not isinstance(section, dict):
        raise where.error("must be a table")
    values: dict[str, list[str]] = {}
    for key, value in section.items():
        where.check_key(key)
        values[key] = _toml_list(value, where.at(key))
    return _build(values, where)


def _toml_list(value: object, where: _Where) -> list[str]:
    if isinstance(value, str):
        raise where.error(f'must be an array of strings, e.g. ["{value}"]')
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise where.error("must be an array of strings")
    return [item.strip() for item in value]


def _from_ini(path: str) -> AwaitConfig:
    where = _Where(path, INI_SECTION)
    # The parser mypy itself uses for ini files: no interpolation, no inline comments.
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as file:
            parser.read_file(file, source=path)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise where.error(f"cannot read the file: {_one_line(exc)}") from None
    if not parser.has_section(INI_SECTION):
        return AwaitConfig()
    inherited = parser.defaults()
    values: dict[str, list[str]] = {}
    for key in parser.options(INI_SECTION):
        if key in inherited and key not in KEYS:
            continue  # a [DEFAULT] entry meant for other sections
        where.check_key(key)
        values[key] = _split_ini(parser.get(INI_SECTION, key))
    return _build(values, where)


def _split_ini(value: str) -> list[str]:
    """Entries separated by commas and/or newlines; blank entries dropped."""
    return [item.strip() for line in value.splitlines() for item in line.split(",")]


# Checking values and building the config.


def _build(values: Mapping[str, list[str]], where: _Where) -> AwaitConfig:
    checked = {
        key: frozenset(_check_all(values.get(key, []), KEYS[key], where.at(key))) for key in KEYS
    }
    both = sorted(checked["must_await"] & checked["may_discard"])
    if both:
        raise where.at("may_discard").error(f'"{both[0]}" is also listed in must_await')
    return AwaitConfig(**checked)


def _check_all(entries: Iterable[str], check: _Check, where: _Where) -> Iterable[str]:
    for entry in entries:
        if not entry:
            continue
        problem = check(entry)
        if problem is not None:
            raise where.error(problem)
        yield entry


def _check_full_name(entry: str) -> str | None:
    parts = entry.split(".")
    if len(parts) >= 2 and all(part.isidentifier() for part in parts):
        return None
    return f'"{entry}" is not a full name (write it as "package.module.Name")'


def _check_discardable(entry: str) -> str | None:
    """A callee's full name, or ``package.module.Class.*``: every method called on an
    instance of that class (``queued``)."""
    name = entry.removesuffix(".*")
    if name != entry and _check_full_name(name) is None:
        return None
    if _check_full_name(entry) is None:
        return None
    return (
        f'"{entry}" is not a full name (write it as "package.module.Name", or'
        ' "package.module.Class.*" for every method called on that class)'
    )


def _check_code(entry: str) -> str | None:
    if entry in CODES_BY_NAME:
        return None
    known = ", ".join(sorted(CODES_BY_NAME))
    return (
        f'unknown check "{entry}"{_did_you_mean(entry, CODES_BY_NAME)}; the checks are:'
        f" {known} (mypy's own codes go in disable_error_code)"
    )


def _check_sink(entry: str) -> str | None:
    """``module.func:param`` (a parameter name) or ``module.func:N`` (a position)."""
    try:
        parse_sink(entry)
    except ValueError as exc:
        return _one_line(exc)
    return None


_Check = Callable[[str], "str | None"]

#: Every key of the section, and how its entries are checked.
KEYS: Final[Mapping[str, _Check]] = {
    "must_await": _check_full_name,
    "may_discard": _check_discardable,
    "sync_callbacks": _check_sink,
    "task_spawners": _check_full_name,
    "disable": _check_code,
}


class _Where(NamedTuple):
    """Where a problem is: file, section and, once known, key."""

    path: str
    section: str
    key: str | None = None

    def at(self, key: str) -> _Where:
        return _Where(self.path, self.section, key)

    def error(self, problem: str) -> ConfigError:
        key = f" {self.key}:" if self.key else ""
        return ConfigError(f"{self.path}: error: [{self.section}]{key} {problem}")

    def check_key(self, key: str) -> None:
        if key in KEYS:
            return
        known = ", ".join(KEYS)
        raise self.error(f'unknown key "{key}"{_did_you_mean(key, KEYS)}; the keys are: {known}')


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
