"""Reductions: sum, mean, prod, var, std, var_mean, std_mean, logsumexp, count_nonzero, all, any.

Also the helpers the other reduction modules share (extrema, norms, sorting, scans): which dims a
``dim`` argument names, the shape a result has with ``keepdim=True``, and nodes with two
differentiable outputs.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node, node_class
from ember.backend import xp
from ember.ops._shape import wrap_dims
from ember.ops.registry import attach, register
from ember.tensor import Tensor

__all__ = ["all", "any", "count_nonzero", "logsumexp", "mean", "prod", "std", "std_mean", "sum", "var", "var_mean"]


class _AllDims:
    """The default ``dim`` of sum/mean/prod: torch's overload without ``dim`` (its node is
    ``...Backward0``), told apart from an explicit ``dim=None`` (``...Backward1``)."""

    def __repr__(self) -> str:
        return "None"


ALL = _AllDims()


def dims_of(dim: Any, ndim: int) -> tuple[int, ...]:
    """The sorted dims that ``dim`` names; None, ``()`` and ``[]`` name them all."""
    if dim is None or dim is ALL or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    axes = wrap_dims(dim, ndim)
    return axes if ndim else ()  # a 0-d tensor: dim 0 (or -1) is valid and reduces nothing


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The result's shape with ``keepdim=True``: the reduced dims become 1."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for i in axes:
        n *= shape[i]
    return n


class _TwoOutputs(Node):
    """A node with two differentiable outputs (var_mean, aminmax): its rule gets both outputs'
    gradients as one pair, ``None`` for an output that got none."""

    __slots__ = ()

    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        return Node.apply(self, [grads], needs, as_tensor)


def two_output_class(name: str, vjp: Any) -> type[Node]:
    base = node_class(name, vjp, num_outputs=2)
    return type(name, (_TwoOutputs,), {"__slots__": (), "_vjps": base._vjps, "_arg_names": base._arg_names,
                                       "_num_outputs": 2})


def attach_two(first: Tensor, second: Tensor, cls: type[Node], input: Tensor, ctx: dict[str, Any]) -> None:
    """Record ``first`` and ``second`` as outputs 0 and 1 of one ``cls`` node."""
    attach(first, cls, (input,), ctx)
    second._grad_fn, second._requires_grad, second._output_nr = first._grad_fn, True, 1


def _accumulator(x: Any) -> Any:
    """The dtype sum and prod accumulate in: int64 for integers and bools, float32 for float16."""
    kind = x.dtype.kind
    return xp.int64 if kind in "biu" else (xp.float32 if x.dtype == xp.float16 else None)


def _cast(x: Any, dtype: dtypes.dtype | None) -> Any:
    return x if dtype is None else x.astype(dtype.numpy)


# -- sum, mean, prod ------------------------------------------------------------------------
_SumAll = node_class("SumBackward0", lambda F, grad, shape: F.expand(grad, shape))
_SumDim = node_class("SumBackward1", lambda F, grad, kept, shape: F.expand(F.reshape(grad, kept), shape))
_MeanAll = node_class("MeanBackward0", lambda F, grad, shape, n: F.expand(grad, shape) / n)
_MeanDim = node_class("MeanBackward1", lambda F, grad, kept, shape, n: F.expand(F.reshape(grad, kept), shape) / n)


def _no_keepdim_without_dim(name: str, dim: Any, keepdim: bool) -> None:
    if dim is ALL and keepdim:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (keepdim=bool, ), but "
                        "expected a dim with keepdim")


def sum(input: Tensor, dim: Any = ALL, keepdim: bool = False, *, dtype: dtypes.dtype | None = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims when omitted, None or empty). Integer and bool inputs sum to int64."""
    _no_keepdim_without_dim("sum", dim, keepdim)
    x = _cast(input._data, dtype)
    axes = dims_of(dim, x.ndim)
    acc = _accumulator(x)
    result = xp.add.reduce(x, axis=axes, keepdims=keepdim, dtype=acc)
    if acc is xp.float32:
        result = result.astype(x.dtype)
    out = Tensor._make(result)
    if input._requires_grad and grad_state.enabled:
        if dim is ALL:
            attach(out, _SumAll, (input,), {"shape": x.shape})
        else:
            attach(out, _SumDim, (input,), {"kept": kept_shape(x.shape, axes), "shape": x.shape})
    return out


