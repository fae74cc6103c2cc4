"""The plugin's error codes: the public contract users name in configs and ignores.

They are created when this module is imported, so every mypy process that loads the
plugin (the main process, each ``-n`` worker, the daemon) knows them before any
module is checked.
"""

from __future__ import annotations

from typing import Final

from mypy.errorcodes import ErrorCode

CATEGORY: Final = "Await"

DISCARDED_AWAITABLE: Final = ErrorCode(
    "discarded-awaitable",
    "Check that a lazy awaitable produced by a statement is awaited",
    CATEGORY,
)
TRUTHY_COROUTINE: Final = ErrorCode(
    "truthy-coroutine",
    "Check that a lazy awaitable is not used as a condition",
    CATEGORY,
)
NEVER_AWAITED: Final = ErrorCode(
    "never-awaited",
    "Check that a lazy awaitable bound to a local name is consumed",
    CATEGORY,
)
AWAITABLE_AS_VALUE: Final = ErrorCode(
    "awaitable-as-value",
    "Check that a lazy awaitable is not formatted, printed or compared as a plain value",
    CATEGORY,
)
ASYNC_CALLBACK: Final = ErrorCode(
    "async-callback",
    "Check that an async function is not passed where the caller will not await it",
    CATEGORY,
)
DANGLING_TASK: Final = ErrorCode(
    "dangling-task",
    "Check that a task or future returned by a spawner is kept",
    CATEGORY,
)

ALL_CODES: Final[tuple[ErrorCode, ...]] = (
    DISCARDED_AWAITABLE,
    TRUTHY_COROUTINE,
    NEVER_AWAITED,
    AWAITABLE_AS_VALUE,
    ASYNC_CALLBACK,
    DANGLING_TASK,
)
CODES_BY_NAME: Final[dict[str, ErrorCode]] = {code.code: code for code in ALL_CODES}
