"""The await-only scan (``python -m mypy_await_plugin`` / ``mypy-await``).

Runs mypy in-process with the plugin enabled and ``check_untyped_defs`` on, on top of
the project's own mypy configuration, and reports only the await findings:

- ``mypyconfig``: finding the project's mypy config and writing the copy that
  enables the plugin;
- ``runner``: one mypy run through ``mypy.api``, its JSON output turned into findings;
- ``baseline``: known findings recorded in a file, keyed without line numbers;
- ``report``: text, JSON and GitHub annotation output and the summary line;
- ``fixes``: where a missing ``await`` goes in a file's text, and whether it may;
- ``autofix``: ``--fix``/``--diff``: the fixes verified by mypy, then written or shown;
- ``cli``: the command line, exit codes.
"""
