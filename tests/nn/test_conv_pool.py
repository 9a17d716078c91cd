"""Convolution and pooling against torch: layers built from the same seed hold torch's weights;
outputs, indices, grad_fn names, input and parameter gradients agree, also through a second
derivative; torch's errors come with torch's messages; and a small CNN trains step for step."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, grad_fn_name, same_error

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2)


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _build(make: Callable[[Any], Any], seed: int = 0) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    t = make(torch)
    ember.manual_seed(seed)
    e = make(ember)
    for (k, tv), ev in zip(t.state_dict().items(), e.state_dict().values(), strict=True):
        np.testing.assert_array_equal(ev.numpy(), tv.numpy(), err_msg=k)
    return e, t


def _run(e: Any, t: Any, x: np.ndarray, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = e(ex), t(tx)
    assert_same(eo, to, rtol, atol)
    assert grad_fn_name(eo) == grad_fn_name(to)
    g = RNG.standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(ember.tensor(g)), to.backward(torch.tensor(g))
    assert_same(ex.grad, tx.grad, rtol, atol)
    for ep, tp in zip(e.parameters(), t.parameters(), strict=True):
        assert_same(ep.grad, tp.grad, rtol, atol)


CONVS: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "Conv1d": (lambda T: T.nn.Conv1d(3, 4, 3), (2, 3, 9)),
    "Conv1d_unbatched_stride_pad": (lambda T: T.nn.Conv1d(3, 4, 4, stride=2, padding=2, bias=False), (3, 11)),
    "Conv2d": (lambda T: T.nn.Conv2d(3, 5, 3), (2, 3, 7, 6)),
    "Conv2d_same_dilation_groups": (lambda T: T.nn.Conv2d(4, 6, (3, 2), padding="same", dilation=(1, 2), groups=2),
                                    (2, 4, 6, 7)),
    "Conv2d_stride_padding": (lambda T: T.nn.Conv2d(2, 3, 3, stride=(2, 1), padding=(1, 2)), (3, 2, 8, 5)),
    "Conv2d_reflect": (lambda T: T.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 5, 5)),
    "Conv2d_circular": (lambda T: T.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (1, 2, 4, 5)),
    "Conv2d_replicate_same": (lambda T: T.nn.Conv2d(2, 2, 4, padding="same", padding_mode="replicate"), (1, 2, 5, 6)),
    "Conv2d_valid_depthwise": (lambda T: T.nn.Conv2d(3, 6, 2, padding="valid", groups=3), (2, 3, 4, 4)),
    "Conv3d": (lambda T: T.nn.Conv3d(2, 3, (2, 3, 2), padding=1, stride=(1, 2, 1)), (1, 2, 4, 5, 4)),
    "ConvTranspose1d": (lambda T: T.nn.ConvTranspose1d(3, 2, 3, stride=3, dilation=2), (2, 3, 5)),
    "ConvTranspose2d": (lambda T: T.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                        (2, 4, 5, 4)),
    "ConvTranspose2d_unbatched": (lambda T: T.nn.ConvTranspose2d(3, 2, (2, 3), bias=False), (3, 4, 4)),
    "ConvTranspose3d": (lambda T: T.nn.ConvTranspose3d(2, 2, 2, stride=2), (1, 2, 2, 3, 2)),
}


@pytest.mark.parametrize("name", CONVS)
def test_conv_layers(name: str) -> None:
    make, shape = CONVS[name]
    e, t = _build(make)
    assert repr(e) == repr(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel: torch warns, ember too
        _run(e, t, _x(*shape))


def test_conv_transpose_output_size() -> None:
    e, t = _build(lambda T: T.nn.ConvTranspose2d(2, 3, 3, stride=2))
    x = _x(1, 2, 4, 4)
    assert_same(e(ember.tensor(x), output_size=[10, 9]), t(torch.tensor(x), output_size=[10, 9]))
    same_error(lambda T: T.nn.ConvTranspose2d(2, 3, 3, stride=2)(T.zeros(1, 2, 4, 4), output_size=[12, 9]))
    same_error(lambda T: T.nn.ConvTranspose2d(2, 3, 3)(T.zeros(1, 2, 4, 4), output_size=[1, 2, 3]))


def test_conv_double_backward() -> None:
    x, w, wt = _x(2, 4, 6, 5).astype(np.float64), _x(6, 2, 3, 2).astype(np.float64), _x(4, 3, 3, 2).astype(np.float64)
    results = []
    for T in (torch, ember):
        F = T.nn.functional
        for fn, weight in ((lambda a, b, F=F: F.conv2d(a, b, stride=2, padding=1, groups=2), w),
                           (lambda a, b, F=F: F.conv_transpose2d(a, b, stride=2, groups=2, output_padding=1), wt)):
            xt, wt_ = T.tensor(x, requires_grad=True), T.tensor(weight, requires_grad=True)
            y = fn(xt, wt_)
            gx, gw = T.autograd.grad((y ** 2).sum(), (xt, wt_), create_graph=True)
            results.append((grad_fn_name(gx), T.autograd.grad((gx ** 2).sum() + (gw ** 3).sum(), (xt, wt_))))
    for (ne, ge), (nt, gt) in zip(results[2:], results[:2], strict=True):
        assert ne == nt
        for a, b in zip(ge, gt, strict=True):
            assert_same(a, b)


POOLS: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "MaxPool2d": (lambda T: T.nn.MaxPool2d(2), (2, 3, 7, 6)),
    "MaxPool2d_all": (lambda T: T.nn.MaxPool2d(3, 2, 1, (1, 2), ceil_mode=True), (2, 3, 7, 8)),
    "MaxPool2d_unbatched": (lambda T: T.nn.MaxPool2d((2, 3), 1), (3, 5, 6)),
    "MaxPool1d": (lambda T: T.nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 10)),
    "MaxPool3d": (lambda T: T.nn.MaxPool3d(2, ceil_mode=True), (1, 2, 5, 4, 5)),
    "AvgPool2d": (lambda T: T.nn.AvgPool2d(2), (2, 3, 6, 6)),
    "AvgPool2d_pad_ceil": (lambda T: T.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 7)),
    "AvgPool2d_divisor": (lambda T: T.nn.AvgPool2d((2, 3), (1, 2), 1, divisor_override=5), (1, 2, 5, 6)),
    "AvgPool1d": (lambda T: T.nn.AvgPool1d(3, 2, 1, ceil_mode=True), (2, 3, 10)),
    "AvgPool3d": (lambda T: T.nn.AvgPool3d((2, 3, 2), padding=1), (1, 2, 4, 5, 4)),
    "AdaptiveAvgPool2d": (lambda T: T.nn.AdaptiveAvgPool2d((3, 4)), (2, 3, 7, 9)),
    "AdaptiveAvgPool2d_1": (lambda T: T.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    "AdaptiveAvgPool2d_none": (lambda T: T.nn.AdaptiveAvgPool2d((None, 2)), (3, 5, 5)),
    "AdaptiveAvgPool1d": (lambda T: T.nn.AdaptiveAvgPool1d(4), (2, 3, 10)),
    "AdaptiveMaxPool2d": (lambda T: T.nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 5)),
    "AdaptiveMaxPool1d": (lambda T: T.nn.AdaptiveMaxPool1d(3), (2, 3, 8)),
}


@pytest.mark.parametrize("name", POOLS)
def test_pool_layers(name: str) -> None:
    make, shape = POOLS[name]
    e, t = _build(make)
    assert repr(e) == repr(t)
    _run(e, t, _x(*shape), atol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda T, x: T.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
    lambda T, x: T.nn.functional.max_pool1d(x[0], 2, return_indices=True),
    lambda T, x: T.nn.functional.adaptive_max_pool2d(x, (2, 3), return_indices=True),
    lambda T, x: T.nn.MaxPool2d(2, return_indices=True)(x),
], ids=["max_pool2d", "max_pool1d", "adaptive_max_pool2d", "module"])
def test_pool_indices(fn: Callable[..., Any]) -> None:
    x = _x(2, 3, 6, 7)
    x[0, 0, :2, :2] = 1.0  # ties: the first maximum wins, as in torch
    (ev, ei), (tv, ti) = fn(ember, ember.tensor(x)), fn(torch, torch.tensor(x))
    assert_same(ev, tv), assert_same(ei, ti)


def test_pool_double_backward() -> None:
    x = _x(2, 3, 6, 7).astype(np.float64)
    outs = []
    for T in (torch, ember):
        xt = T.tensor(x, requires_grad=True)
        F = T.nn.functional
        for fn in (lambda v, F=F: F.avg_pool2d(v, 3, 2, 1, True, False), lambda v, F=F: F.max_pool2d(v, 2),
                   lambda v, F=F: F.adaptive_avg_pool2d(v, (3, 4))):
            (gx,) = T.autograd.grad((fn(xt) ** 2).sum(), xt, create_graph=True)
            outs.append(T.autograd.grad((gx ** 3).sum(), xt)[0])
    for a, b in zip(outs[3:], outs[:3], strict=True):
        assert_same(a, b)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "groups_channels": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 2, 3, 3)),
    "groups_weight": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), groups=2),
    "kernel_too_big": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 9, 9)),
    "kernel_too_big_1d": lambda T: T.nn.functional.conv1d(T.zeros(2, 3, 8), T.zeros(4, 3, 9)),
    "weight_dims": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3)),
    "input_dims": lambda T: T.nn.functional.conv2d(T.zeros(3, 8), T.zeros(4, 3, 3, 3)),
    "stride": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), stride=0),
    "padding": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), padding=-1),
    "padding_len": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), padding=(1, 2, 3)),
    "same_strided": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), padding="same",
                                                     stride=2),
    "padding_string": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), padding="foo"),
    "bias": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), bias=T.zeros(3)),
    "dtype": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3).double()),
    "dilation": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), dilation=0),
    "groups_zero": lambda T: T.nn.functional.conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 3, 3, 3), groups=0),
    "transpose_output_padding": lambda T: T.nn.functional.conv_transpose2d(T.zeros(2, 3, 8, 8), T.zeros(3, 4, 3, 3),
                                                                           stride=2, output_padding=2),
    "transpose1d_output_padding": lambda T: T.nn.functional.conv_transpose1d(T.zeros(2, 3, 8), T.zeros(3, 4, 3),
                                                                             stride=2, output_padding=2),
    "transpose3d_output_padding": lambda T: T.nn.functional.conv_transpose3d(
        T.zeros(2, 3, 4, 4, 4), T.zeros(3, 4, 3, 3, 3), stride=2, output_padding=2),
    "transpose_channels": lambda T: T.nn.functional.conv_transpose2d(T.zeros(2, 3, 8, 8), T.zeros(4, 4, 3, 3)),
    "transpose_padding_string": lambda T: T.nn.functional.conv_transpose2d(T.zeros(2, 3, 8, 8), T.zeros(3, 4, 3, 3),
                                                                           padding="same"),
    "module_groups": lambda T: T.nn.Conv2d(3, 4, 3, groups=2),
    "module_out_groups": lambda T: T.nn.Conv2d(4, 3, 3, groups=2),
    "module_groups_zero": lambda T: T.nn.Conv2d(4, 4, 3, groups=0),
    "module_same_strided": lambda T: T.nn.Conv2d(4, 4, 3, padding="same", stride=2),
    "module_padding_string": lambda T: T.nn.Conv2d(4, 4, 3, padding="foo"),
    "module_input": lambda T: T.nn.Conv2d(4, 4, 3)(T.zeros(2, 3, 8, 8)),
    "module_transpose_mode": lambda T: T.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    "pool_pad": lambda T: T.nn.functional.max_pool2d(T.zeros(2, 3, 8, 8), 3, padding=2),
    "pool_too_small": lambda T: T.nn.functional.max_pool2d(T.zeros(2, 3, 8, 8), 9),
    "pool_stride": lambda T: T.nn.functional.max_pool2d(T.zeros(2, 3, 8, 8), 2, stride=0),
    "pool_dims": lambda T: T.nn.functional.max_pool2d(T.zeros(8, 8), 2),
    "avg_pad": lambda T: T.nn.functional.avg_pool2d(T.zeros(2, 3, 8, 8), 3, padding=2),
    "avg_too_small": lambda T: T.nn.functional.avg_pool2d(T.zeros(2, 3, 8, 8), 9),
    "adaptive_size": lambda T: T.nn.functional.adaptive_avg_pool2d(T.zeros(2, 3, 8, 8), (2, 3, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_conv_and_pool_errors(name: str) -> None:
    same_error(ERRORS[name])


def test_cnn_training_steps_match_torch() -> None:
    """A digits-sized CNN: same init, same batches, SGD written out; parameters agree after 4 steps."""
    def make(T: Any) -> Any:
        nn = T.nn
        return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                             nn.Linear(8, 10))

    e, t = _build(make, seed=5)
    x, y = _x(16, 1, 8, 8), RNG.integers(0, 10, 16)
    torch.manual_seed(1)
    ember.manual_seed(1)
    for _ in range(4):
        for T, m in ((torch, t), (ember, e)):
            m.zero_grad()
            T.nn.functional.cross_entropy(m(T.tensor(x)), T.tensor(y)).backward()
            with T.no_grad():
                for p in m.parameters():
                    p.add_(p.grad, alpha=-0.05)
    for ep, tp in zip(e.state_dict().values(), t.state_dict().values(), strict=True):
        assert_same(ep, tp, rtol=1e-5, atol=1e-6)
