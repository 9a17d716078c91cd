"""Layers against torch: every layer is built in both libraries with the same seed (ember's default
initialisation draws torch's numbers) and checked to hold the same state; then the same inputs
give the same outputs, input gradients and parameter gradients, with the same grad_fn names.
Dropout draws torch's masks; batch norm's running statistics follow torch's over several steps; a
small MLP trained for a few SGD steps stays within 1e-6 of torch."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, build_pair, grad_fn_name, same_error

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)


def _run(e: Any, t: Any, *arrays: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Same outputs, grad_fn name, input gradients and parameter gradients."""
    e_in = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    e_out, t_out = e(*e_in), t(*t_in)
    assert_same(e_out, t_out, rtol, atol)
    assert grad_fn_name(e_out) == grad_fn_name(t_out)
    g = RNG.standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))
    for ei, ti in zip(e_in, t_in, strict=True):
        if ti.grad is not None:
            assert_same(ei.grad, ti.grad, rtol, atol)
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        assert (ep.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_same(ep.grad, tp.grad, rtol, atol)


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


LAYERS: dict[str, tuple[Callable[[Any], Any], tuple[tuple[int, ...], ...]]] = {
    "Linear": (lambda T: T.nn.Linear(5, 3), ((4, 5),)),
    "Linear_1d": (lambda T: T.nn.Linear(5, 3), ((5,),)),
    "Linear_3d": (lambda T: T.nn.Linear(5, 3), ((2, 4, 5),)),
    "Linear_no_bias": (lambda T: T.nn.Linear(5, 3, bias=False), ((2, 4, 5),)),
    "Linear_float64": (lambda T: T.nn.Linear(5, 3, dtype=T.float64), ()),
    "Bilinear": (lambda T: T.nn.Bilinear(3, 4, 2), ((5, 3), (5, 4))),
    "Bilinear_no_bias": (lambda T: T.nn.Bilinear(3, 4, 2, bias=False), ((2, 5, 3), (2, 5, 4))),
    "Identity": (lambda T: T.nn.Identity(3, unused=True), ((2, 3),)),
    "Flatten": (lambda T: T.nn.Flatten(), ((2, 3, 4, 5),)),
    "Flatten_range": (lambda T: T.nn.Flatten(0, 2), ((2, 3, 4, 5),)),
    "Unflatten": (lambda T: T.nn.Unflatten(1, (2, 6)), ((3, 12),)),
    "LayerNorm": (lambda T: T.nn.LayerNorm(6), ((4, 6),)),
    "LayerNorm_2d_shape": (lambda T: T.nn.LayerNorm([3, 4], eps=1e-3), ((2, 3, 4),)),
    "LayerNorm_no_affine": (lambda T: T.nn.LayerNorm(4, elementwise_affine=False), ((3, 4),)),
    "LayerNorm_no_bias": (lambda T: T.nn.LayerNorm(4, bias=False), ((3, 4),)),
    "GroupNorm": (lambda T: T.nn.GroupNorm(2, 6), ((3, 6, 5),)),
    "GroupNorm_4d": (lambda T: T.nn.GroupNorm(3, 6, affine=False), ((2, 6, 2, 3),)),
    "RMSNorm": (lambda T: T.nn.RMSNorm(5), ((3, 5),)),
    "RMSNorm_eps": (lambda T: T.nn.RMSNorm([2, 5], eps=1e-3, elementwise_affine=False), ((3, 2, 5),)),
    "PReLU": (lambda T: T.nn.PReLU(), ((3, 4),)),
    "PReLU_channels": (lambda T: T.nn.PReLU(4, init=0.1), ((2, 4, 3),)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer(name: str) -> None:
    make, shapes = LAYERS[name]
    e, t = build_pair(make)
    assert repr(e) == repr(t)
    if shapes:
        _run(e, t, *(_x(*s) for s in shapes))


def test_layer_params_with_weights_from_torch() -> None:
    """A torch state dict loads into ember (through NumPy) and the layers then agree."""
    t = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.GELU(), torch.nn.LayerNorm(8), torch.nn.Linear(8, 2))
    e = ember.nn.Sequential(ember.nn.Linear(6, 8), ember.nn.GELU(), ember.nn.LayerNorm(8), ember.nn.Linear(8, 2))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    _run(e, t, _x(5, 6))


def test_layer_double_backward_layer_norm_and_group_norm() -> None:
    for make, x in ((lambda T: T.nn.LayerNorm(4, dtype=T.float64), _x(3, 4)),
                    (lambda T: T.nn.GroupNorm(2, 4, dtype=T.float64), _x(2, 4, 3))):
        e, t = build_pair(make)
        grads = []
        for T, m in ((torch, t), (ember, e)):
            xt = T.tensor(x.astype(np.float64), requires_grad=True)
            with T.no_grad():
                m.weight.mul_(1.5)
            (g,) = T.autograd.grad((m(xt) ** 3).sum(), xt, create_graph=True)
            grads.append(T.autograd.grad((g * g).sum(), [xt, m.weight, m.bias]))
        for ge, gt in zip(grads[1], grads[0], strict=True):
            assert_same(ge, gt)


# -- embedding --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1, "scale_grad_by_freq": True},
                                    {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}], ids=str)
