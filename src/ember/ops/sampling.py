"""In-place samplers (``normal_``, ``uniform_``, ``random_``, ``bernoulli_``, ``exponential_``),
``bernoulli`` and ``normal`` of tensors: torch's values for the generator's state (see ember.random).

A sampler writes the tensor in the order torch's TensorIterator visits it (memory order), records
a node whose gradient is zero (``NormalBackward0`` ...) when the tensor is part of a graph, and
refuses a leaf that requires grad, as every in-place op does.
"""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember import random as _random
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.inplace import _check_leaf, _node, _stand_in, _written
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["bernoulli"]


def _zero(F: Any, grad: Any) -> Any:
    return grad * 0


_Normal = node_class("NormalBackward0", _zero)
_Uniform = node_class("UniformBackward0", _zero)
_RandomFromTo = node_class("RandomBackward0", _zero)
_RandomTo = node_class("RandomBackward1", _zero)
_Random = node_class("RandomBackward2", _zero)
_BernoulliTensor = node_class("BernoulliBackward1", _zero, _zero)
_BernoulliScalar = node_class("BernoulliBackward2", _zero)
_Exponential = node_class("ExponentialBackward0", _zero)
_Bernoulli = node_class("BernoulliBackward0", _zero)
_NormalMean = node_class("NormalBackward1", _zero)
_NormalStd = node_class("NormalBackward2", _zero)
_NormalBoth = node_class("NormalBackward3", _zero, _zero)


def _dtype(t: Tensor) -> dtypes.dtype:
    return dtypes._BY_NUMPY[t._data.dtype]


def _not_implemented(kernel: str, d: dtypes.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{d.scalar_name}\'')


def _sample_into(self: Tensor, cls: Any, values: Any, others: tuple[Any, ...] = ()) -> Tensor:
    """Write ``values(n, contiguous)`` into ``self`` (torch's visiting order) and record ``cls``."""
    record = _check_leaf(self, any(getattr(o, "_requires_grad", False) for o in others))
    arr = self._data
    if arr.size:
        _random.fill_in_order(arr, values(arr.size, arr.flags.c_contiguous))
    return _written(self, _node(cls, (_stand_in(self), *others), {}) if record else None)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with normal samples (torch's values)."""
    mean, std = float(mean), float(std)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_random.cpp_double(std)}")
    d = _dtype(self)
    if self._data.size and not d.is_floating_point:
        raise _not_implemented("normal_kernel_cpu", d)
    gen = _random.generator_or_default(generator)
    return _sample_into(self, _Normal, lambda n, contig: _random.normal_values(gen, n, d.numpy, mean, std, contig))


def uniform_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill with uniform samples from [from, to) (default [0, 1); torch's values)."""
    low, high = _bounds(args, kwargs, "uniform_", 0.0, 1.0)
    low, high = float(low), float(high)
    d = _dtype(self)
    if not d.is_floating_point:
        raise _not_implemented("check_uniform_bounds", d)
    top = _random._FLOAT_MAX[d.name]
    for value, label in ((low, "from"), (high, "to")):
        if not -top <= value <= top:
            raise RuntimeError(f"{label} is out of bounds for {d.cpp_name}")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_random.cpp_double(low)} "
                           f"> to={_random.cpp_double(high)}")
    if not high - low <= top:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{d.scalar_name}>::max(), but found "
                           f"to={_random.cpp_double(high)} and from={_random.cpp_double(low)} which result in to-from "
                           "to exceed the limit")
    gen = _random.generator_or_default(generator)
    return _sample_into(self, _Uniform, lambda n, contig: _random.uniform_values(gen, n, d.numpy, low, high))


def _bounds(args: tuple[Any, ...], kwargs: dict[str, Any], name: str, low: Any, high: Any) -> tuple[Any, Any]:
    """``(from, to)`` from positional arguments and the keywords ``from`` / ``to``."""
    if len(args) > 2 or set(kwargs) - {"from", "to"}:
        raise TypeError(f"{name}() received an invalid combination of arguments")
    if args:
        low = args[0]
    if len(args) > 1:
        high = args[1]
    return kwargs.get("from", low), kwargs.get("to", high)


