"""The package's layout: imports flow one way, and each thing is where its name says.

Read from the sources with ``ast`` (nothing is imported), so it is quick and sees
every import: at module level, inside functions, and under ``TYPE_CHECKING``. An
import of a module inside the package is an edge of the import graph whichever kind
it is, and the graph has no cycle. Importing a submodule also imports its parent
packages first; that is not an edge here (every package's ``__init__`` would
otherwise be in a cycle with the submodules it imports).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

import pytest

from mypy_await_plugin.errorcodes import ALL_CODES

PACKAGE_DIR: Final = Path(__file__).resolve().parents[1] / "mypy_await_plugin"
PACKAGE: Final = "mypy_await_plugin"

pytestmark = pytest.mark.skipif(
    not PACKAGE_DIR.is_dir(),
    reason="a copy without the package's sources (.ci/compiled.sh)",
)

#: The imports of the package's own modules made inside a function, each on purpose.
#: They are edges like any other: a lazy import saves time, it never hides a cycle.
LAZY_IMPORTS: Final = {
    (PACKAGE, f"{PACKAGE}.main"): (
        "the hooks are imported when mypy asks for the plugin class, after the version"
        " check: an unsupported mypy is refused before they are loaded"
    ),
    (f"{PACKAGE}.main", f"{PACKAGE}.dispatch"): (
        "the checks are imported at the first value to check: a warm run with nothing"
        " changed does not pay for them"
    ),
    (f"{PACKAGE}.scan.report", f"{PACKAGE}.scan.sarif"): (
        "SARIF is written only with --format sarif"
    ),
}


class Import(NamedTuple):
    importer: str
    imported: str
    #: ``module``, ``function`` or ``TYPE_CHECKING``.
    where: str
    line: int


@cache
def modules() -> dict[str, Path]:
    """Every module of the package, by its dotted name."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = (PACKAGE, *path.relative_to(PACKAGE_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


@cache
def tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@cache
def imports() -> tuple[Import, ...]:
    """Every import of one of the package's modules, in the whole package."""
    return tuple(found for name in modules() for found in _imports_of(name))


def _imports_of(name: str) -> Iterator[Import]:
    package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    for node, where in _import_nodes(tree(name).body, "module"):
        for target in _targets(node, package):
            if target in modules() and target != name:
                yield Import(name, target, where, node.lineno)


def _import_nodes(
    body: list[ast.stmt], where: str
) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, where
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(node.body, "TYPE_CHECKING")
            yield from _import_nodes(node.orelse, where)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _import_nodes(node.body, "function")
        else:  # a class body, ``if``, ``try``, ``with``...: run when the code around runs
            yield from _import_nodes(list(_children(node)), where)


def _children(node: ast.stmt) -> Iterator[ast.stmt]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield child
        elif isinstance(child, ast.ExceptHandler | ast.match_case):
            yield from child.body


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    """The modules an import statement imports: for ``from m import x``, the
    submodule ``m.x`` where there is one, else ``m``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = package.split(".")
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in modules() else base


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the modules along it, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(edges.get(name, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(edges):
        if name not in state:
            found = visit(name)
            if found is not None:
                return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for found in imports():
        edges.setdefault(found.importer, set()).add(found.imported)
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle or ())


def test_the_cycle_check_sees_every_kind_of_import() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from mypy_await_plugin import errorcodes\n"
        "if TYPE_CHECKING:\n"
        "    from mypy_await_plugin.main import AwaitPlugin\n"
        "def f():\n"
        "    if True:\n"
        "        import mypy_await_plugin.dispatch\n"
    )
    nodes = list(_import_nodes(ast.parse(source).body, "module"))
    where = {
        target: kind
        for node, kind in nodes
        for target in _targets(node, PACKAGE)
        if target.startswith(PACKAGE)
    }
    assert where == {
        f"{PACKAGE}.errorcodes": "module",
        f"{PACKAGE}.main": "TYPE_CHECKING",
        f"{PACKAGE}.dispatch": "function",
    }
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}}) is None


def test_nothing_imports_the_package_under_type_checking() -> None:
    # What a module needs for its annotations is below it, so it imports it plainly.
    late = [found for found in imports() if found.where == "TYPE_CHECKING"]
    assert not late


def test_every_lazy_import_is_deliberate() -> None:
    lazy = {(found.importer, found.imported) for found in imports() if found.where == "function"}
    assert lazy == set(LAZY_IMPORTS)


def test_every_module_says_what_it_owns() -> None:
    missing = [name for name in modules() if not ast.get_docstring(tree(name))]
    assert not missing


def test_every_error_code_has_its_check_module() -> None:
    checks = PACKAGE_DIR / "checks"
    missing = [
        code.code
        for code in ALL_CODES
        if not (checks / f"{code.code.replace('-', '_')}.py").is_file()
    ]
    assert not missing


def test_every_library_module_documents_its_library_and_is_read() -> None:
    libraries = f"{PACKAGE}.libraries"
    names = [name for name in modules() if name.startswith(f"{libraries}.")]
    assert names
    for name in names:
        docstring = ast.get_docstring(tree(name)) or ""
        assert "https://" in docstring, f"{name}: where the library documents it"
    assembled = {found.imported for found in imports() if found.importer == libraries}
    assert set(names) <= assembled, "each library module's tables are assembled"
