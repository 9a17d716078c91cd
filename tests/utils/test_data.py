"""ember.utils.data against torch.utils.data: same seeds give the same batches, collation gives the same types,
dtypes and shapes, and bad input raises torch's errors."""
from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import ember
from ember.utils import data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def _same(e, t):
    """Two collated batches match: same structure, tensors with the same dtype, shape and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert e == t


def _errors(e_fn, t_fn):
    with pytest.raises(Exception) as t_err:
        t_fn()
    with pytest.raises(type(t_err.value)) as e_err:
        e_fn()
    assert str(e_err.value) == str(t_err.value)


def _tensors(n=10):
    x = np.random.default_rng(0).standard_normal((n, 3)).astype(np.float32)
    y = np.arange(n, dtype=np.int64)
    return (ember.tensor(x), ember.tensor(y)), (torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))


# -- samplers ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("replacement,num_samples", [(False, None), (False, 25), (False, 3), (True, None), (True, 70)])
def test_random_sampler_with_generator(replacement, num_samples):
    g, tg = ember.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    e = edata.RandomSampler(range(10), replacement, num_samples, generator=g)
    t = tdata.RandomSampler(range(10), replacement, num_samples, generator=tg)
    assert len(e) == len(t)
    for _ in range(2):  # the generator's state carries over to the second pass
        assert list(e) == list(t)


def test_random_sampler_seeds_from_default_generator():
    ember.manual_seed(5)
    torch.manual_seed(5)
    e, t = edata.RandomSampler(range(17)), tdata.RandomSampler(range(17))
    assert [list(e), list(e)] == [list(t), list(t)]
    assert ember.rand(3).tolist() == torch.rand(3).tolist()  # the default generator moved the same way


def test_sequential_and_batch_sampler():
    assert list(edata.SequentialSampler(range(5))) == list(tdata.SequentialSampler(range(5)))
    for drop_last in (False, True):
        for n, bs in ((10, 3), (9, 3), (2, 5)):
            e = edata.BatchSampler(edata.SequentialSampler(range(n)), bs, drop_last)
            t = tdata.BatchSampler(tdata.SequentialSampler(range(n)), bs, drop_last)
            assert list(e) == list(t) and len(e) == len(t)


@pytest.mark.parametrize("replacement,num_samples", [(True, 1), (True, 7), (True, 100), (False, 1), (False, 5)])
def test_weighted_random_sampler_matches_multinomial(replacement, num_samples):
    w = [0.1, 0.5, 0.2, 0.0, 1.5, 0.7]
    g, tg = ember.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    e = edata.WeightedRandomSampler(w, num_samples, replacement, generator=g)
    t = tdata.WeightedRandomSampler(w, num_samples, replacement, generator=tg)
    assert len(e) == len(t)
    assert [list(e), list(e)] == [list(t), list(t)]


def test_weighted_random_sampler_default_generator():
    ember.manual_seed(8)
    torch.manual_seed(8)
    w = np.array([1.0, 2.0, 3.0])
    assert list(edata.WeightedRandomSampler(w, 12)) == list(tdata.WeightedRandomSampler(w, 12))


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler([]),
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), True, False),
    lambda m: m.BatchSampler(range(3), 2, 1),
    lambda m: m.WeightedRandomSampler([1.0], 0),
    lambda m: m.WeightedRandomSampler([1.0], 2, replacement=None),
    lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda m: list(m.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
    lambda m: list(m.WeightedRandomSampler([1.0, -2.0], 3)),
    lambda m: list(m.WeightedRandomSampler([1.0, float("inf")], 3)),
    lambda m: list(m.WeightedRandomSampler([0.0, 0.0], 3)),
    lambda m: list(m.WeightedRandomSampler([1.0, float("nan")], 1)),
    lambda m: list(m.WeightedRandomSampler([0.0, 0.0], 2, replacement=False)),
])
def test_sampler_errors(make):
    _errors(lambda: make(edata), lambda: make(tdata))


# -- datasets -----------------------------------------------------------------------------------------------------
def test_tensor_dataset_and_size_mismatch():
    (ex, ey), (tx, ty) = _tensors()
    e, t = edata.TensorDataset(ex, ey), tdata.TensorDataset(tx, ty)
    assert len(e) == len(t) == 10
    _same(e[3], t[3])
    _same(e[2:5], t[2:5])
    _errors(lambda: edata.TensorDataset(ex, ey[:4]), lambda: tdata.TensorDataset(tx, ty[:4]))


def test_concat_dataset_and_subset():
    e = edata.ConcatDataset([list(range(3)), list(range(10, 15))])
    t = tdata.ConcatDataset([list(range(3)), list(range(10, 15))])
    assert len(e) == len(t) and e.cumulative_sizes == t.cumulative_sizes
    assert [e[i] for i in range(-8, 8)] == [t[i] for i in range(-8, 8)]
    _errors(lambda: e[-9], lambda: t[-9])
    _errors(lambda: edata.ConcatDataset([]), lambda: tdata.ConcatDataset([]))
    s_e, s_t = edata.Subset(e, [4, 0, 7]), tdata.Subset(t, [4, 0, 7])
    assert len(s_e) == 3 and [s_e[i] for i in range(3)] == [s_t[i] for i in range(3)]
    assert s_e.__getitems__([2, 1]) == s_t.__getitems__([2, 1])


class _Squares(edata.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self):
        return self.n


class _Stream(edata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class _TStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_dataset_add_and_chain():
    both = _Squares(3) + _Squares(2)
    assert isinstance(both, edata.ConcatDataset) and [both[i] for i in range(5)] == [0, 1, 4, 0, 1]
    chain = _Stream(3) + _Stream(2)
    assert isinstance(chain, edata.ChainDataset) and list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5
    _errors(lambda: list(edata.ChainDataset([[1]])), lambda: list(tdata.ChainDataset([[1]])))
    _errors(lambda: edata.ConcatDataset([_Stream(2)]), lambda: tdata.ConcatDataset([_TStream(2)]))
    _errors(lambda: edata.Dataset()[0], lambda: tdata.Dataset()[0])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25], [10]])
def test_random_split_matches_torch(lengths):
    g, tg = ember.Generator().manual_seed(42), torch.Generator().manual_seed(42)
    e, t = edata.random_split(range(10), lengths, generator=g), tdata.random_split(range(10), lengths, generator=tg)
    assert [list(s) for s in e] == [list(s) for s in t]
    ember.manual_seed(1)
    torch.manual_seed(1)
    e, t = edata.random_split(range(10), lengths), tdata.random_split(range(10), lengths)
    assert [list(s.indices) for s in e] == [list(s.indices) for s in t]


def test_random_split_fraction_remainder_and_errors():
    g, tg = ember.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    e = edata.random_split(range(11), [0.34, 0.33, 0.33], generator=g)
    t = tdata.random_split(range(11), [0.34, 0.33, 0.33], generator=tg)
    assert [len(s) for s in e] == [len(s) for s in t] and [s.indices for s in e] == [s.indices for s in t]
    _errors(lambda: edata.random_split(range(10), [3, 6]), lambda: tdata.random_split(range(10), [3, 6]))
    _errors(lambda: edata.random_split(range(10), [1.5, -0.5]), lambda: tdata.random_split(range(10), [1.5, -0.5]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        edata.random_split(range(2), [0.1, 0.9], generator=g)
    with warnings.catch_warnings(record=True) as t_caught:
        warnings.simplefilter("always")
        tdata.random_split(range(2), [0.1, 0.9], generator=tg)
    assert [str(w.message) for w in caught] == [str(w.message) for w in t_caught]


# -- collation ----------------------------------------------------------------------------------------------------
Point = collections.namedtuple("Point", ["x", "y"])


def _sample(i, lib):
    arr = np.full((2, 2), i, dtype=np.float32)
    return {
        "tensor": lib.tensor([i, i + 1.0]),
        "int": i, "float": i / 3, "bool": i % 2 == 0, "str": f"s{i}", "bytes": b"b",
        "array": arr, "np_scalar": np.float32(i), "np_int": np.int32(i),
        "tuple": (i, lib.tensor(i)), "list": [i * 1.5, [i]], "point": Point(i, float(i)),
    }


def test_default_collate_types_dtypes_shapes():
    batch_e = [_sample(i, ember) for i in range(3)]
    batch_t = [_sample(i, torch) for i in range(3)]
    e, t = edata.default_collate(batch_e), tdata.default_collate(batch_t)
    _same(e, t)
    assert e["float"].dtype == ember.float64 and e["int"].dtype == ember.int64 and isinstance(e["tuple"], list)
    assert isinstance(e["point"], Point)


def test_default_convert():
    e = edata.default_convert({"a": np.arange(3), "b": (np.float64(2.0), "x"), "c": Point(np.ones(2), 1)})
    t = tdata.default_convert({"a": np.arange(3), "b": (np.float64(2.0), "x"), "c": Point(np.ones(2), 1)})
    _same(e, t)


@pytest.mark.parametrize("batch", [
    [object(), object()],
    [np.array(["a"]), np.array(["b"])],
    [[1, 2], [1]],
])
def test_default_collate_errors(batch):
    def msg(fn):
        try:
            fn(batch)
        except Exception as err:
            return type(err), str(err).replace("torch", "ember")
    assert msg(edata.default_collate) == msg(tdata.default_collate)


# -- DataLoader ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (4, False), (10, True), (11, True)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_dataloader_matches_torch(batch_size, drop_last, shuffle):
    (ex, ey), (tx, ty) = _tensors()
    g, tg = ember.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    e = edata.DataLoader(edata.TensorDataset(ex, ey), batch_size, shuffle, drop_last=drop_last, generator=g)
    t = tdata.DataLoader(tdata.TensorDataset(tx, ty), batch_size, shuffle, drop_last=drop_last, generator=tg)
    assert len(e) == len(t)
    for _ in range(2):  # two epochs: different shuffles, the same in both
        e_batches, t_batches = list(e), list(t)
        assert len(e_batches) == len(t_batches) == len(e)
        for a, b in zip(e_batches, t_batches):
            _same(a, b)


def test_dataloader_shuffle_default_generator():
    ember.manual_seed(123)
    torch.manual_seed(123)
    e = edata.DataLoader(list(range(20)), batch_size=6, shuffle=True)
    t = tdata.DataLoader(list(range(20)), batch_size=6, shuffle=True)
    for _ in range(3):
        _same(list(e), list(t))
    assert ember.rand(2).tolist() == torch.rand(2).tolist()


def test_dataloader_samplers_collate_fn_and_no_batching():
    data = list(range(10))
    e = edata.DataLoader(data, batch_sampler=edata.BatchSampler(edata.SequentialSampler(data), 4, False))
    t = tdata.DataLoader(data, batch_sampler=tdata.BatchSampler(tdata.SequentialSampler(data), 4, False))
    assert len(e) == len(t) == 3
    _same(list(e), list(t))
    e = edata.DataLoader(data, batch_size=3, sampler=[9, 1, 5, 5], collate_fn=sum)
    t = tdata.DataLoader(data, batch_size=3, sampler=[9, 1, 5, 5], collate_fn=sum)
    assert list(e) == list(t) == [15, 5]
    e = edata.DataLoader([np.arange(2), np.arange(2, 4)], batch_size=None)
    t = tdata.DataLoader([np.arange(2), np.arange(2, 4)], batch_size=None)
    assert len(e) == 2
    _same(list(e), list(t))
    e = edata.DataLoader(data, batch_size=4, num_workers=2)
    t = tdata.DataLoader(data, batch_size=4, num_workers=0)
    _same(list(e), list(t))


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 4, False), (10, 4, True), (3, None, False), (0, 2, False)])
def test_dataloader_iterable_dataset(n, batch_size, drop_last):
    e = edata.DataLoader(_Stream(n), batch_size=batch_size, drop_last=drop_last)
    t = tdata.DataLoader(_TStream(n), batch_size=batch_size, drop_last=drop_last)
    assert len(e) == len(t)
    _same(list(e), list(t))


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 2, "batch_sampler": [[0, 1]]},
    {"shuffle": True, "batch_sampler": [[0, 1]]},
    {"drop_last": True, "batch_sampler": [[0, 1]]},
    {"sampler": [0, 1], "shuffle": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"num_workers": 1, "prefetch_factor": -1},
    {"shuffle": True},
])
def test_dataloader_errors(kwargs):
    data = [] if kwargs == {"shuffle": True} else [1, 2, 3]
    _errors(lambda: edata.DataLoader(data, **kwargs), lambda: tdata.DataLoader(data, **kwargs))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}])
def test_dataloader_iterable_dataset_errors(kwargs):
    def message(loader_cls, stream):
        with pytest.raises(ValueError) as err:
            loader_cls(stream, **kwargs)
        return str(err.value).replace("torch", "ember")
    assert message(edata.DataLoader, _Stream(2)) == message(tdata.DataLoader, _TStream(2))


def test_import_paths():
    from ember.utils.data import DataLoader

    assert ember.utils.data.DataLoader is DataLoader
