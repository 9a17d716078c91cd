"""Grad mode: one thread-local flag, and the managers that set it (each also a decorator)."""
from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable, TypeVar

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
            raise TypeError(f"{type(self).__name__} can't decorate a class")
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    with self.clone():
                        try:
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
        pass  # the mode was set by __init__, which also saved the one to restore

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
        if self.mode:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc: Any) -> None:
        state.enabled, state.inference = self._prev, self._prev_inference

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
