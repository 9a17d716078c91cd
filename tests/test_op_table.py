"""The op-table sweep: every row of ``tests/op_table.py`` against torch, through gradcheck and
gradgradcheck, and over random broadcast shapes; plus edge cases the table's rows don't reach
(empty and non-contiguous inputs, NaN/inf, ties, dtype promotion)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402

import ember  # noqa: E402
from ember.ops.registry import OPS  # noqa: E402
from helpers import assert_same, check_against_torch, grad_fn_name, to_ember, to_torch  # noqa: E402
from op_table import BROADCAST_BINARY, DOMAINS, FLOATS, ROWS, OpRow, covered_ops, sample  # noqa: E402


def _tolerance(row: OpRow | None, dtype: str | None) -> dict[str, float]:
    rtol, atol = (row.rtol, row.atol) if row is not None else (1e-5, 1e-6)
    if dtype == "float32":
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-5)
    return {"rtol": rtol, "atol": atol}


# -- 1. values, dtypes, shapes, grad_fn names and gradients against torch ------------------------
_VALUE_CASES = [
    pytest.param(r, d, id=f"{r.name}-{d}" if d else r.name)
    for r in ROWS for d in (r.dtypes if r.has_float_input else (None,))
]


def _edges(out: Any) -> list[Any]:
    """The grad_fn's next_functions as (node name or None, output_nr) pairs."""
    outs = out if isinstance(out, tuple) else (out,)
    return [[(None if f is None else type(f).__name__, nr) for f, nr in o.grad_fn.next_functions]
            for o in outs if o.grad_fn is not None]


@pytest.mark.parametrize(("row", "dtype"), _VALUE_CASES)
def test_matches_torch(row: OpRow, dtype: str | None) -> None:
    arrays = row.arrays(dtype)
    check_against_torch(torch, row.ember_fn, row.torch_fn, arrays, grad=row.grads, **_tolerance(row, dtype))
    if row.composite:
        return
    # the node's edges: one per input torch differentiates, None where that input needs no gradient
    e_out = row.ember_fn(*[to_ember(a, g) for a, g in zip(arrays, row.grads, strict=True)])
    t_out = row.torch_fn(*[to_torch(torch, a, g) for a, g in zip(arrays, row.grads, strict=True)])
    assert _edges(e_out) == _edges(t_out)


# -- 2. finite differences, first and second order, in float64 -----------------------------------
_GRADCHECK_ROWS = [pytest.param(r, id=r.name) for r in ROWS
                   if r.differentiable and r.gradcheck and "float64" in r.dtypes]


@pytest.mark.parametrize("row", _GRADCHECK_ROWS)
def test_gradcheck(row: OpRow) -> None:
    arrays = row.arrays("float64")
    assert all(a.size <= 12 for a in arrays), "keep gradcheck inputs small"
    inputs = tuple(to_ember(a, g) for a, g in zip(arrays, row.grads, strict=True))
    assert ember.autograd.gradcheck(row.ember_fn, inputs)
    assert ember.autograd.gradgradcheck(row.ember_fn, inputs)


# -- 3. broadcasting of the binary ops over random shape pairs -----------------------------------
def _check_broadcast(fn: Callable[..., Any], domains: tuple[str, ...], shapes: tuple[tuple[int, ...], ...],
                     seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    arrays = [sample(d, s, dtype, rng, i) for i, (d, s) in enumerate(zip(domains, shapes, strict=True))]
    check_against_torch(torch, lambda *xs: fn(ember, *xs), lambda *xs: fn(torch, *xs), arrays,
                        grad=[DOMAINS[d][1] for d in domains], **_tolerance(None, dtype))


@pytest.mark.parametrize("name", sorted(BROADCAST_BINARY))
@settings(max_examples=50, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0, max_side=4),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(FLOATS))
def test_broadcast_binary(name: str, shapes: Any, seed: int, dtype: str) -> None:
    fn, da, db = BROADCAST_BINARY[name]
    _check_broadcast(fn, (da, db), shapes.input_shapes, seed, dtype)


@settings(max_examples=50, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, min_side=0, max_side=4),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(FLOATS))
def test_broadcast_where(shapes: Any, seed: int, dtype: str) -> None:
    _check_broadcast(lambda T, c, a, b: T.where(c, a, b), ("bool", "any", "any"), shapes.input_shapes, seed, dtype)


