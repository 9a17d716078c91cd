"""Op-table rows for the shape family (see op_table.py: each call to `row`/`variants` adds rows):
views, joining and splitting, rearranging copies, index-driven reads and writes, searches."""
from __future__ import annotations

from typing import Any

from op_table import row, variants


def _setitem(x: Any, index: Any, value: Any) -> Any:
    """``x[index] = value`` on a non-leaf copy, returned (setitem itself returns nothing)."""
    y = x * 1
    y[index] = value
    return y


# -- views ---------------------------------------------------------------------------------------
row("unflatten", "unflatten", lambda T, x: T.unflatten(x, 1, (2, 2)), (3, 4))
row("unflatten_infer_neg_dim", "unflatten", lambda T, x: x.unflatten(-1, (-1, 2)), (3, 4))
row("movedim", "movedim", lambda T, x: T.movedim(x, 0, 2), (2, 3, 2))
row("movedim_tuple", "movedim", lambda T, x: x.movedim((0, -1), (-1, 1)), (2, 3, 2))
row("moveaxis", "movedim", lambda T, x: T.moveaxis(x, 1, 0), (3, 4))
row("adjoint", "adjoint", lambda T, x: T.adjoint(x), (2, 3, 2))
row("H", "transpose", lambda T, x: x.H, (3, 4))
row("mH", "transpose", lambda T, x: x.mH, (2, 3, 2))
row("broadcast_to", "broadcast_to", lambda T, x: T.broadcast_to(x, (2, 3, 4)), (3, 1))
row("broadcast_to_method", "broadcast_to", lambda T, x: x.broadcast_to(3, -1), (4,))
variants("unfold", lambda T, x, **kw: x.unfold(**kw), ((3, 4),), "any",
         {"": {"dimension": 1, "size": 2, "step": 1}, "step": {"dimension": 1, "size": 2, "step": 2},
          "dim0_gap": {"dimension": 0, "size": 1, "step": 2}, "neg_dim": {"dimension": -2, "size": 3, "step": 1}})
row("unfold_0d", "unfold", lambda T, x: x.unfold(0, 1, 1), ())
row("as_strided", "as_strided", lambda T, x: T.as_strided(x, (2, 2), (1, 2), 1), (3, 4))
row("as_strided_overlapping", "as_strided", lambda T, x: x.as_strided((3, 2), (1, 1)), (3, 4))
row("as_strided_of_view", "as_strided", lambda T, x: x[1:].as_strided((2, 3), (3, 1)), (3, 4))
row("narrow", "narrow", lambda T, x: T.narrow(x, 1, 1, 2), (3, 4))
row("narrow_neg_start", "narrow", lambda T, x: x.narrow(0, -2, 2), (3, 4))
row("narrow_tensor_start", "narrow", lambda T, x: x.narrow(1, T.tensor(2), 2), (3, 4))

# -- joining -------------------------------------------------------------------------------------
row("cat", "cat", lambda T, x, y: T.cat([x, y]), (2, 3), (1, 3))
row("cat_dim", "cat", lambda T, x, y: T.cat((x, y), dim=-1), (2, 3), (2, 1))
row("cat_three_one_grad", "cat", lambda T, x, y, z: T.cat([x, y, z], 1), (2, 1), (2, 2), (2, 1),
    grad=(True, False, True))
row("cat_promote", "cat", lambda T, x, y: T.cat([x, y]), (2, 2), (1, 2), domain=("any", "int"))
row("cat_legacy_empty", "cat", lambda T, x, y: T.cat([x, y]), (2, 3), (0,))
row("cat_int", "cat", lambda T, x, y: T.cat([x, y]), (2,), (3,), domain="int")
row("concat", "cat", lambda T, x, y: T.concat([x, y], 1), (2, 1), (2, 2))
row("concatenate", "cat", lambda T, x, y: T.concatenate([x, y], axis=0), (1, 2), (2, 2))
row("stack", "stack", lambda T, x, y: T.stack([x, y]), (2, 3), (2, 3))
row("stack_last", "stack", lambda T, x, y: T.stack((x, y), -1), (2, 3), (2, 3))
row("stack_0d", "stack", lambda T, x, y, z: T.stack([x, y, z]), (), (), ())
row("hstack", "hstack", lambda T, x, y: T.hstack([x, y]), (2, 1), (2, 2))
row("hstack_1d", "hstack", lambda T, x, y: T.hstack([x, y]), (2,), (3,))
row("vstack", "vstack", lambda T, x, y: T.vstack([x, y]), (3,), (3,))
row("vstack_2d", "vstack", lambda T, x, y: T.vstack([x, y]), (1, 3), (2, 3))
row("dstack", "dstack", lambda T, x, y: T.dstack([x, y]), (2, 2), (2, 2))
row("column_stack", "column_stack", lambda T, x, y: T.column_stack([x, y]), (3,), (3, 2))
row("atleast_1d", "atleast_1d", lambda T, x: T.atleast_1d(x), ())
row("atleast_2d", "atleast_2d", lambda T, x: T.atleast_2d(x), (3,))
row("atleast_3d", "atleast_3d", lambda T, x, y: T.atleast_3d(x, y), (3, 2), ())

