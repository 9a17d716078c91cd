"""ember.nn.functional against torch.nn.functional: the edge cases the op table's rows don't reach
(signatures, implicit softmax dims, errors, NaN/inf, kinks, empty and float16 inputs, in-place
variants, second derivatives)."""
from __future__ import annotations

import ast
import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from helpers import assert_same, check_against_torch, grad_fn_name, same_error, to_ember, to_torch  # noqa: E402

TF = torch.nn.functional
FN = lambda T: T.nn.functional  # noqa: E731
_SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.0, 3.0, -3.0, 6.0, 40.0, -40.0])
# every pointwise function, called with its non-default arguments too
POINTWISE: dict[str, Callable[..., Any]] = {
    "logsigmoid": lambda T, x: FN(T).logsigmoid(x),
    "gelu": lambda T, x: FN(T).gelu(x),
    "gelu_tanh": lambda T, x: FN(T).gelu(x, approximate="tanh"),
    "silu": lambda T, x: FN(T).silu(x),
    "mish": lambda T, x: FN(T).mish(x),
    "softplus": lambda T, x: FN(T).softplus(x),
    "softplus_beta": lambda T, x: FN(T).softplus(x, beta=2.0, threshold=5.0),
    "elu": lambda T, x: FN(T).elu(x),
    "elu_alpha": lambda T, x: FN(T).elu(x, alpha=0.5),
    "selu": lambda T, x: FN(T).selu(x),
    "celu": lambda T, x: FN(T).celu(x, alpha=2.0),
    "leaky_relu": lambda T, x: FN(T).leaky_relu(x, 0.2),
    "hardtanh": lambda T, x: FN(T).hardtanh(x, -2.0, 3.0),
    "relu6": lambda T, x: FN(T).relu6(x),
    "hardsigmoid": lambda T, x: FN(T).hardsigmoid(x),
    "hardswish": lambda T, x: FN(T).hardswish(x),
    "softshrink": lambda T, x: FN(T).softshrink(x, 1.0),
    "hardshrink": lambda T, x: FN(T).hardshrink(x, 1.0),
    "threshold": lambda T, x: FN(T).threshold(x, 1.0, -5.0),
    "softsign": lambda T, x: FN(T).softsign(x),
    "tanhshrink": lambda T, x: FN(T).tanhshrink(x),
}


def _both(fn: Callable[..., Any], *arrays: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6,
          grad: bool = True) -> None:
    check_against_torch(torch, lambda *xs: fn(ember, *xs), lambda *xs: fn(torch, *xs), list(arrays), grad=grad,
                        rtol=rtol, atol=atol)


# -- the module and its signatures -----------------------------------------------------------------------
def test_import_paths() -> None:
    import ember.nn.functional as A
    from ember.nn import functional as B

    assert A is B is ember.nn.functional
    for name in ("softmax", "log_softmax", "selu", "celu", "threshold", "hardshrink", "cosine_similarity",
                 "pairwise_distance"):
        assert hasattr(torch, name) and hasattr(ember, name), name
    for name in ("softmax", "log_softmax", "hardshrink"):
        assert hasattr(torch.Tensor, name) and hasattr(ember.Tensor, name), name


def _torch_params(fn: Any) -> list[tuple[str, Any]]:
    """(name, default) of torch's parameters, from the signature or, for builtins, the docstring."""
    try:
        params = list(inspect.signature(fn).parameters.values())
        if [p.name for p in params] == ["args", "kwargs"]:  # torch's boolean_dispatch wrappers (max_pool2d ...)
            raise ValueError
        return [(p.name, p.default) for p in params]
    except ValueError:
        doc = fn.__doc__.strip()  # the signature line, which may wrap: up to the first ")"
        out = []
        for arg in doc[doc.index("(") + 1:doc.index(")")].split(","):
            name, _, default = (s.strip() for s in arg.partition("="))
            out.append((name, ast.literal_eval(default) if default else inspect.Parameter.empty))
        return out


