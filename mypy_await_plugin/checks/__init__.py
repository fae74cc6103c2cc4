"""The checks, one module per error code. Each exposes ``check(site)``."""
