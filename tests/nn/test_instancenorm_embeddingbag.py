"""InstanceNorm1d/2d/3d and EmbeddingBag against torch: same initial state under the same seed,
same outputs, gradients, grad_fn names and running statistics over several steps (train and eval),
reprs, the errors and warnings torch gives, a few SGD steps; gradcheck of embedding_bag."""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck
from helpers import assert_same, build_pair, check_against_torch, grad_fn_name, same_error_calls

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(3)


def _x(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def _step(e: Any, t: Any, e_in: list[Any], t_in: list[Any], rtol: float, atol: float) -> None:
    """One forward and backward: same output, grad_fn, parameter and input gradients."""
    e_out, t_out = e(*e_in), t(*t_in)
    assert_same(e_out, t_out, rtol, atol)
    assert grad_fn_name(e_out) == grad_fn_name(t_out)
    g = RNG.standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        assert (ep.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_same(ep.grad, tp.grad, rtol, atol)
    for ei, ti in zip(e_in, t_in, strict=True):
        if ti.grad is not None:
            assert_same(ei.grad, ti.grad, rtol, atol)


# -- InstanceNorm -------------------------------------------------------------------------------------------
NORMS = [
    ("InstanceNorm1d", {}, (3, 4, 5)),
    ("InstanceNorm1d", {"affine": True}, (4, 6)),
    ("InstanceNorm1d", {"affine": True, "track_running_stats": True, "momentum": 0.3}, (2, 4, 5)),
    ("InstanceNorm2d", {}, (2, 4, 3, 5)),
    ("InstanceNorm2d", {"affine": True, "eps": 1e-3}, (4, 3, 5)),
    ("InstanceNorm2d", {"track_running_stats": True}, (2, 4, 3, 5)),
    ("InstanceNorm2d", {"affine": True, "track_running_stats": True, "momentum": None}, (2, 4, 3, 3)),
    ("InstanceNorm2d", {"affine": True, "bias": False}, (2, 4, 3, 3)),
    ("InstanceNorm3d", {"affine": True, "track_running_stats": True}, (2, 4, 2, 3, 2)),
    ("InstanceNorm3d", {}, (4, 2, 3, 2)),
]


@pytest.mark.parametrize("name,kw,shape", NORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_instance_norm(name, kw, shape, dtype):
    """Three training steps (running statistics follow torch's), then eval."""
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    e, t = build_pair(lambda T: getattr(T.nn, name)(4, dtype=tdt if T is torch else ember.float64 if dtype == np.float64
                                                else ember.float32, **kw))
    tol = (2e-5, 2e-5) if dtype == np.float32 else (1e-12, 1e-12)
    for train in (True, True, True, False):
        e.train(train), t.train(train)
        x = _x(*shape, dtype=dtype)
        _step(e, t, [ember.tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)], *tol)
        for key, value in t.state_dict().items():
            assert_same(e.state_dict()[key], value, *tol)


def test_instance_norm_trains_like_torch():
    e, t = build_pair(lambda T: T.nn.Sequential(T.nn.Conv2d(2, 4, 3), T.nn.InstanceNorm2d(4, affine=True),
                                            T.nn.Upsample(scale_factor=2, mode="bilinear"), T.nn.Conv2d(4, 1, 1)))
    e_opt = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    x, y = _x(3, 2, 6, 6), _x(3, 1, 8, 8)
    for _ in range(3):
        for m, opt, lib in ((e, e_opt, ember), (t, t_opt, torch)):
            opt.zero_grad()
            loss = ((m(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
    for ep, tp in zip(e.parameters(), t.parameters(), strict=True):
        assert_same(ep, tp, 1e-5, 1e-6)


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 4, 5)), ("InstanceNorm1d", (3,)),
                                        ("InstanceNorm2d", (2, 3)), ("InstanceNorm3d", (2, 4, 3, 5, 2, 2)),
                                        ("InstanceNorm2d", (2, 4, 1, 1))])
def test_instance_norm_errors(name, shape):
    same_error_calls(lambda: getattr(ember.nn, name)(4)(ember.zeros(*shape)),
                  lambda: getattr(torch.nn, name)(4)(torch.zeros(*shape)))


def test_instance_norm_num_features_mismatch():
    same_error_calls(lambda: ember.nn.InstanceNorm2d(4, affine=True)(ember.zeros(2, 3, 4, 4)),
                  lambda: torch.nn.InstanceNorm2d(4, affine=True)(torch.zeros(2, 3, 4, 4)))
    x = _x(2, 3, 4, 4)
    with pytest.warns(UserWarning) as e_rec:
        e = ember.nn.InstanceNorm2d(4)(ember.tensor(x))
    with pytest.warns(UserWarning) as t_rec:
        t = torch.nn.InstanceNorm2d(4)(torch.tensor(x))
    assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]
    assert_same(e, t)


