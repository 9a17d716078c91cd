"""Pooling functions of ``ember.nn.functional``: max, average and adaptive pooling over 1-3
spatial dims, with torch's output sizes (``ceil_mode``), padding rules, indices and checks.

Max pooling keeps the flat input index of each window's maximum (torch's ``indices``); its
gradient scatters into those positions. Average pooling is linear, so it and its adjoint are a
pair of kernels whose derivatives are each other (double backward works). 1-d pooling runs as
2-d over a height of one, as torch's does.
"""
from __future__ import annotations

import math
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d"]

_window_view = xp.lib.stride_tricks.sliding_window_view


def _tuple(value: Any, nd: int) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * nd


def _out_len(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or its left padding."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(input: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool) -> tuple[tuple[int, ...], ...]:
    if input.dim() not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd:]):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _tuple(stride, nd)
    p, d = _tuple(padding, nd), _tuple(dilation, nd)
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    for kk, pp, dd in zip(k, p, d, strict=True):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    size = input.shape[-nd:]
    out = tuple(_out_len(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(size, k, s, p, d, strict=True))
    if any(o < 1 for o in out):
        lead = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (lead, *size)))}). Calculated output size: "
                           f"({'x'.join(map(str, (lead, *out)))}). Output size is too small")
    return k, s, p, d, out


def _windows(x: Any, k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...], d: tuple[int, ...],
             out: tuple[int, ...], fill: float) -> Any:
    """(N, C, *out, *k) windows of ``x`` padded with ``fill`` (and on the right as far as ceil_mode reaches)."""
    nd = len(k)
    need = [(o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out, s, d, k, strict=True)]
    pads = [(pp, max(0, nn - pp - n)) for pp, nn, n in zip(p, need, x.shape[2:], strict=True)]
    x = xp.pad(x, ((0, 0), (0, 0), *pads), constant_values=fill)
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True))
    v = _window_view(x, span, axis=tuple(range(2, 2 + nd)))
    return v[(slice(None), slice(None), *(slice(0, (o - 1) * ss + 1, ss) for o, ss in zip(out, s, strict=True)),
              *(slice(None, None, dd) for dd in d))]


def _batch(x: Any, nd: int) -> Any:
    return x if x.ndim == nd + 2 else x[None]


# -- max pooling ------------------------------------------------------------------------------------------
def _scatter_rule(F: Any, grad: Any, index: Any, in_shape: tuple[int, ...]) -> Any:
    """The gradient of a max: each output's gradient lands at its input position. ``index`` is
    (N, C, P): flat positions within each (sample, channel) plane."""
    n, c, p = index.shape
    spatial = math.prod(in_shape) // (n * c) if n * c else 0
    return F.reshape(F.scatter_zeros(F.reshape(grad, (n, c, p)), 2, index, (n, c, spatial)), in_shape)


def _disjoint_rule(F: Any, grad: Any, index: Any, in_shape: tuple[int, ...]) -> Any:
    """``_scatter_rule`` where the windows do not overlap: no position is chosen twice, so on arrays
    the gradients are written (not added) at their flat positions, with identical results."""
    if isinstance(grad, Tensor):
        return _scatter_rule(F, grad, index, in_shape)
    n, c, p = index.shape
    spatial = math.prod(in_shape) // (n * c) if n * c else 0
    out = xp.zeros(math.prod(in_shape), grad.dtype)
    out[index + xp.arange(0, n * c * spatial, spatial).reshape(n, c, 1)] = grad.reshape(n, c, p)
    return out.reshape(in_shape)


_MaxPool = {2: node_class("MaxPool2DWithIndicesBackward0", _scatter_rule),
            3: node_class("MaxPool3DWithIndicesBackward0", _scatter_rule)}
_MaxPoolDisjoint = {2: node_class("MaxPool2DWithIndicesBackward0", _disjoint_rule),
                    3: node_class("MaxPool3DWithIndicesBackward0", _disjoint_rule)}
_AdaptiveMaxPool = node_class("AdaptiveMaxPool2DBackward0", _scatter_rule)


