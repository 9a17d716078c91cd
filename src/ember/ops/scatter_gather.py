"""Ops that read or write values at index positions along one dim: gather, scatter,
scatter_add, scatter_reduce, take_along_dim (and their in-place forms).

An index tensor has the input's number of dims and is no larger than it in the other dims; its
entry at position p names the position along ``dim`` that p reads from (gather) or writes to
(scatter). Each op's derivative is the other op of the pair.
"""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import inplace, movement
from ember.ops._accumulate import add_at
from ember.ops._shape import along_axis, broadcast_error, wrap_dim
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "take_along_dim"]


def _index_array(index: Any, message: str) -> Any:
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype not in (xp.int64, xp.int32):
        raise RuntimeError(message)
    return idx


def _check_bounds(idx: Any, dim: int, size: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)]
        raise RuntimeError(f"index {bad[0]} is out of bounds for dimension {dim} with size {size}")


def _prefix(shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The key of the leading block of this shape (an index may be smaller than its input)."""
    return tuple(slice(0, s) for s in shape)


def _as_nd(x: Any, idx: Any) -> tuple[Any, Any]:
    """0-d tensors act as 1-d ones of one element (torch allows a 0-d index or input)."""
    return (x.reshape(1) if x.ndim == 0 else x), (idx.reshape(1) if idx.ndim == 0 else idx)


_Gather = node_class("GatherBackward0", lambda F, grad, dim, index, shape: F.scatter_zeros(grad, dim, index, shape))


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[p] = input[p with p[dim] replaced by index[p]]``."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_array(index, "gather(): Expected dtype int32/int64 for index")
    if x.ndim and idx.ndim and idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x1, idx1 = _as_nd(x, idx)
    smaller = False
    for i, (s, n) in enumerate(zip(idx1.shape, x1.shape, strict=False)):
        if i != d and s != n:
            if s > n:
                raise RuntimeError(f"Size does not match at dimension {i} expected index {list(idx.shape)} to be no "
                                   f"larger than self {list(x.shape)} apart from dimension {d}")
            smaller = True
    if idx1.size and idx1.min() < 0:  # NumPy would wrap negative indices; torch refuses them
        _check_bounds(idx1, d, x1.shape[d])
    block = x1[_prefix(idx1.shape[:d]) + (slice(None),) + _prefix(idx1.shape[d + 1:])] if smaller else x1
    try:
        out = Tensor._make(xp.take_along_axis(block, idx1, axis=d).reshape(idx.shape))
    except IndexError:
        _check_bounds(idx1, d, x1.shape[d])
        raise
    if input._requires_grad and grad_state.enabled:
        attach(out, _Gather, (input,), {"dim": d, "index": idx1, "shape": x1.shape})
    return out


def _scatter_check(op: str, x: Any, d: int, idx: Any, src: Any) -> None:
    if x.ndim and idx.ndim and idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    x1, idx1 = _as_nd(x, idx)
    too_big = any(i != d and s > n for i, (s, n) in enumerate(zip(idx1.shape, x1.shape, strict=False)))
    if src is not None:
        src1 = src.reshape(1) if src.ndim == 0 else src
        if too_big or any(s > n for s, n in zip(idx1.shape, src1.shape, strict=False)):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart from "
                               f"dimension {d} and to be no larger size than src {list(src.shape)}")
        if src.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    elif too_big:
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart from "
                           f"dimension {d}")
    _check_bounds(idx1, d, x1.shape[d])


def _untouched(shape: tuple[int, ...], key: tuple[Any, ...]) -> Any:
    """A mask of the positions a scatter leaves alone (their gradient flows to ``self``)."""
    keep = xp.ones(shape, bool)
    keep[key] = False
    return keep


def _pad(F: Any, picked: Any, index_shape: tuple[int, ...], src_shape: tuple[int, ...]) -> Any:
    """A src gradient computed on the index's block, zero-padded to src's shape."""
    return picked if index_shape == src_shape else F.index_zeros(picked, _prefix(index_shape), src_shape, False)


def pick(F: Any, a: Any, dim: int, index: Any) -> Any:
    """``gather`` in a rule, where ``index`` may be smaller than ``a`` in the other dims."""
    if any(i != dim and s != n for i, (s, n) in enumerate(zip(index.shape, a.shape, strict=False))):
        a = F.getitem(a, _prefix(index.shape[:dim]) + (slice(None),) + _prefix(index.shape[dim + 1:]))
    return F.gather(a, dim, index)


def _src_grad(F: Any, grad: Any, dim: int, index: Any, src_shape: tuple[int, ...]) -> Any:
    """The gradient of a scatter's ``src``: what reached the positions it was written to."""
    return _pad(F, pick(F, grad, dim, index), index.shape, src_shape)


def _not_implemented(F: Any, grad: Any) -> Any:
    raise RuntimeError("derivative for aten::scatter is not implemented")


_ScatterSrc = node_class("ScatterBackward0", lambda F, grad, keep: grad * keep, _src_grad)
_ScatterValue = node_class("ScatterBackward1", lambda F, grad, keep: grad * keep)
_ScatterReduceArg = node_class("NotImplemented", _not_implemented, _not_implemented)
_ScatterAdd = node_class("ScatterAddBackward0", lambda F, grad: grad, _src_grad)


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, op: str, reduce: str | None = None) -> tuple[Any, ...]:
    """The scattered array, the key of the written positions, and the parts the rules use."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_array(index, "scatter(): Expected dtype int32/int64 for index")
    s = src._data if isinstance(src, Tensor) else None
    _scatter_check(op, x, d, idx, s)
    x1, idx1 = _as_nd(x, idx)
    key = along_axis(idx1, d)
    values = src if s is None else (s.reshape(1) if s.ndim == 0 else s)[_prefix(idx1.shape)]
    data = x1.copy()
    if reduce is None:
        data[key] = values
    elif reduce == "add":
        add_at(data, key, xp.broadcast_to(xp.asarray(values, data.dtype), idx1.shape))
    else:
        xp.multiply.at(data, key, values)
    return data.reshape(x.shape), d, idx1, key, x1.shape


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number) written at ``index`` along ``dim``;
    ``reduce='add' | 'multiply'`` combines instead of overwriting."""
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    data, d, idx, key, shape = _scatter(input, dim, index, src, "scatter", reduce)
    out = Tensor._make(data)
    is_tensor = isinstance(src, Tensor)
    if grad_state.enabled and (input._requires_grad or (is_tensor and src._requires_grad)):
        if reduce is not None:
            attach(out, _ScatterReduceArg, (input, src), {})
        elif is_tensor:
            attach(out, _ScatterSrc, (input, src), {"keep": _untouched(shape, key), "dim": d, "index": idx,
                                                    "src_shape": src._data.shape})
        else:
            attach(out, _ScatterValue, (input,), {"keep": _untouched(shape, key).reshape(input._data.shape)})
    return out


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    data, d, idx, _, _ = _scatter(input, dim, index, src, "scatter", "add")
    out = Tensor._make(data)
    if grad_state.enabled and (input._requires_grad or src._requires_grad):
        attach(out, _ScatterAdd, (input, src), {"dim": d, "index": idx, "src_shape": src._data.shape})
    return out


