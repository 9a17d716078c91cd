"""Multi-process loading against torch's: the same batches in the same order, the same random numbers drawn inside
the workers (ember's, Python's and NumPy's), iterable datasets split by get_worker_info, torch's error texts, and
no worker left behind."""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import random
import signal
import time
import warnings

import numpy as np
import pytest

import ember
from ember.utils import data as edata
from ember.utils.data import _iterators, _worker

torch = pytest.importorskip("torch")
tdata = torch.utils.data

_X = np.random.default_rng(0).standard_normal((11, 3)).astype(np.float32)


def _same(e, t):
    """Collated batches match: structure, tensor dtypes, shapes and values (bit for bit), plain values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert e == t


def _libs(lib):
    return (ember, edata) if lib == "ember" else (torch, tdata)


class _Noisy:
    """Sample ``i``: row ``i`` of ``_X`` plus random numbers drawn where the sample is loaded: the library's
    ``randn``, Python's ``random`` and NumPy's global generator; and the worker's id (-1 in the main process)."""

    def __init__(self, lib):
        self.lib = lib
        self.x = lib.from_numpy(_X.copy())

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return self.x[i], self.lib.randn(2), random.random(), np.random.rand(), -1 if info is None else info.id

    def __len__(self):
        return len(self.x)


def _seed_all(lib, seed=0):
    lib.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def _epochs(lib, epochs=2, **kwargs):
    """Two passes of a loader over ``_Noisy``, then a draw from the main process's default generator."""
    mod, data = _libs(lib)
    _seed_all(mod)
    loader = data.DataLoader(_Noisy(mod), batch_size=3, **kwargs)
    out = []
    for _ in range(epochs):
        it = iter(loader)
        out.append((len(loader), len(it), list(it)))
    return out, mod.rand(3).numpy()


@pytest.mark.parametrize("kwargs", [
    {"num_workers": 0},
    {"num_workers": 2},
    {"num_workers": 2, "persistent_workers": True},
    {"num_workers": 2, "shuffle": True, "drop_last": True},
    {"num_workers": 2, "shuffle": True, "persistent_workers": True, "prefetch_factor": 1},
    {"num_workers": 1, "shuffle": True, "generator": "seeded"},
    {"num_workers": 2, "shuffle": True, "generator": "seeded", "persistent_workers": True},
])
def test_batches_and_worker_random_numbers_match_torch(kwargs):
    def run(lib):
        kw = dict(kwargs)
        if kw.get("generator") == "seeded":
            kw["generator"] = _libs(lib)[0].Generator().manual_seed(7)
        return _epochs(lib, **kw)
    (e_epochs, e_after), (t_epochs, t_after) = run("ember"), run("torch")
    for (e_len, e_it_len, e_batches), (t_len, t_it_len, t_batches) in zip(e_epochs, t_epochs):
        assert e_len == t_len and e_it_len == t_it_len
        _same(e_batches, t_batches)
    np.testing.assert_array_equal(e_after, t_after)  # the main process's generator moved the same way
    workers = {int(w) for _, _, batches in e_epochs for b in batches for w in b[4].tolist()}
    assert workers == (set(range(kwargs["num_workers"])) if kwargs["num_workers"] else {-1})


def _info_init(worker_id):
    info = edata.get_worker_info() or tdata.get_worker_info()
    info.dataset.offset = 100 * worker_id + info.num_workers


class _Offset:
    """Sample ``i``: ``i + offset`` (``worker_init_fn`` sets the offset of each worker's copy), the worker's info
    and its library's initial seed."""

    def __init__(self, lib):
        self.lib, self.offset = lib, 0

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return i + self.offset, info.id, info.num_workers, info.seed, self.lib.initial_seed(), info.dataset is self

    def __len__(self):
        return 8


def test_worker_init_fn_and_worker_info_match_torch():
    def run(lib):
        mod, data = _libs(lib)
        loader = data.DataLoader(_Offset(mod), batch_size=2, num_workers=2, worker_init_fn=_info_init,
                                 generator=mod.Generator().manual_seed(3))
        return list(loader), data.get_worker_info()
    (e, e_info), (t, t_info) = run("ember"), run("torch")
    _same(e, t)
    assert e_info is None and t_info is None
    # batches go round robin (worker 0 gets batches 0 and 2), and worker w adds 100 * w + 2 (two workers)
    assert [b[0].tolist() for b in e] == [[2, 3], [104, 105], [6, 7], [108, 109]]
    e_info = _worker.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    t_info = tdata._utils.worker.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    assert repr(e_info) == repr(t_info)
    _errors(lambda: setattr(e_info, "id", 1), lambda: setattr(t_info, "id", 1))


