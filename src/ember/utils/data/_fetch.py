"""Fetchers: turn one index (or one batch of indices) from the sampler into a collated batch.

The same fetcher runs in the main process (``num_workers=0``) and inside each worker process.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["_DatasetKind"]


class _MapDatasetFetcher:
    """``collate_fn([dataset[i] for i in batch])`` (or ``dataset.__getitems__(batch)``), or
    ``collate_fn(dataset[index])`` without auto-collation."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        fetch_many = getattr(self.dataset, "__getitems__", None)
        if fetch_many:
            return self.collate_fn(fetch_many(possibly_batched_index))
        return self.collate_fn([self.dataset[i] for i in possibly_batched_index])


class _IterableDatasetFetcher(_MapDatasetFetcher):
    """The next ``len(batch)`` items of the dataset's stream, collated; ``StopIteration`` once the stream is empty
    (or, with ``drop_last``, when the last batch would be short). The stream starts when the fetcher is made."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool) -> None:
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


class _DatasetKind:
    """Map-style (``Map``) or iterable-style (``Iterable``) dataset, and the fetcher for each."""

    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any],
                       drop_last: bool) -> _MapDatasetFetcher:
        fetcher = _MapDatasetFetcher if kind == _DatasetKind.Map else _IterableDatasetFetcher
        return fetcher(dataset, auto_collation, collate_fn, drop_last)
