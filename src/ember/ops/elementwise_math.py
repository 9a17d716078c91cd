"""More elementwise math of one input: exponentials and logarithms, trigonometry and its inverses,
rounding, special functions (erf, lgamma, digamma, polygamma ...); and the Tensor methods of the
elementwise families (this module, ``elementwise_binary``, ``_logic`` and ``_ternary``).

Each op's forward (on arrays) sits beside its derivative rules, written with operators and
``F.*`` so that the same rule serves a plain backward and a double backward.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import _special, elementwise, elementwise_binary, elementwise_logic, elementwise_ternary
from ember.ops.elementwise import _sign, pow
from ember.ops.elementwise_ternary import must_be_tensor, not_implemented, record, type_name
from ember.ops.inplace import _inplace
from ember.ops.registry import attach, node_class, register, unary
from ember.tensor import Tensor

__all__ = [
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "asin", "asinh", "atan", "atanh",
    "ceil", "cosh", "deg2rad", "digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "fix", "floor", "frac", "lgamma",
    "log10", "log1p", "log2", "logit", "nan_to_num", "polygamma", "rad2deg", "round", "rsqrt", "sgn", "sinh", "square",
    "tan", "trunc",
]

_LN2, _LN10 = math.log(2), math.log(10)
_TWO_OVER_SQRT_PI, _HALF_SQRT_PI = 2 / math.sqrt(math.pi), math.sqrt(math.pi) / 2


# -- one input, float result ---------------------------------------------------------------------
exp2 = unary("exp2", "Exp2Backward0", xp.exp2, lambda F, grad, result: grad * (result * _LN2))
expm1 = unary("expm1", "Expm1Backward0", xp.expm1, lambda F, grad, result: grad * (result + 1))
log2 = unary("log2", "Log2Backward0", xp.log2, lambda F, grad, x: grad / (x * _LN2))
log10 = unary("log10", "Log10Backward0", xp.log10, lambda F, grad, x: grad / (x * _LN10))
log1p = unary("log1p", "Log1PBackward0", xp.log1p, lambda F, grad, x: grad / (x + 1))
rsqrt = unary("rsqrt", "RsqrtBackward0", lambda x: 1 / xp.sqrt(x), lambda F, grad, result: grad * (result ** 3) * -0.5)
sinh = unary("sinh", "SinhBackward0", xp.sinh, lambda F, grad, x: grad * F.cosh(x))
cosh = unary("cosh", "CoshBackward0", xp.cosh, lambda F, grad, x: grad * F.sinh(x))
tan = unary("tan", "TanBackward0", xp.tan, lambda F, grad, result: grad * (result * result + 1))
asin = unary("asin", "AsinBackward0", xp.arcsin, lambda F, grad, x: grad * (1 - x * x) ** -0.5)
acos = unary("acos", "AcosBackward0", xp.arccos, lambda F, grad, x: grad * -((1 - x * x) ** -0.5))
atan = unary("atan", "AtanBackward0", xp.arctan, lambda F, grad, x: grad / (x * x + 1))
asinh = unary("asinh", "AsinhBackward0", xp.arcsinh, lambda F, grad, x: grad * (x * x + 1) ** -0.5)
acosh = unary("acosh", "AcoshBackward0", xp.arccosh, lambda F, grad, x: grad * (x * x - 1) ** -0.5)
atanh = unary("atanh", "AtanhBackward0", xp.arctanh, lambda F, grad, x: grad / (1 - x * x))
deg2rad = unary("deg2rad", "Deg2RadBackward0", lambda x: x * (math.pi / 180), lambda F, grad: grad * (math.pi / 180))
rad2deg = unary("rad2deg", "Rad2DegBackward0", lambda x: x * (180 / math.pi), lambda F, grad: grad * (180 / math.pi))
erf = unary("erf", "ErfBackward0", _special.erf, lambda F, grad, x: grad * (F.exp(-(x * x)) * _TWO_OVER_SQRT_PI))
erfc = unary("erfc", "ErfcBackward0", _special.erfc, lambda F, grad, x: grad * (F.exp(-(x * x)) * -_TWO_OVER_SQRT_PI))
erfinv = unary("erfinv", "ErfinvBackward0", _special.erfinv,
               lambda F, grad, result: grad * (F.exp(result * result) * _HALF_SQRT_PI))
lgamma = unary("lgamma", "LgammaBackward0", _special.lgamma, lambda F, grad, x: grad * F.digamma(x))
digamma = unary("digamma", "DigammaBackward0", _special.digamma, lambda F, grad, x: grad * F.polygamma(1, x))

arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
for _name in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"):
    register(globals()[_name], _name)


def _frac(x: Any) -> Any:
    if x.dtype.kind != "f":
        raise not_implemented(x.dtype, "frac_cpu")
    return x - xp.trunc(x)


frac = unary("frac", "FracBackward0", _frac, lambda F, grad: grad, int_to_float=False)


# -- one input, integer dtypes kept --------------------------------------------------------------
def _rounding(name: str, node_name: str, fn: Callable[[Any], Any]) -> Callable[[Tensor], Tensor]:
    def forward(x: Any) -> Any:
        if x.dtype.kind == "b":
            raise not_implemented(x.dtype, f"{name}_vml_cpu")
        return fn(x) if x.dtype.kind == "f" else x.copy()  # an integer is already whole

    return unary(name, node_name, forward, lambda F, grad: grad * 0, int_to_float=False)


floor = _rounding("floor", "FloorBackward0", xp.floor)
ceil = _rounding("ceil", "CeilBackward0", xp.ceil)
trunc = _rounding("trunc", "TruncBackward0", xp.trunc)
_round = _rounding("round", "RoundBackward0", xp.rint)  # rint rounds half to even, as torch does
fix = trunc
register(fix, "fix")
sgn = unary("sgn", "SgnBackward0", _sign, lambda F, grad: grad * 0, int_to_float=False)

_RoundDecimals = node_class("RoundBackward1", lambda F, grad: grad * 0)


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:  # noqa: A001
    """Round half to even; with ``decimals``, to that many decimal places (negative: tens, hundreds ...)."""
    if decimals is None:
        return _round(input)
    must_be_tensor("round", input, 1, "input")
    x = input._data
    if x.dtype.kind != "f":
        raise not_implemented(x.dtype, "round_cpu" if decimals else "round_vml_cpu")
    try:
        scale = 10.0 ** abs(decimals)
    except OverflowError:
        scale = math.inf
    # torch scales in the tensor's own dtype, and divides (rather than multiplies by 0.1 ...) for decimals < 0
    scale = xp.asarray(scale).astype(x.dtype)
    out = Tensor._make(xp.rint(x / scale) * scale if decimals < 0 else xp.rint(x * scale) / scale)
    if input._requires_grad and grad_state.enabled:
        attach(out, _RoundDecimals, (input,), {})
    return out


register(round)


def square(input: Tensor) -> Tensor:
    """``input ** 2`` (torch records it as pow, and keeps integer dtypes)."""
    must_be_tensor("square", input, 1, "input")
    return pow(input, 2)


register(square)


# -- one input with options ----------------------------------------------------------------------
def _logit_grad(F: Any, grad: Any, x: Any, eps: float | None) -> Any:
    inner = grad / (x * (1 - x))
    if eps is None or eps < 0:
        return F.where((x < 0) | (x > 1), math.nan, inner)
    return F.where((x < eps) | (x > 1 - eps), 0.0, inner)


_Logit = node_class("LogitBackward0", _logit_grad)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is first limited to [eps, 1 - eps]."""
    must_be_tensor("logit", input, 1, "input")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(dtypes._default.value.numpy)
    if eps is not None and eps >= 0:
        low, high = x.dtype.type(eps), x.dtype.type(1 - eps)
        x = xp.where(x < low, low, xp.where(x > high, high, x))  # torch's order when eps > 1/2
    out = Tensor._make(xp.log(x / (1 - x)))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Logit, (input,), {"x": input, "eps": eps})
    return out


