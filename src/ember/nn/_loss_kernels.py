"""The fused losses behind ``ember.nn.functional``: each is one node (torch's grad_fn name) whose
forward runs on arrays and whose rules give the input's (and target's) gradient directly, so a
loss costs one node instead of a chain of elementwise ones.

``nll_loss_nd`` is the class-index loss ``cross_entropy`` builds on (after ``log_softmax``);
the elementwise losses share ``_pointwise_loss``: loss l(x, y) per element, then the reduction,
with rules ``grad * scale * dl/dx`` where ``scale`` is 1/n for 'mean' and 1 otherwise.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.registry import attach, node_class, operands
from ember.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def reduce_array(loss: Any, reduction: int) -> tuple[Any, float]:
    """``loss`` reduced by torch's enum (0 none, 1 mean, 2 sum), and the scale its gradient takes."""
    if reduction == 0:
        return loss, 1.0
    total = xp.add.reduce(loss, axis=None)
    if reduction == 2:
        return xp.asarray(total), 1.0
    return xp.asarray(total / loss.size if loss.size else total * xp.nan), 1.0 / loss.size if loss.size else 1.0


# -- negative log likelihood ------------------------------------------------------------------------------
def _nll_rule(F: Any, grad: Any, coef: Any, index: Any, shape: tuple[int, ...], cdim: int) -> Any:
    return F.scatter_zeros(F.unsqueeze(grad * coef, cdim), cdim, index, shape)


_NllLoss = node_class("NllLossBackward0", _nll_rule)
_NllLoss2d = node_class("NllLoss2DBackward0", _nll_rule)


def _check_nll(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    x, t = input._data, target._data
    if input.dim() == 4:
        if target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                               f"{target.dim()}")
        if x.shape[:1] + x.shape[2:] != t.shape:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    elif input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.dim() == 2 and x.shape[0] != t.shape[0]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)}, target: {list(t.shape)})")
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")
    if t.dtype.kind not in "iu" or t.dtype.itemsize != 8 and t.dtype != xp.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}")
    if x.dtype.kind != "f":
        kernel = "nll_loss_out_frame" if x.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if weight is not None and weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, reduction: int, ignore_index: int,
         cls: type) -> Tensor:
    """-weight[t] * input[t] per target, 0 where ``t == ignore_index``; 'mean' divides by the weights' sum."""
    _check_nll(input, target, weight)
    x, t = input._data, target._data.astype(xp.int64)
    cdim = 1 if x.ndim > 1 else 0
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= x.shape[cdim]))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    index = xp.expand_dims(xp.where(ignored, 0, t), cdim)
    w = xp.ones(t.shape, x.dtype) if weight is None else weight._data[index.squeeze(cdim)]
    w = xp.where(ignored, xp.zeros((), x.dtype), w)
    picked = xp.take_along_axis(x, index, cdim).squeeze(cdim)
    loss = xp.where(ignored, xp.zeros((), x.dtype), -picked * w)
    if reduction == 0:
        out, coef = loss, -w
    else:
        total = xp.add.reduce(loss, axis=None)
        if reduction == 1:
            total_weight = xp.add.reduce(w, axis=None)
            # ignored targets get no gradient, even when nothing is counted (0 / 0)
            out, coef = total / total_weight, xp.where(ignored, xp.zeros((), x.dtype), -w / total_weight)
        else:
            out, coef = total, -w
    result = Tensor._make(xp.asarray(out, x.dtype))
    if input._requires_grad and grad_state.enabled:
        attach(result, cls, (input,), {"coef": coef, "index": index, "shape": x.shape, "cdim": cdim})
    return result


def nll_loss_nd(input: Tensor, target: Tensor, weight: Tensor | None, reduction: int, ignore_index: int) -> Tensor:
    """torch's ``nll_loss_nd``: 1-2 dims as NllLoss, 4 as NllLoss2d, others on a 4-d view."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    batch = target.shape[0] if target.dim() else 0
    if input.dim() != 1 and input.shape[0] != batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch}).")
    if input.dim() == 1 and target.dim() == 1:
        if target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
        target = target.reshape(())
    if input.dim() <= 2:
        return _nll(input, target, weight, reduction, ignore_index, _NllLoss)
    if input.dim() == 4:
        return _nll(input, target, weight, reduction, ignore_index, _NllLoss2d)
    n, c = input.shape[:2]
    out_size = [n, *input.shape[2:]]
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {out_size}, got {list(target.shape)}")
    if input.numel() and target.numel():
        input, target = input.reshape(n, c, 1, -1), target.reshape(n, 1, -1)
    out = _nll(input, target, weight, reduction, ignore_index, _NllLoss2d)
    return out.view(out_size) if reduction == 0 else out


_DivScalar = node_class("DivBackward1", lambda F, grad, other: grad / other)


def div_scalar(input: Tensor, other: float) -> Tensor:
    """``input / other`` recorded as torch's Scalar overload (DivBackward1), as its C++ losses divide."""
    out = Tensor._make(input._data / other)
    if input._requires_grad and grad_state.enabled:
        attach(out, _DivScalar, (input,), {"other": other})
    return out


# -- elementwise losses -----------------------------------------------------------------------------------
def _pointwise_loss(name: str, cls: type, input: Tensor, target: Tensor, reduction: int,
                    loss: Callable[..., Any], **params: Any) -> Tensor:
    x, y = operands(input, target)
    if x.shape != y.shape:
        try:
            xp.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtypes._BY_NUMPY[x.dtype].scalar_name}'")
    out, scale = reduce_array(loss(x, y, **params), reduction)
    result = Tensor._make(out)
    if grad_state.enabled and (input._requires_grad or target._requires_grad):
        attach(result, cls, (input, target), {"x": input, "y": target, "scale": scale, **params})
    return result


