"""Indexing beyond the op table: ``x[index]`` layouts and graphs for mixed basic/advanced
indices, ``x[index] = value`` (graphs, leaf rules, no_grad), every error path of the indexing
family with torch's type and message, searches, and the fast scatter-add paths. Every expected
value comes from torch (or, for the scatter-add paths, from NumPy's ``add.at``)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.ops._accumulate import add_at
from helpers import assert_same

torch = pytest.importorskip("torch")

X = np.arange(120.0).reshape(2, 3, 4, 5) / 10.0


def outcome(L, fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(L)
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return type(e).__name__, str(e)
    return None


def assert_same_error(fn):
    expected = outcome(torch, fn)
    assert expected is not None, "torch raised nothing: the case does not test an error"
    assert outcome(ember, fn) == (expected[0], expected[1].replace("torch.", "ember."))


def chain(t, depth=3):
    """The grad_fn names along the first input edge, ``depth`` nodes deep."""
    names, fn = [], t.grad_fn
    while fn is not None and len(names) < depth:
        names.append(type(fn).__name__)
        fn = next((f for f, _ in fn.next_functions if f is not None), None)
    return names


# -- getitem: layouts, values, gradients, graphs ---------------------------------------------------
def _index(L, spec):
    """Indices written once for both libraries: ("t", data) is a tensor, ("tb", data) a bool one."""
    def conv(i):
        if type(i) is tuple and i and i[0] in ("t", "tb", "t32", "tu8"):
            kind, data = i
            dtype = {"t": L.int64, "tb": L.bool, "t32": L.int32, "tu8": L.uint8}[kind]
            return L.tensor(data, dtype=dtype)
        return i
    return tuple(conv(i) for i in spec) if type(spec) is tuple and not (spec and spec[0] in ("t", "tb", "t32", "tu8")) \
        else conv(spec)


GETITEM = {
    "int_then_list_apart": (slice(None), 0, slice(None), [1, 2]),
    "int_list": (0, slice(None), [1, 2]),
    "lists_apart": ([0, 1], slice(None), [1, 2]),
    "list_int": ([0, 1], 0),
    "tensor_0d": ("t", 1),
    "tensor_0d_then_list": (("t", 1), slice(None), [0, 1]),
    "true": True,
    "false": False,
    "slice_true": (slice(None), True),
    "slice_true_list": (slice(None), True, [0, 1]),
    "none_list": (None, [0, 1]),
    "list_none_list": ([0, 1], None, [0, 1]),
    "ellipsis_lists": (Ellipsis, [0, 1], [1, 2]),
    "mask_first": ("tb", [True, False]),
    "mask_0d": ("tb", True),
    "mask_0d_false": ("tb", False),
    "slice_mask_int": (slice(None), ("tb", [True, False, True]), 0),
    "mask_2d": ("tb", [[True, False, True], [False, False, True]]),
    "mask_and_list": (("tb", [True, False]), [2, 0]),
    "int32": ("t32", [1, 0]),
    "uint8_mask": ("tu8", [1, 0]),
    "list_of_lists": [[0, 1], [1, 2]],
    "tuple_in_tuple": ((0, 1),),
    "nested_lists_broadcast": ([[0], [1]], slice(None), [[1, 2, 3]]),
    "empty_list": [],
    "repeated": ([1, 1, 0],),
    "negative": ([-1, 0], slice(None), -1),
    "slices_steps": (slice(None, None, 2), slice(1, None), slice(None, None, 3)),
    "slice_past_end": (slice(5, 10),),
    "slice_negative_start": (slice(-10, 1),),
    "ellipsis_none": (Ellipsis, None),
    "none_ellipsis_int": (None, Ellipsis, 1),
    "np_array": np.array([1, 0]),
    "np_int": np.int64(1),
    "slice_tensor_bounds": slice(("t", 1), None),
}


def _run_getitem(L, spec):
    x = L.tensor(X.copy(), requires_grad=True)
    index = _index(L, spec)
    if type(index) is slice and type(index.start) is tuple:
        index = slice(_index(L, index.start), index.stop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # uint8 masks: torch's deprecation warning
        y = x[index]
    g = L.tensor(np.linspace(-1.0, 1.0, y.numel()).reshape(tuple(y.shape)))
    (y * g).sum().backward()
    return y, x.grad


@pytest.mark.parametrize("spec", list(GETITEM.values()), ids=list(GETITEM))
def test_getitem_matches_torch(spec):
    (e, e_grad), (t, t_grad) = _run_getitem(ember, spec), _run_getitem(torch, spec)
    assert_same(e, t)
    assert_same(e_grad, t_grad)
    # a basic index is one node in ember (named as torch's last); an advanced one is torch's chain
    assert chain(e, 1 if t._base is not None else 3) == chain(t, 1 if t._base is not None else 3)
    if t._base is not None and t.numel():
        assert e._base is not None and e.stride() == t.stride() and e.storage_offset() == t.storage_offset()


def test_uint8_index_warns():
    with pytest.warns(UserWarning, match="indexing with dtype ember.uint8 is now deprecated"):
        ember.ones(2, 3)[ember.tensor([1, 0], dtype=ember.uint8)]


def test_int_index_is_a_view_even_for_0d_results():
    for L in (ember, torch):
        x = L.zeros(2, 3)
        x[1, 2].fill_(5.0)
        x[0][1].add_(2.0)
        assert x.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 5.0]]


GETITEM_ERRORS = {
    "int_0d": lambda L: L.tensor(1.0)[0],
    "slice_0d": lambda L: L.tensor(1.0)[0:1],
    "none_int_0d": lambda L: L.tensor(1.0)[None, 0],
    "list_0d": lambda L: L.tensor(1.0)[[0]],
    "int": lambda L: L.ones(3, 4)[5],
    "int_negative": lambda L: L.ones(3, 4)[-4],
    "int_dim1": lambda L: L.ones(3, 4)[0, -5],
    "int_after_none": lambda L: L.ones(3, 4)[None, 3],
    "int_after_int_none": lambda L: L.ones(3, 4)[0, None, 7],
    "int_after_nones_ellipsis": lambda L: L.ones(3, 4)[None, None, ..., 9],
    "list": lambda L: L.ones(2, 3)[[5]],
    "list_dim2": lambda L: L.ones(2, 3, 4)[:, :, [0, 9]],
    "lists_apart": lambda L: L.ones(2, 3, 4)[[0, 1], :, [0, 9]],
    "lists_together": lambda L: L.ones(2, 3, 4)[:, [0, 1], [0, 9]],
    "list_negative": lambda L: L.ones(2, 3)[:, [0, -9]],
    "mask_shape": lambda L: L.ones(3, 4)[L.tensor([True, False])],
    "mask_shape_dim1": lambda L: L.ones(3, 4)[:, L.tensor([True, False])],
    "mask_2d_shape": lambda L: L.ones(3, 4)[L.ones(3, 5, dtype=L.bool)],
    "mask_2d_at_dim1": lambda L: L.ones(2, 3, 4)[:, L.tensor([[True, False, True, True]])],
    "bool_list_short": lambda L: L.ones(3, 4)[[True, False]],
    "mask_too_many_dims": lambda L: L.ones(3, 4)[L.ones(3, 4, 1, dtype=L.bool)],
    "too_many": lambda L: L.ones(3, 4)[0, 0, 0],
    "mask_then_too_many": lambda L: L.ones(2, 3)[L.tensor([True, False]), :, :],
    "float_tensor": lambda L: L.ones(3, 4)[L.tensor([1.0])],
    "float_tensor_0d": lambda L: L.ones(3, 4)[L.tensor(1.0)],
    "int16_tensor": lambda L: L.ones(3, 4)[L.tensor([1, 0], dtype=L.int16)],
    "empty_float_tensor": lambda L: L.ones(3, 4)[L.tensor([])],
    "float": lambda L: L.ones(3, 4)[1.0],
    "dict": lambda L: L.ones(3, 4)[{}],
    "numpy_bool": lambda L: L.ones(3, 4)[np.bool_(True)],
    "step_zero": lambda L: L.ones(3, 4)[::0],
    "step_negative": lambda L: L.ones(3, 4)[:, ::-1],
    "broadcast": lambda L: L.ones(3, 4)[[0, 1], [0, 1, 2]],
    "broadcast_mask_list": lambda L: L.ones(3, 4)[L.tensor([True, False, True]), [1, 2, 3]],
}


@pytest.mark.parametrize("fn", list(GETITEM_ERRORS.values()), ids=list(GETITEM_ERRORS))
def test_getitem_errors_match_torch(fn):
    assert_same_error(fn)


# -- setitem ---------------------------------------------------------------------------------------
SETITEM = {
    "int_number": (0, 1.5), "slice_number": (slice(0, 2), 1.5), "full_slice_number": (slice(None), 1.5),
    "ellipsis_tensor_0d": (Ellipsis, "v0"), "full_slices_tensor_1": ((slice(None), slice(None)), "v1"),
    "int_tensor_1": (0, "v1"), "list_tensor_1": ([0, 1], "v1"), "list_tensor_0d": ([0, 1], "v0"),
    "slice_list": ((slice(None), [0, 1]), "v0"), "int_list": ((0, [0, 1]), "v1"), "none_list": ((None, [0, 1]), "v1"),
    "mask": (("tb", [True, False, True]), "v1"), "slice_then_list": ((slice(0, 2), [0, 1]), "v0"), "true": (True, "v1"),
    "none": (None, "v0"), "false": (False, "v0"), "row_vector": (1, "row"), "rows_matrix": ([2, 0], "rows"),
    "repeated_rows": ([1, 1], "rows"), "column_broadcast": ((slice(None), 2), "col"),
}
VALUES = {"v0": np.array(2.0), "v1": np.array([3.0]), "row": np.arange(4.0), "rows": np.arange(8.0).reshape(2, 4),
          "col": np.array([[1.0], [2.0], [3.0]])}


def _run_setitem(L, spec):
    index, value = spec
    x = L.tensor(X[0, :, :, 0].copy(), requires_grad=True)
    v = L.tensor(VALUES[value].copy(), requires_grad=True) if isinstance(value, str) else value
    y = x * 2
    y[_index(L, index)] = v.reshape(-1, 1).squeeze(-1) if value == "col" else v
    (y * L.tensor(np.linspace(-1.0, 2.0, 12).reshape(3, 4))).sum().backward()
    edges = [None if f is None else type(f).__name__ for f, _ in y.grad_fn.next_functions]
    return y, x.grad, getattr(v, "grad", None), type(y.grad_fn).__name__, edges


@pytest.mark.parametrize("spec", list(SETITEM.values()), ids=list(SETITEM))
def test_setitem_matches_torch(spec):
    e, t = _run_setitem(ember, spec), _run_setitem(torch, spec)
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])
    if t[2] is not None:
        assert_same(e[2], t[2])
    assert e[3:] == t[3:]


def test_setitem_through_a_view_of_a_non_leaf():
    for L in (ember, torch):
        x = L.tensor(X[0, :, :, 0].copy(), requires_grad=True)
        y = x * 1
        row = y[1]
        row[[0, 2]] = L.tensor(9.0, dtype=L.float64)
        names = (chain(y, 2), chain(row, 1))
        y.sum().backward()
        if L is ember:
            e_names, e_grad, e_y = names, x.grad, y
    assert e_names == names
    assert_same(e_grad, x.grad)
    assert_same(e_y, y)


SETITEM_ERRORS = {
    "leaf_int": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__(0, 1.0),
    "leaf_list": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__([0, 1], 1.0),
    "leaf_mask": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__(L.tensor([True, False, True]), 1.0),
    "leaf_full": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__(slice(None), 1.0),
    "leaf_none": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__(None, 1.0),
    "leaf_ellipsis": lambda L: L.zeros(3, 4, requires_grad=True).__setitem__(Ellipsis, 1.0),
    "list_value": lambda L: L.zeros(3, 4).__setitem__(0, [1.0, 2, 3, 4]),
    "numpy_value": lambda L: L.zeros(3, 4).__setitem__(0, np.ones(4)),
    "str_value": lambda L: L.zeros(3, 4).__setitem__(0, "a"),
    "dtype_advanced": lambda L: L.zeros(3, 4).__setitem__([0, 1], L.tensor([1, 2, 3, 4])),
    "dtype_advanced_float_into_int": lambda L: L.zeros(3, dtype=L.int64).__setitem__([0], L.tensor([1.7])),
    "shape_basic": lambda L: L.zeros(3, 4).__setitem__(0, L.ones(3)),
    "shape_advanced": lambda L: L.zeros(3, 4).__setitem__([0, 1], L.ones(3)),
    "shape_advanced_2d": lambda L: L.zeros(3, 4).__setitem__([0, 1], L.ones(3, 4)),
    "shape_mask": lambda L: L.zeros(3, 4).__setitem__(L.zeros(3, 4) == 0, L.ones(6)),
    "index_error": lambda L: L.zeros(3, 4).__setitem__(5, 1.0),
    "expanded_target": lambda L: L.zeros(3).expand(2, 3).__setitem__((slice(None), 0), 1.0),
}


@pytest.mark.parametrize("fn", list(SETITEM_ERRORS.values()), ids=list(SETITEM_ERRORS))
def test_setitem_errors_match_torch(fn):
    assert_same_error(fn)


def test_setitem_under_no_grad_and_casts():
    for L in (ember, torch):
        x = L.tensor(X[0, :, :, 0].copy(), requires_grad=True)
        with L.no_grad():
            x[0] = 5.0
            x[[1]] = L.tensor(3.0, dtype=L.float64)
            x[x > 1.0] = 0.0
        assert x.is_leaf and x.requires_grad and x.grad_fn is None
        ints = L.arange(4)
        ints[0] = 1.7
        ints[1] = L.tensor(2.9)
        ints[2:] = True
        bools = L.zeros(2, dtype=L.bool)
        bools[0] = 2
        if L is ember:
            e = (x.detach().clone(), ints, bools)
    for a, b in zip(e, (x.detach(), ints, bools), strict=True):
        assert_same(a, b)


def test_setitem_bumps_version_and_shares_views():
    for L in (ember, torch):
        x = L.zeros(3, 4)
        v = x[1]
        x[1, [0, 2]] = 1.0
        x[0] = 2.0
        assert v.tolist() == [1.0, 0.0, 1.0, 0.0]
        if L is ember:
            e_version = x._version
    assert e_version == x._version


# -- index_put -------------------------------------------------------------------------------------
INDEX_PUT_ERRORS = {
    "dtype": lambda L: L.ones(3, 4).index_put((L.tensor([0]),), L.tensor([1, 2, 3, 4])),
    "shape": lambda L: L.ones(3, 4).index_put((L.tensor([0, 1]),), L.ones(3)),
    "too_many": lambda L: L.ones(3, 4).index_put((L.tensor([0]),) * 3, L.ones(1)),
    "float_index": lambda L: L.ones(3, 4).index_put((L.tensor([0.0]),), L.ones(1)),
    "out_of_bounds": lambda L: L.ones(3, 4).index_put((L.tensor([5]),), L.ones(1)),
    "out_of_bounds_dim1": lambda L: L.ones(3, 4).index_put((L.tensor([0]), L.tensor([7])), L.ones(1)),
    "none": lambda L: L.index_put(L.ones(3, 4), (None, L.tensor([0])), L.ones(1)),
    "0d_input": lambda L: L.tensor(1.0).index_put((L.tensor(0),), L.tensor(5.0)),
    "leaf_in_place": lambda L: L.ones(3, requires_grad=True).index_put_((L.tensor([0]),), L.tensor(1.0)),
}


@pytest.mark.parametrize("fn", list(INDEX_PUT_ERRORS.values()), ids=list(INDEX_PUT_ERRORS))
def test_index_put_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_values(accumulate):
    for L in (ember, torch):
        x = L.tensor(X[0, :, :, 0].copy(), requires_grad=True)
        v = L.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=L.float64, requires_grad=True)
        y = x.index_put([L.tensor([2, 0, 2])], v, accumulate=accumulate)
        z = L.arange(3).index_put((L.tensor([0]),), L.tensor(5))
        w = L.ones(3, 4).index_put((L.tensor(1),), L.tensor(5.0))
        (y * L.tensor(np.linspace(0, 1, 12).reshape(3, 4))).sum().backward()
        if L is ember:
            e = (y, x.grad, v.grad, z, w)
    if not accumulate:  # repeated positions without accumulate: torch leaves the order unspecified
        e, t = e[1:], (x.grad, v.grad, z, w)
    else:
        t = (y, x.grad, v.grad, z, w)
    for a, b in zip(e, t, strict=True):
        assert_same(a, b)


# -- gather, scatter and the index ops: errors -----------------------------------------------------
I22 = [[0, 1], [2, 3]]
OP_ERRORS = {
    "gather_out_of_bounds": lambda L: L.ones(3, 4).gather(1, L.tensor([[5]])),
    "gather_negative": lambda L: L.ones(3, 4).gather(1, L.tensor([[-1]])),
    "gather_float_index": lambda L: L.ones(3, 4).gather(1, L.tensor([[0.0]])),
    "gather_dims": lambda L: L.ones(3, 4).gather(1, L.tensor([0])),
    "gather_too_big": lambda L: L.ones(3, 4).gather(1, L.zeros(4, 1, dtype=L.long)),
    "gather_too_big_dim1": lambda L: L.ones(3, 4).gather(0, L.zeros(1, 5, dtype=L.long)),
    "gather_dim": lambda L: L.ones(3, 4).gather(2, L.zeros(1, 1, dtype=L.long)),
    "scatter_out_of_bounds": lambda L: L.ones(3, 4).scatter(1, L.tensor([[5]]), 1.0),
    "scatter_negative": lambda L: L.ones(3, 4).scatter(1, L.tensor([[-1]]), 1.0),
    "scatter_src_small": lambda L: L.ones(3, 4).scatter(1, L.tensor(I22), L.ones(1, 1)),
    "scatter_src_dtype": lambda L: L.ones(3, 4).scatter(1, L.tensor(I22), L.ones(2, 2, dtype=L.long)),
    "scatter_index_big": lambda L: L.ones(3, 4).scatter(1, L.zeros(4, 1, dtype=L.long), 1.0),
    "scatter_float_index": lambda L: L.ones(3, 4).scatter(1, L.tensor([[0.0]]), 1.0),
    "scatter_dims": lambda L: L.ones(3, 4).scatter(1, L.tensor([0]), 1.0),
    "scatter_reduce_arg": lambda L: L.ones(3, 4).scatter(1, L.tensor(I22), 2.0, reduce="mean"),
    "scatter_add_number": lambda L: L.ones(3, 4).scatter_add(1, L.tensor([[0, 0]]), 1.0),
    "scatter_add_out_of_bounds": lambda L: L.ones(3, 4).scatter_add(1, L.tensor([[4]]), L.ones(1, 1)),
    "scatter_reduce_name": lambda L: L.ones(3, 4).scatter_reduce(1, L.tensor(I22), L.ones(2, 2), "foo"),
    "scatter_reduce_src_dtype": lambda L: L.ones(3, 4).scatter_reduce(1, L.tensor(I22), L.ones(2, 2).long(), "sum"),
    "scatter_in_place_leaf": lambda L: L.ones(3, 4, requires_grad=True).scatter_(1, L.tensor(I22), 1.0),
    "index_select_out_of_bounds": lambda L: L.ones(3, 4).index_select(1, L.tensor([4])),
    "index_select_negative": lambda L: L.ones(3, 4).index_select(1, L.tensor([-1])),
    "index_select_2d": lambda L: L.ones(3, 4).index_select(1, L.tensor([[0]])),
    "index_select_float": lambda L: L.ones(3, 4).index_select(1, L.tensor([0.0])),
    "index_select_0d_two": lambda L: L.tensor(5.0).index_select(0, L.tensor([0, 0])),
    "index_add_out_of_bounds": lambda L: L.ones(3, 4).index_add(1, L.tensor([4]), L.ones(3, 1)),
    "index_add_negative": lambda L: L.ones(3, 4).index_add(1, L.tensor([-1]), L.ones(3, 1)),
    "index_add_count": lambda L: L.ones(3, 4).index_add(1, L.tensor([0]), L.ones(3, 2)),
    "index_add_shape": lambda L: L.ones(3, 4).index_add(1, L.tensor([0]), L.ones(2, 1)),
    "index_add_dtype": lambda L: L.ones(3, 4).index_add(1, L.tensor([0]), L.ones(3, 1, dtype=L.long)),
    "index_add_2d_index": lambda L: L.ones(3, 4).index_add(1, L.tensor([[0]]), L.ones(3, 1)),
    "index_copy_out_of_bounds": lambda L: L.ones(3, 4).index_copy(1, L.tensor([4]), L.ones(3, 1)),
    "index_copy_negative": lambda L: L.ones(3, 4).index_copy(1, L.tensor([-1]), L.ones(3, 1)),
    "index_copy_count": lambda L: L.ones(3, 4).index_copy(1, L.tensor([0]), L.ones(3, 2)),
    "index_copy_dtype": lambda L: L.ones(3, 4).index_copy(1, L.tensor([0]), L.ones(3, 1, dtype=L.long)),
    "index_copy_int32": lambda L: L.ones(3, 4).index_copy(1, L.tensor([0], dtype=L.int32), L.ones(3, 1)),
    "index_fill_out_of_bounds": lambda L: L.ones(3, 4).index_fill(1, L.tensor([4]), 1.0),
    "index_fill_1d_value": lambda L: L.ones(3, 4).index_fill(1, L.tensor([0]), L.tensor([1.0])),
    "index_fill_2d_index": lambda L: L.ones(3, 4).index_fill(1, L.tensor([[0]]), 1.0),
    "index_fill_int32": lambda L: L.ones(3, 4).index_fill(1, L.tensor([0], dtype=L.int32), 1.0),
    "take_out_of_bounds": lambda L: L.ones(3, 4).take(L.tensor([12])),
    "take_float": lambda L: L.ones(3, 4).take(L.tensor([0.0])),
    "take_int32": lambda L: L.ones(3, 4).take(L.tensor([0], dtype=L.int32)),
    "take_along_dim_shapes": lambda L: L.take_along_dim(L.ones(3, 4), L.tensor([[0], [0]]), dim=1),
    "take_along_dim_ndim": lambda L: L.take_along_dim(L.ones(3, 4), L.tensor([0]), dim=1),
    "take_along_dim_float": lambda L: L.take_along_dim(L.ones(3, 4), L.tensor([[0.0]]), dim=1),
    "masked_select_shape": lambda L: L.ones(3, 4).masked_select(L.tensor([True, False])),
    "masked_select_int_mask": lambda L: L.ones(3, 4).masked_select(L.tensor([1, 0, 1, 0])),
    "masked_scatter_small": lambda L: L.ones(3, 4).masked_scatter(L.ones(3, 4) > 0, L.ones(3)),
    "masked_scatter_dtype": lambda L: L.ones(3, 4).masked_scatter(L.ones(3, 4) > 0, L.ones(12, dtype=L.long)),
    "masked_scatter_int_mask": lambda L: L.ones(3, 4).masked_scatter(L.ones(3, 4, dtype=L.long), L.ones(12)),
    "masked_scatter_in_place_grows": lambda L: L.ones(4).masked_scatter_(L.ones(2, 4, dtype=L.bool), L.ones(8)),
    "bincount_negative": lambda L: L.bincount(L.tensor([-1, 2])),
    "bincount_2d": lambda L: L.bincount(L.tensor([[1, 2]])),
    "bincount_float": lambda L: L.bincount(L.tensor([1.0, 2.0])),
    "bincount_bool": lambda L: L.bincount(L.tensor([True, False])),
    "bincount_weights": lambda L: L.bincount(L.tensor([1, 2]), weights=L.tensor([1.0])),
    "bincount_minlength": lambda L: L.bincount(L.tensor([1, 2]), minlength=-1),
    "searchsorted_side": lambda L: L.searchsorted(L.tensor([1.0, 3.0]), L.tensor([2.0]), side="foo"),
    "searchsorted_rows": lambda L: L.searchsorted(L.ones(2, 2), L.ones(3, 1)),
    "searchsorted_rows_1d_values": lambda L: L.searchsorted(L.ones(2, 2), L.ones(2)),
    "searchsorted_sorter_size": lambda L: L.searchsorted(L.ones(3), L.ones(2), sorter=L.tensor([1, 2])),
    "searchsorted_sorter_range": lambda L: L.searchsorted(L.ones(3), L.ones(2), sorter=L.tensor([1, 2, 5])),
    "searchsorted_0d": lambda L: L.searchsorted(L.tensor(1.0), L.tensor([2.0])),
    "bucketize_2d": lambda L: L.bucketize(L.ones(2), L.ones(2, 2)),
}


@pytest.mark.parametrize("fn", list(OP_ERRORS.values()), ids=list(OP_ERRORS))
def test_index_op_errors_match_torch(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("fn", [
    lambda L, x, s: x.scatter(1, L.tensor([[0], [1], [2]]), s, reduce="add"),
    lambda L, x, s: x.scatter(1, L.tensor([[0], [1], [2]]), 2.0, reduce="multiply"),
    lambda L, x, s: L.bincount(L.tensor([0, 2, 2]), weights=s.reshape(-1)),
], ids=["scatter_reduce_src", "scatter_reduce_value", "bincount_weights"])
def test_recorded_but_not_differentiable(fn):
    """torch records these (grad_fn NotImplemented) and refuses their backward."""
    messages = []
    for L in (ember, torch):
        x, s = L.ones(3, 4, requires_grad=True), L.ones(3, 1, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(L, x, s)
        assert out.requires_grad and type(out.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError) as err:
            out.sum().backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


# -- values at the edges ---------------------------------------------------------------------------
EDGE_VALUES = {
    "gather_0d_index": lambda L: L.arange(3.0).gather(0, L.tensor(1)),
    "gather_0d_input": lambda L: L.tensor(3.0).gather(0, L.tensor([0])),
    "gather_0d_both": lambda L: L.tensor(3.0).gather(0, L.tensor(0)),
    "scatter_0d": lambda L: L.tensor(3.0).scatter(0, L.tensor(0), 5.0),
    "scatter_bool": lambda L: L.zeros(3, dtype=L.bool).scatter(0, L.tensor([1]), True),
    "scatter_multiply": lambda L: L.arange(12.0).reshape(3, 4).scatter(1, L.tensor(I22), 2.0, reduce="multiply"),
    "scatter_int32": lambda L: L.ones(3, 4).scatter(1, L.tensor(I22, dtype=L.int32), 2.0),
    "scatter_reduce_int_mean": lambda L: L.arange(4).scatter_reduce(0, L.tensor([0, 0]), L.tensor([1, 2]), "mean"),
    "scatter_reduce_int_amax": lambda L: L.arange(4).scatter_reduce(0, L.tensor([0, 0]), L.tensor([7, 2]), "amax",
                                                                    include_self=False),
    "scatter_reduce_prod_exclude": lambda L: L.arange(12.0).reshape(3, 4).scatter_reduce(
        1, L.tensor([[0, 0]]), L.tensor([[2.0, 3.0]]), "prod", include_self=False),
    "scatter_reduce_nan": lambda L: L.tensor([1.0, 2.0]).scatter_reduce(
        0, L.tensor([0, 0]), L.tensor([float("nan"), 0.0]), "amax"),
    "index_select_0d": lambda L: L.tensor(5.0).index_select(0, L.tensor(0)),
    "index_add_0d": lambda L: L.tensor(5.0).index_add(0, L.tensor([0]), L.tensor(1.0)),
    "index_add_int32": lambda L: L.ones(3, 4).index_add(1, L.tensor([0, 0], dtype=L.int32), L.ones(3, 2)),
    "index_copy_0d_source": lambda L: L.arange(3.0).index_copy(0, L.tensor([1]), L.tensor(7.0)),
    "index_fill_0d": lambda L: L.tensor(3.0).index_fill(0, L.tensor([0]), 7.0),
    "index_fill_negative": lambda L: L.ones(3, 4).index_fill(1, L.tensor([-1]), 2.0),
    "take_0d": lambda L: L.tensor(3.0).take(L.tensor([0, 0])),
    "take_negative": lambda L: L.arange(4.0).take(L.tensor([-1])),
    "masked_select_0d": lambda L: L.tensor(3.0).masked_select(L.tensor(True)),
    "masked_scatter_broadcast": lambda L: L.zeros(3, 4).masked_scatter(L.tensor([True, False, True, False]),
                                                                       L.arange(6.0)),
    "masked_scatter_mask_larger": lambda L: L.arange(4.0).masked_scatter(L.ones(2, 4, dtype=L.bool), L.arange(8.0)),
    "take_along_dim_broadcast_input": lambda L: L.take_along_dim(L.arange(4.0).reshape(1, 4), L.tensor([[0], [3]]), 1),
    "index_empty": lambda L: L.ones(3, 2)[L.tensor([], dtype=L.long)],
    "gather_empty": lambda L: L.ones(3, 2).gather(1, L.zeros(3, 0, dtype=L.long)),
    "nonzero_0d": lambda L: L.tensor(3.0).nonzero(),
    "nonzero_0d_tuple": lambda L: L.tensor(3.0).nonzero(as_tuple=True),
    "nonzero_0d_zero_tuple": lambda L: L.tensor(0.0).nonzero(as_tuple=True),
    "nonzero_nan": lambda L: L.tensor([float("nan"), 0.0, -0.0]).nonzero(),
    "nonzero_empty": lambda L: L.ones(0, 3).nonzero(),
    "argwhere_0d": lambda L: L.argwhere(L.tensor(2.0)),
    "bincount_empty": lambda L: L.bincount(L.tensor([], dtype=L.long)),
    "bincount_empty_minlength": lambda L: L.bincount(L.tensor([], dtype=L.long), minlength=3),
    "bincount_int_weights": lambda L: L.bincount(L.tensor([0, 2, 2]), weights=L.tensor([1, 2, 3])),
    "bincount_float32_weights": lambda L: L.bincount(L.tensor([0, 2, 2]), weights=L.tensor([1.0, 2, 3],
                                                                                          dtype=L.float32)),
    "bincount_int32": lambda L: L.bincount(L.tensor([1, 2], dtype=L.int32)),
    "bincount_uint8": lambda L: L.bincount(L.tensor([1, 2], dtype=L.uint8)),
    "searchsorted_scalar": lambda L: L.searchsorted(L.tensor([1.0, 3.0, 5.0]), 4.0),
    "searchsorted_scalar_int": lambda L: L.searchsorted(L.tensor([1.0, 3.0, 5.0]), 4),
    "searchsorted_side_over_right": lambda L: L.searchsorted(L.tensor([1.0, 3.0]), L.tensor([3.0]), right=False,
                                                             side="right"),
    "searchsorted_nan": lambda L: L.searchsorted(L.tensor([1.0, 3.0]), L.tensor([float("nan"), -float("inf")])),
    "searchsorted_int_values": lambda L: L.searchsorted(L.tensor([1.0, 3.0]), L.tensor([2, 4])),
    "searchsorted_empty_values": lambda L: L.searchsorted(L.tensor([1.0, 3.0]), L.ones(0)),
    "bucketize_scalar": lambda L: L.bucketize(4.0, L.tensor([1.0, 3.0, 5.0])),
    "bucketize_0d": lambda L: L.bucketize(L.tensor(4.0), L.tensor([1.0, 3.0, 5.0]), out_int32=True),
}


@pytest.mark.parametrize("fn", list(EDGE_VALUES.values()), ids=list(EDGE_VALUES))
def test_edge_values_match_torch(fn):
    e, t = fn(ember), fn(torch)
    es, ts = (e, t) if isinstance(t, tuple) else ((e,), (t,))
    assert len(es) == len(ts)
    for a, b in zip(es, ts, strict=True):
        assert_same(a, b)


def test_searches_do_not_record():
    for L in (ember, torch):
        s = L.tensor([1.0, 3.0], requires_grad=True)
        assert not L.searchsorted(s, L.tensor([2.0])).requires_grad
        assert not L.bucketize(s, L.tensor([2.0])).requires_grad
        assert not s.nonzero().requires_grad


def test_in_place_variants_return_self_and_write_views():
    for L in (ember, torch):
        x = L.zeros(3, 4)
        row = x[0]
        outs = [x.index_put_((L.tensor([0]), L.tensor([1])), L.tensor(1.0)), x.scatter_(1, L.tensor([[2]]), 2.0),
                x.scatter_add_(1, L.tensor([[3]]), L.ones(1, 1)), x.index_add_(0, L.tensor([1]), L.ones(1, 4)),
                x.index_copy_(0, L.tensor([2]), L.ones(1, 4) * 5), x.index_fill_(1, L.tensor([0]), -1.0),
                x.masked_scatter_(x > 4, L.arange(4.0)),
                x.scatter_reduce_(1, L.tensor([[0]]), L.tensor([[7.0]]), "amax")]
        assert all(o is x for o in outs)
        if L is ember:
            e_row, e_x = row.clone(), x.clone()
    assert_same(e_row, row)
    assert_same(e_x, x)


# -- the fast scatter-add paths give add.at's sums -------------------------------------------------
@pytest.mark.parametrize(("shape", "index", "values"), [
    ((50, 3), lambda r: (r.integers(-50, 50, (40, 30)),), (40, 30, 3)),  # rows, negative ones too: columns
    ((20, 200), lambda r: (r.integers(0, 20, 600),), (600, 200)),  # rows, wide: flat positions
    ((5, 4, 3), lambda r: (r.integers(0, 5, 500), slice(None), slice(None)), (500, 4, 3)),
    ((30, 40), lambda r: (r.integers(0, 30, (30, 40)), np.arange(40)), (30, 40)),  # gather's adjoint
    ((30, 40), lambda r: (slice(None), r.integers(0, 40, 2000)), (30, 2000)),
    ((10, 10), lambda r: (r.integers(0, 10, 2000),), (10,)),  # broadcast values
    ((100000, 2), lambda r: (r.integers(0, 100000, 1100),), (1100, 2)),  # sparse: add.at
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_add_at_matches_numpy(shape, index, values, dtype):
    rng = np.random.default_rng(0)
    key = index(rng)
    vals = rng.standard_normal(values).astype(dtype)
    expected, got = np.zeros(shape), np.zeros(shape, dtype)
    np.add.at(expected, key, vals.astype(np.float64))  # exact sums, rounded once (as bincount's are)
    add_at(got, key, vals)
    if dtype == "float16":  # add.at (the fallback) sums in float16, one value at a time
        np.testing.assert_allclose(got, expected, rtol=0, atol=3e-2 * np.abs(expected).max())
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