# -- splitting (several outputs; each gets its own upstream gradient) ----------------------------
row("split", "split", lambda T, x: T.split(x, 2), (5, 2))
row("split_dim", "split", lambda T, x: x.split(3, dim=1), (2, 4))
row("split_sizes", "split", lambda T, x: x.split([1, 3], 1), (2, 4))
row("split_one_used", "split", lambda T, x: x.split(2)[1] * 2, (4, 2))
row("chunk", "chunk", lambda T, x: T.chunk(x, 3, 1), (2, 5))
row("chunk_even", "chunk", lambda T, x: x.chunk(2), (4, 2))
row("unbind", "unbind", lambda T, x: T.unbind(x, 1), (2, 3))
row("unbind_some_used", "unbind", lambda T, x: x.unbind()[0] + x.unbind()[2], (3, 2))
row("tensor_split", "tensor_split", lambda T, x: T.tensor_split(x, 3, 1), (2, 4))
row("tensor_split_indices", "tensor_split", lambda T, x: x.tensor_split([1, 3]), (5, 2))
row("tensor_split_tensor", "tensor_split", lambda T, x: x.tensor_split(T.tensor([2])), (4, 2))
row("hsplit", "hsplit", lambda T, x: T.hsplit(x, 2), (2, 4))
row("vsplit", "vsplit", lambda T, x: T.vsplit(x, [1]), (3, 2))
row("dsplit", "dsplit", lambda T, x: T.dsplit(x, 2), (1, 2, 4))

# -- rearranging copies --------------------------------------------------------------------------
row("flip", "flip", lambda T, x: T.flip(x, (0,)), (3, 4))
row("flip_dims_varargs", "flip", lambda T, x: x.flip(0, -1), (3, 4))
row("fliplr", "fliplr", lambda T, x: T.fliplr(x), (3, 4))
row("flipud", "flipud", lambda T, x: x.flipud(), (3, 4))
row("flip_int", "flip", lambda T, x: x.flip(0), (5,), domain="int")
row("roll", "roll", lambda T, x: T.roll(x, 1, 0), (3, 4))
row("roll_flat", "roll", lambda T, x: x.roll(-5), (3, 4))
row("roll_dims", "roll", lambda T, x: x.roll((1, -2), (1, 0)), (3, 4))
variants("rot90", lambda T, x, **kw: T.rot90(x, **kw), ((3, 4),), "any",
         {"": {}, "k2": {"k": 2}, "k3": {"k": 3}, "neg": {"k": -1}, "dims": {"k": 1, "dims": (1, 0)}, "k0": {"k": 0}})
row("repeat", "repeat", lambda T, x: x.repeat(2, 1), (2, 3))
row("repeat_new_dims", "repeat", lambda T, x: x.repeat(2, 1, 3), (2, 2))
row("repeat_list", "repeat", lambda T, x: x.repeat([1, 2]), (3,))
row("tile", "tile", lambda T, x: T.tile(x, (2,)), (2, 3))
row("tile_more", "tile", lambda T, x: x.tile((2, 1, 1)), (2, 3))
row("repeat_interleave", "repeat_interleave", lambda T, x: T.repeat_interleave(x, 2), (2, 3))
row("repeat_interleave_dim", "repeat_interleave", lambda T, x: x.repeat_interleave(2, dim=1), (2, 3))
row("repeat_interleave_tensor", "repeat_interleave", lambda T, x: x.repeat_interleave(T.tensor([1, 0, 2]), 0),
    (3, 2))