register(logit)

_Polygamma = node_class("PolygammaBackward0", lambda F, grad, x, n: grad * F.polygamma(n + 1, x))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma (``n = 0``: digamma itself)."""
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type_name(n)}") from None
    must_be_tensor("polygamma", input, 2, "input")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(dtypes._default.value.numpy)
    out = Tensor._make(_special.digamma(x) if n == 0 else _special.polygamma(n, x))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Polygamma, (input,), {"x": input, "n": n})
    return out


register(polygamma)

# d/dx nan_to_num(x) is 1 where x is finite (x - x is 0 exactly there) and 0 elsewhere
_NanToNum = node_class("NanToNumBackward0", lambda F, grad, x: grad * ((x - x) == 0))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's extremes)."""
    must_be_tensor("nan_to_num", input, 1, "input")
    x = input._data
    if x.dtype.kind != "f":
        return Tensor._make(x.copy())
    info = xp.finfo(x.dtype)
    values = [xp.asarray(v).astype(x.dtype) for v in (nan, info.max if posinf is None else posinf,
                                                       info.min if neginf is None else neginf)]
    out = Tensor._make(xp.where(xp.isnan(x), values[0], xp.where(x == xp.inf, values[1],
                                                                 xp.where(x == -xp.inf, values[2], x))))
    if input._requires_grad and grad_state.enabled:
        attach(out, _NanToNum, (input,), {"x": input})
    return out


