"""The project's mypy configuration, and the copy of it a scan runs with.

mypy has no command-line flag for plugins: they come only from the config file. So a
scan never edits the user's file; it reads it (found the way mypy finds it, or named
with ``--config-file``), and writes a copy into a temporary directory with:

- the plugin appended to ``plugins`` (after the project's own plugins, so their hooks
  keep winning and their behaviour is unchanged), with ``.py`` plugin paths made
  absolute, since mypy resolves them next to the config file;
- ``$MYPY_CONFIG_FILE_DIR`` replaced by the real directory of the user's file;
- report outputs (``*_report``, ``junit_xml``) and ``install_types`` dropped, so a scan
  never overwrites the project's reports or installs packages.

Every other section is copied as is: per-module sections, ``[[tool.mypy.overrides]]``,
the plugin's own section and other plugins' sections. The copy keeps the file's name
(``mypy.ini``, ``setup.cfg``, ``pyproject.toml``...) and format.
"""

from __future__ import annotations

import configparser
import datetime
import io
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mypy import defaults

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PLUGIN: Final = "mypy_await_plugin"
DIR_VARIABLES: Final = ("${MYPY_CONFIG_FILE_DIR}", "$MYPY_CONFIG_FILE_DIR")
#: Global options a scan must not act on: outputs the project's own runs own.
DROPPED_OPTIONS: Final = frozenset(
    {"junit_xml", "junit_format", "install_types", "non_interactive"}
)
CACHE_SUBDIR: Final = "mypy-await"

Sections = dict[str, Any]


class ConfigError(Exception):
    """The mypy configuration cannot be used; the message says why."""


@dataclass
class MypyConfig:
    """A mypy config as data: ``{section: {option: value}}``.

    INI sections map to their options (strings); for TOML, the sections are the
    ``[tool]`` table (``mypy``, ``mypy_await_plugin``, ...) with TOML values.
    ``path`` is ``None`` when the project has no mypy config.
    """

    path: Path | None
    sections: Sections

    @property
    def is_toml(self) -> bool:
        return self.path is not None and _is_toml(self.path)

    @property
    def mypy(self) -> dict[str, Any]:
        section = self.sections.get("mypy")
        return section if isinstance(section, dict) else {}

    def option(self, name: str) -> Any:
        return self.mypy.get(name)


def find_config(explicit: str | None, cwd: Path) -> MypyConfig:
    """The config mypy would use from ``cwd`` (or ``explicit``), read."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"cannot find config file '{explicit}'")
        return MypyConfig(path, read_sections(path))
    for path in _candidates(cwd):
        sections = _read_if_mypy_config(path)
        if sections is not None:
            return MypyConfig(path, sections)
    return MypyConfig(None, {})


def _candidates(cwd: Path) -> list[Path]:
    """mypy's search order: up from ``cwd`` to the repository root, then user files."""
    names = (*defaults.CONFIG_NAMES, *defaults.SHARED_CONFIG_NAMES)
    found: list[Path] = []
    directory = Path(os.path.abspath(cwd))
    while True:
        found.extend(
            Path(os.path.relpath(directory / name))
            for name in names
            if (directory / name).exists()
        )
        is_root = any((directory / marker).exists() for marker in (".git", ".hg"))
        if is_root or directory.parent == directory:
            break
        directory = directory.parent
    found.extend(Path(name) for name in defaults.USER_CONFIG_FILES if os.path.exists(name))
    return found


def _read_if_mypy_config(path: Path) -> Sections | None:
    sections = read_sections(path)
    if path.name in defaults.SHARED_CONFIG_NAMES and "mypy" not in sections:
        return None  # a pyproject.toml or setup.cfg without a mypy section
    return sections


def read_sections(path: Path) -> Sections:
    try:
        if _is_toml(path):
            with path.open("rb") as file:
                tool = tomllib.load(file).get("tool", {})
            return dict(tool) if isinstance(tool, dict) else {}
        parser = configparser.RawConfigParser()
        parser.read(path, encoding="utf-8")
        return {name: dict(parser[name]) for name in parser.sections()}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, configparser.Error) as err:
        raise ConfigError(f"cannot read mypy config {path}: {err}") from None


# The copy a scan runs with.