_REDUCE_UFUNCS = {"sum": (xp.add, 0), "mean": (xp.add, 0), "prod": (xp.multiply, 1),
                  "amax": (xp.maximum, -xp.inf), "amin": (xp.minimum, xp.inf)}


def _reduce_src(F: Any, grad: Any, dim: int, index: Any, divisor: Any, src_mask: Any, src_shape: Any) -> Any:
    picked = pick(F, grad / divisor, dim, index)
    return _pad(F, picked if src_mask is None else picked * src_mask, index.shape, src_shape)


def _prod_src(F: Any, grad: Any, dim: int, index: Any, others: Any, result: Any, single: Any, inverse: Any,
              src_shape: Any) -> Any:
    # where a src value is the only zero sent to its position its gradient is the product of the
    # others there; elsewhere it is result / src
    picked = pick(F, grad * others, dim, index) * single + pick(F, grad * result, dim, index) * inverse
    return _pad(F, picked, index.shape, src_shape)


# sum, mean, amax, amin (and prod with zeros): the gradient is the upstream one times constants
_ScatterReduce = node_class("ScatterReduceBackward0", lambda F, grad, scale: grad * scale, _reduce_src)
_ScatterProdZeros = node_class("ScatterReduceBackward0", lambda F, grad, scale: grad * scale, _prod_src)
# prod without zeros: d(prod)/d(x) = prod / x, written on the saved tensors so it differentiates again
_ScatterProd = node_class(
    "ScatterReduceBackward0",
    lambda F, grad, result, x, keep: grad * result / x * keep,
    lambda F, grad, result, dim, index, src, src_shape: _pad(
        F, pick(F, grad * result, dim, index) / F.getitem(src, _prefix(index.shape)), index.shape, src_shape),
)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where each position ``index`` names along ``dim`` becomes the
    ``reduce`` ('sum', 'prod', 'mean', 'amax', 'amin') of the ``src`` values sent there (and of
    its own value, with ``include_self``)."""
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_array(index, "scatter(): Expected dtype int32/int64 for index")
    _scatter_check("scatter", x, d, idx, src._data)
    x1, idx1 = _as_nd(x, idx)
    s = src._data.reshape(1) if src._data.ndim == 0 else src._data
    key = along_axis(idx1, d)
    values = s[_prefix(idx1.shape)]
    ufunc, identity = _REDUCE_UFUNCS[reduce]
    if x1.dtype.kind in "iub" and reduce in ("amax", "amin"):
        info = xp.iinfo(x1.dtype) if x1.dtype.kind != "b" else None
        identity = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
    data = x1.copy()
    keep = None
    if not include_self:
        keep = _untouched(x1.shape, key)
        data[~keep] = identity
    (add_at if ufunc is xp.add else ufunc.at)(data, key, values)
    if reduce == "mean":
        count = xp.zeros(x1.shape, x1.dtype if x1.dtype.kind == "f" else xp.int64)
        xp.add.at(count, key, 1)
        count += include_self
        count[count == 0] = 1
        data = data / count if data.dtype.kind == "f" else data // count
    out = Tensor._make(data.reshape(x.shape).astype(x.dtype, copy=False))
    if grad_state.enabled and (input._requires_grad or src._requires_grad):
        ctx: dict[str, Any] = {"dim": d, "index": idx1, "src_shape": s.shape}
        if reduce == "prod":
            if (x1 == 0).any() or (values == 0).any():
                attach(out, _ScatterProdZeros, (input, src), {**ctx, **_prod_with_zeros(x1, key, values, data, keep)})
            else:
                attach(out, _ScatterProd, (input, src), {**ctx, "result": out._data, "x": input, "src": src,
                                                          "keep": 1.0 if keep is None else keep})
            return out
        scale, divisor, src_mask = (1.0 if keep is None else keep), 1.0, None
        if reduce == "mean":
            scale, divisor = scale / count, count
        elif reduce in ("amax", "amin"):  # ties share the gradient evenly
            self_hit = (x1 == data) if keep is None else (x1 == data) & keep
            src_mask = values == data[key]
            divisor = self_hit.astype(x1.dtype)
            add_at(divisor, key, src_mask.astype(x1.dtype))
            scale = self_hit / divisor
        attach(out, _ScatterReduce, (input, src), {**ctx, "scale": scale, "divisor": divisor, "src_mask": src_mask})
    return out


def _prod_with_zeros(x: Any, key: tuple[Any, ...], values: Any, result: Any, keep: Any) -> dict[str, Any]:
    """torch's prod gradient where zeros occur, as constants (so first order only): each
    factor's gradient is the product of the other factors at its position."""
    nonzero_self = xp.where(x == 0, 1, x)
    others_self = nonzero_self.copy()
    xp.multiply.at(others_self, key, values)
    zero = values == 0
    zeros_there = xp.zeros(x.shape, xp.int64)
    xp.add.at(zeros_there, key, zero)
    single = zero & (zeros_there[key] == 1)
    others_src = x.copy() if keep is None else xp.where(keep, x, 1).astype(x.dtype)
    xp.multiply.at(others_src, key, xp.where(single, 1, values).astype(x.dtype))
    scale = others_self / nonzero_self
    return {"scale": scale if keep is None else scale * keep, "others": others_src, "result": result,
            "single": single, "inverse": xp.where(zero, 0, 1 / xp.where(zero, 1, values)).astype(x.dtype)}


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` after broadcasting ``input`` and ``indices`` against each other (flattened
    when ``dim`` is None)."""
    if indices._data.dtype != xp.int64:
        raise RuntimeError("ember.take_along_dim(): dtype of indices should be Long but got "
                           + indices.dtype.scalar_name)
    if dim is None:
        return gather(movement.view(input, -1), 0, movement.view(indices, -1))
    x, idx = input._data, indices._data
    if x.ndim != idx.ndim:
        raise RuntimeError(f"ember.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = wrap_dim(dim, x.ndim)
    sizes = x.shape[:d] + (idx.shape[d],) + x.shape[d + 1:]  # torch broadcasts with dim d sized as the index's
    try:
        shape = xp.broadcast_shapes(sizes, idx.shape)
    except ValueError:
        raise broadcast_error(sizes, idx.shape) from None
    return gather(movement.expand(input, shape[:d] + (x.shape[d],) + shape[d + 1:]), d,
                  movement.expand(indices, shape[:d] + (idx.shape[d],) + shape[d + 1:]))


for _op in (gather, scatter, scatter_add, scatter_reduce, take_along_dim):
    register(_op)
scatter_ = inplace._inplace(scatter, "scatter_")
scatter_add_ = inplace._inplace(scatter_add, "scatter_add_")
scatter_reduce_ = inplace._inplace(scatter_reduce, "scatter_reduce_")
