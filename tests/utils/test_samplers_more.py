"""SubsetRandomSampler and StackDataset against torch's, and ember.utils.data's public names against torch's."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.utils import data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def _errors(e_fn, t_fn):
    with pytest.raises(Exception) as t_err:
        t_fn()
    with pytest.raises(type(t_err.value)) as e_err:
        e_fn()
    assert str(e_err.value) == str(t_err.value)


def _same(e, t):
    if isinstance(t, torch.Tensor):
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is dict and list(e) == list(t)
        for k in t:
            _same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert e == t


def test_subset_random_sampler_with_generator():
    indices = [3, 9, 4, 0, 12, 7]
    e = edata.SubsetRandomSampler(indices, generator=ember.Generator().manual_seed(4))
    t = tdata.SubsetRandomSampler(indices, generator=torch.Generator().manual_seed(4))
    assert len(e) == len(t) == 6
    assert [list(e), list(e), list(e)] == [list(t), list(t), list(t)]


def test_subset_random_sampler_default_generator_and_loader():
    ember.manual_seed(21)
    torch.manual_seed(21)
    e, t = edata.SubsetRandomSampler(range(5, 15)), tdata.SubsetRandomSampler(range(5, 15))
    assert [list(e), list(e)] == [list(t), list(t)]
    data = list(range(100))
    e_loader = edata.DataLoader(data, batch_size=4, sampler=e)
    t_loader = tdata.DataLoader(data, batch_size=4, sampler=t)
    _same(list(e_loader), list(t_loader))
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())  # same draws from the default


def _parts(lib, n=5):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return lib.utils.data.TensorDataset(lib.from_numpy(x.copy())), list(range(10, 10 + n))


@pytest.mark.parametrize("named", [False, True])
def test_stack_dataset_items_batches_and_loader(named):
    (e_x, e_y), (t_x, t_y) = _parts(ember), _parts(torch)
    e_sub, t_sub = edata.Subset(e_x, [4, 3, 2, 1, 0]), tdata.Subset(t_x, [4, 3, 2, 1, 0])  # has __getitems__
    if named:
        e, t = edata.StackDataset(x=e_sub, y=e_y), tdata.StackDataset(x=t_sub, y=t_y)
    else:
        e, t = edata.StackDataset(e_sub, e_y), tdata.StackDataset(t_sub, t_y)
    assert len(e) == len(t) == 5
    _same(e[2], t[2])
    _same(e.__getitems__([4, 0, 2]), t.__getitems__([4, 0, 2]))
    _same(list(edata.DataLoader(e, batch_size=2)), list(tdata.DataLoader(t, batch_size=2)))


class _Short:
    """A dataset whose ``__getitems__`` returns one item too few."""

    def __getitem__(self, i):
        return i

    def __getitems__(self, indices):
        return indices[:-1]

    def __len__(self):
        return 3


@pytest.mark.parametrize("make", [
    lambda d: d.StackDataset([1, 2], y=[1, 2]),
    lambda d: d.StackDataset(),
    lambda d: d.StackDataset([1, 2], [1, 2, 3]),
    lambda d: d.StackDataset(a=[1, 2], b=[1]),
    lambda d: d.StackDataset(_Short(), [1, 2, 3]).__getitems__([0, 1]),
    lambda d: d.StackDataset(a=_Short()).__getitems__([0, 2]),
])
def test_stack_dataset_errors(make):
    _errors(lambda: make(edata), lambda: make(tdata))


def test_public_names_match_torch():
    skipped = {"DistributedSampler", "DataChunk", "DFIterDataPipe", "IterDataPipe", "MapDataPipe",
               "argument_validation", "functional_datapipe", "guaranteed_datapipes_determinism",
               "non_deterministic", "runtime_validation", "runtime_validation_disabled"}  # distributed, datapipes
    assert set(tdata.__all__) - skipped <= set(edata.__all__)
    kinds = edata._DatasetKind, tdata._DatasetKind
    assert [(k.Map, k.Iterable) for k in kinds] == [(0, 1), (0, 1)]
    assert edata.get_worker_info() is None and tdata.get_worker_info() is None
    assert edata.dataloader.get_worker_info is edata.get_worker_info
