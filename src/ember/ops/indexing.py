"""``x[index]`` and ``x[index] = value``, as torch indexes, and ``index_put``.

An index splits into a basic part (ints, slices, None, Ellipsis: a view, recorded as one node
named after the last view op torch applies) and an advanced part (integer tensors, lists,
boolean masks), which torch applies to that view: ints select first, so the advanced dims land
where torch puts them (NumPy's rules on the view, which has only full slices left).
"""
from __future__ import annotations

import warnings
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import inplace, movement, scatter_gather
from ember.ops._accumulate import add_at
from ember.ops._shape import along_axis
from ember.ops.registry import attach, node_class, register
from ember.ops.views import view_of
from ember.tensor import Tensor

__all__ = ["index_put"]

_basic_rule = lambda F, grad, index, shape: F.index_zeros(grad, index, shape, False)  # noqa: E731
BASIC = {name: node_class(name, _basic_rule) for name in
         ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0", "AliasBackward0")}
_Index = node_class("IndexBackward0", lambda F, grad, index, shape: F.index_zeros(grad, index, shape, True))

_INDEX_DTYPE_MESSAGE = "tensors used as indices must be long, int, byte or bool tensors"
_FULL = slice(None)


def _items(index: Any) -> tuple[Any, ...]:
    """The index as a tuple; a short list holding sequences, tensors, slices, None or Ellipsis
    counts as a tuple (NumPy's legacy rule, which torch keeps)."""
    if type(index) is tuple:
        return index
    if type(index) is list and len(index) < 32 and any(
            i is None or i is Ellipsis or isinstance(i, (list, tuple, slice, Tensor, xp.ndarray)) for i in index):
        return tuple(index)
    return (index,)


def _as_index_array(item: Any) -> Any:
    if isinstance(item, Tensor):
        return item._data
    if isinstance(item, xp.ndarray):
        return item
    if isinstance(item, (list, tuple)):
        arr = xp.asarray([i._data if isinstance(i, Tensor) else i for i in item])
        return arr.astype(xp.int64) if arr.size == 0 else arr
    if isinstance(item, xp.integer):
        return xp.asarray(item)
    name = "numpy.bool" if isinstance(item, xp.bool_) else type(item).__name__
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {name})")


def parse(x: Any, index: Any) -> tuple[tuple[Any, ...], list[tuple[int, Any]]]:
    """Split ``index`` into a NumPy key for its basic part (a view of ``x``) and its advanced
    part: (dim of that view, index array) pairs, masks as bool arrays."""
    items = []
    consumed = 0  # dims of x the index uses, to size an Ellipsis
    for item in _items(index):
        t = type(item)
        if t is int or t is slice or item is None or item is Ellipsis or t is bool:
            items.append(item)
            consumed += t is int or t is slice
            continue
        arr = _as_index_array(item)
        kind = arr.dtype.kind
        if kind in "iu" and arr.ndim == 0:
            items.append(int(arr))  # a 0-d integer index selects, as an int does
            consumed += 1
            continue
        if arr.dtype == xp.uint8:
            warnings.warn("indexing with dtype ember.uint8 is now deprecated, please use a dtype ember.bool instead.",
                          UserWarning, stacklevel=3)
            arr = arr.astype(bool)
        elif kind != "b" and arr.dtype not in (xp.int64, xp.int32):
            raise IndexError(_INDEX_DTYPE_MESSAGE)
        items.append(arr)
        consumed += arr.ndim if kind == "b" else 1
    ndim = x.ndim
    if consumed > ndim:
        if ndim == 0 and len(items) == 1 and type(items[0]) is slice:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if ndim == 0 and len(items) == 1 and type(items[0]) is int:
            if items[0] == 0:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            raise IndexError(f"index {items[0]} is out of bounds for dimension 0 with size 0")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    key: list[Any] = []
    advanced: list[tuple[int, Any]] = []
    src = dst = added = 0  # dims of x used, dims of the view made, new dims so far
    shape = x.shape
    for item in items:
        t = type(item)
        if t is int:
            size = shape[src]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {src + added} with size {size}")
            key.append(item)
            src += 1
        elif t is slice:
            if item.step is not None and item.step <= 0:
                raise ValueError("slice step cannot be zero" if item.step == 0 else "step must be greater than zero")
            key.append(item)
            src += 1
            dst += 1
        elif item is None:
            key.append(None)
            dst += 1
            added += 1
        elif item is Ellipsis:
            key.append(Ellipsis)
            src += ndim - consumed
            dst += ndim - consumed
        elif t is bool or item.ndim == 0:  # a bool scalar: a new dim, kept (True) or emptied (False)
            key.append(None)
            advanced.append((dst, xp.array([bool(item)])))
            dst += 1
            added += 1
        elif item.dtype.kind == "b":
            for j, (m, s) in enumerate(zip(item.shape, shape[src:], strict=False)):
                if m != s:
                    raise IndexError(f"The shape of the mask {list(item.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {list(shape)} at index {src + j}")
            key.extend([_FULL] * item.ndim)
            advanced.append((dst, item))
            src += item.ndim
            dst += item.ndim
        else:
            key.append(_FULL)
            advanced.append((dst, item))
            src += 1
            dst += 1
    return tuple(key), advanced


