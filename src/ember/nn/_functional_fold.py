"""Pixel rearrangements of ``ember.nn.functional``: ``unfold`` / ``fold`` (im2col / col2im) and
``pixel_shuffle`` / ``pixel_unshuffle`` / ``channel_shuffle``.

Each is linear and its adjoint is its partner (unfold <-> fold, pixel_shuffle <-> pixel_unshuffle,
channel_shuffle with g groups <-> with C / g groups), so every rule calls the partner, on arrays
for a plain backward and on Tensors (recorded) under ``create_graph=True``.

    unfold  cols[n, (c, i, j), (p, q)] = xpad[n, c, p * s_h + i * d_h, q * s_w + j * d_w]
    fold    the adjoint: each column entry is added back at that position (overlaps sum)
"""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["channel_shuffle", "fold", "pixel_shuffle", "pixel_unshuffle", "unfold"]

_window_view = xp.lib.stride_tricks.sliding_window_view


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _record(out: Any, x: Any, cls: type, ctx: dict[str, Any]) -> Any:
    """An array for an array; for a Tensor, a Tensor recorded with ``cls`` when it requires grad."""
    if not isinstance(x, Tensor):
        return out
    result = Tensor._make(out)
    if x._requires_grad and grad_state.enabled:
        attach(result, cls, (x,), ctx)
    return result


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


# -- im2col / col2im --------------------------------------------------------------------------------------
def _check_geometry(k: tuple[int, int], d: tuple[int, int], p: tuple[int, int], s: tuple[int, int]) -> None:
    for what, v, first, second in (("kernel size", k, "kernel_height", "kernel_width"),
                                   ("dilation", d, "dilation_height", "dilation_width"),
                                   ("padding", p, "pad_height", "pad_width"),
                                   ("stride", s, "stride_height", "stride_width")):
        if (min(v) < 0) if what == "padding" else (min(v) <= 0):
            rule = "non-negative" if what == "padding" else "greater than zero"
            raise RuntimeError(f"{what} should be {rule}, but got {first}: {v[0]} {second}: {v[1]}")


def _blocks(size: tuple[int, int], k: tuple[int, int], d: tuple[int, int], p: tuple[int, int],
            s: tuple[int, int]) -> tuple[int, int]:
    return tuple((n + 2 * pp - (dd * (kk - 1) + 1)) // ss + 1  # type: ignore[return-value]
                 for n, kk, dd, pp, ss in zip(size, k, d, p, s, strict=True))


def _im2col(x: Any, k: tuple[int, int], d: tuple[int, int], p: tuple[int, int], s: tuple[int, int]) -> Any:
    batched = x.ndim == 4
    xb = x if batched else x[None]
    n, c = xb.shape[:2]
    oh, ow = _blocks(xb.shape[2:], k, d, p, s)
    xb = xp.pad(xb, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    v = _window_view(xb, (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1), axis=(2, 3))
    v = v[:, :, :(oh - 1) * s[0] + 1:s[0], :(ow - 1) * s[1] + 1:s[1], ::d[0], ::d[1]]
    cols = v.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)
    return cols if batched else cols[0]


def _col2im(cols: Any, size: tuple[int, int], k: tuple[int, int], d: tuple[int, int], p: tuple[int, int],
            s: tuple[int, int]) -> Any:
    batched = cols.ndim == 3
    cb = cols if batched else cols[None]
    n = cb.shape[0]
    c = cb.shape[1] // (k[0] * k[1])
    oh, ow = _blocks(size, k, d, p, s)
    cb = cb.reshape(n, c, k[0], k[1], oh, ow)
    out = xp.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i * d[0]:i * d[0] + (oh - 1) * s[0] + 1:s[0],
                j * d[1]:j * d[1] + (ow - 1) * s[1] + 1:s[1]] += cb[:, :, i, j]
    out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out if batched else out[0]


def _im2col_op(x: Any, size: tuple[int, int], k: Any, d: Any, p: Any, s: Any) -> Any:
    return _record(_im2col(_data(x), k, d, p, s), x, _Im2Col, {"size": size, "k": k, "d": d, "p": p, "s": s})


def _col2im_op(cols: Any, size: tuple[int, int], k: Any, d: Any, p: Any, s: Any) -> Any:
    return _record(_col2im(_data(cols), size, k, d, p, s), cols, _Col2Im,
                   {"size": size, "k": k, "d": d, "p": p, "s": s})