def test_embedding(kwargs: dict[str, Any]) -> None:
    e, t = build_pair(lambda T: T.nn.Embedding(6, 3, **kwargs))
    assert repr(e) == repr(t)
    idx = np.array([[0, 2, 5, 2], [1, 5, 5, 3]])
    _run(e, t, idx)
    assert_same(e.weight, t.weight)  # max_norm renormalises the looked-up rows in place


def test_embedding_from_pretrained_and_errors() -> None:
    w = _x(4, 3)
    e, t = (T.nn.Embedding.from_pretrained(T.tensor(w), padding_idx=1) for T in (ember, torch))
    assert repr(e) == repr(t) and e.weight.requires_grad is t.weight.requires_grad is False
    assert_same(e(ember.tensor([1, 3])), t(torch.tensor([1, 3])))
    for fn in (lambda T: T.nn.functional.embedding(T.tensor([1, 5]), T.zeros(4, 3)),
               lambda T: T.nn.functional.embedding(T.tensor([1.0]), T.zeros(4, 3)),
               lambda T: T.nn.functional.embedding(T.tensor([1]), T.zeros(4, 3), padding_idx=4),
               lambda T: T.nn.functional.embedding(T.tensor([1]), T.zeros(4)),
               lambda T: T.nn.Embedding(3, 2, padding_idx=-4),
               lambda T: T.nn.Embedding(3, 2, _weight=T.zeros(2, 2))):
        same_error(fn)


# -- normalisation with running statistics ----------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.BatchNorm1d(4), (6, 4)),
    (lambda T: T.nn.BatchNorm1d(4, momentum=None), (5, 4, 3)),
    (lambda T: T.nn.BatchNorm2d(3, momentum=0.3, eps=1e-3), (4, 3, 2, 2)),
    (lambda T: T.nn.BatchNorm2d(3, affine=False), (2, 3, 3, 2)),
    (lambda T: T.nn.BatchNorm3d(2, track_running_stats=False), (2, 2, 2, 2, 3)),
], ids=["1d", "1d_cumulative", "2d", "2d_no_affine", "3d_untracked"])
def test_batch_norm_train_then_eval(make: Callable[[Any], Any], shape: tuple[int, ...]) -> None:
    e, t = build_pair(make)
    assert repr(e) == repr(t)
    for _ in range(3):
        _run(e, t, _x(*shape) * 2 + 1)
        for eb, tb in zip(e.buffers(), t.buffers(), strict=True):
            assert_same(eb, tb, rtol=1e-6, atol=1e-7)
    e.eval(), t.eval()
    _run(e, t, _x(*shape))


def test_batch_norm_errors() -> None:
    for fn in (lambda T: T.nn.BatchNorm1d(3)(T.zeros(1, 3)),
               lambda T: T.nn.BatchNorm1d(3)(T.zeros(4, 3, 2, 2)),
               lambda T: T.nn.BatchNorm2d(3)(T.zeros(4, 3)),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3), T.zeros(4), T.ones(3), training=True),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3), T.zeros(3), T.ones(3), T.ones(4), training=True),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3), None, None),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3), T.zeros(3), T.ones(3), training=True, eps=0),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3), T.zeros(3).double(), T.ones(3).double()),
               lambda T: T.nn.functional.batch_norm(T.rand(4, 3).double(), T.zeros(3), T.ones(3)),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), (5,)),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), 4),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), (4,), T.ones(3)),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), (4,), T.ones(4), T.ones(3)),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), (4,), T.ones(4).double()),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4), ()),
               lambda T: T.nn.functional.layer_norm(T.rand(3, 4).long(), (4,)),
               lambda T: T.nn.functional.group_norm(T.rand(2, 6, 3), 4),
               lambda T: T.nn.functional.group_norm(T.rand(2, 6, 3), 3, T.ones(5)),
               lambda T: T.nn.functional.group_norm(T.rand(6), 3),
               lambda T: T.nn.functional.group_norm(T.rand(1, 3, 1), 3),
               lambda T: T.nn.GroupNorm(4, 6),
               lambda T: T.nn.functional.rms_norm(T.rand(3, 4), (5,)),
               lambda T: T.nn.functional.rms_norm(T.rand(3, 4), (4,), T.ones(3))):
        same_error(fn)


