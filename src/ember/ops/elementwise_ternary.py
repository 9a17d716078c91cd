"""Elementwise ops of three inputs: lerp, addcmul, addcdiv, masked_fill and clamp with tensor
bounds; and the argument checks the elementwise families share (torch's messages).

This module imports no other op family, so ``elementwise`` can use it.
"""
from __future__ import annotations

import math
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.registry import _saves, attach, node_class, register
from ember.tensor import Tensor

__all__ = ["addcdiv", "addcmul", "lerp", "masked_fill"]


# -- torch's argument errors ---------------------------------------------------------------------
def not_implemented(np_dtype: Any, kernel: str) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes._BY_NUMPY[xp.dtype(np_dtype)].scalar_name}'")


def type_name(value: Any) -> str:
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def invalid_combination(name: str, args: tuple[Any, ...], *signatures: str, marked: dict[int, str] | None = None
                        ) -> TypeError:
    """torch's TypeError for arguments that match none of an op's overloads; ``marked[i]`` is the
    argument list torch shows (the bad ones between "!") under signature ``i``."""
    got = ", ".join(type_name(a) for a in args)
    listed = "".join(f" * ({s})\n" + (f"      didn't match because some of the arguments have invalid types: "
                                       f"({marked[i]})\n" if marked and i in marked else "")
                     for i, s in enumerate(signatures))
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f"{listed}")


def must_be_tensor(name: str, value: Any, position: int, arg: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type_name(value)}")


def _broadcast(*shapes: tuple[int, ...]) -> None:
    """Raise torch's error for the first shape that does not broadcast with those before it."""
    acc = shapes[0]
    for shape in shapes[1:]:
        try:
            acc = xp.broadcast_shapes(acc, shape)
        except ValueError:
            raise broadcast_error(acc, shape) from None


def record(out: Tensor, cls: type, inputs: tuple[Any, ...], **values: Any) -> Tensor:
    """Attach ``cls`` when an input needs a gradient, saving the ``values`` its rules name."""
    if grad_state.enabled and any(getattr(t, "_requires_grad", False) for t in inputs):
        attach(out, cls, inputs, {k: v for k, v in values.items() if _saves(cls, k)})
    return out


def _arrays(dtype: dtypes.dtype, *tensors: Tensor) -> list[Any]:
    return [t._data if t._data.dtype == dtype.numpy else t._data.astype(dtype.numpy) for t in tensors]


# -- lerp ----------------------------------------------------------------------------------------
_LerpScalar = node_class("LerpBackward0", lambda F, grad, weight: grad * (1 - weight),
                         lambda F, grad, weight: grad * weight)
_LerpTensor = node_class("LerpBackward1", lambda F, grad, weight: grad * (1 - weight),
                         lambda F, grad, weight: grad * weight, lambda F, grad, a, b: grad * (b - a))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``; ``weight`` a number or a tensor (which broadcasts)."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor) or not isinstance(weight, (Tensor, int, float)):
        raise invalid_combination("lerp", (input, end, weight),
                                  "Tensor input, Tensor end, Tensor weight, *, Tensor out = None",
                                  "Tensor input, Tensor end, Number weight, *, Tensor out = None")
    x, e = input._data, end._data
    if e.dtype != x.dtype:
        raise RuntimeError(f"expected dtype {dtypes._BY_NUMPY[x.dtype].cpp_name} for `end` but got dtype "
                           f"{dtypes._BY_NUMPY[e.dtype].cpp_name}")
    weighted = isinstance(weight, Tensor)
    w: Any = weight._data if isinstance(weight, Tensor) else weight
    if weighted and w.ndim and w.dtype != x.dtype:  # a 0-d weight acts as a number
        raise RuntimeError(f"expected dtype {dtypes._BY_NUMPY[x.dtype].cpp_name} for `weight` but got dtype "
                           f"{dtypes._BY_NUMPY[w.dtype].cpp_name}")
    if x.dtype.kind != "f":
        raise not_implemented(x.dtype, "lerp_kernel_tensor" if weighted else "lerp_kernel_scalar")
    _broadcast(x.shape, e.shape, xp.shape(w))
    if weighted:
        w = w.astype(x.dtype, copy=False)
    # torch's two-sided formula: exact at weight 0 and at weight 1
    if weighted:
        out = Tensor._make(xp.where(abs(w) < 0.5, x + w * (e - x), e - (e - x) * (1 - w)))
    else:  # a number picks its side once (optimizers call this every step)
        out = Tensor._make(x + w * (e - x) if abs(w) < 0.5 else e - (e - x) * (1 - w))
    if weighted:
        return record(out, _LerpTensor, (input, end, weight), a=input, b=end, weight=weight)
    return record(out, _LerpScalar, (input, end), weight=weight)