class _Range:
    """``range(start, end)`` split between the workers as torch's documentation does (``shard``), or the whole
    range in every worker."""

    def __init__(self, data, start, end, shard=True):
        self.data, self.start, self.end, self.shard = data, start, end, shard

    def __iter__(self):
        info = self.data.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.start, self.end))
        per_worker = -(-(self.end - self.start) // info.num_workers)
        lo = self.start + info.id * per_worker
        return iter(range(lo, min(lo + per_worker, self.end)))

    def __len__(self):
        return self.end - self.start


class _ERange(_Range, edata.IterableDataset):
    pass


class _TRange(_Range, tdata.IterableDataset):
    pass


@pytest.mark.parametrize("end,shard,kwargs", [
    (13, True, {"batch_size": 2}),
    (13, True, {"batch_size": 2, "drop_last": True, "persistent_workers": True}),
    (7, False, {"batch_size": 3}),
    (5, True, {"batch_size": None}),
    (5, True, {"batch_size": 4, "num_workers": 3}),  # the third worker's share is empty
])
def test_iterable_dataset_split_by_worker_info(end, shard, kwargs):
    kwargs = {"num_workers": 2, **kwargs}
    e = edata.DataLoader(_ERange(edata, 3, end, shard), **kwargs)
    t = tdata.DataLoader(_TRange(tdata, 3, end, shard), **kwargs)
    for _ in range(2):
        _same(list(e), list(t))


def test_iterable_length_warning_matches_torch():
    def warned(data, cls):
        loader = data.DataLoader(cls(data, 0, 4, shard=False), batch_size=None, num_workers=2)
        len(loader)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            list(loader)
        return [str(w.message).split(" was reported")[1] for w in caught]
    assert warned(edata, _ERange) == warned(tdata, _TRange) != []


class _Failing:
    """Raises ``error`` for sample 3."""

    def __init__(self, error):
        self.error = error

    def __getitem__(self, i):
        if i == 3:
            raise self.error
        return i

    def __len__(self):
        return 6


class _TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def _raise_in_init(worker_id):
    raise ValueError(f"init of {worker_id}")


def _stop_torch(it):
    """Stop a torch iterator now: left to die in a garbage cycle (through the exception it raised), it would wait
    5 s for each worker, its index queues being closed before its ``__del__`` runs (ember's are kept open)."""
    if isinstance(it, tdata.dataloader._MultiProcessingDataLoaderIter):
        it._shutdown_workers()


def _caught(data, dataset, **kwargs):
    it = iter(data.DataLoader(dataset, batch_size=2, num_workers=2, **kwargs))
    with pytest.raises(Exception) as err:
        list(it)
    _stop_torch(it)
    lines = str(err.value).splitlines()
    return type(err.value), lines[:2], lines[-1], err.value


@pytest.mark.parametrize("dataset,kwargs", [
    (_Failing(ValueError("bad index 3")), {}),
    (_Failing(KeyError("k3")), {}),
    (_Failing(_TwoArgError(1, 2)), {}),
    (list(range(6)), {"worker_init_fn": _raise_in_init}),
])
def test_worker_exception_text_matches_torch(dataset, kwargs):
    e_type, e_head, e_tail, e_err = _caught(edata, dataset, **kwargs)
    t_type, t_head, t_tail, t_err = _caught(tdata, dataset, **kwargs)
    assert e_type is t_type and e_head == t_head and e_tail == t_tail
    assert e_head[1] == "Original Traceback (most recent call last):"
    assert repr(e_err)[:60] == repr(t_err)[:60]  # a KeyError's repr shows the message, not its repr


class _Dies:
    def __init__(self, how):
        self.how = how

    def __getitem__(self, i):
        if i == 3:
            os._exit(3) if self.how == "exit" else os.kill(os.getpid(), signal.SIGKILL)
        return i

    def __len__(self):
        return 6


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_dead_worker_error_matches_torch(how):
    def caught(data):
        it = iter(data.DataLoader(_Dies(how), batch_size=2, num_workers=2))
        with pytest.raises(RuntimeError) as err:
            list(it)
        _stop_torch(it)
        pid = str(err.value).split("(pid(s) ")[1].split(")")[0]
        return str(err.value).replace(pid, "PID"), str(err.value.__cause__).replace(pid, "PID")
    (e_msg, e_cause), (t_msg, t_cause) = caught(edata), caught(tdata)
    assert e_msg == t_msg and e_cause != ""
    # torch's SIGCHLD check can come too late (it then names only the pid); when it does come, the causes match
    assert e_cause == t_cause or t_cause == ""


class _Slow:
    def __getitem__(self, i):
        time.sleep(0.3)
        return i

    def __len__(self):
        return 2


def test_timeout_matches_torch():
    def caught(data):
        it = iter(data.DataLoader(_Slow(), num_workers=1, timeout=0.05))
        with pytest.raises(RuntimeError) as err:
            list(it)
        _stop_torch(it)
        return str(err.value)
    assert caught(edata) == caught(tdata) == "DataLoader timed out after 0.05 seconds"


def _errors(e_fn, t_fn):
    with pytest.raises(Exception) as t_err:
        t_fn()
    with pytest.raises(type(t_err.value)) as e_err:
        e_fn()
    assert str(e_err.value) == str(t_err.value).replace("torch", "ember")


@pytest.mark.parametrize("make", [
    lambda d: d.DataLoader([1, 2], num_workers=2, multiprocessing_context="bad"),
    lambda d: d.DataLoader([1, 2], num_workers=2, multiprocessing_context=5),
    lambda d: d.DataLoader([1, 2], multiprocessing_context="spawn"),
    lambda d: iter(d.DataLoader([1, 2], num_workers=2, prefetch_factor=0)),
    lambda d: iter(d.DataLoader([1, 2], timeout=1)),
    lambda d: setattr(d.DataLoader([1, 2]), "batch_size", 4),
    lambda d: len(iter(d.DataLoader(_ERange(edata, 0, 2) if d is edata else _TRange(tdata, 0, 2)))),
])
def test_argument_errors_match_torch(make):
    _errors(lambda: make(edata), lambda: make(tdata))


def test_iterator_cannot_be_pickled():
    its = [iter(d.DataLoader([1, 2], num_workers=1)) for d in (edata, tdata)]
    _errors(lambda: pickle.dumps(its[0]), lambda: pickle.dumps(its[1]))
    _stop_torch(its[1])


def test_pin_memory_and_worker_count_warnings_match_torch():
    def caught(data, **kwargs):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            list(data.DataLoader([1, 2], **kwargs))
        return [str(w.message) for w in seen]
    kwargs = {"pin_memory": True, "pin_memory_device": "cpu"}
    assert caught(edata, **kwargs) == caught(tdata, **kwargs) != []
    many = len(os.sched_getaffinity(0)) + 1
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        e, t = edata.DataLoader([1], num_workers=many), tdata.DataLoader([1], num_workers=many)
    assert len(seen) == 2 and str(seen[0].message) == str(seen[1].message)
    assert [e.prefetch_factor, e.multiprocessing_context] == [t.prefetch_factor, t.multiprocessing_context]


def test_out_of_order_and_context_object_give_the_same_batches():
    data = edata.TensorDataset(ember.arange(10))
    expected = [b[0].tolist() for b in edata.DataLoader(data, batch_size=3)]
    loose = [b[0].tolist() for b in edata.DataLoader(data, batch_size=3, num_workers=2, in_order=False)]
    assert sorted(loose) == expected
    ctx = multiprocessing.get_context("fork")  # "spawn" works too, but starts a fresh interpreter per worker (slow)
    forked = edata.DataLoader(data, batch_size=3, num_workers=2, multiprocessing_context=ctx)
    assert [b[0].tolist() for b in forked] == expected
    assert edata.DataLoader(data, num_workers=1, multiprocessing_context="fork").multiprocessing_context is ctx


def _children():
    """This process's children, zombies included."""
    me = str(os.getpid())
    kids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[1] == me:
            kids.append((int(pid), fields[0]))
    return kids


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_stop_after_each_epoch_and_on_delete():
    gc.collect()  # iterators of earlier tests (kept alive by tracebacks) stop their workers now, not midway
    before = _children()
    loader = edata.DataLoader(list(range(4)), batch_size=2, num_workers=2)
    for _ in range(15):  # many short epochs: each pass starts and stops its workers
        assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
    assert _children() == before
    it = iter(loader)
    next(it)
    workers = list(it._workers)
    del it  # dropped mid-epoch
    assert [w.exitcode for w in workers] == [0, 0] and _children() == before
    persistent = edata.DataLoader(list(range(4)), batch_size=2, num_workers=2, persistent_workers=True)
    pids = [[w.pid for w in iter(persistent)._workers] for _ in range(3)]
    assert pids[0] == pids[1] == pids[2] and all(w.is_alive() for w in persistent._iterator._workers)
    workers = list(persistent._iterator._workers)
    del persistent
    assert all(not w.is_alive() for w in workers) and _children() == before
    assert _iterators._python_exiting is False
