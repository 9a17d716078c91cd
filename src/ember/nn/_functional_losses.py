"""The loss functions of ``ember.nn.functional``, with torch's signatures, argument checks and
warnings; the fused kernels they call live in ``_loss_kernels``."""
from __future__ import annotations

import math
import warnings

from ember import creation
from ember.autograd.grad_mode import no_grad
from ember.nn import _loss_kernels as K
from ember.nn._reduction import get_enum, legacy_get_enum, legacy_get_string
from ember.ops import elementwise as E
from ember.ops.elementwise_binary import xlogy
from ember.ops.softmaxes import log_softmax
from ember.tensor import Tensor

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "gaussian_nll_loss",
           "huber_loss", "kl_div", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss"]


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    return legacy_get_string(size_average, reduce, emit_warning=True) if (
        size_average is not None or reduce is not None) else reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """torch's ``apply_loss_reduction``: the loss as is, its mean, or its sum."""
    enum = get_enum(reduction)
    return loss if enum == 0 else loss.mean() if enum == 1 else loss.sum()


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices: -weight[t] * input[n, t] per sample (``input`` holds
    log-probabilities along dim 1), 0 where ``t == ignore_index``; 'mean' divides by the sum of the
    weights of the counted targets."""
    reduction = _reduction(size_average, reduce, reduction)
    return K.nll_loss_nd(input, target, weight, get_enum(reduction), ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between the logits ``input`` (classes along dim 1, or dim 0 for one sample) and
    ``target``: class indices (nll_loss of log_softmax) or class probabilities of ``input``'s shape
    (-sum_c w_c p_c log_softmax(x)_c). ``label_smoothing`` mixes the target with the uniform
    distribution: (1 - eps) * target + eps / C."""
    enum = get_enum(_reduction(size_average, reduce, reduction))
    class_dim = 0 if input.dim() == 1 else 1
    if input.shape == target.shape:
        return _cross_entropy_probs(input, target, weight, enum, ignore_index, label_smoothing, class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _cross_entropy_smoothed(input, target, weight, enum, ignore_index, label_smoothing, class_dim)
    return K.nll_loss_nd(log_softmax(input, class_dim), target, weight, enum, ignore_index)


def _check_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")


def _class_view(weight: Tensor, ndim: int, class_dim: int) -> Tensor:
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, enum: int, ignore_index: int,
                         label_smoothing: float, class_dim: int) -> Tensor:
    if not target.is_floating_point():
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{target.dtype.scalar_name}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target if weight is None else logp * target * _class_view(weight, input.dim(), class_dim)
    if enum == 0:
        return -prod.sum(class_dim)
    if enum == 2:
        return -prod.sum()
    if input.numel() == 0:
        return -prod.sum().fill_(math.nan)
    return K.div_scalar(-prod.sum(), input.numel() / n_classes)


def _cross_entropy_smoothed(input: Tensor, target: Tensor, weight: Tensor | None, enum: int, ignore_index: int,
                            label_smoothing: float, class_dim: int) -> Tensor:
    """(1 - eps) * nll + eps / C * (the loss against a uniform target), torch's composition."""
    logp = log_softmax(input, class_dim)
    nll = K.nll_loss_nd(logp, target, weight, enum, ignore_index)
    ignore_mask = target == ignore_index
    if weight is not None:
        smooth_loss = -(logp * _class_view(weight, input.dim(), class_dim)).sum(class_dim)
    else:
        smooth_loss = -logp.sum(class_dim)
    smooth_loss = smooth_loss.masked_fill(ignore_mask, 0.0)
    if enum == 1:
        if weight is not None:
            ret = smooth_loss.sum() / weight.gather(0, target.masked_select(~ignore_mask).flatten()).sum()
        else:
            ret = smooth_loss.sum() / (~ignore_mask).sum()
    elif enum == 2:
        ret = smooth_loss.sum()
    else:
        ret = smooth_loss
    return (1 - label_smoothing) * nll + ret * (label_smoothing / input.shape[class_dim])


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(x - y)^2 per element, reduced; with ``weight``, weighted (and 'mean' divides by sum(weight))."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return K.mse_loss(input, target, get_enum(reduction))
    return _weighted((input - target).pow(2), input, weight, reduction)


def _weighted(errors: Tensor, input: Tensor, weight: Tensor, reduction: str) -> Tensor:
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y| per element, reduced; with ``weight``, weighted (and 'mean' divides by sum(weight))."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return _reduce((input - target).abs(), reduction)
    return _weighted((input - target).abs(), input, weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y); l1_loss when beta is 0."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    return K.smooth_l1_loss(input, target, get_enum(reduction), beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = x - y)."""
    _warn_size(input, target)
    if weight is None:
        return K.huber_loss(input, target, get_enum(reduction), delta)
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = K.huber_loss(input, target, 0, delta) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities ``x``, the logs clamped at -100."""
    enum = legacy_get_enum(size_average, reduce) if size_average is not None or reduce is not None else get_enum(
        reduction)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if weight is not None and weight.shape != target.shape:
        weight = weight.expand(target.shape)
    return K.binary_cross_entropy(input, target, weight, enum)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y) computed stably from the logits ``x``; ``pos_weight``
    scales the positive term: -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))."""
    enum = legacy_get_enum(size_average, reduce) if size_average is not None or reduce is not None else get_enum(
        reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    return K.binary_cross_entropy_with_logits(input, target, weight, pos_weight, enum)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: y (log y - x), or exp(y) (y - x) with ``log_target``;
    'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
        enum = get_enum(reduction)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        enum = get_enum("sum" if reduction == "batchmean" else reduction)
    output = E.exp(target) * (target - input) if log_target else xlogy(target, target) - target * input
    reduced = output if enum == 0 else output.mean() if enum == 1 else output.sum()
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(max(var, eps)) + (x - y)^2 / max(var, eps)) (+ 0.5 log(2 pi) when ``full``)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * creation.ones_like(input)
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(y for x, y in zip(input.size(), var.size(), strict=True) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():  # clamped in place, unrecorded: the gradient passes as if unclamped (torch does the same)
        var.clamp_(min=eps)
    loss = 0.5 * (E.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
