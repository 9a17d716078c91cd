"""Norms and distances: linalg.vector_norm, linalg.matrix_norm, linalg.norm, cross, cdist.

``vector_norm`` is one node (torch's norm_backward formulas); ``matrix_norm`` and ``norm`` are
built from other ops exactly as torch builds them (vector_norm, svdvals, amax/amin, sum), so
their graphs end with the same nodes.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import minmax, movement, reduction
from ember.ops._shape import broadcast_error, wrap_dim, wrap_dims
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["cdist", "cross"]


def _sname(a: Any) -> str:
    return dtypes.from_numpy_dtype(a.dtype).scalar_name


def _fmt(ord: float) -> str:
    """A number as torch's messages print it (``-1``, ``0.5``, ``inf``)."""
    return f"{ord:g}"


def _check_dtype(fname: str, x: Any, dtype: dtypes.dtype | None) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {_sname(x)}")
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError(f"{fname}: dtype should be floating point or complex, but got {dtype.scalar_name}")
        if dtype.itemsize < x.dtype.itemsize:
            raise RuntimeError(f"{fname}: the dtype of the input ({_sname(x)}) should be convertible without "
                               f"narrowing to the specified dtype ({dtype.scalar_name})")


# -- vector_norm ---------------------------------------------------------------------------------
def _vector_norm_grad(F: Any, grad: Any, x: Any, result: Any, ord: float, kept: Any, dims: Any) -> Any:
    """torch's norm_backward, case by case on ``ord``."""
    if ord == 0:
        return None  # torch gives no gradient at all here
    if kept is not None:
        grad, result = F.reshape(grad, kept), F.reshape(result, kept)
    sign = F.sign(x)
    if ord == 1:
        return sign * grad
    if ord == 2:
        return grad * F.where(result == 0, 0.0, x / result)
    absx = x * sign
    if math.isinf(ord):
        mask = (absx == result) | (x != x)  # the arg-max (or arg-min) entries, and NaNs (whose sign is 0)
        count = F.sum(F.where(mask, 1.0, 0.0), dims, True)
        return F.where(mask & (x == x), sign * (grad / count), 0.0)
    if ord < 1:
        scaled = sign * F.where(x == 0, 0.0, absx ** (ord - 1))
        return scaled * grad * result ** (1 - ord)
    scale = F.where(result == 0, 0.0, grad / result ** (ord - 1))
    return (sign * absx ** (ord - 1) if ord < 2 else x * absx ** (ord - 2)) * scale


