"""Samplers: the index orders a DataLoader walks, drawn as torch draws them.

The random samplers call ember's ``randperm``, ``randint`` and ``uniform_``, which draw torch's numbers from the
same generator state, so a seed gives the same order as ``torch.utils.data``.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import ember
from ember.random import Generator

_T_co = TypeVar("_T_co", covariant=True)

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]


class Sampler(Generic[_T_co]):
    """Base class of samplers: ``__iter__`` yields dataset indices (or batches of them)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _fresh_generator() -> Generator:
    """torch's way of seeding a sampler without a generator: one int64 from the default generator."""
    seed = int(ember.empty((), dtype=ember.int64).random_().item())
    return Generator().manual_seed(seed)


class RandomSampler(Sampler[int]):
    """Random indices: a permutation (repeated until ``num_samples``), or with replacement uniform draws.

    Args:
        data_source: the dataset to sample from.
        replacement: draw with replacement (``randint`` in chunks of 32, as torch does).
        num_samples: how many indices to draw; defaults to ``len(data_source)``.
        generator: the generator to draw from; without one each pass seeds a fresh generator from the
            default one.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = _fresh_generator() if self.generator is None else self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from ember.randint(high=n, size=(32,), dtype=ember.int64, generator=generator).tolist()
            yield from ember.randint(high=n, size=(self.num_samples % 32,), dtype=ember.int64,
                                     generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from ember.randperm(n, generator=generator).tolist()
            yield from ember.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """``indices`` in a random order: ``indices[j]`` for ``j`` in ``randperm(len(indices), generator=generator)``
    (the default generator when ``generator`` is None), a new order each pass."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in ember.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


def _multinomial(weights: ember.Tensor, num_samples: int, replacement: bool, generator: Generator | None) -> list[int]:
    """torch's CPU ``multinomial`` on a 1-d float64 tensor of weights.

    With replacement (and more than one sample) each draw is a 53-bit uniform ``u`` and the index is the first
    ``i`` with ``c_i >= u``, where ``c = cumsum(w) / sum(w)`` and ``c_{n-1} = 1`` (a binary search). Otherwise
    torch's exponential trick: ``argmax`` / ``topk`` of ``w / E`` with ``E ~ Exp(1)``.
    """
    n = weights.numel()
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    values = weights.tolist()
    if replacement and num_samples > 1:
        for w in values:
            if not w >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            if not math.isfinite(w):
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if not sum(values) > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = ember.cumsum(weights, 0)
        cum = cum / cum[-1]
        cum[-1] = 1.0
        u = ember.empty(num_samples, dtype=ember.float64).uniform_(0, 1, generator=generator)
        return ember.searchsorted(cum, u).tolist()
    if not all(0 <= w < math.inf for w in values):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if sum(values) == 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    q = weights / ember.empty_like(weights).exponential_(1, generator=generator)
    if num_samples == 1:
        return [int(q.argmax().item())]
    return ember.topk(q, num_samples).indices.tolist()


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights`` (``torch.multinomial``).

    Args:
        weights: a 1-d sequence of non-negative weights (need not sum to one).
        num_samples: how many indices to draw.
        replacement: draw with replacement; without it an index appears at most once.
        generator: the generator to draw from (default: the default generator).
    """

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = ember.as_tensor(weights, dtype=ember.double)
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        yield from _multinomial(self.weights, self.num_samples, self.replacement, self.generator)

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups another sampler's indices into lists of ``batch_size``; ``drop_last`` drops a short last batch.

    ``len`` is ``floor(len(sampler) / batch_size)`` with ``drop_last`` and ``ceil(...)`` without.
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*[sampler_iter] * self.batch_size):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size  # type: ignore[arg-type]
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size  # type: ignore[arg-type]
