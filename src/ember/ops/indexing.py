"""Indexing: ``x[...]`` with ints, slices, None, Ellipsis (views), and tensors or lists of
indices and boolean masks (copies); plus gather and its adjoint, which max/min rules use."""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import wrap_dim
from ember.ops.registry import attach, node_class, register
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
            advanced = True
        elif isinstance(item, (list, xp.ndarray)) or (item is not None and item is not Ellipsis and not isinstance(item, (int, slice))):
            item = xp.asarray(item)
            advanced = True
        elif type(item) is slice and item.step is not None and item.step <= 0:
            raise ValueError("step must be greater than zero")
        converted.append(item)
    key = tuple(converted)
    try:
        data = x[key]
    except IndexError as e:
        raise _index_error(e, x, key) from None
    out = Tensor._make(data)
    if input._requires_grad and grad_state.enabled:
        cls = _Index if advanced else _BASIC[_view_name(key)]
        attach(out, cls, (input,), {"index": key, "shape": x.shape})
    return out


def _view_name(key: tuple[Any, ...]) -> str:
    for item in reversed(key):
        if item is None:
            return "UnsqueezeBackward0"
        if type(item) is slice:
            return "SliceBackward0"
        if item is not Ellipsis:
            return "SelectBackward0"
    return "AliasBackward0"


def _index_error(e: IndexError, x: Any, key: tuple[Any, ...]) -> IndexError:
    if x.ndim == 0 and key and key[0] is not None and key[0] is not Ellipsis:
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
    out = Tensor._make(xp.take_along_axis(input._data, idx, axis=d))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Gather, (input,), {"dim": d, "index": idx, "shape": input._data.shape})
    return out


register(gather)

_ScatterZeros = node_class("ScatterBackward0", lambda F, grad, dim, index: F.gather(grad, dim, index))
_IndexZeros = node_class("IndexPutBackward0", lambda F, grad, index: F.getitem(grad, index))


def scatter_zeros(grad: Tensor, dim: int, index: Any, shape: tuple[int, ...]) -> Tensor:
    """zeros(shape) with ``grad`` put at ``index`` along ``dim``: the adjoint of gather."""
    out = xp.zeros(shape, grad._data.dtype)
    xp.put_along_axis(out, index, grad._data, axis=dim)
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
