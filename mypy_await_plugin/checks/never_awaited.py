"""``never-awaited``: a lazy awaitable bound to a local name that nothing consumes.

``pending = fetch()`` is fine when some later code consumes ``pending`` on some path:
awaits, returns or yields it, passes it to a call, stores it, aliases it, closes it,
uses it in ``async with``/``async for``, or a nested function captures it
(``dataflow.follow_binding``). Reported at the binding when no such use can run
before the name is assigned again, including ``x = f(); x = f(); await x`` (the
first) and tuple unpacking (``a, b = f(), g()``). A name that is only tested
(``if ready:``) gets one ``truthy-coroutine`` report at each test instead.

A binding mypy reports itself (``allow: bool = self.check(url)``, see
``mypy_errors``) gets no report here, nor at the tests of the name.

Only function locals: module globals, ``global``/``nonlocal`` names and ``_`` (the
core check's) are left alone.
"""

from __future__ import annotations

from mypy_await_plugin.callsite import Site
from mypy_await_plugin.checks import truthy_coroutine
from mypy_await_plugin.checks.mypy_errors import mypy_rejects_binding
from mypy_await_plugin.dataflow import follow_binding, local_function
from mypy_await_plugin.errorcodes import NEVER_AWAITED


def check(site: Site) -> None:
    """Called when ``site.usage.use`` is ``Use.BOUND``."""
    name = site.usage.name
    function = local_function(site.api.scope.stack)
    if name is None or function is None or mypy_rejects_binding(site, name):
        return
    flow = follow_binding(function, site.usage.path, name)
    if flow is None or flow.consumed:
        return
    if flow.tests and not truthy_coroutine.tests_can_be_false(site, name):
        for test in flow.tests:
            truthy_coroutine.report_tested_name(site, name, test)
        return
    variable = f'"{name.name}"'
    lost = (
        f"lost when {variable} is reassigned; it never runs"
        if flow.reassigned and not flow.ends
        else "never awaited"
    )
    message = f"{site.returned} is assigned to {variable} and {lost}"
    note = f'Add "await", or pass "{name.name}" on to code that awaits it'
    site.report(NEVER_AWAITED, message, name, note)
