"""Ops that copy elements into a new arrangement: flip, roll, rot90, repeat/tile,
repeat_interleave; and diff and meshgrid, built from other ops as torch builds them.
"""
from __future__ import annotations

import warnings
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import elementwise, index_ops, inplace, joining, movement
from ember.ops._shape import shape_arg, wrap_dim, wrap_dims
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["diff", "flip", "fliplr", "flipud", "meshgrid", "repeat_interleave", "roll", "rot90", "tile"]


def _record(out: Tensor, input: Tensor, cls: Any, ctx: dict[str, Any]) -> Tensor:
    if input._requires_grad and grad_state.enabled:
        attach(out, cls, (input,), ctx)
    return out


_Flip = node_class("FlipBackward0", lambda F, grad, dims: F.flip(grad, dims))


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in torch)."""
    x = input._data
    axes = tuple(wrap_dims(shape_arg(dims), x.ndim)) if x.ndim else ()
    return _record(Tensor._make(xp.flip(x, axes).copy()), input, _Flip, {"dims": axes})


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


_Roll = node_class("RollBackward0", lambda F, grad, back, dims: F.roll(grad, back, dims))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` by ``shifts``, wrapping around (flattened when dims is None)."""
    x = input._data
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    given = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if (dims is None and len(shifts) != 1) or (dims is not None and len(shifts) != len(given)):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(given)}")
    axes = None if dims is None else tuple(wrap_dim(d, x.ndim) for d in given)
    forward = shifts[0] if axes is None else shifts
    back = -shifts[0] if axes is None else tuple(-s for s in shifts)
    return _record(Tensor._make(xp.roll(x, forward, axes)), input, _Roll, {"back": back, "dims": axes})


def _rot90(F: Any, a: Any, k: int, d0: int, d1: int) -> Any:
    """rot90 as torch composes it from flips and a transpose."""
    k %= 4
    if k == 1:
        return F.transpose(F.flip(a, (d1,)), d0, d1)
    if k == 2:
        return F.flip(a, (d0, d1))
    if k == 3:
        return F.transpose(F.flip(a, (d0,)), d0, d1)
    return a


_Rot90 = node_class("Rot90Backward0", lambda F, grad, k, d0, d1: _rot90(F, grad, -k, d0, d1))


class _Arrays:
    """The array ops ``_rot90`` composes, for the forward."""

    flip = staticmethod(lambda a, dims: xp.flip(a, dims).copy())
    transpose = staticmethod(lambda a, d0, d1: a.swapaxes(d0, d1))


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times, from the first towards the second of ``dims``."""
    x = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = wrap_dim(dims[0], x.ndim), wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    data = _rot90(_Arrays, x, k, d0, d1)
    out = Tensor._make(data.copy() if data is x else data)
    return _record(out, input, _Rot90, {"k": k, "d0": d0, "d1": d1})


def _repeat_rule(F: Any, grad: Any, split: tuple[int, ...], axes: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    # each output dim is (repeat, original size) laid end to end: sum over the repeats
    return F.reshape(F.sum(F.reshape(grad, split), axes), shape)


_Repeat = node_class("RepeatBackward0", _repeat_rule)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile ``input`` ``sizes[i]`` times along dim i (leading sizes add dims)."""
    x = input._data
    reps = shape_arg(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    padded = (1,) * (len(reps) - x.ndim) + x.shape
    target = [r * s for r, s in zip(reps, padded, strict=False)]
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(target)}: {target}")
    out = Tensor._make(xp.tile(x.reshape(padded), reps))
    split = tuple(n for pair in zip(reps, padded, strict=False) for n in pair)
    return _record(out, input, _Repeat, {"split": split, "axes": tuple(range(0, len(split), 2)), "shape": x.shape})


def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ones prepended to ``dims`` when it is shorter than the tensor's dims."""
    reps = tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(reps)) + reps)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``; flattened when dim is None) ``repeats``
    times, an int or one count per element. ``repeat_interleave(counts)`` repeats indices."""
    if repeats is None:  # torch.repeat_interleave(repeats): the indices, each repeated
        counts = input
        return repeat_interleave(Tensor._make(xp.arange(counts._data.size)), counts)
    if dim is None:
        input, dim = movement.reshape(input, -1), 0
    d = wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.scalar_name}'")
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        size = input._data.shape[d]
        if r.size == 1:
            r = xp.broadcast_to(r.reshape(1), (size,))
        elif r.size != size:
            raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({d}) = {size}")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        return index_ops.index_select(input, d, Tensor._make(xp.repeat(xp.arange(size), r)))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = input._data.shape
    grown = movement.unsqueeze(input, d + 1)
    grown = movement.expand(grown, shape[: d + 1] + (repeats,) + shape[d + 1:])
    return movement.reshape(movement.clone(grown), shape[:d] + (shape[d] * repeats,) + shape[d + 1:])


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (after joining ``prepend`` and ``append``)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, x.ndim)
    parts = []
    for extra in (prepend, append):
        if extra is None:
            continue
        e = extra._data
        if e.ndim != x.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i, (a, b) in enumerate(zip(x.shape, e.shape, strict=False)):
            if i != d and a != b:
                raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input "
                                   f"except along the differencing dimension; input.size({i}) = {a}, but got "
                                   f"tensor.size({i}) = {b}")
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        input = joining.cat(parts, d)
    if n == 0:
        return inplace.copy_(Tensor._make(xp.zeros_like(input._data)), input)
    length = input._data.shape[d]
    result = input
    for _ in range(min(n, length)):
        length -= 1
        hi, lo = joining.narrow(result, d, 1, length), joining.narrow(result, d, 0, length)
        result = elementwise.bitwise_xor(hi, lo) if x.dtype == bool else elementwise.sub(hi, lo)
    return result


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids: output i holds input i's values along dim i, repeated along the others
    (``indexing='xy'`` swaps the first two dims)."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'ember.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"ember.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0, *range(2, len(tensors))] if swap else list(range(len(tensors)))
    ordered = [tensors[i] for i in order]
    shape = tuple(t._data.size for t in ordered)
    grids = [movement.expand(movement.reshape(t, tuple(-1 if j == i else 1 for j in range(len(shape)))), shape)
             for i, t in enumerate(ordered)]
    return tuple(grids[i] for i in order)


for _op in (flip, fliplr, flipud, roll, rot90, repeat, tile, repeat_interleave, diff, meshgrid):
    register(_op)