@pytest.mark.parametrize("name", F.__all__)
def test_signature_matches_torch(name: str) -> None:
    ours = [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()]
    assert ours == _torch_params(getattr(TF, name))


def test_all_names_are_torch_names() -> None:
    assert all(hasattr(TF, n) for n in F.__all__)


# -- softmax: implicit dims, dtype, special values -------------------------------------------------------
@pytest.mark.parametrize("fn", ["softmax", "softmin", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (3,), (3, 2), (2, 3, 2), (2, 1, 2, 3)])
def test_softmax_implicit_dim_warns(fn: str, shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(0).standard_normal(shape)
    results = []
    for T in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(FN(T), fn)(to_ember(arr) if T is ember else to_torch(torch, arr))
        assert len(caught) == 1 and caught[0].category is UserWarning
        assert caught[0].filename == __file__  # _stacklevel points at the caller, as torch's does
        results.append((out, str(caught[0].message)))
    assert_same(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_special_values(fn: str) -> None:
    rows = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 1.0], [-np.inf, 1.0], [1e4, -1e4], [0.0, 0.0]])
    _both(lambda T, x: getattr(FN(T), fn)(x, 1), rows, grad=False)
    _both(lambda T, x: getattr(FN(T), fn)(x, 1), rows[3:])


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
def test_softmax_large_values_are_stable(fn: str) -> None:
    arr = np.array([[1000.0, 999.0, -1000.0], [-1e30, 0.0, 1e30]])
    for dtype in ("float32", "float64"):
        _both(lambda T, x: getattr(FN(T), fn)(x, -1), arr.astype(dtype), grad=False)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
def test_softmax_empty(fn: str) -> None:
    for dim in (0, 1):
        _both(lambda T, x, dim=dim: getattr(FN(T), fn)(x, dim), np.zeros((0, 3)))


def test_softmax_dtype_gives_float64_gradient_to_float32_input() -> None:
    arr = np.random.default_rng(1).standard_normal((2, 3)).astype("float32")
    _both(lambda T, x: FN(T).softmax(x, 1, dtype=T.float64), arr)
    _both(lambda T, x: x.log_softmax(0, T.float64), arr)
    _both(lambda T, x: FN(T).softmax(x.half(), 1, dtype=T.float32), arr, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("call", [
    lambda T: FN(T).softmax(T.arange(6).reshape(2, 3), 1),
    lambda T: FN(T).softmax(T.arange(6).reshape(2, 3), 0),
    lambda T: FN(T).log_softmax(T.arange(6).reshape(2, 3), -1),
    lambda T: FN(T).log_softmax(T.arange(6).reshape(2, 3), 0),
    lambda T: FN(T).softmax(T.tensor(3), 0),
    lambda T: FN(T).softmax(T.ones(2, dtype=T.bool), 0),
    lambda T: FN(T).softmin(T.ones(2, dtype=T.bool), 0),
    lambda T: FN(T).softmax(T.ones(2, dtype=T.uint8), 0),
    lambda T: T.softmax(T.ones(2), 0, dtype=T.int64),
    lambda T: T.arange(3).softmax(0),
    lambda T: FN(T).softmax(T.ones(2, 3), 2),
    lambda T: FN(T).log_softmax(T.ones(2, 3), -3),
    lambda T: FN(T).softmax(T.tensor(1.0), 1),
    lambda T: FN(T).softmax(T.ones(2, 3), (1,)),
    lambda T: FN(T).log_softmax(T.ones(2, 3), (1,)),
], ids=["int", "int_dim0", "log_int", "log_int_dim0", "int_0d", "bool", "softmin_bool", "uint8", "dtype_int",
        "method_int", "dim_out_of_range", "neg_dim_out_of_range", "0d_dim_1", "dim_tuple", "log_dim_tuple"])
def test_softmax_errors(call: Callable[[Any], Any]) -> None:
    same_error(call)


# -- pointwise activations -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_values(name: str, dtype: str) -> None:
    """NaN, +-inf, signed zeros and large values, forward and backward. At NaN, torch's vectorised
    kernels and its scalar loop (for a tensor's tail) disagree on some gradients; ember follows the
    vectorised ones, so the input here fills whole vectors (192 elements)."""
    _both(POINTWISE[name], np.tile(_SPECIAL, 16).astype(dtype))


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_kinks(name: str) -> None:
    """At the points where the derivative jumps, ember picks the side torch picks."""
    _both(POINTWISE[name], np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 5.0, 6.0]))


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_empty_and_0d(name: str) -> None:
    _both(POINTWISE[name], np.zeros((0, 3)))
    _both(POINTWISE[name], np.array(-0.7))


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_float16(name: str) -> None:
    arr = np.array([-7.0, -3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 4.0, 8.0], "float16")
    _both(POINTWISE[name], arr, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_non_contiguous(name: str) -> None:
    arr = np.random.default_rng(2).standard_normal((4, 3)) * 3
    _both(lambda T, x: POINTWISE[name](T, x.t()[1:]), arr)


@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_inputs(name: str, dtype: str) -> None:
    arr = np.array([-2, 0, 1, 3]).astype(dtype)
    fn = POINTWISE[name]
    try:
        expected = fn(torch, torch.from_numpy(arr.copy()))
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)) as got:
            fn(ember, ember.tensor(arr))
        assert str(got.value) == str(e)
        return
    assert_same(fn(ember, ember.tensor(arr)), expected)


