"""Normalisation functions of ``ember.nn.functional``: layer, batch, group, instance and RMS norm.

layer/batch/group norm are one fused node each (torch's ``Native*NormBackward0``). They share
one kernel: view the input as ``gshape``, normalise over ``axes``,

    xhat = (x - mean) / sqrt(var + eps)       (biased variance),     y = xhat * weight + bias,

with weight and bias of the channel (or normalized) shape, broadcast by ``wshape`` and summed back
over ``waxes`` in their rules. The input rule is dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
g = grad * weight: a plain backward uses the forward's xhat and rstd; a differentiable one (double
backward) recomputes them from ``x`` with ember ops, so its second derivatives are exact.
With fixed statistics (batch norm in eval mode) it is dx = g * rstd.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.registry import F_array, attach, node_class
from ember.tensor import Tensor

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "rms_norm"]


def _xhat(F: Any, x: Any, gshape: tuple[int, ...], axes: tuple[int, ...], n: int, eps: float, stats: Any) -> Any:
    xs = F.reshape(x, gshape)
    if stats is not None:
        mean, rstd = stats
        return (xs - mean) * rstd, rstd
    xc = xs - F.sum(xs, axes, True) / n
    rstd = (F.sum(xc * xc, axes, True) / n + eps) ** -0.5
    return xc * rstd, rstd


def _input_rule(F: Any, grad: Any, x: Any, weight: Any, gshape: tuple[int, ...], axes: tuple[int, ...], n: int,
                eps: float, stats: Any, wshape: tuple[int, ...], xhat: Any, rstd: Any) -> Any:
    if F is F_array:  # the forward's xhat and rstd; g's buffer takes dx in place
        g = xp.multiply(grad, weight.reshape(wshape)) if weight is not None else xp.array(grad)
        g = g.reshape(gshape)
        if stats is not None:
            g *= rstd
            return g.reshape(x.shape)
        s1 = g.sum(axes, keepdims=True) / n
        gx = g * xhat
        s2 = gx.sum(axes, keepdims=True) / n
        g -= s1
        g -= xp.multiply(xhat, s2, out=gx)
        g *= rstd
        return g.reshape(x.shape)
    xhat, rstd = _xhat(F, x, gshape, axes, n, eps, stats)
    g = F.reshape(grad if weight is None else grad * F.reshape(weight, wshape), gshape)
    if stats is not None:
        return F.reshape(g * rstd, x.shape)
    dx = rstd * (g - F.sum(g, axes, True) / n - xhat * (F.sum(g * xhat, axes, True) / n))
    return F.reshape(dx, x.shape)


def _weight_rule(F: Any, grad: Any, x: Any, gshape: tuple[int, ...], axes: tuple[int, ...], n: int, eps: float,
                 stats: Any, waxes: tuple[int, ...], xhat: Any) -> Any:
    if F is not F_array:
        xhat = _xhat(F, x, gshape, axes, n, eps, stats)[0]
    return F.sum(grad * F.reshape(xhat, x.shape), waxes)


def _bias_rule(F: Any, grad: Any, waxes: tuple[int, ...]) -> Any:
    return F.sum(grad, waxes)


_LayerNorm = node_class("NativeLayerNormBackward0", _input_rule, _weight_rule, _bias_rule)
_BatchNorm = node_class("NativeBatchNormBackward0", _input_rule, _weight_rule, _bias_rule)
_GroupNorm = node_class("NativeGroupNormBackward0", _input_rule, _weight_rule, _bias_rule)


def _moments(xs: Any, axes: tuple[int, ...], acc: Any = xp.float64) -> tuple[Any, Any]:
    """Mean and biased variance over ``axes`` (kept), accumulated in ``acc``: float64 for batch norm, as
    torch's CPU kernel; layer and group norm accumulate in the input's precision (at least float32)."""
    a = xs if xs.dtype == acc else xs.astype(acc)
    mean = a.mean(axis=axes, keepdims=True)
    d = a - mean
    d *= d
    return mean, d.mean(axis=axes, keepdims=True)


def _normalize(cls: type, input: Tensor, weight: Tensor | None, bias: Tensor | None, gshape: tuple[int, ...],
               axes: tuple[int, ...], eps: float, wshape: tuple[int, ...], fixed: Any = None,
               moments: Any = None) -> Tensor:
    """The shared kernel. ``fixed``: constant (mean, rstd) to normalise with (eval-mode batch norm);
    ``moments``: the batch's (mean, var), when the caller computed them already."""
    x = input._data
    xs = x.reshape(gshape)
    n = math.prod(xs.shape[a] for a in axes)
    if fixed is None:
        if moments is None:
            moments = _moments(xs, axes, xp.float64 if x.dtype == xp.float64 else xp.float32)
        mean, var = moments
        mean, rstd = mean.astype(x.dtype), (1.0 / xp.sqrt(var + eps)).astype(x.dtype)
    else:
        mean, rstd = fixed
    xhat = xs - mean
    xhat *= rstd
    y = xhat.reshape(x.shape)  # xhat is kept for the backward: y is a buffer of its own
    if weight is not None:
        y = y * weight._data.reshape(wshape)
        if bias is not None:
            y += bias._data.reshape(wshape)
    elif bias is not None:
        y = y + bias._data.reshape(wshape)
    else:
        y = y.copy()
    out = Tensor._make(y)
    if grad_state.enabled and any(t is not None and t._requires_grad for t in (input, weight, bias)):
        attach(out, cls, (input, weight, bias), {"x": input, "weight": weight, "gshape": xs.shape, "axes": axes,
                                                   "n": n, "eps": eps, "stats": fixed, "wshape": wshape,
                                                   "waxes": _weight_axes(x.ndim, wshape), "xhat": xhat,
                                                   "rstd": rstd})
    return out