def _is_full(item: Any, size: int) -> bool:
    return type(item) is slice and item.indices(size) == (0, size, 1)


def _trivial(key: tuple[Any, ...], x: Any) -> bool:
    """Whether the basic part leaves ``x`` as it is (only full slices and Ellipsis)."""
    dim = 0
    for item in key:
        if item is Ellipsis:
            dim += x.ndim - sum(1 for i in key if i is not None and i is not Ellipsis)
        elif item is None or not _is_full(item, x.shape[dim]):
            return False
        else:
            dim += 1
    return True


def _view_name(key: tuple[Any, ...], shape: tuple[int, ...]) -> str:
    """The last view op torch applies for a tuple index: it skips Ellipsis and full slices."""
    name, dim = "AliasBackward0", 0
    for item in key:
        if item is Ellipsis:
            dim += len(shape) - sum(1 for i in key if i is not None and i is not Ellipsis)
        elif item is None:
            name = "UnsqueezeBackward0"
        else:
            if not (type(item) is slice and item.start in (None, 0) and item.step in (None, 1) and (
                    item.stop is None or item.stop >= shape[dim])):
                name = "SliceBackward0" if type(item) is slice else "SelectBackward0"
            dim += 1
    return name


def _basic(input: Tensor, key: tuple[Any, ...], name: str) -> Tensor:
    x = input._data
    data = x[key]
    if type(data) is not xp.ndarray:  # all ints: NumPy returns a scalar, torch a 0-d view
        data = x[key + (Ellipsis,)]
    out = view_of(Tensor._make(data), input)
    if input._requires_grad and grad_state.enabled:
        attach(out, BASIC[name], (input,), {"index": key, "shape": x.shape})
    return out


def _advanced_key(advanced: list[tuple[int, Any]]) -> tuple[Any, ...]:
    """The NumPy key that applies the advanced part to the view: full slices elsewhere."""
    key: list[Any] = []
    for dim, arr in advanced:
        key.extend([_FULL] * (dim - len(key)))
        key.append(arr)
        key.extend([None] * (arr.ndim - 1 if arr.dtype.kind == "b" else 0))  # placeholders for a mask's dims
    return tuple(k for k in key if k is not None)


def _index_error(e: IndexError, shape: tuple[int, ...], advanced: list[tuple[int, Any]]) -> IndexError:
    """torch's message for a failed advanced index (dims counted among the indexed ones)."""
    if str(e).startswith("shape mismatch"):
        shapes = []
        for _, arr in advanced:
            count = [int(xp.count_nonzero(arr))] if arr.dtype.kind == "b" else list(arr.shape)
            shapes.extend([str(count)] * (arr.ndim if arr.dtype.kind == "b" else 1))
        return IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                          + ", ".join(shapes))
    for i, (dim, arr) in enumerate(advanced):
        size = shape[dim]
        bad = arr[(arr >= size) | (arr < -size)] if arr.dtype.kind != "b" else arr[:0]
        if bad.size:
            return IndexError(f"index {bad[0]} is out of bounds for dimension {i} with size {size}")
    return IndexError(str(e).replace("axis", "dimension"))


