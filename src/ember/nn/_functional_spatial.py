"""Resizing functions of ``ember.nn.functional``: ``interpolate`` (and the deprecated ``upsample*``).

Every mode but ``area`` is a separable linear map: along each spatial dim, output position ``o``
reads ``sum_k w_k[o] * x[i_k[o]]`` with one tap (nearest), two (linear) or four (cubic). The
indices and weights follow torch's CPU kernels (``UpSample.h``), computed in the input's
precision, so the same pixels are read with the same weights:

    linear   src = scale * (o + 0.5) - 0.5 (clamped at 0), or scale * o with align_corners;
             i0 = floor(src), i1 = i0 + 1 (clamped), w1 = src - i0, w0 = 1 - w1
    cubic    src as linear without the clamp; taps i0 - 1 .. i0 + 2 (clamped), Keys' weights (A = -0.75)
    nearest  floor(scale * o);  nearest-exact: floor(scale * (o + 0.5))

with scale = (in - 1) / (out - 1) under align_corners, else 1 / scale_factor when one is given
(and not recomputed), else in / out. The last dim is applied first, as torch nests its loops.
torch's kernels are compiled with fused multiply-adds; ``_fma`` rounds where they do, so nearest,
nearest-exact, linear and trilinear values agree with torch's to the bit (bicubic in most cases,
else within 2 ulp; bilinear within 2 ulp: torch runs another kernel for small outputs). The
adjoint multiplies by each dim's (out, in) matrix while in * out <= 128 * 128 (5-15x faster than a
scatter there), else sums each tap's ``grad * w`` back over runs of equal (sorted) indices.
``area`` is adaptive average pooling (5-d: this separable map with weights 1 / bin width).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.nn._functional_pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_DENSE_LIMIT = 128 * 128  # the adjoint of a dim with in * out up to this is one matrix product
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NAMES = {"nearest": "UpsampleNearest{}D", "nearest-exact": "UpsampleNearestExact{}D", "linear": "UpsampleLinear1D",
          "bilinear": "UpsampleBilinear2D", "trilinear": "UpsampleTrilinear3D", "bicubic": "UpsampleBicubic2D",
          "area": "AdaptiveAvgPool3D"}
_KERNELS = {"nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
            "linear": "compute_indices_weights_linear", "trilinear": "compute_indices_weights_linear",
            "bicubic": "compute_indices_weights_cubic"}


class _Taps:
    """One dim of a resampling: ``index[k]`` / ``weight[k]`` (None: one) for each tap k, and for the
    adjoint the distinct indices of each tap with where their runs start."""

    __slots__ = ("size", "index", "weight", "runs", "matrix")

    def __init__(self, size: int, index: list[Any], weight: list[Any] | None) -> None:
        self.size, self.index, self.weight = size, index, weight
        self.runs = [xp.unique(i, return_index=True) for i in index]
        self.matrix: dict[Any, Any] = {}

    def dense(self, dtype: Any) -> Any:
        """The (out, in) matrix of this dim's map."""
        if dtype not in self.matrix:
            m = xp.zeros((self.index[0].size, self.size), dtype)
            rows = xp.arange(self.index[0].size)
            for k, idx in enumerate(self.index):
                xp.add.at(m, (rows, idx), 1 if self.weight is None else self.weight[k].astype(dtype))
            self.matrix[dtype] = m
        return self.matrix[dtype]


class _Resampling:
    """A separable resampling of the last ``len(dims)`` axes, and the node names it records."""

    __slots__ = ("dims", "node", "adjoint_node")

    def __init__(self, dims: list[_Taps], name: str) -> None:
        self.dims = dims
        self.node, self.adjoint_node = _nodes(name)


def _fma(a: Any, b: Any, c: Any) -> Any:
    """a * b + c with one rounding (as a fused multiply-add)."""
    if a.dtype != xp.float64:  # the product is exact in float64; one more rounding to float32
        return (a.astype(xp.float64) * b + c).astype(a.dtype)
    p = a * b  # float64: Dekker's exact product error and Knuth's two-sum
    split = 134217729.0 * a
    ah = split - (split - a)
    split = 134217729.0 * b
    bh = split - (split - b)
    al, bl = a - ah, b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + err)


def _apply_array(x: Any, rs: _Resampling) -> Any:
    nd = len(rs.dims)
    work = x.astype(xp.float32) if x.dtype == xp.float16 else x  # torch computes half in float
    for d in reversed(range(nd)):
        axis, taps = x.ndim - nd + d, rs.dims[d]
        shape = (-1,) + (1,) * (nd - 1 - d)
        vals = [xp.take(work, idx, axis=axis) for idx in taps.index]
        if taps.weight is None:
            work = vals[0]
            continue
        w = [wk.reshape(shape) for wk in taps.weight]
        # torch: t0 * w0 + t1 * w1 + ..., contracted to fma(t2, w2, fma(t0, w0, t1 * w1)) ...
        if len(vals) == 1:
            work, rest = vals[0] * w[0], 1
        else:
            work, rest = _fma(vals[0], w[0], vals[1] * w[1]), 2
        for v, wk in zip(vals[rest:], w[rest:], strict=True):
            work = _fma(v, wk, work)
    return work.astype(x.dtype, copy=False)


