"""Elementwise ops: each forward (on arrays) beside its derivative rules (one per input).

Rules follow derivatives.yaml's vocabulary: ``grad``, the inputs (``x`` for one, ``a``/``b``
for two), and ``result``. Broadcasting never appears in a rule: the engine sums each
gradient back to its input's shape.
"""
from __future__ import annotations

import math
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.elementwise_ternary import clamp_tensors, not_implemented
from ember.ops.registry import F_array, attach, binary, node_class, operands, register, unary
from ember.tensor import Tensor

__all__ = [
    "abs", "add", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "clamp", "clamp_max", "clamp_min",
    "clip", "cos", "div", "divide", "eq", "exp", "ge", "greater", "greater_equal", "gt", "le", "less",
    "less_equal", "log", "logical_not", "lt", "maximum", "minimum", "mul", "multiply", "ne", "neg", "not_equal",
    "pow", "reciprocal", "relu", "rsub", "sigmoid", "sign", "sin", "sqrt", "sub", "subtract", "tanh",
    "true_divide", "where",
]

# -- one input -------------------------------------------------------------------------------
def _negative(x: Any) -> Any:
    if x.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )
    return xp.negative(x)


neg = unary("neg", "NegBackward0", _negative, lambda F, grad: -grad, int_to_float=False)
def _abs(x: Any) -> Any:
    if x.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return xp.abs(x)


abs = unary("abs", "AbsBackward0", _abs, lambda F, grad, x: grad * F.sign(x), int_to_float=False)  # noqa: A001
exp = unary("exp", "ExpBackward0", xp.exp, lambda F, grad, result: grad * result)
log = unary("log", "LogBackward0", xp.log, lambda F, grad, x: grad / x)
sqrt = unary("sqrt", "SqrtBackward0", xp.sqrt, lambda F, grad, result: grad / (2 * result))
sin = unary("sin", "SinBackward0", xp.sin, lambda F, grad, x: grad * F.cos(x))
cos = unary("cos", "CosBackward0", xp.cos, lambda F, grad, x: grad * -F.sin(x))
tanh = unary("tanh", "TanhBackward0", xp.tanh, lambda F, grad, result: grad * (1 - result * result))
sigmoid = unary("sigmoid", "SigmoidBackward0", F_array.sigmoid, lambda F, grad, result: grad * (1 - result) * result)
def _sign(x: Any) -> Any:
    if x.dtype.kind == "b":
        return x.copy()
    return xp.where(x == x, xp.sign(x), 0) if x.dtype.kind == "f" else xp.sign(x)  # torch: sign(nan) is 0


sign = unary("sign", "SignBackward0", _sign, lambda F, grad: grad * 0, int_to_float=False)
reciprocal = unary("reciprocal", "ReciprocalBackward0", lambda x: 1 / x,
                   lambda F, grad, result: -grad * (result * result))
def _relu(x: Any) -> Any:
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return xp.maximum(x, 0)


relu = unary("relu", "ReluBackward0", _relu, lambda F, grad, result: F.where(result > 0, grad, 0), int_to_float=False)


# -- two inputs ------------------------------------------------------------------------------
_add = binary("add", "AddBackward0", xp.add, lambda F, grad: grad, lambda F, grad: grad)
_sub = binary("sub", "SubBackward0", xp.subtract, lambda F, grad: grad, lambda F, grad: -grad)
mul = binary("mul", "MulBackward0", xp.multiply, lambda F, grad, b: grad * b, lambda F, grad, a: grad * a)
_div = binary("div", "DivBackward0", xp.true_divide,
              lambda F, grad, b: grad / b,
              lambda F, grad, a, b: -grad * ((a / b) / b), int_to_float=True)
_rsub_tensor = binary("rsub", "RsubBackward0", lambda a, b: b - a, lambda F, grad: -grad, lambda F, grad: grad)
_RsubScalar = node_class("RsubBackward1", lambda F, grad: -grad)


def _rsub_scalar(input: Tensor, other: Any) -> Tensor:
    """``other - input`` for a number ``other``: torch's node then has one edge, to ``input``."""
    x, y = operands(input, other)
    out = Tensor._make(y - x)
    if grad_state.enabled and input._requires_grad:
        attach(out, _RsubScalar, (input,), {})
    return out

multiply = mul
_AddAlpha = node_class("AddBackward0", lambda F, grad: grad, lambda F, grad, alpha: grad * alpha)
_SubAlpha = node_class("SubBackward0", lambda F, grad: grad, lambda F, grad, alpha: -grad * alpha)


