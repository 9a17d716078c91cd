"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without building the
(num_indices, dim) lookup as a graph node.

Bag ``b`` holds the indices ``input[offsets[b]:offsets[b + 1]]`` (a 2-D input: one bag per row).
Indices equal to ``padding_idx`` are left out (a mean divides by the number of the others); an
empty bag gives zeros. With per-entry coefficients c_i (``per_sample_weights``, or 1 / bag size):

    sum / mean   out[b] = sum_{i in b} c_i * weight[input[i]]
    max          out[b, d] = max_{i in b} weight[input[i], d]  (the first maximum gets the gradient)
"""
from __future__ import annotations

import warnings
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.nn._functional_layers import _embedding_renorm_
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

__all__ = ["embedding_bag"]


def _weight_rule(F: Any, grad: Any, bag_of: Any, index: Any, coef: Any, shape: tuple[int, ...]) -> Any:
    """Each entry's row receives its bag's gradient times its coefficient (repeats add up)."""
    return F.index_zeros(grad[bag_of] * coef[:, None], index, shape, True)


def _psw_rule(F: Any, grad: Any, bag_of: Any, index: Any, weight: Any, keep: Any) -> Any:
    """d out[b] / d c_i = weight[input[i]]: the dot product with the bag's gradient (0 at padding)."""
    return F.sum(grad[bag_of] * weight[index], 1) * keep


def _max_rule(F: Any, grad: Any, argmax_rows: Any, chosen: Any, shape: tuple[int, ...]) -> Any:
    """Each (bag, column) gradient goes to the row that held the maximum."""
    cols = xp.broadcast_to(xp.arange(shape[1]), argmax_rows.shape)
    return F.index_zeros(grad[chosen], (argmax_rows[chosen], cols[chosen]), shape, True)


_EmbeddingBag = node_class("EmbeddingBagBackward0", _weight_rule, _psw_rule)
_EmbeddingBagMax = node_class("EmbeddingBagBackward0", _max_rule)


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple[Any, Any, Any]:
    """The flat indices, each one's bag, and the number of bags."""
    idx = input._data
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        rows, length = idx.shape
        return idx.reshape(-1), xp.repeat(xp.arange(rows), length), rows
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    off = offsets._data.astype(xp.int64)
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}\n[ ember.{offsets.dtype.scalar_name}Tensor{{}} ]")
    if off.size and off[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but got offsets[-1] of "
                           f"{off[-1]}")
    count = max(off.size - 1, 0) if include_last_offset else off.size
    end = int(off[-1]) if include_last_offset and off.size else idx.size
    # bag of entry i: the number of bag starts at or before i, less one
    bag_of = xp.searchsorted(off[:count], xp.arange(end), side="right") - 1
    return idx[:end], bag_of, count


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce (``mode`` sum, mean or max) the embedding rows of each bag of indices to one row:
    (B, embedding_dim) for B bags."""
    if weight.dtype == dtypes.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    idx, bag_of, count = _bags(input, offsets, include_last_offset)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if idx.dtype not in (xp.int64, xp.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got ember.{input.dtype.scalar_name}Tensor instead (while checking arguments for "
                           "embedding_bag)")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type ember.{weight.dtype.scalar_name}Tensor does not equal "
                           f"ember.{per_sample_weights.dtype.scalar_name}Tensor (while checking arguments for "
                           "embedding_bag)")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but "
                               f"got {padding_idx}")
        padding_idx = padding_idx % num
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this error message be improved? "
                           " If so, please report an enhancement request to PyTorch.)")
    w = weight._data
    keep = xp.ones(idx.size, w.dtype) if padding_idx is None else (idx != padding_idx).astype(w.dtype)
    if mode == "max":
        return _bag_max(weight, idx, bag_of, count, keep)
    sizes = xp.bincount(bag_of, weights=keep, minlength=count)
    coef = keep if per_sample_weights is None else keep * per_sample_weights._data.reshape(-1)
    out = xp.zeros((count, dim), w.dtype)
    xp.add.at(out, bag_of, w[idx] * coef[:, None])  # in input order, as torch accumulates
    if mode == "mean":
        out /= xp.maximum(sizes, 1).astype(w.dtype)[:, None]
    result = Tensor._make(out)
    psw = per_sample_weights
    if grad_state.enabled and (weight._requires_grad or (psw is not None and psw._requires_grad)):
        gcoef = keep if per_sample_weights is None else coef
        if mode == "mean":
            gcoef = gcoef / xp.maximum(sizes, 1).astype(w.dtype)[bag_of]
        if scale_grad_by_freq:
            gcoef = gcoef / xp.bincount(idx, minlength=num)[idx].astype(w.dtype)
        attach(result, _EmbeddingBag, (weight, psw), {"bag_of": bag_of, "index": idx, "coef": gcoef,
                                                      "shape": w.shape, "weight": weight, "keep": keep})
    return result


def _bag_max(weight: Tensor, idx: Any, bag_of: Any, count: int, keep: Any) -> Tensor:
    w = weight._data
    rows = w[idx]
    rows[keep == 0] = -xp.inf
    starts = xp.searchsorted(bag_of, xp.arange(count))
    filled = xp.bincount(bag_of, weights=keep, minlength=count) > 0
    out = xp.zeros((count, w.shape[1]), w.dtype)
    argmax_rows = xp.full((count, w.shape[1]), -1, xp.int64)
    if filled.any():
        first = starts[filled]
        best = xp.maximum.reduceat(rows, first, axis=0)
        out[filled] = best
        # the first entry of each bag holding the maximum (torch keeps the first on ties)
        hit = (rows == best[xp.cumsum(filled)[bag_of] - 1]) & (keep[:, None] > 0)
        position = xp.where(hit, xp.arange(idx.size)[:, None], idx.size)
        argmax_rows[filled] = idx[xp.minimum.reduceat(position, first, axis=0)]
    result = Tensor._make(out)
    if weight._requires_grad and grad_state.enabled:
        attach(result, _EmbeddingBagMax, (weight,), {"argmax_rows": argmax_rows, "chosen": argmax_rows >= 0,
                                                   "shape": w.shape})
    return result
