"""``Parameter`` and ``Buffer``: tensors that a ``Module`` registers when they are assigned to it."""
from __future__ import annotations

from typing import Any

from ember import creation
from ember.tensor import Tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter: assigned to a ``Module`` attribute, it joins
    ``parameters()``. It shares ``data``'s memory, is a leaf, and requires grad by default.

    Args:
        data: the parameter's tensor (an empty float tensor when None).
        requires_grad: whether the parameter requires gradient. Default: True.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = creation.empty(0)
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        param = cls._make(data._data, None, bool(requires_grad))
        param._vc = data._vc  # shares memory, so shares the version counter (torch's _make_subclass)
        return param

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)  # torch copies no .grad here
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto: Any) -> Any:
        # the data alone (as torch's _rebuild_parameter): no .grad, no autograd bookkeeping
        return type(self), (self.detach(), self.requires_grad)

    def __repr__(self) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that a ``Module`` registers as a buffer when assigned to one of its attributes.

    Args:
        data: the buffer's tensor (an empty float tensor when None); shared, not copied.
        persistent: whether the buffer is part of the module's ``state_dict``. Default: True.
    """

    persistent: bool

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        if data is None:
            data = creation.empty(0)
        buf = cls._make(data._data, None, data.requires_grad)
        buf._vc = data._vc
        buf.persistent = persistent
        return buf
