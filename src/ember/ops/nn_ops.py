"""torch.nn.functional's other plain ops: pad, one_hot, and the norm-based normalize,
cosine_similarity and pairwise_distance, composed of ember ops the way torch composes them."""
from __future__ import annotations

import math
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import elementwise, inplace, movement, reduction
from ember.ops._shape import broadcast_error, wrap_dims
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["cosine_similarity", "normalize", "one_hot", "pad", "pairwise_distance"]

_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "float16": "c10::Half", "float32": "float", "float64": "double"}


def cast_scalar(value: Any, np_dtype: Any) -> Any:
    """``value`` as a number of ``np_dtype``'s kind, refused as torch refuses a scalar that overflows it
    (a float must fit; a negative int may wrap into an unsigned type, as in ``a - b`` on uint8)."""
    kind = np_dtype.kind
    if kind == "b":
        return bool(value)
    if kind == "f":
        fits = not math.isfinite(value) or abs(value) <= xp.finfo(np_dtype).max
    else:
        info = xp.iinfo(np_dtype)
        if isinstance(value, int):
            fits = value <= info.max and (value >= info.min or (kind == "u" and -value <= info.max))
        else:
            fits = info.min <= value <= info.max
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[np_dtype.name]} without overflow")
    if kind == "f":
        return float(value)
    return int(value) % (info.max + 1) if kind == "u" else int(value)


# -- the vector p-norm along dims (torch's norm / linalg_vector_norm), for the composites below --------
def _norm_rule(F: Any, grad: Any, x: Any, result: Any, p: float, dims: tuple[int, ...], kept: tuple[int, ...]) -> Any:
    """torch's norm_backward."""
    grad, result = F.reshape(grad, kept), F.reshape(result, kept)
    sign = F.sign(x)
    if p == 0:
        return None  # torch's norm_backward: no gradient at all
    if p == 1:
        return sign * grad
    if p == 2:
        return grad * x / F.where(result == 0, 1.0, result)  # x is 0 wherever the norm is
    if math.isinf(p):
        size = x * sign
        mask = F.where((size == result) | (size != size), 1.0, 0.0)
        return sign * (grad / F.sum(mask, dims, True)) * mask
    size = x * sign
    scaled = sign * F.where(x == 0, 0.0, F.where(x == 0, 1.0, size) ** (p - 1))
    if p < 1:
        return scaled * grad * result ** (1 - p)
    return scaled * F.where(result == 0, 0.0, grad / F.where(result == 0, 1.0, result) ** (p - 1))


_NormNodes = {name: node_class(name, _norm_rule) for name in ("NormBackward1", "LinalgVectorNormBackward0")}


def _vector_norm(input: Tensor, p: float, dim: Any, keepdim: bool, node: str) -> Tensor:
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.from_numpy_dtype(x.dtype).scalar_name}")
    dims = wrap_dims(dim, x.ndim)
    if not x.ndim:
        dims = ()  # dim 0 (or -1) of a 0-d tensor is valid and reduces nothing
    axes = dims if x.ndim else None
    if x.dtype == xp.float16:
        x = x.astype(xp.float32)  # torch accumulates half in float
    a = xp.abs(x)
    if p < 0 or math.isinf(p):  # max, min and 1 / sum have no value on nothing
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {d}because "
                                   "this dimension is empty and the operation does not have an identity")
    if math.isinf(p):
        out = (xp.max if p > 0 else xp.min)(a, axis=axes, keepdims=keepdim)
    elif p == 0:
        out = xp.add.reduce((a != 0).astype(x.dtype), axis=axes, keepdims=keepdim)
    elif p == 1:
        out = xp.add.reduce(a, axis=axes, keepdims=keepdim)
    elif p == 2:
        out = xp.sqrt(xp.add.reduce(x * x, axis=axes, keepdims=keepdim))
    else:
        with xp.errstate(divide="ignore"):  # 0 ** negative p is inf, as in torch
            out = xp.add.reduce(a ** p, axis=axes, keepdims=keepdim) ** (1 / p)
    result = Tensor._make(xp.asarray(out, dtype=input._data.dtype))
    if input._requires_grad and grad_state.enabled:
        kept = tuple(1 if i in dims else n for i, n in enumerate(x.shape))
        attach(result, _NormNodes[node], (input,),
               {"x": input, "result": result._data, "p": p, "dims": dims, "kept": kept})
    return result


