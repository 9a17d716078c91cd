"""How an op is built: its forward on arrays, its derivative rules, and the node that records it.

Two shapes of op share one mechanism (``attach``):
- ``unary`` / ``binary`` build the public function for elementwise ops from a forward and
  one rule per input, the way ``derivatives.yaml`` lists them;
- any other op writes its forward as a plain function and calls ``attach`` with its node class
  (made by ``node_class``) and the values its rules name.

Rules are called as ``vjp(F, grad, *saved)``; ``F`` is ``F_array`` (NumPy, for a plain backward)
or ``F_tensor`` (ember ops, when ``create_graph=True`` makes the backward itself differentiable),
so every rule is written once for both.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node, node_class
from ember.backend import xp
from ember.ops import _special
from ember.ops._accumulate import add_at
from ember.ops._shape import along_axis, broadcast_error, sum_to
from ember.tensor import Tensor

__all__ = ["attach", "binary", "unary", "node_class", "operands", "F_array", "OPS"]

OPS: dict[str, Callable[..., Any]] = {}
"""Every public op built here or registered with ``register``, by name (drives the op-table tests)."""


def register(fn: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
    OPS[name or fn.__name__] = fn
    return fn


def attach(out: Tensor, cls: type[Node], inputs: tuple[Any, ...], ctx: dict[str, Any]) -> Tensor:
    """Record ``out`` as made by a ``cls`` node from ``inputs`` (Tensors or Python numbers)."""
    node = _new(cls)
    node._pre_hooks = node._hooks = node._retained = None
    edges = []
    meta = []
    unused = False  # some input needs no gradient
    for t in inputs:
        if isinstance(t, Tensor):
            fn = t._grad_fn
            if fn is None or t._base is not None:
                edge = t._grad_edge()
                if edge[0] is None:
                    unused = True
            else:
                edge = (fn, t._output_nr)
            edges.append(edge)
            data = t._data
            meta.append((data.shape, data.dtype))
        else:
            unused = True
            edges.append(_NO_EDGE)
            meta.append(None)
    node.next_functions = tuple(edges)
    node._input_meta = tuple(meta)
    versions: Any = ()
    if ctx:
        if unused and len(cls._arg_names) > 1:
            # save only what the rules of the inputs that need a gradient use (torch does the same)
            used: set[str] = set()
            for (fn, _), names in zip(edges, cls._arg_names):
                if fn is not None:
                    used.update(names)
            ctx = {k: v for k, v in ctx.items() if k in used}
        # remember the version of every saved tensor (and of the output, when saved as `result`)
        versions = [(v, v._vc, v._vc[0]) for v in ctx.values() if isinstance(v, Tensor)]
        if "result" in ctx:
            versions.append((out._data, out._vc, out._vc[0]))
        versions = tuple(versions)
    node._ctx = ctx
    node._versions = versions
    out._grad_fn = node
    out._requires_grad = True
    return out


_new = object.__new__
_NO_EDGE = (None, 0)
_SAME_SIZE_UINT = {xp.dtype(xp.float32): xp.uint32, xp.dtype(xp.float64): xp.uint64, xp.dtype(xp.float16): xp.uint16}
_ndarray = xp.ndarray
_asarray = xp.asarray


def _saves(cls: type[Node], name: str) -> bool:
    return any(name in names for names in cls._arg_names)


# unary and binary record their node inline (what ``attach`` does, for the shapes they know): the
# per-op path of small tensors is mostly Python frames, so it makes as few as it can.


def unary(name: str, node_name: str, forward: Callable[[Any], Any], vjp: Callable[..., Any],
          *, int_to_float: bool = True) -> Callable[[Tensor], Tensor]:
    """An elementwise op of one tensor. ``int_to_float``: integer input gives a float result."""
    cls = node_class(node_name, vjp)
    save_x, save_result = _saves(cls, "x"), _saves(cls, "result")

    def op(input: Tensor) -> Tensor:
        try:
            x = input._data
        except AttributeError:
            raise TypeError(
                f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}") from None
        meta = ((x.shape, x.dtype),)
        if int_to_float and x.dtype.kind != "f":
            x = x.astype(dtypes._default.value.numpy)
        r = forward(x)
        out = _new(Tensor)  # Tensor._make, inline
        out._data = r if type(r) is _ndarray else _asarray(r)
        out._grad = out._hooks = out._accumulator = out._base = None
        out._output_nr = 0
        out._vc = [0]
        if not input._requires_grad or not grad_state.enabled:
            out._requires_grad = False
            out._grad_fn = None
        else:
            node = _new(cls)
            node._pre_hooks = node._hooks = node._retained = None
            fn = input._grad_fn
            node.next_functions = ((fn, input._output_nr),) if fn is not None and input._base is None else (
                input._grad_edge(),)
            node._input_meta = meta
            if save_x:
                if save_result:
                    node._ctx = {"x": input, "result": out._data}
                    node._versions = ((input, input._vc, input._vc[0]), (out._data, out._vc, 0))
                else:
                    node._ctx = {"x": input}
                    node._versions = ((input, input._vc, input._vc[0]),)
            elif save_result:
                node._ctx = {"result": out._data}
                node._versions = ((out._data, out._vc, 0),)
            else:
                node._ctx = {}
                node._versions = ()
            out._grad_fn = node
            out._requires_grad = True
        return out

    op.__name__ = op.__qualname__ = name
    return register(op)


def operands(a: Any, b: Any, int_to_float: bool = False) -> tuple[Any, Any]:
    """The arrays (or Python numbers) a binary op computes on, promoted as torch promotes."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        x, y = a._data, b._data
        if x.dtype is y.dtype and (not int_to_float or x.dtype.kind == "f"):
            return x, y
    elif ta:
        x, y = a._data, b
        if x.dtype.kind == "f" and type(b) is not bool and isinstance(b, (int, float)):
            return x, y  # NumPy keeps a float array's dtype against a Python number, as torch does
        if not isinstance(b, (int, float, bool)):
            y = _as_operand(b)
            if y is not b:
                return operands(a, y, int_to_float)
    elif tb:
        x, y = a, b._data
        if y.dtype.kind == "f" and type(a) is not bool and isinstance(a, (int, float)):
            return x, y
        if not isinstance(a, (int, float, bool)):
            x = _as_operand(a)
            if x is not a:
                return operands(x, b, int_to_float)
    else:
        raise TypeError(f"expected a Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    rt = dtypes.result_type(a, b)
    if int_to_float and not rt.is_floating_point:
        rt = dtypes._default.value
    np_rt = rt.numpy
    if ta:
        x = x if x.dtype is np_rt else x.astype(np_rt)
    else:
        x = _cast_scalar(x, np_rt)
    if tb:
        y = y if y.dtype is np_rt else y.astype(np_rt)
    else:
        y = _cast_scalar(y, np_rt)
    return x, y


def _as_operand(value: Any) -> Any:
    """NumPy scalars and arrays met as operands act as tensors (torch converts them)."""
    if isinstance(value, xp.ndarray) or isinstance(value, xp.generic):
        return Tensor._make(xp.asarray(value))
    return value


def _cast_scalar(value: Any, np_dtype: Any) -> Any:
    # a 0-d array of the result dtype: wraps out-of-range ints as torch does (uint8 + 300)
    return xp.array(value).astype(np_dtype)


def binary(name: str, node_name: str, forward: Callable[[Any, Any], Any],
           vjp_a: Callable[..., Any], vjp_b: Callable[..., Any], *,
           int_to_float: bool = False) -> Callable[..., Tensor]:
    """An elementwise op of two operands (tensors or Python numbers) that broadcast."""
    cls = node_class(node_name, vjp_a, vjp_b)
    names_a, names_b = cls._arg_names
    # what the node saves when both inputs need a gradient, only the first, only the second
    saves = {(True, True): set(names_a) | set(names_b), (True, False): set(names_a), (False, True): set(names_b)}
    saves = {k: (("a" in v), ("b" in v), ("result" in v)) for k, v in saves.items()}

    def op(input: Any, other: Any) -> Tensor:
        if isinstance(input, Tensor):  # the common cases of ``operands``, inline
            x = input._data
            if isinstance(other, Tensor):
                y = other._data
                if x.dtype is not y.dtype or (int_to_float and x.dtype.kind != "f"):
                    x, y = operands(input, other, int_to_float)
            elif (type(other) is float or type(other) is int) and x.dtype.kind == "f":
                y = other
            else:
                x, y = operands(input, other, int_to_float)
        else:
            x, y = operands(input, other, int_to_float)
        try:
            r = forward(x, y)
        except ValueError:
            raise broadcast_error(xp.shape(x), xp.shape(y)) from None
        out = _new(Tensor)  # Tensor._make, inline
        out._data = r if type(r) is _ndarray else _asarray(r)
        out._grad = out._hooks = out._accumulator = out._base = None
        out._output_nr = 0
        out._vc = [0]
        if not grad_state.enabled or not (getattr(input, "_requires_grad", False)
                                          or getattr(other, "_requires_grad", False)):
            out._requires_grad = False
            out._grad_fn = None
            return out
        ctx = {}
        versions = []
        if isinstance(input, Tensor):
            fn = input._grad_fn
            edge_a = (fn, input._output_nr) if fn is not None and input._base is None else input._grad_edge()
            data = input._data
            meta_a = (data.shape, data.dtype)
        else:
            edge_a, meta_a = _NO_EDGE, None
        if isinstance(other, Tensor):
            fn = other._grad_fn
            edge_b = (fn, other._output_nr) if fn is not None and other._base is None else other._grad_edge()
            data = other._data
            meta_b = (data.shape, data.dtype)
        else:
            edge_b, meta_b = _NO_EDGE, None
        save_a, save_b, save_result = saves[edge_a[0] is not None, edge_b[0] is not None]
        if save_a:
            ctx["a"] = input
            if meta_a is not None:
                versions.append((input, input._vc, input._vc[0]))
        if save_b:
            ctx["b"] = other
            if meta_b is not None:
                versions.append((other, other._vc, other._vc[0]))
        if save_result:
            ctx["result"] = out._data
            versions.append((out._data, out._vc, 0))
        node = _new(cls)
        node._pre_hooks = node._hooks = node._retained = None
        node.next_functions = (edge_a, edge_b)
        node._input_meta = (meta_a, meta_b)
        node._ctx = ctx
        node._versions = tuple(versions)
        out._grad_fn = node
        out._requires_grad = True
        return out

    op.__name__ = op.__qualname__ = name
    return register(op)


class F_array:
    """The rule namespace on NumPy arrays (a plain backward: no graph is built)."""

    exp, log, sin, cos, sign, matmul = xp.exp, xp.log, xp.sin, xp.cos, xp.sign, xp.matmul
    tanh = xp.tanh

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        """``xp.where``; for ``where(mask, grad, 0)`` (relu's, clamp's ... rules) a bitwise AND with the
        mask instead: NumPy's where branches per element and is ~10x slower on a random mask."""
        zero = (type(b) is int or type(b) is float) and b == 0 and math.copysign(1.0, b) > 0  # not -0.0
        if zero and type(a) is _ndarray and type(cond) is _ndarray and a.ndim and a.shape == cond.shape \
                and a.dtype in _SAME_SIZE_UINT and cond.dtype == xp.bool_:
            keep = cond.view(xp.uint8).astype(_SAME_SIZE_UINT[a.dtype])
            xp.negative(keep, out=keep)  # 1 -> all bits set
            keep &= a.view(keep.dtype)
            return keep.view(a.dtype)
        return xp.where(cond, a, b)
    sinh, cosh, digamma, xlogy = xp.sinh, xp.cosh, staticmethod(_special.digamma), staticmethod(_special.xlogy)
    polygamma = staticmethod(_special.polygamma)

    @staticmethod
    def div(a: Any, b: Any, *, rounding_mode: str | None = None) -> Any:
        if rounding_mode == "floor":
            return xp.floor_divide(a, b)
        return xp.trunc(a / b) if rounding_mode == "trunc" else a / b

    @staticmethod
    def sigmoid(a: Any) -> Any:
        """1 / (1 + e^-a), as torch computes it (e^-a may overflow to inf, quietly: the result is then 0)."""
        if a.dtype == xp.float16:  # computed in float32 and rounded, as torch's CPU kernel does
            return F_array.sigmoid(a.astype(xp.float32)).astype(xp.float16)
        out = xp.negative(a, out=xp.empty(a.shape, a.dtype))
        xp.exp(out, out=out)
        out += 1
        return xp.reciprocal(out, out=out)

    @staticmethod
    def conform(grad: Any, meta: tuple[tuple[int, ...], Any]) -> Any:
        """Reduce ``grad`` to its input's shape and dtype."""
        shape, dtype = meta
        if grad.shape != shape:
            grad = sum_to(grad, shape)
        if grad.dtype != dtype:
            grad = grad.astype(dtype)
        return grad

    @staticmethod
    def as_tensor(grad: Any) -> Tensor:
        return Tensor._make(grad)

    @staticmethod
    def from_tensor(t: Tensor) -> Any:
        return t._data

    @staticmethod
    def reshape(a: Any, shape: tuple[int, ...]) -> Any:
        return a.reshape(shape)

    @staticmethod
    def cumsum(a: Any, dim: int, reverse: bool = False) -> Any:
        """Running sums along ``dim``; ``reverse``: from the end (the adjoint of a running sum)."""
        return xp.flip(xp.cumsum(xp.flip(a, dim), axis=dim), dim) if reverse else xp.cumsum(a, axis=dim)

    @staticmethod
    def cumprod(a: Any, dim: int) -> Any:
        return xp.cumprod(a, axis=dim)

    @staticmethod
    def expand(a: Any, shape: tuple[int, ...]) -> Any:
        out = xp.empty(shape, a.dtype)  # materialised: cheaper than broadcast_to's view, and rules write it anyway
        out[...] = a
        return out

    @staticmethod
    def transpose(a: Any, dim0: int, dim1: int) -> Any:
        return a.swapaxes(dim0, dim1) if a.ndim else a

    @staticmethod
    def unsqueeze(a: Any, dim: Any) -> Any:
        return xp.expand_dims(a, dim)

    @staticmethod
    def squeeze(a: Any, dim: Any) -> Any:
        return xp.squeeze(a, dim)

    @staticmethod
    def sum(a: Any, dim: Any, keepdim: bool = False) -> Any:
        return xp.add.reduce(a, axis=dim, keepdims=keepdim)

    @staticmethod
    def gather(a: Any, dim: int, index: Any) -> Any:
        return xp.take_along_axis(a, index, axis=dim) if a.ndim else a[...]

    @staticmethod
    def scatter_zeros(grad: Any, dim: int, index: Any, shape: tuple[int, ...]) -> Any:
        """zeros(shape) with ``grad`` added at ``index`` along ``dim`` (gather's adjoint: repeats add up)."""
        out = xp.zeros(shape, grad.dtype)
        add_at(out, along_axis(index, dim), grad)
        return out

    @staticmethod
    def strided_gather(a: Any, geometry: Any) -> Any:
        """The elements of a view (described by ``geometry``) of an array shaped like its base."""
        return geometry.gather(a)

    @staticmethod
    def strided_scatter(a: Any, values: Any, geometry: Any) -> Any:
        """A copy of ``a`` (zeros when None) with the view's elements set to ``values``."""
        return geometry.scatter(a, values, (values if a is None else a).dtype)

    @staticmethod
    def index_zeros(grad: Any, index: Any, shape: tuple[int, ...], accumulate: bool) -> Any:
        """zeros(shape) with ``grad`` written (or, for repeated indices, added) at ``index``."""
        out = xp.zeros(shape, grad.dtype)
        if accumulate:
            add_at(out, index, grad)
        else:
            out[index] = grad
        return out
