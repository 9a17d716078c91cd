"""Index-valued ops: nonzero, argwhere, bincount, searchsorted, bucketize (no gradients,
except bincount's weights, which torch records but cannot differentiate)."""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["argwhere", "bincount", "bucketize", "nonzero", "searchsorted"]


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: one row per element (an (n, ndim) tensor), or with
    ``as_tuple`` one 1-d tensor per dim."""
    x = input._data
    if as_tuple:
        if x.ndim == 0:
            return (Tensor._make(xp.zeros(int(x != 0), xp.int64)),)
        return tuple(Tensor._make(i) for i in xp.nonzero(x))
    return Tensor._make(xp.argwhere(x).astype(xp.int64, copy=False))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


def _not_implemented(F: Any, grad: Any) -> Any:
    raise RuntimeError("derivative for aten::bincount is not implemented")


_Bincount = node_class("NotImplemented", _not_implemented)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in the 1-d non-negative ``input`` (summing
    ``weights`` instead of counting, when given)."""
    x = input._data
    if x.dtype.kind not in "iu":
        name = dtypes._BY_NUMPY[x.dtype].scalar_name
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{name}'")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return Tensor._make(xp.bincount(x, minlength=minlength).astype(xp.int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = xp.float32 if w.dtype == xp.float32 else xp.float64
    out = Tensor._make(xp.bincount(x, weights=w, minlength=minlength).astype(out_dtype))
    if weights._requires_grad and grad_state.enabled:
        attach(out, _Bincount, (weights,), {})
    return out


def _side(right: bool, side: str | None) -> str:
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"ember.searchsorted(): side can only be 'left' or 'right' but got {side}")
        return side
    return "right" if right else "left"


def _values(values: Any) -> Any:
    return values._data if isinstance(values, Tensor) else xp.asarray(values)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dim) to
    keep it sorted: the first such index, or with ``right``/``side='right'`` the last."""
    seq = sorted_sequence._data
    values = _values(input)
    how = _side(right, side)
    if seq.ndim == 0:
        raise RuntimeError("ember.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim > 1 and seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError("ember.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got boundaries "
                           f"tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if sorter is not None:
        order = sorter._data
        if order.shape != seq.shape:
            raise RuntimeError("ember.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(order.shape)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError("ember.searchsorted(): sorter index out of range")
        seq = xp.take_along_axis(seq, order, axis=-1)
    if seq.ndim == 1:
        found = xp.searchsorted(seq, values, side=how)
    else:  # one sorted row per leading index
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        found = xp.stack([xp.searchsorted(r, v, side=how) for r, v in zip(rows, vals, strict=True)])
        found = found.reshape(values.shape)
    return Tensor._make(xp.asarray(found, xp.int32 if out_int32 else xp.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` among the 1-d sorted ``boundaries``."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


for _op in (nonzero, argwhere, bincount, searchsorted, bucketize):
    register(_op)