def _adjoint_array(grad: Any, rs: _Resampling) -> Any:
    nd = len(rs.dims)
    g = grad.astype(xp.float32) if grad.dtype == xp.float16 else grad
    for d in range(nd):
        axis, taps = g.ndim - nd + d, rs.dims[d]
        if taps.size * taps.index[0].size <= _DENSE_LIMIT:  # a matrix product beats the scatter (measured)
            g = xp.moveaxis(xp.matmul(xp.moveaxis(g, axis, -1), taps.dense(g.dtype)), -1, axis)
            continue
        shape = (-1,) + (1,) * (nd - 1 - d)
        out = xp.zeros(g.shape[:axis] + (taps.size,) + g.shape[axis + 1:], g.dtype)
        where = (slice(None),) * axis
        for k, (uniq, starts) in enumerate(taps.runs):
            v = g if taps.weight is None else g * taps.weight[k].reshape(shape)
            out[(*where, uniq)] += xp.add.reduceat(v, starts, axis=axis)
        g = out
    return g.astype(grad.dtype, copy=False)


def _apply(x: Any, rs: _Resampling, adjoint: bool) -> Any:
    """The resampling (or its adjoint) on an array, or on a Tensor with its node recorded."""
    if not isinstance(x, Tensor):
        return _adjoint_array(x, rs) if adjoint else _apply_array(x, rs)
    out = Tensor._make(_adjoint_array(x._data, rs) if adjoint else _apply_array(x._data, rs))
    if x._requires_grad and grad_state.enabled:
        attach(out, rs.adjoint_node if adjoint else rs.node, (x,), {"rs": rs})
    return out


_NODES: dict[str, tuple[type, type]] = {}


def _nodes(name: str) -> tuple[type, type]:
    """The node of a resampling (its rule: the adjoint) and of its adjoint (its rule: the resampling)."""
    if name not in _NODES:
        _NODES[name] = (node_class(f"{name}Backward0", lambda F, grad, rs: _apply(grad, rs, True)),
                        node_class(f"{name}BackwardBackward0", lambda F, grad, rs: _apply(grad, rs, False)))
    return _NODES[name]


# -- indices and weights, as torch's CPU kernels compute them ---------------------------------------------
def _scale(n: int, out: int, align_corners: bool, scale: float | None, ft: Any) -> Any:
    if align_corners:
        return ft(n - 1) / ft(out - 1) if out > 1 else ft(0)
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n) / ft(out)


def _floor_index(src: Any, n: int) -> Any:
    # torch floors in single precision (floorf) whatever the compute type
    return xp.minimum(xp.floor(src.astype(xp.float32)).astype(xp.int64), n - 1)


def _nearest(n: int, out: int, scale: float | None, exact: bool, ft: Any) -> _Taps:
    s = _scale(n, out, False, scale, ft)
    o = xp.arange(out, dtype=ft)
    if exact:
        src = xp.maximum(s * (o + ft(0.5)) - ft(0.5), ft(0)) + ft(0.5)
    else:
        src = s * o
    return _Taps(n, [_floor_index(src, n)], None)


def _linear(n: int, out: int, align_corners: bool, scale: float | None, ft: Any) -> _Taps:
    if n == out:
        i = xp.arange(n)
        return _Taps(n, [i, i], [xp.ones(n, ft), xp.zeros(n, ft)])
    s = _scale(n, out, align_corners, scale, ft)
    o = xp.arange(out, dtype=ft)
    src = s * o if align_corners else xp.maximum(_fma(xp.full(out, s), o + ft(0.5), ft(-0.5)), ft(0))
    i0 = _floor_index(src, n)
    w1 = xp.clip(src - i0.astype(ft), ft(0), ft(1))
    return _Taps(n, [i0, i0 + (i0 < n - 1)], [ft(1) - w1, w1])


def _cubic(n: int, out: int, align_corners: bool, scale: float | None, ft: Any) -> _Taps:
    s = _scale(n, out, align_corners, scale, ft)
    o = xp.arange(out, dtype=ft)
    src = s * o if align_corners else _fma(xp.full(out, s), o + ft(0.5), ft(-0.5))
    i0 = _floor_index(src, n)
    t = xp.clip(src - i0.astype(ft), ft(0), ft(1))
    a = ft(-0.75)

    def near(x: Any) -> Any:  # |x| <= 1
        return ((a + ft(2)) * x - (a + ft(3))) * x * x + ft(1)

    def far(x: Any) -> Any:  # 1 < |x| < 2; rounded as torch's compiled kernel rounds it
        return _fma(_fma(xp.full(x.shape, a), x, -ft(5) * a), x, ft(8) * a) * x - ft(4) * a

    weights = [far(t + ft(1)), near(t), near(ft(1) - t), far(ft(2) - t)]
    return _Taps(n, [xp.clip(i0 + j, 0, n - 1) for j in (-1, 0, 1, 2)], weights)