def _mse(x: Any, y: Any) -> Any:
    d = x - y
    return d * d


_MseLoss = node_class("MseLossBackward0", lambda F, grad, x, y, scale: grad * (2 * scale) * (x - y),
                      lambda F, grad, x, y, scale: grad * (-2 * scale) * (x - y))


def mse_loss(input: Tensor, target: Tensor, reduction: int) -> Tensor:
    return _pointwise_loss("mse_cpu", _MseLoss, input, target, reduction, _mse)


def _smooth_l1(x: Any, y: Any, beta: float) -> Any:
    z = xp.abs(x - y)
    return xp.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def _smooth_l1_grad(F: Any, x: Any, y: Any, beta: float) -> Any:
    d = x - y
    return F.where(d < -beta, -1.0, F.where(d > beta, 1.0, d / beta))


_SmoothL1Loss = node_class("SmoothL1LossBackward0",
                           lambda F, grad, x, y, scale, beta: grad * scale * _smooth_l1_grad(F, x, y, beta),
                           lambda F, grad, x, y, scale, beta: grad * -scale * _smooth_l1_grad(F, x, y, beta))


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: int, beta: float) -> Tensor:
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss("smooth_l1_cpu", _SmoothL1Loss, input, target, reduction, _smooth_l1, beta=beta)


def _huber(x: Any, y: Any, delta: float) -> Any:
    z = xp.abs(x - y)
    return xp.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def _huber_grad(F: Any, x: Any, y: Any, delta: float) -> Any:
    d = x - y
    return F.where(d < -delta, -delta, F.where(d > delta, delta, d))


_HuberLoss = node_class("HuberLossBackward0",
                        lambda F, grad, x, y, scale, delta: grad * scale * _huber_grad(F, x, y, delta),
                        lambda F, grad, x, y, scale, delta: grad * -scale * _huber_grad(F, x, y, delta))


def huber_loss(input: Tensor, target: Tensor, reduction: int, delta: float) -> Tensor:
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss("huber_cpu", _HuberLoss, input, target, reduction, _huber, delta=delta)


def _bce(x: Any, y: Any, w: Any) -> Any:
    log_x = xp.maximum(xp.log(x), -100)  # torch clamps the logs at -100, so 0 and 1 give finite losses
    log_1mx = xp.maximum(xp.log1p(-x), -100)
    return -w * (y * log_x + (1 - y) * log_1mx)


_BCE_EPS = 1e-12


def _bce_input_rule(F: Any, grad: Any, x: Any, y: Any, scale: float, w: Any) -> Any:
    denom = (1 - x) * x
    return grad * scale * w * (x - y) / F.where(denom > _BCE_EPS, denom, _BCE_EPS)


_BinaryCrossEntropy = node_class(
    "BinaryCrossEntropyBackward0", _bce_input_rule,
    lambda F, grad, x, y, scale, w: grad * scale * w * (F.log(1 - x) - F.log(x)))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None, reduction: int) -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)), the logs clamped at -100."""
    x, y = input._data, target._data
    if y.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}")
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if y.size and not ((y >= 0) & (y <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    w = 1.0 if weight is None else weight._data.astype(x.dtype)
    return _pointwise_loss("binary_cross_entropy", _BinaryCrossEntropy, input, target, reduction, _bce, w=w)


def _log_sigmoid(xp_: Any, x: Any) -> Any:
    return -xp_.logaddexp(0, -x)


def _bce_logits(x: Any, y: Any, w: Any, pw: Any) -> Any:
    log_sig = _log_sigmoid(xp, x)
    if pw is not None:
        log_sig = log_sig * ((pw - 1) * y + 1)
    return ((1 - y) * x - log_sig) * w


def _bce_logits_input_rule(F: Any, grad: Any, x: Any, y: Any, scale: float, w: Any, pw: Any) -> Any:
    s = F.sigmoid(x)
    d = s - y if pw is None else (pw * y + 1 - y) * s - pw * y
    return grad * scale * w * d


def _bce_logits_target_rule(F: Any, grad: Any, x: Any, y: Any, scale: float, w: Any, pw: Any) -> Any:
    d = -x if pw is None else (1 - pw) * F.log(F.sigmoid(x)) - x  # log_sigmoid(-x) = log_sigmoid(x) - x
    return grad * scale * w * d


_BCEWithLogits = node_class("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_input_rule,
                            _bce_logits_target_rule)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None,
                                     pos_weight: Tensor | None, reduction: int) -> Tensor:
    """(1 - y) x - (1 + (pos_weight - 1) y) log sigmoid(x), times weight."""
    x, y = operands(input, target)
    w = 1.0 if weight is None else weight._data.astype(x.dtype)
    pw = None if pos_weight is None else pos_weight._data.astype(x.dtype)
    for other in (w, pw):
        if isinstance(other, xp.ndarray):
            try:
                xp.broadcast_shapes(x.shape, other.shape)
            except ValueError:
                raise broadcast_error(other.shape, x.shape) from None
    return _pointwise_loss("binary_cross_entropy_with_logits", _BCEWithLogits, input, target, reduction, _bce_logits,
                           w=w, pw=pw)
