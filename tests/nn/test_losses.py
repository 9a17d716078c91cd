"""Losses against torch: every function and module, each reduction, weights, ignore_index, label
smoothing, N-d inputs, probability targets; values, grad_fn names and gradients (of the input and,
where torch gives one, of the target); and every error and warning with torch's type and message."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, check_against_torch, same_error

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
REDUCTIONS = ("none", "mean", "sum")


def _f(T: Any) -> Any:
    return T.nn.functional


def _both(fn: Callable[..., Any], *arrays: np.ndarray, grad: Any = True, rtol: float = 1e-5,
          atol: float = 1e-6) -> None:
    check_against_torch(torch, lambda *xs: fn(ember, *xs), lambda *xs: fn(torch, *xs), list(arrays), grad=grad,
                        rtol=rtol, atol=atol)


def _same_warnings(fn: Callable[[Any], Any]) -> None:
    messages = []
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(T)
        messages.append([str(w.message).replace("torch.", "ember.") for w in caught])
    assert messages[0] == messages[1] and messages[0]


def _logits(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _targets(n_classes: int, *shape: int) -> np.ndarray:
    return RNG.integers(0, n_classes, shape).astype(np.int64)


# -- cross entropy and nll --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 5, 4), (2, 5, 3, 2), (2, 5, 2, 2, 2)], ids=str)
def test_cross_entropy_class_indices(shape: tuple[int, ...], reduction: str) -> None:
    x = _logits(*shape)
    t = np.asarray(_targets(5, *shape[:1], *shape[2:])) if len(shape) > 1 else np.asarray(RNG.integers(0, 5))
    _both(lambda T, x, t: _f(T).cross_entropy(x, t, reduction=reduction), x, t)
    _both(lambda T, x, t: _f(T).nll_loss(_f(T).log_softmax(x, 1 if x.dim() > 1 else 0), t, reduction=reduction), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_weight_and_ignore_index(reduction: str) -> None:
    x, t, w = _logits(6, 4), np.array([0, 3, -100, 2, 3, 1]), RNG.random(4).astype(np.float32)
    _both(lambda T, x, t, w: _f(T).cross_entropy(x, t, weight=w, reduction=reduction), x, t, w,
          grad=[True, False, False])
    _both(lambda T, x, t: _f(T).cross_entropy(x, t, ignore_index=3, reduction=reduction), x, np.where(t < 0, 0, t))
    x4, t4 = _logits(2, 4, 3, 3), _targets(4, 2, 3, 3)
    t4[0, 1, 1] = 7
    _both(lambda T, x, t, w: _f(T).cross_entropy(x, t, w, ignore_index=7, reduction=reduction), x4, t4, w,
          grad=[True, False, False])


def test_all_targets_ignored_give_nan_mean_and_zero_sum() -> None:
    x, t = _logits(3, 4), np.full(3, -100)
    for reduction in REDUCTIONS:
        _both(lambda T, x, t, r=reduction: _f(T).cross_entropy(x, t, reduction=r), x, t)
    _both(lambda T, x, t: _f(T).cross_entropy(x, t), _logits(0, 4), np.zeros(0, np.int64))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.1, 0.75])
def test_cross_entropy_label_smoothing(reduction: str, smoothing: float) -> None:
    x, t, w = _logits(5, 4), np.array([0, 3, -100, 2, 1]), RNG.random(4).astype(np.float32)
    _both(lambda T, x, t: _f(T).cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing), x, t)
    _both(lambda T, x, t, w: _f(T).cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing), x, t, w,
          grad=[True, False, False])
    _both(lambda T, x, t: _f(T).cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
          _logits(2, 4, 3), _targets(4, 2, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(reduction: str) -> None:
    x = _logits(4, 5)
    p = RNG.random((4, 5)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w = RNG.random(5).astype(np.float32)
    _both(lambda T, x, p: _f(T).cross_entropy(x, p, reduction=reduction), x, p)
    _both(lambda T, x, p, w: _f(T).cross_entropy(x, p, w, reduction=reduction, label_smoothing=0.2), x, p, w,
          grad=[True, True, False])
    _both(lambda T, x, p: _f(T).cross_entropy(x, p, reduction=reduction), _logits(2, 3, 4),
          RNG.random((2, 3, 4)).astype(np.float32))
    _both(lambda T, x, p: _f(T).cross_entropy(x, p), _logits(0, 5), np.zeros((0, 5), np.float32))


def test_cross_entropy_float64_and_byte_targets() -> None:
    _both(lambda T, x, t: _f(T).cross_entropy(x, t), _logits(4, 3).astype(np.float64), _targets(3, 4))
    _both(lambda T, x, t: _f(T).nll_loss(x, t), _logits(4, 3), _targets(3, 4).astype(np.uint8))
    _both(lambda T, x, t: _f(T).nll_loss(x, t, reduction="none"), _logits(5), np.array(2))
    # a 1-element target for 1-d input: torch's backward fails on it, so only the value is compared
    assert_same(_f(ember).nll_loss(ember.ones(5), ember.tensor([2])), _f(torch).nll_loss(torch.ones(5),
                                                                                          torch.tensor([2])))


def test_cross_entropy_double_backward() -> None:
    x, t = _logits(3, 4), _targets(4, 3)
    grads = []
    for T in (torch, ember):
        xt = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad(_f(T).cross_entropy(xt, T.tensor(t), label_smoothing=0.1), xt, create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), xt)
        grads.append(gg)
    assert_same(grads[1], grads[0])


def test_legacy_size_average_and_reduce() -> None:
    x, t = _logits(4, 3), _targets(3, 4)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _both(lambda T, x, t, sa=size_average, rd=reduce: _f(T).nll_loss(x, t, size_average=sa, reduce=rd), x, t)
        _same_warnings(lambda T, sa=size_average, rd=reduce: _f(T).cross_entropy(T.tensor(x), T.tensor(t),
                                                                                 size_average=sa, reduce=rd))


NLL_ERRORS: dict[str, Callable[[Any], Any]] = {
    "out_of_bounds": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 5, 2])),
    "negative": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, -2, 2])),
    "float_target": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1.0, 2, 2])),
    "int32_target": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 2, 2], dtype=T.int32)),
    "batch": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 2])),
    "batch_0d": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor(2)),
    "2d_target": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([[1, 2, 1]]).t()),
    "weight": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 2, 3]), weight=T.ones(4)),
    "weight_dtype": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 2, 3]), weight=T.ones(5).double()),
    "3d_shape": lambda T: _f(T).nll_loss(T.zeros(2, 3, 4), T.tensor([[1, 2, 1], [0, 0, 0]])),
    "4d_target_dims": lambda T: _f(T).nll_loss(T.zeros(2, 3, 4, 5), T.tensor([[1, 2, 1], [0, 0, 0]])),
    "4d_out_of_bounds": lambda T: _f(T).nll_loss(T.zeros(2, 3, 4, 5), T.zeros(2, 4, 5, dtype=T.long) + 7),
    "1d_out_of_bounds": lambda T: _f(T).nll_loss(T.zeros(5), T.tensor(7)),
    "1d_target_size": lambda T: _f(T).nll_loss(T.zeros(5), T.tensor([2, 3])),
    "0d_input": lambda T: _f(T).nll_loss(T.tensor(1.0), T.tensor(0)),
    "long_input": lambda T: _f(T).nll_loss(T.zeros(3, 5).long(), T.tensor([1, 2, 3])),
    "reduction": lambda T: _f(T).nll_loss(T.zeros(3, 5), T.tensor([1, 2, 3]), reduction="avg"),
    "ce_out_of_bounds": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.tensor([1, 5, 2])),
    "ce_long_probs": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.zeros(3, 5).long()),
    "ce_ignore_probs": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.rand(3, 5), ignore_index=1),
    "ce_float_indices": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.tensor([1.0, 2, 3])),
    "ce_smoothing": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.rand(3, 5), label_smoothing=1.5),
    "ce_smoothing_indices": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.tensor([1, 2, 3]), label_smoothing=1.5),
    "ce_weight_probs": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.rand(3, 5), weight=T.ones(4)),
    "ce_weight_indices": lambda T: _f(T).cross_entropy(T.zeros(3, 5), T.tensor([1, 2, 3]), weight=T.ones(4)),
    "ce_long_input": lambda T: _f(T).cross_entropy(T.zeros(3, 5).long(), T.tensor([1, 2, 3])),
}


@pytest.mark.parametrize("name", NLL_ERRORS)
def test_nll_and_cross_entropy_errors(name: str) -> None:
    same_error(NLL_ERRORS[name])


# -- elementwise losses -----------------------------------------------------------------------------------
PAIRS: dict[str, Callable[..., Any]] = {
    "mse": lambda T, x, y, r: _f(T).mse_loss(x, y, reduction=r),
    "l1": lambda T, x, y, r: _f(T).l1_loss(x, y, reduction=r),
    "smooth_l1": lambda T, x, y, r: _f(T).smooth_l1_loss(x, y, reduction=r),
    "smooth_l1_beta": lambda T, x, y, r: _f(T).smooth_l1_loss(x, y, reduction=r, beta=0.3),
    "smooth_l1_beta0": lambda T, x, y, r: _f(T).smooth_l1_loss(x, y, reduction=r, beta=0.0),
    "huber": lambda T, x, y, r: _f(T).huber_loss(x, y, reduction=r),
    "huber_delta": lambda T, x, y, r: _f(T).huber_loss(x, y, reduction=r, delta=0.4),
    "kl_div": lambda T, x, y, r: _f(T).kl_div(x, y.abs(), reduction=r),
    "kl_div_log_target": lambda T, x, y, r: _f(T).kl_div(x, y, reduction=r, log_target=True),
    "bce_logits": lambda T, x, y, r: _f(T).binary_cross_entropy_with_logits(x, y.sigmoid(), reduction=r),
    "bce": lambda T, x, y, r: _f(T).binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", PAIRS)
def test_elementwise_losses(name: str, reduction: str) -> None:
    x, y = RNG.standard_normal((2, 3, 4)).astype(np.float32) * 2, RNG.standard_normal((2, 3, 4)).astype(np.float32)
    _both(lambda T, x, y: PAIRS[name](T, x, y, reduction), x, y)
    _both(lambda T, x, y: PAIRS[name](T, x, y, reduction), x.astype(np.float64), y.astype(np.float64))


@pytest.mark.parametrize("name", ["mse", "smooth_l1", "huber", "bce_logits", "bce"])
def test_elementwise_losses_double_backward(name: str) -> None:
    x, y = _logits(3, 4), _logits(3, 4)
    grads = []
    for T in (torch, ember):
        xt, yt = T.tensor(x, dtype=T.float64, requires_grad=True), T.tensor(y, dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(PAIRS[name](T, xt, yt, "mean"), xt, create_graph=True)
        grads.append(T.autograd.grad((g * g.detach().sign()).sum(), (xt, yt), allow_unused=True))
    for e, t in zip(grads[1], grads[0], strict=True):
        assert (e is None) == (t is None)
        if t is not None:
            assert_same(e, t)


def test_losses_at_the_edges() -> None:
    p = np.array([0.0, 1.0, 0.5, 1e-30, 1 - 1e-7], np.float32)
    y = np.array([1.0, 0.0, 0.3, 1.0, 0.0], np.float32)
    _both(lambda T, p, y: _f(T).binary_cross_entropy(p, y, reduction="none"), p, y, grad=False)
    big = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    _both(lambda T, x, y: _f(T).binary_cross_entropy_with_logits(x, y, reduction="none"), big, y, grad=[True, False])
    _both(lambda T, x, y: _f(T).kl_div(x, y, reduction="none"), big, np.array([0, 1, 0.5, 0, 2], np.float32))
    for fn in (lambda T: _f(T).mse_loss(T.zeros(0, 3), T.zeros(0, 3)), lambda T: _f(T).l1_loss(T.zeros(0), T.zeros(0))):
        assert_same(fn(ember), fn(torch))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_losses(reduction: str) -> None:
    x, y, w = _logits(3, 4), RNG.random((3, 4)).astype(np.float32), RNG.random((3, 4)).astype(np.float32)
    pw = RNG.random(4).astype(np.float32) * 3
    _both(lambda T, x, y, w: _f(T).binary_cross_entropy(x.sigmoid(), y, w, reduction=reduction), x, y, w,
          grad=[True, True, False])
    _both(lambda T, x, y, w: _f(T).binary_cross_entropy(x.sigmoid(), y, w[0], reduction=reduction), x, y, w,
          grad=[True, True, False])
    _both(lambda T, x, y, w, pw: _f(T).binary_cross_entropy_with_logits(x, y, w, reduction=reduction, pos_weight=pw),
          x, y, w, pw, grad=[True, True, False, False])
    _both(lambda T, x, y, pw: _f(T).binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=pw),
          x, y, pw, grad=[True, True, False])
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        _both(lambda T, x, y, w, n=name: getattr(_f(T), n)(x, y, reduction=reduction, weight=w), x, y, w,
              grad=[True, True, False])


def test_broadcast_target_warns_and_broadcasts() -> None:
    x, y = _logits(3, 4), _logits(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
            _both(lambda T, x, y, n=name: getattr(_f(T), n)(x, y), x, y)
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        _same_warnings(lambda T, n=name: getattr(_f(T), n)(T.zeros(3, 4), T.zeros(4)))


def test_gaussian_nll_loss() -> None:
    x, y, v = _logits(3, 4), _logits(3, 4), RNG.random((3, 4)).astype(np.float32)
    for reduction in REDUCTIONS:
        _both(lambda T, x, y, v, r=reduction: _f(T).gaussian_nll_loss(x, y, v, reduction=r), x, y, v)
        _both(lambda T, x, y, v, r=reduction: _f(T).gaussian_nll_loss(x, y, v[:, 0], full=True, reduction=r),
              x, y, v)
    _both(lambda T, x, y: _f(T).gaussian_nll_loss(x, y, 0.5), x, y)


def test_kl_div_batchmean_and_mean_warning() -> None:
    x, y = _logits(3, 4), RNG.random((3, 4)).astype(np.float32)
    _both(lambda T, x, y: _f(T).kl_div(x, y, reduction="batchmean"), x, y)
    _same_warnings(lambda T: _f(T).kl_div(T.zeros(2), T.ones(2)))


LOSS_ERRORS: dict[str, Callable[[Any], Any]] = {
    "mse_reduction": lambda T: _f(T).mse_loss(T.zeros(3), T.zeros(3), reduction="batchmean"),
    "mse_shapes": lambda T: _f(T).mse_loss(T.zeros(3, 4), T.zeros(5)),
    "mse_long": lambda T: _f(T).mse_loss(T.zeros(3).long(), T.zeros(3).long()),
    "smooth_l1_beta": lambda T: _f(T).smooth_l1_loss(T.zeros(3), T.zeros(3), beta=-1.0),
    "huber_delta": lambda T: _f(T).huber_loss(T.zeros(3), T.zeros(3), delta=0.0),
    "bce_size": lambda T: _f(T).binary_cross_entropy(T.rand(3, 4), T.rand(4)),
    "bce_dtype": lambda T: _f(T).binary_cross_entropy(T.rand(3), T.rand(3).double()),
    "bce_input_range": lambda T: _f(T).binary_cross_entropy(T.rand(3) + 2, T.rand(3)),
    "bce_target_range": lambda T: _f(T).binary_cross_entropy(T.rand(3), T.rand(3) + 2),
    "bce_logits_size": lambda T: _f(T).binary_cross_entropy_with_logits(T.rand(3, 4), T.rand(4)),
    "bce_logits_pos_weight": lambda T: _f(T).binary_cross_entropy_with_logits(T.rand(3, 4), T.rand(3, 4),
                                                                              pos_weight=T.ones(3)),
    "weight_size": lambda T: _f(T).mse_loss(T.zeros(3), T.zeros(3), weight=T.ones(2)),
    "gaussian_var_size": lambda T: _f(T).gaussian_nll_loss(T.zeros(3, 4), T.zeros(3, 4), T.ones(2)),
    "gaussian_negative": lambda T: _f(T).gaussian_nll_loss(T.zeros(3), T.zeros(3), -1.0),
}


@pytest.mark.parametrize("name", LOSS_ERRORS)
def test_loss_errors(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(LOSS_ERRORS[name])


# -- modules ----------------------------------------------------------------------------------------------
MODULES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "L1Loss": (lambda T: T.nn.L1Loss(reduction="sum"), "pair"),
    "MSELoss": (lambda T: T.nn.MSELoss(), "pair"),
    "SmoothL1Loss": (lambda T: T.nn.SmoothL1Loss(beta=0.5), "pair"),
    "HuberLoss": (lambda T: T.nn.HuberLoss(delta=0.5, reduction="none"), "pair"),
    "KLDivLoss": (lambda T: T.nn.KLDivLoss(reduction="batchmean", log_target=True), "pair"),
    "BCELoss": (lambda T: T.nn.BCELoss(weight=T.full((4,), 0.5)), "prob"),
    "BCEWithLogitsLoss": (lambda T: T.nn.BCEWithLogitsLoss(pos_weight=T.full((4,), 2.0)), "logit"),
    "CrossEntropyLoss": (lambda T: T.nn.CrossEntropyLoss(weight=T.arange(1.0, 5.0), label_smoothing=0.1), "class"),
    "NLLLoss": (lambda T: T.nn.NLLLoss(ignore_index=1, reduction="sum"), "class"),
}


@pytest.mark.parametrize("name", MODULES)
def test_loss_modules(name: str) -> None:
    make, kind = MODULES[name]
    x = _logits(3, 4)
    y = {"pair": _logits(3, 4), "prob": RNG.random((3, 4)).astype(np.float32),
         "logit": RNG.random((3, 4)).astype(np.float32), "class": _targets(4, 3)}[kind]
    if kind == "prob":
        x = 1 / (1 + np.exp(-x))
    assert repr(make(ember)) == repr(make(torch))
    _both(lambda T, x, y: make(T)(x, y), x, y, grad=[True, False])


def test_gaussian_nll_loss_module_and_legacy_args() -> None:
    x, y, v = _logits(3, 4), _logits(3, 4), RNG.random((3, 4)).astype(np.float32)
    _both(lambda T, x, y, v: T.nn.GaussianNLLLoss(full=True)(x, y, v), x, y, v)
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            assert T.nn.MSELoss(size_average=False).reduction == "sum"
    assert ember.nn.CrossEntropyLoss().weight is None and "weight" in ember.nn.CrossEntropyLoss()._buffers
