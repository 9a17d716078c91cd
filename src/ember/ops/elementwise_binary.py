"""Elementwise math of two inputs: atan2, hypot, fmod, remainder, floor_divide (``//``), xlogy and
copysign, with torch's overloads for a number on either side (each its own node, as in torch)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.backend import xp
from ember.ops import _special
from ember.ops._shape import broadcast_error
from ember.ops.elementwise_ternary import invalid_combination, must_be_tensor, not_implemented, record, type_name
from ember.ops.registry import node_class, operands, register
from ember.tensor import Tensor

__all__ = ["arctan2", "atan2", "copysign", "floor_divide", "fmod", "hypot", "remainder", "xlogy"]


def _apply(forward: Callable[[Any, Any], Any], x: Any, y: Any) -> Tensor:
    try:
        return Tensor._make(forward(x, y))
    except ValueError:
        raise broadcast_error(xp.shape(x), xp.shape(y)) from None


def _integer_zero_check(x: Any, y: Any) -> None:
    """Integer division by zero raises, as torch does (float division gives inf or NaN)."""
    if xp.result_type(x, y).kind in "iu" and not xp.all(y):
        raise RuntimeError("ZeroDivisionError")


def _atan2_scale(F: Any, a: Any, b: Any) -> Any:
    """1 / (a^2 + b^2), taken as 0 at the origin (torch's atan2 gradient is 0 there)."""
    squares = a * a + b * b
    return F.where(squares == 0, 0.0, 1 / squares)


_Atan2 = node_class("Atan2Backward0", lambda F, grad, a, b: grad * b * _atan2_scale(F, a, b),
                    lambda F, grad, a, b: grad * -a * _atan2_scale(F, a, b))
_Hypot = node_class("HypotBackward0", lambda F, grad, a, result: grad * (a / result),
                    lambda F, grad, b, result: grad * (b / result))


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input): arctan(input / other) in the right quadrant."""
    must_be_tensor("atan2", input, 1, "input")
    must_be_tensor("atan2", other, 2, "other")
    out = _apply(xp.arctan2, *operands(input, other, int_to_float=True))
    return record(out, _Atan2, (input, other), a=input, b=other)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input^2 + other^2), without overflow in the squares."""
    must_be_tensor("hypot", input, 1, "input")
    must_be_tensor("hypot", other, 2, "other")
    x, y = operands(input, other)
    if x.dtype.kind != "f":
        raise not_implemented(x.dtype, "hypot_cpu")
    out = _apply(xp.hypot, x, y)
    return record(out, _Hypot, (input, other), a=input, b=other, result=out._data)


arctan2 = atan2
register(atan2), register(arctan2, "arctan2"), register(hypot)

_FmodTensor = node_class("FmodBackward1", lambda F, grad: grad,
                         lambda F, grad, a, b: -grad * F.div(a, b, rounding_mode="trunc"))
_FmodScalar = node_class("FmodBackward0", lambda F, grad: grad)
_RemainderTensor = node_class("RemainderBackward1", lambda F, grad: grad,
                              lambda F, grad, a, b: -grad * F.div(a, b, rounding_mode="floor"))
_RemainderScalar = node_class("RemainderBackward0", lambda F, grad: grad)