row("repeat_interleave_tensor_flat", "repeat_interleave", lambda T, x: x.repeat_interleave(T.tensor([2])), (2, 3))
row("repeat_interleave_counts", "repeat_interleave", lambda T, c: T.repeat_interleave(c), (4,), domain="posint")
row("diff", "diff", lambda T, x: T.diff(x), (3, 4))
row("diff_n2_dim0", "diff", lambda T, x: x.diff(2, 0), (4, 3))
row("diff_prepend_append", "diff", lambda T, x, p, a: T.diff(x, dim=0, prepend=p, append=a), (3, 2), (1, 2), (2, 2))
row("diff_n0", "diff", lambda T, x: x.diff(0), (3,))
row("diff_int", "diff", lambda T, x: x.diff(), (5,), domain="int")
row("diff_bool", "diff", lambda T, x: x.diff(), (5,), domain="bool")
row("meshgrid", "meshgrid", lambda T, x, y: T.meshgrid(x, y, indexing="ij"), (3,), (2,))
row("meshgrid_xy", "meshgrid", lambda T, x, y, z: T.meshgrid([x, y, z], indexing="xy"), (3,), (2,), (2,))

# -- indexing: setitem and index_put -------------------------------------------------------------
for _name, _index in (("int", 1), ("slice", slice(1, 3)), ("full", slice(None)), ("ellipsis", Ellipsis),
                      ("none", None), ("int_slice", (0, slice(1, 3))), ("list", [0, 2]),
                      ("list_col", (slice(None), [3, 1])), ("int_list", (1, [0, 2])), ("bool", True)):
    row(f"setitem_{_name}_number", "setitem", lambda T, x, _index=_index: _setitem(x, _index, 2.5), (3, 4))
    row(f"setitem_{_name}_tensor", "setitem", lambda T, x, v, _index=_index: _setitem(x, _index, v), (3, 4), (1,))
row("setitem_mask", "setitem", lambda T, x, v: _setitem(x, x > 0, v), (3, 4), (), domain="distinct")
row("setitem_row_tensor", "setitem", lambda T, x, v: _setitem(x, 1, v), (3, 4), (4,))
row("setitem_list_rows", "setitem", lambda T, x, v: _setitem(x, [2, 0], v), (3, 4), (2, 4))
row("setitem_leaf_value_only", "setitem", lambda T, x, v: _setitem(x, (slice(None), 0), v), (3, 2), (3,),
    grad=(False, True))
row("setitem_int_dtype", "setitem", lambda T, x: _setitem(x, 0, 7), (3, 2), domain="int")
row("index_put", "index_put", lambda T, x, v: T.index_put(x, (T.tensor([0, 2]),), v), (3, 4), (4,))
row("index_put_pair", "index_put", lambda T, x, v: x.index_put((T.tensor([0, 2]), T.tensor([1, 1])), v), (3, 4), (2,))
row("index_put_accumulate", "index_put", lambda T, x, v: x.index_put((T.tensor([1, 1, 0]),), v, accumulate=True),
    (3, 2), (3, 2))
row("index_put_mask", "index_put", lambda T, x, v: x.index_put((x > 0,), v), (3, 4), (), domain="distinct")
row("index_put_", "index_put_", lambda T, x, v: (x * 1).index_put_((T.tensor([2, 0]),), v), (3, 2), (1, 2))

# -- gather, scatter -----------------------------------------------------------------------------
_IDX = [[0, 2], [1, 1], [3, 0]]  # (3, 2) positions along dim 1 of a (3, 4) input
row("gather_repeats", "gather", lambda T, x: x.gather(1, T.tensor(_IDX)), (3, 4))
row("gather_smaller", "gather", lambda T, x: T.gather(x, 0, T.tensor([[2, 0]])), (3, 4))
row("gather_int32", "gather", lambda T, x: x.gather(1, T.tensor(_IDX, dtype=T.int32)), (3, 4))
row("scatter", "scatter", lambda T, x, s: T.scatter(x, 1, T.tensor([[0, 2], [1, 3], [3, 0]]), s), (3, 4), (3, 2))
row("scatter_src_larger", "scatter", lambda T, x, s: x.scatter(1, T.tensor([[2], [0], [1]]), s), (3, 4), (3, 2),
    grad=(True, False))