def _weight_axes(ndim: int, wshape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of the output that a weight of ``wshape`` (aligned to the right) is broadcast over."""
    lead = ndim - len(wshape)
    return tuple(i for i in range(ndim) if i < lead or wshape[i - lead] == 1)


def _check_param(name: str, param: Tensor | None, input: Tensor) -> None:
    if param is not None and param._data.dtype != input._data.dtype:
        raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of {input.dtype.scalar_name}")


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims: (x - mean) / sqrt(var + eps) * weight + bias."""
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    shape = tuple(normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(param.shape)} and normalized_shape = {list(shape)}")
    if tuple(input.shape[input.dim() - len(shape):]) != shape or input.dim() < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for '{input.dtype.scalar_name}'")
    _check_param("weight", weight, input)
    _check_param("bias", bias, input)
    axes = tuple(range(input.dim() - len(shape), input.dim()))
    return _normalize(_LayerNorm, input, weight, bias, tuple(input.shape), axes, eps, shape)


def _verify_batch_size(size: Sequence[int]) -> None:
    size_prods = size[0]
    for s in size[2:]:
        size_prods *= s
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims. Training uses the batch's
    statistics and updates the running ones: running = (1 - momentum) * running + momentum * batch
    (the variance unbiased, n / (n - 1)); otherwise it uses the running statistics."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    channels = input.shape[1] if input.dim() > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
        if t is None and not training and name.startswith("running"):
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    stats_given = running_mean is not None and running_var is not None
    params = [t for t in (weight, bias, running_mean, running_var) if t is not None]
    if params and any(t._data.dtype != input._data.dtype for t in params) and input._data.dtype != xp.float16:
        # torch's wording: float32 parameters (the mixed-precision kind) with other input, or other parameters
        if all(t._data.dtype == xp.float32 for t in params) or any(t._data.dtype != params[0]._data.dtype
                                                                    for t in params):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of {input.dtype.scalar_name}")
    x = input._data
    axes = (0, *range(2, x.ndim))
    wshape = (channels,) + (1,) * (x.ndim - 2)
    if not training:
        mean = running_mean._data.astype(xp.float64).reshape(wshape)  # type: ignore[union-attr]
        var = running_var._data.astype(xp.float64).reshape(wshape)  # type: ignore[union-attr]
        fixed = (mean.astype(x.dtype), (1.0 / xp.sqrt(var + eps)).astype(x.dtype))
        return _normalize(_BatchNorm, input, weight, bias, x.shape, axes, eps, wshape, fixed=fixed)
    mean, var = _moments(x, axes)
    if stats_given:
        n = x.size // channels
        unbiased = var * (n / (n - 1)) if n > 1 else var * xp.inf
        with no_grad():  # torch's update: momentum * batch + (1 - momentum) * running, in the accumulate type
            for buf, value in ((running_mean, mean), (running_var, unbiased)):
                new = momentum * value.reshape(-1) + (1 - momentum) * buf._data.astype(xp.float64)
                buf.copy_(Tensor._make(new.astype(buf._data.dtype)))
    return _normalize(_BatchNorm, input, weight, bias, x.shape, axes, eps, wshape, moments=(mean, var))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels (with their spatial dims) per sample, then
    scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[:2]
    _verify_batch_size([n * c // num_groups, num_groups, *input.shape[2:]])
    if c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of shape "
                           f"{list(input.shape)} and num_groups={num_groups}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and (param.dim() != 1 or param.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, but "
                               f"got {name} of shape {list(param.shape)} and input of shape {list(input.shape)}")
    wshape = (c,) + (1,) * (input.dim() - 2)
    return _normalize(_GroupNorm, input, weight, bias, (n, num_groups, -1), (2,), eps, wshape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims: batch norm on a (1, N * C, *) view."""
    if use_input_stats:
        size_prods = math.prod(input.shape[2:])
        if size_prods == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    n, c = input.shape[:2]
    rm = None if running_mean is None else running_mean.repeat(n)
    rv = None if running_var is None else running_var.repeat(n)
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    out = batch_norm(input.reshape(1, n * c, *input.shape[2:]), rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            for buf, repeated in ((running_mean, rm), (running_var, rv)):
                if buf is not None:
                    buf.copy_(repeated.view(n, c).mean(0))  # type: ignore[union-attr]
    return out.view(input.shape)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last ``len(normalized_shape)`` dims; ``eps``
    defaults to the dtype's machine epsilon."""
    shape = tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape or input.dim() < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    eps_val = float(xp.finfo(input._data.dtype).eps) if eps is None else eps
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    result = input * input.pow(2).mean(dims, keepdim=True).add(eps_val).rsqrt()
    return result if weight is None else result * weight
