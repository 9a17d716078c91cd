"""Indexing: ``x[...]`` with ints, slices, None, Ellipsis (views), and tensors or lists of
indices and boolean masks (copies); plus gather and its adjoint, which max/min rules use."""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import along_axis, wrap_dim
from ember.ops.registry import attach, node_class, register
from ember.ops.views import view_of
from ember.tensor import Tensor

_basic_rule = lambda F, grad, index, shape: F.index_zeros(grad, index, shape, False)  # noqa: E731
# a basic index is one node named after the last view op torch would apply for it
_BASIC = {name: node_class(name, _basic_rule) for name in
          ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0", "AliasBackward0")}
_Index = node_class("IndexBackward0", lambda F, grad, index, shape: F.index_zeros(grad, index, shape, True))


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``, as torch indexes."""
    x = input._data
    items = index if type(index) is tuple else (index,)
    advanced = False
    converted = []
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        if isinstance(item, (xp.ndarray, xp.generic)) and item.ndim == 0 and item.dtype.kind in "iu":
            item = int(item)  # a 0-d integer index acts as an int: torch selects (a view)
        elif type(item) is bool or isinstance(item, (list, xp.ndarray)) or (
                item is not None and item is not Ellipsis and not isinstance(item, (int, slice))):
            item = xp.asarray(item)
            advanced = True
        elif type(item) is slice and item.step is not None and item.step <= 0:
            raise ValueError("slice step cannot be zero" if item.step == 0 else "step must be greater than zero")
        converted.append(item)
    key = tuple(converted)
    try:
        data = x[key]
    except IndexError as e:
        raise _index_error(e, x, key) from None
    out = Tensor._make(data) if advanced else view_of(Tensor._make(data), input)
    if input._requires_grad and grad_state.enabled:
        cls = _Index if advanced else _BASIC["SliceBackward0" if type(index) is slice else _view_name(key, x.shape)]
        attach(out, cls, (input,), {"index": key, "shape": x.shape})
    return out


def _view_name(key: tuple[Any, ...], shape: tuple[int, ...]) -> str:
    """The last view op torch applies for a tuple index: it skips Ellipsis and full slices."""
    name, dim = "AliasBackward0", 0
    for item in key:
        if item is Ellipsis:
            dim += len(shape) - sum(1 for i in key if i is not None and i is not Ellipsis)
        elif item is None:
            name = "UnsqueezeBackward0"
        else:
            full = type(item) is slice and item.start in (None, 0) and item.step in (None, 1) and (
                item.stop is None or item.stop >= shape[dim])
            if not full:
                name = "SliceBackward0" if type(item) is slice else "SelectBackward0"
            dim += 1
    return name


def _index_error(e: IndexError, x: Any, key: tuple[Any, ...]) -> IndexError:
    if x.ndim == 0 and len(key) == 1 and type(key[0]) is slice:
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    if x.ndim == 0 and len(key) == 1 and type(key[0]) is int and key[0] != 0:
        return IndexError(f"index {key[0]} is out of bounds for dimension 0 with size 0")
    if x.ndim == 0 and len(key) == 1 and type(key[0]) is int:
        return IndexError(
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
            "convert a 0-dim tensor to a number"
        )
    msg = str(e)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {x.ndim}")
    return IndexError(msg.replace("axis", "dimension"))


register(getitem)

_Gather = node_class("GatherBackward0", lambda F, grad, dim, index, shape: F.scatter_zeros(grad, dim, index, shape))


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of ``input`` at ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    x = input._data
    out = Tensor._make(xp.take_along_axis(x, idx, axis=d) if x.ndim else x.copy())
    if input._requires_grad and grad_state.enabled:
        attach(out, _Gather, (input,), {"dim": d, "index": idx, "shape": input._data.shape})
    return out


register(gather)

_ScatterZeros = node_class("ScatterBackward0", lambda F, grad, dim, index: F.gather(grad, dim, index))
_IndexZeros = node_class("IndexPutBackward0", lambda F, grad, index: F.getitem(grad, index))


def scatter_zeros(grad: Tensor, dim: int, index: Any, shape: tuple[int, ...]) -> Tensor:
    """zeros(shape) with ``grad`` added at ``index`` along ``dim``: the adjoint of gather."""
    out = xp.zeros(shape, grad._data.dtype)
    xp.add.at(out, along_axis(index, dim), grad._data)
    result = Tensor._make(out)
    if grad._requires_grad and grad_state.enabled:
        attach(result, _ScatterZeros, (grad,), {"dim": dim, "index": index})
    return result


def index_zeros(grad: Tensor, index: Any, shape: tuple[int, ...], accumulate: bool) -> Tensor:
    """zeros(shape) with ``grad`` written (or, for repeated indices, added) at ``index``."""
    out = xp.zeros(shape, grad._data.dtype)
    if accumulate:
        xp.add.at(out, index, grad._data)
    else:
        out[index] = grad._data
    result = Tensor._make(out)
    if grad._requires_grad and grad_state.enabled:
        attach(result, _IndexZeros, (grad,), {"index": index})
    return result