def mean(input: Tensor, dim: Any = ALL, keepdim: bool = False, *, dtype: dtypes.dtype | None = None) -> Tensor:
    """Mean over ``dim`` (all dims when omitted); floating-point inputs only, as in torch."""
    _no_keepdim_without_dim("mean", dim, keepdim)
    x = _cast(input._data, dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {dtypes.from_numpy_dtype(x.dtype).scalar_name}"
        )
    axes = dims_of(dim, x.ndim)
    n = count(x.shape, axes)
    acc = _accumulator(x)
    total = xp.add.reduce(x, axis=axes, keepdims=keepdim, dtype=acc)
    result = total / n if n else total * xp.nan  # the mean of nothing is nan
    out = Tensor._make(result.astype(x.dtype) if acc is not None else result)
    if input._requires_grad and grad_state.enabled:
        if dim is ALL:
            attach(out, _MeanAll, (input,), {"shape": x.shape, "n": n})
        else:
            attach(out, _MeanDim, (input,), {"kept": kept_shape(x.shape, axes), "shape": x.shape, "n": n})
    return out


def zero_masks(x: Any, dim: int) -> tuple[Any, ...] | None:
    """What the rules of products along ``dim`` need where ``x`` has zeros (None where it has none):
    where no zero came yet, where the first zero is, and positions along ``dim`` on a new leading
    axis (k) and in place (j), for the O(n^2) form."""
    zero = x == 0
    if not zero.any():
        return None
    so_far = xp.cumsum(zero, axis=dim)
    n = x.shape[dim]
    j_shape = [1] * (x.ndim + 1)
    j_shape[dim + 1] = n
    return so_far == 0, zero & (so_far == 1), xp.arange(n).reshape((n,) + (1,) * x.ndim), xp.arange(n).reshape(j_shape)


def cumprod_grad(F: Any, grad: Any, x: Any, result: Any, dim: int, zeros: Any) -> Any:
    """torch's cumprod_backward: ``sum_{m >= k} grad_m * prod_{j <= m, j != k} x_j`` for each k.

    Without zeros that is ``reversed_cumsum(grad * result) / x``. With zeros, a plain backward
    masks in O(n): before a slice's first zero as without zeros; at it, the running product with
    that zero read as 1; after it, 0. Building a graph, as torch does, it takes the O(n^2) form
    (n running products, each with one x_k read as 1), whose own derivatives hold at zeros too."""
    if zeros is None:
        return F.cumsum(grad * result, dim, True) / x
    before, first, k, j = zeros
    if isinstance(x, Tensor):
        runs = F.cumprod(F.where(j == k, 1.0, F.unsqueeze(x, 0)), dim + 1)
        terms = F.where(j >= k, F.unsqueeze(grad, 0) * runs, 0.0)
        return F.squeeze(F.transpose(F.sum(terms, dim + 1, True), 0, dim + 1), 0)
    head = F.where(before, F.cumsum(grad * result, dim, True) / F.where(before, x, 1.0), 0.0)
    tail = F.sum(F.where(before, 0.0, grad * F.cumprod(F.where(first, 1.0, x), dim)), dim, True)
    return head + F.where(first, tail, 0.0)


def _prod_rule(F: Any, grad: Any, x: Any, result: Any, kept: Any, dim: Any, zeros: Any, last: Any) -> Any:
    """d prod / dx_i is the product of the others: ``result / x_i`` without zeros; with zeros, the
    derivative of the last running product (cumprod's rule). ``dim=None``: all dims (or a 0-d
    input), seen as one flat dim."""
    shape, flat = x.shape, dim is None
    if flat:
        x, dim, kept = F.reshape(x, (-1,)), 0, (1,)
    g = F.reshape(grad, kept)
    if zeros is None:
        out = g * (F.reshape(result, kept) / x)
    else:
        out = cumprod_grad(F, F.where(last, g, 0.0), x, F.cumprod(x, dim), dim, zeros)
    return F.reshape(out, shape) if flat else out


_ProdAll = node_class("ProdBackward0", _prod_rule)
_ProdDim = node_class("ProdBackward1", _prod_rule)


