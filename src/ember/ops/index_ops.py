"""Ops on whole slices picked by a 1-d index along one dim (index_select, index_add,
index_copy, index_fill), on flat positions (take), and on boolean masks (masked_select,
masked_scatter); with their in-place forms.
"""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import inplace, movement
from ember.ops._accumulate import add_at
from ember.ops._shape import broadcast_error, wrap_dim
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["index_add", "index_copy", "index_fill", "index_select", "masked_scatter", "masked_select", "take"]


def _key(dim: int, idx: Any) -> tuple[Any, ...]:
    """The NumPy key picking ``idx`` along ``dim``."""
    return (slice(None),) * dim + (idx,)


def _along(x: Any, dim: int) -> tuple[Any, int, int]:
    """0-d tensors act as 1-d ones of one element; returns the array, dim and its size."""
    x1 = x.reshape(1) if x.ndim == 0 else x
    d = wrap_dim(dim, x.ndim)
    return x1, d, x1.shape[d]


_IndexSelect = node_class("IndexSelectBackward0", lambda F, grad, index, shape: F.index_zeros(grad, index, shape, True))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at positions ``index`` (1-d) along ``dim``."""
    idx = index._data
    if idx.dtype not in (xp.int64, xp.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    x = input._data
    x1, d, size = _along(x, dim)
    idx = idx.reshape(-1)
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    bad = idx[(idx < 0) | (idx >= size)]
    if bad.size:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad[0]} axis_dim={size}")
    key = _key(d, idx)
    out = Tensor._make(x1[key].reshape(()) if x.ndim == 0 else x1[key])
    if input._requires_grad and grad_state.enabled:
        attach(out, _IndexSelect, (input,), {"index": key if x.ndim else (idx,), "shape": x1.shape})
    return out


def _source_check(op: str, x: Any, d: int, idx: Any, src: Any) -> None:
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_scalar_name(idx)} and size: {list(idx.shape)}")
    n = src.shape[d] if src.ndim else 1
    if idx.size != n:
        if op == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({n})")
        raise RuntimeError(f"{op}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({n}), for "
                           f"dim: {d}")
    if src.ndim and x.ndim and (src.ndim != x.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, src.shape, strict=False)) if i != d)):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                           f"self.shape = {list(x.shape)} source.shape = {list(src.shape)}")


def _scalar_name(a: Any) -> str:
    return dtypes._BY_NUMPY[a.dtype].scalar_name


def _out_of_bounds(idx: Any, dim: int, size: int, prefix: str = "", negative_ok: bool = False) -> None:
    low = -size if negative_ok else 0
    bad = idx[(idx < low) | (idx >= size)]
    if bad.size:
        raise (IndexError if prefix or negative_ok else RuntimeError)(
            f"{prefix}index {bad[0]} is out of bounds for dimension {dim} with size {size}")


_IndexAdd = node_class("IndexAddBackward0", lambda F, grad: grad,
                       lambda F, grad, index, alpha: F.getitem(grad, index) * alpha)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added to the slices at ``index`` along ``dim``."""
    x, src, idx = input._data, source._data, index._data
    x1, d, size = _along(x, dim)
    _source_check("index_add_", x, d, idx, src)
    if src.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype.scalar_name}) and source ({source.dtype.scalar_name}) "
                           "must have the same scalar type")
    _out_of_bounds(idx, d, size)
    key = _key(d, idx.reshape(-1))
    data = x1.copy()
    add_at(data, key, (src.reshape(1) if src.ndim == 0 else src) * alpha)
    out = Tensor._make(data.reshape(x.shape))
    if grad_state.enabled and (input._requires_grad or source._requires_grad):
        attach(out, _IndexAdd, (input, source), {"index": key if x.ndim else (idx.reshape(-1),), "alpha": alpha})
    return out


def _untouched(shape: tuple[int, ...], key: tuple[Any, ...]) -> Any:
    keep = xp.ones(shape, bool)
    keep[key] = False
    return keep


_IndexCopy = node_class("IndexCopyBackward0", lambda F, grad, keep: grad * keep,
                        lambda F, grad, index: F.getitem(grad, index))


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    x, src, idx = input._data, source._data, index._data
    if idx.dtype != xp.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_scalar_name(idx)}")
    x1, d, size = _along(x, dim)
    _source_check("index_copy_", x, d, idx, src)
    if src.dtype != x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{input.dtype.scalar_name} and (source) {source.dtype.scalar_name}")
    _out_of_bounds(idx, d, size, "index_copy_(): ")
    key = _key(d, idx.reshape(-1))
    data = x1.copy()
    data[key] = src.reshape(1) if src.ndim == 0 else src
    out = Tensor._make(data.reshape(x.shape))
    if grad_state.enabled and (input._requires_grad or source._requires_grad):
        attach(out, _IndexCopy, (input, source), {"keep": _untouched(x1.shape, key).reshape(x.shape),
                                                  "index": key if x.ndim else (idx.reshape(-1),)})
    return out


