"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_`` ...): the out-of-place op's result
written into the tensor's own array, so views of it see the change.

When the op is recorded, the tensor takes the new node as its ``grad_fn`` (it stops being a
leaf); a leaf that requires grad is refused while grad mode is on, as in torch.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import elementwise, views
from ember.ops.registry import attach, node_class, operands, register
from ember.tensor import Tensor

__all__ = ["add_", "clamp_", "copy_", "div_", "divide_", "fill_", "mul_", "multiply_", "pow_", "sub_", "subtract_",
           "zero_"]

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_leaf(self: Tensor, other_requires_grad: bool = False) -> bool:
    """Whether the write must be recorded; raises where torch refuses it."""
    views.check_writable(self)
    if not grad_state.enabled:
        return False
    if self._requires_grad and self._grad_fn is None:  # a leaf (a view made a leaf by requires_grad_ too)
        raise RuntimeError(_LEAF_MESSAGE if self._base is None else views.VIEW_OF_LEAF_MESSAGE)
    return self.requires_grad or other_requires_grad


def _stand_in(self: Tensor) -> Tensor:
    """A tensor carrying ``self``'s current edge and data, for the node of a write into ``self``."""
    stand_in = Tensor._make(self._data)
    stand_in._grad_fn, stand_in._output_nr, stand_in._requires_grad = self.grad_fn, self._output_nr, self.requires_grad
    return stand_in


def _written(self: Tensor, fn: Any) -> Tensor:
    """Bookkeeping after ``self``'s array was written: bump the version, record ``fn`` if any."""
    self._vc[0] += 1
    if fn is not None:
        views.record_write(self, fn)
    if self._base is not None:
        self._view_version = self._vc[0]
    return self


def _can_cast(src: Any, dst: Any) -> bool:
    """torch's rule for writing a result into an existing tensor: no float -> int, no number -> bool."""
    return not ((src.kind == "f" and dst.kind != "f") or (src.kind != "b" and dst.kind == "b"))


def _write(self: Tensor, out: Tensor) -> Tensor:
    """Store ``out`` (the out-of-place result) into ``self``, taking over its node if recorded."""
    x, r = self._data, out._data
    if not _can_cast(r.dtype, x.dtype):
        raise RuntimeError(
            f"result type {dtypes._BY_NUMPY[r.dtype].scalar_name} can't be cast to the desired output type "
            f"{dtypes._BY_NUMPY[x.dtype].scalar_name}"
        )
    if r.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(r.shape)}")
    x[...] = r
    return _written(self, out._grad_fn)


def _inplace(op: Callable[..., Tensor], name: str, into: Callable[..., bool] | None = None) -> Callable[..., Tensor]:
    """The in-place method of ``op``. ``into(self, *args, **kwargs)``, where given, writes the result
    straight into ``self``'s array when nothing is recorded, and says whether it could."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not _check_leaf(self, any(getattr(a, "_requires_grad", False) for a in args)):
            if into is not None and into(self, *args, **kwargs):
                return _written(self, None)
            prev, grad_state.enabled = grad_state.enabled, False
            try:
                return _write(self, op(self, *args, **kwargs))
            finally:
                grad_state.enabled = prev
        stand_in = _stand_in(self)
        out = op(stand_in, *args, **kwargs)
        fn = out._grad_fn
        if fn is None:  # the op records nothing (a comparison, a logical op)
            return _write(self, out)
        if any(v is stand_in for v in fn._ctx.values()):
            # the node saved `self` for its rules: keep the values from before the write
            stand_in._data, stand_in._vc = self._data.copy(), [0]
            fn._versions = tuple((t, t._vc, t._vc[0]) if t is stand_in else (t, c, v) for t, c, v in fn._versions)
        _write(self, out)
        if "result" in fn._ctx:
            # the saved result is now `self`'s value: watch `self`'s counter from here on
            fn._ctx["result"] = self._data
            fn._versions = tuple((self._data, self._vc, self._vc[0]) if c is out._vc else (t, c, v)
                                 for t, c, v in fn._versions)
        return self

    method.__name__ = method.__qualname__ = name
    return register(method)


def _ufunc_into(ufunc: Any, int_to_float: bool = False) -> Callable[..., bool]:
    """``ufunc(self, other, out=self)``: one pass, no new array, where that is what the op computes
    (the result in ``self``'s dtype and shape; ``alpha`` scales ``other`` first, as the op does)."""

    def into(self: Tensor, other: Any, *, alpha: Any = 1, rounding_mode: Any = None) -> bool:
        x = self._data
        if rounding_mode is not None or x.dtype.kind == "b" or (alpha != 1 and x.dtype.kind != "f"):
            return False
        a, y = operands(self, other, int_to_float)
        if a is not x:  # the result has another dtype than self
            return False
        if alpha != 1:
            y = alpha * y
        try:
            ufunc(x, y, out=x)
        except ValueError:  # other broadcasts self to a larger shape: the op raises torch's error
            return False
        return True

    return into


add_ = _inplace(elementwise.add, "add_", _ufunc_into(xp.add))
sub_ = _inplace(elementwise.sub, "sub_", _ufunc_into(xp.subtract))
mul_ = _inplace(elementwise.mul, "mul_", _ufunc_into(xp.multiply))
div_ = _inplace(elementwise.div, "div_", _ufunc_into(xp.true_divide, int_to_float=True))
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
        node = _node(_FillTensor, (_stand_in(self), value), {"dims": tuple(range(self._data.ndim))}) if record else None
        return _written(self, node)
    return _fill(self, value, _Fill)


def _fill(self: Tensor, value: Any, cls: Any) -> Tensor:
    record = _check_leaf(self)
    self._data[...] = value
    return _written(self, _node(cls, (_stand_in(self),), {}) if record else None)


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
    return _written(self, _node(_Copy, (_stand_in(self), src), {}) if record else None)


def _node(cls: Any, inputs: tuple[Any, ...], ctx: dict[str, Any]) -> Any:
    """A ``cls`` node over ``inputs``, for a write whose output is the written tensor itself."""
    return attach(Tensor._make(inputs[0]._data), cls, inputs, ctx)._grad_fn


for _op in (zero_, fill_, copy_):
    register(_op)