def test_instance_norm_old_checkpoint():
    """A pre-0.4 state dict with running stats loads into track_running_stats=False with torch's error."""
    t_state = OrderedDict(running_mean=torch.zeros(3), running_var=torch.ones(3))
    e_state = OrderedDict((k, ember.tensor(v.numpy())) for k, v in t_state.items())
    t_state._metadata = e_state._metadata = {"": {}}  # type: ignore[attr-defined]
    t, e = torch.nn.InstanceNorm1d(3), ember.nn.InstanceNorm1d(3)
    same_error_calls(lambda: e.load_state_dict(e_state), lambda: t.load_state_dict(t_state))


# -- EmbeddingBag -------------------------------------------------------------------------------------------
BAGS = [
    {"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
    {"mode": "sum", "padding_idx": 3}, {"mode": "mean", "padding_idx": -2}, {"mode": "max", "padding_idx": 3},
    {"mode": "sum", "include_last_offset": True}, {"mode": "max", "include_last_offset": True},
    {"mode": "mean", "max_norm": 1.0}, {"mode": "sum", "max_norm": 0.5, "norm_type": 1.0},
]


@pytest.mark.parametrize("kw", BAGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_bag_module(kw, dtype):
    tdt, edt = (torch.float64, ember.float64) if dtype == np.float64 else (torch.float32, ember.float32)
    e, t = build_pair(lambda T: T.nn.EmbeddingBag(9, 4, dtype=tdt if T is torch else edt, **kw))
    tol = (1e-6, 1e-6) if dtype == np.float32 else (1e-12, 1e-12)
    idx = RNG.integers(0, 9, 14)
    idx[[2, 5]] = 3
    off = np.array([0, 0, 3, 4, 4, 9, 14 if kw.get("include_last_offset") else 12])
    _step(e, t, [ember.tensor(idx), ember.tensor(off)], [torch.tensor(idx), torch.tensor(off)], *tol)
    assert_same(e.weight, t.weight, *tol)  # max_norm renormalises in place
    idx2 = RNG.integers(0, 9, (3, 5))
    e.weight.grad = t.weight.grad = None
    _step(e, t, [ember.tensor(idx2)], [torch.tensor(idx2)], *tol)


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_per_sample_weights(padding_idx):
    w, p = _x(7, 3, dtype=np.float64), _x(10, dtype=np.float64)
    idx, off = RNG.integers(0, 7, 10), np.array([0, 2, 2, 7])
    idx[4] = 2
    check_against_torch(torch, lambda w_, p_: EF.embedding_bag(ember.tensor(idx), w_, ember.tensor(off),
                                                               mode="sum", per_sample_weights=p_,
                                                               padding_idx=padding_idx),
                        lambda w_, p_: TF.embedding_bag(torch.tensor(idx), w_, torch.tensor(off), mode="sum",
                                                        per_sample_weights=p_, padding_idx=padding_idx),
                        [w, p], rtol=1e-12, atol=1e-12)
    ew, ep = ember.tensor(w, requires_grad=True), ember.tensor(p, requires_grad=True)
    assert gradcheck(lambda a, b: EF.embedding_bag(ember.tensor(idx), a, ember.tensor(off), mode="sum",
                                                   per_sample_weights=b, padding_idx=padding_idx), (ew, ep))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck(mode):
    w = ember.tensor(_x(6, 3, dtype=np.float64), requires_grad=True)
    idx, off = ember.tensor(np.array([1, 4, 4, 0, 2, 5, 1])), ember.tensor(np.array([0, 3, 3, 5]))
    assert gradcheck(lambda a: EF.embedding_bag(idx, a, off, mode=mode), (w,))


def test_embedding_bag_from_pretrained_and_sgd():
    w = _x(6, 3)
    e = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w), freeze=False, mode="sum")
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), freeze=False, mode="sum")
    assert repr(e) == repr(t) and e.weight.requires_grad
    assert not ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w)).weight.requires_grad
    e_opt, t_opt = ember.optim.SGD(e.parameters(), lr=0.5), torch.optim.SGD(t.parameters(), lr=0.5)
    idx = RNG.integers(0, 6, (4, 3))
    for _ in range(3):
        for m, opt, lib in ((e, e_opt, ember), (t, t_opt, torch)):
            opt.zero_grad()
            (m(lib.tensor(idx)) ** 2).sum().backward()
            opt.step()
    assert_same(e.weight, t.weight, 1e-6, 1e-6)