def _never(op: str) -> Callable[..., Any]:
    def rule(F: Any, grad: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{op} is not implemented")

    return rule


# torch records these overloads with a node that refuses to backward
_FloorDivide = node_class("NotImplemented", _never("floor_divide"), _never("floor_divide"))
_RemainderOfScalar = node_class("NotImplemented", _never("remainder"))


def _integer_operands(kernel: str, input: Any, other: Any) -> tuple[Any, Any]:
    x, y = operands(input, other)
    if xp.result_type(x, y).kind == "b":
        raise not_implemented(xp.bool_, kernel)
    _integer_zero_check(x, y)
    return x, y


def fmod(input: Tensor, other: Any) -> Tensor:
    """The remainder of the division truncated toward zero: it has the sign of ``input``."""
    if not isinstance(input, Tensor):
        raise invalid_combination("fmod", (input, other), "Tensor input, Tensor other, *, Tensor out = None",
                                  "Tensor input, Number other, *, Tensor out = None")
    out = _apply(xp.fmod, *_integer_operands("fmod_cpu", input, other))
    if isinstance(other, Tensor):
        return record(out, _FmodTensor, (input, other), a=input, b=other)
    return record(out, _FmodScalar, (input,))


def _remainder(x: Any, y: Any) -> Any:
    if xp.result_type(x, y).kind != "f":
        return xp.remainder(x, y)
    # torch's formula: fmod, moved to the divisor's sign (it keeps -0.0 where NumPy gives +0.0)
    mod = xp.fmod(x, y)
    return xp.where((mod != 0) & ((y < 0) != (mod < 0)), mod + y, mod)


def remainder(input: Any, other: Any) -> Tensor:
    """The remainder of the division rounded down (Python's ``%``): it has the sign of ``other``."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        shown = ", ".join(f"!{type_name(a)}!" for a in (input, other))
        raise invalid_combination("remainder", (input, other), "Tensor input, Tensor other, *, Tensor out = None",
                                  "Number self, Tensor other", "Tensor input, Number other, *, Tensor out = None",
                                  marked={1: shown})
    out = _apply(_remainder, *_integer_operands("remainder_cpu", input, other))
    if not isinstance(input, Tensor):
        return record(out, _RemainderOfScalar, (other,))
    if isinstance(other, Tensor):
        return record(out, _RemainderTensor, (input, other), a=input, b=other)
    return record(out, _RemainderScalar, (input,))


def floor_divide(input: Any, other: Any) -> Tensor:
    """The quotient rounded down (Python's ``//``); it has no derivative in torch."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor._make(xp.asarray(input, dtypes.scalar_dtype(input).numpy))  # torch takes two numbers too
    out = _apply(xp.floor_divide, *_integer_operands("div_floor_cpu", input, other))
    return record(out, _FloorDivide, tuple(t for t in (input, other) if isinstance(t, Tensor)))


register(fmod), register(remainder), register(floor_divide)


def _xlogy_self_grad(F: Any, grad: Any, a: Any, b: Any) -> Any:
    return F.where((a == 0) & (b <= 0), 0.0, F.xlogy(grad, b))


_XlogyTensor = node_class("XlogyBackward0", _xlogy_self_grad, lambda F, grad, a, b: grad * a / b)
_XlogyOfScalar = node_class("XlogyBackward1", lambda F, grad, a, b: grad * a / b)
_XlogyScalar = node_class("XlogyBackward2", _xlogy_self_grad)


def xlogy(input: Any, other: Any) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise invalid_combination("xlogy", (input, other), "Tensor input, Tensor other, *, Tensor out = None",
                                  "Number self, Tensor other, *, Tensor out = None",
                                  "Tensor input, Number other, *, Tensor out = None")
    out = _apply(_special.xlogy, *operands(input, other, int_to_float=True))
    if not isinstance(input, Tensor):
        return record(out, _XlogyOfScalar, (other,), a=input, b=other)
    if isinstance(other, Tensor):
        return record(out, _XlogyTensor, (input, other), a=input, b=other)
    return record(out, _XlogyScalar, (input,), a=input, b=other)


# d/d input of copysign: the sign change result / input (0 where input is 0); none for the sign source
def _copysign_grad(F: Any, grad: Any, a: Any, result: Any) -> Any:
    return grad * F.where(a == 0, 0.0, result / a)


_CopysignTensor = node_class("CopysignBackward0", _copysign_grad, lambda F, grad: grad * 0)
_CopysignScalar = node_class("CopysignBackward1", _copysign_grad)


def copysign(input: Tensor, other: Any) -> Tensor:
    """``|input|`` with the sign (bit) of ``other``."""
    if not isinstance(input, Tensor):
        raise invalid_combination("copysign", (input, other), "Tensor input, Tensor other, *, Tensor out = None",
                                  "Tensor input, Number other, *, Tensor out = None")
    out = _apply(xp.copysign, *operands(input, other, int_to_float=True))
    if isinstance(other, Tensor):
        return record(out, _CopysignTensor, (input, other), a=input, result=out._data)
    return record(out, _CopysignScalar, (input,), a=input, result=out._data)


register(xlogy), register(copysign)
