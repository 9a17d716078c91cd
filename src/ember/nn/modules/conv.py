"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, initialised as torch's
(weight: kaiming_uniform_ with a = sqrt(5), i.e. U(-k, k), k = 1 / sqrt(fan_in); bias: U(-k, k))."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ember import creation, dtypes
from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.modules.utils import _pair, _single, _triple
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """The parameters and settings shared by the convolutions and transposed convolutions."""

    _conv: Callable[..., Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...], stride: tuple[int, ...],
                 padding: str | tuple[int, ...], dilation: tuple[int, ...], transposed: bool,
                 output_padding: tuple[int, ...], groups: int, bias: bool, padding_mode: str, device: Any = None,
                 dtype: dtypes.dtype | None = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}  # printed as a set, in the order torch's set prints
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.transposed, self.output_padding, self.groups = transposed, output_padding, groups
        self.padding_mode = padding_mode
        # F.pad's order (last dim first), for the non-zero padding modes
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1), strict=True):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i] = total // 2
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in range(2)]
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(creation.empty((*shape, *kernel_size), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with no_grad():
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return type(self)._conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-d convolution: y[n, o, l] = b[o] + sum_{c, t} w[o, c, t] * x[n, c, l * stride + t * dilation - padding]
    over (N, C_in, L) or (C_in, L) input; weight (C_out, C_in / groups, kernel_size)."""

    _conv = staticmethod(F.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: dtypes.dtype | None = None) -> None:
        p = _single
        super().__init__(in_channels, out_channels, p(kernel_size), p(stride),
                         padding if isinstance(padding, str) else p(padding), p(dilation), False, p(0), groups, bias,
                         padding_mode, device, dtype)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W) input; weight (C_out, C_in / groups, kH, kW).
    Output size per dim: floor((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1."""

    _conv = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: dtypes.dtype | None = None) -> None:
        p = _pair
        super().__init__(in_channels, out_channels, p(kernel_size), p(stride),
                         padding if isinstance(padding, str) else p(padding), p(dilation), False, p(0), groups, bias,
                         padding_mode, device, dtype)


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input."""

    _conv = staticmethod(F.conv3d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: dtypes.dtype | None = None) -> None:
        p = _triple
        super().__init__(in_channels, out_channels, p(kernel_size), p(stride),
                         padding if isinstance(padding, str) else p(padding), p(dilation), False, p(0), groups, bias,
                         padding_mode, device, dtype)


class _ConvTransposeNd(_ConvNd):
    _transpose: Callable[..., Tensor]
    _n: int

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: dtypes.dtype | None = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        parse = (_single, _pair, _triple)[self._n - 1]
        super().__init__(in_channels, out_channels, parse(kernel_size), parse(stride), parse(padding),
                         parse(dilation), True, parse(output_padding), groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding``, or the one that gives ``output_size`` (checked against the valid range)."""
        if output_size is None:
            return self.output_padding
        n = self._n
        non_spatial = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                             f"{non_spatial + n} elements (got {len(output_size)})")
        min_sizes = [(input.size(d + non_spatial) - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride, strict=True)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes, strict=True):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {input.size()[2:]})")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes, strict=True))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # type: ignore[override]
        output_padding = self._output_padding(input, output_size)
        return type(self)._transpose(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                     self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution (conv1d's adjoint in its input); weight (C_in, C_out / groups, k).
    Output length: (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""

    _transpose = staticmethod(F.conv_transpose1d)
    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution; weight (C_in, C_out / groups, kH, kW)."""

    _transpose = staticmethod(F.conv_transpose2d)
    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution; weight (C_in, C_out / groups, kD, kH, kW)."""

    _transpose = staticmethod(F.conv_transpose3d)
    _n = 3