def test_bad_input_type() -> None:
    for T in (ember, torch):
        with pytest.raises(TypeError, match=r"gelu\(\): argument 'input' \(position 1\) must be Tensor, not list"):
            FN(T).gelu([1.0])


@pytest.mark.parametrize("call", [
    lambda T: FN(T).gelu(T.ones(2), approximate="foo"),
    lambda T: FN(T).gelu(T.ones(2), approximate=None),
    lambda T: FN(T).hardtanh(T.ones(2), 2.0, 1.0),
    lambda T: FN(T).softshrink(T.ones(2), -1.0),
    lambda T: FN(T).softshrink(T.ones(2, dtype=T.float64), -0.5),
    lambda T: FN(T).softshrink(T.ones(2, dtype=T.float16), -2.0),
    lambda T: FN(T).celu(T.ones(2), alpha=0.0),
    lambda T: FN(T).celu_(T.ones(2), 0.0),
    lambda T: FN(T).relu(T.ones(2, requires_grad=True), inplace=True),
    lambda T: FN(T).elu(T.ones(2, requires_grad=True), inplace=True),
    lambda T: FN(T).hardtanh_(T.ones(2, requires_grad=True)),
    lambda T: FN(T).threshold(T.ones(2, dtype=T.bool), 0, 1),
    lambda T: FN(T).glu(T.tensor(1.0)),
    lambda T: FN(T).glu(T.ones(2, 3)),
    lambda T: FN(T).glu(T.ones(3, 2), 0),
    lambda T: FN(T).glu(T.arange(4)),
    lambda T: FN(T).glu(T.ones(2, 2), 2),
    lambda T: FN(T).hardtanh(T.arange(3, dtype=T.uint8), -1, 3),
    lambda T: FN(T).hardtanh_(T.arange(3, dtype=T.uint8), 1, -2),
    lambda T: FN(T).hardtanh(T.arange(3, dtype=T.int8), -1000, 1000),
    lambda T: FN(T).hardtanh(T.ones(3, dtype=T.float16), -1e6, 1.0),
    lambda T: FN(T).threshold(T.arange(3, dtype=T.uint8), 1.0, -5.0),
    lambda T: FN(T).threshold(T.arange(3, dtype=T.uint8), 300, 1),
    lambda T: FN(T).threshold(T.ones(3), 0.0, 1e300),
], ids=["gelu_approximate", "gelu_approximate_none", "hardtanh_bounds", "softshrink_lambd",
        "softshrink_lambd_double", "softshrink_lambd_half", "celu_alpha_0", "celu__alpha_0", "relu_leaf_inplace",
        "elu_leaf_inplace", "hardtanh__leaf", "threshold_bool", "glu_0d", "glu_odd", "glu_odd_dim0", "glu_int",
        "glu_dim_out_of_range", "hardtanh_unsigned_negative", "hardtanh__unsigned_negative_max",
        "hardtanh_int8_overflow", "hardtanh_half_overflow", "threshold_uint8_float_value", "threshold_uint8_overflow",
        "threshold_float_overflow"])
