"""nn.init against torch: with the same seed every initialiser writes torch's exact numbers (ember's
generator draws torch's streams), leaves no graph, and raises torch's errors and warnings."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

INITS: dict[str, tuple[Callable[[Any, Any], Any], tuple[int, ...]]] = {
    "uniform_": (lambda T, t: T.nn.init.uniform_(t, -0.3, 0.7), (5, 7)),
    "normal_": (lambda T, t: T.nn.init.normal_(t, 1.0, 0.5), (40, 3)),
    "normal_small": (lambda T, t: T.nn.init.normal_(t), (3, 3)),
    "constant_": (lambda T, t: T.nn.init.constant_(t, 0.25), (2, 3)),
    "ones_": (lambda T, t: T.nn.init.ones_(t), (4,)),
    "zeros_": (lambda T, t: T.nn.init.zeros_(t), (4, 1)),
    "eye_": (lambda T, t: T.nn.init.eye_(t), (3, 5)),
    "dirac_": (lambda T, t: T.nn.init.dirac_(t), (4, 2, 3, 3)),
    "dirac_groups": (lambda T, t: T.nn.init.dirac_(t, groups=2), (6, 2, 5)),
    "xavier_uniform_": (lambda T, t: T.nn.init.xavier_uniform_(t), (20, 30)),
    "xavier_uniform_gain": (lambda T, t: T.nn.init.xavier_uniform_(t, gain=T.nn.init.calculate_gain("relu")),
                            (8, 3, 3, 3)),
    "xavier_normal_": (lambda T, t: T.nn.init.xavier_normal_(t, 0.5), (16, 9)),
    "kaiming_uniform_": (lambda T, t: T.nn.init.kaiming_uniform_(t), (32, 16)),
    "kaiming_uniform_fan_out": (lambda T, t: T.nn.init.kaiming_uniform_(t, a=0.1, mode="fan_out",
                                                                        nonlinearity="relu"), (6, 4, 3)),
    "kaiming_normal_": (lambda T, t: T.nn.init.kaiming_normal_(t, mode="fan_out"), (10, 20)),
    "kaiming_normal_leaky": (lambda T, t: T.nn.init.kaiming_normal_(t, a=0.2, nonlinearity="leaky_relu"), (3, 7)),
    "trunc_normal_": (lambda T, t: T.nn.init.trunc_normal_(t, std=0.02), (30, 30)),
    "trunc_normal_rejection": (lambda T, t: T.nn.init.trunc_normal_(t, mean=0.0, std=1.0, a=1.0, b=3.0), (20, 20)),
    "orthogonal_": (lambda T, t: T.nn.init.orthogonal_(t), (12, 8)),
    "orthogonal_wide": (lambda T, t: T.nn.init.orthogonal_(t, gain=2.0), (4, 3, 5)),
    "sparse_": (lambda T, t: T.nn.init.sparse_(t, 0.4, std=0.1), (10, 6)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", INITS)
def test_init_draws_torchs_numbers(name: str, dtype: str) -> None:
    fn, shape = INITS[name]
    out = []
    for T in (torch, ember):
        T.manual_seed(1234)
        t = T.empty(shape, dtype=getattr(T, dtype), requires_grad=True)
        result = fn(T, t)
        assert result is t and t.grad_fn is None and t.is_leaf and t.requires_grad
        out.append(t.detach().numpy())
    # orthogonal_ goes through a QR decomposition: LAPACK builds may differ in the last bits
    tol = {"rtol": 1e-5, "atol": 1e-6} if name.startswith("orthogonal") else {"rtol": 0, "atol": 0}
    np.testing.assert_allclose(out[1], out[0], **tol)


def test_orthogonal_is_orthogonal_and_generator_argument() -> None:
    w = ember.nn.init.orthogonal_(ember.empty(6, 4, dtype=ember.float64))
    np.testing.assert_allclose(w.t().matmul(w).numpy(), np.eye(4), atol=1e-12)
    values = []
    for T in (torch, ember):
        g = T.Generator().manual_seed(9)
        values.append(T.nn.init.uniform_(T.empty(5), generator=g).numpy())
    np.testing.assert_array_equal(values[1], values[0])


def test_default_layer_initialisation_matches_torch() -> None:
    def make(T: Any) -> Any:
        nn = T.nn
        return nn.ModuleList([nn.Linear(7, 5), nn.Bilinear(2, 3, 4), nn.Embedding(6, 3, padding_idx=0),
                              nn.PReLU(2), nn.LayerNorm(3), nn.BatchNorm1d(3), nn.GroupNorm(1, 2), nn.RMSNorm(2),
                              nn.Linear(0, 3)])

    states = []
    for T in (torch, ember):
        T.manual_seed(42)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Linear(0, 3): initialising zero elements is a no-op
            states.append(make(T).state_dict())
    assert list(states[0]) == list(states[1])
    for k in states[0]:
        np.testing.assert_array_equal(states[1][k].numpy(), states[0][k].numpy(), err_msg=k)


def test_calculate_gain_and_fans() -> None:
    for args in (("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("leaky_relu", 1), ("selu",)):
        assert ember.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for shape in ((3, 4), (5, 2, 3), (2, 3, 4, 5)):
        assert (ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(shape))
                == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)))
    assert math.isclose(ember.nn.init.calculate_gain("leaky_relu", 0.5), math.sqrt(2 / 1.25))  # by hand


ERRORS: dict[str, Callable[[Any], Any]] = {
    "gain": lambda T: T.nn.init.calculate_gain("swish"),
    "gain_param": lambda T: T.nn.init.calculate_gain("leaky_relu", "a"),
    "gain_bool": lambda T: T.nn.init.calculate_gain("leaky_relu", True),
    "fan": lambda T: T.nn.init.xavier_uniform_(T.empty(3)),
    "mode": lambda T: T.nn.init.kaiming_uniform_(T.empty(3, 4), mode="fan_avg"),
    "eye": lambda T: T.nn.init.eye_(T.empty(3, 4, 5)),
    "dirac": lambda T: T.nn.init.dirac_(T.empty(3, 4)),
    "dirac_groups": lambda T: T.nn.init.dirac_(T.empty(3, 4, 5), groups=2),
    "orthogonal": lambda T: T.nn.init.orthogonal_(T.empty(3)),
    "sparse": lambda T: T.nn.init.sparse_(T.empty(3, 4, 5), 0.1),
    "normal_std": lambda T: T.nn.init.normal_(T.empty(3), std=-1.0),
}


@pytest.mark.parametrize("name", ERRORS)
def test_init_errors(name: str) -> None:
    with pytest.raises(Exception) as expected:
        ERRORS[name](torch)
    with pytest.raises(type(expected.value)) as got:
        ERRORS[name](ember)
    assert str(got.value) == str(expected.value).replace("torch.", "ember.")


def test_init_warnings_and_deprecated_aliases() -> None:
    for fn in (lambda T: T.nn.init.kaiming_uniform_(T.empty(0, 3)), lambda T: T.nn.init.kaiming_normal_(T.empty(3, 0)),
               lambda T: T.nn.init.trunc_normal_(T.empty(3), mean=10.0), lambda T: T.nn.init.uniform(T.empty(2)),
               lambda T: T.nn.init.xavier_normal(T.empty(2, 2))):
        messages = []
        for T in (torch, ember):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fn(T)
            messages.append([(w.category, str(w.message)) for w in caught])
        assert messages[0] == messages[1] and messages[0]
