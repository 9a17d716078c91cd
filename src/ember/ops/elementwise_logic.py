"""Elementwise tests and logic: isnan and friends, isclose / allclose / equal, logical_and / or /
xor, and the bit shifts. None of them has a gradient."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.elementwise_ternary import must_be_tensor, not_implemented
from ember.ops.registry import operands, register
from ember.tensor import Tensor

__all__ = [
    "allclose", "bitwise_left_shift", "bitwise_right_shift", "equal", "isclose", "isfinite", "isinf", "isnan",
    "isneginf", "isposinf", "logical_and", "logical_or", "logical_xor",
]


def _predicate(name: str, test: Callable[[Any], Any]) -> Callable[[Tensor], Tensor]:
    def op(input: Tensor) -> Tensor:
        must_be_tensor(name, input, 1, "input")
        x = input._data
        # integers and bools are finite: only float arrays are looked at
        return Tensor._make(test(x) if x.dtype.kind == "f" else test(xp.zeros(x.shape)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name}: a bool tensor."
    return register(op)


isnan = _predicate("isnan", xp.isnan)
isinf = _predicate("isinf", xp.isinf)
isfinite = _predicate("isfinite", xp.isfinite)
isposinf = _predicate("isposinf", xp.isposinf)
isneginf = _predicate("isneginf", xp.isneginf)


def _logical(name: str, forward: Callable[[Any, Any], Any]) -> Callable[[Tensor, Tensor], Tensor]:
    def op(input: Tensor, other: Tensor) -> Tensor:
        must_be_tensor(name, input, 1, "input")
        must_be_tensor(name, other, 2, "other")
        x, y = input._data, other._data
        try:
            return Tensor._make(forward(x != 0, y != 0))  # any nonzero value (NaN too) is true
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name.replace('_', ' ')} of the truth values: a bool tensor."
    return register(op)


logical_and = _logical("logical_and", xp.logical_and)
logical_or = _logical("logical_or", xp.logical_or)
logical_xor = _logical("logical_xor", xp.logical_xor)


def _shift(name: str, kernel: str, left: bool) -> Callable[[Any, Any], Tensor]:
    def op(input: Any, other: Any) -> Tensor:
        x, y = operands(input, other)
        result_type = xp.result_type(x, y)
        if result_type.kind not in "iu":
            raise not_implemented(result_type, kernel)
        try:
            xp.broadcast_shapes(xp.shape(x), xp.shape(y))
        except ValueError:
            raise broadcast_error(xp.shape(x), xp.shape(y)) from None
        bits = result_type.itemsize * 8
        within = (y >= 0) & (y < bits)
        count = xp.where(within, y, 0)
        # torch: a shift by a negative count or by the width or more gives 0 (a signed right shift: the sign)
        if left or result_type.kind == "u":
            out = xp.where(within, (xp.left_shift if left else xp.right_shift)(x, count), 0)
        else:
            out = xp.where(within, xp.right_shift(x, count), xp.right_shift(x, bits - 1))
        return Tensor._make(out.astype(result_type, copy=False))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {'left' if left else 'right'} shift of integers (``{'<<' if left else '>>'}``)."
    return register(op)


bitwise_left_shift = _shift("bitwise_left_shift", "lshift_cpu", True)
bitwise_right_shift = _shift("bitwise_right_shift", "rshift_cpu", False)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (infinities close only to themselves)."""
    must_be_tensor("isclose", input, 1, "input")
    must_be_tensor("isclose", other, 2, "other")
    x, y = input._data, other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{dtypes._BY_NUMPY[x.dtype].scalar_name} did not match "
                           f"{dtypes._BY_NUMPY[y.dtype].scalar_name}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value:g}")
    try:
        close = x == y
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    if equal_nan and x.dtype.kind == "f":
        close |= xp.isnan(x) & xp.isnan(y)
    if rtol == 0 and atol == 0:
        return Tensor._make(close)
    # torch's arithmetic: the tolerance in the float dtype (default for integers), the error in the
    # input dtype (integers wrap), compared after promotion to the tolerance's dtype
    real = x.dtype if x.dtype.kind == "f" else dtypes._default.value.numpy
    allowed = atol + xp.abs(rtol * (y if x.dtype.kind == "f" else y.astype(real)))
    actual = xp.abs(x - y) if x.dtype.kind != "b" else xp.abs(x.astype(real) - y.astype(real))
    close |= xp.isfinite(actual) & (actual.astype(real, copy=False) <= allowed)
    return Tensor._make(close)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape and the same values (NaN equals nothing)."""
    must_be_tensor("equal", input, 1, "input")
    must_be_tensor("equal", other, 2, "other")
    return input._data.shape == other._data.shape and bool(xp.array_equal(input._data, other._data))


register(isclose), register(allclose), register(equal)