def test_activation_errors(call: Callable[[Any], Any]) -> None:
    same_error(call)


def test_integer_scalars_wrap_into_unsigned() -> None:
    """A negative Python int converts to an unsigned dtype by wrapping, as torch converts it."""
    arr = np.arange(6, dtype="uint8")
    for args in ((-1, 3), (1, -5), (2, 257 - 512)):
        assert_same(F.threshold(ember.tensor(arr), *args), TF.threshold(torch.from_numpy(arr.copy()), *args))


@pytest.mark.parametrize("fn", [lambda T, y: FN(T).elu_(y, -1.0), lambda T, y: FN(T).elu(y, -0.5, inplace=True),
                                lambda T, y: FN(T).celu_(y, -2.0), lambda T, y: FN(T).leaky_relu_(y, -0.1)],
                         ids=["elu_", "elu_inplace", "celu_", "leaky_relu_"])
def test_inplace_negative_slope_fails_in_backward(fn: Callable[..., Any]) -> None:
    """torch refuses the backward of these in-place ops (their rules use the result) for a negative slope."""
    def run(T: Any) -> None:
        x = T.tensor([-1.0, 2.0], requires_grad=True)
        out = fn(T, x * 1)  # the forward works
        out.sum().backward()

    same_error(run)


@pytest.mark.parametrize("name,kwargs", [
    ("relu", {}), ("relu6", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {"alpha": 2.0}),
    ("leaky_relu", {"negative_slope": 0.3}), ("hardtanh", {"min_val": -0.5, "max_val": 0.4}), ("silu", {}),
    ("mish", {}), ("hardsigmoid", {}), ("hardswish", {}), ("threshold", {"threshold": 0.1, "value": 2.0}),
])
def test_inplace_flag(name: str, kwargs: dict[str, Any]) -> None:
    """``inplace=True`` writes into (and returns) the input, taking the node torch gives it."""
    arr = np.array([-4.0, -1.0, -0.3, 0.2, 0.7, 3.5, 7.0])
    results = []
    for T, mk in ((ember, to_ember), (torch, lambda a, g: to_torch(torch, a, g))):
        x = mk(arr, True)
        y = x * 3
        out = getattr(FN(T), name)(y, inplace=True, **kwargs)
        assert out is y
        out.backward(T.ones_like(out))
        results.append((out, grad_fn_name(out), x.grad))
    assert_same(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]
    assert_same(results[0][2], results[1][2])


def test_inplace_without_grad_and_on_views() -> None:
    arr = np.array([[-1.0, 2.0], [3.0, -4.0]])
    results = []
    for T in (ember, torch):
        x = T.tensor(arr)
        assert FN(T).elu_(x) is x
        FN(T).hardtanh(x[1], inplace=True)  # writes through the view
        results.append(x)
    assert_same(*results)


