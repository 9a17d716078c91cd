"""Hook plumbing for ``Module`` (torch's ``torch.utils.hooks``): removable handles, and the identity
``Function`` whose nodes catch the gradients of a module's outputs and inputs for full backward hooks."""
from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any

from ember.autograd.function import Function
from ember.autograd.grad_mode import state as grad_state
from ember.tensor import Tensor

__all__ = ["BackwardHook", "RemovableHandle", "add_hook", "call_with_hooks"]


class RemovableHandle:
    """A handle that removes the hook it was returned for (``handle.remove()``, or on leaving a ``with``)."""

    next_id: int = 0

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = [] if extra_dict is None else extra_dict if isinstance(extra_dict, list) else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None and self.id in hooks:
                del hooks[self.id]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(hooks: Any, hook: Callable[..., Any], prepend: bool = False,
             flags: tuple[tuple[Any, bool], ...] = ()) -> RemovableHandle:
    """Register ``hook`` in the ordered dict ``hooks`` (first with ``prepend``); ``flags`` pairs the
    per-hook flag dicts (with_kwargs, always_call) with whether this hook sets them."""
    handle = RemovableHandle(hooks, extra_dict=[flag_dict for flag_dict, _ in flags])
    hooks[handle.id] = hook
    for flag_dict, on in flags:
        if on:
            flag_dict[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class BackwardHookFunction(Function):
    """The identity; its node's post hook sees the gradients that pass through it."""

    @staticmethod
    def forward(ctx: Any, *args: Tensor) -> tuple[Tensor, ...]:
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple[Tensor, ...]:
        return grads


class BackwardHook:
    """Runs a module's full backward hooks: an identity node on the outputs records grad_output
    (and runs the backward pre-hooks), one on the inputs calls ``hook(module, grad_input, grad_output)``."""

    def __init__(self, module: Any, user_hooks: list[Callable[..., Any]], user_pre_hooks: list[Callable[..., Any]]):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_outputs = self.n_inputs = -1
        self.output_tensors_index: list[int] | None = None
        self.input_tensors_index: list[int] | None = None

    @staticmethod
    def _pack_with_none(indices: list[int], values: Any, size: int) -> tuple[Any, ...]:
        res = [None] * size
        for idx, val in zip(indices, values, strict=True):
            res[idx] = val
        return tuple(res)

    def _set_user_hook(self, grad_fn: Any) -> None:
        def hook(grad_input: tuple[Any, ...], _: Any) -> Any:
            if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
                return None
            res = self._pack_with_none(self.input_tensors_index or [], grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_tensors_index or [])

        grad_fn.register_hook(hook)

    def _set_output_hook(self, grad_fn: Any) -> None:
        def hook(_: Any, grad_output: tuple[Any, ...]) -> Any:
            self.grad_outputs = self._pack_with_none(self.output_tensors_index or [], grad_output, self.n_outputs)
            for user_pre_hook in self.user_pre_hooks:
                replaced = user_pre_hook(self.module, self.grad_outputs)
                if replaced is None:
                    continue
                if len(replaced) != len(self.grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(replaced)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = replaced
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:  # no input requires grad: the hooks run here
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", stacklevel=5)
                grad_inputs = self._pack_with_none([], [], self.n_inputs)
                for user_hook in self.user_hooks:
                    res = user_hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                           "return None or None for all gradients.")
                self.grad_outputs = None
            return tuple(local_grad_outputs[i] for i in self.output_tensors_index or [])

        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn: Callable[[Any], None], args: tuple[Any, ...]) -> tuple[Any, list[int] | None]:
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t.requires_grad for t in tensors) and grad_state.enabled):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        fn(next(t.grad_fn for t in new_tensors if t.grad_fn is not None))
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors, strict=True):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        res, self.input_tensors_index = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result: Any) -> Any:
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(self._set_output_hook, args)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]


def call_with_hooks(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Module.__call__`` when the module has hooks: pre-hooks, backward-hook set-up, forward, forward hooks."""
    for hook_id, hook in self._forward_pre_hooks.items():
        if hook_id in self._forward_pre_hooks_with_kwargs:
            new = hook(self, args, kwargs)
            if new is not None:
                if not (isinstance(new, tuple) and len(new) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {new}.")
                args, kwargs = new
        else:
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
    bw_hook = None
    if self._backward_hooks or self._backward_pre_hooks:
        bw_hook = BackwardHook(self, list(self._backward_hooks.values()), list(self._backward_pre_hooks.values()))
        args = bw_hook.setup_input_hook(args)
    called = set()
    result = None
    try:
        result = self.forward(*args, **kwargs)
        for hook_id, hook in self._forward_hooks.items():
            called.add(hook_id)
            if hook_id in self._forward_hooks_with_kwargs:
                new = hook(self, args, kwargs, result)
            else:
                new = hook(self, args, result)
            if new is not None:
                result = new
    except Exception:
        for hook_id in self._forward_hooks_always_called:  # they run even when forward raised
            if hook_id not in called:
                hook = self._forward_hooks[hook_id]
                if hook_id in self._forward_hooks_with_kwargs:
                    hook(self, args, kwargs, result)
                else:
                    hook(self, args, result)
        raise
    if bw_hook is not None:
        result = bw_hook.setup_output_hook(result)
    return result
