"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_`` ...): the out-of-place op's result
written into the tensor's own array, so views of it see the change.

When the op is recorded, the tensor takes the new node as its ``grad_fn`` (it stops being a
leaf); a leaf that requires grad is refused while grad mode is on, as in torch.
"""
from __future__ import annotations

from typing import Any, Callable

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import elementwise
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["add_", "clamp_", "copy_", "div_", "divide_", "fill_", "mul_", "multiply_", "pow_", "sub_", "subtract_",
           "zero_"]

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_leaf(self: Tensor, other_requires_grad: bool = False) -> bool:
    """Whether the op must be recorded; raises for a leaf that requires grad."""
    if not grad_state.enabled:
        return False
    if self._requires_grad and self._grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)
    return self._requires_grad or other_requires_grad


def _can_cast(src: Any, dst: Any) -> bool:
    """torch's rule for writing a result into an existing tensor: no float -> int, no number -> bool."""
    return not ((src.kind == "f" and dst.kind != "f") or (src.kind != "b" and dst.kind == "b"))


def _write(self: Tensor, out: Tensor) -> Tensor:
    """Store ``out`` (the out-of-place result) into ``self``, taking over its node if recorded."""
    x, r = self._data, out._data
    if not _can_cast(r.dtype, x.dtype):
        raise RuntimeError(
            f"result type {_TYPE_NAMES[dtypes._BY_NUMPY[r.dtype].name]} can't be cast to the desired output type "
            f"{_TYPE_NAMES[dtypes._BY_NUMPY[x.dtype].name]}"
        )
    if r.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(r.shape)}")
    x[...] = r
    if out._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
    return self


def _inplace(op: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not _check_leaf(self, any(getattr(a, "_requires_grad", False) for a in args)):
            prev, grad_state.enabled = grad_state.enabled, False
            try:
                return _write(self, op(self, *args, **kwargs))
            finally:
                grad_state.enabled = prev
        # the node may save `self` for its rules: give it a stand-in whose array we won't overwrite
        stand_in = Tensor._make(self._data, self._grad_fn, self._requires_grad)
        stand_in._output_nr = self._output_nr
        out = op(stand_in, *args, **kwargs)
        if any(v is stand_in for v in out._grad_fn._ctx.values()):
            stand_in._data = self._data.copy()
        return _write(self, out)

    method.__name__ = method.__qualname__ = name
    return register(method)


add_ = _inplace(elementwise.add, "add_")
sub_ = _inplace(elementwise.sub, "sub_")
mul_ = _inplace(elementwise.mul, "mul_")
div_ = _inplace(elementwise.div, "div_")
pow_ = _inplace(elementwise.pow, "pow_")
subtract_, multiply_, divide_ = sub_, mul_, div_


clamp_ = _inplace(elementwise.clamp, "clamp_")


_Zero = node_class("ZeroBackward0", lambda F, grad: grad * 0)
_Fill = node_class("FillBackward2", lambda F, grad: grad * 0)
_FillTensor = node_class("FillBackward3", lambda F, grad: grad * 0,
                         lambda F, grad, dims: F.reshape(F.sum(grad, dims, True), ()))  # value: grad.sum()
_Copy = node_class("CopyBackwards", lambda F, grad: grad * 0, lambda F, grad: grad)


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros."""
    return _fill(self, 0, _Zero)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        record = _check_leaf(self, value._requires_grad)
        self._data[...] = value._data
        if record:
            attach(self, _FillTensor, (_edge_of(self), value), {"dims": tuple(range(self._data.ndim))})
        return self
    return _fill(self, value, _Fill)


def _fill(self: Tensor, value: Any, cls: Any) -> Tensor:
    record = _check_leaf(self)
    self._data[...] = value
    if record:
        attach(self, cls, (_edge_of(self),), {})
    return self


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values (broadcast, and cast to this tensor's dtype) into this tensor."""
    record = _check_leaf(self, getattr(src, "_requires_grad", False))
    data = src._data if isinstance(src, Tensor) else xp.asarray(src)
    try:
        self._data[...] = xp.broadcast_to(data, self._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match the size of tensor b "
            f"({data.shape[-1] if data.ndim else 1}) at non-singleton dimension {max(self._data.ndim - 1, 0)}"
        ) from None
    if record:
        attach(self, _Copy, (_edge_of(self), src), {})
    return self


def _edge_of(self: Tensor) -> Tensor:
    """A stand-in carrying ``self``'s current edge, so the new node links to the old graph."""
    stand_in = Tensor._make(self._data, self._grad_fn, self._requires_grad)
    stand_in._output_nr = self._output_nr
    return stand_in


for _op in (zero_, fill_, copy_):
    register(_op)