_Im2Col = node_class("Im2ColBackward0", lambda F, grad, size, k, d, p, s: _col2im_op(grad, size, k, d, p, s))
_Col2Im = node_class("Col2ImBackward0", lambda F, grad, size, k, d, p, s: _im2col_op(grad, size, k, d, p, s))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding (kh, kw) blocks of (N, C, H, W) or (C, H, W) input as columns: (N, C * kh * kw, L),
    L the number of block positions."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    _check_geometry(k, d, p, s)
    shape = tuple(input.shape)
    if not ((len(shape) == 3 and shape[0] and shape[1] and shape[2])
            or (len(shape) == 4 and shape[1] and shape[2] and shape[3])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    size = shape[-2:]
    blocks = _blocks(size, k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({blocks[0]}, {blocks[1]}), but its components must be at least one.")
    return _im2col_op(input, size, k, d, p, s)  # type: ignore[arg-type]


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum columns (N, C * kh * kw, L) of sliding blocks back into an (N, C, *output_size) image:
    the adjoint of ``unfold`` (overlapping entries add up)."""
    size, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    _check_geometry(k, d, p, s)
    shape = tuple(input.shape)
    if not ((len(shape) == 2 and shape[0] and shape[1]) or (len(shape) == 3 and shape[1] and shape[2])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    planes = shape[-2]
    if planes % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size=({k[0]}, {k[1]}).")
    bh, bw = _blocks(size, k, d, p, s)
    geometry = (f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), ")
    if shape[-1] != bh * bw:
        raise RuntimeError(f"{geometry}expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {bh} * {bw} = {bh * bw}, but got input.size(2)={shape[-1]}.")
    if bh < 1 or bw < 1:
        raise RuntimeError(f"{geometry}calculated shape of the array of sliding blocks as ({bh}, {bw}), which is too "
                           "small (non-positive)")
    if min(size) <= 0:
        raise RuntimeError(f"Expected output spatial size to be positive, but got: output_size=({size[0]}, "
                           f"{size[1]}).")
    return _col2im_op(input, size, k, d, p, s)


# -- pixel and channel shuffles ------------------------------------------------------------------------------
def _shuffle_array(x: Any, r: int) -> Any:
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(*lead, oc, r, r, h, w)
    nl = len(lead)
    y = y.transpose(*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return y.reshape(*lead, oc, h * r, w * r)


def _unshuffle_array(x: Any, r: int) -> Any:
    *lead, c, h, w = x.shape
    nl = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.transpose(*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def _pixel_shuffle_op(x: Any, r: int) -> Any:
    return _record(_shuffle_array(_data(x), r), x, _PixelShuffle, {"r": r})


def _pixel_unshuffle_op(x: Any, r: int) -> Any:
    return _record(_unshuffle_array(_data(x), r), x, _PixelUnshuffle, {"r": r})


_PixelShuffle = node_class("PixelShuffleBackward0", lambda F, grad, r: _pixel_unshuffle_op(grad, r))
_PixelUnshuffle = node_class("PixelUnshuffleBackward0", lambda F, grad, r: _pixel_shuffle_op(grad, r))


def _check_shuffle(input: Tensor, name: str, factor: int, what: str) -> None:
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           "dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): out[c, h * r + i, w * r + j] = x[c * r^2 + i * r + j, h, w]."""
    r = int(upscale_factor)
    _check_shuffle(input, "pixel_shuffle", r, "upscale_factor")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return _pixel_shuffle_op(input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    _check_shuffle(input, "pixel_unshuffle", r, "downscale_factor")
    for dim, what in ((-2, "height"), (-1, "width")):
        if input.shape[dim] % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                               f"input.size({dim})={input.shape[dim]} is not divisible by {r}")
    return _pixel_unshuffle_op(input, r)


def _channel_shuffle_array(x: Any, groups: int) -> Any:
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


def _channel_shuffle_op(x: Any, groups: int) -> Any:
    arr = _data(x)
    return _record(_channel_shuffle_array(arr, groups), x, _ChannelShuffle, {"groups": arr.shape[1] // groups})


_ChannelShuffle = node_class("ChannelShuffleBackward0", lambda F, grad, groups: _channel_shuffle_op(grad, groups))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with C = g * k: channel i * k + j moves to j * g + i (the transpose of a (g, k) grid)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return _channel_shuffle_op(input, groups)
