"""Extrema: max, min (over all, or values and indices along a dim), amax, amin, aminmax, argmax, argmin.

Gradients follow torch's tie rules: over all elements (``max()``) the gradient is shared evenly
among the elements equal to the result (among the NaNs when the result is NaN); along a dim
(``max(dim)``) it goes to the chosen index; ``amax``/``aminmax`` share it evenly within each
reduced slice (and give NaN to a slice whose extreme is NaN, as torch's count of matches is 0).
"""
from __future__ import annotations

from typing import Any

from ember import return_types
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.reduction import ALL, attach_two, dims_of, kept_shape, two_output_class
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["amax", "amin", "aminmax", "argmax", "argmin", "max", "min"]

# -- the rules of the ops that pick elements (here, and in sorting and cumulative) -------------
def even_rule(F: Any, grad: Any, mask: Any, n: int) -> Any:
    """A reduction over all elements: the gradient shared evenly where ``mask`` (the matches) holds."""
    return F.where(mask, grad / n, 0.0)


def select_rule(F: Any, grad: Any, indices: Any, kept: Any, shape: Any, dim: int) -> Any:
    """A reduction along ``dim`` that picked ``indices`` (kept-shaped): the gradient goes there."""
    return F.scatter_zeros(F.reshape(grad, kept), dim, indices, shape)


def scatter_rule(F: Any, grad: Any, dim: Any, indices: Any, shape: Any) -> Any:
    """An op whose output gathers ``indices`` along ``dim`` (None for a 0-d input): gather's adjoint."""
    return grad if dim is None else F.scatter_zeros(grad, dim, indices, shape)


# -- max / min ------------------------------------------------------------------------------
_MaxAll = node_class("MaxBackward1", even_rule)
_MinAll = node_class("MinBackward1", even_rule)
_MaxDim = node_class("MaxBackward0", select_rule)
_MinDim = node_class("MinBackward0", select_rule)


def matches(x: Any, result: Any) -> Any:
    """Where ``x`` equals its (broadcast) extreme ``result``; where it is NaN when that is NaN."""
    if x.dtype.kind != "f":
        return x == result
    if xp.ndim(result) == 0:
        return xp.isnan(x) if result != result else x == result
    return xp.where(xp.isnan(result), xp.isnan(x), x == result)


def _invalid_dim(name: str, dim: Any) -> TypeError:
    """torch's argument-parser error for a dim that is not an int (its first lines)."""
    got = "keepdim=bool, " if dim is ALL else f"dim={type(dim).__name__}, " if dim is None else type(dim).__name__
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     " * ()\n * (Tensor other)\n * (int dim, bool keepdim = False)\n")


def empty_all_error(name: str) -> RuntimeError:
    return RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                        "Specify the reduction dim with the 'dim' argument.")


def empty_dim_error(name: str, x: Any, axes: tuple[int, ...]) -> IndexError | None:
    """torch's error for a reduction without identity over a dim of size 0 (None if there is none)."""
    for d in axes:
        if x.shape[d] == 0:
            return IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return None


