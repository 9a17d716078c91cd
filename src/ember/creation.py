"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled
(``zeros``, ``full``, ``eye`` ...), ranges (``arange``, ``linspace``), and random draws."""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy

from ember import dtypes
from ember import random as _random
from ember.backend import device as _device
from ember.backend import xp
from ember.ops._shape import shape_arg
from ember.random import Generator
from ember.tensor import Tensor

_dtype = dtypes.dtype


def _finish(data: Any, requires_grad: bool, device: Any = None) -> Tensor:
    if device is not None:
        _device(device)
    t = Tensor._make(data)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _infer(data: Any) -> Any:
    """The array for ``data`` with torch's dtype inference (Python floats -> default dtype)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        dtypes.from_numpy_dtype(data.dtype)  # refuses dtypes torch lacks
        return numpy.array(data)
    try:
        arr = numpy.array(data)
    except ValueError as e:
        raise _ragged_error(data) or ValueError(str(e)) from None
    kind = arr.dtype.kind
    if kind == "f":
        # NumPy makes Python floats float64; a narrower float came from NumPy scalars or tensors, which keep it
        return arr if arr.dtype.itemsize < 8 else arr.astype(dtypes._default.value.numpy, copy=False)
    if kind in "iu":
        if arr.dtype == numpy.uint64:  # a Python int past int64's range
            raise ValueError("Overflow when unpacking long long")
        return arr if arr.dtype in dtypes._BY_NUMPY else arr.astype(numpy.int64, copy=False)
    if kind == "b":
        return arr
    if arr.dtype == object:
        raise _leaf_error(data) or TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise TypeError(f"new(): invalid data type '{type(data).__name__}'")


def _leaf_error(data: Any) -> Exception | None:
    """torch's error for the first element of ``data`` that is no number (or an int past int64)."""
    if isinstance(data, (list, tuple)):
        for x in data:
            err = _leaf_error(x)
            if err is not None:
                return err
        return None
    if isinstance(data, int) and not -(2**63) <= data < 2**63:
        return ValueError("Overflow when unpacking long long")
    if isinstance(data, (int, float, numpy.generic, Tensor)):
        return None
    return RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _ragged_error(data: Any) -> Exception | None:
    """torch's error for a nested list that is not rectangular: the shape comes from the first
    elements, then a depth-first walk checks every sequence against it."""
    shape = []
    first = data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]

    def walk(seq: Any, dim: int) -> Exception | None:
        is_seq = isinstance(seq, (list, tuple))
        if dim == len(shape):
            return TypeError(f"'{type(seq).__name__}' object cannot be interpreted as an integer") if is_seq else None
        if not is_seq:
            return TypeError("not a sequence")
        if len(seq) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(seq)})")
        return next((e for e in (walk(x, dim + 1) for x in seq) if e is not None), None)

    return walk(data, 0)


def _refuse_overflow(arr: Any, d: _dtype) -> None:
    """torch's error for Python numbers an integer dtype cannot hold (an unsigned one takes ints down to -max)."""
    if arr.dtype.kind not in "iuf" or not arr.size:
        return
    info = numpy.iinfo(d.numpy)
    lo = -int(info.max) if info.min == 0 and arr.dtype.kind != "f" else int(info.min)
    if (arr.dtype.kind == "f" and numpy.isnan(arr).any()) or arr.min() < lo or arr.max() > info.max:
        raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")


def tensor(data: Any, *, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested sequence, array or tensor)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2,
        )
    arr = _infer(data)
    if dtype is not None:
        if arr.dtype.kind == "f" and not isinstance(data, (Tensor, numpy.ndarray, numpy.generic)):
            arr = numpy.array(data, numpy.float64)  # Python floats go to `dtype` directly, not via the default
        if dtype.numpy.kind in "iu" and not isinstance(data, (Tensor, numpy.ndarray, numpy.generic)):
            _refuse_overflow(arr, dtype)
        arr = arr.astype(dtype.numpy, copy=False)
    return _finish(arr, requires_grad, device)


