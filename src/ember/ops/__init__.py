"""The op families, the rule namespace on Tensors, and the Tensor methods bound to the ops."""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd import node as _node
from ember.backend import xp
from ember.ops import elementwise, indexing, inplace, linalg, movement, reduction, views
from ember.ops._shape import sum_to
from ember.ops.elementwise import *  # noqa: F403
from ember.ops.indexing import gather, getitem
from ember.ops.inplace import *  # noqa: F403
from ember.ops.linalg import bmm, dot, matmul, mm, mv
from ember.ops.movement import (clone, contiguous, expand, expand_as, flatten, permute, reshape, squeeze,
                                sum_to_size, swapaxes, swapdims, t, to, transpose, type_as, unsqueeze, view)
from ember.ops.reduction import amax, amin, max, mean, min, sum  # noqa: A004
from ember.ops.registry import OPS, F_array
from ember.tensor import Tensor


class F_tensor:
    """The rule namespace on Tensors: ember ops, so a backward run under ``create_graph=True``
    records its own graph. Same names and meanings as ``F_array``."""

    exp, log, sin, cos, sign, where, matmul = (elementwise.exp, elementwise.log, elementwise.sin, elementwise.cos,
                                                elementwise.sign, elementwise.where, linalg.matmul)
    reshape, expand, transpose, permute = movement.reshape, movement.expand, movement.transpose, movement.permute
    unsqueeze, squeeze, sum, gather = movement.unsqueeze, movement.squeeze, reduction.sum, indexing.gather
    scatter_zeros, index_zeros, getitem = indexing.scatter_zeros, indexing.index_zeros, indexing.getitem
    strided_gather, strided_scatter = views.strided_gather, views.strided_scatter

    @staticmethod
    def conform(grad: Tensor, meta: tuple[tuple[int, ...], Any]) -> Tensor:
        shape, dtype = meta
        if grad._data.shape != shape:
            grad = movement.sum_to_size(grad, shape)
        if grad._data.dtype != dtype:
            grad = movement.to(grad, dtypes._BY_NUMPY[dtype])
        return grad

    @staticmethod
    def as_tensor(grad: Tensor) -> Tensor:
        return grad

    @staticmethod
    def from_tensor(t: Tensor) -> Tensor:
        return t


# F_array's counterparts of the Tensor-only helpers
F_array.permute = staticmethod(lambda a, dims: a.transpose(dims))  # type: ignore[attr-defined]
F_array.getitem = staticmethod(lambda a, index: a[index])  # type: ignore[attr-defined]
F_array.sum_to = staticmethod(sum_to)  # type: ignore[attr-defined]
_node.bind(Tensor, xp.ndarray, F_array, F_tensor)


def _bind_methods() -> None:
    """Give Tensor its op methods and operators (Tensor itself imports no op)."""
    E = elementwise
    methods: dict[str, Any] = {
        "__neg__": E.neg, "__abs__": E.abs, "__add__": E.add, "__radd__": E.add, "__sub__": E.sub,
        "__rsub__": E.rsub, "__mul__": E.mul, "__rmul__": E.mul, "__truediv__": E.div,
        "__rtruediv__": E._rtruediv, "__pow__": E.pow, "__rpow__": E._rpow, "__matmul__": linalg.matmul,
        "__rmatmul__": lambda self, other: linalg.matmul(other, self),
        "__eq__": E.eq, "__ne__": E.ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt, "__ge__": E.ge,
        "__and__": E.bitwise_and, "__or__": E.bitwise_or, "__xor__": E.bitwise_xor, "__invert__": E.bitwise_not,
        "__rand__": E.bitwise_and, "__ror__": E.bitwise_or, "__rxor__": E.bitwise_xor,
        "__getitem__": indexing.getitem,
        "__iadd__": inplace.add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_, "__itruediv__": inplace.div_,
        "float": movement.float_, "double": movement.double, "half": movement.half, "long": movement.long,
        "int": movement.int_, "bool": movement.bool_, "short": movement.short, "char": movement.char,
        "byte": movement.byte,
        "T": property(movement._T_property), "mT": property(movement._mT),
        "abs_": inplace._inplace(E.abs, "abs_"), "neg_": inplace._inplace(E.neg, "neg_"),
        "exp_": inplace._inplace(E.exp, "exp_"), "sqrt_": inplace._inplace(E.sqrt, "sqrt_"),
        "relu_": inplace._inplace(E.relu, "relu_"), "sigmoid_": inplace._inplace(E.sigmoid, "sigmoid_"),
        "tanh_": inplace._inplace(E.tanh, "tanh_"), "clip_": inplace.clamp_,
        "clamp_min": E.clamp_min, "clamp_max": E.clamp_max,
    }
    plain = ("neg abs exp log sqrt sin cos tanh sigmoid relu sign reciprocal add sub mul div pow rsub clamp clip "
             "eq ne lt le gt ge maximum minimum logical_not bitwise_not bitwise_and bitwise_or bitwise_xor "
             "greater greater_equal less less_equal not_equal multiply divide subtract true_divide where "
             "sum mean max min amax amin matmul mm mv dot bmm view reshape flatten transpose swapaxes swapdims t "
             "permute unsqueeze squeeze expand expand_as sum_to_size clone contiguous to type_as gather "
             "add_ sub_ mul_ div_ pow_ zero_ fill_ copy_ clamp_ subtract_ multiply_ divide_")
    namespace = globals()
    for name in plain.split():
        methods[name] = namespace[name] if name in namespace else getattr(E, name)
    methods["where"] = lambda self, condition, other: E.where(condition, self, other)
    methods["view_as"] = lambda self, other: movement.view(self, other._data.shape)
    methods["reshape_as"] = lambda self, other: movement.reshape(self, other._data.shape)
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


_bind_methods()
negative, absolute = elementwise.neg, elementwise.abs
# the public functions: ember.add, ember.matmul ... (in-place ops are methods only)
__all__ = sorted(n for n in OPS if n in globals() and not n.endswith("_") and n != "getitem") + [
    "negative", "absolute", "clamp_min", "clamp_max", "true_divide", "clip", "swapaxes", "swapdims"]