def test_instance_norm_function() -> None:
    x = _x(2, 3, 5)
    for kwargs in ({}, {"weight": True}):
        e_args = {"weight": ember.ones(3) * 2, "bias": ember.zeros(3) + 1} if kwargs else {}
        t_args = {"weight": torch.ones(3) * 2, "bias": torch.zeros(3) + 1} if kwargs else {}
        e_in, t_in = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        e_out, t_out = ember.nn.functional.instance_norm(e_in, **e_args), torch.nn.functional.instance_norm(t_in,
                                                                                                              **t_args)
        assert_same(e_out, t_out)
        e_out.sum().backward(), (t_out * 1).sum().backward()
    rm_e, rv_e, rm_t, rv_t = ember.zeros(3), ember.ones(3), torch.zeros(3), torch.ones(3)
    ember.nn.functional.instance_norm(ember.tensor(x), rm_e, rv_e)
    torch.nn.functional.instance_norm(torch.tensor(x), rm_t, rv_t)
    assert_same(rm_e, rm_t), assert_same(rv_e, rv_t)


# -- dropout ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.Dropout(), (8, 16)),
    (lambda T: T.nn.Dropout(0.2), (3, 5, 7)),
    (lambda T: T.nn.Dropout(1.0), (4, 4)),
    (lambda T: T.nn.Dropout(0.0), (4, 4)),
    (lambda T: T.nn.Dropout1d(0.3), (4, 6, 5)),
    (lambda T: T.nn.Dropout2d(0.4), (3, 6, 2, 2)),
    (lambda T: T.nn.Dropout3d(0.5), (5, 2, 2, 2)),
    (lambda T: T.nn.AlphaDropout(0.3), (6, 7)),
    (lambda T: T.nn.FeatureAlphaDropout(0.3), (4, 5, 3)),
], ids=["default", "p02", "p1", "p0", "1d", "2d", "3d_unbatched", "alpha", "feature_alpha"])
def test_dropout_masks_are_torchs(make: Callable[[Any], Any], shape: tuple[int, ...]) -> None:
    e, t = build_pair(make)
    assert repr(e) == repr(t)
    torch.manual_seed(7)
    ember.manual_seed(7)
    x = _x(*shape)
    _run(e, t, x)
    e.eval(), t.eval()
    _run(e, t, x)