def _finish_max(input: Tensor, values: Any, index: Any, cls: type, return_indices: bool) -> Any:
    """Wrap the (batched) results back to the input's batching; record the node."""
    batched = input.dim() == values.ndim
    out = Tensor._make(values if batched else values[0])
    if input._requires_grad and grad_state.enabled:
        n, c = values.shape[:2]
        attach(out, cls, (input,), {"index": index.reshape(n, c, -1), "in_shape": tuple(input.shape)})
    if not return_indices:
        return out
    return out, Tensor._make(index if batched else index[0])


def _first_max(x: Any, k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...], d: tuple[int, ...],
               out: tuple[int, ...]) -> tuple[Any, Any] | None:
    """Each window's first maximum (row-major taps, as argmax) and its flat in-plane position, by a
    left-biased tournament over the windows' tap slabs; None where a NaN is present (there the order
    of comparisons decides, so the caller takes the argmax path)."""
    nd, size = len(k), x.shape[2:]
    need = [(o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out, s, d, k, strict=True)]
    pads = [(pp, max(0, nn - pp - n)) for pp, nn, n in zip(p, need, size, strict=True)]
    if any(lo or hi for lo, hi in pads):
        x = xp.pad(x, ((0, 0), (0, 0), *pads), constant_values=-xp.inf)
    plane = [math.prod(x.shape[3 + dim:]) for dim in range(nd)]  # strides of the (padded) plane
    items = []
    for taps in xp.ndindex(*k):
        region = tuple(slice(t * dd, t * dd + ss * (o - 1) + 1, ss)
                       for t, dd, ss, o in zip(taps, d, s, out, strict=True))
        items.append((x[(slice(None), slice(None), *region)], sum(t * dd * st for t, dd, st in zip(taps, d, plane))))
    while len(items) > 1:  # pair neighbours; the left one wins ties, so the first maximum survives
        pairs = [(a, oa, b, ob) for (a, oa), (b, ob) in zip(items[::2], items[1::2])]
        items = [(xp.maximum(b, a), oa + (b > a) * (ob - oa)) for a, oa, b, ob in pairs] + items[len(pairs) * 2:]
    best, index = items[0]
    if isinstance(index, int):  # a one-tap window
        index = xp.full(best.shape, index, xp.int64)
    if best.dtype.kind in "fc" and xp.isnan(best).any():
        return None
    for dim in range(nd):
        index = index + (xp.arange(out[dim]) * (s[dim] * plane[dim])).reshape((-1,) + (1,) * (nd - 1 - dim))
    spatial = math.prod(x.shape[2:])
    planes = xp.arange(0, x.shape[0] * x.shape[1] * spatial, spatial).reshape(x.shape[:2] + (1,) * nd)
    values = xp.take(x.reshape(-1), index + planes)  # the maxima bit for bit (maximum may flip a zero's sign)
    if x.shape[2:] != size:  # back to positions in the unpadded plane
        rest, index = index, 0
        for dim in range(nd):
            coord, rest = xp.divmod(rest, plane[dim])
            index = index * size[dim] + coord - p[dim]
    return values, index


