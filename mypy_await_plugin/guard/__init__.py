"""The run-time guard: the second line of defence, for test suites.

Types cannot see everything (receivers typed ``Any``, unchecked code, dynamic
dispatch); Python can, when the lost object is collected. ``catch`` takes what
Python and asyncio report about lost coroutines, tasks and futures; ``losses``
describes each one (where it was created, which static check covers it);
``pytest_plugin`` turns them into failures of the test that lost them.

Nothing here imports mypy, and only ``pytest_plugin`` imports pytest.
"""