def _alpha_op(sign: int, cls: Any, input: Any, other: Any, alpha: Any) -> Tensor:
    """``input + sign * alpha * other`` as one node (torch's ``alpha=`` overloads)."""
    x, y = operands(input, other)
    if isinstance(alpha, float) and xp.result_type(x, y).kind != "f":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    try:
        out = Tensor._make(x + alpha * y if sign > 0 else x - alpha * y)  # -alpha * y overflows for uint8
    except ValueError:
        raise broadcast_error(xp.shape(x), xp.shape(y)) from None
    if grad_state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        attach(out, cls, (input, other), {"alpha": alpha})
    return out


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input + alpha * other``."""
    return _add(input, other) if alpha == 1 else _alpha_op(1, _AddAlpha, input, other, alpha)


def _is_bool(v: Any) -> bool:
    return v._data.dtype.kind == "b" if isinstance(v, Tensor) else type(v) is bool


def _refuse_bool_sub(input: Any, other: Any) -> None:
    """torch refuses subtraction with a bool tensor or a Python bool."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input - alpha * other``."""
    _refuse_bool_sub(input, other)
    return _sub(input, other) if alpha == 1 else _alpha_op(-1, _SubAlpha, input, other, alpha)


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (what ``2 - x`` calls)."""
    _refuse_bool_sub(input, other)
    if alpha == 1:
        return (_rsub_tensor if isinstance(other, Tensor) else _rsub_scalar)(input, other)
    x, y = operands(input, other)
    try:
        out = Tensor._make(y - alpha * x)
    except ValueError:
        raise broadcast_error(xp.shape(x), xp.shape(y)) from None
    if grad_state.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):  # one node, as torch records it
            attach(out, _RsubAlpha, (input, other), {"alpha": alpha})
        else:
            attach(out, _RsubScalarAlpha, (input,), {"alpha": alpha})
    return out


_RsubAlpha = node_class("RsubBackward0", lambda F, grad, alpha: -grad * alpha, lambda F, grad: grad)
_RsubScalarAlpha = node_class("RsubBackward1", lambda F, grad, alpha: -grad * alpha)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division; ``rounding_mode`` "trunc" or "floor" rounds the quotient (no gradient)."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    x, y = operands(input, other)
    if xp.result_type(x, y).kind == "f":
        # floor_divide rounds the exact quotient (1.0 // 0.1 is 9), as torch does; floor(1.0 / 0.1) is 10
        q = xp.trunc(xp.true_divide(x, y)) if rounding_mode == "trunc" else xp.floor_divide(x, y)
    elif not xp.all(y):
        raise RuntimeError("ZeroDivisionError")
    elif rounding_mode == "floor":
        q = xp.floor_divide(x, y)
    else:
        q = xp.trunc(xp.true_divide(x, y)).astype(xp.result_type(x, y))
    out = Tensor._make(q)
    if grad_state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        attach(out, _DivRounded, (input, other), {})
    return out


_DivRounded = node_class("DivBackward2", lambda F, grad: grad * 0, lambda F, grad: grad * 0)  # rounding: zero gradient


divide, true_divide, subtract = div, _div, sub
register(add), register(sub), register(div), register(rsub)


def _rtruediv(input: Tensor, other: Any) -> Tensor:
    """``other / input``: torch computes it as ``reciprocal(input) * other``."""
    return mul(reciprocal(input), other)


# -- pow: three overloads, three nodes, as in torch -------------------------------------------
def _pow_exponent_grad(F: Any, grad: Any, x: Any, exponent: Any) -> Any:
    return grad * 0.0 if exponent == 0 else grad * (exponent * x ** (exponent - 1))


_PowScalar = node_class("PowBackward0", _pow_exponent_grad)
_PowTensor = node_class(
    "PowBackward1",
    lambda F, grad, a, b: F.where(b == 0, 0.0, grad * (b * a ** (b - 1))),
    lambda F, grad, a, b, result: grad * F.where((a == 0) & (b >= 0), 0.0, result * F.log(a)),
)
_PowBase = node_class(
    "PowBackward2",  # one edge, to the exponent: the base is a number
    lambda F, grad, a, b, result: grad * (F.where(b >= 0, 0.0, result * -math.inf) if a == 0 else result * math.log(a)),
)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001
    """``input ** exponent`` for a tensor or number on either side."""
    x, y = operands(input, exponent)
    if _is_bool(input) and _is_bool(exponent):
        if isinstance(exponent, Tensor):
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return Tensor._make(xp.power(x, y).astype(xp.bool_))  # a bool tensor to a Python bool power stays bool
    try:
        out = Tensor._make(xp.power(x, y))
    except ValueError as e:
        if "negative integer powers" in str(e):
            raise RuntimeError("Integers to negative integer powers are not allowed.") from None
        raise broadcast_error(xp.shape(x), xp.shape(y)) from None
    if grad_state.enabled:
        if not isinstance(exponent, Tensor):
            if input._requires_grad:
                attach(out, _PowScalar, (input,), {"x": input, "exponent": exponent})
        elif not isinstance(input, Tensor):
            if exponent._requires_grad:
                attach(out, _PowBase, (exponent,), {"a": input, "b": exponent, "result": out._data})
        elif input._requires_grad or exponent._requires_grad:
            attach(out, _PowTensor, (input, exponent), {"a": input, "b": exponent, "result": out._data})
    return out


register(pow)


def _rpow(input: Tensor, other: Any) -> Tensor:
    return pow(other, input)


# -- three inputs ----------------------------------------------------------------------------
_Where = node_class(
    "WhereBackward0",  # edges to input and other only, as in torch: the condition has no gradient
    lambda F, grad, condition: F.where(condition, grad, 0.0),
    lambda F, grad, condition: F.where(condition, 0.0, grad),
)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """Pick ``input`` where ``condition`` holds, else ``other`` (both broadcast)."""
    cond = condition._data if isinstance(condition, Tensor) else xp.asarray(condition)
    if cond.dtype != xp.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{dtypes.from_numpy_dtype(cond.dtype).scalar_name}")
    x, y = operands(input, other) if isinstance(input, Tensor) or isinstance(other, Tensor) else (
        xp.asarray(input, dtypes._default.value.numpy), xp.asarray(other, dtypes._default.value.numpy))
    try:
        out = Tensor._make(xp.where(cond, x, y))
    except ValueError:
        acc = cond.shape  # torch broadcasts the operands in turn and reports the first that fails
        for shape in (xp.shape(x), xp.shape(y)):
            try:
                acc = xp.broadcast_shapes(acc, shape)
            except ValueError:
                raise broadcast_error(acc, shape) from None
        raise
    if grad_state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        attach(out, _Where, (input, other), {"condition": condition})
    return out


register(where)


# -- clamp -----------------------------------------------------------------------------------
_Clamp = node_class("ClampBackward1", lambda F, grad, x, min, max: F.where(_in_range(x, min, max), grad, 0.0))


def _in_range(x: Any, low: Any, high: Any) -> Any:
    if low is None:
        return x <= high
    if high is None:
        return x >= low
    return (x >= low) & (x <= high)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (either bound may be None; both numbers, or both tensors)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return clamp_tensors(input, min, max)
    x = input._data
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = x.astype(dtypes._default.value.numpy)
    out = Tensor._make(xp.clip(x, min, max))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Clamp, (input,), {"x": input, "min": min, "max": max})
    return out


clip = clamp
register(clamp)


_ClampMin = node_class("ClampMinBackward0", lambda F, grad, x, min: F.where(x >= min, grad, 0.0))
_ClampMax = node_class("ClampMaxBackward0", lambda F, grad, x, max: F.where(x <= max, grad, 0.0))


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    if isinstance(min, Tensor):
        return clamp_tensors(input, min, None, "clamp_min")
    out = clamp(input.detach(), min=min)
    if input._requires_grad and grad_state.enabled:
        attach(out, _ClampMin, (input,), {"x": input, "min": min})
    return out


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    if isinstance(max, Tensor):
        return clamp_tensors(input, None, max, "clamp_max")
    out = clamp(input.detach(), max=max)
    if input._requires_grad and grad_state.enabled:
        attach(out, _ClampMax, (input,), {"x": input, "max": max})
    return out


# -- comparisons and logic (no gradient) -----------------------------------------------------
def _no_grad_binary(name: str, forward: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        x, y = operands(input, other)
        try:
            return Tensor._make(forward(x, y))
        except ValueError:
            raise broadcast_error(xp.shape(x), xp.shape(y)) from None

    op.__name__ = op.__qualname__ = name
    return register(op)


eq = _no_grad_binary("eq", xp.equal)
ne = _no_grad_binary("ne", xp.not_equal)
lt = _no_grad_binary("lt", xp.less)
le = _no_grad_binary("le", xp.less_equal)
gt = _no_grad_binary("gt", xp.greater)
ge = _no_grad_binary("ge", xp.greater_equal)


def _integers_only(name: str, forward: Any) -> Any:
    def checked(x: Any, y: Any) -> Any:
        result_type = xp.result_type(x, y)
        if result_type.kind == "f":
            raise not_implemented(result_type, f"{name}_cpu")
        return forward(x, y)

    return checked


bitwise_and = _no_grad_binary("bitwise_and", _integers_only("bitwise_and", xp.bitwise_and))
bitwise_or = _no_grad_binary("bitwise_or", _integers_only("bitwise_or", xp.bitwise_or))
bitwise_xor = _no_grad_binary("bitwise_xor", _integers_only("bitwise_xor", xp.bitwise_xor))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(xp.logical_not(input._data))


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise not_implemented(input._data.dtype, "bitwise_not_cpu")
    return Tensor._make(xp.invert(input._data))


register(logical_not), register(bitwise_not)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return _maximum(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return _minimum(input, other)


# ties split the gradient evenly between the two inputs, as torch does
_maximum = binary("maximum", "MaximumBackward0", xp.maximum,
                  lambda F, grad, a, b: F.where(a == b, grad / 2, F.where(a > b, grad, 0.0)),
                  lambda F, grad, a, b: F.where(a == b, grad / 2, F.where(a < b, grad, 0.0)))
_minimum = binary("minimum", "MinimumBackward0", xp.minimum,
                  lambda F, grad, a, b: F.where(a == b, grad / 2, F.where(a < b, grad, 0.0)),
                  lambda F, grad, a, b: F.where(a == b, grad / 2, F.where(a > b, grad, 0.0)))
