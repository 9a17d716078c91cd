"""Weight norm (the hook API and the parametrization), register_parametrization and spectral norm
against torch: the same weights in, then outputs, gradients of the original parameters, state_dict
keys, a few SGD steps, class swapping and removal, and the errors with torch's type and message."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, same_error

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _pair(make: Callable[[Any], Any], dtype: Any = np.float32) -> tuple[Any, Any]:
    """The same module in torch and ember, ember's weights copied from torch's."""
    t = make(torch)
    e = make(ember)
    if dtype == np.float64:
        t, e = t.double(), e.double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return t, e


def _same_params(t: Any, e: Any, rtol: float, atol: float, grads: bool = True) -> None:
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(tp) == list(ep)
    for name in tp:
        assert_same(ep[name], tp[name], rtol, atol)
        if grads:
            assert_same(ep[name].grad, tp[name].grad, rtol, atol)


def _train_alongside(t: Any, e: Any, x: np.ndarray, steps: int = 3) -> None:
    """Forward, backward and an SGD step in both, ``steps`` times, comparing outputs and gradients."""
    # float32: sums of squares of O(1) terms reduced in a different order than torch's; gradients that
    # nearly cancel (|g| ~ 0.03 from terms ~ 5) differ by a few 1e-6 absolute
    rtol, atol = (1e-12, 1e-12) if x.dtype == np.float64 else (1e-5, 1e-5)
    opt_t = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    opt_e = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        yt, ye = t(torch.from_numpy(x)), e(ember.tensor(x))
        assert_same(ye, yt, rtol, atol)
        opt_t.zero_grad(), opt_e.zero_grad()
        (yt ** 2).sum().backward()
        (ye ** 2).sum().backward()
        _same_params(t, e, rtol, atol)
        opt_t.step(), opt_e.step()
    _same_params(t, e, rtol, atol, grads=False)


def _linear(T: Any) -> Any:
    return T.nn.Linear(4, 3)


def _conv(T: Any) -> Any:
    return T.nn.Conv1d(2, 3, 3)


# -- weight norm, the forward pre-hook API ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, None, -1])
@pytest.mark.parametrize("make", [_linear, _conv], ids=["linear", "conv1d"])
def test_weight_norm_hook(make: Callable[[Any], Any], dim: int | None, dtype: Any) -> None:
    t, e = _pair(make, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(t, dim=dim)
        ember.nn.utils.weight_norm(e, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tuple(e.weight_g.shape) == tuple(t.weight_g.shape)
    x = RNG.standard_normal((2, 4) if make is _linear else (2, 2, 5)).astype(dtype)
    _train_alongside(t, e, x)
    torch.nn.utils.remove_weight_norm(t)
    ember.nn.utils.remove_weight_norm(e)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert isinstance(e.weight, ember.nn.Parameter)
    _train_alongside(t, e, x, steps=1)


def test_weight_norm_hook_warning_and_errors() -> None:
    messages = []
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.nn.utils.weight_norm(_linear(T))
        messages.append([(w.category, str(w.message).replace("torch.", "ember.")) for w in caught])
    assert messages[0] == messages[1] and messages[0][0][0] is FutureWarning

    def twice(T: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            T.nn.utils.weight_norm(T.nn.utils.weight_norm(_linear(T)))

    same_error(twice)
    same_error(lambda T: T.nn.utils.remove_weight_norm(_linear(T)))


# -- register_parametrization ---------------------------------------------------------------------------
def _symmetric(T: Any) -> Any:
    class Symmetric(T.nn.Module):
        def forward(self, X: Any) -> Any:
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A: Any) -> Any:
            return A.triu()

    return Symmetric()


def _scale(T: Any) -> Any:
    class Scale(T.nn.Module):
        def forward(self, X: Any) -> Any:
            return 2 * X

        def right_inverse(self, A: Any) -> Any:
            return A / 2

    return Scale()


def _square(T: Any) -> Any:
    return T.nn.Linear(3, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_register_parametrization(dtype: Any) -> None:
    t, e = _pair(_square, dtype)
    for T, m in ((torch, t), (ember, e)):
        T.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(T))
        T.nn.utils.parametrize.register_parametrization(m, "weight", _scale(T))  # chained
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert ember.nn.utils.parametrize.type_before_parametrizations(e) is ember.nn.Linear
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert ember.nn.utils.parametrize.is_parametrized(e) and ember.nn.utils.parametrize.is_parametrized(e, "weight")
    assert not ember.nn.utils.parametrize.is_parametrized(e, "bias")
    assert not ember.nn.utils.parametrize.is_parametrized(ember.nn.Linear(3, 3))
    assert_same(e.parametrizations.weight.original, t.parametrizations.weight.original)
    assert_same(e.weight, t.weight)
    assert type(ember.nn.Linear(3, 3)).__name__ == "Linear"  # other instances keep their class
    x = RNG.standard_normal((2, 3)).astype(dtype)
    _train_alongside(t, e, x)
    # assigning the parametrized tensor sets the original through right_inverse
    value = RNG.standard_normal((3, 3)).astype(dtype)
    with torch.no_grad():
        t.weight = torch.from_numpy(value.copy())
    with ember.no_grad():
        e.weight = ember.tensor(value.copy())
    assert_same(e.parametrizations.weight.original, t.parametrizations.weight.original)
    assert_same(e.weight, t.weight)
    with torch.nn.utils.parametrize.cached(), ember.nn.utils.parametrize.cached():
        assert e.weight is e.weight and t.weight is t.weight
        assert_same(e(ember.tensor(x)), t(torch.from_numpy(x)))
    assert e.weight is not e.weight


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations(leave_parametrized: bool) -> None:
    t, e = _pair(_square)
    for T, m in ((torch, t), (ember, e)):
        T.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(T))
        original = m.parametrizations.weight.original
        T.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave_parametrized)
        assert m.weight is original  # the same Parameter object, so optimizers keep it
    assert type(e) is ember.nn.Linear and not hasattr(e, "parametrizations")
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert_same(e.weight, t.weight)
    _train_alongside(t, e, RNG.standard_normal((2, 3)).astype(np.float32), steps=1)


def test_parametrization_of_a_buffer_and_errors() -> None:
    for T in (torch, ember):
        bn = T.nn.BatchNorm1d(3)
        T.nn.utils.parametrize.register_parametrization(bn, "running_var", _scale(T))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "num_batches_tracked",
                                     "parametrizations.running_var.original"]
    same_error(lambda T: T.nn.utils.parametrize.register_parametrization(_square(T), "foo", _scale(T)))
    same_error(lambda T: T.nn.utils.parametrize.remove_parametrizations(_square(T), "weight"))

    class Shrink(ember.nn.Module):
        def forward(self, X: Any) -> Any:
            return X[:1]

    class TShrink(torch.nn.Module):
        def forward(self, X: Any) -> Any:
            return X[:1]

    same_error(lambda T: T.nn.utils.parametrize.register_parametrization(
        _square(T), "weight", TShrink() if T is torch else Shrink()))

    def remove_sequence(T: Any) -> None:
        m = T.nn.utils.parametrizations.weight_norm(_square(T))
        T.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)

    same_error(remove_sequence)

    def no_right_inverse(T: Any) -> None:
        m = T.nn.utils.parametrize.register_parametrization(_square(T), "weight", T.nn.Tanh())
        m.weight = T.zeros(3, 3)

    same_error(no_right_inverse)


# -- weight norm and spectral norm as parametrizations ----------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm(dim: int | None, dtype: Any) -> None:
    t, e = _pair(_conv, dtype)
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    ember.nn.utils.parametrizations.weight_norm(e, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    for name in ("original0", "original1"):
        assert_same(getattr(e.parametrizations.weight, name), getattr(t.parametrizations.weight, name))
    _train_alongside(t, e, RNG.standard_normal((2, 2, 5)).astype(dtype))
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    ember.nn.utils.parametrize.remove_parametrizations(e, "weight")
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert_same(e.weight, t.weight, 1e-5, 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("make", "dim"), [(_linear, None), (_conv, None), (_conv, 1),
                                           (lambda T: T.nn.ConvTranspose1d(2, 3, 2), None)], ids=str)
def test_parametrizations_spectral_norm(make: Callable[[Any], Any], dim: int | None, dtype: Any) -> None:
    t, e = _pair(make, dtype)
    torch.manual_seed(3)
    ember.manual_seed(3)
    torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=2, dim=dim)
    ember.nn.utils.parametrizations.spectral_norm(e, n_power_iterations=2, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    rtol, atol = (1e-12, 1e-12) if dtype == np.float64 else (1e-5, 1e-6)
    for name in ("_u", "_v"):
        assert_same(getattr(e.parametrizations.weight[0], name), getattr(t.parametrizations.weight[0], name),
                    rtol, atol)
    x = RNG.standard_normal((2, 4) if make is _linear else (2, 2, 5)).astype(dtype)
    _train_alongside(t, e, x)
    t.eval(), e.eval()
    _train_alongside(t, e, x, steps=1)
    assert_same(e.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u, rtol, atol)


def test_spectral_norm_of_a_vector_and_errors() -> None:
    t, e = _pair(lambda T: T.nn.Linear(3, 1))
    torch.nn.utils.parametrizations.spectral_norm(t, "bias")
    ember.nn.utils.parametrizations.spectral_norm(e, "bias")
    assert_same(e.bias, t.bias)
    same_error(lambda T: T.nn.utils.parametrizations.spectral_norm(_linear(T), "foo"))
    same_error(lambda T: T.nn.utils.parametrizations.spectral_norm(_linear(T), dim=2))
    same_error(lambda T: T.nn.utils.parametrizations.spectral_norm(_linear(T), n_power_iterations=0))