# -- second derivatives against torch --------------------------------------------------------------------
_SECOND = {
    **POINTWISE,
    "softmax": lambda T, x: FN(T).softmax(x, 0),
    "log_softmax": lambda T, x: FN(T).log_softmax(x, -1),
    "elu_": lambda T, x: FN(T).elu_(x * 1, 0.7),
    "celu_": lambda T, x: FN(T).celu_(x * 1, 1.5),
    "selu_": lambda T, x: FN(T).selu_(x * 1),
    "leaky_relu_": lambda T, x: FN(T).leaky_relu_(x * 1, 0.1),
    "threshold_": lambda T, x: FN(T).threshold_(x * 1, 0.5, 2.0),
    "hardtanh_": lambda T, x: FN(T).hardtanh_(x * 1, -0.5, 2.0),
    "glu": lambda T, x: FN(T).glu(x, 0),
    "normalize": lambda T, x: FN(T).normalize(x, dim=0),
    "normalize_p3": lambda T, x: FN(T).normalize(x, p=3.0, dim=0),
    "pad_reflect": lambda T, x: FN(T).pad(x[None], (2, 1), mode="reflect"),
    "pairwise_distance": lambda T, x: FN(T).pairwise_distance(x, x * 0.5),
}


@pytest.mark.parametrize("name", sorted(set(_SECOND) - {"hardsigmoid"}))  # torch has no hardsigmoid double backward
def test_second_derivative_matches_torch(name: str) -> None:
    arr = np.array([-2.7, -0.6, 0.4, 1.3, 3.4, 0.9])
    v = np.linspace(-1.0, 1.0, 6)
    grads = []
    for T, mk in ((ember, to_ember), (torch, lambda a, g: to_torch(torch, a, g))):
        x = mk(arr, True)
        out = _SECOND[name](T, x)
        (g,) = T.autograd.grad((out * out).sum(), x, create_graph=True)
        (gg,) = T.autograd.grad((g * mk(v, False)).sum(), x)
        grads.append((g, gg))
    assert_same(grads[0][0], grads[1][0])
    assert_same(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-6)


# -- normalize, cosine_similarity, pairwise_distance -----------------------------------------------------
def test_norm_composites_near_zero() -> None:
    """Zero vectors: the clamps (eps) decide values and gradients, as in torch."""
    arr = np.array([[0.0, 0.0, 0.0], [1e-9, -1e-9, 0.0], [3.0, -4.0, 0.0]])
    _both(lambda T, x: FN(T).normalize(x), arr)
    _both(lambda T, x: FN(T).normalize(x, p=1, dim=0, eps=1e-3), arr)
    _both(lambda T, x: FN(T).normalize(x, p=math.inf), arr)
    _both(lambda T, x, y: FN(T).cosine_similarity(x, y), arr, arr[::-1].copy())
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y, eps=0.0), arr, arr)
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y, p=0), arr, arr[::-1].copy())


def test_norm_composite_ties_and_specials() -> None:
    arr = np.array([[2.0, -2.0, 1.0], [np.nan, 1.0, 2.0], [np.inf, 1.0, 0.0]])
    _both(lambda T, x: FN(T).normalize(x[:1], p=math.inf), arr)
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y, p=math.inf), arr[:1], np.zeros((1, 3)))
    _both(lambda T, x: FN(T).normalize(x), arr, grad=False)
    _both(lambda T, x, y: FN(T).cosine_similarity(x, y), arr, np.ones((3, 3)), grad=False)


def test_norm_composites_empty_and_mixed_dtypes() -> None:
    _both(lambda T, x: FN(T).normalize(x), np.zeros((0, 3)))
    _both(lambda T, x, y: FN(T).cosine_similarity(x, y), np.zeros((0, 3)), np.zeros((0, 3)))
    _both(lambda T, x, y: FN(T).cosine_similarity(x, y), np.zeros((3, 0)), np.zeros((3, 0)))
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y), np.zeros((2, 0)), np.zeros((2, 0)))
    a32, a64 = np.ones((2, 3), "float32"), np.arange(6.0).reshape(2, 3)
    _both(lambda T, x, y: FN(T).cosine_similarity(x, y), a32, a64)
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y, keepdim=True), a32, a64)
    _both(lambda T, x: FN(T).normalize(x.half(), dim=0), a64, rtol=1e-3, atol=1e-3)
    _both(lambda T, x, y: FN(T).pairwise_distance(x, y), np.array(1.5), np.array([1.0, 2.0, 3.0]))


