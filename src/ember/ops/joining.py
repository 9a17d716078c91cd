"""Joining tensors (cat, stack and their h/v/d/column forms) and splitting them (split, chunk,
unbind, tensor_split, narrow and the h/v/d forms).

cat and stack take any number of inputs, and split and unbind give any number of outputs, so
their nodes are written out here: the gradient of each input of a join is its slice of the
output's gradient; the gradient of a split is its outputs' gradients joined again (zeros for
the outputs no gradient reached). Split outputs are views of their input, as in torch.
"""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd import node as _node
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node
from ember.backend import xp
from ember.ops import indexing, movement
from ember.ops._shape import wrap_dim
from ember.ops.registry import attach, register
from ember.ops.views import view_of
from ember.tensor import Tensor

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "cat", "chunk", "column_stack", "concat", "concatenate",
           "dsplit", "dstack", "hsplit", "hstack", "narrow", "split", "stack", "tensor_split", "unbind", "vsplit",
           "vstack"]


class _Join(Node):
    """The node of cat/stack: input i's gradient is ``grad[keys[i]]`` (None: a skipped input)."""

    __slots__ = ()

    def apply(self, grads: list[Any], needs: Any, as_tensor: bool) -> list[Any]:
        F = _node._F_tensor if as_tensor else _node._F_array
        grad = grads[0]
        return [None if not need else F.getitem(grad, key) if key is not None else
                F.reshape(F.getitem(grad, (slice(0, 0),) * grad.ndim), (0,))  # a skipped 1-d empty input
                for key, need in zip(self._ctx["keys"], needs, strict=False)]


class _Split(Node):
    """The node of split/unbind (one per call, one output per piece): the input's gradient is
    the pieces' gradients joined along ``dim`` (concatenated, or stacked for unbind)."""

    __slots__ = ("_num_outputs",)

    def apply(self, grads: list[Any], needs: Any, as_tensor: bool) -> list[Any]:
        ctx = self._ctx
        dim, shapes = ctx["dim"], ctx["shapes"]
        dtype = self._input_meta[0][1]
        parts = [g if g is not None else (Tensor._make(xp.zeros(s, dtype)) if as_tensor else xp.zeros(s, dtype))
                 for g, s in zip(grads, shapes, strict=False)]
        if as_tensor:
            return [(stack if ctx["stacked"] else cat)(parts, dim)]
        return [(xp.stack if ctx["stacked"] else xp.concatenate)(parts, dim)]


def _node_class(name: str, base: type[Node]) -> type[Node]:
    return type(name, (base,), {"__slots__": ()})


_Cat, _Stack = _node_class("CatBackward0", _Join), _node_class("StackBackward0", _Join)
_SplitNodes = {name: _node_class(name, _Split) for name in
               ("SplitBackward0", "SplitWithSizesBackward0", "UnbindBackward0")}


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    return list(tensors)


def _joined(tensors: list[Tensor], data: Any, cls: type[Node], keys: list[Any]) -> Tensor:
    out = Tensor._make(data)
    if grad_state.enabled and any(t._requires_grad for t in tensors):
        attach(out, cls, tuple(tensors), {"keys": keys})
    return out


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Concatenate along an existing dim (1-d empty tensors are skipped, as torch does)."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("ember.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t.dtype)
    # legacy: 1-d empty tensors are skipped (unless all are such)
    skip = [t._data.shape == (0,) for t in tensors]
    if all(skip):
        skip = [False] * len(tensors)
    kept = [t for t, s in zip(tensors, skip, strict=False) if not s]
    ref = kept[0]._data
    d = wrap_dim(dim, ref.ndim)
    for i, (t, skipped) in enumerate(zip(tensors, skip, strict=False)):
        a = t._data
        if skipped:
            continue
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}")
        for j, (s, r) in enumerate(zip(a.shape, ref.shape, strict=False)):
            if j != d and s != r:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {r} but got "
                                   f"size {s} for tensor number {i} in the list.")
    data = xp.concatenate([t._data for t in kept], d, dtype=dtype.numpy)
    keys, start = [], 0
    for t, skipped in zip(tensors, skip, strict=False):
        n = 0 if skipped else t._data.shape[d]
        keys.append(None if skipped else (slice(None),) * d + (slice(start, start + n),))
        start += n
    return _joined(tensors, data, _Cat, keys)


concat = cat


def concatenate(tensors: Any, axis: int = 0) -> Tensor:
    return cat(tensors, axis)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join along a new dim ``dim``; the tensors must have one shape."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t.dtype)
    data = xp.stack([t._data for t in tensors], d, dtype=dtype.numpy)
    return _joined(tensors, data, _Stack, [(slice(None),) * d + (i,) for i in range(len(tensors))])


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(tensors, lambda t, n: movement.reshape(t, (1,)) if n == 0 else t)


def atleast_2d(*tensors: Any) -> Any:
    return _atleast(tensors, lambda t, n: movement.reshape(t, (1, 1)) if n == 0 else
                    movement.unsqueeze(t, 0) if n == 1 else t)


def atleast_3d(*tensors: Any) -> Any:
    def lift(t: Tensor, n: int) -> Tensor:
        if n == 0:
            return movement.reshape(t, (1, 1, 1))
        if n == 1:
            return movement.unsqueeze(movement.unsqueeze(t, 0), -1)
        return movement.unsqueeze(t, -1) if n == 2 else t

    return _atleast(tensors, lift)


