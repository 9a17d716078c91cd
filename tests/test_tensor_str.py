"""ember's tensor repr must match torch's byte for byte (torch is the oracle)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember._tensor_str import format_tensor, get_printoptions, set_printoptions

torch = pytest.importorskip("torch")

DEFAULTS = {
    "precision": 4,
    "threshold": 1000,
    "edgeitems": 3,
    "linewidth": 80,
    "sci_mode": None,
}
DTYPES = [
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
]


@pytest.fixture(autouse=True)
def _default_options() -> Iterator[None]:
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def set_both(**kwargs: object) -> None:
    set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def ember_repr(
    arr: np.ndarray, requires_grad: bool = False, grad_fn_name: str | None = None
) -> str:
    name = arr.dtype.name
    return format_tensor(
        arr,
        dtype_name=name,
        is_default_dtype=name in ("float32", "int64", "bool"),
        requires_grad=requires_grad,
        grad_fn_name=grad_fn_name,
    )


def torch_repr(arr: np.ndarray, requires_grad: bool = False) -> str:
    t = torch.from_numpy(arr.copy())
    if requires_grad:
        t.requires_grad_()
    return repr(t).replace("torch.", "ember.")


def check(arr: np.ndarray, requires_grad: bool = False) -> str:
    expected = torch_repr(arr, requires_grad)
    assert ember_repr(arr, requires_grad) == expected
    return expected


# ---------------------------------------------------------------- literal examples


def test_seed_values() -> None:
    arr = np.array([0.9005, -1.1318, 1.4628], dtype=np.float32)
    assert check(arr) == "tensor([ 0.9005, -1.1318,  1.4628])"
    out = ember_repr(arr + 2, grad_fn_name="AddBackward0")
    assert out == "tensor([2.9005, 0.8682, 3.4628], grad_fn=<AddBackward0>)"
    t = torch.from_numpy(arr.copy()).requires_grad_() + 2
    assert out == repr(t)


def test_scalars() -> None:
    assert check(np.array(3.0, dtype=np.float32)) == "tensor(3.)"
    assert check(np.array(14.1051, dtype=np.float32)) == "tensor(14.1051)"
    for value in [0.0, -0.0, 1e-5, 1e9, math.nan, math.inf, -math.inf, -2.5]:
        for dtype in (np.float16, np.float32, np.float64):
            with np.errstate(over="ignore"):
                arr = np.array(value, dtype=dtype)
            check(arr)
    for dtype in DTYPES[3:]:
        check(np.array(1, dtype=dtype))


def test_empty() -> None:
    assert check(np.zeros((0,), np.float32)) == "tensor([])"
    assert check(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert check(np.zeros((0,), np.int64)) == "tensor([], dtype=ember.int64)"
    for dtype in DTYPES:
        for shape in [(0,), (0, 3), (2, 0, 4), (3, 0)]:
            check(np.zeros(shape, dtype=dtype))
            check(np.zeros(shape, dtype=dtype), requires_grad=dtype.startswith("float"))


# ---------------------------------------------------------------- float formatting

FLOAT_CASES = [
    [1.0, 2.0, -3.0],
    [0.0, 10.0, 100.0, 1000.0],
    [1.0, 1001.0],
    [1e8, 1.0],
    [1.5e8, 2.5],
    [1e-5, 1.0],
    [1e-4, 0.5],
    [0.5, 600.0],
    [0.5, 501.0],
    [123456.789, 0.001],
    [1e-3, 1e-2, 1e2],
    [math.nan, 1.0, -math.inf, math.inf],
    [math.nan, 0.25],
    [math.nan, math.inf, -math.inf, 0.0],
    [0.0, -0.0],
    [-0.0, 0.5],
    [1e30, -1e-30, 0.0],
    [2.0**60, 3.0],
    [0.00015, 0.9999],
    [99999.5, 0.5],
    [9.99995, 1.00005],
]


@pytest.mark.parametrize("values", FLOAT_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_values(values: list[float], dtype: type) -> None:
    with np.errstate(over="ignore"):
        arr = np.array(values, dtype=dtype)
    check(arr)
    check(arr.reshape(1, -1))


def test_integer_valued_and_sci() -> None:
    assert check(np.array([1.0, 2.0, 3.0], np.float32)) == "tensor([1., 2., 3.])"
    assert check(np.array([1e9, 1.0], np.float32)) == "tensor([1.0000e+09, 1.0000e+00])"
    check(np.array([1e-5, 2e-5], np.float64))


@pytest.mark.parametrize("dtype", DTYPES[3:])
def test_integer_dtypes(dtype: str) -> None:
    info = np.iinfo(dtype) if dtype != "bool" else None
    if info is None:
        arr = np.array([True, False, True])
    else:
        arr = np.array([info.min, 0, 7, info.max], dtype=dtype)
    check(arr)
    check(arr.reshape(-1, 1))
    check(np.arange(24).astype(dtype).reshape(2, 3, 4))


# ---------------------------------------------------------------- shapes, wrapping, summarizing


@pytest.mark.parametrize(
    "shape", [(2, 3), (2, 3, 4), (2, 1, 3, 2), (1, 1, 1, 1), (5, 1)]
)
def test_nd_shapes(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    check(rng.standard_normal(shape).astype(np.float32))
    check(rng.integers(-50, 50, shape).astype(np.int64))


def test_wrapping() -> None:
    rng = np.random.default_rng(1)
    check(rng.standard_normal(30).astype(np.float32))
    check(rng.standard_normal((3, 25)).astype(np.float64))
    check(np.arange(100, dtype=np.int64))
    check(np.arange(60, dtype=np.float32) * 1e6, requires_grad=True)
    check(rng.standard_normal((2, 2, 30)).astype(np.float32), requires_grad=True)


def test_summarized() -> None:
    rng = np.random.default_rng(2)
    check(np.arange(2000, dtype=np.int64))
    check(rng.standard_normal(2000).astype(np.float32))
    check(rng.standard_normal((40, 40)).astype(np.float64), requires_grad=True)
    check(rng.standard_normal((12, 10, 11)).astype(np.float32))
    check(np.arange(1001.0))
    check(rng.integers(0, 255, (3, 500)).astype(np.uint8))
    check(rng.standard_normal((1, 2000)) > 0)


def test_suffix_wrapping() -> None:
    arr = np.arange(14, dtype=np.float64) + 0.5
    check(arr, requires_grad=True)
    for n in range(1, 16):
        check(np.arange(n, dtype=np.float64) * 1.25, requires_grad=True)
        check(np.zeros((n, 0), dtype=np.int16), requires_grad=False)


def test_grad_fn_suffix() -> None:
    arr = np.linspace(-2, 2, 25, dtype=np.float64).reshape(5, 5)
    t = torch.from_numpy(arr.copy()).requires_grad_() * 1
    name = type(t.grad_fn).__name__
    assert ember_repr(arr, True, name) == repr(t).replace("torch.", "ember.")
    assert "requires_grad" not in ember_repr(arr, True, name)


# ---------------------------------------------------------------- print options


@pytest.mark.parametrize(
    "opts",
    [
        {"precision": 2},
        {"precision": 0},
        {"precision": 8},
        {"threshold": 5},
        {"threshold": 5, "edgeitems": 1},
        {"threshold": 5, "edgeitems": 0},
        {"edgeitems": 0},
        {"linewidth": 30},
        {"linewidth": 1},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"profile": "full"},
        {"profile": "short", "precision": 6},
    ],
    ids=str,
)
def test_printoptions(opts: dict[str, object]) -> None:
    set_both(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    rng = np.random.default_rng(3)
    check(rng.standard_normal(20).astype(np.float32))
    check(rng.standard_normal((8, 9)).astype(np.float64), requires_grad=True)
    check(np.array([1e-6, 1e6, 0.0]), requires_grad=True)
    check(np.array([1.0, 2.0, 0.0], np.float32))
    check(np.zeros((3, 3), np.float32))
    check(np.arange(2000, dtype=np.int32))
    check(np.arange(3000, dtype=np.float32).reshape(10, 3, 100))
    check(np.array(2.5))
    check(np.zeros((0, 2)))


def test_set_printoptions_resets_sci_mode() -> None:
    set_both(sci_mode=True)
    set_both(precision=3)
    assert get_printoptions()["sci_mode"] is None
    set_both(profile="default")
    assert get_printoptions() == DEFAULTS


# ---------------------------------------------------------------- property test

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(shapes)
    if dtype.kind == "f" and draw(st.booleans()):
        # "nice" values: small integers and decimals that exercise int/fixed modes
        divisor = draw(st.sampled_from([1, 4, 100]))
        elems = st.integers(-1000, 1000).map(lambda i: i / divisor)
        return draw(hnp.arrays(dtype, shape, elements=elems))
    return draw(hnp.arrays(dtype, shape))


option_sets = st.fixed_dictionaries(
    {
        "precision": st.integers(0, 8),
        "threshold": st.integers(0, 50),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(1, 120),
        "sci_mode": st.sampled_from([None, True, False]),
    }
)

relaxed = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@relaxed
@given(arr=arrays(), requires_grad=st.booleans())
def test_matches_torch(arr: np.ndarray, requires_grad: bool) -> None:
    check(arr, requires_grad=requires_grad and arr.dtype.kind == "f")


@relaxed
@given(arr=arrays(), opts=option_sets)
def test_matches_torch_with_options(arr: np.ndarray, opts: dict[str, object]) -> None:
    set_both(**opts)
    try:
        check(arr, requires_grad=arr.dtype.kind == "f")
    finally:
        set_both(profile="default")
