"""Activations (torch.nn.functional's pointwise ops, and glu): each forward on arrays beside its
derivative rule, written as torch's derivatives.yaml writes it (``elu_backward``, ``gelu_backward`` ...).

Integer and bool inputs raise the error torch's kernel raises (hardtanh and threshold accept integers);
float16 computes in float32 and rounds, as torch's CPU kernels do. An in-place variant is the op written
back into its tensor; where torch's in-place node saves the result instead of the input, it has its own
node class (``EluBackward1`` ...).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node
from ember.backend import xp
from ember.ops import _special, inplace
from ember.ops._shape import wrap_dim
from ember.ops.nn_ops import cast_scalar
from ember.ops.registry import F_array, attach, node_class, register
from ember.tensor import Tensor

__all__ = [
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardsigmoid_", "hardswish",
    "hardswish_", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "logsigmoid", "mish", "mish_", "relu6",
    "selu", "selu_", "silu", "silu_", "softplus", "softshrink", "softsign", "tanhshrink",
    "threshold", "threshold_",
]


def _data(input: Any, name: str) -> Any:
    try:
        return input._data
    except AttributeError:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}") from None


def _type_name(x: Any) -> str:
    return dtypes.from_numpy_dtype(x.dtype).scalar_name


def _float_data(input: Any, name: str, kernel: str) -> Any:
    """``input``'s array; torch's kernels refuse integer and bool tensors."""
    x = _data(input, name)
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(x)}'")
    return x


def _pointwise(input: Tensor, x: Any, forward: Callable[[Any], Any], cls: type[Node], **params: Any) -> Tensor:
    """``forward(x)`` as a tensor, recorded as ``cls`` with ``params`` and whatever else its rule names."""
    out = Tensor._make(forward(x.astype(xp.float32)).astype(xp.float16) if x.dtype == xp.float16 else forward(x))
    if input._requires_grad and grad_state.enabled:
        names = cls._arg_names[0]
        if "x" in names:
            params["x"] = input
        if "result" in names:
            params["result"] = out._data
        attach(out, cls, (input,), params)
    return out


def _abs(F: Any, x: Any) -> Any:
    return x * F.sign(x)


def _softplus(F: Any, x: Any) -> Any:
    """log(1 + e^x) without overflow."""
    return F.where(x > 0, x, 0.0) + F.log(1 + F.exp(-_abs(F, x)))


# -- erf: NumPy has none; ember's own (ops/_special.py) is vectorised and rounds float32 correctly ------
erf_array = _special.erf


# Abramowitz & Stegun 7.1.26, erf(x) = 1 - t (p1 + p2 t + ... + p5 t^4) e^(-x^2), t = 1 / (1 + p|x|), with
# |error| < 1.5e-7: what torch's vectorized float32 kernels (gelu among them) compute erf with
_AS_P, _AS_COEFFS = 0.3275911, (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def _erf_float32(x: Any) -> Any:
    """erf for gelu: torch's float32 approximation in float32 (about 15 passes, no per-element Python);
    exact (``erf_array``) in float64."""
    if x.dtype != xp.float32:
        return erf_array(x)
    if x.ndim == 0:  # NumPy turns 0-d results into scalars, which out= refuses
        return _erf_float32(x.reshape(1)).reshape(())
    t = xp.abs(x)  # two buffers in all: t, then e^(-x^2) in t's place; r, the result
    t *= _AS_P
    t += 1
    xp.reciprocal(t, out=t)
    r = t * _AS_COEFFS[0]
    for c in _AS_COEFFS[1:]:
        r += c
        r *= t
    e = xp.multiply(x, x, out=t)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    r *= e
    xp.subtract(1, r, out=r)  # erf(|x|) >= 0: its sign is x's sign bit (a bitwise OR, faster than copysign)
    bits = r.view(xp.uint32)
    bits |= xp.bitwise_and(x.view(xp.uint32), xp.uint32(0x80000000), out=t.view(xp.uint32))
    return r


_Erf = node_class("ErfBackward0", lambda F, grad, x: grad * (2 / math.sqrt(math.pi)) * F.exp(-(x * x)))


def _erf(input: Tensor) -> Tensor:
    """erf as a differentiable op: ``F.erf`` on Tensors (gelu's rule), not public."""
    return _pointwise(input, input._data, erf_array, _Erf)


# -- sigmoid-like ------------------------------------------------------------------------------------
_LogSigmoid = node_class("LogSigmoidBackward0", lambda F, grad, x: grad * F.sigmoid(-x))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    x = _float_data(input, "log_sigmoid", "log_sigmoid_cpu")
    return _pointwise(input, x, lambda a: xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a))), _LogSigmoid)


