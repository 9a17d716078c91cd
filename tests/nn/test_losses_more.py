"""The margin, embedding, Poisson and CTC losses against torch: every function and module, each
reduction, float32 and float64; values, grad_fn names, gradients (of every input torch gives one),
gradcheck in float64, and the error paths with torch's type and message."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from helpers import check_against_torch, same_error

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
REDUCTIONS = ("none", "mean", "sum")
DTYPES = (np.float32, np.float64)


def _f(T: Any) -> Any:
    return T.nn.functional


def _both(fn: Callable[..., Any], *arrays: np.ndarray, grad: Any = True) -> None:
    f64 = all(a.dtype != np.float32 for a in arrays)
    rtol, atol = (1e-12, 1e-12) if f64 else (1e-6, 1e-6)
    check_against_torch(torch, lambda *xs: fn(ember, *xs), lambda *xs: fn(torch, *xs), list(arrays), grad=grad,
                        rtol=rtol, atol=atol)


def _gradcheck(fn: Callable[..., Any], *arrays: np.ndarray, grad: Any = True) -> None:
    flags = [grad] * len(arrays) if isinstance(grad, bool) else grad
    inputs = [ember.tensor(a, requires_grad=f and a.dtype.kind == "f") for a, f in zip(arrays, flags)]
    assert gradcheck(lambda *xs: fn(ember, *xs), inputs)


def _x(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def _signs(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return RNG.choice([-1.0, 1.0], shape).astype(dtype)


# -- composite losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(reduction: str, dtype: Any) -> None:
    fn = lambda T, a, b, y: _f(T).margin_ranking_loss(a, b, y, margin=0.3, reduction=reduction)  # noqa: E731
    _both(fn, _x(6, dtype=dtype), _x(6, dtype=dtype), _signs(6, dtype=dtype))
    _both(lambda T, a, b, y: T.nn.MarginRankingLoss(0.1, reduction=reduction)(a, b, y), _x(2, 3, dtype=dtype),
          _x(2, 3, dtype=dtype), _signs(2, 3, dtype=dtype))
    if dtype == np.float64:
        _gradcheck(fn, _x(5), _x(5), _signs(5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction: str, dtype: Any) -> None:
    fn = lambda T, x, y: _f(T).hinge_embedding_loss(x, y, margin=0.7, reduction=reduction)  # noqa: E731
    _both(fn, _x(3, 4, dtype=dtype), _signs(3, 4, dtype=dtype), grad=[True, False])
    _both(lambda T, x, y: T.nn.HingeEmbeddingLoss(reduction=reduction)(x, y), _x(5, dtype=dtype),
          _signs(5, dtype=dtype), grad=[True, False])
    if dtype == np.float64:
        _gradcheck(fn, _x(3, 4), _signs(3, 4), grad=[True, False])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction: str, dtype: Any) -> None:
    fn = lambda T, a, b, y: _f(T).cosine_embedding_loss(a, b, y, margin=0.2, reduction=reduction)  # noqa: E731
    y = np.array([1, -1, 1, -1, -1], np.int64)
    _both(fn, _x(5, 4, dtype=dtype), _x(5, 4, dtype=dtype), y)
    _both(fn, _x(4, dtype=dtype), _x(4, dtype=dtype), np.array(-1))
    _both(lambda T, a, b, y: T.nn.CosineEmbeddingLoss(-0.5, reduction=reduction)(a, b, y), _x(5, 3, dtype=dtype),
          _x(5, 3, dtype=dtype), y)
    if dtype == np.float64:
        _gradcheck(fn, _x(5, 3), _x(5, 3), y)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_losses(reduction: str, dtype: Any, swap: bool) -> None:
    a, p, n = (_x(4, 5, dtype=dtype) for _ in range(3))
    fn = lambda T, a, p, n: _f(T).triplet_margin_loss(a, p, n, margin=2.0, p=1.5, swap=swap,  # noqa: E731
                                                        reduction=reduction)
    _both(fn, a, p, n)
    _both(lambda T, a, p, n: T.nn.TripletMarginLoss(swap=swap, reduction=reduction)(a, p, n), a, p, n)
    cos = lambda T: lambda x, y: 1 - _f(T).cosine_similarity(x, y)  # noqa: E731
    _both(lambda T, a, p, n: _f(T).triplet_margin_with_distance_loss(
        a, p, n, distance_function=cos(T), margin=0.5, swap=swap, reduction=reduction), a, p, n)
    _both(lambda T, a, p, n: T.nn.TripletMarginWithDistanceLoss(swap=swap, reduction=reduction)(a, p, n), a, p, n)
    if dtype == np.float64:
        _gradcheck(fn, _x(3, 4), _x(3, 4), _x(3, 4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction: str, dtype: Any) -> None:
    x, y, w = _x(4, 5, dtype=dtype), RNG.integers(0, 2, (4, 5)).astype(dtype), RNG.random(5).astype(dtype)
    fn = lambda T, x, y: _f(T).multilabel_soft_margin_loss(x, y, reduction=reduction)  # noqa: E731
    _both(fn, x, y)
    _both(lambda T, x, y, w: _f(T).multilabel_soft_margin_loss(x, y, w, reduction=reduction), x, y, w)
    _both(lambda T, x, y, w: T.nn.MultiLabelSoftMarginLoss(w, reduction=reduction)(x, y), x, y, w,
          grad=[True, True, False])
    if dtype == np.float64:
        _gradcheck(fn, x, y)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss(reduction: str, dtype: Any, full: bool) -> None:
    x, rate = _x(3, 4, dtype=dtype), (RNG.random((3, 4)) + 0.1).astype(dtype)
    y = RNG.integers(0, 5, (3, 4)).astype(dtype)
    y[0, 0], y[0, 1] = 1, 3  # one target at the Stirling term's edge (masked), one past it
    _both(lambda T, x, y: _f(T).poisson_nll_loss(x, y, full=full, reduction=reduction), x, y, grad=[True, False])
    _both(lambda T, x, y: T.nn.PoissonNLLLoss(log_input=False, full=full, reduction=reduction)(x, y), rate, y,
          grad=[True, False])
    if dtype == np.float64:
        _gradcheck(lambda T, x, y: _f(T).poisson_nll_loss(x, y, reduction=reduction), x, y + 0.5)
        _gradcheck(lambda T, x, y: _f(T).poisson_nll_loss(x, y, log_input=False, reduction=reduction), rate, y + 0.5)


# -- fused kernels ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction: str, dtype: Any) -> None:
    fn = lambda T, x, y: _f(T).soft_margin_loss(x, y, reduction=reduction)  # noqa: E731
    _both(fn, _x(3, 4, dtype=dtype), _signs(3, 4, dtype=dtype), grad=[True, False])
    _both(fn, _x(3, 4, dtype=dtype), _signs(4, dtype=dtype), grad=[True, False])  # a broadcast target
    _both(lambda T, x, y: T.nn.SoftMarginLoss(reduction=reduction)(x, y), _x(5, dtype=dtype), _signs(5, dtype=dtype),
          grad=[True, False])
    if dtype == np.float64:
        _gradcheck(fn, _x(3, 4), _signs(3, 4), grad=[True, False])


@pytest.mark.parametrize(("p", "margin"), [(1, 1.0), (2, 0.5)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(reduction: str, dtype: Any, p: int, margin: float) -> None:
    x, t, w = _x(5, 4, dtype=dtype), np.array([0, 3, 1, 1, 2]), RNG.random(4).astype(dtype)
    fn = lambda T, x, t: _f(T).multi_margin_loss(x, t, p=p, margin=margin, reduction=reduction)  # noqa: E731
    _both(fn, x, t)
    _both(lambda T, x, t, w: T.nn.MultiMarginLoss(p, margin, w, reduction=reduction)(x, t), x, t, w,
          grad=[True, False, False])
    _both(fn, _x(4, dtype=dtype), np.array(2))
    _both(fn, _x(4, dtype=dtype), np.array([1]))
    if dtype == np.float64:
        _gradcheck(fn, x, t)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction: str, dtype: Any) -> None:
    x = _x(4, 5, dtype=dtype)
    t = np.array([[3, 0, -1, 1, 1], [1, 1, 4, -1, 0], [-1, 2, 2, 2, 2], [0, 1, 2, 3, 4]])  # repeats; empty; all
    fn = lambda T, x, t: _f(T).multilabel_margin_loss(x, t, reduction=reduction)  # noqa: E731
    _both(fn, x, t)
    _both(lambda T, x, t: T.nn.MultiLabelMarginLoss(reduction=reduction)(x, t), x, t)
    _both(fn, _x(5, dtype=dtype), t[1])
    if dtype == np.float64:
        _gradcheck(fn, x, t)


@pytest.mark.parametrize("kwargs", [{"size_average": False}, {"reduce": False}], ids=str)
@pytest.mark.parametrize("name", ["soft_margin_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss",
                                  "multilabel_margin_loss"])
def test_legacy_reduction_flags(name: str, kwargs: dict[str, bool]) -> None:
    x, y = _x(3, 4), _signs(3, 4) if name != "multilabel_margin_loss" else np.array([[1, -1, 0, 0]] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _both(lambda T, x, y: getattr(_f(T), name)(x, y, **kwargs), x, y, grad=[True, False])
        _both(lambda T, x, y: T.nn.SoftMarginLoss(**kwargs)(x, y), x, _signs(3, 4), grad=[True, False])


# -- CTC ----------------------------------------------------------------------------------------------------
def _ctc_case(T_: int, N: int, C: int, L: int, dtype: Any, blank: int = 0, repeats: bool = False,
              concat: bool = False) -> tuple[np.ndarray, ...]:
    x = RNG.standard_normal((T_, N, C)).astype(dtype)
    il = RNG.integers(max(1, T_ // 2), T_ + 1, N)
    tl = RNG.integers(0, L + 1, N)
    tl[0], il[0] = L, T_  # one full-length target on the full input
    tg = RNG.integers(0, C - 1, (N, L))
    tg = np.where(tg >= blank, tg + 1, tg)  # never the blank
    if repeats:
        tg[:, 1::2] = tg[:, 0:L - 1:2]  # every label repeated: the paths need a blank between them
    if concat:
        tg = np.concatenate([tg[i, :tl[i]] for i in range(N)])
    return x, tg, il, tl


def _ctc(T: Any, x: Any, tg: Any, il: Any, tl: Any, **kw: Any) -> Any:
    return _f(T).ctc_loss(_f(T).log_softmax(x, -1), tg, il, tl, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [dict(), dict(repeats=True), dict(concat=True, blank=3)], ids=str)
def test_ctc_loss(case: dict[str, Any], reduction: str, dtype: Any) -> None:
    x, tg, il, tl = _ctc_case(12, 4, 5, 4, dtype, **case)
    kw = {"blank": case.get("blank", 0), "reduction": reduction}
    _both(lambda T, x, tg, il, tl: _ctc(T, x, tg, il, tl, **kw), x, tg, il, tl)
    _both(lambda T, x, tg: _ctc(T, x, tg, il.tolist(), tl.tolist(), **kw), x, tg)
    _both(lambda T, x, tg, il, tl: T.nn.CTCLoss(**kw)(_f(T).log_softmax(x, 2), tg, il, tl), x, tg, il, tl)
    # log_probs given directly: torch's gradient (exact only after log_softmax) is matched as it is
    _both(lambda T, x, tg, il, tl: _f(T).ctc_loss(x, tg, il, tl, **kw), x, tg, il, tl)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_unbatched_and_int32_targets(reduction: str) -> None:
    x, tg, il, tl = _ctc_case(7, 1, 4, 3, np.float64)
    _both(lambda T, x, tg: _ctc(T, x[:, 0], tg[0], il.tolist(), tl.tolist(), reduction=reduction), x, tg)
    _both(lambda T, x, tg: _ctc(T, x[:, 0], tg[:1].int(), il.tolist(), tl.tolist(), reduction=reduction), x, tg)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_infinite_and_empty(reduction: str, zero_infinity: bool) -> None:
    x = RNG.standard_normal((5, 4, 4))
    tg = np.array([[1, 1, 2], [1, 2, 3], [2, 0, 0], [3, 0, 0]])
    il, tl = np.array([5, 2, 0, 0]), np.array([3, 3, 1, 0])  # 1 1 2 needs 4 steps; 0 steps: inf or 0
    _both(lambda T, x, tg, il, tl: _ctc(T, x, tg, il, tl, reduction=reduction, zero_infinity=zero_infinity),
          x, tg, il, tl)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_gradcheck(reduction: str) -> None:
    x, tg, il, tl = _ctc_case(6, 3, 4, 3, np.float64, repeats=True)
    _gradcheck(lambda T, x: _ctc(T, x, ember.tensor(tg), ember.tensor(il), ember.tensor(tl), reduction=reduction), x)


def test_ctc_loss_errors() -> None:
    lp = np.log(np.full((6, 2, 4), 0.25, np.float32))
    tg = np.array([[1, 2], [3, 3]])

    def call(*args: Any, **kw: Any) -> Callable[[Any], Any]:
        def run(T: Any) -> Any:
            conv = [T.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
            return _f(T).ctc_loss(*conv, **kw)
        return run

    for bad in ([
        (lp, tg, [7, 5], [2, 2]), (lp, tg, [-1, 5], [2, 2]), (lp, tg, [6, 5], [3, 2]), (lp, tg, [6, 5], [-1, 2]),
        (lp, tg, [6], [2, 2]), (lp, tg, [6, 5], [2]), (lp, tg[:1], [6, 5], [2, 2]),
        (lp, np.array([1, 2, 3]), [6, 5], [2, 2]), (lp, tg[None], [6, 5], [2, 2]), (lp[:, :, None], tg, [6, 5], [2, 2]),
        (lp[:0], tg, [0, 0], [2, 2]), (lp.astype(np.int32), tg, [6, 5], [2, 2]),
        (lp, tg, np.array([6.0, 5.0]), np.array([2, 2])), (lp, tg, np.array([6, 5]), np.array([2.0, 2.0])),
    ]):
        same_error(call(*bad))
    same_error(call(lp, tg, [6, 5], [2, 2], blank=4))
    same_error(call(lp, tg, [6, 5], [2, 2], blank=-1))
    same_error(call(lp, tg, [6, 5], [2, 2], reduction="foo"))
    with pytest.raises(TypeError):
        call(lp, tg, np.array([6, 5]), [2, 2])(ember)


# -- errors -------------------------------------------------------------------------------------------------
def test_errors() -> None:
    x, long = np.zeros((3, 5), np.float32), lambda *v: np.array(v, np.int64)  # noqa: E731
    cases: list[Callable[[Any], Any]] = [
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 5))),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, -1))),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2))),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)).reshape(1, 3)),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)).float()),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)).int()),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)), weight=T.ones(4)),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)), weight=T.ones(5, 1)),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)), weight=T.ones(5).double()),
        lambda T: _f(T).multi_margin_loss(T.tensor(x), T.tensor(long(1, 2, 3)), p=3),
        lambda T: _f(T).multi_margin_loss(T.zeros(2, 3, 4), T.tensor(long(1, 2))),
        lambda T: _f(T).multi_margin_loss(T.zeros(3, 0), T.tensor(long(1, 2, 0))),
        lambda T: _f(T).multi_margin_loss(T.tensor(x).int(), T.tensor(long(1, 2, 3))),
        lambda T: T.nn.MultiMarginLoss(p=0),
        lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x), T.tensor(long(1, 2, -1, 0))[None].expand(3, 4)),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x), T.tensor(long(1, 2, -1, 0, 0))[None].expand(2, 5)),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x), T.tensor(long(1, 7, -1, 0, 0))[None].expand(3, 5)),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x), T.tensor(long(1, -1, -2, 0, 0))[None].expand(3, 5)),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x), T.tensor(long(1, 2, -1, 0, 0))[None].expand(3, 5).int()),
        lambda T: _f(T).multilabel_margin_loss(T.zeros(5), T.tensor(long(1, 2, -1, 0, 0))[None]),
        lambda T: _f(T).multilabel_margin_loss(T.zeros(2, 3, 4), T.tensor(long(1, 2))),
        lambda T: _f(T).multilabel_margin_loss(T.tensor(x).int(), T.zeros(3, 5, dtype=T.long)),
        lambda T: _f(T).soft_margin_loss(T.tensor(x), T.ones(3, 4)),
        lambda T: _f(T).soft_margin_loss(T.tensor(x).int(), T.ones(3, 5).int()),
        lambda T: _f(T).soft_margin_loss(T.tensor(x, requires_grad=True), T.ones(3, 5, requires_grad=True)),
        lambda T: _f(T).hinge_embedding_loss(T.tensor(x), T.ones(3, 4)),
        lambda T: _f(T).cosine_embedding_loss(T.tensor(x), T.tensor(x), T.ones(3, 1)),
        lambda T: _f(T).cosine_embedding_loss(T.tensor(x), T.tensor(x), T.ones(())),
        lambda T: _f(T).cosine_embedding_loss(T.tensor(x)[0], T.tensor(x)[0], T.ones(3)),
        lambda T: _f(T).cosine_embedding_loss(T.tensor(x), T.zeros(3, 4), T.ones(3)),
        lambda T: _f(T).triplet_margin_loss(T.tensor(x), T.tensor(x), T.tensor(x)[0]),
        lambda T: _f(T).triplet_margin_loss(T.tensor(x), T.tensor(x), T.tensor(x), margin=0),
        lambda T: _f(T).triplet_margin_loss(T.tensor(x), T.tensor(x), T.zeros(3, 4)),
        lambda T: T.nn.TripletMarginLoss(margin=-1.0),
        lambda T: T.nn.TripletMarginWithDistanceLoss(margin=0),
        lambda T: _f(T).triplet_margin_with_distance_loss(T.tensor(x), T.tensor(x), T.tensor(x)[0]),
        lambda T: _f(T).triplet_margin_with_distance_loss(T.tensor(x), T.tensor(x), T.tensor(x), reduction="foo"),
        lambda T: _f(T).triplet_margin_with_distance_loss(T.tensor(x), T.tensor(x), T.tensor(x), margin=-1),
        lambda T: _f(T).margin_ranking_loss(T.tensor(x), T.tensor(x), T.tensor(x), reduction="foo"),
        lambda T: _f(T).margin_ranking_loss(T.zeros(4), T.zeros(4, 1), T.zeros(4)),
        lambda T: _f(T).margin_ranking_loss(T.zeros(4), T.zeros(3), T.zeros(4)),
        lambda T: _f(T).poisson_nll_loss(T.tensor(x), T.tensor(x), reduction="foo"),
        lambda T: _f(T).poisson_nll_loss(T.tensor(x), T.ones(3, 4)),
        lambda T: _f(T).multilabel_soft_margin_loss(T.tensor(x), T.tensor(x), reduction="foo"),
        lambda T: _f(T).multilabel_soft_margin_loss(T.tensor(x), T.ones(3, 4)),
        lambda T: _f(T).soft_margin_loss(T.tensor(x), T.tensor(x), reduction="foo"),
        lambda T: _f(T).hinge_embedding_loss(T.tensor(x), T.tensor(x), reduction="foo"),
    ]
    for case in cases:
        same_error(case)
