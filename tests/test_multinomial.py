"""ember.multinomial against torch.multinomial: the same indices for the same seed, bit for bit, and
the generator left in the same state (the next randn agrees), over 1-D and 2-D weights, float
dtypes, zeros, unnormalised and extreme weights, strided inputs, with and without replacement;
torch's errors, out=, and no autograd."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _restore_torch_rng():
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)


def draw(T, arr: np.ndarray, *args, seed: int, generator: bool, method: bool = False, layout=None, **kw):  # noqa: ANN001, ANN202
    """Indices from module ``T`` and the three normals drawn after them."""
    p = T.tensor(arr)
    if layout is not None:
        p = layout(p)
    if generator:
        g = T.Generator().manual_seed(seed)
        kw["generator"] = g
    else:
        T.manual_seed(seed)
    r = p.multinomial(*args, **kw) if method else T.multinomial(p, *args, **kw)
    after = T.randn(3, generator=g) if generator else T.randn(3)
    return r, after


def same(arr: np.ndarray, *args, seed: int = 0, generator: bool = False, **kw) -> np.ndarray:
    e, e_after = draw(ember, arr, *args, seed=seed, generator=generator, **kw)
    t, t_after = draw(torch, arr, *args, seed=seed, generator=generator, **kw)
    assert str(e.dtype) == "ember.int64" and t.dtype == torch.int64
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal(e_after.numpy(), t_after.numpy())  # the generator state agrees
    return e.numpy()


def weights(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, zeros: bool) -> np.ndarray:
    arr = rng.random(shape) * rng.choice([1.0, 7.5, 1e-3])
    if zeros and shape[-1] > 1:
        arr[..., 1::3] = 0
    return arr.astype(dtype)


SHAPES = [(1,), (6,), (3, 6), (2, 130)]  # 130 categories, 2 samples: topk's partial_sort (k * 64 <= n)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("replacement", [False, True])
def test_values_and_state_match_torch(dtype, shape, replacement):
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    categories = shape[-1]
    for seed in range(8):
        arr = weights(rng, shape, dtype, zeros=seed % 2 == 0)
        for n in sorted({1, 2, categories // 2 or 1, categories, 3 * categories}):
            if replacement or n <= categories:
                same(arr, n, replacement, seed=seed, generator=seed % 3 == 0, method=seed % 4 == 1)


def test_more_samples_than_nonzero_weights():
    # without replacement the zero weights come last, in the order torch's topk leaves them
    arr = np.array([[0.0, 1.0, 0.0, 0.0, 2.0, 0.0], [3.0, 0.0, 0.0, 1.0, 0.0, 0.0]], np.float32)
    for seed in range(5):
        got = same(arr, 6, seed=seed)
        assert set(got[0, :2]) == {1, 4} and set(got[1, :2]) == {0, 3}
        assert all(sorted(r) == list(range(6)) for r in got)
        assert (got[:, 2:] != got[:, :1]).all()
        same(arr, 4, True, seed=seed)  # with replacement a zero weight is never drawn
        assert set(same(arr, 50, True, seed=seed)[0]) <= {1, 4}


@pytest.mark.parametrize("replacement", [False, True])
@pytest.mark.parametrize("layout", [lambda p: p.t(), lambda p: p[:, ::2], lambda p: p.t()[::2]],
                         ids=["transposed", "sliced", "transposed_sliced"])
def test_strided_inputs(layout, replacement):
    # empty_like keeps a dense layout, so a transposed input draws its exponentials in memory order
    arr = np.random.default_rng(3).random((5, 8)).astype(np.float32)
    for seed in range(3):
        same(arr, 1, replacement, seed=seed, layout=layout)
        same(arr, 3, replacement, seed=seed, layout=layout)


def test_extreme_weights():
    big = np.float32(3e38)
    same(np.array([big, big, 1.0, big], np.float32), 5, True, seed=1)  # the running sum overflows to inf
    same(np.array([1e-40, 0.0, 1e-42], np.float32), 3, True, seed=2)  # subnormal weights
    same(np.array([1e-40, 0.0, 1e-42], np.float32), 2, seed=2)
    same(np.array([1.0, 1e-30, 1.0], np.float64), 3, seed=4)


def test_consecutive_calls_share_the_default_generator():
    arr = np.array([0.1, 0.2, 0.3, 0.4])
    for T in (ember, torch):
        T.manual_seed(11)
    for args in ((2,), (3, True), (1, True), (4,), (5, True)):
        e, t = ember.multinomial(ember.tensor(arr), *args), torch.multinomial(torch.tensor(arr), *args)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_integer_like_num_samples():
    arr = np.array([0.1, 0.2, 0.7])
    same(arr, np.int64(2), seed=3)
    for T in (ember, torch):
        T.manual_seed(3)
    np.testing.assert_array_equal(ember.multinomial(ember.tensor(arr), ember.tensor(4), True).numpy(),
                                  torch.multinomial(torch.tensor(arr), torch.tensor(4), True).numpy())


def test_frequencies():
    # a sanity check beside the bit-exact comparison: draws follow the weights
    w = np.array([1.0, 2.0, 3.0, 4.0])
    ember.manual_seed(0)
    counts = np.bincount(ember.multinomial(ember.tensor(w), 20000, True).numpy(), minlength=4)
    np.testing.assert_allclose(counts / 20000, w / w.sum(), atol=0.015)


def test_no_autograd():
    p = ember.tensor([0.2, 0.3, 0.5], requires_grad=True)
    tp = torch.tensor([0.2, 0.3, 0.5], requires_grad=True)
    for args in ((2,), (4, True)):
        e, t = ember.multinomial(p, *args), torch.multinomial(tp, *args)
        assert (e.grad_fn, e.requires_grad) == (None, False) == (t.grad_fn, t.requires_grad)


def test_empty_rows():
    for T in (ember, torch):
        r = T.multinomial(T.zeros(0, 4), 3, True)
        assert tuple(r.shape) == (0, 3) and str(r.dtype).endswith("int64")


def test_out():
    arr = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 2.0]])
    results = []
    for T in (ember, torch):
        T.manual_seed(5)
        same_shape = T.full((2, 2), -1, dtype=T.int64)
        base = T.full((2, 4), -1, dtype=T.int64)
        view = base[:, ::2]
        resized = T.zeros(7, dtype=T.int64)
        r1 = T.multinomial(T.tensor(arr), 2, out=same_shape)
        T.multinomial(T.tensor(arr), 2, True, out=view)
        T.multinomial(T.tensor(arr), 3, True, out=resized)
        assert r1 is same_shape
        results.append([x.numpy().copy() for x in (same_shape, base, resized)])
    for e, t in zip(*results, strict=True):
        np.testing.assert_array_equal(e, t)


ERRORS = [
    "torch.multinomial(torch.tensor([0.5, 1.0, -0.1]), 1)",
    "torch.multinomial(torch.tensor([0.5, 1.0, -0.1]), 2, True)",
    "torch.multinomial(torch.tensor([0.5, float('nan')]), 1)",
    "torch.multinomial(torch.tensor([0.5, float('nan')]), 2, True)",
    "torch.multinomial(torch.tensor([0.5, float('inf')]), 2)",
    "torch.multinomial(torch.tensor([0.5, float('inf')]), 2, True)",
    "torch.multinomial(torch.tensor([float('inf'), -1.0]), 2, True)",
    "torch.multinomial(torch.tensor([[1.0, 2.0], [0.0, 0.0]]), 1)",
    "torch.multinomial(torch.tensor([[1.0, 2.0], [0.0, 0.0]]), 2, True)",
    "torch.multinomial(torch.zeros(3, dtype=torch.float64), 2)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), 3)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), 0)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), -2, True)",
    "torch.multinomial(torch.tensor(0.5), 1)",
    "torch.multinomial(torch.ones(2, 2, 2), 1)",
    "torch.multinomial(torch.tensor([1, 2]), 1)",
    "torch.multinomial(torch.tensor([True, False]), 1)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), 2.0)",
    "torch.tensor([0.2, 0.8]).multinomial(2.0)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), True)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), np.float64(2.0))",
    "torch.multinomial(torch.tensor([0.2, 0.8]), 1, generator=3)",
    "torch.multinomial(torch.tensor([0.2, 0.8]), 1, out=torch.zeros(1))",
    "torch.multinomial(torch.zeros(0), 1, True)",
    "torch.multinomial(torch.zeros(0), 2, True)",
    "torch.multinomial(torch.zeros(2, 0), 1)",
    "torch.multinomial(torch.zeros(1).expand(2 ** 24 + 1), 1)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    with pytest.raises(Exception) as t_info:  # noqa: B017, PT011 - the oracle says which
        eval(expr, {"torch": torch, "np": np})
    with pytest.raises(t_info.type) as e_info:
        eval(expr, {"torch": ember, "np": np})
    assert str(e_info.value) == str(t_info.value).replace("torch.", "ember.")


def test_error_after_earlier_rows_were_sampled():
    # with replacement the kernel samples each row before checking the next: the draws are spent
    arr = np.array([[0.2, 0.8], [0.5, 0.5], [0.1, -1.0]])
    afters = []
    for T in (ember, torch):
        g = T.Generator().manual_seed(9)
        with pytest.raises(RuntimeError, match="entry < 0"):
            T.multinomial(T.tensor(arr), 4, True, generator=g)
        afters.append(T.rand(3, generator=g).numpy())
    np.testing.assert_array_equal(*afters)
    assert not np.array_equal(afters[0], torch.rand(3, generator=torch.Generator().manual_seed(9)).numpy())