_SQRT1_2, _INV_SQRT_2PI = math.sqrt(0.5), 1 / math.sqrt(2 * math.pi)
_BETA, _KAPPA = math.sqrt(2 / math.pi), 0.044715


def _gelu_rule(F: Any, grad: Any, x: Any, approximate: str, cdf: Any) -> Any:
    if approximate == "tanh":
        x_sq = x * x
        t = F.tanh(_BETA * (x + _KAPPA * x_sq * x))
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _BETA * (1 + 3 * _KAPPA * x_sq))
    if F is not F_array:
        cdf = 0.5 * (1 + F.erf(x * _SQRT1_2))
    elif cdf is None:
        cdf = 0.5 * (1 + _erf_float32(x * _SQRT1_2))
    else:  # the forward's Phi(x); torch's order: grad * (cdf + x * (beta * exp(-x^2 / 2))), in one buffer
        pdf = xp.multiply(x, x, out=xp.empty_like(x))  # out=: a 0-d product stays an array
        pdf *= -0.5
        xp.exp(pdf, out=pdf)
        pdf *= _INV_SQRT_2PI
        pdf *= x
        pdf += cdf
        pdf *= grad
        return pdf
    return grad * (cdf + x * (_INV_SQRT_2PI * F.exp(-0.5 * (x * x))))


_Gelu = node_class("GeluBackward0", _gelu_rule)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate="tanh"``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = _float_data(input, "gelu", "GeluKernelImpl")
    if approximate == "tanh":
        forward = lambda a: 0.5 * a * (1 + xp.tanh(_BETA * (a + _KAPPA * a * a * a)))  # noqa: E731
    elif x.dtype == xp.float16:
        forward = lambda a: a * 0.5 * (1 + _erf_float32(a * _SQRT1_2))  # noqa: E731
    else:  # Phi(x) = (1 + erf(x / sqrt 2)) / 2 in one buffer, kept for the backward
        cdf = _erf_float32(x * _SQRT1_2)
        cdf += 1
        cdf *= 0.5
        out = Tensor._make(x * cdf)
        if input._requires_grad and grad_state.enabled:
            attach(out, _Gelu, (input,), {"x": input, "approximate": approximate, "cdf": cdf})
        return out
    return _pointwise(input, x, forward, _Gelu, approximate=approximate, cdf=None)


def _silu_rule(F: Any, grad: Any, x: Any) -> Any:
    s = F.sigmoid(x)
    return grad * s * (1 + x * (1 - s))


_Silu = node_class("SiluBackward0", _silu_rule)


def silu(input: Tensor) -> Tensor:
    """x * sigmoid(x)."""
    return _pointwise(input, _float_data(input, "silu", "silu_cpu"), lambda a: a * F_array.sigmoid(a), _Silu)


def _mish_rule(F: Any, grad: Any, x: Any) -> Any:
    t = F.tanh(_softplus(F, x))
    return grad * (t + x * F.sigmoid(x) * (1 - t * t))


_Mish = node_class("MishBackward0", _mish_rule)


def mish(input: Tensor) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _float_data(input, "mish", "mish_cpu")
    return _pointwise(input, x, lambda a: a * xp.tanh(xp.logaddexp(0, a)), _Mish)


