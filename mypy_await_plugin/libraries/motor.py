"""motor (MongoDB's asyncio and tornado driver): commands that start on the call.

motor's stubs (``motor/core.pyi``, ``motor/motor_gridfs.pyi``) declare most methods
``async def``, but motor builds them at run time with
``motor.metaprogramming.asynchronize``, whose docstring says what happens: "Decorate
``sync_method`` so it returns a Future. The method runs on a thread and resolves the
Future when it completes." So ``collection.insert_one(doc)`` sends the write whether
or not the caller awaits it, and what it returns is a handle, not a coroutine that
never runs. Verified on motor 3.7.1: each method below is such a wrapper, and one
called without ``await`` returns a pending ``Future`` with no warning from Python.
The wrapper is in motor's source,
https://github.com/mongodb/motor/blob/master/motor/metaprogramming.py.

The methods motor defines as coroutines stay lazy: ``with_transaction``, the cursors'
and change streams' ``next``, ``try_next`` and ``close``, ``cursor_command``, the
``async with`` methods, and those the asyncio and tornado classes define again in
their own stubs (``list_databases``, ``start_session``, ``create_collection``,
``list_collections``, ``open_download_stream``...).
"""

from __future__ import annotations

from typing import Final

_CORE: Final = "motor.core"
_GRIDFS: Final = "motor.motor_gridfs"

#: Each class's methods that run on a thread and return a ``Future``, by the class
#: that declares them.
_STARTED: Final[dict[str, tuple[str, ...]]] = {
    f"{_CORE}.AgnosticClient": (
        "bulk_write",
        "drop_database",
        "list_database_names",
        "server_info",
    ),
    f"{_CORE}.AgnosticClientSession": ("abort_transaction", "commit_transaction", "end_session"),
    f"{_CORE}.AgnosticDatabase": (
        "command",
        "dereference",
        "drop_collection",
        "list_collection_names",
        "validate_collection",
    ),
    f"{_CORE}.AgnosticCollection": (
        "bulk_write",
        "count_documents",
        "create_index",
        "create_indexes",
        "create_search_index",
        "create_search_indexes",
        "delete_many",
        "delete_one",
        "distinct",
        "drop",
        "drop_index",
        "drop_indexes",
        "drop_search_index",
        "estimated_document_count",
        "find_one",
        "find_one_and_delete",
        "find_one_and_replace",
        "find_one_and_update",
        "index_information",
        "insert_many",
        "insert_one",
        "options",
        "rename",
        "replace_one",
        "update_many",
        "update_one",
        "update_search_index",
    ),
    f"{_CORE}.AgnosticCursor": ("distinct", "explain"),
    f"{_CORE}.AgnosticClientEncryption": (
        "add_key_alt_name",
        "close",
        "create_data_key",
        "decrypt",
        "delete_key",
        "encrypt",
        "encrypt_expression",
        "get_key",
        "get_key_by_alt_name",
        "remove_key_alt_name",
        "rewrap_many_data_key",
    ),
    f"{_GRIDFS}.AgnosticGridOut": ("read", "readchunk", "readline"),
    f"{_GRIDFS}.AgnosticGridIn": ("abort", "close", "set", "write", "writelines"),
    f"{_GRIDFS}.AgnosticGridFSBucket": (
        "delete",
        "download_to_stream",
        "download_to_stream_by_name",
        "rename",
        "upload_from_stream",
        "upload_from_stream_with_id",
    ),
}

#: The full names of those methods' definitions.
STARTED_ON_CALL: Final[frozenset[str]] = frozenset(
    f"{owner}.{method}" for owner, methods in _STARTED.items() for method in methods
)