row("scatter_value", "scatter", lambda T, x: x.scatter(1, T.tensor(_IDX), 1.5), (3, 4))  # repeats: any order
row("scatter_value_kw", "scatter", lambda T, x: T.scatter(x, 0, T.tensor([[1, 0]]), value=-2.0), (3, 4))
row("scatter_reduce_arg", "scatter", lambda T, x, s: x.scatter(1, T.tensor(_IDX), s, reduce="add"), (3, 4), (3, 2),
    grad=False)
row("scatter_reduce_arg_value", "scatter", lambda T, x: x.scatter(1, T.tensor(_IDX), 2.0, reduce="multiply"), (3, 4),
    grad=False)
row("scatter_add", "scatter_add", lambda T, x, s: T.scatter_add(x, 1, T.tensor(_IDX), s), (3, 4), (3, 2))
row("scatter_add_smaller", "scatter_add", lambda T, x, s: x.scatter_add(0, T.tensor([[1, 1, 0, 2]]), s), (3, 4), (1, 4))
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    _domain = "nonzero" if _reduce == "prod" else "distinct"
    for _self in (True, False):
        row(f"scatter_reduce_{_reduce}{'' if _self else '_exclude_self'}", "scatter_reduce",
            lambda T, x, s, _r=_reduce, _s=_self: T.scatter_reduce(x, 1, T.tensor(_IDX), s, _r, include_self=_s),
            (3, 4), (3, 2), domain=_domain)
row("scatter_reduce_prod_zeros", "scatter_reduce",
    lambda T, x, s: (x * T.tensor([1.0, 0.0, 1.0, 1.0])).scatter_reduce(1, T.tensor(_IDX), s * T.tensor([0.0, 1.0]),
                                                                        "prod"),
    (3, 4), (3, 2), gradcheck=False)
row("scatter_reduce_amax_ties", "scatter_reduce",
    lambda T, x, s: x.scatter_reduce(0, T.tensor([[0, 0, 1]]), s * 0 + x[:1], "amax"), (2, 3), (1, 3))
row("scatter_reduce_mean_int", "scatter_reduce",
    lambda T, x, s: x.scatter_reduce(0, T.tensor([0, 0, 2]), s, "mean"), (4,), (3,), domain="int")
row("scatter_", "scatter_", lambda T, x, s: (x * 1).scatter_(1, T.tensor([[0, 2], [1, 3], [3, 0]]), s), (3, 4), (3, 2))
row("scatter__value", "scatter_", lambda T, x: (x * 1).scatter_(0, T.tensor([[2, 1, 0, 0]]), 0.5), (3, 4))
row("scatter_add_", "scatter_add_", lambda T, x, s: (x * 1).scatter_add_(1, T.tensor(_IDX), s), (3, 4), (3, 2))
row("scatter_reduce_", "scatter_reduce_",
    lambda T, x, s: (x * 1).scatter_reduce_(1, T.tensor(_IDX), s, "amin"), (3, 4), (3, 2), domain="distinct")
row("take_along_dim", "take_along_dim", lambda T, x: T.take_along_dim(x, T.tensor(_IDX), 1), (3, 4))
row("take_along_dim_broadcast", "take_along_dim", lambda T, x: x.take_along_dim(T.tensor([[2, 0]]), dim=1), (3, 4))
row("take_along_dim_flat", "take_along_dim", lambda T, x: T.take_along_dim(x, T.tensor([5, 0, 5])), (3, 4))