def test_normalize_out() -> None:
    arr = np.array([[3.0, 4.0], [1.0, 0.0]])
    for T in (ember, torch):
        out = T.zeros(2, 2, dtype=T.float64)
        assert FN(T).normalize(T.tensor(arr), dim=1, out=out) is out
        assert out.tolist() == [[0.6, 0.8], [1.0, 0.0]]  # by hand: (3, 4) / 5 and (1, 0) / 1
    same_error(lambda T: FN(T).normalize(T.ones(2, 2, requires_grad=True), out=T.zeros(2, 2)))


@pytest.mark.parametrize("call", [
    lambda T: FN(T).normalize(T.arange(6).reshape(2, 3)),
    lambda T: FN(T).normalize(T.ones(3)),
    lambda T: FN(T).normalize(T.zeros(2, 0), p=math.inf),
    lambda T: FN(T).normalize(T.zeros(2, 0), p=-math.inf),
    lambda T: FN(T).cosine_similarity(T.arange(3), T.arange(3), dim=0),
    lambda T: FN(T).cosine_similarity(T.ones(2, 3), T.ones(4, 3)),
    lambda T: FN(T).cosine_similarity(T.ones(3), T.ones(3)),
    lambda T: FN(T).pairwise_distance(T.ones(2, 3), T.ones(2, 4)),
    lambda T: FN(T).pairwise_distance(T.zeros(2, 0), T.zeros(2, 0), p=math.inf),
    lambda T: FN(T).pairwise_distance(T.zeros(2, 0), T.zeros(2, 0), p=-1.5),
], ids=["normalize_int", "normalize_dim", "normalize_inf_empty", "normalize_neg_inf_empty", "cosine_int",
        "cosine_broadcast", "cosine_dim", "pairwise_broadcast", "pairwise_inf_empty", "pairwise_negative_p_empty"])
def test_norm_composite_errors(call: Callable[[Any], Any]) -> None:
    same_error(call)


# -- one_hot ---------------------------------------------------------------------------------------------
def test_one_hot_values() -> None:
    for arr, n in ((np.array([0, 2, 1]), -1), (np.array([[1, 0], [2, 2]]), 4), (np.array(2), -1),
                   (np.zeros(0, "int64"), 3), (np.zeros((2, 0), "int64"), 1)):
        assert_same(F.one_hot(ember.tensor(arr), n), TF.one_hot(torch.from_numpy(arr), n))


@pytest.mark.parametrize("call", [
    lambda T: FN(T).one_hot(T.tensor([0, 2, 1]), 2),
    lambda T: FN(T).one_hot(T.tensor([0, -1, 1])),
    lambda T: FN(T).one_hot(T.tensor([0, -1, 1]), 3),
    lambda T: FN(T).one_hot(T.tensor([0.0, 1.0])),
    lambda T: FN(T).one_hot(T.tensor([0, 1], dtype=T.int32)),
    lambda T: FN(T).one_hot(T.tensor([True])),
    lambda T: FN(T).one_hot(T.zeros(0, dtype=T.int64)),
    lambda T: FN(T).one_hot(T.tensor([0]), 0),
    lambda T: FN(T).one_hot(T.tensor([0]), -2),
    lambda T: FN(T).one_hot(T.zeros(2, 0, dtype=T.int64), 0),
], ids=["too_small", "negative", "negative_n", "float", "int32", "bool", "empty", "zero_classes", "minus_two",
        "empty_zero_classes"])
def test_one_hot_errors(call: Callable[[Any], Any]) -> None:
    same_error(call)


