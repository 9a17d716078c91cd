"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled
(``zeros``, ``full``, ``eye`` ...), ranges (``arange``, ``linspace``), and random draws."""
from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy

from ember import dtypes
from ember.backend import device as _device
from ember.backend import xp
from ember.ops._shape import shape_arg
from ember.random import Generator, rng
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
        raise ValueError(_ragged_message(data) or str(e)) from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(dtypes._default.value.numpy, copy=False)
    if kind in "iu":
        return arr.astype(numpy.int64, copy=False)
    if kind == "b":
        return arr
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
    raise TypeError(f"new(): invalid data type '{type(data).__name__}'")


def _first_leaf(data: Any) -> Any:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _ragged_message(data: Any) -> str | None:
    """torch's message for a nested list whose rows differ in length."""
    level = [data]
    dim = 0
    while level and all(isinstance(x, (list, tuple)) for x in level):
        lengths = [len(x) for x in level]
        if len(set(lengths)) > 1:
            return f"expected sequence of length {lengths[0]} at dim {dim} (got {next(n for n in lengths if n != lengths[0])})"
        level = [y for x in level for y in x]
        dim += 1
    return None


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


def _dtype_or_default(dtype: _dtype | None) -> Any:
    return (dtype or dtypes._default.value).numpy


def zeros(*size: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.zeros(shape_arg(size), _dtype_or_default(dtype)), requires_grad, device)


def ones(*size: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
         out: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.ones(shape_arg(size), _dtype_or_default(dtype)), requires_grad, device)


def empty(*size: Any, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, layout: Any = None, memory_format: Any = None) -> Tensor:
    return _finish(xp.empty(shape_arg(size), _dtype_or_default(dtype)), requires_grad, device)


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
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    all_int = all(isinstance(v, int) for v in (start, end, step))
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
    if steps == 1:
        data = xp.full((1,), start, xp.float64)
    else:
        # torch fills the first half forwards from start and the second half backwards from end
        step = (end - start) / max(steps - 1, 1)
        i = xp.arange(steps, dtype=xp.float64)
        half = steps // 2
        data = xp.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _finish(data.astype(d.numpy), requires_grad, device)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: _dtype | None = None,
             device: Any = None, requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    d = dtype or dtypes._default.value
    exps = linspace(start, end, steps, dtype=dtypes.float64)._data
    return _finish((base ** exps).astype(d.numpy), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: _dtype | None = None, device: Any = None,
        requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    return _finish(xp.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)), requires_grad, device)


# -- random -------------------------------------------------------------------------------
def rand(*size: Any, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
         requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """Uniform samples from [0, 1)."""
    d = dtype or dtypes._default.value
    data = rng(generator).random(shape_arg(size), dtype=xp.float64 if d is dtypes.float64 else xp.float32)
    return _finish(data.astype(d.numpy, copy=False), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
          requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """Standard normal samples."""
    d = dtype or dtypes._default.value
    data = rng(generator).standard_normal(shape_arg(size), dtype=xp.float64 if d is dtypes.float64 else xp.float32)
    return _finish(data.astype(d.numpy, copy=False), requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False, out: Any = None,
            layout: Any = None) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` takes low = 0."""
    if size is None:
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = rng(generator).integers(low, high, shape_arg((size,)), dtype=xp.int64)
    return _finish(data.astype((dtype or dtypes.int64).numpy, copy=False), requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: _dtype | None = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    data = rng(generator).permutation(n).astype((dtype or dtypes.int64).numpy)
    return _finish(data, requires_grad, device)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           out: Any = None, dtype: _dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors, which broadcast)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
    else:
        shape = shape_arg((size,))
    d = dtype or next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), dtypes._default.value)
    if not isinstance(s, numpy.ndarray) and s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
    data = m + s * rng(generator).standard_normal(shape)
    return _finish(xp.asarray(data).astype(d.numpy), requires_grad, device)
