"""Error paths: ember raises torch's exception type with torch's exact message ("torch." read as
"ember."), and a failed operation changes nothing.

Each case is a function of the library (``L`` is ``torch`` or ``ember``) run on both; the two
outcomes are compared, so no message is typed by hand here.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(L, fn):
    """``(exception type name, message)`` raised by ``fn(L)``, or None."""
    try:
        fn(L)
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return type(e).__name__, str(e)
    return None


def assert_same_error(fn):
    expected = outcome(torch, fn)
    assert expected is not None, "torch raised nothing: the case does not test an error"
    assert outcome(ember, fn) == (expected[0], expected[1].replace("torch.", "ember."))


def leaf(L, dtype=None):
    return L.tensor([1.0, 2.0, 3.0], dtype=dtype or L.float32, requires_grad=True)


def _twice(L, make):
    x = leaf(L)
    y = make(L, x)
    y.backward()
    y.backward()


# -- autograd -------------------------------------------------------------------------------
AUTOGRAD = {
    "backward_twice_mul": lambda L: _twice(L, lambda L, x: (x * x).sum()),
    "backward_twice_exp": lambda L: _twice(L, lambda L, x: x.exp().sum()),
    "backward_twice_mul_scalar": lambda L: _twice(L, lambda L, x: (x * 2).sum()),
    "backward_twice_matmul": lambda L: _twice(L, lambda L, x: x @ x),
    "grad_twice": lambda L: (lambda x: (lambda y: (L.autograd.grad(y, x), L.autograd.grad(y, x)))((x * x).sum()))(
        leaf(L)),
    "non_scalar_without_gradient": lambda L: (leaf(L) * 2).backward(),
    "non_scalar_grad_without_grad_outputs": lambda L: (lambda x: L.autograd.grad(x * 2, x))(leaf(L)),
    "gradient_wrong_shape": lambda L: (leaf(L) * 2).backward(L.ones(2)),
    "gradient_wrong_shape_2d": lambda L: (leaf(L) * 2).backward(L.ones(3, 1)),
    "grad_outputs_wrong_shape": lambda L: (lambda x: L.autograd.grad(x * 2, x, L.ones(2, 2)))(leaf(L)),
    "gradient_not_a_tensor": lambda L: (leaf(L) * 2).backward([1.0, 2.0, 3.0]),
    "backward_not_requiring_grad": lambda L: L.ones(3).sum().backward(),
    "backward_not_requiring_grad_non_scalar": lambda L: L.ones(3).backward(),
    "backward_second_root_not_requiring_grad": lambda L: L.autograd.backward([leaf(L).sum(), L.ones(())]),
    "backward_too_few_gradients": lambda L: (lambda x: L.autograd.backward(
        [(x * x).sum(), x.sum()], [L.ones(())]))(leaf(L)),
    "grad_too_few_grad_outputs": lambda L: (lambda x: L.autograd.grad(
        [(x * x).sum(), x.sum()], [x], [L.ones(())]))(leaf(L)),
    "backward_empty_inputs": lambda L: (leaf(L) * 2).sum().backward(inputs=[]),
    "backward_input_not_requiring_grad": lambda L: (leaf(L) * 2).sum().backward(inputs=[L.ones(3)]),
    "grad_empty_inputs": lambda L: (lambda x: L.autograd.grad((x * 2).sum(), []))(leaf(L)),
    "grad_unused_input": lambda L: (lambda x, y: L.autograd.grad((x * 2).sum(), [x, y]))(leaf(L), leaf(L)),
    "grad_unused_input_first": lambda L: (lambda x, y: L.autograd.grad((x * 2).sum(), [y, x]))(leaf(L), leaf(L)),
    "grad_input_not_requiring_grad": lambda L: (lambda x: L.autograd.grad((x * 2).sum(), [x, L.ones(3)]))(leaf(L)),
    "grad_materialize_with_allow_unused_false": lambda L: (lambda x: L.autograd.grad(
        (x * 2).sum(), x, materialize_grads=True, allow_unused=False))(leaf(L)),
    "retain_grad_not_requiring_grad": lambda L: L.ones(3).retain_grad(),
    "hook_not_requiring_grad": lambda L: L.ones(3).register_hook(lambda g: g),
    "grad_assign_wrong_shape": lambda L: setattr(leaf(L), "grad", L.ones(2)),
    "grad_assign_wrong_shape_0d": lambda L: setattr(leaf(L), "grad", L.ones(())),
    "grad_assign_wrong_dtype": lambda L: setattr(leaf(L), "grad", L.ones(3, dtype=L.float64)),
    "grad_assign_wrong_dtype_and_shape": lambda L: setattr(leaf(L), "grad", L.ones(2, dtype=L.float64)),
    "grad_assign_int": lambda L: setattr(leaf(L, L.float64), "grad", L.ones(3, dtype=L.int64)),
    "grad_assign_not_a_tensor": lambda L: setattr(leaf(L), "grad", 3),
    "deepcopy_non_leaf": lambda L: __import__("copy").deepcopy(leaf(L) * 2),
}

REQUIRES_GRAD = {
    "tensor_int_requires_grad": lambda L: L.tensor([1, 2], requires_grad=True),
    "tensor_bool_requires_grad": lambda L: L.tensor([True], requires_grad=True),
    "tensor_int_0d_requires_grad": lambda L: L.tensor(1, requires_grad=True),
    "requires_grad_method_int": lambda L: L.tensor([1, 2]).requires_grad_(),
    "requires_grad_method_bool": lambda L: L.tensor([True, False]).requires_grad_(True),
    "requires_grad_attr_int": lambda L: setattr(L.tensor([1, 2]), "requires_grad", True),
    "zeros_int_requires_grad": lambda L: L.zeros(3, dtype=L.int64, requires_grad=True),
    "ones_int_requires_grad": lambda L: L.ones(3, dtype=L.int32, requires_grad=True),
    "arange_requires_grad": lambda L: L.arange(3, requires_grad=True),
    "non_leaf_requires_grad_false_attr": lambda L: setattr(leaf(L) * 2, "requires_grad", False),
    "non_leaf_requires_grad_false_method": lambda L: (leaf(L) * 2).requires_grad_(False),
    "numpy_requires_grad": lambda L: leaf(L).numpy(),
    "numpy_non_leaf": lambda L: (leaf(L) * 2).numpy(),
}

SHAPES = {
    "broadcast_add": lambda L: L.ones(2, 3) + L.ones(4),
    "broadcast_mul": lambda L: L.ones(2, 3) * L.ones(3, 2),
    "broadcast_sub_3d": lambda L: L.ones(2, 3, 4) - L.ones(5, 1, 4),
    "broadcast_div_function": lambda L: L.div(L.ones(3), L.ones(2)),
    "broadcast_with_grad": lambda L: leaf(L) * L.ones(2),
    "broadcast_where": lambda L: L.where(L.ones(3) > 0, L.ones(3), L.ones(4)),
    "matmul_1d_1d": lambda L: L.ones(3) @ L.ones(4),
    "matmul_2d_2d": lambda L: L.ones(2, 3) @ L.ones(4, 5),
    "matmul_3d_2d": lambda L: L.ones(2, 2, 3) @ L.ones(4, 5),
    "matmul_2d_1d": lambda L: L.ones(2, 3) @ L.ones(4),
    "matmul_1d_2d": lambda L: L.ones(3) @ L.ones(4, 5),
    "matmul_3d_1d": lambda L: L.ones(2, 4, 5) @ L.ones(3),
    "matmul_1d_3d": lambda L: L.ones(3) @ L.ones(2, 4, 5),
    "matmul_2d_3d": lambda L: L.ones(4, 5) @ L.ones(2, 3, 6),
    "matmul_2d_3d_first_requires_grad": lambda L: L.ones(4, 5, requires_grad=True) @ L.ones(2, 3, 6),
    "matmul_3d_3d": lambda L: L.ones(2, 2, 3) @ L.ones(2, 4, 5),
    "matmul_3d_3d_batch_mismatch": lambda L: L.ones(2, 4, 5) @ L.ones(3, 5, 6),
    "matmul_4d_3d_batch_mismatch": lambda L: L.ones(2, 3, 4, 5) @ L.ones(4, 5, 6),
    "matmul_4d_3d": lambda L: L.ones(2, 2, 4, 5) @ L.ones(2, 6, 6),
    "matmul_0d": lambda L: L.tensor(1.0) @ L.ones(3),
    "matmul_function": lambda L: L.matmul(L.ones(2, 3), L.ones(2, 3)),
    "mm_mismatch": lambda L: L.mm(L.ones(2, 3), L.ones(4, 5)),
    "mm_1d": lambda L: L.mm(L.ones(3), L.ones(3, 5)),
    "mm_1d_second": lambda L: L.mm(L.ones(3, 3), L.ones(3)),
    "mm_method": lambda L: L.ones(2, 3).mm(L.ones(2, 3)),
    "mv_mismatch": lambda L: L.mv(L.ones(2, 3), L.ones(4)),
    "dot_mismatch": lambda L: L.dot(L.ones(3), L.ones(4)),
    "dot_2d": lambda L: L.dot(L.ones(3, 1), L.ones(4)),
    "bmm_mismatch": lambda L: L.bmm(L.ones(2, 3, 4), L.ones(2, 5, 6)),
    "bmm_batch_mismatch": lambda L: L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 6)),
    "bmm_2d": lambda L: L.bmm(L.ones(3, 4), L.ones(4, 6)),
    "expand_mismatch": lambda L: L.ones(2, 3).expand(4, 3),
}

CONVERSIONS = {
    "item_many": lambda L: L.ones(3).item(),
    "item_empty": lambda L: L.ones(0).item(),
    "bool_many": lambda L: bool(L.ones(3)),
    "bool_empty": lambda L: bool(L.ones(0)),
    "if_many": lambda L: 1 if L.ones(2) > 0 else 0,
    "int_many": lambda L: int(L.ones(3)),
    "float_many": lambda L: float(L.ones(3)),
    "float_empty": lambda L: float(L.ones(0)),
    "int_2d": lambda L: int(L.ones(2, 2)),
    "len_0d": lambda L: len(L.tensor(1.0)),
    "iter_0d": lambda L: iter(L.tensor(1.0)),
    "for_0d": lambda L: [v for v in L.tensor(1.0)],
}

DIMS = {
    "sum_dim": lambda L: L.ones(2, 3).sum(2),
    "sum_negative_dim": lambda L: L.ones(2, 3).sum(-3),
    "sum_dim_tuple": lambda L: L.ones(2, 3).sum((0, 5)),
    "sum_dim_repeated": lambda L: L.ones(2, 3).sum((0, 0)),
    "sum_0d": lambda L: L.tensor(1.0).sum(1),
    "mean_dim": lambda L: L.ones(2, 3).mean(2),
    "transpose_dim": lambda L: L.ones(2, 3).transpose(0, 3),
    "transpose_negative_dim": lambda L: L.ones(2, 3).transpose(-3, 0),
    "transpose_0d": lambda L: L.tensor(1.0).transpose(0, 1),
    "unsqueeze_dim": lambda L: L.ones(2, 3).unsqueeze(3),
    "unsqueeze_negative_dim": lambda L: L.ones(2, 3).unsqueeze(-4),
    "squeeze_dim": lambda L: L.ones(2, 3).squeeze(2),
    "squeeze_negative_dim": lambda L: L.ones(2, 3).squeeze(-3),
    "squeeze_dims": lambda L: L.ones(2, 3).squeeze((0, 2)),
    "max_dim": lambda L: L.ones(2, 3).max(-3),
    "max_dim_positive": lambda L: L.ones(2, 3).max(2),
    "min_dim": lambda L: L.ones(2, 3).min(5),
    "amax_dim": lambda L: L.ones(2, 3).amax(4),
    "permute_length": lambda L: L.ones(2, 3).permute(0),
    "permute_repeated": lambda L: L.ones(2, 3).permute(0, 0),
    "flatten_order": lambda L: L.ones(2, 3, 4).flatten(2, 1),
    "t_3d": lambda L: L.ones(2, 2, 2).t(),
}

VIEWS = {
    "view_incompatible_strides": lambda L: L.ones(2, 3).t().view(6),
    "view_incompatible_strides_2": lambda L: L.ones(2, 3, 4).transpose(0, 1).view(6, 4),
    "view_bad_shape": lambda L: L.ones(2, 3).view(4),
    "view_bad_shape_2d": lambda L: L.ones(2, 3).view(4, 2),
    "view_two_minus_one": lambda L: L.ones(2, 3).view(-1, -1),
    "view_bad_shape_with_minus_one": lambda L: L.ones(2, 3).view(4, -1),
    "view_negative_size": lambda L: L.ones(2, 3).view(-2, 3),
    "view_minus_one_of_empty": lambda L: L.ones(0).view(0, -1),
    "view_zero_of_non_empty": lambda L: L.ones(6).view(0, -1),
    "reshape_bad_shape": lambda L: L.ones(2, 3).reshape(5, -1),
    "reshape_two_minus_one": lambda L: L.ones(2, 3).reshape(-1, -1),
    "reshape_negative_size": lambda L: L.ones(2, 3).reshape(2, -3),
    "reshape_invalid_then_two_minus_one": lambda L: L.ones(2, 3).reshape(-2, -1, -1),
    "reshape_bad_size": lambda L: L.ones(2, 3).reshape(7),
}

INDEXING = {
    "index_out_of_range": lambda L: L.ones(2, 3)[5],
    "index_out_of_range_dim1": lambda L: L.ones(2, 3)[0, 3],
    "index_out_of_range_negative": lambda L: L.ones(2, 3)[-3],
    "index_list_out_of_range": lambda L: L.ones(3)[[0, 5]],
    "index_tensor_out_of_range": lambda L: L.ones(3)[L.tensor([0, 5])],
    "too_many_indices": lambda L: L.ones(2, 3)[0, 0, 0],
    "too_many_indices_with_slices": lambda L: L.ones(2)[:, :],
    "index_0d": lambda L: L.tensor(1.0)[0],
    "index_0d_negative": lambda L: L.tensor(1.0)[-1],
    "index_0d_slice": lambda L: L.tensor(1.0)[0:1],
    "index_0d_list": lambda L: L.tensor(1.0)[[0]],
    "index_0d_tuple": lambda L: L.tensor(1.0)[0, 0],
    "index_0d_ellipsis_int": lambda L: L.tensor(1.0)[..., 0],
    "negative_step": lambda L: L.ones(4)[::-1],
    "negative_step_2d": lambda L: L.ones(3, 3)[:, ::-2],
    "zero_step": lambda L: L.ones(4)[::0],
}

REDUCTIONS = {
    "max_empty": lambda L: L.ones(0).max(),
    "min_empty": lambda L: L.ones(0, 3).min(),
    "max_empty_dim": lambda L: L.ones(0, 3).max(0),
    "mean_int": lambda L: L.ones(2, 3, dtype=L.int64).mean(),
}

INPLACE = {
    "add_leaf": lambda L: leaf(L).add_(1),
    "mul_leaf": lambda L: leaf(L).mul_(2),
    "sub_leaf": lambda L: leaf(L).sub_(1),
    "div_leaf": lambda L: leaf(L).div_(2),
    "zero_leaf": lambda L: leaf(L).zero_(),
    "fill_leaf": lambda L: leaf(L).fill_(2.0),
    "copy_leaf": lambda L: leaf(L).copy_(L.ones(3)),
    "clamp_leaf": lambda L: leaf(L).clamp_(0, 1),
    "exp_leaf": lambda L: leaf(L).exp_(),
    "iadd_leaf": lambda L: leaf(L).__iadd__(1),
    "int_add_float": lambda L: L.tensor([1, 2]).add_(1.5),
    "int_mul_float": lambda L: L.tensor([1, 2]).mul_(1.5),
    "int_div": lambda L: L.tensor([1, 2]).div_(2),
    "int_add_float_tensor": lambda L: L.tensor([1, 2]).add_(L.tensor([0.5, 0.5])),
    "int_exp": lambda L: L.tensor([1, 2]).exp_(),
    "bool_add_int": lambda L: L.tensor([True, False]).add_(1),
    "add_broadcast_output_shape": lambda L: L.ones(3).add_(L.ones(2, 3)),
    "add_broadcast_output_shape_2": lambda L: L.ones(1, 3).add_(L.ones(2, 3)),
    "add_broadcast_mismatch": lambda L: L.ones(3).add_(L.ones(4)),
    "mul_broadcast_output_shape_non_leaf": lambda L: (leaf(L) * 2).mul_(L.ones(2, 3)),
    "copy_broadcast_mismatch": lambda L: L.ones(3).copy_(L.ones(4)),
    "fill_with_1d_tensor": lambda L: L.ones(3).fill_(L.ones(2)),
}


def _cases(*tables):
    return [pytest.param(fn, id=name) for table in tables for name, fn in table.items()]


@pytest.mark.parametrize("fn", _cases(AUTOGRAD, REQUIRES_GRAD))
def test_autograd_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("fn", _cases(SHAPES))
def test_shape_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("fn", _cases(CONVERSIONS, DIMS, VIEWS, INDEXING, REDUCTIONS))
def test_tensor_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("fn", _cases(INPLACE))
def test_in_place_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("fn", [lambda L: leaf(L)[0].add_(1), lambda L: leaf(L).view(3, 1).mul_(2)],
                         ids=["select", "view"])
def test_in_place_on_view_of_leaf_errors_match_torch(fn):
    assert_same_error(fn)


def test_modified_saved_tensor_errors_match_torch():
    def fn(L):
        y = leaf(L).exp()
        z = y * y
        y.add_(1)
        z.sum().backward()

    assert_same_error(fn)


def test_matmul_shape_errors_match_torch_over_many_shapes():
    rng = np.random.default_rng(0)
    errors = 0
    for _ in range(300):
        shapes = [[int(s) for s in rng.integers(1, 4, n)] for n in rng.integers(1, 5, 2)]
        grads = [bool(g) for g in rng.integers(0, 2, 2)]
        permuted = len(shapes[0]) >= 3 and bool(rng.integers(0, 2))

        def fn(L, shapes=shapes, grads=grads, permuted=permuted):
            a = L.ones(*shapes[0], requires_grad=grads[0])
            if permuted:  # same shape, non-contiguous batch: torch then skips folding
                s = shapes[0]
                a = L.ones(s[1], s[0], *s[2:], requires_grad=grads[0]).transpose(0, 1)
            return tuple((a @ L.ones(*shapes[1], requires_grad=grads[1])).shape)

        expected = outcome(torch, fn)
        assert outcome(ember, fn) == expected, (shapes, grads, permuted)
        if expected is not None:
            errors += 1
            assert expected == outcome(ember, fn)
    assert errors > 100  # most random pairs don't fit: the error paths were exercised


# -- warnings -------------------------------------------------------------------------------
def _warnings_of(L, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(L)
    # torch's C++ warnings end with where they were raised: " (Triggered internally at ...)"
    return result, [(w.category.__name__, re.sub(r" \(Triggered internally at .*\)$", "",
                                                 str(w.message).replace("torch.", "ember.")))
                    for w in caught]


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: (leaf(L) * 2).grad is None,
        lambda L: (lambda y: (y.sum().backward(), y.grad is None)[1])(leaf(L) * 2),
        lambda L: (leaf(L) * 2).sum().grad is None,
    ],
    ids=["non_leaf", "non_leaf_after_backward", "non_leaf_scalar"],
)
def test_grad_of_non_leaf_warns_as_torch_and_is_none(fn):
    t_result, t_warnings = _warnings_of(torch, fn)
    e_result, e_warnings = _warnings_of(ember, fn)
    assert t_result is True and e_result is True
    assert len(t_warnings) == 1 and t_warnings[0][0] == "UserWarning"
    assert e_warnings == t_warnings


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: leaf(L).grad,
        lambda L: (lambda y: (y.retain_grad(), y.grad)[1])(leaf(L) * 2),
        lambda L: (leaf(L) * 2).detach().grad,
    ],
    ids=["leaf", "retained_non_leaf", "detached"],
)
def test_grad_of_leaf_or_retained_does_not_warn(fn):
    assert _warnings_of(torch, fn)[1] == []
    assert _warnings_of(ember, fn)[1] == []


# -- nothing is half-changed ----------------------------------------------------------------
def _state(t):
    return (t.detach().numpy().copy(), str(t.dtype).split(".")[-1], t.requires_grad, t.grad_fn, t.is_leaf,
            tuple(t.shape))


def _assert_state_equal(before, after):
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:3] == before[1:3]
    assert after[3] is before[3]  # the same grad_fn object
    assert after[4:] == before[4:]


IN_PLACE_FAILURES = {
    "leaf_add": (lambda L: leaf(L), lambda L, t: t.add_(1)),
    "leaf_mul_tensor": (lambda L: leaf(L), lambda L, t: t.mul_(L.ones(3))),
    "leaf_zero": (lambda L: leaf(L), lambda L, t: t.zero_()),
    "leaf_fill": (lambda L: leaf(L), lambda L, t: t.fill_(7.0)),
    "leaf_copy": (lambda L: leaf(L), lambda L, t: t.copy_(L.zeros(3))),
    "leaf_iadd": (lambda L: leaf(L), lambda L, t: t.__iadd__(L.ones(3))),
    "int_add_float": (lambda L: L.tensor([1, 2, 3]), lambda L, t: t.add_(1.5)),
    "int_mul_float": (lambda L: L.tensor([1, 2, 3]), lambda L, t: t.mul_(0.5)),
    "int_div": (lambda L: L.tensor([4, 2, 6]), lambda L, t: t.div_(2)),
    "bool_add": (lambda L: L.tensor([True, False]), lambda L, t: t.add_(1)),
    "output_shape": (lambda L: L.tensor([1.0, 2.0, 3.0]), lambda L, t: t.add_(L.ones(2, 3))),
    "broadcast": (lambda L: L.tensor([1.0, 2.0, 3.0]), lambda L, t: t.mul_(L.ones(4))),
    "copy_broadcast": (lambda L: L.tensor([1.0, 2.0, 3.0]), lambda L, t: t.copy_(L.zeros(4))),
    "fill_1d": (lambda L: L.tensor([1.0, 2.0, 3.0]), lambda L, t: t.fill_(L.zeros(2))),
    "non_leaf_output_shape": (lambda L: leaf(L) * 2, lambda L, t: t.add_(L.ones(2, 3))),
    "non_leaf_broadcast": (lambda L: leaf(L).exp(), lambda L, t: t.sub_(L.ones(4))),
    "non_leaf_grad_operand_shape": (lambda L: leaf(L) * 2, lambda L, t: t.mul_(leaf(L).reshape(3, 1))),
    "non_leaf_copy": (lambda L: leaf(L) * 2, lambda L, t: t.copy_(L.ones(2))),
}


@pytest.mark.parametrize("case", list(IN_PLACE_FAILURES))
def test_failed_in_place_changes_nothing(case):
    make, op = IN_PLACE_FAILURES[case]
    errors = []
    for L in (torch, ember):
        t = make(L)
        before = _state(t)
        with pytest.raises(Exception) as info:
            op(L, t)
        errors.append((type(info.value).__name__, str(info.value).replace("torch.", "ember.")))
        _assert_state_equal(before, _state(t))
    assert errors[1] == errors[0]


def test_failed_in_place_on_non_leaf_keeps_the_graph_usable():
    def scenario(L):
        x = leaf(L)
        h = x * 2
        with pytest.raises(RuntimeError):
            h.add_(L.ones(2, 3))
        with pytest.raises(RuntimeError):
            h.mul_(L.ones(4))
        (h * h).sum().backward()
        return x.grad.tolist(), h.grad_fn.name()

    assert scenario(ember) == scenario(torch)


@pytest.mark.parametrize(
    "bad",
    [
        lambda L, x, y: y.backward(),
        lambda L, x, y: (x * 2).backward(),
        lambda L, x, y: (x * 2).backward(L.ones(2)),
        lambda L, x, y: (x * 2).sum().backward(inputs=[]),
        lambda L, x, y: (x * 2).sum().backward(inputs=[L.ones(3)]),
        lambda L, x, y: L.autograd.backward([(x * 3).sum(), L.ones(())]),
        lambda L, x, y: L.autograd.grad((x * 2).sum(), [x, L.ones(3, requires_grad=True)]),
        lambda L, x, y: L.autograd.grad((x * 2).sum(), [x, L.ones(3)]),
    ],
    ids=["freed", "non_scalar", "bad_shape", "empty_inputs", "input_no_grad", "root_no_grad", "unused",
         "not_requiring"],
)
def test_failed_backward_leaves_grads_unchanged(bad):
    results = []
    for L in (torch, ember):
        x = leaf(L)
        y = (x * x).sum()
        y.backward()
        g = x.grad
        before = g.detach().numpy().copy()
        with pytest.raises(RuntimeError) as info:
            bad(L, x, y)
        np.testing.assert_array_equal(x.grad.detach().numpy(), before)
        assert x.grad is g
        results.append(str(info.value).replace("torch.", "ember."))
    assert results[1] == results[0]
