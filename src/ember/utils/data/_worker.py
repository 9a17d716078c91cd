"""What runs inside a DataLoader worker process, and what it sends back (``torch.utils.data._utils.worker``).

A worker seeds itself, calls ``worker_init_fn(worker_id)``, then loops: it takes ``(task_idx, index)`` from its
index queue, fetches and collates the batch and puts ``(task_idx, batch)`` on the shared result queue (pickled
once, by the queue). ``None`` ends the loop; ``_ResumeIteration`` starts a new epoch for a persistent worker. An
exception travels as an :class:`ExceptionWrapper` and is raised again in the main process.
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy

import ember
from ember.utils.data._fetch import _DatasetKind

__all__ = ["WorkerInfo", "get_worker_info"]

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between checks that the other side is still alive


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """The current worker: ``id`` (0 to ``num_workers - 1``), ``num_workers``, its ``seed`` and its copy of the
    ``dataset``. ``rng`` and ``worker_method`` are torch's fields for thread workers (always ``None`` and
    ``"multiprocessing"`` here)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of this DataLoader worker process; ``None`` in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose iterable dataset replica is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to (and echoed by) a persistent worker at the start of a new epoch."""


class KeyErrorMessage(str):
    """A message whose ``repr`` is itself, so a re-raised ``KeyError`` prints its traceback readably."""

    __slots__ = ()

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, picklable, to raise again in another process."""

    def __init__(self, exc_info: Any = None, where: str = "in background") -> None:
        exc_type, exc_value, exc_tb = sys.exc_info() if exc_info is None else exc_info
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc_value, exc_tb))
        self.where = where

    def reraise(self) -> NoReturn:
        """Raise ``exc_type("Caught <Name> <where>.\\nOriginal Traceback ...")`` (``RuntimeError`` when that
        type cannot be built from one message)."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


def _numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """torch's seed for NumPy's global generator in a worker: four 32-bit words of a ``SeedSequence`` over
    ``[worker_id, low 32 bits of base_seed, high bits, 0]`` (torch's ``_generate_state`` is that algorithm)."""
    entropy = [worker_id, base_seed & 0xFFFF_FFFF, base_seed >> 32, 0]
    return numpy.random.SeedSequence(entropy).generate_state(4).tolist()


def _worker_loop(dataset_kind: int, dataset: Any, index_queue: Any, data_queue: Any, done_event: Any,
                 auto_collation: bool, collate_fn: Any, drop_last: bool, base_seed: int, init_fn: Any,
                 worker_id: int, num_workers: int) -> None:
    """The body of worker ``worker_id``. Its seed is ``base_seed + worker_id``, given to ``random``, ember's
    default generator (and NumPy's, via :func:`_numpy_seed`), as torch seeds Python, torch and NumPy."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        ember.manual_seed(seed)
        numpy.random.seed(_numpy_seed(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        iteration_end = False  # this replica of an iterable dataset is exhausted: wait for the next epoch or None
        parent = os.getppid()
        while os.getppid() == parent:  # the main process died: stop
            try:
                task = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(task, _ResumeIteration):
                data_queue.put((task, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if task is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = task
            if init_error is not None:
                data: Any = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if dataset_kind != _DatasetKind.Iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            data_queue.put((idx, data))
            del data, idx, index, task  # drop the batch before blocking on the next task
    except KeyboardInterrupt:
        pass  # the main process raises it
    if done_event.is_set():  # nobody reads what is still buffered: don't wait to flush it
        data_queue.cancel_join_thread()
        data_queue.close()