def random_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """``random_()``: integers in [0, 2**mantissa] (floats) or [0, max] (integers); ``random_(to)``:
    in [0, to); ``random_(from, to)``: in [from, to); ``to=None``: up to the dtype's largest. torch's values."""
    if len(args) > 2 or set(kwargs) - {"from", "to"}:
        raise TypeError("random_() received an invalid combination of arguments")
    d = _dtype(self)
    gen = _random.generator_or_default(generator)
    if not args and not kwargs:
        return _sample_into(self, _Random, lambda n, contig: _random.random_default_values(gen, n, d.numpy))
    if (len(args) == 1 and not kwargs) or (not args and set(kwargs) == {"to"}):  # random_(to)
        low, high, cls = 0, (args or (kwargs["to"],))[0], _RandomTo
    else:  # random_(from, to); to=None: up to the dtype's largest
        if len(args) + len(kwargs) < 2:
            raise TypeError("random_() received an invalid combination of arguments: 'from' needs 'to'")
        low, high = _bounds(args, kwargs, "random_", 0, None)
        cls = _RandomFromTo
    base, span = _random.random_bounds(d, int(low), None if high is None else int(high))
    return _sample_into(self, cls, lambda n, contig: _random.random_values(gen, n, d.numpy, base, span))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 1 where a uniform draw falls below ``p`` (a number, or a tensor that broadcasts)."""
    gen = _random.generator_or_default(generator)
    d = _dtype(self)
    if isinstance(p, Tensor):
        probs = p._data
        if probs.dtype.kind != "f":
            raise _not_implemented("bernoulli_tensor_cpu_p_", dtypes._BY_NUMPY[probs.dtype])
        if self._data.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                               "be improved?  If so, please report an enhancement request to PyTorch.)")
        try:
            full = xp.broadcast_to(probs, self._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
                               f"the size of tensor b ({probs.shape[-1] if probs.ndim else 1}) at non-singleton "
                               f"dimension {max(self._data.ndim - 1, 0)}") from None
        order = _random.visiting_order(self._data)
        flat = xp.transpose(full, order).reshape(-1)
        is_double = probs.dtype == xp.float64

        def draw(n: int, contig: bool) -> Any:
            return _random.bernoulli_values(gen, n, flat, is_double).astype(d.numpy)

        return _sample_into(self, _BernoulliTensor, draw, (p,))
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_random.cpp_double(p)}")
    return _sample_into(self, _BernoulliScalar,
                        lambda n, contig: _random.bernoulli_values(gen, n, p, True).astype(d.numpy))


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None, out: Any = None) -> Tensor:
    """Draws of 0 or 1 with probabilities ``input`` (or ``p``, a number, for every element)."""
    result = Tensor._make(xp.empty(input._data.shape, input._data.dtype))
    prev, grad_state.enabled = grad_state.enabled, False
    try:
        bernoulli_(result, input if p is None else p, generator=generator)
    finally:
        grad_state.enabled = prev
    if p is None and grad_state.enabled and input._requires_grad:
        attach(result, _Bernoulli, (input,), {})
    return result


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with exponential samples of rate ``lambd`` (torch's values)."""
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_random.cpp_double(lambd)}")
    d = _dtype(self)
    if not d.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {d.scalar_name}")
    gen = _random.generator_or_default(generator)
    return _sample_into(self, _Exponential, lambda n, contig: _random.exponential_values(gen, n, d.numpy, lambd))


def normal_tensors(mean: Any, std: Any, *, generator: Any = None) -> Tensor:
    """``torch.normal`` with a tensor mean and/or std: ``normal_(0, std)`` then ``+ mean`` (tensor
    mean, number std), or ``normal_(0, 1) * std + mean`` (tensor std), as torch computes it."""
    gen = _random.generator_or_default(generator)
    if isinstance(std, Tensor):
        s = std._data
        if s.size and not (s >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        std = float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_random.cpp_double(std)}")
    out_t = mean if isinstance(mean, Tensor) else std
    if out_t._data.dtype.kind != "f":
        raise _not_implemented("normal_kernel_cpu", _dtype(out_t))
    inputs: tuple[Tensor, ...]
    if isinstance(mean, Tensor) and not isinstance(std, Tensor):
        m = mean._data
        z = _random.normal_values(gen, m.size, m.dtype, 0.0, std).reshape(m.shape)
        data, cls, inputs = z + m, _NormalMean, (mean,)
    else:
        s = std._data
        if isinstance(mean, Tensor):
            m = mean._data
            shape, out_dtype = xp.broadcast_shapes(m.shape, s.shape), m.dtype
            cls, inputs = _NormalBoth, (mean, std)
        else:
            shape, out_dtype = s.shape, s.dtype
            m = xp.asarray(float(mean)).astype(out_dtype)
            cls, inputs = _NormalStd, (std,)
        n = 1
        for k in shape:
            n *= k
        z = _random.normal_values(gen, n, out_dtype).reshape(shape)
        data = ((z * s).astype(out_dtype, copy=False) + m).astype(out_dtype, copy=False)
    result = Tensor._make(xp.asarray(data))
    if grad_state.enabled and any(t._requires_grad for t in inputs):
        attach(result, cls, inputs, {})
    return result


for _fn in (normal_, uniform_, random_, bernoulli_, exponential_, bernoulli):
    register(_fn)