def normalize(input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(norm_p(input, dim), eps)``; with ``out``, the result is written there."""
    norm = _vector_norm(input, p, dim, True, "LinalgVectorNormBackward0")
    denom = movement.expand_as(elementwise.clamp_min(norm, eps), input)
    if out is None:
        return input / denom
    if grad_state.enabled and (input._requires_grad or out._requires_grad):
        raise RuntimeError("div(): functions with out=... arguments don't support automatic differentiation, but one "
                           "of the arguments requires grad.")
    return inplace.copy_(out, input / denom)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / (max(|x1|, eps) * max(|x2|, eps)) along ``dim``, each input divided by its norm first."""
    common = dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {common.scalar_name}")
    x1 = x1 if x1.dtype.is_floating_point else movement.to(x1, common)
    x2 = x2 if x2.dtype.is_floating_point else movement.to(x2, common)
    x1, x2 = _expand_pair(x1, x2)
    norms = []
    for x in (x1, x2):
        # clamped in place without grad, as torch does: the gradient flows as if the norm were unclamped
        n = movement.clone(_vector_norm(x, 2, dim, True, "LinalgVectorNormBackward0"))
        with no_grad():
            inplace.clamp_(n, min=eps)
        norms.append(n)
    return reduction.sum((x1 / norms[0]) * (x2 / norms[1]), dim)


def _expand_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    sa, sb = a._data.shape, b._data.shape
    try:
        shape = xp.broadcast_shapes(sa, sb)
    except ValueError:
        raise broadcast_error(sa, sb) from None
    return (a if sa == shape else movement.expand(a, shape)), (b if sb == shape else movement.expand(b, shape))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` along the last dim."""
    last = max(x1._data.ndim, x2._data.ndim) - 1
    return _vector_norm(x1 - x2 + eps, p, last, keepdim, "NormBackward1")


# -- one_hot -----------------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)``, 1 at each index."""
    x = tensor._data
    if x.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if not x.size:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(xp.zeros(x.shape + (num_classes,), xp.int64))
    if x.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(x.max()) + 1
    elif x.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((x[..., None] == xp.arange(num_classes)).astype(xp.int64))


# -- pad ---------------------------------------------------------------------------------------------
_MODES = ("constant", "reflect", "replicate", "circular")
_index_rule = lambda F, grad, index, shape: F.index_zeros(grad, index, shape, True)  # noqa: E731
_PAD_NODES = {name: node_class(name, _index_rule) for name in (
    "ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0", "ReplicationPad1DBackward0",
    "ReplicationPad2DBackward0", "ReplicationPad3DBackward0", "CopySlices")}
_ConstantPad = node_class("ConstantPadNdBackward0", lambda F, grad, inner, source, shape: F.index_zeros(
    F.getitem(grad, inner), source, shape, False))


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the trailing dims: ``pad`` lists (left, right) pairs from
    the last dim backwards. Non-constant modes pad the last 1-3 dims of a (batched) input."""
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not hasattr(p, "__index__"):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
    pad = [int(p) for p in pad]
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * x.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)][::-1]  # first padded dim first
    lead = x.ndim - len(pairs)
    if mode == "constant":
        return _constant_pad(input, x, pairs, lead, cast_scalar(0.0 if value is None else float(value), x.dtype))
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pairs)
    if not (1 <= k <= 3 and x.ndim in (k + 1, k + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    if mode == "circular":
        index = [_circular_index(n, left, right) for n, (left, right) in zip(x.shape[lead:], pairs, strict=True)]
        node = "CopySlices"  # torch writes circular padding as copies into slices of the output
    else:
        _check_bounded_pad(x, pairs, lead, mode)
        index = [_bounded_index(n, left, right, mode) for n, (left, right) in zip(x.shape[lead:], pairs, strict=True)]
        if x.dtype.kind == "b":
            kernel = "reflection_pad" if mode == "reflect" else "replication_pad"
            raise NotImplementedError(f"\"{kernel}{k}d\" not implemented for 'Bool'")
        node = f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0"
    key = (slice(None),) * lead + tuple(xp.ix_(*index))
    out = Tensor._make(x[key])
    if input._requires_grad and grad_state.enabled:
        attach(out, _PAD_NODES[node], (input,), {"index": key, "shape": x.shape})
    return out


def _constant_pad(input: Tensor, x: Any, pairs: list[tuple[int, int]], lead: int, value: Any) -> Tensor:
    inner, source, shape = [slice(None)] * lead, [slice(None)] * lead, list(x.shape[:lead])
    for n, (left, right) in zip(x.shape[lead:], pairs, strict=True):
        if n + min(left, 0) < 0 or n + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        size = n + left + right
        inner.append(slice(max(left, 0), size - max(right, 0)))
        source.append(slice(max(-left, 0), n - max(-right, 0)))
        shape.append(size)
    data = xp.full(shape, value, x.dtype)
    inner, source = tuple(inner), tuple(source)
    data[inner] = x[source]
    out = Tensor._make(data)
    if input._requires_grad and grad_state.enabled:
        attach(out, _ConstantPad, (input,), {"inner": inner, "source": source, "shape": x.shape})
    return out


def _check_bounded_pad(x: Any, pairs: list[tuple[int, int]], lead: int, mode: str) -> None:
    """torch's checks for reflection and replication padding."""
    k = len(pairs)
    if any(s == 0 for s in x.shape[1:]) or (x.ndim == k + 1 and x.shape[0] == 0):  # only a batch may be empty
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    sizes = x.shape[lead:]
    if mode == "reflect":
        for i in reversed(range(k)):  # the last dim (argument #4) first
            left, right = pairs[i]
            if left >= sizes[i] or right >= sizes[i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * (k - 1 - i)}: Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({left}, {right}) at dimension {lead + i} of input {list(x.shape)}")
    outs = [n + left + right for n, (left, right) in zip(sizes, pairs, strict=True)]
    if all(o < 1 for o in outs):
        if k == 1:
            message = f"input (W: {sizes[0]}) is too small. Calculated output W: {outs[0]}"
        elif k == 2:
            gap = " " if mode == "replicate" else ""
            message = (f"input (H: {sizes[0]}, W: {sizes[1]}{gap}) is too small. Calculated output "
                       f"H: {outs[0]} W: {outs[1]}")
        else:
            message = (f"input (D: {sizes[0]} H: {sizes[1]}, W: {sizes[2]}) is too small. Calculated output "
                       + " ".join(f"{n}: {o}" for n, o in zip("DHW", outs, strict=True)))
        raise RuntimeError(message)


def _bounded_index(n: int, left: int, right: int, mode: str) -> Any:
    """The input index of each output position along one dim: mirrored or clamped at the edges."""
    i = xp.arange(-left, n + right)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    i = xp.abs(i)
    return xp.where(i >= n, 2 * (n - 1) - i, i)


def _circular_index(n: int, left: int, right: int) -> Any:
    """Wraps around within the input cropped by any negative amounts, as torch's copies do."""
    if left > n or right > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if n + left + right < 0:
        raise RuntimeError("Negative padding value is resulting in an empty dimension")
    start, kept = max(-left, 0), n + min(left, 0) + min(right, 0)
    if left > kept or right > kept:  # torch's copy would read the very elements it writes
        raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor refer "
                           "to a single memory location. Please clone() the tensor before performing the operation.")
    return start + (xp.arange(n + left + right) - max(left, 0)) % max(kept, 1)


for _op in (normalize, cosine_similarity, pairwise_distance, one_hot, pad):
    register(_op)
