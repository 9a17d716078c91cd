"""``backward`` and ``grad``: check the user's arguments, then hand the roots to the engine."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from ember import tensor as _tensor  # the module: ember.tensor imports this package first
from ember.autograd import engine

if TYPE_CHECKING:
    from ember.tensor import Tensor


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if x is None:
        return ()
    return (x,) if isinstance(x, _tensor.Tensor) else tuple(x)


def _roots(outputs: tuple[Tensor, ...], grads: tuple[Any, ...], create_graph: bool) -> list[Any]:
    """(edge, gradient) for each output, with torch's checks in torch's order, and implicit
    gradients for scalars. Gradients past the number of outputs are ignored, as in torch."""
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
        elif not isinstance(g, _tensor.Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif g._data.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape "
                f"of {out.shape}."
            )
    if len(grads) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            g = numpy.ones(out._data.shape, out._data.dtype)
            if create_graph:
                g = _tensor.Tensor._make(g)
        else:
            g = g if create_graph else g._data.astype(out._data.dtype, copy=False)
        roots.append((out._grad_edge(), g))
    return roots


def _targets(inputs: tuple[Tensor, ...]) -> list[Any]:
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    return [t._grad_edge() for t in inputs]


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs``)."""
    wanted = _as_tuple(inputs)
    if inputs is not None and not wanted:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    roots = _roots(outputs, grads, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        engine.run_backward(roots, retain_graph=retain, create_graph=create_graph)
        return
    for t in wanted:
        t.retain_grad()  # as torch does: a non-leaf input gets its .grad the way retain_grad() gives it
    captured = engine.run_backward(roots, retain_graph=retain, create_graph=create_graph,
                                   targets=_targets(wanted), accumulate=False)
    for t, g in zip(wanted, captured or ()):
        if g is not None and t._grad_fn is None:
            engine._accumulate(t, g, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    roots = _roots(outs, grads, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    captured = engine.run_backward(roots, retain_graph=retain, create_graph=create_graph,
                                   targets=_targets(ins), accumulate=False) or []
    result: list[Tensor | None] = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize_grads:
                result.append(_tensor.Tensor._make(numpy.zeros_like(t._data), None, create_graph))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        else:
            result.append(g if isinstance(g, _tensor.Tensor) else _tensor.Tensor._make(g))
    return tuple(result)