register(nan_to_num)


# -- Tensor methods: the ops above, the binary, logic and ternary ones, their in-place forms -------
def _family() -> dict[str, Callable[..., Any]]:
    """The public ops of this module and of the binary, logic and ternary ones, by name."""
    ops = {name: globals()[name] for name in __all__}
    for module in (elementwise_binary, elementwise_logic, elementwise_ternary):
        ops.update((name, getattr(module, name)) for name in module.__all__)
    ops["polygamma"] = lambda self, n: polygamma(n, self)  # the method takes n second
    return ops


def _refused_inplace(name: str) -> Callable[[Tensor], Tensor]:
    """asinh_, acosh_, atanh_: torch records them with a node whose backward refuses."""
    op = globals()[name]

    def rule(F: Any, grad: Any) -> Any:
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not implemented.")

    cls = node_class(f"{name.capitalize()}Backward1", rule)
    return lambda input: record(op(input.detach()), cls, (input,))


_PolygammaInplace = node_class("PolygammaBackward1", lambda F, grad, x, n: grad * F.polygamma(n + 1, x))


def _untracked(method: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """An in-place method of an op without derivative: torch neither records it nor refuses a leaf."""

    def run(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        prev, grad_state.enabled = grad_state.enabled, False
        try:
            return method(self, *args, **kwargs)
        finally:
            grad_state.enabled = prev

    run.__name__ = run.__qualname__ = method.__name__
    return run


def _inplace_variants() -> dict[str, Callable[..., Tensor]]:
    """``x.exp2_()`` ...: the family's ops that have an in-place form in torch, and the in-place
    forms of older elementwise ops."""
    ops = {name: fn for name, fn in _family().items() if name not in _NO_INPLACE}
    for name in ("sign", "reciprocal", "clamp_min", "clamp_max", "logical_not", "bitwise_and", "bitwise_or",
                 "bitwise_xor", "bitwise_not"):
        ops[name] = getattr(elementwise, name)
    for name, alias in (("asinh", "arcsinh"), ("acosh", "arccosh"), ("atanh", "arctanh")):
        ops[name] = ops[alias] = _refused_inplace(name)
    ops["polygamma"] = lambda self, n: record(polygamma(n, self.detach()), _PolygammaInplace, (self,), x=self, n=n)
    methods = {f"{name}_": _inplace(fn, f"{name}_") for name, fn in ops.items()}
    for name in ("logical_and_", "logical_or_", "logical_xor_", "logical_not_"):
        methods[name] = _untracked(methods[name])
    return methods


_NO_INPLACE = {"allclose", "equal", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf"}
INPLACE = _inplace_variants()


def tensor_methods() -> dict[str, Any]:
    """The methods and operators ``ops/__init__`` binds to Tensor for these families."""
    shift_left, shift_right = elementwise_logic.bitwise_left_shift, elementwise_logic.bitwise_right_shift
    floor_divide, remainder = elementwise_binary.floor_divide, elementwise_binary.remainder
    return {
        **_family(), **INPLACE,
        "__floordiv__": floor_divide, "__rfloordiv__": lambda self, other: floor_divide(other, self),
        "__mod__": remainder, "__rmod__": lambda self, other: remainder(other, self),
        "__lshift__": shift_left, "__rlshift__": lambda self, other: shift_left(other, self),
        "__rshift__": shift_right, "__rrshift__": lambda self, other: shift_right(other, self),
        "__ifloordiv__": INPLACE["floor_divide_"], "__imod__": INPLACE["remainder_"],
        "__ilshift__": INPLACE["bitwise_left_shift_"], "__irshift__": INPLACE["bitwise_right_shift_"],
        "__iand__": INPLACE["bitwise_and_"], "__ior__": INPLACE["bitwise_or_"], "__ixor__": INPLACE["bitwise_xor_"],
    }
