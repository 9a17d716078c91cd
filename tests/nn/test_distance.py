"""nn.PairwiseDistance and nn.CosineSimilarity against torch: values, gradients, repr."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("name", "kwargs"), [
    ("PairwiseDistance", {}), ("PairwiseDistance", {"p": 1.0, "eps": 1e-3, "keepdim": True}),
    ("PairwiseDistance", {"p": float("inf")}), ("CosineSimilarity", {}), ("CosineSimilarity", {"dim": 0, "eps": 0.5}),
])
def test_values_gradients_repr(name: str, kwargs: dict) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 5))
    ours = getattr(ember.nn, name)(**kwargs)
    theirs = getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = ours(ea, eb), theirs(ta, tb)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_triplet_with_distance_default_is_pairwise_distance() -> None:
    assert repr(ember.nn.TripletMarginWithDistanceLoss()) == repr(torch.nn.TripletMarginWithDistanceLoss())