# -- pad ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pads", [
    ((2, 3, 4), (3, 2)), ((2, 3, 4), (-1, 2)), ((2, 3, 4), (2, -1)), ((2, 3, 4), (0, 0)), ((3, 4), (1, 3)),
    ((1, 2, 3, 4), (1, 2, 2, 1)), ((2, 3, 4), (-2, 1, 1, -1)), ((1, 2, 3, 4), (3, 0, 0, 2)),
    ((1, 1, 3, 3, 4), (1, 2, 2, 0, 1, 1)), ((2, 3, 3, 4), (-1, 1, 2, 0, 0, 2)), ((0, 2, 3), (1, 1)),
])
def test_pad_modes(mode: str, shape: tuple[int, ...], pads: tuple[int, ...]) -> None:
    arr = np.random.default_rng(3).standard_normal(shape)
    try:
        TF.pad(torch.from_numpy(arr), pads, mode=mode)
    except RuntimeError as e:
        same_error(lambda T: FN(T).pad(T.tensor(arr), pads, mode=mode))
        assert mode != "circular" or "wrapping" in str(e) or "memory" in str(e)
        return
    _both(lambda T, x: FN(T).pad(x, pads, mode=mode), arr)
    _both(lambda T, x: FN(T).pad(x.transpose(-1, -2), pads, mode=mode), arr.swapaxes(-1, -2).copy())


@pytest.mark.parametrize("pads,value", [((1, 2), None), ((1, 1, 2, 0, 1, 0), 2.5), ((-1, 2, 1, -2), -1.0),
                                        ((0, 0, 0, 0, 1, 1), None), ((-2, -2), 0.0), ((), 3.0)])
def test_pad_constant(pads: tuple[int, ...], value: float | None) -> None:
    arr = np.random.default_rng(4).standard_normal((2, 3, 4))
    _both(lambda T, x: FN(T).pad(x, pads, value=value), arr)
    _both(lambda T, x: FN(T).pad(x, list(pads), "constant", value), arr.astype("float32"))


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "bool", "float16"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_dtypes(dtype: str, mode: str) -> None:
    arr = np.arange(12).reshape(1, 3, 4).astype(dtype)
    call = lambda T: FN(T).pad(T.tensor(arr), (2, 1, 1, 0), mode=mode)  # noqa: E731
    try:
        expected = call(torch)
    except NotImplementedError:
        same_error(call)
        return
    assert_same(call(ember), expected)
    if mode == "constant":
        assert_same(F.pad(ember.tensor(arr), (1, 1), value=2.7), TF.pad(torch.from_numpy(arr), (1, 1), value=2.7))


