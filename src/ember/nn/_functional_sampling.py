"""Spatial transformer functions of ``ember.nn.functional``: ``affine_grid`` and ``grid_sample``.

``affine_grid`` maps the normalised output coordinates (x, y[, z], 1) through each affine matrix:
grid[n, ..., :] = theta[n] @ (x, y, 1); its derivative is grad^T @ base.

``grid_sample`` reads the input at each grid point (normalised to [-1, 1]), unnormalised as

    x = (g + 1) / 2 * (W - 1)   (align_corners)        x = ((g + 1) * W - 1) / 2   (otherwise)

then clamped (``border``) or mirrored (``reflection``); ``bilinear`` blends the four neighbours
with weights (x1 - x)(y1 - y) ..., reading zeros outside; ``nearest`` rounds half to even. The
gradient in the input scatters those weights back; in the grid it is each weight's derivative
times the neighbour values, times dx/dg.
"""
from __future__ import annotations

import warnings
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._accumulate import add_at
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
                  "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
                  "details.")


# -- affine_grid ------------------------------------------------------------------------------------------
def _line(steps: int, align_corners: bool, dtype: Any) -> Any:
    """torch's linspace from -1 to 1 (0 for one step), shrunk by (steps - 1) / steps without align_corners."""
    if steps <= 1:
        return xp.zeros(1, dtype)
    line = xp.linspace(-1, 1, steps, dtype=dtype)
    return line if align_corners else line * dtype.type((steps - 1) / steps)


_AffineGrid = node_class("AffineGridGeneratorBackward0",
                         lambda F, grad, base, flat: F.matmul(F.transpose(F.reshape(grad, flat), 1, 2), base))