def _max_pool(input: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
              return_indices: bool) -> Any:
    k, s, p, d, out = _geometry(input, nd, kernel_size, stride, padding, dilation, ceil_mode)
    x = _batch(input._data, nd)
    found = _first_max(x, k, s, p, d, out)
    if found is None:
        win = _windows(x, k, s, p, d, out, -xp.inf)
        flat = win.reshape(*win.shape[:2 + nd], -1)
        tap = xp.argmax(flat, axis=-1)  # the first maximum; a NaN counts as the maximum, as in torch
        values = xp.take_along_axis(flat, tap[..., None], -1)[..., 0]
        # the flat input position of each chosen tap: coordinate o * s + t * d - p per dim
        taps = xp.unravel_index(tap, k)
        index = xp.zeros(tap.shape, xp.int64)
        for dim in range(nd):
            o = xp.arange(out[dim]).reshape((-1,) + (1,) * (nd - 1 - dim))
            coord = o * s[dim] + taps[dim] * d[dim] - p[dim]
            index = index * x.shape[2 + dim] + coord
    else:
        values, index = found
    disjoint = not any(p) and all(ss >= dd * (kk - 1) + 1 for kk, ss, dd in zip(k, s, d, strict=True))
    return _finish_max(input, values, index, (_MaxPoolDisjoint if disjoint else _MaxPool)[max(nd, 2)], return_indices)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding windows of (N, C, L) or (C, L) input."""
    result = max_pool2d(input.unsqueeze(-2), (1, *_tuple(kernel_size, 1)),
                        (1, *_tuple(stride, 1)) if stride is not None and stride != () else None,
                        (0, *_tuple(padding, 1)), (1, *_tuple(dilation, 1)), ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (dilated) windows of (N, C, H, W) or (C, H, W) input; padding counts as -inf.
    ``return_indices``: also the flat position (h * W + w) of each maximum."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, D, H, W) or (C, D, H, W) input."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


# -- average pooling --------------------------------------------------------------------------------------
def _divisors(size: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...],
              out: tuple[int, ...], count_include_pad: bool) -> Any:
    """Each window's divisor: its extent within the padded input, or within the input alone."""
    div = xp.ones(out)
    for dim, (n, kk, ss, pp, o) in enumerate(zip(size, k, s, p, out, strict=True)):
        start = xp.arange(o) * ss - pp
        end = xp.minimum(start + kk, n + pp)
        extent = end - start if count_include_pad else xp.minimum(end, n) - xp.maximum(start, 0)
        div = div * extent.reshape((-1,) + (1,) * (len(out) - 1 - dim))
    return div


class _AvgGeometry:
    """What an average pool and its adjoint need: kernel, stride, padding, output size, divisors."""

    __slots__ = ("k", "s", "p", "out", "scale", "in_shape")

    def __init__(self, k: Any, s: Any, p: Any, out: Any, scale: Any, in_shape: tuple[int, ...]) -> None:
        self.k, self.s, self.p, self.out, self.scale, self.in_shape = k, s, p, out, scale, in_shape


def _avg_array(x: Any, geo: _AvgGeometry) -> Any:
    nd = len(geo.k)
    xb = _batch(x, nd)
    win = _windows(xb, geo.k, geo.s, geo.p, (1,) * nd, geo.out, 0.0)
    total = xp.add.reduce(win.reshape(*win.shape[:2 + nd], -1), axis=-1)
    y = (total * geo.scale).astype(x.dtype)
    return y if x.ndim == nd + 2 else y[0]


def _avg_adjoint_array(grad: Any, geo: _AvgGeometry) -> Any:
    nd = len(geo.k)
    g = _batch(grad, nd) * geo.scale.astype(grad.dtype)
    size = geo.in_shape[-nd:]
    padded = [n + 2 * pp + kk + ss for n, pp, kk, ss in zip(size, geo.p, geo.k, geo.s, strict=True)]
    dx = xp.zeros((*g.shape[:2], *padded), grad.dtype)
    for taps in xp.ndindex(*geo.k):
        region = tuple(slice(t, t + ss * (o - 1) + 1, ss) for t, ss, o in zip(taps, geo.s, geo.out, strict=True))
        dx[(slice(None), slice(None), *region)] += g
    dx = dx[(slice(None), slice(None), *(slice(pp, pp + n) for pp, n in zip(geo.p, size, strict=True)))]
    return dx if grad.ndim == nd + 2 else dx[0]


def avg_pool_apply(x: Any, geo: _AvgGeometry, adjoint: bool, cls: type | None = None) -> Any:
    """The pool (or its adjoint) on an array, or on a Tensor with its node recorded."""
    if not isinstance(x, Tensor):
        return _avg_adjoint_array(x, geo) if adjoint else _avg_array(x, geo)
    out = Tensor._make(_avg_adjoint_array(x._data, geo) if adjoint else _avg_array(x._data, geo))
    if x._requires_grad and grad_state.enabled:
        attach(out, cls or (_AvgPoolAdjoint if adjoint else _AvgPoolBackwardBackward), (x,), {"geo": geo})
    return out


