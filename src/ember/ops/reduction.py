"""Reductions: sum, mean, max, min, amax, amin."""
from __future__ import annotations

from typing import Any

from ember import dtypes, return_types
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import wrap_dims
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor


def _reduced(input: Tensor, dim: Any, keepdim: bool) -> tuple[tuple[int, ...] | None, tuple[int, ...]]:
    """The axes to reduce (None: all) and the shape the result has with ``keepdim=True``."""
    shape = input._data.shape
    if dim is None:
        return None, (1,) * len(shape)
    axes = wrap_dims(dim, len(shape))
    if not shape:
        return (), ()  # a 0-d tensor: dim 0 (or -1) is valid and reduces nothing
    return axes, tuple(1 if i in axes else s for i, s in enumerate(shape))


_SumAll = node_class("SumBackward0", lambda F, grad, shape: F.expand(grad, shape))
_SumDim = node_class("SumBackward1", lambda F, grad, kept, shape: F.expand(F.reshape(grad, kept), shape))
_MeanAll = node_class("MeanBackward0", lambda F, grad, shape, count: F.expand(grad, shape) / count)
_MeanDim = node_class("MeanBackward1", lambda F, grad, kept, shape, count: F.expand(F.reshape(grad, kept), shape) / count)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: dtypes.dtype | None = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims when None). Integer and bool inputs sum to int64."""
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.numpy)
    axes, kept = _reduced(input, dim, keepdim)
    kind = x.dtype.kind
    acc = None if kind == "f" and x.dtype.itemsize > 2 else (xp.float32 if kind == "f" else xp.int64)
    result = xp.add.reduce(x, axis=axes, keepdims=keepdim, dtype=acc)
    if kind == "f" and acc is not None:
        result = result.astype(x.dtype)  # float16 accumulates in float32, as torch does
    out = Tensor._make(result)
    if input._requires_grad and grad_state.enabled:
        if dim is None:
            attach(out, _SumAll, (input,), {"shape": x.shape})
        else:
            attach(out, _SumDim, (input,), {"kept": kept, "shape": x.shape})
    return out


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: dtypes.dtype | None = None) -> Tensor:
    """Mean over ``dim`` (all dims when None); floating-point inputs only, as in torch."""
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.numpy)
    if x.dtype.kind != "f":
        name = {"b": "Bool", "u": "Byte"}.get(x.dtype.kind) or {1: "Char", 2: "Short", 4: "Int", 8: "Long"}[x.dtype.itemsize]
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {name}"
        )
    axes, kept = _reduced(input, dim, keepdim)
    count = _count(x.shape, axes)
    acc = xp.float32 if x.dtype == xp.float16 else None
    total = xp.add.reduce(x, axis=axes, keepdims=keepdim, dtype=acc)
    result = total / count if count else total * xp.nan  # the mean of nothing is nan
    if acc is not None:
        result = result.astype(x.dtype)
    out = Tensor._make(result)
    if input._requires_grad and grad_state.enabled:
        if dim is None:
            attach(out, _MeanAll, (input,), {"shape": x.shape, "count": count})
        else:
            attach(out, _MeanDim, (input,), {"kept": kept, "shape": x.shape, "count": count})
    return out


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


# -- max / min ------------------------------------------------------------------------------
# Over all elements, ties share the gradient evenly; along a dim, it goes to the chosen index.
_even = lambda F, grad, x, result, count: F.where(x == result, grad / count, 0.0)  # noqa: E731
_MaxAll = node_class("MaxBackward1", _even)
_MinAll = node_class("MinBackward1", _even)
_select = lambda F, grad, indices, kept, shape, dim: F.scatter_zeros(F.reshape(grad, kept), dim, indices, shape)  # noqa: E731
_MaxDim = node_class("MaxBackward0", _select)
_MinDim = node_class("MinBackward0", _select)
_amax_rule = lambda F, grad, x, result, kept, dims: _share(F, F.reshape(grad, kept), x == F.reshape(result, kept), dims)  # noqa: E731
_Amax = node_class("AmaxBackward0", _amax_rule)
_Amin = node_class("AminBackward0", _amax_rule)


def _share(F: Any, grad: Any, mask: Any, dims: tuple[int, ...]) -> Any:
    count = F.sum(F.where(mask, 1.0, 0.0), dims, True)
    return F.where(mask, grad / count, 0.0)


def _extreme(name: str, pick: Any, arg: Any, all_cls: Any, dim_cls: Any, minmax: Any) -> Any:
    def op(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
        if isinstance(dim, Tensor):
            from ember.ops.elementwise import maximum, minimum  # noqa: PLC0415

            return (maximum if name == "max" else minimum)(input, dim)
        x = input._data
        if dim is None:
            if not x.size:
                raise RuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
            result = pick.reduce(x, axis=None)
            out = Tensor._make(result)
            if input._requires_grad and grad_state.enabled:
                count = int(xp.count_nonzero(x == result))
                attach(out, all_cls, (input,), {"x": input, "result": out._data, "count": count})
            return out
        axes, kept = _reduced(input, dim, keepdim)
        axis = axes[0] if axes else 0
        if x.ndim and x.shape[axis] == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim {axis} to have non-zero size."
            )
        indices = xp.expand_dims(arg(x, axis=axis), axis) if x.ndim else xp.zeros((), xp.int64)
        values = xp.take_along_axis(x, indices, axis=axis) if x.ndim else x.copy()
        if not keepdim and x.ndim:
            values, idx_out = values.squeeze(axis), indices.squeeze(axis)
        else:
            idx_out = indices
        out = Tensor._make(values)
        if input._requires_grad and grad_state.enabled:
            attach(out, dim_cls, (input,), {"indices": indices, "kept": kept, "shape": x.shape, "dim": axis})
        return minmax(out, Tensor._make(idx_out.astype(xp.int64)))

    op.__name__ = op.__qualname__ = name
    return register(op)


max = _extreme("max", xp.maximum, xp.argmax, _MaxAll, _MaxDim, return_types.max)  # noqa: A001
min = _extreme("min", xp.minimum, xp.argmin, _MinAll, _MinDim, return_types.min)  # noqa: A001


def _amaxmin(name: str, reduce: Any, cls: Any) -> Any:
    def op(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
        x = input._data
        axes, kept = _reduced(input, None if dim == () else dim, keepdim)
        dims = axes if axes is not None else tuple(range(x.ndim))
        out = Tensor._make(reduce(x, axis=axes, keepdims=keepdim))
        if input._requires_grad and grad_state.enabled:
            attach(out, cls, (input,), {"x": input, "result": out._data, "kept": kept, "dims": dims})
        return out

    op.__name__ = op.__qualname__ = name
    return register(op)


amax = _amaxmin("amax", xp.max, _Amax)
amin = _amaxmin("amin", xp.min, _Amin)

register(sum), register(mean)