def _atleast(tensors: tuple[Any, ...], lift: Any) -> Any:
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    out = tuple(lift(t, t._data.ndim) for t in tensors)
    return out[0] if len(out) == 1 else out


def _stacked(tensors: Any, op: str, lift: Any, dim: Any) -> Tensor:
    tensors = _tensor_list(tensors, op)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    lifted = [lift(t) for t in tensors]
    return cat(lifted, dim(lifted[0]) if callable(dim) else dim)


def hstack(tensors: Any) -> Tensor:
    """cat along dim 1 (dim 0 for 1-d tensors)."""
    return _stacked(tensors, "hstack", atleast_1d, lambda t: 0 if t._data.ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return _stacked(tensors, "vstack", atleast_2d, 0)


def dstack(tensors: Any) -> Tensor:
    return _stacked(tensors, "dstack", atleast_3d, 2)


def column_stack(tensors: Any) -> Tensor:
    """Tensors of at most 1 dim become columns; cat along dim 1."""
    return _stacked(tensors, "column_stack",
                    lambda t: movement.reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t, 1)


# -- splitting -----------------------------------------------------------------------------------
def _pieces(input: Tensor, dim: int, sizes: list[int], cls: type[Node] | None,
            stacked: bool = False) -> tuple[Tensor, ...]:
    """Views of consecutive pieces of ``sizes`` along ``dim`` (selects when ``stacked``), one
    multi-output node for all of them."""
    x = input._data
    outs, start = [], 0
    for n in sizes:
        key = (slice(None),) * dim + ((start,) if stacked else (slice(start, start + n),))
        outs.append(view_of(Tensor._make(x[key]), input))
        start += n
    if cls is not None and input._requires_grad and grad_state.enabled and outs:
        node = attach(outs[0], cls, (input,), {"dim": dim, "stacked": stacked,
                                                "shapes": tuple(o._data.shape for o in outs)})._grad_fn
        node._num_outputs = len(outs)
        for i, o in enumerate(outs[1:], 1):
            o._grad_fn, o._output_nr, o._requires_grad = node, i, True
    return tuple(outs)


def _split_dim(input: Tensor, dim: int, op: str) -> tuple[int, int]:
    if input._data.ndim == 0:
        raise RuntimeError(f"{op} expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, input._data.ndim)
    return d, input._data.shape[d]


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    if isinstance(split_size_or_sections, int):
        d, size = _split_dim(tensor, dim, "split")
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [min(step, size - s) for s in range(0, size, step)] if step else [0]
        return _pieces(tensor, d, sizes or [0], _SplitNodes["SplitBackward0"])
    sizes = [int(s) for s in split_size_or_sections]
    d, size = _split_dim(tensor, dim, "split_with_sizes")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={sizes}")
    return _pieces(tensor, d, sizes, _SplitNodes["SplitWithSizesBackward0"])


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of equal size (ceil(size / chunks)) along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input._data.shape[wrap_dim(dim, input._data.ndim)]
    step = -(-size // chunks)
    if step == 0:  # an empty dim: torch returns `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, step, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, that dim removed."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, input._data.ndim)
    return _pieces(input, d, [1] * input._data.shape[d], _SplitNodes["UnbindBackward0"], stacked=True)


_Slice = indexing.BASIC["SliceBackward0"]


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``length`` elements from ``start`` along ``dim`` (a view)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim)
    size, start = x.shape[d], int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    start %= size if size else 1
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, d, start, start + length)


def _slice(input: Tensor, dim: int, start: int, stop: int) -> Tensor:
    key = (slice(None),) * dim + (slice(start, stop),)
    x = input._data
    out = view_of(Tensor._make(x[key]), input)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Slice, (input,), {"index": key, "shape": x.shape})
    return out


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along ``dim``: ``n`` nearly equal ones (the first ``size % n`` one longer), or the
    pieces between the given indices. Each piece is its own slice view."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != xp.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{spec.dtype.scalar_name}")
        if spec._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec._data.ndim} dims")
        spec = int(spec._data) if spec._data.ndim == 0 else spec._data.tolist()
    d = wrap_dim(dim, x.ndim)
    size = x.shape[d]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        q, r = divmod(size, spec)
        bounds = [i * q + min(i, r) for i in range(spec + 1)]
    else:
        bounds = [0] + [int(i) for i in spec] + [size]
    clamp = lambda i: min(max(i + size if i < 0 else i, 0), size)  # noqa: E731
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        lo = clamp(lo)
        out.append(_slice(input, d, lo, max(lo, clamp(hi))))
    return tuple(out)


def _directional_split(input: Tensor, spec: Any, op: str, min_dims: int, dim: int) -> tuple[Tensor, ...]:
    n = input._data.ndim
    if n < min_dims:
        raise RuntimeError(f"ember.{op} requires a tensor with at least {min_dims} dimension, but got a tensor with "
                           f"{n} dimensions!")
    if isinstance(spec, int):
        size = input._data.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"ember.{op} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{size} is not divisible by the split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    n = input._data.ndim
    return _directional_split(input, indices_or_sections, "hsplit", 1, 0 if n == 1 else 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _directional_split(input, indices_or_sections, "vsplit", 2, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _directional_split(input, indices_or_sections, "dsplit", 3, 2)


for _op in (cat, stack, hstack, vstack, dstack, column_stack, atleast_1d, atleast_2d, atleast_3d, split, chunk, unbind,
            narrow, tensor_split, hsplit, vsplit, dsplit):
    register(_op)