@pytest.mark.parametrize("call", [
    lambda T: FN(T).pad(T.ones(2, 3), (1, 2, 3)),
    lambda T: FN(T).pad(T.ones(2, 3), (1, 1, 1, 1, 1, 1)),
    lambda T: FN(T).pad(T.tensor(1.0), (1, 1)),
    lambda T: FN(T).pad(T.ones(2, 4), (-3, -2)),
    lambda T: FN(T).pad(T.ones(2, 4), (-5, 0)),
    lambda T: FN(T).pad(T.ones(2, 4), (1, -6)),
    lambda T: FN(T).pad(T.ones(2, 4), (1.5, 1)),
    lambda T: FN(T).pad(T.ones(2, 4), (True, 1)),
    lambda T: FN(T).pad(T.ones(2, 4), 1),
    lambda T: FN(T).pad(T.ones(2, 4), T.tensor([1, 1])),
    lambda T: FN(T).pad(T.ones(2, 4), (1, 1), mode="foo"),
    lambda T: FN(T).pad(T.ones(4), (1, 1, 1), mode="foo"),
    lambda T: FN(T).pad(T.ones(2, dtype=T.uint8), (1, 1), value=-1),
    lambda T: FN(T).pad(T.ones(2, dtype=T.int8), (1, 1), value=300),
    lambda T: FN(T).pad(T.ones(2, dtype=T.int32), (1, 1), value=2**40),
    lambda T: FN(T).pad(T.ones(2, dtype=T.float16), (1, 1), value=1e6),
    lambda T: FN(T).pad(T.ones(2), (1, 1), value=1e300),
    lambda T: FN(T).pad(T.ones(1, 2, 4), (1, 1), mode="reflect", value=1.0),
    lambda T: FN(T).pad(T.ones(4), (1, 1), mode="reflect", value=1.0),
    lambda T: FN(T).pad(T.ones(4), (1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 1, 2, 4), (1, 1), mode="replicate"),
    lambda T: FN(T).pad(T.ones(2, 4), (1, 1, 1, 1), mode="circular"),
    lambda T: FN(T).pad(T.ones(1, 1, 1, 2, 4), (1, 1, 1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 1, 2, 4), (1, 1, 1, 1, 1, 1, 1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (4, 1, 1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (1, 1, 3, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (4, 4, 3, 3, 2, 2), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (1, 1, 1, 1, 1, 3), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 4), (-2, -2), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 4), (-3, -2), mode="replicate"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (-2, -2, -2, -1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (-2, -2, -2, -1), mode="replicate"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (-2, -2, -2, -1, -1, -1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4), (-2, -2, -2, -1, -1, -1), mode="replicate"),
    lambda T: FN(T).pad(T.ones(2, 0, 3), (1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(0, 4), (1, 1), mode="replicate"),
    lambda T: FN(T).pad(T.ones(1, 2, 0, 4), (1, 1, 1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(0, 3, 4, 2), (1, 1, 1, 1, 1, 1), mode="replicate"),
    lambda T: FN(T).pad(T.ones(1, 2, 4), (5, 2), mode="circular"),
    lambda T: FN(T).pad(T.ones(1, 2, 4), (-6, 1), mode="circular"),
    lambda T: FN(T).pad(T.arange(4.0).reshape(1, 1, 4), (3, -2), mode="circular"),
    lambda T: FN(T).pad(T.ones(1, 2, 0, 4), (1, 1, 1, 1), mode="circular"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, dtype=T.bool), (1, 1), mode="reflect"),
    lambda T: FN(T).pad(T.ones(1, 2, 3, 4, dtype=T.bool), (1, 1, 1, 1), mode="replicate"),
], ids=["odd", "too_long", "0d", "crop_both", "crop_left", "crop_right", "float_pad", "bool_pad", "int_pad",
        "tensor_pad", "mode", "mode_before_odd", "uint8_value", "int8_value", "int32_value", "half_value",
        "float_value", "reflect_value", "value_before_dims", "reflect_1d_input", "replicate_4d_input",
        "circular_2d_input", "reflect_5d_input_2d_pad", "reflect_8", "reflect_w", "reflect_h", "reflect_w_first",
        "reflect_d", "reflect_too_small", "replicate_too_small", "reflect_2d_too_small", "replicate_2d_too_small",
        "reflect_3d_too_small", "replicate_3d_too_small", "reflect_empty", "replicate_empty_unbatched",
        "reflect_2d_empty", "replicate_3d_empty", "circular_wraps_twice", "circular_negative", "circular_overlap",
        "circular_empty", "reflect_bool", "replicate_bool"])
def test_pad_errors(call: Callable[[Any], Any]) -> None:
    same_error(call)


def test_pad_constant_keeps_int_and_bool_values() -> None:
    for arr, value in ((np.arange(4), -2.7), (np.array([True, False]), 0.5), (np.arange(4.0), True),
                       (np.arange(4.0), math.nan)):
        assert_same(F.pad(ember.tensor(arr), (1, 1), value=value), TF.pad(torch.from_numpy(arr), (1, 1), value=value))


def test_inplace_result_modified_after_is_refused() -> None:
    def run(T: Any) -> None:
        x = T.tensor([-1.0, 2.0], requires_grad=True)
        y = FN(T).elu_(x * 1)  # EluBackward1 saves its result
        y.add_(1)
        y.sum().backward()

    same_error(run)