def test_dropout_inplace_and_errors() -> None:
    x = _x(4, 6)
    outs = []
    for T in (torch, ember):
        T.manual_seed(3)
        y = T.tensor(x)
        T.nn.functional.dropout(y, 0.5, inplace=True)
        outs.append(y)
    assert_same(outs[1], outs[0])
    for fn in (lambda T: T.nn.Dropout(1.5), lambda T: T.nn.functional.dropout(T.zeros(2), -0.1),
               lambda T: T.nn.functional.dropout1d(T.zeros(2, 3, 4, 5))):
        same_error(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.nn.functional.dropout2d(ember.zeros(2, 3, 4))
    assert "dropout2d: Received a 3D input" in str(caught[-1].message)


# -- activations ------------------------------------------------------------------------------------------
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "ReLU": lambda T: T.nn.ReLU(), "ReLU_inplace": lambda T: T.nn.ReLU(inplace=True),
    "ReLU6": lambda T: T.nn.ReLU6(), "GELU": lambda T: T.nn.GELU(), "GELU_tanh": lambda T: T.nn.GELU("tanh"),
    "SiLU": lambda T: T.nn.SiLU(), "Tanh": lambda T: T.nn.Tanh(), "Sigmoid": lambda T: T.nn.Sigmoid(),
    "Softmax": lambda T: T.nn.Softmax(dim=1), "LogSoftmax": lambda T: T.nn.LogSoftmax(-1),
    "Softmin": lambda T: T.nn.Softmin(0), "Softmax2d": lambda T: T.nn.Softmax2d(),
    "LeakyReLU": lambda T: T.nn.LeakyReLU(0.2), "ELU": lambda T: T.nn.ELU(0.5), "CELU": lambda T: T.nn.CELU(2.0),
    "SELU": lambda T: T.nn.SELU(), "Mish": lambda T: T.nn.Mish(), "Hardswish": lambda T: T.nn.Hardswish(),
    "Hardsigmoid": lambda T: T.nn.Hardsigmoid(), "Hardtanh": lambda T: T.nn.Hardtanh(-0.5, 0.7),
    "Softplus": lambda T: T.nn.Softplus(2.0, 5.0), "Softshrink": lambda T: T.nn.Softshrink(0.3),
    "Hardshrink": lambda T: T.nn.Hardshrink(0.3), "Softsign": lambda T: T.nn.Softsign(),
    "Tanhshrink": lambda T: T.nn.Tanhshrink(), "LogSigmoid": lambda T: T.nn.LogSigmoid(),
    "Threshold": lambda T: T.nn.Threshold(0.1, 20.0), "GLU": lambda T: T.nn.GLU(1),
    "RReLU_eval": lambda T: T.nn.RReLU(0.1, 0.3).eval(), "RReLU": lambda T: T.nn.RReLU(),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_modules(name: str) -> None:
    e, t = build_pair(ACTIVATIONS[name])
    assert repr(e) == repr(t)
    x = _x(3, 4, 2, 2)
    if name.endswith("inplace"):
        assert_same(e(ember.tensor(x)), t(torch.tensor(x)))
        return
    torch.manual_seed(5)
    ember.manual_seed(5)
    _run(e, t, x)


def test_activation_reprs_and_errors() -> None:
    for make in (lambda T: T.nn.Threshold(0.1, 2, inplace=True), lambda T: T.nn.ELU(inplace=True),
                 lambda T: T.nn.ReLU6(True), lambda T: T.nn.LeakyReLU(inplace=True), lambda T: T.nn.Softmax(),
                 lambda T: T.nn.RReLU(inplace=True), lambda T: T.nn.SiLU(True)):
        assert repr(make(ember)) == repr(make(torch))
    same_error(lambda T: T.nn.Hardtanh(1.0, 0.5))
    same_error(lambda T: T.nn.functional.prelu(T.zeros(4, 3), T.ones(4)))
    same_error(lambda T: T.nn.functional.prelu(T.zeros(4, 3), T.ones(1, 3)))
    same_error(lambda T: T.nn.Unflatten(1, [2, 3.0]))
    same_error(lambda T: T.nn.Unflatten(1, 6))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ember.nn.Softmax()(ember.zeros(2, 3))


# -- linear: torch's graph and errors ---------------------------------------------------------------------
def test_linear_functional_graph_and_errors() -> None:
    w, b = _x(3, 4), _x(3)
    for shape in ((4,), (2, 4), (0, 4), (5, 2, 4)):
        for bias in (True, False):
            x = np.ones(shape, np.float32)
            outs = [T.nn.functional.linear(T.tensor(x), T.tensor(w, requires_grad=True), T.tensor(b) if bias else None)
                    for T in (ember, torch)]
            assert_same(outs[0], outs[1])
            assert grad_fn_name(outs[0]) == grad_fn_name(outs[1]), (shape, bias)
    for fn in (lambda T: T.nn.functional.linear(T.tensor(1.0), T.rand(4, 3)),
               lambda T: T.nn.functional.linear(T.rand(2, 5), T.rand(3, 4)),
               lambda T: T.nn.functional.linear(T.rand(5), T.rand(3, 4)),
               lambda T: T.nn.functional.linear(T.rand(2, 4), T.rand(3, 4), T.rand(4)),
               lambda T: T.nn.functional.linear(T.rand(2, 4).double(), T.rand(3, 4), T.rand(3)),
               lambda T: T.nn.functional.bilinear(T.rand(2, 3), T.rand(2, 4), T.rand(5, 3, 3)),
               lambda T: T.nn.functional.bilinear(T.rand(2, 3), T.rand(3, 4), T.rand(5, 3, 4)),
               lambda T: T.nn.Linear(3, 2)(T.rand(2, 4))):
        same_error(fn)


# -- training ---------------------------------------------------------------------------------------------
def test_mlp_sgd_steps_match_torch() -> None:
    """Same init, same batches, plain SGD written out: parameters agree to 1e-6 after 5 steps."""
    def make(T: Any) -> Any:
        nn = T.nn
        return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 16), nn.GELU(),
                             nn.LayerNorm(16), nn.Linear(16, 5))

    e, t = build_pair(make, seed=11)
    x, y = _x(64, 20), RNG.integers(0, 5, 64)
    torch.manual_seed(2)
    ember.manual_seed(2)
    for _ in range(5):
        for T, m in ((torch, t), (ember, e)):
            m.zero_grad()
            T.nn.functional.cross_entropy(m(T.tensor(x)), T.tensor(y), label_smoothing=0.05).backward()
            with T.no_grad():
                for p in m.parameters():
                    p.add_(p.grad, alpha=-0.1)
    for ep, tp in zip(e.parameters(), t.parameters(), strict=True):
        assert_same(ep, tp, rtol=1e-6, atol=1e-6)
