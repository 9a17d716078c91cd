"""softmax and log_softmax along one dim, shifted by the max so exp never overflows; their rules
are torch's (``_softmax_backward_data``, ``_log_softmax_backward_data``)."""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd.node import Node
from ember.backend import xp
from ember.ops import movement
from ember.ops._shape import wrap_dim
from ember.ops.activation import _data, _pointwise, _type_name
from ember.ops.registry import F_array, node_class, register
from ember.tensor import Tensor

__all__ = ["log_softmax", "softmax"]


def _softmax_rule(F: Any, grad: Any, result: Any, dim: int | None) -> Any:
    if F is not F_array or not result.ndim:
        return result * (grad - F.sum(grad * result, dim, True))
    t = grad * result  # one buffer: grad * result, then (grad - its sum) * result
    total = xp.add.reduce(t, axis=dim, keepdims=True)
    xp.subtract(grad, total, out=t)
    t *= result
    return t


_Softmax = node_class("SoftmaxBackward0", _softmax_rule)
_LogSoftmax = node_class("LogSoftmaxBackward0", lambda F, grad, result, dim: grad - F.exp(result) * F.sum(
    grad, dim, True))


def _softmax(name: str, input: Tensor, dim: int, dtype: dtypes.dtype | None, cls: type[Node]) -> Tensor:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    _data(input, name)
    if dtype is not None:
        input = movement.to(input, dtype)
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.dtype.kind != "f":
        kernel = f"{name}_lastdim_kernel_impl" if d >= x.ndim - 1 else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(x)}'")
    log = cls is _LogSoftmax
    return _pointwise(input, x, lambda a: _softmax_array(a, d, log), cls, dim=d if x.ndim else None)


def _softmax_array(x: Any, dim: int, log: bool) -> Any:
    """Shifted by the max along ``dim`` so exp never overflows; an all -inf slice gives nan, as in torch."""
    if not x.size:
        return x.copy()
    axis = dim if x.ndim else None
    with xp.errstate(invalid="ignore"):  # inf - inf: nan, quietly, as torch gives it
        shifted = x - xp.max(x, axis=axis, keepdims=True)
        if log:
            total = xp.add.reduce(xp.exp(shifted), axis=axis, keepdims=True)
            shifted -= xp.log(total)
            return shifted
        if not x.ndim:  # NumPy's 0-d results are scalars, which out= refuses
            e = xp.exp(shifted)
            return e / xp.add.reduce(e, axis=axis, keepdims=True)
        e = xp.exp(shifted, out=shifted)  # one buffer: e^shifted, then its share of the sum
        e /= xp.add.reduce(e, axis=axis, keepdims=True)
        return e


def softmax(input: Tensor, dim: int, dtype: dtypes.dtype | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first."""
    return _softmax("softmax", input, dim, dtype, _Softmax)


def log_softmax(input: Tensor, dim: int, dtype: dtypes.dtype | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; ``dtype`` casts the input first."""
    return _softmax("log_softmax", input, dim, dtype, _LogSoftmax)


register(softmax), register(log_softmax)