def _index(input: Tensor, key: tuple[Any, ...], advanced: list[tuple[int, Any]]) -> Tensor:
    """The advanced part of an index (a copy), recorded as IndexBackward0."""
    x = input._data
    try:
        out = Tensor._make(x[key])
    except IndexError as e:
        raise _index_error(e, x.shape, advanced) from None
    if input._requires_grad and grad_state.enabled:
        attach(out, _Index, (input,), {"index": key, "shape": x.shape})
    return out


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``, as torch indexes."""
    x = input._data
    t = type(index)
    if t is int and x.ndim and -x.shape[0] <= index < x.shape[0]:  # the common cases first
        return _basic(input, (index,), "SelectBackward0")
    if t is slice and x.ndim and (index.step is None or index.step > 0):
        return _basic(input, (index,), "SliceBackward0")
    if t is Tensor and x.ndim:  # one index tensor (an embedding lookup) or one mask
        arr = index._data
        if arr.ndim and (arr.dtype == xp.int64 or arr.dtype == xp.int32 or (
                arr.dtype == xp.bool_ and arr.shape == x.shape[:arr.ndim])):
            return _index(input, (arr,), [(0, arr)])
    key, advanced = parse(x, index)
    if not advanced:
        return _basic(input, key, _view_name(key, x.shape))
    if not _trivial(key, x):
        input = _basic(input, key, _view_name(key, x.shape))
    return _index(input, _advanced_key(advanced), advanced)


register(getitem)


def setitem(input: Tensor, index: Any, value: Any) -> None:
    """``input[index] = value``: a copy into the indexed view, or ``index_put_`` for an
    advanced index (what torch does, so the graph matches torch's)."""
    if not isinstance(value, Tensor):
        if not isinstance(value, (int, float, bool, xp.generic)):
            raise TypeError(f"can't assign a {_type_name(value)} to a ember.{input.dtype.scalar_name}Tensor")
        value = Tensor._make(xp.asarray(value).astype(input._data.dtype))
    if index is False:
        return
    x = input._data
    # a lone True is a new dim here (torch's set_item), though getitem indexes with it
    key, advanced = parse(x, None if index is True else index)
    target = input if _trivial(key, x) else _basic(input, key, _view_name(key, x.shape))
    if not advanced:
        _copy_to(target, value)
        return
    shape = value._data.shape
    lead = 0
    while lead < len(shape) and shape[lead] == 1:
        lead += 1
    index_put_(target, _advanced_key(advanced), movement.view(value, shape[lead:]) if lead else value)


register(setitem)


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _copy_to(dst: Tensor, src: Tensor) -> None:
    """torch's ``copy_to``: copy, fill from a 0-d tensor, or copy an expanded view."""
    target, shape = dst._data.shape, src._data.shape
    if target == shape:
        inplace.copy_(dst, src)
    elif not shape:
        inplace.fill_(dst, src)
    else:
        lead = 0
        while lead < len(shape) and shape[lead] == 1:
            lead += 1
        src = movement.view(src, shape[lead:])
        inplace.copy_(dst, src if src._data.shape == target else movement.expand(src, target))


def _put_rule_self(F: Any, grad: Any, keep: Any) -> Any:
    return grad if keep is None else grad * keep


_IndexPut = node_class("IndexPutBackward0", _put_rule_self, lambda F, grad, index: F.getitem(grad, index))


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written (or, with ``accumulate``, added) at
    ``input[indices]``, ``indices`` a tuple of index tensors."""
    x = input._data
    key = tuple(_put_index(i, n) for n, i in enumerate(indices))
    n_dims = sum(k.ndim if getattr(k, "dtype", None) is not None and k.dtype.kind == "b" else 1 for k in key)
    if n_dims > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {n_dims})")
    v = values._data
    if v.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.scalar_name} for the destination and {values.dtype.scalar_name} for the "
                           "source.")
    advanced = [(d, k) for d, k in enumerate(key) if type(k) is not slice]
    try:
        target = x[key]
    except IndexError as e:
        raise _index_error(e, x.shape, advanced) from None
    try:
        v = xp.broadcast_to(v, target.shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to indexing "
                           f"result of shape {list(target.shape)}") from None
    data = x.copy()
    if accumulate:
        add_at(data, key, v)
    else:
        data[key] = v
    out = Tensor._make(data)
    if grad_state.enabled and (input._requires_grad or values._requires_grad):
        keep = None
        if not accumulate:
            keep = xp.ones(x.shape, bool)
            keep[key] = False
        attach(out, _IndexPut, (input, values), {"keep": keep, "index": key})
    return out


def _put_index(item: Any, position: int) -> Any:
    if type(item) is slice:
        return item  # the full slices of an index that setitem completes
    if isinstance(item, xp.ndarray):
        return item  # the index arrays of an index that setitem splits
    if not isinstance(item, Tensor):
        raise TypeError(f"expected Tensor as element {position} in argument 1, but got {type(item).__name__}")
    arr = item._data
    if arr.dtype.kind != "b" and arr.dtype not in (xp.int64, xp.int32):
        raise IndexError(_INDEX_DTYPE_MESSAGE)
    return arr


register(index_put)
index_put_ = inplace._inplace(index_put, "index_put_")


# -- the adjoints of gather and of indexing, on Tensors (F_tensor's scatter_zeros, index_zeros) -----
_ScatterZeros = node_class("ScatterBackward0", lambda F, grad, dim, index: scatter_gather.pick(F, grad, dim, index))
_IndexZeros = node_class("IndexPutBackward0", lambda F, grad, index: F.getitem(grad, index))


def scatter_zeros(grad: Tensor, dim: int, index: Any, shape: tuple[int, ...]) -> Tensor:
    """zeros(shape) with ``grad`` added at ``index`` along ``dim``: the adjoint of gather."""
    out = xp.zeros(shape, grad._data.dtype)
    add_at(out, along_axis(index, dim), grad._data)
    result = Tensor._make(out)
    if grad._requires_grad and grad_state.enabled:
        attach(result, _ScatterZeros, (grad,), {"dim": dim, "index": index})
    return result


def index_zeros(grad: Tensor, index: Any, shape: tuple[int, ...], accumulate: bool) -> Tensor:
    """zeros(shape) with ``grad`` written (or, for repeated indices, added) at ``index``."""
    out = xp.zeros(shape, grad._data.dtype)
    if accumulate:
        add_at(out, index, grad._data)
    else:
        out[index] = grad._data
    result = Tensor._make(out)
    if grad._requires_grad and grad_state.enabled:
        attach(result, _IndexZeros, (grad,), {"index": index})
    return result
