"""Scans along one dim: cumsum, cumprod, cummax, cummin."""
from __future__ import annotations

from typing import Any

from ember import dtypes, return_types
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import wrap_dim
from ember.ops.minmax import matches, scatter_rule
from ember.ops.reduction import cumprod_grad, zero_masks
from ember.ops.registry import F_array, attach, node_class, register
from ember.tensor import Tensor

__all__ = ["cummax", "cummin", "cumprod", "cumsum"]


def _prepare(input: Tensor, dim: int, dtype: dtypes.dtype | None) -> tuple[Any, int | None]:
    """The array to scan (integers and bools promoted to int64, as torch does) and the dim (None for 0-d)."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if dtype is not None:
        if input._requires_grad and grad_state.enabled and not dtype.is_floating_point:
            raise RuntimeError(f"Autograd not support dtype: {dtype.scalar_name}")
        x = x.astype(dtype.numpy)
    elif x.dtype.kind in "biu":
        x = x.astype(xp.int64)
    return x, (d if x.ndim else None)


_Cumsum = node_class("CumsumBackward0",
                     lambda F, grad, dim, reverse: grad if dim is None else F.cumsum(grad, dim, not reverse))


def scan_sum(input: Tensor, dim: int | None, reverse: bool = False) -> Tensor:
    """Running sums of a tensor already in its result dtype, from the end when ``reverse`` (each
    direction's rule is the other's sum). ``F.cumsum`` on Tensors."""
    x = input._data
    acc = x.astype(xp.float32) if x.dtype == xp.float16 else x  # float16 accumulates in float32, as in torch
    out = Tensor._make((acc.copy() if dim is None else F_array.cumsum(acc, dim, reverse)).astype(x.dtype, copy=False))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Cumsum, (input,), {"dim": dim, "reverse": reverse})
    return out


def cumsum(input: Tensor, dim: int, *, dtype: dtypes.dtype | None = None) -> Tensor:
    """Running sums along ``dim``. Integer and bool inputs give int64."""
    x, d = _prepare(input, dim, dtype)
    if x is input._data:
        return scan_sum(input, d)
    out = scan_sum(Tensor._make(x), d)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Cumsum, (input,), {"dim": d, "reverse": False})
    return out


_Cumprod = node_class("CumprodBackward0", lambda F, grad, x, result, dim, zeros: grad if dim is None else cumprod_grad(
    F, grad, x, result, dim, zeros))


def cumprod(input: Tensor, dim: int, *, dtype: dtypes.dtype | None = None) -> Tensor:
    """Running products along ``dim``. Integer and bool inputs give int64."""
    x, d = _prepare(input, dim, dtype)
    acc = x.astype(xp.float32) if x.dtype == xp.float16 else x
    result = (acc.copy() if d is None else xp.cumprod(acc, axis=d)).astype(x.dtype, copy=False)
    out = Tensor._make(result)
    if input._requires_grad and grad_state.enabled:
        zeros = None if d is None else zero_masks(x, d)
        attach(out, _Cumprod, (input,), {"x": input, "result": result, "dim": d, "zeros": zeros})
    return out


# -- cummax / cummin: the gradient goes to the index each running extreme came from ----------
_Cummax = node_class("CummaxBackward0", scatter_rule)
_Cummin = node_class("CumminBackward0", scatter_rule)


def _running(name: str, pick: Any, cls: Any, result_type: Any) -> Any:
    def op(input: Tensor, dim: int) -> Any:
        x = input._data
        d = wrap_dim(dim, x.ndim)
        if not x.ndim:
            values, indices = x.copy(), xp.zeros((), xp.int64)
        else:
            values = pick.accumulate(x, axis=d)
            # torch moves the index on ties (>=) and to every NaN: to the last element matching
            # the running extreme where it was reached
            shape = [1] * x.ndim
            shape[d] = x.shape[d]
            position = xp.arange(x.shape[d]).reshape(shape)
            hit = matches(x, values)
            indices = xp.maximum.accumulate(xp.where(hit, position, 0), axis=d).astype(xp.int64)
        out = Tensor._make(values)
        if input._requires_grad and grad_state.enabled:
            attach(out, cls, (input,), {"dim": d if x.ndim else None, "indices": indices, "shape": x.shape})
        return result_type(out, Tensor._make(indices))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``(values, indices)`` of the running {name[3:]}imum along ``dim``; ties take the later index."
    return register(op)


cummax = _running("cummax", xp.maximum, _Cummax, return_types.cummax)
cummin = _running("cummin", xp.minimum, _Cummin, return_types.cummin)

register(cumsum), register(cumprod)
