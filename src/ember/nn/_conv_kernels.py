"""Convolution as three bilinear kernels on arrays (im2col and one matrix product per group):

    conv(x, w)          y[n, o, p]  = sum_{c, k} w[o, c, k] * xpad[n, c, p * s + k * d]
    input_grad(g, w)    the adjoint of conv in x (a transposed convolution): scatters g back
    weight_grad(x, g)   the adjoint of conv in w

Each one's derivative in either argument is another of the three, so the nodes below record
them in terms of each other: a backward through a convolution is itself differentiable (double
backward, as torch's ConvolutionBackwardBackward0), and a transposed convolution is ``input_grad``.
The functions take arrays (a plain backward) or Tensors (recorded), like the F namespaces.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

_window_view = xp.lib.stride_tricks.sliding_window_view


class Geometry(NamedTuple):
    """A convolution's settings per spatial dim: stride, (before, after) zero padding, dilation; and groups."""

    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


def _columns(x: Any, kernel: tuple[int, ...], geo: Geometry) -> tuple[Any, tuple[int, ...]]:
    """(G, N * P, C/G * K) windows of the padded input (P output positions, K kernel taps), and the output size."""
    nd = len(kernel)
    if any(lo or hi for lo, hi in geo.padding):
        x = xp.pad(x, ((0, 0), (0, 0), *geo.padding))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, geo.dilation, strict=True))
    v = _window_view(x, span, axis=tuple(range(2, 2 + nd)))
    v = v[(slice(None), slice(None), *(slice(None, None, s) for s in geo.stride),
           *(slice(None, None, d) for d in geo.dilation))]
    n, c, out = x.shape[0], x.shape[1], v.shape[2:2 + nd]
    # (N, *O, C, *K) as one copy; the groups then split the columns without another
    v = v.transpose(0, *range(2, 2 + nd), 1, *range(2 + nd, 2 + 2 * nd))
    cols = v.reshape(n * math.prod(out), geo.groups, (c // geo.groups) * math.prod(kernel))
    return cols.transpose(1, 0, 2), out


def _grad_matrix(grad: Any, groups: int) -> Any:
    """(N, OC, *O) as (G, N * P, OC/G)."""
    n, oc = grad.shape[:2]
    p = math.prod(grad.shape[2:])
    return grad.reshape(n, groups, oc // groups, p).transpose(1, 0, 3, 2).reshape(groups, n * p, oc // groups)


def _conv_array(x: Any, w: Any, geo: Geometry, columns: tuple[Any, tuple[int, ...]] | None = None) -> Any:
    cols, out = columns if columns is not None else _columns(x, w.shape[2:], geo)
    g, n = geo.groups, x.shape[0]
    wm = w.reshape(g, w.shape[0] // g, -1)  # (G, OCg, Cg * K)
    y = xp.matmul(cols, wm.transpose(0, 2, 1))  # (G, N * P, OCg)
    y = y.reshape(g, n, math.prod(out), w.shape[0] // g).transpose(1, 0, 3, 2)
    return y.reshape(n, w.shape[0], *out)


def _input_grad_array(grad: Any, w: Any, geo: Geometry, x_shape: tuple[int, ...]) -> Any:
    g, kernel, nd = geo.groups, w.shape[2:], w.ndim - 2
    n, c = x_shape[:2]
    out = grad.shape[2:]
    dcols = xp.matmul(_grad_matrix(grad, g), w.reshape(g, w.shape[0] // g, -1))  # (G, N * P, Cg * K)
    # viewed as (N, *O, G, Cg, *K): each kernel tap is then an (N, *O, C) slab to add back
    dcols = dcols.reshape(g, n, *out, c // g, *kernel)
    dcols = dcols.transpose(*range(1, 2 + nd), 0, *range(2 + nd, dcols.ndim))
    padded = [size + lo + hi for size, (lo, hi) in zip(x_shape[2:], geo.padding, strict=True)]
    dx = xp.zeros((n, c, *padded), grad.dtype)
    for taps in xp.ndindex(*kernel):
        region = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                       for t, d, s, o in zip(taps, geo.dilation, geo.stride, out, strict=True))
        slab = dcols[(Ellipsis, *taps)].reshape(n, *out, c)
        dx[(slice(None), slice(None), *region)] += xp.moveaxis(slab, -1, 1)
    return dx[(slice(None), slice(None), *(slice(lo, lo + size) for size, (lo, _) in
                                           zip(x_shape[2:], geo.padding, strict=True)))]


def _weight_grad_array(x: Any, grad: Any, geo: Geometry, w_shape: tuple[int, ...], cols: Any = None) -> Any:
    if cols is None:
        cols, _ = _columns(x, tuple(w_shape[2:]), geo)
    dw = xp.matmul(_grad_matrix(grad, geo.groups).transpose(0, 2, 1), cols)  # (G, OCg, Cg * K)
    return dw.reshape(w_shape)


def _data(t: Any) -> Any:
    return t._data if isinstance(t, Tensor) else t


def _record(out: Any, cls: type, a: Any, b: Any, ctx: dict[str, Any]) -> Any:
    """Arrays in, an array out; Tensors in, a Tensor out, recorded when one of them requires grad."""
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        return out
    result = Tensor._make(out)
    if grad_state.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (a, b)):
        attach(result, cls, (a, b), ctx)
    return result


def conv(x: Any, w: Any, geo: Geometry) -> Any:
    return _record(_conv_array(_data(x), _data(w), geo), _ConvBackward, x, w, {"x": x, "w": w, "geo": geo})


def input_grad(grad: Any, w: Any, geo: Geometry, x_shape: tuple[int, ...]) -> Any:
    out = _input_grad_array(_data(grad), _data(w), geo, tuple(x_shape))
    return _record(out, _InputGradBackward, grad, w, {"g": grad, "w": w, "geo": geo})


def weight_grad(x: Any, grad: Any, geo: Geometry, w_shape: tuple[int, ...], cols: Any = None) -> Any:
    """``cols``: the forward's im2col columns of ``x``, when it kept them (one copy less)."""
    out = _weight_grad_array(_data(x), _data(grad), geo, tuple(w_shape), cols)
    return _record(out, _WeightGradBackward, x, grad, {"x": x, "g": grad, "geo": geo})


def _bias_rule(F: Any, grad: Any, sum_dims: tuple[int, ...]) -> Any:
    return F.sum(grad, sum_dims)


# The derivatives: each kernel's adjoint in one argument is another kernel applied to the other.
_ConvBackward = node_class("ConvolutionBackwardBackward0",
                           lambda F, grad, w, geo, x: input_grad(grad, w, geo, x.shape),
                           lambda F, grad, x, geo, w: weight_grad(x, grad, geo, w.shape))
_InputGradBackward = node_class("ConvolutionBackwardBackward0",
                                lambda F, grad, w, geo: conv(grad, w, geo),
                                lambda F, grad, g, geo, w: weight_grad(grad, g, geo, w.shape))
_WeightGradBackward = node_class("ConvolutionBackwardBackward0",
                                 lambda F, grad, g, geo, x: input_grad(g, grad, geo, x.shape),
                                 lambda F, grad, x, geo: conv(x, grad, geo))

# The node a user-level convolution records (torch's ConvolutionBackward0), bias included; a
# transposed convolution runs input_grad forward, so its derivatives swap roles.
Convolution = node_class("ConvolutionBackward0",
                         lambda F, grad, w, geo, x: input_grad(grad, w, geo, x.shape),
                         lambda F, grad, x, geo, w, cols: weight_grad(x, grad, geo, w.shape, cols),
                         _bias_rule)
ConvolutionTransposed = node_class("ConvolutionBackward0",
                                   lambda F, grad, w, geo: conv(grad, w, geo),
                                   lambda F, grad, x, geo, w: weight_grad(grad, x, geo, w.shape),
                                   _bias_rule)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, geo: Geometry, transposed: bool,
                out_shape: tuple[int, ...] | None = None) -> Tensor:
    """A (transposed) convolution of batched input with one node for input, weight and bias."""
    x, w = input._data, weight._data
    columns = None if transposed else _columns(x, w.shape[2:], geo)  # kept for the weight's gradient
    y = _input_grad_array(x, w, geo, out_shape) if transposed else _conv_array(x, w, geo, columns)  # type: ignore[arg-type]
    if bias is not None:
        y = y + bias._data.reshape((-1,) + (1,) * (y.ndim - 2))
    out = Tensor._make(y)
    if grad_state.enabled and any(t is not None and t._requires_grad for t in (input, weight, bias)):
        cls = ConvolutionTransposed if transposed else Convolution
        cols = None if columns is None else columns[0]
        attach(out, cls, (input, weight, bias), {"x": input, "w": weight, "geo": geo, "cols": cols,
                                                 "sum_dims": (0, *range(2, y.ndim))})
    return out
