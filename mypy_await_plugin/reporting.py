"""Reporting from a hook without changing what mypy infers.

Hooks often run while mypy tries something out under an error watcher: an overload
item, ``__contains__`` for ``in``, inference with and without a type context. mypy
takes any new error there as "this does not type check", so a plain ``api.fail``
from a hook would change the overload mypy picks, or add a bogus "Unsupported operand
types" error. Worse, ``# type: ignore`` and disabled codes do not help: watchers see
an error before either is applied.

``report`` never lets a watcher count the plugin's messages as a new error. A message
from a trial that already failed goes where mypy's own errors from that trial go
(usually nowhere); any other message is recorded at once, because mypy does not check
a trial that succeeds a second time (a matching overload item, for instance), and
the hook's other runs produce the same message, which mypy de-duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.errors import ErrorInfo, Errors, ErrorWatcher
from mypy.nodes import Context, FuncItem
from mypy.types import CallableType, TypeVarType


def report(
    api: TypeChecker, code: ErrorCode, message: str, node: Context, note: str | None
) -> None:
    """An error (and its note) at ``node``, as if mypy reported it at this point."""
    if in_repeated_copy(api):
        return
    with api.msg.filter_errors(save_filtered_errors=True) as captured:
        api.fail(message, node, code=code)
        if note:
            api.note(note, node, code=code)
    for info in captured.filtered_errors():
        try:
            _deliver(api.errors, info)
        except AttributeError:
            # The watcher internals read here are those of the supported mypy
            # versions; should they change, report plainly rather than not at all.
            api.errors.add_error_info(info)


def in_repeated_copy(api: TypeChecker) -> bool:
    """Whether mypy is checking a function again for another value of a
    value-restricted TypeVar (``T = TypeVar("T", int, str)``).

    mypy checks such a function once per value (per combination of values), on a
    copy; types that mention ``T`` differ between copies, so the same bug would be
    reported once per value with a different type. Only the copy for the first
    combination reports. Each check of a function appends the copy being checked to
    its ``expanded`` list, so the position in that list says which copy this is.
    """
    if api.options.mypyc or api.options.inspections:
        return False  # mypy does not expand then
    for item in api.scope.stack:
        if isinstance(item, FuncItem) and item.expanded:
            copies = _value_combinations(item)
            if copies > 1 and (len(item.expanded) - 1) % copies:
                return True
    return False


def _value_combinations(function: FuncItem) -> int:
    signature = function.type
    variables = list(signature.variables) if isinstance(signature, CallableType) else []
    if function.info:
        variables += function.info.defn.type_vars
    count = 1
    for variable in variables:
        if isinstance(variable, TypeVarType) and variable.values:
            count *= len(variable.values)
    return count


def _deliver(errors: Errors, info: ErrorInfo) -> None:
    for watcher in errors.get_watchers():
        if not _filters(watcher, errors.file, info):
            continue
        if watcher.has_new_errors():
            # A trial that already failed (the wrong overload item, for instance):
            # the report goes where mypy's own errors from it go.
            kept = watcher._filtered
            if kept is not None:
                kept.append(info)
            return
        break  # a trial that type checks so far: mypy will not check it again
    with _no_watchers(errors):
        errors.add_error_info(info)


def _filters(watcher: ErrorWatcher, file: str, info: ErrorInfo) -> bool:
    rule: bool | Callable[[str, ErrorInfo], bool] = watcher._filter
    if isinstance(rule, bool):
        return rule
    return rule(file, info)


@contextmanager
def _no_watchers(errors: Errors) -> Iterator[None]:
    """Watchers that only observe must not see the report either."""
    watchers = errors._watchers
    hidden = list(watchers)
    watchers.clear()
    try:
        yield
    finally:
        watchers.extend(hidden)