# -- addcmul, addcdiv ----------------------------------------------------------------------------
_Addcmul = node_class("AddcmulBackward0", lambda F, grad: grad, lambda F, grad, t2, value: grad * t2 * value,
                      lambda F, grad, t1, value: grad * t1 * value)
_Addcdiv = node_class("AddcdivBackward0", lambda F, grad: grad, lambda F, grad, t2, value: grad * value / t2,
                      lambda F, grad, t1, t2, value: -grad * value * t1 / (t2 * t2))

_ADDCDIV_INTEGER_MESSAGE = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes."
)


def _addc(name: str, input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any) -> tuple[Any, ...]:
    """The three arrays, promoted together, and ``value`` in their dtype."""
    for i, (arg, t) in enumerate((("input", input), ("tensor1", tensor1), ("tensor2", tensor2)), start=1):
        must_be_tensor(name, t, i, arg)
    if name == "addcdiv" and tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(_ADDCDIV_INTEGER_MESSAGE)
    rt = dtypes.result_type(input, tensor1, tensor2)
    if rt is dtypes.bool:
        raise not_implemented(xp.bool_, f"{name}_cpu_out")
    x, t1, t2 = _arrays(rt, input, tensor1, tensor2)
    _broadcast(x.shape, t1.shape, t2.shape)
    # an integer result takes the value truncated to its dtype, as torch casts it
    v = value if rt.is_floating_point else xp.array(int(value)).astype(rt.numpy)
    return x, t1, t2, v


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    x, t1, t2, v = _addc("addcmul", input, tensor1, tensor2, value)
    out = Tensor._make(x + v * t1 * t2)
    return record(out, _Addcmul, (input, tensor1, tensor2), t1=tensor1, t2=tensor2, value=value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (true division; integer tensor1 and tensor2 are refused)."""
    x, t1, t2, v = _addc("addcdiv", input, tensor1, tensor2, value)
    out = Tensor._make(x + v * t1 / t2)
    return record(out, _Addcdiv, (input, tensor1, tensor2), t1=tensor1, t2=tensor2, value=value)


# -- masked_fill ---------------------------------------------------------------------------------
_MaskedFill = node_class("MaskedFillBackward0", lambda F, grad, mask: F.where(mask, 0.0, grad))
_MaskedFillTensor = node_class("MaskedFillBackward1", lambda F, grad, mask: F.where(mask, 0.0, grad),
                               lambda F, grad, mask: F.where(mask, grad, 0.0))  # the engine sums it to 0-d
# how torch's overflow message names each type
_CHECKED_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                  "int64": "int64_t", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _fill_value(value: Any, np_dtype: Any) -> Any:
    """``value`` as a 0-d array of ``np_dtype``, refused where torch's checked conversion overflows."""
    if np_dtype.kind == "b":
        return xp.array(bool(value))
    if np_dtype.kind == "f":
        info = xp.finfo(np_dtype)
        overflow = math.isfinite(value) and abs(value) > info.max
    else:
        info = xp.iinfo(np_dtype)
        # unsigned types take negative numbers down to -max, wrapping them as two's complement does
        low = -info.max if np_dtype.kind == "u" else info.min
        overflow = not math.isfinite(value) or not low <= value <= info.max
    if overflow:
        raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[dtypes._BY_NUMPY[np_dtype].name]} "
                           "without overflow")
    return xp.array(value if np_dtype.kind == "f" else int(value)).astype(np_dtype)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` is True; mask broadcasts."""
    must_be_tensor("masked_fill", input, 1, "input")
    if not isinstance(mask, Tensor) or not isinstance(value, (Tensor, int, float)):
        shown = ", ".join(type_name(a) if ok else f"!{type_name(a)}!"
                          for a, ok in ((input, True), (mask, isinstance(mask, Tensor)),
                                        (value, isinstance(value, (Tensor, int, float)))))
        raise invalid_combination("masked_fill", (input, mask, value), "Tensor input, Tensor mask, Tensor value",
                                  "Tensor input, Tensor mask, Number value", marked={0: shown, 1: shown})
    x, m = input._data, mask._data
    if m.dtype != xp.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{dtypes._BY_NUMPY[m.dtype].cpp_name}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    fill = _fill_value(value._data.item() if isinstance(value, Tensor) else value, x.dtype)
    _broadcast(m.shape, x.shape)
    out = Tensor._make(xp.where(m, fill, x))
    if isinstance(value, Tensor):
        return record(out, _MaskedFillTensor, (input, value), mask=mask)
    return record(out, _MaskedFill, (input,), mask=mask)


register(lerp), register(addcmul), register(addcdiv), register(masked_fill)


# -- clamp with tensor bounds (elementwise.clamp, clamp_min and clamp_max come here) ---------------
def _clamp_self_grad(F: Any, grad: Any, x: Any, min: Any, max: Any) -> Any:  # noqa: A002
    if min is None:
        return F.where(x <= max, grad, 0.0)
    return F.where(x >= min if max is None else (x >= min) & (x <= max), grad, 0.0)


# a bound gets the gradient where it is the result (with min > max, max wins everywhere)
_ClampTensors = node_class(
    "ClampBackward0", _clamp_self_grad,
    lambda F, grad, x, min, max: F.where(x < min if max is None else (x < min) & (min < max), grad, 0.0),
    lambda F, grad, x, min, max: F.where(x > max if min is None else (x > max) | (max < min), grad, 0.0),
)
_ClampMinTensor = node_class("ClampMinBackward1", lambda F, grad, x, min: F.where(x >= min, grad, 0.0),
                             lambda F, grad, x, min: F.where(x < min, grad, 0.0))
_ClampMaxTensor = node_class("ClampMaxBackward1", lambda F, grad, x, max: F.where(x <= max, grad, 0.0),
                             lambda F, grad, x, max: F.where(x > max, grad, 0.0))


def clamp_tensors(input: Tensor, min: Any, max: Any, op: str = "clamp") -> Tensor:  # noqa: A002
    """clamp (or clamp_min / clamp_max: ``op``) where a bound is a tensor; the other is a tensor or None."""
    if not all(b is None or isinstance(b, Tensor) for b in (min, max)):
        raise invalid_combination("clamp", (input, min, max),
                                  "Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
                                  "Tensor input, Number min = None, Number max = None, *, Tensor out = None")
    bounds = [b for b in (min, max) if b is not None]
    rt = dtypes.result_type(input, *bounds)
    x, *arrays = _arrays(rt, input, *bounds)
    _broadcast(x.shape, *(a.shape for a in arrays))
    out = x
    if min is not None:
        out = xp.maximum(out, arrays[0])
    if max is not None:
        out = xp.minimum(out, arrays[-1])
    out = Tensor._make(out if out is not x else x.copy())
    if op == "clamp_min":
        return record(out, _ClampMinTensor, (input, min), x=input, min=min)
    if op == "clamp_max":
        return record(out, _ClampMaxTensor, (input, max), x=input, max=max)
    return record(out, _ClampTensors, (input, min, max), x=input, min=min, max=max)
