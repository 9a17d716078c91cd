"""``multinomial``: category indices drawn from the rows of a weight tensor, torch's values for the
generator's state (torch's CPU kernel: ``ATen/native/Distributions.cpp`` ``multinomial_out`` and
``ATen/native/cpu/MultinomialKernel.cpp``).

- Without replacement, or one sample: ``q ~ Exp(1)`` drawn into a tensor laid out like the input
  (``empty_like(input).exponential_(1)``), then the indices of the largest ``input / q`` (argmax for
  one sample, ``topk`` for more). This is the Gumbel-max trick in exponential form:
  ``P(argmax_i p_i / q_i = j) = p_j / sum_i p_i``, and ``topk`` continues it without replacement.
- With replacement and more than one sample: per row, the running sum ``c_j = p_0 + ... + p_j``
  (accumulated in the input's dtype, float for float16), divided by its total, the last set to 1;
  each sample is the first ``j`` with ``c_j >= u`` for a fresh double uniform ``u`` (a binary
  search), rows one after the other. Each row is checked just before it is sampled.

The result is int64 and never part of a graph.
"""
from __future__ import annotations

import operator
from typing import Any

from ember import dtypes
from ember import random as _random
from ember.backend import xp
from ember.ops.inplace import _written
from ember.ops.registry import register
from ember.ops.sorting import topk
from ember.tensor import Tensor

__all__ = ["multinomial"]

_NEGATIVE = "invalid multinomial distribution (encountering probability entry < 0)"
_NOT_FINITE = "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
_ZERO_SUM = "invalid multinomial distribution (sum of probabilities <= 0)"


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None, out: Tensor | None = None) -> Tensor:
    """``num_samples`` indices per row of ``input`` (1-D or 2-D, non-negative weights, not
    necessarily normalised), index ``j`` drawn with probability ``input[..., j] / input.sum(-1)``;
    without ``replacement`` an index appears at most once per row."""
    return _multinomial(input, num_samples, replacement, generator, out, 2)


def multinomial_method(self: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """``Tensor.multinomial``."""
    return _multinomial(self, num_samples, replacement, generator, None, 1)


def _multinomial(input: Tensor, n: Any, replacement: bool, generator: Any, out: Tensor | None,  # noqa: A002
                 position: int) -> Tensor:
    try:
        if isinstance(n, bool):
            raise TypeError
        n = operator.index(n)  # a Python or NumPy integer, or a one-element integer tensor
    except TypeError:
        kind = type(n)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"multinomial(): argument 'num_samples' (position {position}) must be int, not "
                        f"{name}") from None
    if generator is not None and not isinstance(generator, _random.Generator):
        raise TypeError(f"multinomial(): argument 'generator' must be ember.Generator, not {type(generator).__name__}")
    x = input._data
    if not 1 <= x.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if x.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{dtypes._BY_NUMPY[x.dtype].scalar_name}")
    if out is not None and out._data.dtype != xp.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {dtypes._BY_NUMPY[out._data.dtype].scalar_name}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = x.shape[-1]
    if not replacement and n > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    gen = _random.generator_or_default(generator)
    rows = x if x.ndim == 2 else x[None]
    if not rows.shape[0]:
        result = xp.empty((0, n), xp.int64)
    elif not replacement or n == 1:
        result = _exponential_race(x, rows, n, gen)
    else:
        result = _inverse_cdf(rows, n, gen)
    if x.ndim == 1:
        result = result[0]
    if out is None:
        return Tensor._make(result)
    if out._data.shape == result.shape:
        out._data[...] = result
    else:  # torch resizes the out tensor (no warning: multinomial_out calls resize_ itself)
        out._data = result
    return _written(out, None)


def _exponential_race(x: Any, rows: Any, n: int, gen: _random.Generator) -> Any:
    """The indices of the ``n`` largest ``p / q``, ``q ~ Exp(1)`` drawn in ``x``'s memory order."""
    if not rows.size:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if not (x.max() < xp.inf and x.min() >= 0):  # a NaN fails both
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not rows.any(axis=1).all():  # a row of non-negative numbers sums to 0 only when all are 0
        raise RuntimeError(_ZERO_SUM)
    # empty_like keeps the input's axis order (infer_dense_strides): a transpose draws in its memory order
    q = xp.empty_like(x, order="K")
    _random.fill_in_order(q, _random.exponential_values(gen, q.size, q.dtype, 1.0))
    ratio = (x / q).reshape(rows.shape)
    if n == 1:
        return xp.argmax(ratio, axis=1)[:, None].astype(xp.int64)  # the first maximum (or NaN), as torch's
    return topk(Tensor._make(ratio), n)[1]._data


def _inverse_cdf(rows: Any, n: int, gen: _random.Generator) -> Any:
    """Per row, for each of ``n`` double uniforms ``u``, the first ``j`` with normalised ``c_j >= u``."""
    w = rows.astype(xp.float32) if rows.dtype == xp.float16 else rows
    count, categories = w.shape
    # the kernel checks a row's entries in order, then its sum, just before sampling it
    negative = ~(w >= 0)
    bad = negative | ~xp.isfinite(w)
    cum = xp.cumsum(w, axis=1)  # sequential, in the accumulation dtype, as the kernel's loop
    total = cum[:, -1] if categories else xp.zeros(count, w.dtype)
    failed = bad.any(axis=1) | ~(total > 0)
    if failed.any():
        row = int(xp.argmax(failed))
        _random.uniform_values(gen, row * n, xp.float64, 0.0, 1.0)  # the rows before it were sampled
        if bad[row].any():
            raise RuntimeError(_NEGATIVE if negative[row, int(xp.argmax(bad[row]))] else _NOT_FINITE)
        raise RuntimeError(_ZERO_SUM)
    with xp.errstate(invalid="ignore"):  # a total that overflowed to inf: the kernel divides all the same
        cdf = (cum / total[:, None]).astype(w.dtype, copy=False)
    cdf[:, -1] = 1
    cdf = cdf.astype(xp.float64)  # exact: the kernel compares each (float) entry with a double
    u = _random.uniform_values(gen, count * n, xp.float64, 0.0, 1.0).reshape(count, n)
    left = xp.zeros((count, n), xp.int64)
    right = xp.full((count, n), categories, xp.int64)
    which = xp.arange(count)[:, None]
    while True:  # the kernel's binary search on every sample at once (NaN entries behave as in C)
        active = right > left
        if not active.any():
            return left
        mid = left + (right - left) // 2
        below = cdf[which, xp.minimum(mid, categories - 1)] < u
        left = xp.where(active & below, mid + 1, left)
        right = xp.where(active & ~below, mid, right)


register(multinomial)
