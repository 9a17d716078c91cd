"""Convolutions of ``ember.nn.functional``: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``, with
torch's argument handling (ints or tuples, 'same'/'valid' padding, unbatched input) and checks.
The arithmetic is in ``_conv_kernels``: one fused node (ConvolutionBackward0) per call."""
from __future__ import annotations

import warnings
from typing import Any

from ember.nn._conv_kernels import Geometry, convolution
from ember.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_DIM_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _expand(name: str, value: Any, nd: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(values) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(values)}")
    return tuple(int(v) for v in values)


def _batched(input: Tensor, nd: int, name: str) -> tuple[Tensor, bool]:
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    return (input, True) if input.dim() == nd + 2 else (input.unsqueeze(0), False)


def _check_common(input: Tensor, weight: Tensor, stride: tuple[int, ...],
                  dilation: tuple[int, ...], groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type (ember.{input.dtype.scalar_name}Tensor) and weight type "
                           f"(ember.{weight.dtype.scalar_name}Tensor) should be the same or input should be a MKLDNN "
                           "tensor and weight is a dense tensor")


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
          groups: int, nd: int, name: str) -> Tensor:
    input, batched = _batched(input, nd, name)
    stride_, dilation_ = _expand("stride", stride, nd), _expand("dilation", dilation, nd)
    if weight.dim() - 2 != nd:  # torch checks the arguments against the weight's spatial dims
        _expand("stride", stride_, weight.dim() - 2)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride_):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation_, strict=True):
            total = d * (k - 1) if padding == "same" else 0
            pads.append((total // 2, total - total // 2))
        if any(lo != hi for lo, hi in pads):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                          "copy of the input be created", stacklevel=3)
    else:
        pads = [(p, p) for p in _expand("padding", padding, nd)]
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    _check_common(input, weight, stride_, dilation_, groups)
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    padded = [size + lo + hi for size, (lo, hi) in zip(input.shape[2:], pads, strict=True)]
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation_, strict=True)]
    if any(p < s for p, s in zip(padded, span, strict=True)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater than actual input size")
    out = convolution(input, weight, bias, Geometry(stride_, tuple(pads), dilation_, groups), transposed=False)
    return out if batched else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation: y[n, o, l] = b[o] + sum_{c, k} w[o, c, k] x[n, c, l * s + k * d - p]."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) input with (OC, C / groups, kH, kW) weight."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d cross-correlation of (N, C, D, H, W) input with (OC, C / groups, kD, kH, kW) weight."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any, nd: int, name: str) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    input, batched = _batched(input, nd, name)
    stride_, dilation_ = _expand("stride", stride, nd), _expand("dilation", dilation, nd)
    pads, out_pads = _expand("padding", padding, nd), _expand("output_padding", output_padding, nd)
    _check_common(input, weight, stride_, dilation_, groups)
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(out_pads, stride_, dilation_, strict=True)):
        # torch reports in 2-d or 3-d terms (1-d runs as 2-d with a height of one)
        full = 3 if nd == 3 else 2
        lead = full - nd
        names = _DIM_NAMES[full]
        fields = [(out_pads, "output_padding", 0), (stride_, "stride", 1), (dilation_, "dilation", 1)]
        parts = [f"{label}_{dim}: {((fill,) * lead + values)[i]}" for values, label, fill in fields
                 for i, dim in enumerate(names)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
                           "channels instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
             zip(input.shape[2:], stride_, pads, dilation_, weight.shape[2:], out_pads, strict=True)]
    geo = Geometry(stride_, tuple((p, p) for p in pads), dilation_, groups)
    out = convolution(input, weight, bias, geo, transposed=True,
                      out_shape=(input.shape[0], out_channels, *sizes))
    return out if batched else out.squeeze(0)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv1d in its input (a "deconvolution"); weight is (C_in, C_out / groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d in its input; output size (H - 1) s - 2 p + d (k - 1) + output_padding + 1."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv3d in its input."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