def as_tensor(data: Any, dtype: _dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor``, but shares memory with a tensor or array when no cast is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, numpy.ndarray) and (dtype is None or dtype.numpy == data.dtype):
        dtypes.from_numpy_dtype(data.dtype)
        return Tensor._make(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: numpy.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _sizes(sizes: tuple[Any, ...], size: Any) -> tuple[int, ...]:
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(size=(2, 3))``."""
    return shape_arg(sizes if size is None else (size,))


def _dtype_or_default(dtype: _dtype | None) -> Any:
    return (dtype or dtypes._default.value).numpy


def zeros(*sizes: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, layout: Any = None, size: Any = None) -> Tensor:
    return _finish(xp.zeros(_sizes(sizes, size), _dtype_or_default(dtype)), requires_grad, device)


def ones(*sizes: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
         out: Any = None, layout: Any = None, size: Any = None) -> Tensor:
    return _finish(xp.ones(_sizes(sizes, size), _dtype_or_default(dtype)), requires_grad, device)


def empty(*sizes: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, layout: Any = None, memory_format: Any = None, size: Any = None) -> Tensor:
    return _finish(xp.empty(_sizes(sizes, size), _dtype_or_default(dtype)), requires_grad, device)


def full(size: Sequence[int], fill_value: Any, *, dtype: _dtype | None = None, device: Any = None,
         requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = dtype or dtypes.scalar_dtype(fill_value)
    return _finish(xp.full(shape_arg((size,)), fill_value, d.numpy), requires_grad, device)


def _like(input: Tensor, dtype: _dtype | None) -> tuple[tuple[int, ...], Any]:
    return input._data.shape, (dtype.numpy if dtype is not None else input._data.dtype)


def zeros_like(input: Tensor, *, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.zeros(*_like(input, dtype)), requires_grad, device)


def ones_like(input: Tensor, *, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.ones(*_like(input, dtype)), requires_grad, device)


def empty_like(input: Tensor, *, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.empty(*_like(input, dtype)), requires_grad, device)


def full_like(input: Tensor, fill_value: Any, *, dtype: _dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.full(*_like(input, dtype)[:1], fill_value, _like(input, dtype)[1]), requires_grad, device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: _dtype | None = None, device: Any = None,
           requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """Values from ``start`` up to (not including) ``end``, ``step`` apart."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    all_int = all(isinstance(v, (int, numpy.integer)) for v in (start, end, step))
    d = dtype or (dtypes.int64 if all_int else dtypes._default.value)
    n = max(0, math.ceil((end - start) / step))
    data = (start + step * xp.arange(n, dtype=xp.float64 if not all_int else xp.int64)).astype(d.numpy)
    return _finish(data, requires_grad, device)


def linspace(start: Any, end: Any, steps: int, *, dtype: _dtype | None = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = dtype or dtypes._default.value
    if not d.is_floating_point:
        start, end = int(start), int(end)  # torch casts the ends to an integer dtype first (truncating)
    if steps == 1:
        data = xp.full((1,), start, xp.float64)
    else:
        data = xp.asarray(_linspace_values(start, end, steps, d))
    return _finish(data.astype(d.numpy), requires_grad, device)


def _linspace_values(start: Any, end: Any, steps: int, d: _dtype) -> numpy.ndarray:
    """torch's linspace kernel, rounding where it rounds: the first half counts up from start, the
    second down from end, with the step computed in the dtype (float64 for integer dtypes). float32
    and float64 fuse ``start + step * i`` into one rounding (FMA; long double stands in for it);
    float16 rounds after every operation, as NumPy's float16 arithmetic does."""
    ct = d.numpy.type if d.is_floating_point else numpy.float64
    s, e = ct(float(start)), ct(float(end))
    step = (e - s) / ct(steps - 1)
    up, down = numpy.arange(steps), numpy.arange(steps - 1, -1, -1)
    wide = numpy.longdouble if ct is not numpy.float16 else ct
    up_values = wide(s) + wide(step) * up.astype(wide)
    down_values = wide(e) - wide(step) * down.astype(wide)
    return numpy.where(up < steps // 2, up_values, down_values).astype(ct)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: _dtype | None = None,
             device: Any = None, requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """``base`` to the powers ``linspace(start, end, steps)``, rounded as torch's kernel rounds: the ends
    in the dtype, then the step, the exponents and the power in float64."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = dtype or dtypes._default.value
    if steps == 1:
        exps = numpy.array([float(start)])
    else:
        ct = d.numpy.type if d.is_floating_point else numpy.int64
        s, e = ct(float(start)), ct(float(end))
        step = numpy.float64(e - s) / (steps - 1)
        up, down = numpy.arange(steps), numpy.arange(steps - 1, -1, -1)
        exps = numpy.where(up < steps // 2, numpy.float64(s) + step * up, numpy.float64(e) - step * down)
    return _finish(xp.asarray(numpy.float64(base) ** exps).astype(d.numpy), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: _dtype | None = None, device: Any = None,
        requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)), requires_grad, device)


# -- random -------------------------------------------------------------------------------
# The draws are torch's: same generator stream, same samplers (see ember.random).

def _check_float_draw(kernel: str, d: _dtype) -> None:
    """torch's error for rand/randn of an integer or bool dtype."""
    if not d.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{d.scalar_name}\'')


def _draw_shape(sizes: tuple[Any, ...], size: Any, device: Any) -> tuple[tuple[int, ...], int]:
    if device is not None:
        _device(device)
    shape = _sizes(sizes, size)
    return shape, math.prod(shape)


def rand(*sizes: Any, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
         requires_grad: bool = False, out: Any = None, layout: Any = None, size: Any = None) -> Tensor:
    """Uniform samples from [0, 1): torch's values for the generator's state."""
    d = dtype or dtypes._default.value
    _check_float_draw("check_uniform_bounds", d)
    shape, n = _draw_shape(sizes, size, device)
    data = _random.uniform_values(_random.generator_or_default(generator), n, d.numpy, 0.0, 1.0)
    return _finish(data.reshape(shape), requires_grad)


def randn(*sizes: Any, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
          requires_grad: bool = False, out: Any = None, layout: Any = None, size: Any = None) -> Tensor:
    """Standard normal samples: torch's values for the generator's state."""
    d = dtype or dtypes._default.value
    _check_float_draw("normal_kernel_cpu", d)
    shape, n = _draw_shape(sizes, size, device)
    data = _random.normal_values(_random.generator_or_default(generator), n, d.numpy)
    return _finish(data.reshape(shape), requires_grad)


def randint(low: int = 0, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False, out: Any = None,
            layout: Any = None) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` takes low = 0 (torch's ``random_(low, high)``)."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    d = dtype or dtypes.int64
    shape, n = _draw_shape((), size, device)
    if requires_grad and not d.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    base, span = _random.random_bounds(d, int(low), int(high))
    data = _random.random_values(_random.generator_or_default(generator), n, d.numpy, base, span)
    return _finish(data.reshape(shape), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """A random permutation of 0..n-1: torch's Fisher-Yates swaps for the generator's state."""
    d = dtype or dtypes.int64
    if device is not None:
        _device(device)
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if d.name == "bool":
        raise NotImplementedError('"randperm" not implemented for \'Bool\'')
    if d.name in ("uint8", "int8", "int16", "int32") and n - 1 > int(xp.iinfo(d.numpy).max):
        raise RuntimeError(f"value cannot be converted to type {d.name}_t without overflow")
    digits = {"float16": 11, "float32": 24, "float64": 53}.get(d.name)
    if digits is not None and n > (1 << digits) + 1:
        limit = "2049" if digits == 11 else f"2^{digits}+1"
        raise RuntimeError(f"n cannot be greater than {limit} for {d.scalar_name} type.")
    if requires_grad and not d.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    data = _random.randperm_values(_random.generator_or_default(generator), n)
    return _finish(data.astype(d.numpy), requires_grad)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           out: Any = None, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (numbers, or tensors that broadcast): torch's values."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        from ember.ops.sampling import normal_tensors  # noqa: PLC0415 - ember.ops imports this module

        return normal_tensors(mean, std, generator=generator)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: a size is needed when mean and "
                        "std are numbers")
    d = dtype or dtypes._default.value
    mean, std = float(mean), float(std)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_random.cpp_double(std)}")
    _check_float_draw("normal_kernel_cpu", d)
    shape, n = _draw_shape((), size, device)
    data = _random.normal_values(_random.generator_or_default(generator), n, d.numpy, mean, std)
    return _finish(data.reshape(shape), requires_grad)