@pytest.mark.parametrize("call", [
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([1, 2])),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 5])),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 13]), w, T.tensor([0, 2])),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, -1]), w, T.tensor([0, 2])),
    lambda T, F, w: F.embedding_bag(T.tensor([1.0, 2, 3]), w, T.tensor([0, 2])),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 2]), mode="foo"),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([[0, 2]])),
    lambda T, F, w: F.embedding_bag(T.tensor([[[1]]]), w),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w[0]),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), mode="max",
                                    per_sample_weights=T.ones(3)),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), per_sample_weights=T.ones(2)),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), mode="sum",
                                    per_sample_weights=T.ones(3, dtype=T.float64)),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), mode="max", scale_grad_by_freq=True),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), mode="max", sparse=True),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), padding_idx=10),
    lambda T, F, w: F.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), padding_idx=-11),
    lambda T, F, w: T.nn.EmbeddingBag(10, 3, padding_idx=10),
    lambda T, F, w: T.nn.EmbeddingBag(10, 3, _weight=w[:4]),
    lambda T, F, w: T.nn.EmbeddingBag.from_pretrained(w[0]),
])
def test_embedding_bag_errors(call):
    w = _x(10, 3)
    same_error_calls(lambda: call(ember, EF, ember.tensor(w)), lambda: call(torch, TF, torch.tensor(w)))


def test_embedding_bag_2d_input_with_offsets():
    """torch names the offsets' class; ember's Tensor class lives in ember.tensor."""
    with pytest.raises(ValueError) as t_err:
        TF.embedding_bag(torch.tensor([[1, 2]]), torch.zeros(3, 2), torch.tensor([0]))
    with pytest.raises(ValueError) as e_err:
        EF.embedding_bag(ember.tensor([[1, 2]]), ember.zeros(3, 2), ember.tensor([0]))
    t_msg, e_msg = str(t_err.value), str(e_err.value)
    assert e_msg == t_msg.replace("torch.Tensor", "ember.tensor.Tensor")


def test_embedding_bag_swapped_arguments_warn():
    w, idx, off = _x(5, 2), np.array([0, 4, 1]), np.array([0, 1])
    with pytest.warns(UserWarning) as e_rec:
        e = EF.embedding_bag(ember.tensor(w), ember.tensor(idx), ember.tensor(off))
    with pytest.warns(UserWarning) as t_rec:
        t = TF.embedding_bag(torch.tensor(w), torch.tensor(idx), torch.tensor(off))
    assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]
    assert_same(e, t)


def test_embedding_bag_int32_and_empty():
    w = _x(5, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = EF.embedding_bag(ember.tensor(np.array([0, 4, 1], np.int32)), ember.tensor(w),
                             ember.tensor(np.array([0, 3, 3], np.int32)), mode="max")
    t = TF.embedding_bag(torch.tensor(np.array([0, 4, 1], np.int32)), torch.tensor(w),
                         torch.tensor(np.array([0, 3, 3], np.int32)), mode="max")
    assert_same(e, t)
    assert_same(EF.embedding_bag(ember.tensor(np.array([1, 2])), ember.tensor(w), ember.tensor(np.array([0])),
                                 include_last_offset=True),
                TF.embedding_bag(torch.tensor([1, 2]), torch.tensor(w), torch.tensor([0]), include_last_offset=True))
