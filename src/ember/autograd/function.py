"""``ember.autograd.Function``: user-defined ops with a hand-written backward.

The node a Function records is the same kind of object every built-in op records (a ``Node``), so
the engine treats both alike; ``ctx`` *is* that node, as in torch.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    y = Exp.apply(x)        # y.grad_fn is an ExpBackward
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ember.autograd import node as _node
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import _FREED_MESSAGE, Node


class FunctionCtx:
    """What ``forward`` may call on ``ctx`` (the methods of the node a Function records)."""

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (inputs, outputs, or None) for ``backward``, as ``ctx.saved_tensors``."""
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """These outputs get no grad_fn and no gradient."""
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors: Any) -> None:
        """These inputs were modified in place by ``forward`` (and must be returned)."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of one ``Function.apply`` call (and its ``ctx``). Instances take any attribute."""

    _function: type[Function]

    def __init__(self) -> None:
        super().__init__()
        self._to_save: tuple[Any, ...] = ()
        self._non_differentiable: set[int] = set()
        self._dirty: set[int] = set()
        self._saved_values: list[Any] | None = None
        self._output_meta: list[Any] = []
        self.materialize_grads = True
        self.needs_input_grad: tuple[bool, ...] = ()
        self._tensor_positions: list[int] = []
        self._ctx = {}

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._saved_values is None:
            raise RuntimeError(_FREED_MESSAGE)
        if self._versions:
            self._check_versions()
        return tuple(self._unpack(item) for item in self._saved_values)

    def _unpack(self, item: Any) -> Any:
        if type(item) is tuple:  # one of our own outputs, kept as (output_nr, array): no cycle
            nr, data = item
            t = _node._tensor_type._make(data, self if grad_state.enabled else None, grad_state.enabled)
            t._output_nr = nr
            return t
        return item

    def release(self) -> None:
        self._saved_values = None
        self._versions = ()

    def apply(self, grads: list[Any], needs: Any, as_tensor: bool) -> list[Any]:  # type: ignore[override]
        Tensor = _node._tensor_type
        grad_outputs = []
        for g, (shape, dtype) in zip(grads, self._output_meta):
            if g is None:
                if not self.materialize_grads:
                    grad_outputs.append(None)
                    continue
                import numpy  # noqa: PLC0415 (zeros for an output that received no gradient)

                g = numpy.zeros(shape, dtype)
            grad_outputs.append(g if isinstance(g, Tensor) else Tensor._make(g))
        result = self._function.backward(self, *grad_outputs)
        result = result if isinstance(result, tuple) else (result,)
        name = type(self).__name__
        if len(result) < self._num_inputs:
            raise RuntimeError(
                f"function {name} returned an incorrect number of gradients (expected {self._num_inputs}, "
                f"got {len(result)})"
            )
        out = []
        for pos in self._tensor_positions:
            g = result[pos]
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"function {name} returned a gradient different than None at position {pos + 1}, "
                                "but the corresponding forward input was not a Variable")
            out.append(g if g is None or as_tensor else g._data)
        return out


class Function(FunctionCtx):
    """Base class of user-defined differentiable ops: override ``forward`` and ``backward``
    (static methods) and call ``apply``."""

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    _node_classes: dict[type, type[BackwardCFunction]] = {}

    @classmethod
    def _node_class(cls) -> type[BackwardCFunction]:
        node_cls = Function._node_classes.get(cls)
        if node_cls is None:
            node_cls = type(f"{cls.__name__}Backward", (BackwardCFunction,), {"_function": cls})
            Function._node_classes[cls] = node_cls
        return node_cls

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        Tensor = _node._tensor_type
        ctx = cls._node_class()()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            output = cls.forward(*args, **kwargs) if separate_setup else cls.forward(ctx, *args, **kwargs)
        if separate_setup:
            cls.setup_context(ctx, args, output)
        outputs = output if isinstance(output, tuple) else (output,)
        record = grad_state.enabled and any(ctx.needs_input_grad)
        inputs_by_id = {id(a): a for a in args if isinstance(a, Tensor)}
        result = []
        for nr, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                result.append(out)
                continue
            if id(out) in inputs_by_id and id(out) not in ctx._dirty:
                out = Tensor._make(out._data)  # an input returned as is: a new tensor on its data, as torch does
            if id(out) in ctx._dirty:
                out._vc[0] += 1
            if record and id(out) not in ctx._non_differentiable and out._data.dtype.kind == "f":
                out._grad_fn, out._output_nr, out._requires_grad = ctx, nr, True
            result.append(out)
        ctx._num_inputs = len(args)
        ctx._tensor_positions = positions
        ctx._num_outputs = len(outputs)
        ctx._output_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None) for o in result]
        if record:
            tensors = [args[i] for i in positions]
            ctx.next_functions = tuple(t._grad_edge() for t in tensors)
            ctx._input_meta = tuple((t._data.shape, t._data.dtype) for t in tensors)
            ctx._saved_values, versions = [], []
            by_id = {id(o): nr for nr, o in enumerate(result) if isinstance(o, Tensor)}
            for t in ctx._to_save:
                if isinstance(t, Tensor) and id(t) in by_id and t._grad_fn is ctx:
                    ctx._saved_values.append((by_id[id(t)], t._data))  # an output: keep its array, not the tensor
                else:
                    ctx._saved_values.append(t)
                if isinstance(t, Tensor):
                    versions.append((t._data if t._grad_fn is ctx else t, t._vc, t._vc[0]))
            ctx._versions = tuple(versions)
            ctx._to_save = ()
        return tuple(result) if isinstance(output, tuple) else result[0]


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a ``backward`` that is not itself differentiable: it runs without recording."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            return fn(ctx, *args)

    return wrapper