# -- 4. the table covers every registered op -----------------------------------------------------
def test_every_registered_op_has_a_row() -> None:
    assert set(OPS) - covered_ops() == set()


def test_rows_are_well_formed() -> None:
    names = [r.name for r in ROWS]
    assert len(names) == len(set(names))
    for r in ROWS:
        assert r.op in OPS or hasattr(ember, r.op) or hasattr(ember.Tensor, r.op), r.op
        assert len(r.domains) == len(r.shapes) == len(r.grads), r.name
        assert all(d in DOMAINS for d in r.domains), r.name


# -- 5. edge cases -------------------------------------------------------------------------------
def _same_or_same_error(ember_fn: Callable[..., Any], torch_fn: Callable[..., Any], arrays: list[np.ndarray],
                        grad: bool | tuple[bool, ...] = True, rtol: float = 1e-5) -> None:
    """check_against_torch, or, where torch raises, ember raises the same kind of error."""
    flags = [(grad if isinstance(grad, bool) else g) and a.dtype.kind == "f"
             for a, g in zip(arrays, [grad] * len(arrays) if isinstance(grad, bool) else grad, strict=True)]
    try:
        torch_fn(*[to_torch(torch, a, f) for a, f in zip(arrays, flags, strict=True)])
    except (RuntimeError, IndexError, ValueError, TypeError, NotImplementedError) as e:
        with pytest.raises(type(e)):
            ember_fn(*[to_ember(a, f) for a, f in zip(arrays, flags, strict=True)])
        return
    check_against_torch(torch, ember_fn, torch_fn, arrays, grad=flags, rtol=rtol)


# non-contiguous inputs: every row whose inputs are all float and at least 2-d, fed transposed views
_NONCONTIG_ROWS = [pytest.param(r, id=r.name) for r in ROWS
                   if r.shapes and all(len(s) >= 2 for s in r.shapes) and all(DOMAINS[d][1] for d in r.domains)
                   and "float64" in r.dtypes]


@pytest.mark.parametrize("row", _NONCONTIG_ROWS)
def test_non_contiguous_inputs(row: OpRow) -> None:
    arrays = [np.ascontiguousarray(a.swapaxes(-1, -2)) for a in row.arrays("float64")]
    _same_or_same_error(lambda *xs: row.ember_fn(*[x.mT for x in xs]), lambda *xs: row.torch_fn(*[x.mT for x in xs]),
                        arrays, grad=row.grads)


@dataclass(frozen=True)
class Case:
    """An edge case: ``fn(T, *inputs)`` on these exact arrays, compared with torch."""

    name: str
    fn: Callable[..., Any]
    arrays: tuple[Any, ...]
    grad: bool | tuple[bool, ...] = True
    marks: tuple[Any, ...] = ()
    rtol: float = 1e-5

    def param(self) -> Any:
        return pytest.param(self, id=self.name, marks=self.marks)


def _a(values: Any, dtype: str = "float64") -> np.ndarray:
    return np.array(values, dtype=dtype)


_E = lambda *shape: np.zeros(shape)  # an empty float64 array  # noqa: E731
_SPECIAL = _a([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.0])