def prod(input: Tensor, dim: Any = ALL, keepdim: bool = False, *, dtype: dtypes.dtype | None = None) -> Tensor:
    """Product over one dim (all dims when omitted). Integer and bool inputs give int64."""
    _no_keepdim_without_dim("prod", dim, keepdim)
    if dim is not ALL and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(f"prod() received an invalid combination of arguments - got ({type(dim).__name__}), but "
                        "expected one of:\n * (*, ember.dtype dtype = None)\n"
                        " * (int dim, bool keepdim = False, *, ember.dtype dtype = None)\n")
    x = _cast(input._data, dtype)
    axes = dims_of(None if dim is ALL else dim, x.ndim)
    acc = _accumulator(x)
    result = xp.multiply.reduce(x, axis=axes, keepdims=keepdim, dtype=acc)
    out = Tensor._make(result.astype(x.dtype) if acc is xp.float32 else result)
    if input._requires_grad and grad_state.enabled:
        axis = None if dim is ALL or not x.ndim else axes[0]
        seen = x.reshape(-1) if axis is None else x
        zeros = zero_masks(seen, axis or 0)
        last = None if zeros is None else zeros[3][0] == seen.shape[axis or 0] - 1
        ctx = {"x": input, "result": out._data, "kept": None if axis is None else kept_shape(x.shape, axes),
               "dim": axis, "zeros": zeros, "last": last}
        attach(out, _ProdAll if dim is ALL else _ProdDim, (input,), ctx)
    return out


# -- var, std, var_mean, std_mean -----------------------------------------------------------
def _var_grad(F: Any, grad: Any, x: Any, kept: Any, axes: Any, n: int, scale: float | None) -> Any:
    """torch's var_backward: ``2 / (N - correction) * grad * (x - mean(x))``; over all dims with no
    degrees of freedom left (``scale`` None), inf (nan where x is its mean), as torch gives."""
    g, mean = F.reshape(grad, kept), F.sum(x, axes, True) / n
    if scale is None:
        return F.where(x == mean, g * math.nan, g * math.inf)
    return g * scale * (x - mean)


def _std_to_var(F: Any, grad: Any, result: Any) -> Any:
    return F.where(result == 0, 0.0, grad / (result * 2))


def _with_mean(F: Any, grads: Any, var_grad: Any, x: Any, kept: Any, n: int) -> Any:
    """The gradient of var_mean/std_mean: that of the first output plus that of the mean."""
    gmean = grads[1]
    if gmean is None:
        return var_grad
    g = F.expand(F.reshape(gmean, kept), x.shape) / n
    return g if var_grad is None else var_grad + g


_Var = node_class("VarBackward0", _var_grad)
_Std = node_class("StdBackward0", lambda F, grad, x, result, kept, axes, n, scale: _var_grad(
    F, _std_to_var(F, grad, result), x, kept, axes, n, scale))
_VarMean = two_output_class("VarMeanBackward0", lambda F, grad, x, kept, axes, n, scale: _with_mean(
    F, grad, None if grad[0] is None else _var_grad(F, grad[0], x, kept, axes, n, scale), x, kept, n))
_StdMean = two_output_class("StdMeanBackward0", lambda F, grad, x, result, kept, axes, n, scale: _with_mean(
    F, grad, None if grad[0] is None else _var_grad(F, _std_to_var(F, grad[0], result), x, kept, axes, n, scale),
    x, kept, n))


