"""The op families, the rule namespace on Tensors, and the Tensor methods bound to the ops."""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd import node as _node
from ember.backend import xp
from ember.ops import (
    activation,
    cumulative,
    decompositions,
    diagonals,
    elementwise,
    elementwise_binary,
    elementwise_math,
    index_ops,
    indexing,
    inplace,
    layout,
    linalg,
    linalg_norms,
    minmax,
    movement,
    nn_ops,
    norms,
    rearrange,
    reduction,
    sampling,
    scatter_gather,
    sorting,
    views,
)
from ember.ops._shape import sum_to
from ember.ops.activation import celu, hardshrink, selu, threshold
from ember.ops.contractions import einsum, kron, tensordot
from ember.ops.cumulative import cummax, cummin, cumprod, cumsum
from ember.ops.decompositions import det, inverse, logdet, slogdet
from ember.ops.diagonals import diag, diag_embed, diagonal, trace, tril, triu
from ember.ops.elementwise import *  # noqa: F403
from ember.ops.elementwise_binary import *  # noqa: F403
from ember.ops.elementwise_logic import *  # noqa: F403
from ember.ops.elementwise_math import *  # noqa: F403
from ember.ops.elementwise_ternary import *  # noqa: F403
from ember.ops.index_ops import *  # noqa: F403
from ember.ops.indexing import *  # noqa: F403
from ember.ops.indexing import getitem
from ember.ops.inplace import *  # noqa: F403
from ember.ops.joining import *  # noqa: F403
from ember.ops.layout import as_strided
from ember.ops.linalg import addbmm, addmm, addmv, addr, baddbmm, bmm, dot, ger, matmul, mm, mv, outer, vdot
from ember.ops.linalg_norms import cdist, cross
from ember.ops.minmax import amax, amin, aminmax, argmax, argmin, max, min  # noqa: A004
from ember.ops.movement import (
    adjoint,
    broadcast_to,
    clone,
    contiguous,
    expand,
    expand_as,
    flatten,
    moveaxis,
    movedim,
    permute,
    reshape,
    squeeze,
    sum_to_size,
    swapaxes,
    swapdims,
    t,
    to,
    transpose,
    type_as,
    unflatten,
    unsqueeze,
    view,
)
from ember.ops.multinomial import multinomial, multinomial_method
from ember.ops.nn_ops import cosine_similarity, pairwise_distance
from ember.ops.norms import norm
from ember.ops.rearrange import *  # noqa: F403
from ember.ops.reduction import all, any, count_nonzero, logsumexp, mean, prod, std, std_mean, sum, var, var_mean  # noqa: A004
from ember.ops.registry import OPS, F_array
from ember.ops.sampling import bernoulli
from ember.ops.scatter_gather import *  # noqa: F403
from ember.ops.searching import *  # noqa: F403
from ember.ops.softmaxes import log_softmax, softmax
from ember.ops.sorting import argsort, kthvalue, median, mode, msort, nanmedian, sort, topk, unique
from ember.ops.spectral import pinverse
from ember.tensor import Tensor


class F_tensor:
    """The rule namespace on Tensors: ember ops, so a backward run under ``create_graph=True``
    records its own graph. Same names and meanings as ``F_array``."""

    exp, log, sin, cos, sign, where, matmul = (elementwise.exp, elementwise.log, elementwise.sin, elementwise.cos,
                                                elementwise.sign, elementwise.where, linalg.matmul)
    reshape, expand, transpose, permute = movement.reshape, movement.expand, movement.transpose, movement.permute
    unsqueeze, squeeze, sum, gather = movement.unsqueeze, movement.squeeze, reduction.sum, scatter_gather.gather
    scatter_zeros, index_zeros, getitem = indexing.scatter_zeros, indexing.index_zeros, indexing.getitem
    strided_gather, strided_scatter = views.strided_gather, views.strided_scatter
    flip, roll = rearrange.flip, rearrange.roll
    tanh, sigmoid, erf = elementwise.tanh, elementwise.sigmoid, activation._erf
    cumsum, cumprod = cumulative.scan_sum, cumulative.cumprod
    tril, triu, diag_embed, diagonal = diagonals.tril, diagonals.triu, diagonals.diag_embed, diagonals.diagonal
    diagonal_backward, linalg_cross = diagonals.diagonal_backward, linalg_norms.linalg_cross
    linalg_inv, linalg_solve = decompositions.inv, decompositions.solve
    sinh, cosh, digamma, polygamma = (elementwise_math.sinh, elementwise_math.cosh, elementwise_math.digamma,
                                      elementwise_math.polygamma)
    xlogy, div = elementwise_binary.xlogy, elementwise.div

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
    def from_tensor(tensor: Tensor) -> Tensor:
        return tensor


