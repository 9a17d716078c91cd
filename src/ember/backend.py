"""The one array-module handle: every op reaches NumPy (or, later, CuPy) through here."""
from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy

xp: ModuleType = numpy
"""The default array module. Op code writes ``xp.exp(x)``, never ``numpy.exp(x)``."""

# torch computes 1/0 = inf and log(-1) = nan silently; so does ember (NumPy would warn)
numpy.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def get_array_module(*arrays: Any) -> ModuleType:
    """Return the array module (numpy, or cupy once a GPU backend exists) for ``arrays``."""
    return numpy


class device:
    """Where a tensor's data lives. ember runs on the CPU (NumPy) only, for now."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name != "cpu":
            raise RuntimeError(f"ember supports only the 'cpu' device, got '{type}'")
        self.type = name
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


cpu = device("cpu")
