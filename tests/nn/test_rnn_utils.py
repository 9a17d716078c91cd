"""nn.utils.rnn against torch: padding, packing and unpacking give torch's tensors (values, dtypes,
lengths, permutations, reprs and grad_fn names), gradients flow back through every step as in
torch, and bad input raises torch's exception with torch's message."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, grad_fn_name

torch = pytest.importorskip("torch")

ER, TR = ember.nn.utils.rnn, torch.nn.utils.rnn
RNG = np.random.default_rng(0)


def _pair(*shape: int, dtype: Any = np.float64) -> tuple[Any, Any]:
    a = RNG.standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _seqs(lengths: list[int], *trailing: int) -> tuple[list[Any], list[Any]]:
    pairs = [_pair(n, *trailing) for n in lengths]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _backward(e_out: Any, t_out: Any) -> None:
    g = RNG.standard_normal(tuple(t_out.shape))
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))


def _same_packed(e: Any, t: Any) -> None:
    assert type(e).__name__ == "PackedSequence" and e._fields == t._fields
    assert_same(e.data, t.data, rtol=0, atol=0)
    assert grad_fn_name(e.data) == grad_fn_name(t.data)
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ev, tv = getattr(e, name), getattr(t, name)
        assert (ev is None) == (tv is None), name
        if tv is not None:
            assert_same(ev, tv, rtol=0, atol=0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first: bool, padding_side: str) -> None:
    es, ts = _seqs([2, 4, 1], 3)
    e = ER.pad_sequence(es, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    t = TR.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    assert_same(e, t, rtol=0, atol=0)
    assert grad_fn_name(e) == grad_fn_name(t)
    _backward(e, t)
    for a, b in zip(es, ts, strict=True):
        assert_same(a.grad, b.grad, rtol=0, atol=0)


def test_pad_sequence_dtypes_and_tensor_input() -> None:
    # the result takes the first sequence's dtype; a float padding value is cast to it
    e = ER.pad_sequence([ember.tensor([1, 2]), ember.tensor([1.5])], padding_value=2.5)
    t = TR.pad_sequence([torch.tensor([1, 2]), torch.tensor([1.5])], padding_value=2.5)
    assert_same(e, t, rtol=0, atol=0)
    a = RNG.standard_normal((3, 2, 1))
    assert_same(ER.pad_sequence(ember.tensor(a)), TR.pad_sequence(torch.tensor(a)), rtol=0, atol=0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[4, 2, 2, 1], [2, 4, 1, 4], [3, 3, 3, 3]])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_and_pad_packed(batch_first: bool, lengths: list[int], as_tensor: bool) -> None:
    shape = (4, 4, 2) if not batch_first else (4, 4, 2)
    e_x, t_x = _pair(*shape)
    sorted_ = lengths == sorted(lengths, reverse=True)
    e_len = ember.tensor(lengths) if as_tensor else lengths
    t_len = torch.tensor(lengths) if as_tensor else lengths
    e = ER.pack_padded_sequence(e_x, e_len, batch_first=batch_first, enforce_sorted=sorted_)
    t = TR.pack_padded_sequence(t_x, t_len, batch_first=batch_first, enforce_sorted=sorted_)
    _same_packed(e, t)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    for total in (None, 6):
        e_pad, e_lens = ER.pad_packed_sequence(e, batch_first=batch_first, padding_value=0.5, total_length=total)
        t_pad, t_lens = TR.pad_packed_sequence(t, batch_first=batch_first, padding_value=0.5, total_length=total)
        assert_same(e_pad, t_pad, rtol=0, atol=0)
        assert_same(e_lens, t_lens, rtol=0, atol=0)
    _backward(e_pad, t_pad)
    assert_same(e_x.grad, t_x.grad, rtol=0, atol=0)


def test_pack_sequence_roundtrip() -> None:
    for enforce_sorted, lengths in ((True, [3, 2, 2]), (False, [1, 3, 2])):
        es, ts = _seqs(lengths, 2)
        e, t = ER.pack_sequence(es, enforce_sorted), TR.pack_sequence(ts, enforce_sorted)
        _same_packed(e, t)
        e_back, t_back = ER.unpack_sequence(e), TR.unpack_sequence(t)
        assert len(e_back) == len(t_back)
        for a, b in zip(e_back, t_back, strict=True):
            assert_same(a, b, rtol=0, atol=0)
            assert grad_fn_name(a) == grad_fn_name(b)
        ember.autograd.backward(e_back, [ember.ones_like(a) for a in e_back])
        torch.autograd.backward(t_back, [torch.ones_like(b) for b in t_back])
        for a, b in zip(es, ts, strict=True):
            assert_same(a.grad, b.grad, rtol=0, atol=0)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first: bool) -> None:
    e_x, t_x = _pair(3, 4, 2) if batch_first else _pair(4, 3, 2)
    e = ER.unpad_sequence(e_x, ember.tensor([4, 1, 3]), batch_first=batch_first)
    t = TR.unpad_sequence(t_x.clone(), torch.tensor([4, 1, 3]), batch_first=batch_first)  # torch transposes in place
    for a, b in zip(e, t, strict=True):
        assert_same(a, b, rtol=0, atol=0)


def test_packed_sequence_object() -> None:
    e_x, t_x = _pair(2, 3, 2, dtype=np.float32)
    e = ER.pack_padded_sequence(e_x, [1, 3], batch_first=True, enforce_sorted=False)
    t = TR.pack_padded_sequence(t_x, [1, 3], batch_first=True, enforce_sorted=False)
    assert e.to(ember.float32) is e and t.to(torch.float32) is t
    for conv in ("double", "float", "half", "long", "int", "short", "char", "byte", "cpu"):
        _same_packed(getattr(e, conv)(), getattr(t, conv)())
    _same_packed(e.to(dtype=ember.float64), t.to(dtype=torch.float64))
    data, sizes, sorted_indices, unsorted_indices = e
    assert data is e.data and sizes is e.batch_sizes and e.is_cuda is False
    _same_packed(ER.PackedSequence((e.data, e.batch_sizes)), TR.PackedSequence((t.data, t.batch_sizes)))
    assert_same(ER.invert_permutation(ember.tensor([2, 0, 3, 1])), TR.invert_permutation(torch.tensor([2, 0, 3, 1])))
    assert ER.invert_permutation(None) is None


ERRORS = [
    ("pack_unsorted", lambda R, T: R.pack_padded_sequence(T.zeros(4, 3, 2), [2, 4, 1])),
    ("pack_zero_length", lambda R, T: R.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2, 0])),
    ("pack_negative_unsorted", lambda R, T: R.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2, -1],
                                                                  enforce_sorted=False)),
    ("pack_len_mismatch", lambda R, T: R.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2])),
    ("pack_len_mismatch_bf", lambda R, T: R.pack_padded_sequence(T.zeros(4, 2), [4, 3], batch_first=True)),
    ("pack_lengths_2d", lambda R, T: R.pack_padded_sequence(T.zeros(4, 3, 2), T.tensor([[4, 2, 1]]))),
    ("pack_lengths_0d", lambda R, T: R.pack_padded_sequence(T.zeros(4, 2), T.tensor(4))),
    ("pack_empty", lambda R, T: R.pack_padded_sequence(T.zeros(0, 3, 2), [4, 2, 1])),
    ("pack_1d", lambda R, T: R.pack_padded_sequence(T.zeros(4), [4])),
    ("pad_packed_total", lambda R, T: R.pad_packed_sequence(R.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2, 1]),
                                                            total_length=3)),
    ("pad_not_iterable", lambda R, T: R.pad_sequence(5)),
    ("pad_empty", lambda R, T: R.pad_sequence([], padding_side="middle")),
    ("pad_side", lambda R, T: R.pad_sequence([T.zeros(2, 3)], padding_side="middle")),
    ("pad_trailing", lambda R, T: R.pad_sequence([T.zeros(2, 3), T.zeros(2, 4)])),
    ("pad_fewer_dims", lambda R, T: R.pad_sequence([T.zeros(2, 3), T.zeros(2)])),
    ("pad_more_dims", lambda R, T: R.pad_sequence([T.zeros(2, 3), T.zeros(2, 2, 3)])),
    ("pad_0d", lambda R, T: R.pad_sequence([T.zeros(())])),
    ("unpad_lengths", lambda R, T: R.unpad_sequence(T.zeros(3, 2), T.tensor([3, 2, 1]))),
    ("packed_bad_data", lambda R, T: R.PackedSequence(T.zeros(2))),
]


@pytest.mark.parametrize("make", [m for _, m in ERRORS], ids=[n for n, _ in ERRORS])
def test_errors_match_torch(make: Any) -> None:
    with pytest.raises(Exception) as t_err:
        make(TR, torch)
    with pytest.raises(type(t_err.value)) as e_err:
        make(ER, ember)
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")
