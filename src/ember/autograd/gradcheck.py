"""Finite-difference checks of the derivative rules (torch.autograd.gradcheck's contract).

``gradcheck`` compares the Jacobian autograd computes (one vector-Jacobian product per output
element) with central differences; ``gradgradcheck`` does the same for the backward pass itself,
built with ``create_graph=True``. Use float64 inputs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from ember.autograd.api import grad as autograd_grad


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree (torch's class name)."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _tensor_type() -> Any:
    from ember.tensor import Tensor  # noqa: PLC0415

    return Tensor


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Any, ...]:
    Tensor = _tensor_type()
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor))


def _numerical(fn: Callable[..., Any], inputs: Sequence[Any], i: int, eps: float) -> list[numpy.ndarray]:
    """d(outputs)/d(inputs[i]) by central differences: one (numel_in, numel_out) matrix per output."""
    x = inputs[i]._data
    flat = x.reshape(-1)  # a view: perturbing it perturbs the input in place
    columns: list[list[numpy.ndarray]] = []
    # grad mode stays on: for gradgradcheck, `fn` itself runs a backward
    for k in range(flat.size):
        orig = flat[k].item()
        flat[k] = orig + eps
        plus = [o._data.astype(numpy.float64).reshape(-1).copy() for o in _outputs(fn, inputs)]
        flat[k] = orig - eps
        minus = [o._data.astype(numpy.float64).reshape(-1).copy() for o in _outputs(fn, inputs)]
        flat[k] = orig
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(_outputs(fn, inputs))
    return [numpy.stack([c[j] for c in columns]) if columns else numpy.zeros((0, 0)) for j in range(n_out)]


def _analytical(fn: Callable[..., Any], inputs: Sequence[Any], diff: list[int]) -> list[list[numpy.ndarray]]:
    """J[input][output] as (numel_in, numel_out), one backward per output element."""
    Tensor = _tensor_type()
    outputs = _outputs(fn, inputs)
    jac = [[numpy.zeros((inputs[i]._data.size, o._data.size)) for o in outputs] for i in diff]
    for j, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for k in range(out._data.size):
            seed = numpy.zeros(out._data.size, out._data.dtype)
            seed[k] = 1
            grads = autograd_grad(out, [inputs[i] for i in diff], Tensor._make(seed.reshape(out._data.shape)),
                                  retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    jac[n][j][:, k] = g._data.reshape(-1)
    return jac


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **_: Any) -> bool:
    """True when autograd's gradients of ``func`` at ``inputs`` match finite differences."""
    Tensor = _tensor_type()
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    analytical = _analytical(func, inputs, diff)
    for n, i in enumerate(diff):
        numerical = _numerical(func, inputs, i, eps)
        for j, (a, num) in enumerate(zip(analytical[n], numerical)):
            if a.size and not numpy.allclose(a, num, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{a}\n"
                )
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, **_: Any) -> bool:
    """gradcheck of the backward pass: second derivatives through ``create_graph=True``."""
    Tensor = _tensor_type()
    inputs = _as_tuple(inputs)
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]  # integer outputs (indices) have no gradient
    if grad_outputs is None:
        rng = numpy.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_() for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def backward_fn(*args: Any) -> tuple[Any, ...]:
        outs = [o for o in _outputs(func, args[:n_in]) if o.requires_grad]
        wanted = [t for t in args[:n_in] if isinstance(t, Tensor) and t.requires_grad]
        grads = autograd_grad(outs, wanted, args[n_in:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(backward_fn, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