# -- index_select and friends, take, masks -------------------------------------------------------
row("index_select", "index_select", lambda T, x: T.index_select(x, 1, T.tensor([3, 0, 3])), (3, 4))
row("index_select_dim0", "index_select", lambda T, x: x.index_select(0, T.tensor([2, 2])), (3, 4))
row("index_select_0d_index", "index_select", lambda T, x: x.index_select(1, T.tensor(1)), (3, 4))
row("index_select_0d", "index_select", lambda T, x: x.index_select(0, T.tensor([0])), ())
row("index_add", "index_add", lambda T, x, s: T.index_add(x, 1, T.tensor([0, 2, 0]), s), (3, 4), (3, 3))
row("index_add_alpha", "index_add", lambda T, x, s: x.index_add(0, T.tensor([1]), s, alpha=2.5), (3, 4), (1, 4))
row("index_add_int", "index_add", lambda T, x, s: x.index_add(0, T.tensor([1, 1]), s), (3,), (2,), domain="int")
row("index_copy", "index_copy", lambda T, x, s: T.index_copy(x, 1, T.tensor([3, 0]), s), (3, 4), (3, 2))
row("index_fill", "index_fill", lambda T, x: T.index_fill(x, 1, T.tensor([0, -1]), -1.5), (3, 4))
row("index_fill_tensor", "index_fill", lambda T, x, v: x.index_fill(0, T.tensor([1]), v), (3, 4), ())
row("index_add_", "index_add_", lambda T, x, s: (x * 1).index_add_(1, T.tensor([1, 1]), s), (3, 4), (3, 2))
row("index_copy_", "index_copy_", lambda T, x, s: (x * 1).index_copy_(0, T.tensor([2]), s), (3, 4), (1, 4))
row("index_fill_", "index_fill_", lambda T, x: (x * 1).index_fill_(1, T.tensor([2]), 0.0), (3, 4))
row("take", "take", lambda T, x: T.take(x, T.tensor([[0, 11], [5, -1]])), (3, 4))
row("take_repeats", "take", lambda T, x: x.take(T.tensor([3, 3, 0])), (2, 2))
row("masked_select", "masked_select", lambda T, x: T.masked_select(x, x > 0), (3, 4), domain="distinct")
row("masked_select_broadcast", "masked_select", lambda T, x: x.masked_select(T.tensor([[True], [False], [True]])),
    (3, 4))
row("masked_select_input_broadcast", "masked_select", lambda T, x: x.masked_select(T.ones(2, 3, dtype=T.bool)), (3,))
row("masked_scatter", "masked_scatter", lambda T, x, s: T.masked_scatter(x, x > 0, s), (3, 4), (3, 4),
    domain="distinct")
row("masked_scatter_small_source", "masked_scatter",
    lambda T, x, s: x.masked_scatter(T.tensor([True, False, True]), s), (2, 3), (5,))
row("masked_scatter_", "masked_scatter_", lambda T, x, s: (x * 1).masked_scatter_(x < 0, s), (3, 4), (12,),
    domain="distinct")

# -- searches (integer results) ------------------------------------------------------------------
row("nonzero", "nonzero", lambda T, x: T.nonzero(x), (3, 4), domain="int")
row("nonzero_tuple", "nonzero", lambda T, x: x.nonzero(as_tuple=True), (3, 4), domain="bool")
row("nonzero_float", "nonzero", lambda T, x: x.nonzero(), (3, 4), gradcheck=False)
row("argwhere", "argwhere", lambda T, x: T.argwhere(x), (2, 3), domain="int")
row("bincount", "bincount", lambda T, x: T.bincount(x), (6,), domain="posint")
row("bincount_minlength", "bincount", lambda T, x: x.bincount(minlength=8), (6,), domain="posint")
row("bincount_weights", "bincount", lambda T, x, w: T.bincount(x, w), (5,), (5,), domain=("posint", "any"),
    grad=False)
row("searchsorted", "searchsorted",
    lambda T, v: T.searchsorted(T.tensor([-1.0, 0.0, 0.5, 2.0], dtype=v.dtype), v), (3, 2), gradcheck=False)
row("searchsorted_right_int32", "searchsorted",
    lambda T, v: T.searchsorted(T.tensor([-1, 0, 2, 2]), v, right=True, out_int32=True), (5,), domain="int")
row("searchsorted_side_sorter", "searchsorted",
    lambda T, v: T.searchsorted(T.tensor([2, -1, 0]), v, side="right", sorter=T.tensor([1, 2, 0])), (5,), domain="int")
row("searchsorted_rows", "searchsorted",
    lambda T, v: T.searchsorted(T.tensor([[-1.0, 0.0, 1.0], [-0.5, 0.5, 0.7]], dtype=v.dtype), v), (2, 3),
    gradcheck=False)
row("bucketize", "bucketize", lambda T, v: T.bucketize(v, T.tensor([-1, 0, 2])), (2, 3), domain="int")
row("bucketize_right", "bucketize", lambda T, v: T.bucketize(v, T.tensor([-1.0, 0.0, 2.0], dtype=v.dtype), right=True),
    (4,), gradcheck=False)
