"""Small helpers of the layer modules: argument tuples (``_pair(3) == (3, 3)``) and the type names
torch's error messages use."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.tensor import Tensor

__all__ = ["typename"]


def _ntuple(n: int) -> Callable[[Any], tuple[Any, ...]]:
    """A parser that repeats a single value ``n`` times and passes sequences through as tuples."""

    def parse(x: Any) -> tuple[Any, ...]:
        return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n

    return parse


_single, _pair, _triple = _ntuple(1), _ntuple(2), _ntuple(3)


def typename(obj: Any) -> str:
    """The type name torch's messages use: ``ember.FloatTensor`` for a tensor, else ``module.qualname``."""
    if isinstance(obj, Tensor):
        return f"ember.{obj.dtype.scalar_name}Tensor"
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"
