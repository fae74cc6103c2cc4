"""``awaitable-as-value``: a lazy awaitable formatted, printed or compared as an object.

The receiver only looks at the awaitable as an object, so it never runs:
``print(c.get_name())``, ``f"{c.get_name()}"``, ``"%s" % coro()``,
``"{}".format(coro())``, ``str``/``repr``/``format``, ``==``/``!=``/``in``/``not in``
comparisons (``usage`` classifies these as ``Use.FORMATTED``; ``x in coro()`` and
what ``--strict-equality`` may report are left to mypy), and arguments passed
to a parameter declared exactly ``object`` (``log.info("%s", coro())``,
``Exception(coro())``) or listed in ``libraries.VALUE_PARAMETERS`` (``json.dumps`` takes
``Any``). Parameters typed with a TypeVar (``list.append``), ``Any``, an awaitable
or a union are left alone: the receiver may keep or await it.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.argmap import map_actuals_to_formals
from mypy.checker import TypeChecker
from mypy.errorcodes import COMPARISON_OVERLAP
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    FUNC_NO_INFO,
    CallExpr,
    ComparisonExpr,
    Expression,
    FuncDef,
    MemberExpr,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    TypeInfo,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    Overloaded,
    ProperType,
    Type,
    TypeOfAny,
    get_proper_type,
)

from mypy_await_plugin.callsite import Site, display_name
from mypy_await_plugin.errorcodes import AWAITABLE_AS_VALUE
from mypy_await_plugin.libraries import VALUE_PARAMETERS
from mypy_await_plugin.usage import Use

NOTE = 'Add "await" to use its result'


def check(site: Site) -> None:
    """Called when ``site.usage.use`` is ``Use.FORMATTED`` or ``Use.ARGUMENT``."""
    usage = site.usage
    if usage.use is Use.FORMATTED:
        if isinstance(usage.decider, ComparisonExpr):
            _check_comparison(site, usage.decider)
        else:
            _report(site, "is formatted as text")
    elif usage.use is Use.ARGUMENT and usage.call is not None and not usage.in_container:
        receiver = _plain_object_receiver(site.api, usage.call, usage.arg_index)
        if receiver is not None:
            _report(site, f'is passed to "{receiver}" as a plain object')


def _check_comparison(site: Site, comparison: ComparisonExpr) -> None:
    if _is_container_operand(site, comparison) or _mypy_reports_comparison(site, comparison):
        return
    _report(site, "is compared as a plain value")


def _report(site: Site, what: str) -> None:
    message = f"{site.returned} {what}; it never runs"
    site.report(AWAITABLE_AS_VALUE, message, site.expr, NOTE)


# Comparisons.


def _is_container_operand(site: Site, comparison: ComparisonExpr) -> bool:
    """``x in coro()``: mypy reports that an awaitable is no container."""
    carrier = site.usage.carrier
    for index, operand in enumerate(comparison.operands):
        if operand is carrier and index > 0:
            return comparison.operators[index - 1] in ("in", "not in")
    return False


def _mypy_reports_comparison(site: Site, comparison: ComparisonExpr) -> bool:
    """Whether mypy's ``--strict-equality`` may report this comparison already.

    mypy reports comparisons of non-overlapping types; an awaitable overlaps only
    with ``object`` and ``Any``. The operands after this one are not typed yet when
    the hook runs, so an unknown operand counts as reported.
    """
    api = site.api
    if not api.options.strict_equality or not site.enabled(COMPARISON_OVERLAP):
        return False
    carrier = site.usage.carrier
    for operand in comparison.operands:
        if operand is carrier:
            continue
        if not api.has_type(operand) or not _is_plain_object(api.lookup_type(operand)):
            return True
    return False


# Arguments.


def _plain_object_receiver(api: TypeChecker, call: CallExpr, index: int) -> str | None:
    """The name of the callee when argument ``index`` of ``call`` goes to a parameter
    declared exactly ``object`` (or listed in ``VALUE_PARAMETERS``)."""
    kind = call.arg_kinds[index]
    if kind not in (ARG_POS, ARG_NAMED) or any(
        k not in (ARG_POS, ARG_NAMED) for k in call.arg_kinds
    ):
        return None  # ``*args``/``**kwargs`` actuals make the mapping uncertain
    callee = call.callee
    if isinstance(callee, RefExpr) and callee.fullname in VALUE_PARAMETERS:
        position, name = VALUE_PARAMETERS[callee.fullname]
        taken = index == position if kind == ARG_POS else call.arg_names[index] == name
        return display_name(callee.fullname, is_method=False) if taken else None
    callee_type = _callee_type(api, callee)
    if isinstance(callee_type, CallableType):
        signatures = [callee_type]
    elif isinstance(callee_type, Overloaded):
        signatures = list(callee_type.items)
    else:
        return None
    declared = [_declared_parameter(api, call, index, sig) for sig in signatures]
    mapped = [typ for typ in declared if typ is not None]
    if not mapped or not all(_is_object(typ) for typ in mapped):
        return None
    return _callee_text(callee, signatures[0])


def _callee_type(api: TypeChecker, callee: Expression) -> ProperType | None:
    if api.has_type(callee):
        return get_proper_type(api.lookup_type(callee))
    # Not in the type map: a copy of a function with value-restricted TypeVars is
    # being checked while the use was found in the original. A plain function's
    # signature is enough; methods would need the receiver's type.
    if isinstance(callee, RefExpr):
        node = callee.node
        if isinstance(node, FuncDef | OverloadedFuncDef) and node.info is FUNC_NO_INFO:
            return get_proper_type(node.type) if node.type is not None else None
    return None


def _declared_parameter(
    api: TypeChecker, call: CallExpr, index: int, signature: CallableType
) -> Type | None:
    """The declared type of the parameter argument ``index`` maps to (``object`` only
    when both the signature at the call and the definition say so)."""
    formal_to_actual = map_actuals_to_formals(
        call.arg_kinds,
        call.arg_names,
        signature.arg_kinds,
        signature.arg_names,
        _actual_type(api, call.args),
    )
    formal = next((i for i, actuals in enumerate(formal_to_actual) if index in actuals), None)
    if formal is None:
        return None
    at_call = signature.arg_types[formal]
    definition = signature.definition
    if not isinstance(definition, FuncDef) or not isinstance(definition.type, CallableType):
        return at_call
    declared = _definition_parameter(definition.type, signature, formal)
    if declared is None:
        return AnyType(TypeOfAny.special_form)  # cannot place it: not ``object``
    # ``list[object].append`` takes ``object`` at the call but declares a TypeVar.
    return at_call if _is_object(declared) else declared


def _definition_parameter(
    definition: CallableType, signature: CallableType, formal: int
) -> Type | None:
    name = signature.arg_names[formal]
    if name is not None and name in definition.arg_names:
        return definition.arg_types[definition.arg_names.index(name)]
    offset = len(definition.arg_types) - len(signature.arg_types)
    position = formal + offset
    if offset < 0 or position >= len(definition.arg_types):
        return None
    return definition.arg_types[position]


def _actual_type(api: TypeChecker, args: list[Expression]) -> Callable[[int], Type]:
    def actual(i: int) -> Type:
        arg = args[i]
        return api.lookup_type(arg) if api.has_type(arg) else AnyType(TypeOfAny.special_form)

    return actual


def _callee_text(callee: Expression, signature: CallableType) -> str:
    if isinstance(callee, RefExpr) and isinstance(callee.node, TypeInfo):
        return callee.node.name
    definition = signature.definition
    if isinstance(definition, FuncDef) and definition.fullname:
        return display_name(definition.fullname, is_method=definition.info is not FUNC_NO_INFO)
    if isinstance(callee, NameExpr | MemberExpr):
        return callee.name
    return "the callee"


def _is_object(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "builtins.object"


def _is_plain_object(typ: Type) -> bool:
    return _is_object(typ) or isinstance(get_proper_type(typ), AnyType)