_VectorNorm = node_class("LinalgVectorNormBackward0", _vector_norm_grad)


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: dtypes.dtype | None = None) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims when None); ``ord`` may be 0 (count of
    nonzeros) or +-inf (max or min of ``|x|``)."""
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    a = x._data
    _check_dtype("linalg.vector_norm", a, dtype)
    if dtype is not None:
        a = a.astype(dtype.numpy)
    all_dims = dim is None or (not isinstance(dim, int) and len(dim) == 0)
    dims = tuple(range(a.ndim)) if all_dims else wrap_dims(dim, a.ndim)
    axes = None if all_dims else (dims if a.ndim else ())
    if ord < 0 or math.isinf(ord):
        if all_dims and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt(ord)} norm on an empty tensor because "
                               "the operation does not have an identity")
        for d in dims:
            if a.ndim and a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt(ord)} norm on the dimension {d}"
                                   "because this dimension is empty and the operation does not have an identity")
    absx = xp.abs(a)
    if ord == 2:
        value = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
    elif math.isinf(ord):  # an empty reduction here reduces empty dims away: nothing to compare
        pick = xp.max if ord > 0 else xp.min
        value = pick(absx, axis=axes, keepdims=keepdim) if a.size else xp.zeros(_kept(a.shape, axes, keepdim), a.dtype)
    elif ord == 0:
        value = xp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    elif ord == 1:
        value = xp.sum(absx, axis=axes, keepdims=keepdim)
    else:
        value = xp.sum(absx ** ord, axis=axes, keepdims=keepdim) ** (1 / ord)
    out = Tensor._make(xp.asarray(value, a.dtype))
    if x._requires_grad and grad_state.enabled:
        kept = None if keepdim or not a.ndim else _kept(a.shape, dims, True)
        attach(out, _VectorNorm, (x,), {"x": x, "result": out._data, "ord": ord, "kept": kept, "dims": dims})
    return out


def _kept(shape: tuple[int, ...], axes: Any, keepdim: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axes`` (None: all)."""
    if keepdim:
        return tuple(1 if axes is None or i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


# -- matrix_norm, norm ---------------------------------------------------------------------------
def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: dtypes.dtype | None = None) -> Tensor:
    """A matrix norm over the two dims ``dim``: 'fro', 'nuc', +-2 (largest or smallest singular
    value), +-1 (max or min column abs-sum), +-inf (max or min row abs-sum)."""
    from ember.ops import spectral  # noqa: PLC0415 (spectral builds on this module's vector_norm)

    if not isinstance(ord, str):
        if abs(ord) not in (1, 2, math.inf):
            raise RuntimeError(f"linalg.matrix_norm: Order {_fmt(ord)} not supported.")
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_dtype("linalg.matrix_norm", a, None)
    if a.dtype == xp.float16 and (ord == "nuc" or (not isinstance(ord, str) and abs(ord) == 2)):
        raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    dim = [dim] if isinstance(dim, int) else list(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    dim = [wrap_dim(d, a.ndim) for d in dim]
    if dim[0] == dim[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    _check_dtype("linalg.matrix_norm", a, dtype)
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) and ord != "nuc":
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord == "nuc" or abs(ord) == 2:
        # move the two dims to the end, reduce the singular values, and put kept dims back
        perm = [d for d in range(a.ndim) if d not in dim] + dim
        B = A if dtype is None else movement.to(A, dtype)
        values = spectral.svdvals(movement.permute(B, perm))
        if ord == "nuc":
            result = reduction.sum(values, -1, keepdim)
        else:
            result = (minmax.amax if ord > 0 else minmax.amin)(values, -1, keepdim)
        if keepdim:
            result = movement.permute(movement.unsqueeze(result, -1), [perm.index(i) for i in range(a.ndim)])
        return result
    d0, d1 = (dim[1], dim[0]) if math.isinf(ord) else dim  # the inf-norm is the 1-norm of the transpose
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = vector_norm(A, 1, d0, keepdim, dtype=dtype)
    return (minmax.amax if ord > 0 else minmax.amin)(sums, d1, keepdim)


def linalg_norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
                dtype: dtypes.dtype | None = None) -> Tensor:
    """A vector norm, or a matrix norm when ``ord`` is a string or ``dim`` names two dims (or
    when ``A`` is 2-d, ``ord`` is given and ``dim`` is not)."""
    ndim = A._data.ndim
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    elif ord is not None and ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {ndim}D.")
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dim is not None else ndim == 2)):
        return matrix_norm(A, ord, dims if dim is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# -- cross ---------------------------------------------------------------------------------------
_Cross = node_class(
    "LinalgCrossBackward0",
    lambda F, grad, b, dim: F.linalg_cross(b, grad, dim=dim),
    lambda F, grad, a, dim: F.linalg_cross(grad, a, dim=dim))


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the other dims broadcast)."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and {b.shape[d]}")
    try:
        xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sname(a)} but found {_sname(b)}")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    out = Tensor._make(xp.cross(a, b, axis=d))
    if grad_state.enabled and (input._requires_grad or other._requires_grad):
        attach(out, _Cross, (input, other), {"a": input, "b": other, "dim": d})
    return out


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """torch.cross: ``linalg.cross``, with the first dim of size 3 when ``dim`` is None (deprecated)."""
    if dim is None:
        warnings.warn("Using ember.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use ember.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


# -- cdist ---------------------------------------------------------------------------------------
def _cdist_terms(F: Any, grad: Any, x1: Any, x2: Any, result: Any, p: float) -> Any:
    """d dist_ij / d x1_i, times grad_ij, for each pair (i, j) (torch's cdist backward kernels)."""
    diff = F.unsqueeze(x1, -2) - F.unsqueeze(x2, -3)
    grad, dist = F.unsqueeze(grad, -1), F.unsqueeze(result, -1)
    sign = F.sign(diff)
    if p == 1:
        return grad * sign
    if p == 2:
        return F.where(dist == 0, 0.0, grad * diff / dist)
    absd = diff * sign
    if math.isinf(p):
        return F.where(absd == dist, grad * sign, 0.0)
    if p < 2:
        term = F.where(dist == 0, 0.0, sign * absd ** (p - 1) * grad / dist ** (p - 1))
        return F.where((diff == 0) & (p < 1), 0.0, term)
    return F.where(dist == 0, 0.0, diff * absd ** (p - 2) * grad / dist ** (p - 1))


def _cdist_grad(F: Any, grad: Any, x1: Any, x2: Any, result: Any, p: float) -> Any:
    """The gradient for ``x1``; for ``x2`` it is the same with the roles swapped and ``grad``, ``result`` transposed."""
    if p == 0:
        return F.where(True, 0.0, x1)  # zeros shaped like x1: the 0-"norm" counts, it has no slope
    return F.sum(_cdist_terms(F, grad, x1, x2, result, p), -2)


_Cdist = node_class(
    "CdistBackward0",
    lambda F, grad, x1, x2, result, p: _cdist_grad(F, grad, x1, x2, result, p),
    lambda F, grad, x1, x2, result, p: _cdist_grad(F, _T(F, grad), x2, x1, _T(F, result), p))
_T = lambda F, a: F.transpose(a, -1, -2)  # noqa: E731


def _euclid_ratio(F: Any, grad: Any, result: Any) -> Any:
    return F.where(result == 0, 0.0, grad / result)


_EuclideanDist = node_class(
    "EuclideanDistBackward0",
    lambda F, grad, x1, x2, result: (x1 * F.sum(_euclid_ratio(F, grad, result), -1, True)
                                     - F.matmul(_euclid_ratio(F, grad, result), x2)),
    lambda F, grad, x1, x2, result: (x2 * F.unsqueeze(F.sum(_euclid_ratio(F, grad, result), -2), -1)
                                     - F.matmul(F.transpose(_euclid_ratio(F, grad, result), -1, -2), x1)))


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """Distances through one matrix product, ``sqrt(|a|^2 - 2 a.b + |b|^2)`` clamped at 0, as torch
    computes them for many rows."""
    a, b = x1._data, x2._data
    na, nb = (a * a).sum(-1, keepdims=True), (b * b).sum(-1, keepdims=True)
    left = xp.concatenate([a * -2, na, xp.ones_like(na)], -1)
    right = xp.concatenate([b, xp.ones_like(nb), nb], -1)
    out = Tensor._make(xp.sqrt(xp.maximum(xp.matmul(left, right.swapaxes(-1, -2)), 0)))
    if grad_state.enabled and (x1._requires_grad or x2._requires_grad):
        attach(out, _EuclideanDist, (x1, x2), {"x1": x1, "x2": x2, "result": out._data})
    return out


_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (batch dims broadcast)."""
    mode = _MODES.get(compute_mode)
    if mode is None:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = x1._data, x2._data
    for name, t in (("X1", a), ("X2", b)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    for name, t in (("X1", a), ("X2", b)):
        if t.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_sname(t)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if a.dtype == xp.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sname(a)} but found {_sname(b)}")
    try:
        batch = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    r1, r2 = a.shape[-2], b.shape[-2]
    if a.size and b.size and p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))):
        n = math.prod(batch)
        if n != 1 or len(batch):
            x1 = movement.reshape(movement.expand(x1, (*batch, r1, a.shape[-1])), (n, r1, a.shape[-1]))
            x2 = movement.reshape(movement.expand(x2, (*batch, r2, b.shape[-1])), (n, r2, b.shape[-1]))
        return movement.view(_euclidean_dist(x1, x2), (*batch, r1, r2))
    diff = xp.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        value = (diff != 0).sum(-1).astype(a.dtype)
    elif p == 1:
        value = diff.sum(-1)
    elif p == 2:
        value = xp.sqrt((diff * diff).sum(-1))
    elif math.isinf(p):
        value = diff.max(-1) if a.shape[-1] else diff.sum(-1)
    else:
        value = (diff ** p).sum(-1) ** (1 / p)
    out = Tensor._make(xp.ascontiguousarray(xp.broadcast_to(value, (*batch, r1, r2))))
    if grad_state.enabled and (x1._requires_grad or x2._requires_grad):
        attach(out, _Cdist, (x1, x2), {"x1": x1, "x2": x2, "result": out._data, "p": p})
    return out


for _op in (vector_norm, matrix_norm, linalg_norm, linalg_cross, cross, cdist):
    register(_op, {"vector_norm": "linalg.vector_norm", "matrix_norm": "linalg.matrix_norm", "linalg_norm":
                   "linalg.norm", "linalg_cross": "linalg.cross"}.get(_op.__name__))
