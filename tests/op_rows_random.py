"""Op-table rows for the samplers (see op_table.py): each row draws from its own freshly seeded
generator, so ember and torch draw the same values and the sweep compares them like any op's;
the samplers' gradients are zero."""
from __future__ import annotations

from op_table import row


def _gen(T, seed: int = 7):  # noqa: ANN001, ANN202
    return T.Generator().manual_seed(seed)


def _fresh(x):  # noqa: ANN001, ANN202
    """A contiguous copy to draw into: torch's clone of a transposed view keeps its strides, and a
    sampler fills memory in order, so a strided copy would take the same draws in another order."""
    return x.contiguous().clone()


row("normal_", "normal_", lambda T, x: _fresh(x).normal_(generator=_gen(T)), (3, 4))
row("normal__mean_std", "normal_", lambda T, x: _fresh(x).normal_(2.0, 0.5, generator=_gen(T)), (3, 4))
# 16 elements and more: torch's block kernel (a gradcheck input stays at most 12 elements)
row("normal__blocks", "normal_", lambda T, x: _fresh(x).normal_(2.0, 0.5, generator=_gen(T)), (20,), gradcheck=False)
row("uniform_", "uniform_", lambda T, x: _fresh(x).uniform_(generator=_gen(T)), (3, 4))
row("uniform__bounds", "uniform_", lambda T, x: _fresh(x).uniform_(-2.5, 4.0, generator=_gen(T)), (3, 4))
row("random_", "random_", lambda T, x: _fresh(x).random_(generator=_gen(T)), (3, 4))
row("random__to", "random_", lambda T, x: _fresh(x).random_(10, generator=_gen(T)), (3, 4))
row("random__from_to", "random_", lambda T, x: _fresh(x).random_(-5, 5, generator=_gen(T)), (3, 4))
row("random__int", "random_", lambda T, x: _fresh(x).random_(-5, 5, generator=_gen(T)), (3, 4), domain="int")
row("bernoulli_", "bernoulli_", lambda T, x: _fresh(x).bernoulli_(0.3, generator=_gen(T)), (3, 4))
row("bernoulli__tensor", "bernoulli_", lambda T, x, p: _fresh(x).bernoulli_(p.abs(), generator=_gen(T)), (3, 4),
    (4,), domain=("any", "unit"))
row("bernoulli", "bernoulli", lambda T, p: T.bernoulli(p.abs(), generator=_gen(T)), (3, 4), domain="unit")
row("bernoulli_p", "bernoulli", lambda T, x: T.bernoulli(x, 0.25, generator=_gen(T)), (3, 4), grad=False)
row("exponential_", "exponential_", lambda T, x: _fresh(x).exponential_(1.5, generator=_gen(T)), (3, 4))
row("multinomial", "multinomial", lambda T, p: T.multinomial(p, 3, generator=_gen(T)), (3, 5), domain="positive",
    grad=False, gradcheck=False)
row("multinomial_replacement", "multinomial", lambda T, p: p.multinomial(8, True, generator=_gen(T)), (5,),
    domain="positive", grad=False, gradcheck=False)
