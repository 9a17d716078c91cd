"""Random number generation: ``Generator``, the default generator and ``manual_seed``.

The streams come from NumPy's PCG64; they are reproducible under a seed but are not (yet)
the same numbers torch draws for that seed.
"""
from __future__ import annotations

from typing import Any

import numpy


class Generator:
    """A source of random numbers, seeded with ``manual_seed``."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = 67280421310721  # torch's default seed
        self._rng = numpy.random.Generator(numpy.random.PCG64(self._seed))

    @property
    def device(self) -> Any:
        from ember.backend import cpu  # noqa: PLC0415

        return cpu

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = numpy.random.Generator(numpy.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        new = int(numpy.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        from ember.tensor import Tensor  # noqa: PLC0415

        state = self._rng.bit_generator.state
        raw = numpy.frombuffer(repr(state).encode(), numpy.uint8).copy()
        return Tensor._make(raw)

    def set_state(self, new_state: Any) -> Generator:
        import ast  # noqa: PLC0415

        self._rng.bit_generator.state = ast.literal_eval(bytes(new_state._data).decode())
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    default_generator.set_state(new_state)


def rng(generator: Generator | None) -> numpy.random.Generator:
    return (generator or default_generator)._rng