# F_array's counterparts of the Tensor-only helpers
F_array.permute = staticmethod(lambda a, dims: a.transpose(dims))  # type: ignore[attr-defined]
F_array.getitem = staticmethod(lambda a, index: a[index])  # type: ignore[attr-defined]
F_array.sum_to = staticmethod(sum_to)  # type: ignore[attr-defined]
F_array.flip = staticmethod(lambda a, dims: xp.flip(a, dims))  # type: ignore[attr-defined]
F_array.roll = staticmethod(lambda a, shifts, dims: xp.roll(a, shifts, dims))  # type: ignore[attr-defined]
F_array.erf = staticmethod(activation.erf_array)  # type: ignore[attr-defined]
# the linalg family's rule helpers (the diagonal kernels live beside their ops in ember.ops.diagonals)
F_array.diagonal = staticmethod(diagonals.diagonal_array)  # type: ignore[attr-defined]
F_array.diagonal_backward = staticmethod(diagonals.diagonal_backward_array)  # type: ignore[attr-defined]
F_array.diag_embed = staticmethod(diagonals.diag_embed_array)  # type: ignore[attr-defined]
F_array.tril, F_array.triu = staticmethod(xp.tril), staticmethod(xp.triu)  # type: ignore[attr-defined]
F_array.linalg_inv = staticmethod(xp.linalg.inv)  # type: ignore[attr-defined]
F_array.linalg_solve = staticmethod(xp.linalg.solve)  # type: ignore[attr-defined]
F_array.linalg_cross = staticmethod(lambda a, b, *, dim=-1: xp.cross(a, b, axis=dim))  # type: ignore[attr-defined]
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
        "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
        "H": property(movement._H), "mH": property(movement._mH), "stride": layout.stride,
        "is_contiguous": layout.is_contiguous, "storage_offset": layout.storage_offset,
        "data_ptr": layout.data_ptr, "unfold": movement.unfold, "repeat": rearrange.repeat,
        "index_put_": indexing.index_put_, "index_add_": index_ops.index_add_, "index_copy_": index_ops.index_copy_,
        "index_fill_": index_ops.index_fill_, "masked_scatter_": index_ops.masked_scatter_,
        "scatter_": scatter_gather.scatter_, "scatter_add_": scatter_gather.scatter_add_,
        "scatter_reduce_": scatter_gather.scatter_reduce_,
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
        "cumsum_": inplace._inplace(cumulative.cumsum, "cumsum_"),
        "cumprod_": inplace._inplace(cumulative.cumprod, "cumprod_"),
        **{f"{n}_": inplace._inplace(getattr(linalg, n), f"{n}_")
           for n in ("addmm", "addmv", "addbmm", "baddbmm", "addr")},
        "tril_": inplace._inplace(diagonals.tril, "tril_"), "triu_": inplace._inplace(diagonals.triu, "triu_"),
    }
    plain = ("neg abs exp log sqrt sin cos tanh sigmoid relu sign reciprocal add sub mul div pow rsub clamp clip "
             "eq ne lt le gt ge maximum minimum logical_not bitwise_not bitwise_and bitwise_or bitwise_xor "
             "greater greater_equal less less_equal not_equal multiply divide subtract true_divide where "
             "sum mean max min amax amin matmul mm mv dot bmm view reshape flatten transpose swapaxes swapdims t "
             "permute unsqueeze squeeze expand expand_as sum_to_size clone contiguous to type_as gather "
             "unflatten movedim moveaxis adjoint broadcast_to narrow split chunk unbind tensor_split hsplit vsplit "
             "dsplit flip fliplr flipud roll rot90 tile repeat_interleave diff index_select index_add index_copy "
             "index_fill index_put take take_along_dim masked_select masked_scatter scatter scatter_add "
             "scatter_reduce nonzero argwhere bincount as_strided "
             "add_ sub_ mul_ div_ pow_ zero_ fill_ copy_ clamp_ subtract_ multiply_ divide_ "
             "softmax log_softmax hardshrink "
             "prod var std logsumexp count_nonzero all any aminmax argmax argmin norm cumsum cumprod cummax cummin "
             "sort argsort msort topk kthvalue median nanmedian mode unique "
             "vdot outer ger addmm addmv addbmm baddbmm addr kron trace diag diagonal diag_embed tril triu cross det "
             "inverse slogdet logdet pinverse")
    namespace = globals()
    for name in plain.split():
        methods[name] = namespace[name] if name in namespace else getattr(E, name)
    methods.update(elementwise_math.tensor_methods())
    methods.update({n: getattr(sampling, n) for n in ("normal_", "uniform_", "random_", "bernoulli_", "bernoulli",
                                                    "exponential_")})
    methods["multinomial"] = multinomial_method
    methods["where"] = lambda self, condition, other: E.where(condition, self, other)
    methods["view_as"] = lambda self, other: movement.view(self, other._data.shape)
    methods["reshape_as"] = lambda self, other: movement.reshape(self, other._data.shape)
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


_bind_methods()
negative, absolute = elementwise.neg, elementwise.abs
# the public functions: ember.add, ember.matmul ... (in-place ops are methods only)
_ALIASES = ("greater", "greater_equal", "less", "less_equal", "not_equal", "multiply", "divide", "subtract")
__all__ = sorted(n for n in OPS if n in globals() and not n.endswith("_") and n != "getitem") + [*_ALIASES,
    "negative", "absolute", "clamp_min", "clamp_max", "true_divide", "clip", "swapaxes", "swapdims", "ger", "inverse",
    "det", "moveaxis", "concat", "concatenate"]
