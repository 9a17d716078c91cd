"""Tensor: an array plus the autograd fields. No math lives here: the op methods are bound from
``ember.ops`` at package init, and printing lives in ``_tensor_str``."""
from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from ember import dtypes
from ember.autograd import api as autograd_api
from ember.autograd import grad_mode
from ember.autograd.node import AccumulateGrad, Node, _RemovableHandle
from ember.backend import cpu, device

_ndarray = numpy.ndarray
_grad_state = grad_mode.state

_INT_GRAD_MESSAGE = "only Tensors of floating point and complex dtype can require gradients"
_NON_LEAF_GRAD_MESSAGE = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information."
)

class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index: Any) -> Any:
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, other))


class Tensor:
    """A multi-dimensional array that can record the ops applied to it for ``backward()``."""

    # _vc: the version counter, a one-element list shared by a base and its views, bumped by
    # every in-place op; _base: the tensor a view looks into (None unless a view); _view_version:
    # the counter's value when a view's grad_fn was last derived from its base's.
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_hooks", "_accumulator",
                 "_vc", "_base", "_view_version", "__weakref__")

    _data: numpy.ndarray
    _grad_fn: Node | None

    def __new__(cls, *args: Any) -> Tensor:
        # torch.Tensor(2, 3) makes an uninitialised float tensor; torch.Tensor([1, 2]) copies data
        # torch.Tensor(Size([2, 3])) is a shape too, Tensor() an empty 1-d tensor, Tensor(t) an alias of t
        if len(args) == 1 and isinstance(args[0], Tensor):
            data = args[0]._data
        elif len(args) == 1 and not isinstance(args[0], (int, Size)):
            data = numpy.array(args[0]).astype(dtypes.get_default_dtype().numpy, copy=False)
        else:
            data = numpy.empty(args[0] if len(args) == 1 and isinstance(args[0], tuple) else args or (0,),
                               dtypes.get_default_dtype().numpy)
        return cls._make(data)

    @classmethod
    def _make(cls, data: Any, grad_fn: Node | None = None, requires_grad: bool = False) -> Tensor:
        """Wrap an array (the hot path: no checks)."""
        t = object.__new__(cls)
        t._data = data if type(data) is _ndarray else numpy.asarray(data)
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = 0
        t._grad = None
        t._hooks = None
        t._accumulator = None
        t._vc = [0]
        t._base = None
        return t

    # -- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes._BY_NUMPY[self._data.dtype]

    @property
    def device(self) -> device:
        return cpu

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # one UnbindBackward0 node for all rows, as torch

    def __hash__(self) -> int:
        return id(self)

    # -- autograd fields ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            _refresh_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(value, _INT_GRAD_MESSAGE)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _set_requires_grad(self, value: bool, int_message: str) -> None:
        if self._grad_fn is not None:
            if value:
                return  # a non-leaf already requires grad
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(int_message)
        self._requires_grad = bool(value)

    @property
    def grad_fn(self) -> Node | None:
        if self._base is not None:
            _refresh_view(self)
        return self._grad_fn

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def output_nr(self) -> int:
        """Which output of its grad_fn this tensor is."""
        return self._output_nr

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self._grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD_MESSAGE, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.cpp_name}' to a tensor "
                    f"with grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with "
                    "a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes "
                    "of a tensor and its gradient may break downstream systems that assume they match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        fn = self._grad_fn
        return fn is not None and fn._retained is not None and self._output_nr in fn._retained

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None:
            self._grad_fn._retain(self._output_nr, self)

    def _grad_edge(self) -> tuple[Node | None, int]:
        """The edge an op records for this input: its grad_fn, its AccumulateGrad, or None."""
        if self._base is not None:
            _refresh_view(self)
        if self._grad_fn is not None:
            return self._grad_fn, self._output_nr
        if not self._requires_grad:
            return None, 0
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)  # the node holds the tensor; the tensor only a weak ref
        return acc, 0

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``ember.autograd.backward``)."""
        autograd_api.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version counter), cut from the graph."""
        out = Tensor._make(self._data)
        out._vc = self._vc
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """This tensor's data, cut from the graph; writes to it are not seen by autograd's checks."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    # -- conversion -----------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> numpy.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def _scalar(self, kind: type) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return kind(self._data.reshape(()).item())

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            which = "more than one value" if self._data.size else "no values"
            raise RuntimeError(f"Boolean value of Tensor with {which} is ambiguous")
        return bool(self._data.reshape(()).item())

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ember._tensor_str import tensor_repr  # noqa: PLC0415

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # the data and the leaf flag travel; the graph (and the weakref to a grad accumulator) do not
        return _rebuild_tensor, (type(self), self._data, self._requires_grad and self._grad_fn is None)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                "moment.  If you were attempting to deepcopy a module, this may be because of a "
                "ember.nn.utils.weight_norm usage, "
                "see https://github.com/pytorch/pytorch/pull/103001"
            )
        new = type(self)._make(self._data.copy(), None, self._requires_grad)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        return new


# re-derives a view's grad_fn after an in-place op changed its base; bound by ember.ops.views
_refresh_view: Callable[[Tensor], None] = None  # type: ignore[assignment]


def _rebuild_tensor(cls: type, data: numpy.ndarray, requires_grad: bool) -> Tensor:
    t = cls._make(data)
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with torch's IndexError when out of range."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
