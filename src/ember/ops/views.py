"""Views and in-place writes through them, as torch tracks them.

A view op's output shares its input's array *and* version counter and remembers its base (the
tensor that owns the memory). An in-place op on a view rewrites part of the base, so the base's
graph changes too: the base gets a ``CopySlices`` node (the in-place op's node applied to the
written region, the base's old gradient flowing through elsewhere) and the view an
``AsStridedBackward0`` node reading its region of the base. Other views of the same base re-derive
their grad_fn lazily, when they see the version counter has moved.

Regions are described by memory layout (offset and strides into the base's buffer), so any chain
of view ops maps to one ``Geometry``.
"""
from __future__ import annotations

from typing import Any

from ember import tensor as _tensor_module
from ember.autograd import node as _node
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node
from ember.backend import xp
from ember.ops.registry import attach, node_class
from ember.tensor import Tensor

VIEW_OF_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def view_of(out: Tensor, input: Tensor) -> Tensor:
    """Mark ``out`` as a view of ``input``'s base: same version counter, same base."""
    out._vc = input._vc
    out._base = input._base if input._base is not None else input
    out._view_version = input._vc[0]
    return out


class Geometry:
    """Where a view's elements sit in its base's buffer: offsets and strides in one flat buffer
    that spans the base's memory, so a gradient laid out like the base can be read or written
    at the view's positions."""

    __slots__ = ("size", "base", "view")

    def __init__(self, view_data: Any, base_data: Any) -> None:
        low, high = xp.lib.array_utils.byte_bounds(base_data)
        item = base_data.itemsize
        self.size = (high - low) // item
        self.base = ((base_data.ctypes.data - low) // item, base_data.shape, base_data.strides)
        self.view = ((view_data.ctypes.data - low) // item, view_data.shape, view_data.strides)

    @staticmethod
    def _at(flat: Any, layout: tuple[int, tuple[int, ...], tuple[int, ...]]) -> Any:
        offset, shape, strides = layout
        return xp.lib.stride_tricks.as_strided(flat[offset:], shape, strides)

    def gather(self, base_like: Any) -> Any:
        """The view's elements of an array shaped like the base."""
        flat = xp.zeros(self.size, base_like.dtype)
        self._at(flat, self.base)[...] = base_like
        return self._at(flat, self.view).copy()

    def scatter(self, base_like: Any, values: Any, dtype: Any) -> Any:
        """A copy of ``base_like`` (zeros when None) with the view's elements set to ``values``."""
        flat = xp.zeros(self.size, dtype)
        if base_like is not None:
            self._at(flat, self.base)[...] = base_like
        self._at(flat, self.view)[...] = values
        return self._at(flat, self.base).copy()


# The two differentiable ops the rules below need on Tensors (create_graph through a view write).
_Gather = node_class("AsStridedBackward0", lambda F, grad, geometry: F.strided_scatter(None, grad, geometry))
_Scatter = node_class(
    "AsStridedScatterBackward0",
    lambda F, grad, geometry: F.strided_scatter(grad, 0.0, geometry),
    lambda F, grad, geometry: F.strided_gather(grad, geometry),
)


def strided_gather(input: Tensor, geometry: Geometry) -> Tensor:
    out = Tensor._make(geometry.gather(input._data))
    if input._requires_grad and grad_state.enabled:
        attach(out, _Gather, (input,), {"geometry": geometry})
    return out


def strided_scatter(input: Tensor | None, values: Any, geometry: Geometry) -> Tensor:
    ref = values if input is None else input
    dtype = ref._data.dtype if isinstance(ref, Tensor) else xp.float32
    out = Tensor._make(geometry.scatter(None if input is None else input._data,
                                        values._data if isinstance(values, Tensor) else values, dtype))
    needs = (input is not None and input._requires_grad) or getattr(values, "_requires_grad", False)
    if needs and grad_state.enabled:
        attach(out, _Scatter, (input, values), {"geometry": geometry})
    return out


class CopySlices(Node):
    """The grad_fn of a base written through one of its views by node ``fn``: the gradient of the
    written region goes through ``fn``; everywhere else it flows to the base's previous grad_fn."""

    __slots__ = ("fn", "geometry")

    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        F = _node._F_tensor if as_tensor else _node._F_array
        grad = grads[0]
        fn = self.fn
        inner = fn.apply([F.strided_gather(grad, self.geometry)], needs, as_tensor)
        written = inner[0]
        if written is not None:
            written = F.conform(written, fn._input_meta[0])
        base_grad = F.strided_scatter(grad, 0.0 if written is None else written, self.geometry) if needs[0] else None
        return [base_grad, *inner[1:]]

    def release(self) -> None:
        self.fn.release()


def _strided_node(view: Tensor, base: Tensor) -> Node:
    """A view's grad_fn read off its base's current grad_fn."""
    out = Tensor._make(view._data)
    attach(out, _Gather, (base,), {"geometry": Geometry(view._data, base._data)})
    return out._grad_fn  # type: ignore[return-value]


def refresh(view: Tensor) -> None:
    """Re-derive a view's grad_fn if its base was written in place since it was last derived."""
    version = view._vc[0]
    if view._view_version == version:
        return
    view._view_version = version
    base = view._base
    if view._requires_grad and base._requires_grad:
        view._grad_fn, view._output_nr = _strided_node(view, base), 0


def record_write(self: Tensor, fn: Node) -> None:
    """After node ``fn`` wrote ``self`` in place: make it the grad_fn of ``self`` (and, for a view,
    route the base's graph through it)."""
    base = self._base
    if base is None:
        self._grad_fn, self._output_nr, self._requires_grad = fn, 0, True
        return
    cs = CopySlices.__new__(CopySlices)
    cs._pre_hooks = cs._hooks = cs._retained = None
    cs._versions = ()
    cs._ctx = {}
    cs.fn, cs.geometry = fn, Geometry(self._data, base._data)
    cs.next_functions = (base._grad_edge(), *fn.next_functions[1:])
    cs._input_meta = ((base._data.shape, base._data.dtype), *fn._input_meta[1:])
    base._grad_fn, base._output_nr, base._requires_grad = cs, 0, True
    self._grad_fn, self._output_nr, self._requires_grad = _strided_node(self, base), 0, True


def check_writable(self: Tensor) -> None:
    """torch's refusals for in-place writes: a view of a leaf that requires grad (while grad mode
    is on), and a tensor whose elements share memory (an expanded view)."""
    base = self._base
    if base is not None:
        if grad_state.enabled and base._grad_fn is None and base._requires_grad:
            raise RuntimeError(VIEW_OF_LEAF_MESSAGE)
        if any(st == 0 and n > 1 for st, n in zip(self._data.strides, self._data.shape)):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to a single memory "
                "location. Please clone() the tensor before performing the operation."
            )


_tensor_module._refresh_view = refresh