_AvgPool = {2: node_class("AvgPool2DBackward0", lambda F, grad, geo: avg_pool_apply(grad, geo, True)),
            3: node_class("AvgPool3DBackward0", lambda F, grad, geo: avg_pool_apply(grad, geo, True))}
_AvgPoolAdjoint = node_class("AvgPool2DBackwardBackward0", lambda F, grad, geo: avg_pool_apply(grad, geo, False))
_AvgPoolBackwardBackward = node_class("AvgPool2DBackwardBackward0",
                                      lambda F, grad, geo: avg_pool_apply(grad, geo, True))


def _avg_pool(input: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None) -> Tensor:
    k, s, p, _, out = _geometry(input, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        scale = xp.full(out, 1.0 / divisor_override)
    else:
        scale = 1.0 / _divisors(tuple(input.shape[-nd:]), k, s, p, out, count_include_pad)
    geo = _AvgGeometry(k, s, p, out, scale, tuple(input.shape))
    return avg_pool_apply(input, geo, False, _AvgPool[max(nd, 2)])


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L) or (C, L) input."""
    return avg_pool2d(input.unsqueeze(-2), (1, *_tuple(kernel_size, 1)),
                      (1, *_tuple(stride, 1)) if stride is not None and stride != () else None,
                      (0, *_tuple(padding, 1)), ceil_mode, count_include_pad).squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over windows of (N, C, H, W) or (C, H, W) input: the sum divided by the window's size
    (counting the zero padding unless ``count_include_pad=False``), or by ``divisor_override``."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W) input."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# -- adaptive pooling -------------------------------------------------------------------------------------
def _bins(size: int, out: int) -> list[tuple[int, int]]:
    """torch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _output_size(input: Tensor, output_size: Any, name: str) -> tuple[int, int]:
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    if input.dim() not in (3, 4) or any(n == 0 for n in input.shape[-2:]):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    return tuple(input.shape[-2 + i] if o is None else int(o) for i, o in enumerate(sizes))  # type: ignore[return-value]


def _averaging_matrix(size: int, out: int, dtype: Any) -> Any:
    m = xp.zeros((out, size), dtype)
    for i, (a, b) in enumerate(_bins(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return m


_AdaptiveAvgPool = node_class("AdaptiveAvgPool2DBackward0",
                              lambda F, grad, rows, cols: F.matmul(F.matmul(F.transpose(rows, 0, 1), grad), cols))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over an (oH, oW) grid of windows that tile (H, W) (``None`` keeps a size)."""
    oh, ow = _output_size(input, output_size, "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1):
        return input.mean((-1, -2), keepdim=True)  # torch takes the mean here (MeanBackward1)
    x = input._data
    rows = Tensor._make(_averaging_matrix(x.shape[-2], oh, x.dtype))
    cols = Tensor._make(_averaging_matrix(x.shape[-1], ow, x.dtype).T.copy())
    out = Tensor._make(xp.matmul(xp.matmul(rows._data, x), cols._data))
    if input._requires_grad and grad_state.enabled:
        attach(out, _AdaptiveAvgPool, (input,), {"rows": rows, "cols": cols.t()})
    return out


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over ``output_size`` windows that tile the last dim."""
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over an (oH, oW) grid of windows that tile (H, W); ``return_indices`` as in max_pool2d."""
    oh, ow = _output_size(input, output_size, "adaptive_max_pool2d")
    x = _batch(input._data, 2)
    h, w = x.shape[-2:]
    values = xp.empty((*x.shape[:2], oh, ow), x.dtype)
    index = xp.empty((*x.shape[:2], oh, ow), xp.int64)
    for i, (h0, h1) in enumerate(_bins(h, oh)):
        for j, (w0, w1) in enumerate(_bins(w, ow)):
            block = x[:, :, h0:h1, w0:w1].reshape(*x.shape[:2], -1)
            tap = xp.argmax(block, axis=-1)
            values[:, :, i, j] = xp.take_along_axis(block, tap[..., None], -1)[..., 0]
            index[:, :, i, j] = (h0 + tap // (w1 - w0)) * w + w0 + tap % (w1 - w0)
    return _finish_max(input, values, index, _AdaptiveMaxPool, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` windows that tile the last dim."""
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    result = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)
