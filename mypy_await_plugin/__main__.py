"""``python -m mypy_await_plugin``: the await-only scan (also installed as ``mypy-await``)."""

from __future__ import annotations

import sys

from mypy_await_plugin.scan.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