EDGE_CASES = [
    # empty tensors
    Case("empty_sum", lambda T, x: x.sum(), (_E(0, 3),)),
    Case("empty_sum_dim", lambda T, x: x.sum(0), (_E(0, 3),)),
    Case("empty_mean", lambda T, x: x.mean(), (_E(0, 3),)),
    Case("empty_mean_dim", lambda T, x: x.mean(0), (_E(0, 3),)),
    Case("empty_amax_dim", lambda T, x: x.amax(1), (_E(0, 3),)),
    Case("empty_max_dim", lambda T, x: x.max(1), (_E(0, 3),)),
    Case("empty_max_all", lambda T, x: x.max(), (_E(0, 3),)),
    Case("empty_max_empty_dim", lambda T, x: x.max(0), (_E(0, 3),)),
    Case("empty_exp", lambda T, x: x.exp(), (_E(0, 3),)),
    Case("empty_add_broadcast", lambda T, x, y: x + y, (_E(0, 3), _a([1.0, 2.0, 3.0]))),
    Case("empty_add_size_1", lambda T, x, y: x * y, (_E(0,), _a([2.0]))),
    Case("empty_matmul_inner", lambda T, x, y: x @ y, (_E(2, 0), _E(0, 3))),
    Case("empty_matmul_outer", lambda T, x, y: x @ y, (_E(0, 2), np.ones((2, 3)))),
    Case("empty_reshape", lambda T, x: x.reshape(3, 0, -1), (_E(0, 3),)),
    Case("empty_getitem", lambda T, x: x[1:1], (np.ones((3, 2)),)),
    Case("empty_index", lambda T, x: x[T.tensor([], dtype=T.int64)], (np.ones((3, 2)),)),
    Case("empty_mask", lambda T, x: x[x > 5], (np.ones((3, 2)),)),
    Case("empty_where", lambda T, c, x, y: T.where(c, x, y), (np.zeros((0, 2), bool), _E(0, 2), _a([1.0, 2.0]))),
    # 0-d tensors mixed with others
    Case("0d_matmul_error", lambda T, x, y: x @ y, (_a(2.0), _a([1.0, 2.0]))),
    Case("0d_index_error", lambda T, x: x[0], (_a(2.0),)),
    Case("0d_item_ops", lambda T, x, y: (x * y).sum() + x, (_a(2.0), _a([[1.0, 2.0]]))),
    # negative dims out of range raise alike
    Case("dim_out_of_range", lambda T, x: x.sum(-3), (np.ones((2, 3)),)),
    Case("transpose_out_of_range", lambda T, x: x.transpose(0, 2), (np.ones((2, 3)),)),
    # NaN and inf propagate through the forward
    *[Case(f"special_{op}", lambda T, x, op=op: getattr(T, op)(x), (_SPECIAL,), grad=False)
      for op in ("neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "sign", "reciprocal", "relu")],
    *[Case(f"special_{op}", lambda T, x, op=op: getattr(T, op)(x), (_SPECIAL,), grad=False)
      for op in ("sum", "mean", "max", "min", "amax", "amin")],
    Case("special_max_dim", lambda T, x: x.max(0), (_a([1.0, np.nan, 3.0, np.nan]),), grad=False),
    Case("special_min_dim", lambda T, x: x.reshape(2, 2).min(1), (_a([1.0, np.nan, -np.inf, 3.0]),), grad=False),
    Case("special_clamp", lambda T, x: x.clamp(-1.0, 1.0), (_SPECIAL,), grad=False),
    Case("special_maximum", lambda T, x, y: T.maximum(x, y), (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_minimum", lambda T, x, y: T.minimum(x, y), (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_add", lambda T, x, y: x + y, (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_mul", lambda T, x, y: x * y, (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_div", lambda T, x, y: x / y, (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_pow", lambda T, x, y: x ** y, (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_pow_scalar", lambda T, x: x ** -1, (_SPECIAL,), grad=False),
    Case("special_eq", lambda T, x, y: x == y, (_SPECIAL, _SPECIAL), grad=False),
    Case("special_lt", lambda T, x, y: x < y, (_SPECIAL, _SPECIAL[::-1].copy()), grad=False),
    Case("special_matmul", lambda T, x, y: x @ y, (_a([[np.inf, 1.0], [0.0, 2.0]]), _a([[0.0], [1.0]])), grad=False),
    Case("special_pow_negative_base", lambda T, x: x ** 0.5, (_a([-2.0, 4.0]),)),
    Case("special_floor_div", lambda T, x, y: T.div(x, y, rounding_mode="floor"),
         (_a([-7.5, 1.0, 0.3, 1.0, -1.0, 0.0, 5.0, np.inf, np.nan]),
          _a([2.0, 0.1, 0.1, 0.0, 0.0, 0.0, -0.0, 2.0, 1.0])), grad=False),
    Case("special_trunc_div", lambda T, x, y: T.div(x, y, rounding_mode="trunc"),
         (_a([-7.5, 1.0, 0.3, 1.0, -1.0, 0.0, np.inf]), _a([2.0, 0.1, 0.1, 0.0, 0.0, 0.0, 2.0])), grad=False),
    Case("int_floor_div_negative", lambda T, x, y: T.div(x, y, rounding_mode="floor"),
         (_a([-7, 7], "int64"), _a([2, -2], "int64"))),
    Case("int_trunc_div_negative", lambda T, x, y: T.div(x, y, rounding_mode="trunc"),
         (_a([-7, 7], "int64"), _a([2, -2], "int64"))),
    Case("int_floor_div_zero_error", lambda T, x, y: T.div(x, y, rounding_mode="floor"),
         (_a([1, 2], "int64"), _a([0, 1], "int64"))),
    Case("int_true_div_zero", lambda T, x, y: x / y, (_a([1, 0, -1], "int64"), _a([0, 0, 0], "int64"))),
    Case("int_reciprocal_zero", lambda T, x: x.reciprocal(), (_a([0, 2], "int64"),)),
    Case("grad_log_zero", lambda T, x: x.log(), (_a([0.0, 1.0]),)),
    Case("grad_sqrt_zero", lambda T, x: x.sqrt(), (_a([0.0, 4.0]),)),
    Case("grad_pow_zero_base", lambda T, x, y: x ** y, (_a([0.0, 0.0, 2.0]), _a([2.0, 0.0, 0.5]))),
    Case("grad_rpow_zero_base", lambda T, y: 0.0 ** y, (_a([2.0, 0.0, -1.0]),)),
    Case("grad_scalar_pow_of_zero", lambda T, x: x ** 2.0, (_a([0.0, -1.0]),)),
    Case("grad_div_by_zero", lambda T, x, y: x / y, (_a([1.0, 0.0]), _a([0.0, 0.0]))),
    # ties: max()/min()/amax spread the gradient evenly; max(dim) sends it to the chosen index
    Case("tie_max_all", lambda T, x: x.max(), (_a([1.0, 3.0, 3.0, 2.0]),)),
    Case("tie_min_all", lambda T, x: x.min(), (_a([[1.0, 3.0], [1.0, 1.0]]),)),
    Case("tie_max_dim", lambda T, x: x.max(1), (_a([[3.0, 3.0, 1.0], [2.0, 2.0, 2.0]]),)),
    Case("tie_min_dim_keepdim", lambda T, x: x.min(0, keepdim=True), (_a([[3.0, 3.0, 1.0], [3.0, 2.0, 1.0]]),)),
    Case("tie_amax", lambda T, x: x.amax(1), (_a([[3.0, 3.0, 1.0], [2.0, 2.0, 2.0]]),)),
    Case("tie_amax_all", lambda T, x: x.amax(), (_a([[3.0, 3.0, 1.0], [2.0, 3.0, 2.0]]),)),
    Case("tie_amin_dims", lambda T, x: x.amin((0, 1)), (_a([[1.0, 3.0, 1.0], [2.0, 1.0, 2.0]]),)),
    Case("tie_maximum", lambda T, x, y: T.maximum(x, y), (_a([1.0, 2.0, 3.0]), _a([1.0, 3.0, 3.0]))),
    Case("tie_minimum", lambda T, x, y: T.minimum(x, y), (_a([1.0, 2.0, 3.0]), _a([1.0, 3.0, 3.0]))),
    Case("tie_clamp_bounds", lambda T, x: x.clamp(-1.0, 1.0), (_a([-1.0, 0.0, 1.0, 2.0]),)),
    Case("tie_clamp_min_bound", lambda T, x: x.clamp_min(0.0), (_a([-1.0, 0.0, 1.0]),)),
    Case("tie_relu_zero", lambda T, x: x.relu(), (_a([-1.0, 0.0, 1.0]),)),
    Case("tie_abs_zero", lambda T, x: x.abs(), (_a([-1.0, 0.0, 1.0]),)),
    Case("tie_where_same", lambda T, x: T.where(x > 0, x, x), (_a([-1.0, 0.0, 1.0]),)),
    # integer and bool inputs: the result dtype follows torch's promotion
    Case("int_div_int", lambda T, x: x / 2, (_a([1, 2, 3], "int64"),)),
    Case("int32_div_int32", lambda T, x, y: x / y, (_a([1, 2], "int32"), _a([2, 4], "int32"))),
    Case("bool_add_bool", lambda T, x, y: x + y, (_a([True, False], "bool"), _a([True, True], "bool"))),
    Case("bool_mul_float", lambda T, x: x * 2.5, (_a([True, False], "bool"),)),
    Case("bool_add_int", lambda T, x: x + 1, (_a([True, False], "bool"),)),
    Case("int8_add_1000", lambda T, x: x + 1000, (_a([1, -3], "int8"),)),
    Case("uint8_add_300", lambda T, x: x + 300, (_a([1, 250], "uint8"),)),
    Case("uint8_add_int8", lambda T, x, y: x + y, (_a([1, 200], "uint8"), _a([-1, 3], "int8"))),
    Case("int32_add_int64", lambda T, x, y: x + y, (_a([1, 2], "int32"), _a([3, 4], "int64"))),
    Case("int32_add_float", lambda T, x: x + 2.5, (_a([1, 2], "int32"),)),
    Case("float16_add_int64", lambda T, x, y: x + y, (_a([1.5, 2.0], "float16"), _a([3, 4], "int64"))),
    Case("int_add_0d_float64", lambda T, x, y: x + y, (_a([1, 2], "int64"), _a(0.5))),
    Case("int8_add_0d_int64", lambda T, x, y: x + y, (_a([1, 2], "int8"), _a(100, "int64"))),
    Case("int_add_0d_float16", lambda T, x, y: x * y, (_a([1, 2], "int64"), _a(0.5, "float16"))),
    Case("float32_add_0d_float64", lambda T, x, y: x + y, (_a([1.0, 2.0], "float32"), _a(0.5))),
    Case("float32_mul_float64", lambda T, x, y: x * y, (_a([1.0, 2.0], "float32"), _a([0.5, 3.0]))),
    Case("0d_int_add_0d_float32", lambda T, x, y: x + y, (_a(1, "int64"), _a(0.5, "float32"))),
    Case("int_lt_float_scalar", lambda T, x: x < 2.5, (_a([1, 2, 3], "int64"),)),
    Case("int_eq_float", lambda T, x, y: x == y, (_a([1, 2, 3], "int64"), _a([1.0, 2.5, 3.0]))),
    Case("int_where_float_scalar", lambda T, c, x: T.where(c, x, 0.5),
         (_a([True, False], "bool"), _a([1, 2], "int64"))),
    Case("int_maximum_float", lambda T, x, y: T.maximum(x, y), (_a([1, 5], "int64"), _a([2.5, 3.0], "float32"))),
    Case("int_pow_float", lambda T, x: x ** 2.0, (_a([1, 2, 3], "int64"),)),
    Case("int_pow_negative_error", lambda T, x: x ** -1, (_a([1, 2, 3], "int64"),)),
    Case("float_pow_int_tensor", lambda T, x, y: x ** y, (_a([1.5, 2.0]), _a([2, 3], "int64"))),
    Case("int_rpow_float", lambda T, x: 2.5 ** x, (_a([1, 2], "int64"),)),
    Case("int32_sum", lambda T, x: x.sum(), (_a([1, 2], "int32"),)),
    Case("uint8_sum", lambda T, x: x.sum(0), (_a([[200, 100], [100, 100]], "uint8"),)),
    Case("int_mean_error", lambda T, x: x.mean(), (_a([1, 2], "int64"),)),
    Case("int_exp", lambda T, x: x.exp(), (_a([1, 2], "int32"),)),
    Case("uint8_neg", lambda T, x: -x, (_a([1, 2], "uint8"),)),
    Case("int8_abs", lambda T, x: x.abs(), (_a([-128, 2], "int8"),)),
    Case("bool_sub_error", lambda T, x, y: x - y, (_a([True], "bool"), _a([False], "bool"))),
    Case("int_clamp_float", lambda T, x: x.clamp(min=0.5), (_a([0, 2], "int64"),)),
    Case("float16_sum", lambda T, x: x.sum(), (_a([0.5, 1.0, 2.0], "float16"),)),
    Case("int_add_float_grad", lambda T, x, y: x + y, (_a([1, 2], "int64"), _a([0.5, 1.5], "float32"))),
    Case("int_mul_0d_float_grad", lambda T, x, y: x * y, (_a([1, 2], "int64"), _a(0.5))),
    Case("float32_mul_0d_float64_grad", lambda T, x, y: x * y, (_a([1.0, 2.0], "float32"), _a(0.5))),
    Case("bool_sign", lambda T, x: x.sign(), (_a([True, False], "bool"),)),
    Case("bool_abs_error", lambda T, x: x.abs(), (_a([True, False], "bool"),)),
    Case("bool_relu_error", lambda T, x: x.relu(), (_a([True, False], "bool"),)),
    Case("bool_neg_error", lambda T, x: -x, (_a([True, False], "bool"),)),
    Case("bool_div_bool", lambda T, x, y: x / y, (_a([True, False], "bool"), _a([True, True], "bool"))),
    Case("bool_max", lambda T, x: x.max(), (_a([True, False], "bool"),)),
    Case("bool_amax", lambda T, x: x.amax(), (_a([True, False], "bool"),)),
    Case("bool_eq_int_scalar", lambda T, x: x == 1, (_a([True, False], "bool"),)),
    Case("int_and_bool", lambda T, x, y: x & y, (_a([3, 2], "int64"), _a([True, False], "bool"))),
    Case("bool_add_python_bool", lambda T, x: x + True, (_a([1.0, 2.0]),)),
    Case("int_mul_python_bool", lambda T, x: x * True, (_a([1, 2], "int64"),)),
    Case("int_add_alpha", lambda T, x, y: T.add(x, y, alpha=2), (_a([1, 2], "int64"), _a([3, 4], "int64"))),
    Case("int_add_float_alpha_error", lambda T, x, y: T.add(x, y, alpha=2.5),
         (_a([1, 2], "int64"), _a([3, 4], "int64"))),
    Case("uint8_rsub", lambda T, x: 2 - x, (_a([3, 0], "uint8"),)),
    Case("int8_clamp", lambda T, x: x.clamp(0, 2), (_a([-1, 3], "int8"),)),
    Case("int8_pow_overflow", lambda T, x: x ** 2, (_a([100, 3], "int8"),)),
    Case("int8_mul_overflow", lambda T, x: x * 100, (_a([3, 4], "int8"),)),
    Case("int32_mul_big_scalar", lambda T, x: x * 2**40, (_a([3, 4], "int32"),)),
    Case("float32_add_big_int", lambda T, x: x + 2**40, (_a([3, 4], "float32"),)),
    Case("int_pow_int_tensor", lambda T, x, y: x ** y, (_a([2, 3], "int64"), _a([3, 0], "int64"))),
    Case("int_rpow_int", lambda T, y: 2 ** y, (_a([3, 0], "int64"),)),
    Case("int32_rpow_float", lambda T, y: 2.5 ** y, (_a([3, 0], "int32"),)),
    Case("int8_maximum_uint8", lambda T, x, y: T.maximum(x, y), (_a([1, -2], "int8"), _a([3, 200], "uint8"))),
    Case("where_int8_int32", lambda T, c, x, y: T.where(c, x, y),
         (_a([True, False], "bool"), _a([1, 2], "int8"), _a([3, 4], "int32"))),
    Case("where_float32_python_int", lambda T, c, x: T.where(c, x, 2),
         (_a([True, False], "bool"), _a([1.0, 2.0], "float32"))),
    Case("where_float16_float32", lambda T, c, x, y: T.where(c, x, y),
         (_a([True, False], "bool"), _a([1.0, 2.0], "float16"), _a([1.0, 2.0], "float32"))),
    Case("where_python_scalars", lambda T, c: T.where(c, 1.0, 0.0), (_a([True, False], "bool"),)),
    Case("clamp_min_above_max", lambda T, x: x.clamp(1.0, -1.0), (_a([-2.0, 0.0, 2.0]),)),
    Case("int_mean_dtype", lambda T, x: x.mean(dtype=T.float32), (_a([1, 2], "int64"),)),
    Case("int_to_bool", lambda T, x: x.to(T.bool), (_a([0.0, 0.5, -1.0]),)),
    Case("float_to_int_truncates", lambda T, x: x.to(T.int32), (_a([-1.7, 0.5, 3.7]),)),
    Case("int8_sum_to_size", lambda T, x: x.sum_to_size(1, 2), (_a([[1, 2], [3, 4]], "int8"),)),
    Case("int8_gather", lambda T, x: x.gather(0, T.tensor([[1, 0]])), (_a([[1, 2], [3, 4]], "int8"),)),
    Case("int8_mask", lambda T, x: x[x > 1], (_a([[1, 2], [3, 4]], "int8"),)),
    Case("uint8_min_dim", lambda T, x: x.min(0), (_a([[1, 2], [3, 4]], "uint8"),)),
    Case("0d_gather", lambda T, x: x.gather(0, T.tensor(0)), (_a(2.0),)),
    # float16: values to within one unit in the last place (torch computes in float32, then rounds)
    *[Case(f"float16_{op}", lambda T, x, op=op: getattr(T, op)(x), (_a([0.5, 1.1, -2.5, 3.0], "float16"),), grad=False,
           rtol=1e-3) for op in ("exp", "sin", "cos", "tanh", "sigmoid", "reciprocal", "abs", "relu")],
    Case("float16_log_sqrt", lambda T, x: x.log() + x.sqrt(), (_a([0.5, 1.1, 2.5, 3.0], "float16"),), grad=False,
         rtol=1e-3),
    Case("float16_add_mul_grad", lambda T, x, y: x * y + x, (_a([0.5, 1.5], "float16"), _a([2.0, -1.0], "float16")),
         rtol=1e-3),
    # in-place: leaves that require grad refuse; results that can't be cast back refuse
    Case("inplace_leaf_error", lambda T, x: x.add_(1), (_a([1.0, 2.0]),)),
    Case("inplace_int_float_error", lambda T, x: x.clone().add_(0.5), (_a([1, 2], "int64"),)),
    Case("inplace_broadcast_error", lambda T, x, y: x.clone().add_(y), (_a([1.0]), _a([1.0, 2.0]))),
    Case("inplace_after_use", lambda T, x, y: (x * 2).mul_(y) + x, (_a([1.0, 2.0]), _a([3.0, 4.0]))),
    Case("inplace_view_of_nonleaf", lambda T, x: _mul_first_row(x.clone()), (_a([[1.0, 2.0], [3.0, 4.0]]),)),
]


def _mul_first_row(y: Any) -> Any:
    y[0].mul_(2)
    return y


@pytest.mark.parametrize("case", [c.param() for c in EDGE_CASES])
def test_edge_case(case: Case) -> None:
    arrays = [np.asarray(a) for a in case.arrays]
    _same_or_same_error(lambda *xs: case.fn(ember, *xs), lambda *xs: case.fn(torch, *xs), arrays, grad=case.grad,
                        rtol=case.rtol)


def test_edge_case_names_unique() -> None:
    names = [c.name for c in EDGE_CASES]
    assert len(names) == len(set(names))


def test_inplace_result_is_self_and_shares_views() -> None:
    """An in-place op returns its own tensor and writes through to views of it, as torch's do."""
    for T in (ember, torch):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]])
        view = x[0]
        assert x.mul_(2) is x
        assert view.tolist() == [2.0, 4.0]


def test_grad_fn_names_after_inplace_chain() -> None:
    """A chain of in-place ops on one non-leaf: each takes over the grad_fn, as in torch."""
    names = []
    for mk in (to_ember, lambda a, g: to_torch(torch, a, g)):
        x = mk(np.arange(1.0, 7.0).reshape(2, 3), True)
        y = x * 1
        seen = [grad_fn_name(y)]
        for step in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.clamp_(0, 5), lambda t: t.exp_()):
            step(y)
            seen.append(grad_fn_name(y))
        y.sum().backward()
        names.append((seen, x.grad.numpy().copy(), y.detach().numpy().copy()))
    assert names[0][0] == names[1][0]
    np.testing.assert_allclose(names[0][1], names[1][1], rtol=1e-6)
    np.testing.assert_allclose(names[0][2], names[1][2], rtol=1e-6)


def test_max_dim_returns_named_values_and_indices() -> None:
    arr = _a([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    e, t = ember.tensor(arr).max(1), torch.from_numpy(arr).max(1)
    assert_same(e.values, t.values)
    assert_same(e.indices, t.indices)
    e, t = ember.tensor(arr).min(dim=0, keepdim=True), torch.from_numpy(arr).min(dim=0, keepdim=True)
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])