def affine_grid(theta: Tensor, size: list[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta`` (N, 2, 3)
    (or (N, 3, 4)) for an output of ``size``."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    nd = len(size) - 2
    if nd not in (2, 3):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if theta.dim() != 3 or theta.shape[-2] != nd or theta.shape[-1] != nd + 1:
        kind = "Nx2x3" if nd == 2 else "Nx3x4"
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape {kind} for size {size}. Got "
                         f"{theta.shape}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    size = list(size)
    dtype = theta._data.dtype
    # base (*spatial, nd + 1): x varies along the last dim, then y, then z; the last entry is one
    lines = [_line(s, align_corners, dtype) for s in reversed(spatial)]
    mesh = xp.meshgrid(*reversed(lines), indexing="ij")
    base = xp.stack([*reversed(mesh), xp.ones(tuple(spatial), dtype)], -1).reshape(-1, nd + 1)
    n = size[0]
    grid = xp.matmul(base, theta._data.transpose(0, 2, 1))
    out = Tensor._make(grid.reshape(n, *spatial, nd))
    if theta._requires_grad and grad_state.enabled:
        attach(out, _AffineGrid, (theta,), {"base": Tensor._make(base), "flat": (n, -1, nd)})
    return out


# -- grid_sample --------------------------------------------------------------------------------------------
def _clip(x: Any, mult: Any, size: int) -> tuple[Any, Any]:
    inside = (x > 0) & (x < size - 1)
    return xp.clip(x, 0, size - 1), mult * inside


def _reflect(x: Any, mult: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    if twice_low == twice_high:
        return xp.zeros_like(x), mult * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = x - low
    sign = xp.where(x < 0, -1, 1)
    x = xp.abs(x)
    extra = xp.fmod(x, span)
    even = xp.floor(x / span) % 2 == 0
    return xp.where(even, extra + low, span - extra + low), mult * xp.where(even, sign, -sign)


def _source(coord: Any, size: int, padding_mode: str, align_corners: bool) -> tuple[Any, Any]:
    """Pixel coordinates of normalised ``coord`` along a dim of ``size``, and d(pixel)/d(coord)."""
    ft = coord.dtype.type
    if align_corners:
        x, mult = (coord + 1) / 2 * ft(size - 1), xp.full(coord.shape, ft((size - 1) / 2))
    else:
        x, mult = ((coord + 1) * ft(size) - 1) / 2, xp.full(coord.shape, ft(size / 2))
    if padding_mode == "border":
        x, mult = _clip(x, mult, size)
    elif padding_mode == "reflection":
        x, mult = _reflect(x, mult, 0, 2 * (size - 1)) if align_corners else _reflect(x, mult, -1, 2 * size - 1)
        x, mult = _clip(x, mult, size)
    return x, mult.astype(coord.dtype)


class _Sampling:
    """The neighbours each grid point reads: flat (n, y, x) positions, bilinear weights and which lie inside."""

    __slots__ = ("corners", "x", "y", "mult", "shape", "nearest")

    def __init__(self, ix: Any, iy: Any, mult: tuple[Any, Any], shape: tuple[int, ...], nearest: bool) -> None:
        n, _, h, w = shape
        self.x, self.y, self.mult, self.shape, self.nearest = ix, iy, mult, shape, nearest
        batch = xp.arange(n).reshape(-1, 1, 1)
        if nearest:
            offsets = [(xp.rint(iy), xp.rint(ix))]
        else:
            y0, x0 = xp.floor(iy), xp.floor(ix)
            offsets = [(y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)]
        self.corners = []
        for yy, xx in offsets:
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            yi = xp.where(inside, yy, 0).astype(xp.int64)
            xi = xp.where(inside, xx, 0).astype(xp.int64)
            self.corners.append(((batch * h + yi) * w + xi, inside, yy, xx))

    def weights(self) -> list[Any]:
        """The bilinear weight of each neighbour (nw, ne, sw, se); one for nearest."""
        if self.nearest:
            return [xp.ones(self.x.shape, self.x.dtype)]
        (_, _, y0, x0), (_, _, _, x1), (_, _, y1, _), _ = self.corners
        x, y = self.x, self.y
        return [(x1 - x) * (y1 - y), (x - x0) * (y1 - y), (x1 - x) * (y - y0), (x - x0) * (y - y0)]

    def values(self, x: Any) -> list[Any]:
        """Each neighbour's (N, Ho, Wo, C) values (zeros outside)."""
        flat = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
        return [flat[pos] * inside[..., None] for pos, inside, _, _ in self.corners]


def _sample_array(x: Any, s: _Sampling) -> Any:
    out = None
    for v, wt in zip(s.values(x), s.weights(), strict=True):
        term = v * wt[..., None]
        out = term if out is None else out + term
    return out.transpose(0, 3, 1, 2)


def _second_order_refused(out: Any, grad: Any, x: Any, grid: Any) -> Any:
    """Under create_graph: the gradient as a Tensor whose own backward refuses (ember has no second
    derivative of grid_sample; torch does), rather than a constant that would give silent zeros."""
    if not isinstance(grad, Tensor):
        return out
    result = Tensor._make(out)
    if grad_state.enabled:
        attach(result, _GridSamplerDouble, (grad, x, grid), {})
    return result


def _refuse(F: Any, grad: Any) -> Any:
    raise NotImplementedError("the derivative for 'grid_sampler_2d_backward' is not implemented.")


_GridSamplerDouble = node_class("GridSampler2DBackwardBackward0", _refuse, _refuse, _refuse)


def _input_rule(F: Any, grad: Any, s: _Sampling, x: Any, grid: Any) -> Any:
    g = grad._data if isinstance(grad, Tensor) else grad
    g = g.transpose(0, 2, 3, 1)
    n, c, h, w = s.shape
    dx = xp.zeros((n * h * w, c), g.dtype)
    for (pos, inside, _, _), wt in zip(s.corners, s.weights(), strict=True):
        add_at(dx, pos[inside], (g * wt[..., None])[inside])
    dx = dx.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return _second_order_refused(dx, grad, x, grid)


def _grid_rule(F: Any, grad: Any, x: Any, s: _Sampling, grid: Any) -> Any:
    g = grad._data if isinstance(grad, Tensor) else grad
    xv = x._data if isinstance(x, Tensor) else x
    out = xp.zeros((*s.x.shape, 2), g.dtype)
    if not s.nearest:
        g = g.transpose(0, 2, 3, 1)
        nw, ne, sw, se = (xp.einsum("...c,...c->...", v, g) for v in s.values(xv))
        (_, _, y0, x0), (_, _, _, x1), (_, _, y1, _), _ = s.corners
        gx = (ne - nw) * (y1 - s.y) + (se - sw) * (s.y - y0)
        gy = (sw - nw) * (x1 - s.x) + (se - ne) * (s.x - x0)
        out[..., 0], out[..., 1] = gx * s.mult[0], gy * s.mult[1]
    return _second_order_refused(out, grad, x, grid)


_GridSampler2D = node_class("GridSampler2DBackward0", _input_rule, _grid_rule)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) ``input`` at the (N, Ho, Wo, 2) ``grid`` of (x, y) points in [-1, 1]:
    an (N, C, Ho, Wo) output."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
                         f"but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got "
                           f"grid with sizes {list(grid.shape)}")
    if input.dim() != grid.dim():
        raise RuntimeError(f"grid_sampler(): expected {input.dim()}D input and grid with same number of dimensions, "
                           f"but got {sizes}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}")
    if input.dim() != 4 or mode == "bicubic":
        raise NotImplementedError("grid_sample: ember supports 4-D input with mode 'bilinear' or 'nearest'")
    if input.dtype != grid.dtype:
        raise RuntimeError("grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}".replace("ember.", ""))
    x, gd = input._data, grid._data
    h, w = x.shape[2:]
    ix, mx = _source(gd[..., 0], w, padding_mode, align_corners)
    iy, my = _source(gd[..., 1], h, padding_mode, align_corners)
    s = _Sampling(ix, iy, (mx, my), x.shape, mode == "nearest")
    out = Tensor._make(_sample_array(x, s).astype(x.dtype, copy=False))
    if grad_state.enabled and (input._requires_grad or grid._requires_grad):
        attach(out, _GridSampler2D, (input, grid), {"s": s, "x": input, "grid": grid})
    return out