_IndexFill = node_class("IndexFillBackward0", lambda F, grad, keep: grad * keep)
_IndexFillTensor = node_class("IndexFillBackward1", lambda F, grad, keep: grad * keep,
                              lambda F, grad, index: F.sum(F.getitem(grad, index), None))


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor)."""
    x, idx = input._data, index._data
    if idx.dtype != xp.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    is_tensor = isinstance(value, Tensor)
    if is_tensor and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    x1, d, size = _along(x, dim)
    _out_of_bounds(idx, d, size, negative_ok=True)
    key = _key(d, idx.reshape(-1))
    data = x1.copy()
    data[key] = value._data if is_tensor else value
    out = Tensor._make(data.reshape(x.shape))
    needs_value = is_tensor and value._requires_grad
    if grad_state.enabled and (input._requires_grad or needs_value):
        keep = _untouched(x1.shape, key).reshape(x.shape)
        if is_tensor:
            index = key if x.ndim else (idx.reshape(-1),)
            attach(out, _IndexFillTensor, (input, value), {"keep": keep, "index": index})
        else:
            attach(out, _IndexFill, (input,), {"keep": keep})
    return out


_Take = node_class("TakeBackward0",
                   lambda F, grad, index, shape, size: F.reshape(F.index_zeros(grad, (index,), (size,), True), shape))


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input``, read as a flat 1-d tensor, at ``index`` (any shape)."""
    idx = index._data
    if idx.dtype != xp.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    x = input._data
    n = x.size
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {bad[0]} on a tensor of {n} elements.")
    out = Tensor._make(x.reshape(-1)[idx])
    if input._requires_grad and grad_state.enabled:
        attach(out, _Take, (input,), {"index": idx, "shape": x.shape, "size": n})
    return out


def _mask_array(mask: Any, message: str) -> Any:
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(message.format(mask.dtype.scalar_name))
    return m


def _broadcast(a: Any, b: Any) -> tuple[int, ...]:
    try:
        return xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


_MaskedSelect = node_class("MaskedSelectBackward0",
                           lambda F, grad, mask, shape: F.index_zeros(grad, (mask,), shape, False))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-d tensor."""
    m = _mask_array(mask, "masked_select: expected BoolTensor for mask")
    x = input._data
    shape = _broadcast(m, x)
    m = xp.broadcast_to(m, shape)
    out = Tensor._make(xp.broadcast_to(x, shape)[m])
    if input._requires_grad and grad_state.enabled:
        attach(out, _MaskedSelect, (input,), {"mask": m, "shape": shape})
    return out


def _scatter_source_grad(F: Any, grad: Any, mask: Any, count: int, source_shape: tuple[int, ...]) -> Any:
    """The source gradient of masked_scatter: what reached the masked positions, in order,
    padded with zeros to the source's size."""
    size = 1
    for s in source_shape:
        size *= s
    picked = F.index_zeros(F.getitem(grad, mask), (slice(0, count),), (size,), False)
    return F.reshape(picked, source_shape)


_MaskedScatter = node_class("MaskedScatterBackward0", lambda F, grad, keep: grad * keep, _scatter_source_grad)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) whose masked positions take ``source``'s
    elements in order."""
    m = _mask_array(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype {}")
    x, src = input._data, source._data
    if src.dtype != x.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{input.dtype.scalar_name} and {source.dtype.scalar_name}")
    shape = _broadcast(x, m)
    m = xp.broadcast_to(m, shape)
    count = int(xp.count_nonzero(m))
    if count > src.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    data = xp.broadcast_to(x, shape).copy()
    data[m] = src.reshape(-1)[:count]
    out = Tensor._make(data)
    if grad_state.enabled and (input._requires_grad or source._requires_grad):
        attach(out, _MaskedScatter, (input, source), {"keep": ~m, "mask": m, "count": count,
                                                      "source_shape": src.shape})
    return out


for _op in (index_select, index_add, index_copy, index_fill, take, masked_select, masked_scatter):
    register(_op)
index_add_ = inplace._inplace(index_add, "index_add_")
index_copy_ = inplace._inplace(index_copy, "index_copy_")
index_fill_ = inplace._inplace(index_fill, "index_fill_")
_masked_scatter_ = inplace._inplace(masked_scatter, "masked_scatter_")


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In place: the mask is expanded to this tensor's shape (it cannot grow the tensor)."""
    m, shape = mask._data, self._data.shape
    if m.ndim > len(shape):
        raise RuntimeError(f"expand(CPUBoolType{{{list(m.shape)}}}, size={list(shape)}): the number of sizes provided "
                           f"({len(shape)}) must be greater or equal to the number of dimensions in the tensor "
                           f"({m.ndim})")
    movement.expand(mask, shape)  # raises torch's error where the mask is larger
    return _masked_scatter_(self, mask, source)
