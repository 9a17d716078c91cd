"""The fused margin losses torch computes in C++ kernels (soft margin, multi margin, multilabel
margin): one node each, named as torch names its grad_fn, forward on arrays beside its rule.

Each rule is ``grad * G`` where ``G`` (the loss's derivative for a unit upstream gradient, already
scaled by the reduction) is computed in the forward, as torch's backward kernels compute it."""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.nn._loss_kernels import reduce_array
from ember.ops._shape import broadcast_error
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "soft_margin_loss"]


def _not_implemented(kernel: str, t: Tensor) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{t.dtype.scalar_name}'")


def _scale_rule(F: Any, grad: Any, g: Any, per_sample: bool) -> Any:
    return (F.unsqueeze(grad, -1) if per_sample else grad) * g


# -- soft margin ------------------------------------------------------------------------------------------
def _soft_margin_rule(F: Any, grad: Any, x: Any, y: Any, scale: float) -> Any:
    z = F.exp(-y * x)
    return grad * (-scale) * y * z / (1 + z)


_SoftMarginLoss = node_class("SoftMarginLossBackward0", _soft_margin_rule)


def soft_margin_loss(input: Tensor, target: Tensor, reduction: int) -> Tensor:
    """log(1 + exp(-y x)) per element (torch's formula, without log1p), reduced."""
    if target._requires_grad and grad_state.enabled:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. "
                           "This input cannot have requires_grad True.")
    x, y = input._data, target._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.scalar_name}")
    try:
        shape = xp.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    y = y.astype(x.dtype)
    loss = xp.log(xp.exp(-x * y) + 1)
    out, scale = reduce_array(loss, reduction)
    result = Tensor._make(xp.asarray(out, x.dtype))
    if input._requires_grad and grad_state.enabled:
        attach(result, _SoftMarginLoss, (input,), {"x": input, "y": xp.broadcast_to(y, shape), "scale": scale})
    return result


# -- multi margin (multi-class hinge) ---------------------------------------------------------------------
_MultiMarginLoss = node_class("MultiMarginLossBackward0", _scale_rule)


def _reduced(loss: Any, per_sample: bool, reduction: int, nframe: int) -> Any:
    """The per-sample losses as they are, or summed (and divided by the samples for 'mean'): an
    empty batch gives 0 for both, as torch's kernels do."""
    if per_sample:
        return loss
    out = xp.add.reduce(loss) if loss.size else xp.zeros((), loss.dtype)
    if reduction == 1 and loss.size:
        out = out / nframe
    return xp.asarray(out, loss.dtype)


def _margin_shape(input: Tensor) -> tuple[int, int]:
    x = input._data
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim == 1 and x.shape[0] != 0) or x.ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x.shape)}")
    return (1, 1 if x.ndim == 0 else x.shape[0]) if x.ndim <= 1 else x.shape


def _check_long(target: Tensor) -> None:
    if target._data.dtype != xp.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")


def multi_margin_loss(input: Tensor, target: Tensor, p: int, margin: float, weight: Tensor | None,
                      reduction: int) -> Tensor:
    """sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C per sample, reduced."""
    nframe, dim = _margin_shape(input)
    t = target._data
    if not (t.ndim <= 1 and t.size == nframe):
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(t.shape)}. Input "
                           f"has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    _check_long(target)
    if input._data.dtype.kind != "f":
        raise _not_implemented("multi_margin_loss_cpu_kernel", input)
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    x = input._data.reshape(nframe, dim)
    t = t.reshape(nframe)
    if ((t < 0) | (t >= dim)).any():
        raise RuntimeError("target out of range")
    rows = xp.arange(nframe)
    z = margin - x[rows, t][:, None] + x
    active = z > 0
    active[rows, t] = False
    w = xp.ones(nframe, x.dtype) if weight is None else weight._data[t]
    h = xp.where(active, z if p == 1 else z * z, 0) * w[:, None]
    loss = xp.add.reduce(h, axis=1) / x.dtype.type(dim)
    per_sample = reduction == 0 and target.dim() > 0
    result = Tensor._make(_reduced(loss, per_sample, reduction, nframe))
    if input._requires_grad and grad_state.enabled:
        g = 1.0 / (nframe * dim) if reduction == 1 else 1.0 / dim
        d = xp.where(active, g if p == 1 else 2 * g * z, 0) * w[:, None]
        d[rows, t] = -xp.add.reduce(d, axis=1)
        attach(result, _MultiMarginLoss, (input,),
               {"g": d.astype(x.dtype).reshape(input.shape), "per_sample": per_sample})
    return result


# -- multilabel margin --------------------------------------------------------------------------------------
_MultilabelMarginLoss = node_class("MultilabelMarginLossBackward0", _scale_rule)


def multilabel_margin_loss(input: Tensor, target: Tensor, reduction: int) -> Tensor:
    """sum_{j in targets} sum_{i not in targets} max(0, 1 - (x_{y_j} - x_i)) / C per sample; each
    sample's target list is its leading entries up to the first -1."""
    nframe, dim = _margin_shape(input)
    t = target._data
    ok = t.ndim <= 1 and t.size == dim if input.dim() <= 1 else t.ndim == 2 and t.shape == (nframe, dim)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(input.shape)}")
    _check_long(target)
    if t.size and (t.min() < -1 or t.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    if input._data.dtype.kind != "f":
        raise _not_implemented("multilabel_margin_loss_forward_out_frame", input)
    x = input._data.reshape(nframe, dim)
    t = t.reshape(nframe, dim)
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    index = xp.where(listed, t, 0)
    rows = xp.arange(nframe)[:, None]
    is_target = xp.zeros((nframe, dim), bool)
    is_target[xp.broadcast_to(rows, t.shape)[listed], index[listed]] = True
    z = 1 - xp.take_along_axis(x, index, 1)[:, :, None] + x[:, None, :]  # (sample, listed target, class)
    active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
    loss = xp.add.reduce(xp.where(active, z, 0).reshape(nframe, -1), axis=1) / x.dtype.type(dim)
    per_sample = reduction == 0 and input.dim() > 1
    result = Tensor._make(_reduced(loss, per_sample, reduction, nframe))
    if input._requires_grad and grad_state.enabled:
        g = 1.0 / (nframe * dim) if reduction == 1 else 1.0 / dim
        d = g * xp.add.reduce(active, axis=1).astype(x.dtype)
        xp.add.at(d, (xp.broadcast_to(rows, t.shape), index), -g * xp.add.reduce(active, axis=2))
        attach(result, _MultilabelMarginLoss, (input,),
               {"g": d.astype(x.dtype).reshape(input.shape), "per_sample": per_sample})
    return result