def _correction(dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """Read torch's three var/std overloads: ``(dim, unbiased, keepdim)``, ``(dim, *, correction,
    keepdim)`` and ``(unbiased)``."""
    if isinstance(dim, bool):  # var(x, False): the unbiased overload
        dim, unbiased = None, dim
    if unbiased is not None and not isinstance(unbiased, bool):
        raise TypeError(f"var() received an invalid combination of arguments - got unbiased of type "
                        f"{type(unbiased).__name__}, but expected bool")
    if unbiased is not None and correction is not None:
        raise TypeError("var() received an invalid combination of arguments - got both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _moments(name: str, input: Tensor, dim: Any, correction: float, keepdim: bool, std: bool) -> tuple[Any, ...]:
    """(var or std, mean, and what the rules need) of ``input`` over ``dim``."""
    x = input._data
    if x.dtype.kind != "f":
        what = f"{name} only support" if name.endswith("_mean") else "std and var only support"
        raise RuntimeError(f"{what} floating point and complex dtypes")
    axes = dims_of(dim, x.ndim)
    n = count(x.shape, axes)
    work = x.astype(xp.float32) if x.dtype == xp.float16 else x
    mean_ = xp.add.reduce(work, axis=axes, keepdims=True) / n  # 0 / 0: nan for an empty reduction
    dev = work - mean_
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    value = xp.add.reduce(dev * dev, axis=axes, keepdims=keepdim) / (dof if dof > 0 else 0.0)
    if std:
        value = xp.sqrt(value)
    if not keepdim:
        mean_ = mean_.reshape(value.shape)
    if dim is None or not x.ndim:
        scale = 2.0 / dof if dof > 0 else None
    else:  # torch divides by N - correction here, whatever its sign
        scale = 2.0 / dof if dof else math.inf
    ctx = {"x": input, "kept": kept_shape(x.shape, axes), "axes": axes, "n": n, "scale": scale}
    return value.astype(x.dtype), mean_.astype(x.dtype), ctx


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over ``dim``: ``sum((x - mean)^2) / (N - correction)``; ``unbiased=False`` is ``correction=0``."""
    dim, c = _correction(dim, unbiased, correction)
    value, _, ctx = _moments("var", input, dim, c, keepdim, False)
    out = Tensor._make(value)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Var, (input,), ctx)
    return out


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Standard deviation over ``dim``: the square root of ``var``."""
    dim, c = _correction(dim, unbiased, correction)
    value, _, ctx = _moments("std", input, dim, c, keepdim, True)
    out = Tensor._make(value)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Std, (input,), {**ctx, "result": value})
    return out


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim``, as a plain tuple (as torch returns it)."""
    dim, c = _correction(dim, unbiased, correction)
    value, mean_, ctx = _moments("var_mean", input, dim, c, keepdim, False)
    out, m = Tensor._make(value), Tensor._make(mean_)
    if input._requires_grad and grad_state.enabled:
        attach_two(out, m, _VarMean, input, ctx)
    return out, m


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim``, as a plain tuple."""
    dim, c = _correction(dim, unbiased, correction)
    value, mean_, ctx = _moments("std_mean", input, dim, c, keepdim, True)
    out, m = Tensor._make(value), Tensor._make(mean_)
    if input._requires_grad and grad_state.enabled:
        attach_two(out, m, _StdMean, input, {**ctx, "result": value})
    return out, m


# -- logsumexp ------------------------------------------------------------------------------
_Logsumexp = node_class("LogsumexpBackward0", lambda F, grad, x, result, kept: F.reshape(grad, kept) * F.exp(
    x - F.reshape(result, kept)))


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably around the max."""
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 1) must be tuple of ints, not NoneType")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(dtypes._default.value.numpy)
    axes = dims_of(dim, x.ndim)
    if not keepdim and x.ndim and not isinstance(dim, int) and len(dim) == 0:
        # torch reduces everything but cannot write its max (kept as [1, 1 ...]) into the 0-d result
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * x.ndim}")
    if x.size:
        m = xp.max(x, axis=axes, keepdims=True)
        m = xp.where(xp.isinf(m), 0, m)  # all -inf (or an inf) slices: shift by 0 instead
        value = xp.log(xp.add.reduce(xp.exp(x - m), axis=axes, keepdims=True)) + m
        value = value if keepdim else value.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
    else:
        value = xp.log(xp.add.reduce(xp.exp(x), axis=axes, keepdims=keepdim))
    out = Tensor._make(value)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Logsumexp, (input,), {"x": input, "result": value, "kept": kept_shape(x.shape, axes)})
    return out


# -- counting and logic (no gradient) -------------------------------------------------------
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many elements along ``dim`` (all dims when None) are not zero, as int64."""
    x = input._data
    axes = dims_of(dim, x.ndim)
    return Tensor._make(xp.asarray(xp.count_nonzero(x, axis=axes), dtype=xp.int64))


def _logic(name: str, reduce: Any) -> Any:
    def op(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        x = input._data
        if dim is not None and not isinstance(dim, int) and len(dim) == 0:
            axes: tuple[int, ...] = ()  # torch reduces nothing for an empty dim list here
        else:
            axes = dims_of(dim, x.ndim)
        result = reduce(x, axis=axes, keepdims=keepdim)
        return Tensor._make(result.astype(xp.uint8) if x.dtype == xp.uint8 else result)  # uint8 in, uint8 out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Whether {'every' if name == 'all' else 'any'} element along ``dim`` is nonzero (bool)."
    return register(op)


all = _logic("all", xp.all)  # noqa: A001
any = _logic("any", xp.any)  # noqa: A001

for _op in (sum, mean, prod, var, std, var_mean, std_mean, logsumexp, count_nonzero):
    register(_op)
