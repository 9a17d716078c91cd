"""Grad mode: one thread-local flag, and the managers that set it (each also a decorator)."""
from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    # class attributes are the defaults each new thread starts from
    enabled: bool = True
    inference: bool = False


state = _GradState()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeManager:
    """Base of the managers: sets the flag on enter, restores it on exit, and decorates."""

    _prev: bool

    def _enter_mode(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._prev = state.enabled
        self._enter_mode()

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self._prev

    def clone(self) -> _GradModeManager:
        return self.__class__()

    def __call__(self, func: F) -> F:
        if inspect.isclass(func):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You should only decorate "
                "functions or methods. To preserve the current behavior of class decoration, you can directly "
                "decorate the `__init__` method and nothing else.",
                FutureWarning, stacklevel=2,
            )
            cls = func
            func = lambda *args, **kwargs: cls(*args, **kwargs)  # type: ignore[assignment]  # noqa: E731
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # the mode holds while the generator runs, and not while its caller does
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException:
                            with self.clone():
                                response = gen.throw(*sys.exc_info())
                        else:
                            with self.clone():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return generator  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _NoParamManager(_GradModeManager):
    """A manager usable bare as a decorator too: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamManager):
    """Disable graph recording: ops on tensors that require grad produce tensors that don't."""

    def _enter_mode(self) -> None:
        state.enabled = False


class enable_grad(_NoParamManager):
    """Enable graph recording inside a ``no_grad`` block."""

    def _enter_mode(self) -> None:
        state.enabled = True


class set_grad_enabled(_GradModeManager):
    """Set grad mode to ``mode``. Takes effect at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self._prev = state.enabled
        state.enabled = mode

    def __enter__(self) -> None:
        state.enabled = self.mode  # set by __init__ already, unless changed since

    def __repr__(self) -> str:
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    __str__ = __repr__

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __call__(self, func: F) -> F:  # type: ignore[override]
        state.enabled = self._prev  # as a decorator it must not change the mode now
        return super().__call__(func)


class inference_mode(_GradModeManager):
    """Like ``no_grad``; ``is_inference_mode_enabled()`` reports it."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare as a decorator: ``mode`` is the function

    def __init__(self, mode: Any = True) -> None:
        self.mode = mode if isinstance(mode, bool) else True

    def __enter__(self) -> None:
        self._prev, self._prev_inference = state.enabled, state.inference
        state.enabled, state.inference = not self.mode, self.mode  # inference_mode(False) enables grad, as in torch

    def __exit__(self, *exc: Any) -> None:
        state.enabled, state.inference = self._prev, self._prev_inference

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