def write_scan_config(config: MypyConfig, directory: Path) -> Path:
    """Write the plugin-enabled copy of ``config`` into ``directory``; its path."""
    config_dir = config.path.absolute().parent if config.path is not None else None
    sections = _substitute(config.sections, str(config_dir)) if config_dir else {}
    sections = dict(sections)
    sections["mypy"] = _scan_mypy_section(sections.get("mypy"), config_dir, config.is_toml)
    name = config.path.name if config.path is not None else "mypy.ini"
    target = directory / name
    text = render_toml(sections) if config.is_toml else render_ini(sections)
    target.write_text(text, encoding="utf-8")
    return target


def _scan_mypy_section(section: Any, config_dir: Path | None, is_toml: bool) -> dict[str, Any]:
    options = dict(section) if isinstance(section, dict) else {}
    for name in list(options):
        if name in DROPPED_OPTIONS or name.endswith("_report"):
            del options[name]
    plugins = with_plugin(_plugin_list(options.get("plugins")), config_dir)
    options["plugins"] = plugins if is_toml else ", ".join(plugins)
    return options


def _plugin_list(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return []
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def with_plugin(plugins: list[str], config_dir: Path | None) -> list[str]:
    """``plugins`` with ``.py`` paths made absolute and this plugin last unless listed."""
    resolved = [_absolute_plugin_path(entry, config_dir) for entry in plugins]
    if not any(_plugin_module(entry) == PLUGIN for entry in resolved):
        resolved.append(PLUGIN)
    return resolved


def _split_entry_point(entry: str) -> tuple[str, str]:
    if ":" in os.path.basename(entry):
        path, _, func = entry.rpartition(":")
        return path, ":" + func
    return entry, ""


def _absolute_plugin_path(entry: str, config_dir: Path | None) -> str:
    path, func = _split_entry_point(entry)
    if not path.endswith(".py") or config_dir is None:
        return entry
    return os.path.join(config_dir, path) + func


def _plugin_module(entry: str) -> str:
    return _split_entry_point(entry)[0]


def _substitute(value: Any, config_dir: str) -> Any:
    """``value`` with ``$MYPY_CONFIG_FILE_DIR`` replaced by ``config_dir``, recursively."""
    if isinstance(value, str):
        for variable in DIR_VARIABLES:
            value = value.replace(variable, config_dir)
        return value
    if isinstance(value, dict):
        return {key: _substitute(item, config_dir) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, config_dir) for item in value]
    return value


# Cache.


def scan_cache_dir(config: MypyConfig) -> str:
    """Where a scan caches: a ``mypy-await`` folder in the cache dir mypy would use.

    A scan runs with other options than the project's ``mypy`` runs (the plugin,
    ``check_untyped_defs``), so sharing one cache would make each invalidate the other.
    """
    base = os.environ.get("MYPY_CACHE_DIR", "").strip()
    configured = config.option("cache_dir")
    if not base and isinstance(configured, str) and configured.strip():
        base = os.path.expandvars(configured.strip())
        if config.path is not None:
            base = _substitute(base, str(config.path.absolute().parent))
    base = os.path.expanduser(base or defaults.CACHE_DIR)
    if base == os.devnull:
        return base
    return os.path.join(base, CACHE_SUBDIR)


# Writing the two formats.


def render_ini(sections: Sections) -> str:
    parser = configparser.RawConfigParser()
    parser.read_dict(sections)
    text = io.StringIO()
    parser.write(text)
    return text.getvalue()


def render_toml(sections: Sections) -> str:
    """``sections`` as a TOML document whose ``[tool]`` table holds them."""
    lines = ["[tool]"]
    lines.extend(f"{toml_key(key)} = {toml_value(value)}" for key, value in sections.items())
    return "\n".join(lines) + "\n"


def toml_key(key: str) -> str:
    return toml_string(key)


def toml_string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_number(number: float) -> str:
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)


def _toml_list(items: list[Any]) -> str:
    return "[" + ", ".join(toml_value(item) for item in items) + "]"


def _toml_table(table: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()) + "}"


def _toml_time(value: datetime.date | datetime.time) -> str:
    return value.isoformat()


_TOML_WRITERS: Final[list[tuple[type | tuple[type, ...], Callable[[Any], str]]]] = [
    (bool, lambda value: "true" if value else "false"),
    ((int, float), _toml_number),
    (str, toml_string),
    ((datetime.date, datetime.time), _toml_time),
    (list, _toml_list),
    (dict, _toml_table),
]


def toml_value(value: Any) -> str:
    for kind, writer in _TOML_WRITERS:
        if isinstance(value, kind):
            return writer(value)
    raise ConfigError(f"cannot copy the TOML value {value!r}")


def _is_toml(path: Path) -> bool:
    return path.name.lower().endswith(".toml")
