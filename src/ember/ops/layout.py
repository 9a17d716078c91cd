"""Memory-layout queries (stride, is_contiguous, storage_offset, data_ptr) and as_strided, the
view that takes a layout as given.

Strides are NumPy's, in elements. Where NumPy gives a size-1 dim stride 0 (a new axis, from
unsqueeze, None or expand), ``stride()`` reports the stride torch gives it instead: the step over
the dims after it (it never matters for addressing).
"""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import wrap_dim
from ember.ops.registry import attach, node_class, register
from ember.ops.views import view_of
from ember.tensor import Tensor


def stride(input: Tensor, dim: int | None = None) -> Any:
    """The step, in elements, between neighbours along each dim."""
    x = input._data
    item = x.itemsize
    out = [s // item for s in x.strides]
    after = 1
    for i in range(len(out) - 1, -1, -1):
        if out[i] == 0 and x.shape[i] == 1:
            out[i] = after
        after = out[i] * x.shape[i]
    if dim is None:
        return tuple(out)
    if not out:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return out[wrap_dim(dim, len(out))]


def is_contiguous(input: Tensor, memory_format: Any = None) -> bool:
    return bool(input._data.flags.c_contiguous)


def data_ptr(input: Tensor) -> int:
    """The address of the first element (a view at offset 0 shares its base's; 0 when empty)."""
    x = input._data
    return x.__array_interface__["data"][0] if x.size else 0


def storage_offset(input: Tensor) -> int:
    """How many elements past its base's first element this tensor starts."""
    base = input._base
    if base is None:
        return 0
    start = input._data.__array_interface__["data"][0]
    return (start - base._data.__array_interface__["data"][0]) // input._data.itemsize


_stride, _offset = stride, storage_offset  # as_strided's parameters hide these names there


_AsStrided = node_class(
    "AsStridedBackward0",  # each output element's gradient goes to the input element sharing its memory
    lambda F, grad, mask, index, size, shape: F.reshape(F.index_zeros(F.getitem(grad, mask), (index,), (size,), True),
                                                        shape),
)


def _positions(count: int, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    """The storage position of every element of a layout (strides in elements)."""
    flat = xp.arange(count, dtype=xp.int64)
    return xp.lib.stride_tricks.as_strided(flat[offset:], shape, tuple(s * flat.itemsize for s in strides))


def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s memory with the given sizes, strides and offset (in elements, from
    the start of the memory ``input`` shares with its base)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    base = input._base if input._base is not None else input
    memory = base._data
    if not memory.flags.c_contiguous:
        raise RuntimeError("as_strided: ember needs the memory of the tensor's base to be contiguous")
    offset = _offset(input) if storage_offset is None else int(storage_offset)
    item = memory.itemsize
    span = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) + 1 if all(size) else offset
    if span > memory.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {span * item} are out of bounds for storage "
                           f"of size {memory.size * item}")
    flat = memory.reshape(-1)
    out = view_of(Tensor._make(xp.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * item for s in stride))),
                  input)
    if input._requires_grad and grad_state.enabled:
        x = input._data
        inverse = xp.full(memory.size, -1, xp.int64)  # storage position -> the input element there
        inverse[_positions(memory.size, _offset(input), x.shape, _stride(input)).ravel()] = xp.arange(x.size)
        index = inverse[_positions(memory.size, offset, size, stride)]
        mask = index >= 0  # elements outside the input's own memory get no gradient (as in torch)
        attach(out, _AsStrided, (input,), {"mask": mask, "index": index[mask], "size": x.size, "shape": x.shape})
    return out


register(as_strided)