_Softplus = node_class("SoftplusBackward0", lambda F, grad, x, beta, threshold: F.where(
    x * beta > threshold, grad, grad * F.sigmoid(x * beta)))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold."""
    x = _float_data(input, "softplus", "softplus_cpu")
    return _pointwise(input, x, lambda a: xp.where(a * beta > threshold, a, xp.logaddexp(0, a * beta) / beta),
                      _Softplus, beta=beta, threshold=threshold)


# -- the elu family: elu(x) = scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)) ----------
# NaN inputs take the negative branch in the rules below (and get a NaN gradient), as in torch's
# vectorised kernels; its scalar loop, which only handles a tensor's tail, picks the other side.
def _elu_rule(F: Any, grad: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
    negative = grad * (input_scale * alpha * scale) * F.exp(F.where(x > 0, 0.0, x) * input_scale)
    return F.where(x > 0, grad * scale, negative)


def _elu_result_rule(F: Any, grad: Any, result: Any, alpha: float, scale: float, input_scale: float) -> Any:
    if alpha < 0:
        raise RuntimeError(
            "In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
            "caused by calling in-place forward function with a negative slope, please call out-of-place version "
            "instead."
        )
    return F.where(result > 0, grad * scale, grad * input_scale * (result + alpha * scale))


_Elu, _Celu = node_class("EluBackward0", _elu_rule), node_class("CeluBackward0", _elu_rule)
_EluResult, _CeluResult = node_class("EluBackward1", _elu_result_rule), node_class("CeluBackward1", _elu_result_rule)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu(input: Tensor, name: str, alpha: float, scale: float, input_scale: float, cls: type[Node]) -> Tensor:
    x = _float_data(input, name, "elu_cpu")
    neg = alpha * scale
    return _pointwise(input, x, lambda a: xp.where(a > 0, a * scale, xp.expm1(xp.minimum(a, 0) * input_scale) * neg),
                      cls, alpha=alpha, scale=scale, input_scale=input_scale)


def _celu_scale(alpha: float) -> float:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return 1 / alpha


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _elu(input, "elu", alpha, 1.0, 1.0, _Elu)


def selu(input: Tensor) -> Tensor:
    """scale * elu(x, alpha), with the self-normalising constants."""
    return _elu(input, "selu", _SELU_ALPHA, _SELU_SCALE, 1.0, _Elu)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    return _elu(input, "celu", alpha, 1.0, _celu_scale(alpha), _Celu)


elu_ = inplace._inplace(lambda input, alpha=1.0: _elu(input, "elu_", alpha, 1.0, 1.0, _EluResult), "elu_")
selu_ = inplace._inplace(lambda input: _elu(input, "selu_", _SELU_ALPHA, _SELU_SCALE, 1.0, _EluResult), "selu_")
celu_ = inplace._inplace(
    lambda input, alpha=1.0: _elu(input, "celu_", alpha, 1.0, _celu_scale(alpha), _CeluResult), "celu_")


def _leaky_result_rule(F: Any, grad: Any, result: Any, negative_slope: float) -> Any:
    if negative_slope < 0:
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
            "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
            "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
            "in-place leakRelu backward calculation with negative slope"
        )
    return F.where(result > 0, grad, grad * negative_slope)


_LeakyRelu = node_class("LeakyReluBackward0", lambda F, grad, x, negative_slope: F.where(
    x > 0, grad, grad * negative_slope))
_LeakyReluResult = node_class("LeakyReluBackward1", _leaky_result_rule)


def _leaky_relu(input: Tensor, negative_slope: float, cls: type[Node]) -> Tensor:
    x = _float_data(input, "leaky_relu", "leaky_relu_cpu")
    return _pointwise(input, x, lambda a: xp.where(a > 0, a, a * negative_slope), cls, negative_slope=negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _leaky_relu(input, negative_slope, _LeakyRelu)


leaky_relu_ = inplace._inplace(
    lambda input, negative_slope=0.01: _leaky_relu(input, negative_slope, _LeakyReluResult), "leaky_relu_")


# -- piecewise linear: hardtanh, relu6, hardsigmoid, hardswish, shrinks, threshold -------------------
_Hardtanh = node_class("HardtanhBackward0", lambda F, grad, x, min_val, max_val: F.where(
    (x > min_val) & (x < max_val), grad, 0.0))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clamped to [min_val, max_val]; integer tensors stay integer (the bounds truncated)."""
    x = _data(input, "hardtanh")
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if x.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    min_val, max_val = cast_scalar(min_val, x.dtype), cast_scalar(max_val, x.dtype)
    return _pointwise(input, x, lambda a: xp.clip(a, min_val, max_val), _Hardtanh, min_val=min_val, max_val=max_val)