def _extreme(name: str, pick: Any, arg: Any, all_cls: Any, dim_cls: Any, result_type: Any) -> Any:
    def op(input: Tensor, dim: Any = ALL, keepdim: bool = False) -> Any:
        if isinstance(dim, Tensor):
            from ember.ops.elementwise import maximum, minimum  # noqa: PLC0415

            return (maximum if name == "max" else minimum)(input, dim)
        if (dim is ALL and keepdim) or (dim is not ALL and (not isinstance(dim, int) or isinstance(dim, bool))):
            raise _invalid_dim(name, dim)
        x = input._data
        if dim is ALL:
            if not x.size:
                raise empty_all_error(name)
            result = pick.reduce(x, axis=None)
            out = Tensor._make(result)
            if input._requires_grad and grad_state.enabled:
                mask = matches(x, result)
                attach(out, all_cls, (input,), {"mask": mask, "n": int(xp.count_nonzero(mask))})
            return out
        axes = dims_of(dim, x.ndim)
        axis = axes[0] if axes else 0
        err = empty_dim_error(name, x, axes)
        if err:
            raise err
        indices = xp.expand_dims(arg(x, axis=axis), axis) if x.ndim else xp.zeros((), xp.int64)
        values = xp.take_along_axis(x, indices, axis=axis) if x.ndim else x.copy()
        if not keepdim and x.ndim:
            values, idx_out = values.squeeze(axis), indices.squeeze(axis)
        else:
            idx_out = indices
        out = Tensor._make(values)
        if input._requires_grad and grad_state.enabled:
            attach(out, dim_cls, (input,), {"indices": indices, "kept": kept_shape(x.shape, axes), "shape": x.shape,
                                             "dim": axis})
        return result_type(out, Tensor._make(idx_out.astype(xp.int64)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The {name}imum of all elements; with ``dim``, ``(values, indices)`` along it; with a tensor, "
                  f"the elementwise {name}imum.")
    return register(op)


max = _extreme("max", xp.maximum, xp.argmax, _MaxAll, _MaxDim, return_types.max)  # noqa: A001
min = _extreme("min", xp.minimum, xp.argmin, _MinAll, _MinDim, return_types.min)  # noqa: A001


# -- amax / amin / aminmax: ties share the gradient within each slice ---------------------------
def _share(F: Any, grad: Any, kept: Any, mask: Any, n: Any) -> Any:
    """``grad / n`` where ``mask`` holds, else 0 (NaN where n is 0, as torch's ``grad / n * mask``)."""
    q = F.reshape(grad, kept) / n
    return F.where(mask, q, q * 0)


_Amax = node_class("AmaxBackward0", _share)
_Amin = node_class("AminBackward0", _share)


def _sum_both(F: Any, grad: Any, kept: Any, mask_min: Any, n_min: Any, mask_max: Any, n_max: Any) -> Any:
    gmin, gmax = grad
    a = None if gmin is None else _share(F, gmin, kept, mask_min, n_min)
    b = None if gmax is None else _share(F, gmax, kept, mask_max, n_max)
    return b if a is None else a if b is None else a + b


_Aminmax = two_output_class("AminmaxBackward0", _sum_both)


def _shares(x: Any, result: Any, axes: tuple[int, ...], kept: tuple[int, ...]) -> tuple[Any, Any]:
    """The mask of the elements matching each slice's extreme, and their count (in x's dtype)."""
    mask = x == result.reshape(kept)  # a NaN extreme matches nothing: torch's n is 0 there
    return mask, xp.add.reduce(mask, axis=axes, keepdims=True).astype(x.dtype)


def _amaxmin(name: str, reduce: Any, cls: Any) -> Any:
    def op(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
        x = input._data
        axes = dims_of(dim, x.ndim)
        if not x.size and len(axes) == x.ndim:
            if x.ndim == 0 or dim is None or dim == () or dim == []:
                raise empty_all_error(name)
        err = empty_dim_error(name, x, axes)
        if err and x.ndim:
            raise err
        out = Tensor._make(reduce(x, axis=axes, keepdims=keepdim))
        if input._requires_grad and grad_state.enabled:
            kept = kept_shape(x.shape, axes)
            mask, n = _shares(x, out._data, axes, kept)
            attach(out, cls, (input,), {"kept": kept, "mask": mask, "n": n})
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"The {name[1:]}imum over ``dim`` (all dims when empty); ties share the gradient evenly."
    return register(op)


amax = _amaxmin("amax", xp.max, _Amax)
amin = _amaxmin("amin", xp.min, _Amin)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (all dims when None), in one pass."""
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    x = input._data
    axes = dims_of(dim, x.ndim)
    if dim is None and not x.size:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if x.ndim and dim is not None and x.shape[axes[0]] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {axes[0]} to have non-zero size.")
    lo, hi = Tensor._make(xp.min(x, axis=axes, keepdims=keepdim)), Tensor._make(xp.max(x, axis=axes, keepdims=keepdim))
    if input._requires_grad and grad_state.enabled:
        kept = kept_shape(x.shape, axes)
        mask_min, n_min = _shares(x, lo._data, axes, kept)
        mask_max, n_max = _shares(x, hi._data, axes, kept)
        attach_two(lo, hi, _Aminmax, input, {"kept": kept, "mask_min": mask_min, "n_min": n_min,
                                              "mask_max": mask_max, "n_max": n_max})
    return return_types.aminmax(lo, hi)


register(aminmax)


# -- argmax / argmin (no gradient) ----------------------------------------------------------
def _arg(name: str, arg: Any) -> Any:
    def op(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
        x = input._data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if not x.size:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            index = arg(x.reshape(-1))
            return Tensor._make(xp.full((1,) * x.ndim if keepdim else (), index, xp.int64))
        axes = dims_of(dim, x.ndim)
        if not x.ndim:
            return Tensor._make(xp.zeros((), xp.int64))
        err = empty_dim_error(name, x, axes)
        if err:
            raise err
        return Tensor._make(arg(x, axis=axes[0], keepdims=keepdim).astype(xp.int64))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"The index of the {name[3:]}imum (the first one on ties; the first NaN if any), as int64."
    return register(op)


argmax = _arg("argmax", xp.argmax)
argmin = _arg("argmin", xp.argmin)
