"""Node: the ``grad_fn`` object. One recorded op, its edges to the nodes of its inputs, and what
its derivative rules need saved.

A node never holds its own output Tensor (that would be a reference cycle): it saves the output
*array* and, when a rule needs ``result`` as a Tensor (double backward), makes a fresh Tensor on
that array whose ``grad_fn`` is the node itself.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from ember.dtypes import from_numpy_dtype

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

# ctx names under which the op registry saves the operands of a binary op
_OPERANDS = ("a", "b")

# Bound at package init, so that this module imports nothing above it: the Tensor class, the
# types that count as saved data, and the rule namespaces on arrays and on Tensors.
_tensor_type: Any = None
_data_types: tuple[type, ...] = ()
_F_array: Any = None
_F_tensor: Any = None


def bind(tensor_type: type, array_type: type, F_array: Any, F_tensor: Any) -> None:
    global _tensor_type, _data_types, _F_array, _F_tensor
    _tensor_type, _data_types = tensor_type, (tensor_type, array_type)
    _F_array, _F_tensor = F_array, F_tensor


class Node:
    """Base of every grad_fn. Subclasses are named as torch names them (``MulBackward0``)."""

    # _versions: (tensor, its version counter, the version it was saved at) per saved tensor (an
    # array in place of the tensor for the node's own output), so a backward can refuse values that
    # an in-place op changed since
    __slots__ = ("next_functions", "_input_meta", "_ctx", "_versions", "_pre_hooks", "_hooks", "_retained",
                 "__weakref__")

    # filled in per subclass by the op registry
    _vjps: tuple[Callable[..., Any], ...] = ()
    _arg_names: tuple[tuple[str, ...], ...] = ()
    _num_outputs = 1

    # whether the subclass keeps Node.apply (the engine then runs it inline)
    _plain_apply = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_apply = cls.apply is Node.apply

    def __init__(self) -> None:
        self._versions: tuple[Any, ...] = ()
        self._pre_hooks: dict[int, list[Callable[..., Any]]] | None = None
        self._hooks: list[Callable[..., Any]] | None = None
        self._retained: dict[int, Any] | None = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    # -- saved values ---------------------------------------------------------------------
    def _saved(self, name: str, as_tensor: bool) -> Any:
        try:
            value = self._ctx[name]
        except KeyError:
            raise RuntimeError(_FREED_MESSAGE) from None
        if name == "result":  # the output, saved as its array
            return _tensor_type._make(value, self, True) if as_tensor else value
        if not as_tensor and isinstance(value, _tensor_type):
            return value._data
        return value

    def release(self) -> None:
        """Drop saved values (after a backward without ``retain_graph``); a second use raises."""
        self._versions = ()
        ctx = self._ctx
        if ctx:
            # an operand saved as a Python number goes too: torch saves it as a wrapped tensor
            kept = None
            for k, v in ctx.items():
                if not isinstance(v, _data_types) and k not in _OPERANDS:
                    if kept is None:
                        kept = {}
                    kept[k] = v
            self._ctx = kept or {}

    # -- the backward step ----------------------------------------------------------------
    def apply(self, grads: list[Any], needs: tuple[bool, ...], as_tensor: bool) -> list[Any]:
        """Gradients for each input from ``grads`` (one per output); ``None`` where not needed."""
        if self._versions:
            self._check_versions()
        grad = grads[0]
        if as_tensor:
            return [vjp(_F_tensor, grad, *[self._saved(n, True) for n in names]) if need else None
                    for vjp, names, need in zip(self._vjps, self._arg_names, needs)]
        ctx = self._ctx
        out: list[Any] = []
        for vjp, names, need in zip(self._vjps, self._arg_names, needs):
            if not need:
                out.append(None)
            elif not names:
                out.append(vjp(_F_array, grad))
            elif len(names) == 1:  # the plain backward's hot path: _saved(name, False) inlined
                name = names[0]
                try:
                    value = ctx[name]
                except KeyError:
                    raise RuntimeError(_FREED_MESSAGE) from None
                if name != "result" and isinstance(value, _tensor_type):
                    value = value._data
                out.append(vjp(_F_array, grad, value))
            else:
                out.append(vjp(_F_array, grad, *self._saved_arrays(names)))
        return out

    def _saved_arrays(self, names: tuple[str, ...]) -> list[Any]:
        """The saved values ``names`` for a plain backward (arrays in place of Tensors)."""
        ctx = self._ctx
        args = []
        for name in names:
            if name not in ctx:
                raise RuntimeError(_FREED_MESSAGE)
            value = ctx[name]
            args.append(value._data if name != "result" and isinstance(value, _tensor_type) else value)
        return args

    def _check_versions(self) -> None:
        for tensor, counter, expected in self._versions:
            if counter[0] != expected:
                if not isinstance(tensor, _tensor_type):  # this node's own output, kept as its array
                    data, source = tensor, (0, type(self).__name__)
                else:
                    fn = tensor._grad_fn
                    data, source = tensor._data, None if fn is None else (tensor._output_nr, type(fn).__name__)
                what = f"[ember.{from_numpy_dtype(data.dtype).scalar_name}Tensor {list(data.shape)}]"
                if source is not None:
                    name = source[1]  # torch's short name: ExpBackward0 -> Exp, EluBackward1 -> Elu1
                    name = name[: -len("Backward0")] if name.endswith("Backward0") else name.replace("Backward", "")
                    what += f", which is output {source[0]} of {name},"
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: {what} is at version {counter[0]}; expected version {expected} instead. Hint: "
                    "enable anomaly detection to find the operation that failed to compute its gradient, with "
                    "ember.autograd.set_detect_anomaly(True, check_nan=False)."
                )

    # -- hooks ----------------------------------------------------------------------------
    def register_hook(self, fn: Callable[..., Any]) -> Any:
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> Any:
        """``fn(grad_outputs)`` (a tuple) runs before this node's rule and may return replacements."""

        def on_output(grad: Any) -> Any:
            replaced = fn((grad,))
            return None if replaced is None else replaced[0]

        return self._add_tensor_hook(0, on_output)

    def _add_tensor_hook(self, output_nr: int, fn: Callable[..., Any]) -> Any:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def _retain(self, output_nr: int, tensor: Any) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = weakref.ref(tensor)


class AccumulateGrad(Node):
    """The sink of a leaf tensor: the engine adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        super().__init__()
        self.variable = variable
        self.next_functions = ()
        self._ctx = {}


class _RemovableHandle:
    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list[Any], fn: Any) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self) -> _RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def node_class(name: str, *vjps: Callable[..., Any], num_outputs: int = 1) -> type[Node]:
    """Make the grad_fn class for one op: ``vjps[i]`` gives the gradient for input ``i``.

    Each rule is called as ``vjp(F, grad, *saved)`` where ``F`` is the namespace of functions
    (on arrays, or on Tensors when building a differentiable graph) and ``saved`` are the values
    its parameters name: inputs, ``result``, or attributes the forward stored.
    """
    arg_names = tuple(tuple(v.__code__.co_varnames[2 : v.__code__.co_argcount]) for v in vjps)
    return type(name, (Node,), {"__slots__": (), "_vjps": vjps, "_arg_names": arg_names, "_num_outputs": num_outputs})