def relu6(input: Tensor) -> Tensor:
    """min(max(0, x), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0)


hardtanh_ = inplace._inplace(hardtanh, "hardtanh_")
_Hardsigmoid = node_class("HardsigmoidBackward0", lambda F, grad, x: F.where((x > -3) & (x < 3), grad / 6, 0.0))


def hardsigmoid(input: Tensor) -> Tensor:
    """relu6(x + 3) / 6."""
    x = _float_data(input, "hardsigmoid", "hardsigmoid_cpu")
    return _pointwise(input, x, lambda a: xp.clip(a + 3, 0, 6) / 6, _Hardsigmoid)


_Hardswish = node_class("HardswishBackward0", lambda F, grad, x: F.where(
    x <= -3, 0.0, F.where(x >= 3, grad, grad * (x / 3 + 0.5))))


def hardswish(input: Tensor) -> Tensor:
    """x * relu6(x + 3) / 6."""
    x = _float_data(input, "hardswish", "hardswish_cpu")
    return _pointwise(input, x, lambda a: a * xp.clip(a + 3, 0, 6) / 6, _Hardswish)


silu_, mish_ = inplace._inplace(silu, "silu_"), inplace._inplace(mish, "mish_")
hardsigmoid_, hardswish_ = inplace._inplace(hardsigmoid, "hardsigmoid_"), inplace._inplace(hardswish, "hardswish_")

_shrink_rule = lambda F, grad, x, lambd: F.where((x < -lambd) | (x > lambd), grad, 0.0)  # noqa: E731
_Softshrink = node_class("SoftshrinkBackward0", _shrink_rule)
_Hardshrink = node_class("HardshrinkBackward0", _shrink_rule)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    x = _float_data(input, "softshrink", "softshrink_check")
    top = float(xp.finfo(x.dtype).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {_type_name(x)}, but found {lambd:g}")
    return _pointwise(input, x, lambda a: xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, a * 0)),
                      _Softshrink, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    x = _float_data(input, "hardshrink", "hardshrink_cpu")
    return _pointwise(input, x, lambda a: xp.where((a >= -lambd) & (a <= lambd), 0, a), _Hardshrink, lambd=lambd)


_threshold_rule = lambda F, grad, x, threshold: F.where(x <= threshold, 0.0, grad)  # noqa: E731
_Threshold, _ThresholdInplace = (node_class("ThresholdBackward0", _threshold_rule),
                                 node_class("ThresholdBackward1", _threshold_rule))


def _threshold(input: Tensor, threshold: float, value: float, cls: type[Node]) -> Tensor:
    x = _data(input, "threshold")
    if x.dtype.kind == "b":
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    threshold, value = cast_scalar(threshold, x.dtype), cast_scalar(value, x.dtype)
    return _pointwise(input, x, lambda a: xp.where(a <= threshold, value, a), cls, threshold=threshold)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else value."""
    return _threshold(input, threshold, value, _Threshold)


threshold_ = inplace._inplace(lambda input, threshold, value: _threshold(input, threshold, value, _ThresholdInplace),
                              "threshold_")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|), as torch composes it."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x), as torch composes it."""
    return input - input.tanh()


# -- glu ---------------------------------------------------------------------------------------------
def _glu_rule(F: Any, grad: Any, x: Any, first: Any, second: Any, shape: tuple[int, ...]) -> Any:
    a, s = F.getitem(x, first), F.sigmoid(F.getitem(x, second))
    return F.index_zeros(grad * s, first, shape, False) + F.index_zeros(grad * a * s * (1 - s), second, shape, False)


_Glu = node_class("GluBackward0", _glu_rule)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    x = _data(input, "glu")
    if not x.ndim:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}")
    _float_data(input, "glu", "glu_cpu")
    h = x.shape[d] // 2
    first = (slice(None),) * d + (slice(0, h),)
    second = (slice(None),) * d + (slice(h, None),)
    return _pointwise(input, x, lambda a: a[first] * F_array.sigmoid(a[second]), _Glu, first=first, second=second,
                      shape=x.shape)


for _op in (logsigmoid, gelu, silu, mish, softplus, elu, selu, celu, leaky_relu, hardtanh, relu6, hardsigmoid,
            hardswish, softshrink, hardshrink, threshold, softsign, tanhshrink, glu):
    register(_op)