def _area(n: int, out: int, ft: Any) -> _Taps:
    """Adaptive average pooling's bins [floor(o * n / out), ceil((o + 1) * n / out)) as taps of weight 1 / width."""
    o = xp.arange(out)
    start, end = (o * n) // out, -(-((o + 1) * n) // out)
    width = end - start
    weights = [xp.where(j < width, ft(1) / width.astype(ft), ft(0)) for j in range(int(width.max()))]
    return _Taps(n, [xp.minimum(start + j, end - 1) for j in range(len(weights))], weights)


# -- interpolate --------------------------------------------------------------------------------------------
def _check_sizes(input: Tensor, out: list[int], nd: int) -> None:
    names = ("D", "H", "W")[3 - nd:]
    size = input.shape[2:]
    if any(s <= 0 for s in size) or any(o <= 0 for o in out):
        fmt = ", ".join(f"{k}: {v}" for k, v in zip(names, size, strict=True))
        ofmt = ", ".join(f"{k}: {v}" for k, v in zip(names, out, strict=True))
        joint = " and" if nd == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fmt}){joint} output "
                           f"({ofmt})")
    if input.numel() == 0 and math.prod(input.shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {nd + 2}D data tensor expected but got a tensor with sizes {list(input.shape)}")


def _resample(input: Tensor, mode: str, out: list[int], scales: list[float] | None, align_corners: bool) -> Tensor:
    nd = input.dim() - 2
    _check_sizes(input, out, nd)
    dtype = input._data.dtype
    if dtype.kind != "f" and not (dtype == xp.uint8 and mode.startswith("nearest")):
        kernel = _KERNELS.get(mode, f"upsample_{mode}2d_channels_last")
        if nd == 2 and mode.startswith("nearest"):
            kernel = "upsample_nearest2d_channels_last"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    ft = xp.float64 if dtype == xp.float64 else xp.float32
    dims = []
    for d in range(nd):
        n, o, s = input.shape[2 + d], out[d], None if scales is None else scales[d]
        if mode == "area":
            dims.append(_area(n, o, ft))
        elif mode.startswith("nearest"):
            dims.append(_nearest(n, o, s, mode == "nearest-exact", ft))
        elif mode == "bicubic":
            dims.append(_cubic(n, o, align_corners, s, ft))
        else:
            dims.append(_linear(n, o, align_corners, s, ft))
    if dtype.kind != "f":
        return Tensor._make(_apply_array(input._data, _Resampling(dims, _NAMES[mode].format(nd))))
    return _apply(input, _Resampling(dims, _NAMES[mode].format(nd)), False)


def _is_integer(x: Any) -> bool:
    return isinstance(x, int) or (isinstance(x, Tensor) and not x.is_floating_point() and x.dim() == 0)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input to ``size``, or by ``scale_factor`` (the output
    size is floor(in * scale_factor); the factor itself sets the sampling positions unless
    ``recompute_scale_factor``). Modes: nearest, nearest-exact, linear (3-D), bilinear / bicubic
    (4-D), trilinear (5-D), area (adaptive average pooling)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types {[type(x) for x in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if output_size is None:
        # torch truncates in * scale (a double) toward zero, in Python or in C++
        output_size = [int(input.shape[i + 2] * s) for i, s in enumerate(scale_factors)]  # type: ignore[arg-type]
        if recompute_scale_factor:
            scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if mode in ("nearest", "nearest-exact") and dim in (1, 2, 3):
        return _resample(input, mode, output_size, scale_factors, False)
    if mode == "area" and dim in (1, 2, 3):
        if not input.is_floating_point():
            kernel = "adaptive_avg_pool3d_cpu" if dim == 3 else "adaptive_avg_pool2d"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
        if dim == 1:
            return adaptive_avg_pool1d(input, output_size)
        if dim == 2:
            return adaptive_avg_pool2d(input, output_size)
        if output_size == [1, 1, 1]:
            return input.mean((-3, -2, -1), keepdim=True)
        return _resample(input, mode, output_size, None, False)
    if _LINEAR.get(mode) == dim or mode == "lanczos" and dim == 2:
        if mode == "lanczos":
            if align_corners:
                raise ValueError("Lanczos mode does not support align_corners=True")
            if not antialias:
                raise ValueError("Lanczos mode requires antialias=True")
        if antialias:
            raise NotImplementedError(f"interpolate(mode='{mode}', antialias=True) is not supported by ember yet; "
                                      "use antialias=False")
        return _resample(input, mode, output_size, scale_factors, bool(align_corners))
    wanted = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in wanted and dim in (1, 2, 3):
        raise NotImplementedError(f"Got {dim + 2}D input, but {mode} mode needs {wanted[mode]}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {dim + 2}D) for the "
                              f"modes: {_ALL_MODES} (got {mode})")


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of ``interpolate``."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
