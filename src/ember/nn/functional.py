"""ember.nn.functional: torch.nn.functional's stateless functions, with torch's signatures.

The ops themselves live in ``ember.ops`` (activation, nn_ops); this module adds torch's Python-level
layer: ``inplace=`` flags, softmax's implicit dim, and the argument checks torch makes here.
"""
from __future__ import annotations

import warnings

from ember import dtypes
from ember.nn._ctc import ctc_loss
from ember.nn._functional_attention import multi_head_attention_forward, scaled_dot_product_attention
from ember.nn._functional_conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from ember.nn._functional_fold import channel_shuffle, fold, pixel_shuffle, pixel_unshuffle, unfold
from ember.nn._functional_layers import (
    alpha_dropout,
    bilinear,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    embedding,
    feature_alpha_dropout,
    linear,
    prelu,
    rrelu,
)
from ember.nn._functional_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ember.nn._functional_margin_losses import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ember.nn._functional_norms import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ember.nn._functional_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from ember.nn._functional_sampling import affine_grid, grid_sample
from ember.nn._functional_sparse import embedding_bag
from ember.nn._functional_spatial import interpolate, upsample, upsample_bilinear, upsample_nearest
from ember.ops import activation as _A
from ember.ops import elementwise as _E
from ember.ops import softmaxes as _S
from ember.ops.activation import gelu, glu, hardshrink, logsigmoid, softplus, softshrink, softsign, tanhshrink
from ember.ops.elementwise import sigmoid, tanh
from ember.ops.nn_ops import cosine_similarity, normalize, one_hot, pad, pairwise_distance
from ember.tensor import Tensor

__all__ = [
    "affine_grid", "channel_shuffle", "embedding_bag", "fold", "grid_sample", "interpolate", "pixel_shuffle",
    "pixel_unshuffle", "unfold", "upsample", "upsample_bilinear", "upsample_nearest",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d",
    "alpha_dropout", "batch_norm", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding", "feature_alpha_dropout",
    "gaussian_nll_loss", "group_norm", "huber_loss", "instance_norm", "kl_div", "l1_loss", "layer_norm", "linear",
    "mse_loss", "nll_loss", "prelu", "rms_norm", "rrelu", "smooth_l1_loss",
    "celu", "celu_", "cosine_similarity", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "log_softmax", "logsigmoid", "mish", "normalize", "one_hot",
    "pad", "pairwise_distance", "relu", "relu6", "relu_", "selu", "selu_", "sigmoid", "silu", "softmax", "softmin",
    "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold", "threshold_",
    "cosine_embedding_loss", "ctc_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "multi_head_attention_forward", "scaled_dot_product_attention",
]


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: dtypes.dtype | None = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``; ``dtype`` casts the input first."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _S.softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: dtypes.dtype | None = None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _S.softmax(-input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: dtypes.dtype | None = None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along ``dim``; ``dtype`` casts the input first."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _S.log_softmax(input, dim, dtype)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu_() if inplace else _E.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh_(input, 0.0, 6.0) if inplace else _A.relu6(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return hardtanh_(input, min_val, max_val) if inplace else _A.hardtanh(input, min_val, max_val)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return elu_(input, alpha) if inplace else _A.elu(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with alpha = 1.6732632423543772, scale = 1.0507009873554805."""
    return selu_(input) if inplace else _A.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    return celu_(input, alpha) if inplace else _A.celu(input, alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return leaky_relu_(input, negative_slope) if inplace else _A.leaky_relu(input, negative_slope)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x if x > threshold else value."""
    return threshold_(input, threshold, value) if inplace else _A.threshold(input, threshold, value)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _A.silu_(input) if inplace else _A.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _A.mish_(input) if inplace else _A.mish(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _A.hardsigmoid_(input) if inplace else _A.hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _A.hardswish_(input) if inplace else _A.hardswish(input)


# the in-place functions torch.nn.functional has, with torch's signatures
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _A.elu_(input, alpha)


def selu_(input: Tensor) -> Tensor:
    return _A.selu_(input)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _A.celu_(input, alpha)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _A.leaky_relu_(input, negative_slope)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return _A.hardtanh_(input, min_val, max_val)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _A.threshold_(input, threshold, value)
