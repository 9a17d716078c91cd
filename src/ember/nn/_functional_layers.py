"""Layer functions of ``ember.nn.functional``: linear, bilinear, the dropouts and embedding, written
as torch writes them so results and grad_fn names agree (``linear`` is ``addmm`` on 2-d input,
``dropout`` multiplies by a Bernoulli mask scaled by 1 / (1 - p), drawn from ember's generator)."""
from __future__ import annotations

import math
import warnings
from typing import Any

from ember import creation
from ember import random as _random
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.contractions import einsum
from ember.ops.linalg import addmm, matmul
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["alpha_dropout", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding",
           "feature_alpha_dropout", "linear", "prelu", "rrelu"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, over the last dim of ``x``."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if bias is None:
        return matmul(input, weight.t())
    if weight.dim() != 2:
        return matmul(input, weight.t()) + bias
    if input.dim() == 2:
        return addmm(bias, input, weight.t())
    # torch folds the leading dims into one, multiplies, and views the result back
    out = addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
    return out.view(*input.shape[:-1], weight.shape[0])


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for each output k (``weight`` is (out, in1, in2))."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and "
                               f"{input2.shape[i]}")
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got {x.shape[-1]} but "
                               f"expected {weight.shape[k]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                           f"{weight.shape[0]}")
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input: Tensor, p: float, train: bool, inplace: bool, feature: bool = False) -> Tensor:
    """torch's ``_dropout_impl``: zero each element (or each channel, ``feature``) with probability p,
    scale the rest by 1 / (1 - p)."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = creation.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else input * zero
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise = creation.empty(*input.shape[:2], *([1] * (input.dim() - 2)), dtype=input.dtype)
    else:
        noise = creation.empty_like(input)
    noise.bernoulli_(1 - p)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by 1 / (1 - p) (identity when
    not ``training``)."""
    _check_p(p)
    return _dropout(input, p, training, inplace)


def _feature_dropout_unbatched(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    if not batched:
        input = input.unsqueeze(0)
    result = _dropout(input, p, training, inplace, feature=True)
    return result if batched else result.squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout_unbatched(input, p, training, inplace, input.dim() == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p``."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    return _feature_dropout_unbatched(input, p, training, inplace, inp_dim == 5)


_ALPHA = 1.7580993408473766  # SELU's scale * alpha: the value SELU saturates to, negated


def _alpha_dropout(input: Tensor, p: float, train: bool, inplace: bool, feature: bool) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped values become SELU's
    saturation value, then an affine map a * x + b restores the moments."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = creation.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else input * zero
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shape = (*input.shape[:2], *([1] * (input.dim() - 2))) if feature else tuple(input.shape)
    noise = creation.empty(*shape, dtype=input.dtype).bernoulli_(1 - p)
    b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
    noise.mul_(a)
    return input.mul_(noise).add_(b) if inplace else input * noise + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout (for SELU networks): keeps the input's mean and variance."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, feature=True)


def _embedding_rule(F: Any, grad: Any, indices: Any, shape: tuple[int, ...], coef: Any) -> Any:
    return F.index_zeros(grad if coef is None else grad * coef, indices, shape, True)


_Embedding = node_class("EmbeddingBackward0", _embedding_rule)


def _embedding_renorm_(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """Scale the rows ``indices`` names whose ``norm_type``-norm exceeds ``max_norm`` down to
    max_norm / (norm + 1e-7) of it, in place and unrecorded (torch's ``embedding_renorm_``)."""
    rows = xp.unique(indices)
    w = weight._data[rows].astype(xp.float64)
    norms = xp.linalg.norm(w, ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(weight._data.dtype)
        with no_grad():
            weight[Tensor._make(rows[over])] = weight[Tensor._make(rows[over])] * Tensor._make(scale[:, None])


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the indices ``input``. The row ``padding_idx`` gets no gradient;
    ``max_norm`` renormalises the rows used, in place; ``scale_grad_by_freq`` divides each row's
    gradient by how often it appears in the batch."""
    num = weight.shape[0] if weight.dim() else 0
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num or padding_idx < 0 and padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    else:
        padding_idx = -1
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    if idx.dtype not in (xp.int64, xp.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got ember.{input.dtype.scalar_name}Tensor instead (while checking arguments for "
                           "embedding)")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    out = Tensor._make(weight._data[idx])
    if weight._requires_grad and grad_state.enabled:
        coef = None
        if padding_idx >= 0 or scale_grad_by_freq:
            coef = xp.ones(idx.shape, weight._data.dtype)
            if scale_grad_by_freq:
                coef = coef / xp.bincount(idx.ravel(), minlength=num)[idx].astype(weight._data.dtype)
            if padding_idx >= 0:
                coef = xp.where(idx == padding_idx, xp.zeros((), coef.dtype), coef)
            coef = coef[..., None]
        attach(out, _Embedding, (weight,), {"indices": idx, "shape": weight._data.shape, "coef": coef})
    return out


_Prelu = node_class(
    "PreluKernelBackward0",
    lambda F, grad, x, weight, wshape: F.where(x > 0, grad, grad * F.reshape(weight, wshape)),
    lambda F, grad, x, waxes: F.reshape(F.sum(F.where(x > 0, 0.0, grad * x), waxes), (-1,)))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; ``weight`` holds one slope, or one per channel (dim 1)."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    x = input._data
    wshape = (weight.numel(),) + (1,) * (x.ndim - 2) if x.ndim >= 2 and weight.numel() > 1 else weight._data.shape
    out = Tensor._make(xp.where(x > 0, x, x * weight._data.reshape(wshape)))
    if grad_state.enabled and (input._requires_grad or weight._requires_grad):
        waxes = tuple(i for i in range(x.ndim) if not (i == 1 and weight.numel() > 1))
        attach(out, _Prelu, (input, weight), {"x": input, "weight": weight, "wshape": wshape, "waxes": waxes})
    return out


_RreluWithNoise = node_class("RreluWithNoiseBackward0", lambda F, grad, noise: grad * noise)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: negative inputs are scaled by a slope drawn from U(lower, upper) per
    element when ``training`` (torch's draws, from ember's generator), by (lower + upper) / 2 otherwise."""
    x = input._data
    if training:
        noise = xp.ones(x.shape, x.dtype)
        negative = x <= 0
        noise[negative] = _random.uniform_values(_random.default_generator, int(negative.sum()), xp.float64, lower,
                                                 upper).astype(x.dtype)
    else:
        noise = xp.full(x.shape, (lower + upper) / 2, x.dtype)
        noise = xp.where(x > 0, xp.ones((), x.dtype), noise)
    if inplace:
        return input.mul_(Tensor._make(noise))
    out = Tensor._make(x * noise)
    if input._requires_grad and grad_state.enabled:
        attach(out, _RreluWithNoise, (input,), {"noise": noise})
    return out
