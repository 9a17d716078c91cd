"""Op-table rows for the reduction family (see op_table.py: each call to `row`/`variants` adds rows):
sums and products, moments, extrema, norms, scans, sorting and order statistics."""
from __future__ import annotations

from op_table import row, variants

# -- sum, mean, prod: the overload without dim is ...Backward0, any dim (even None) ...Backward1 --
row("sum_dim_none", "sum", lambda T, x: x.sum(None), (2, 3))
row("sum_dim_empty", "sum", lambda T, x: T.sum(x, ()), (2, 3))
row("sum_dims_list_keepdim", "sum", lambda T, x: x.sum([0, -1], keepdim=True), (2, 3, 2))
row("sum_dtype_dim", "sum", lambda T, x: x.sum(1, dtype=T.float64), (2, 3), dtypes=("float32",))
row("sum_uint8", "sum", lambda T, x: x.sum(0), (3, 2), domain="uint8")
row("mean_dim_none", "mean", lambda T, x: T.mean(x, None, True), (2, 3))
row("mean_int_dtype", "mean", lambda T, x: x.mean(1, dtype=T.float32), (2, 3), domain="int")
variants("prod", lambda T, x, **kw: T.prod(x, **kw), ((2, 3),), "any",
         {"": {}, "dim": {"dim": 1}, "neg_dim_keepdim": {"dim": -2, "keepdim": True}})
row("prod_3d", "prod", lambda T, x: x.prod(1), (2, 3, 2))
row("prod_0d", "prod", lambda T, x: x.prod(), ())
row("prod_0d_dim", "prod", lambda T, x: x.prod(0), ())
row("prod_dtype", "prod", lambda T, x: x.prod(0, dtype=T.float64), (3, 2), dtypes=("float32",))
row("prod_int", "prod", lambda T, x: x.prod(), (2, 3), domain="int")
row("prod_bool_dim", "prod", lambda T, x: x.prod(1), (2, 3), domain="bool")

# -- moments: the correction, unbiased and positional overloads all make the same node -------------
for _op in ("var", "std"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "any",
             {"": {}, "dim": {"dim": 1}, "dims_keepdim": {"dim": (0, 1), "keepdim": True},
              "unbiased_false": {"dim": 0, "unbiased": False}, "correction": {"dim": -1, "correction": 0},
              "correction_float": {"correction": 2.5}, "dim_none_keepdim": {"dim": None, "keepdim": True}})
    row(f"{_op}_positional", _op, lambda T, x, _op=_op: getattr(x, _op)(1, False, True), (3, 4))
    row(f"{_op}_unbiased_only", _op, lambda T, x, _op=_op: getattr(x, _op)(False), (3, 4))
    # a 0-d std is 0, where std is not differentiable (torch's double backward gives nan there too)
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(0, correction=0), (), gradcheck=_op == "var")
for _op in ("var_mean", "std_mean"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "any",
             {"": {}, "dim": {"dim": 1}, "keepdim_correction": {"dim": 0, "keepdim": True, "correction": 0}})
    row(f"{_op}_first_only", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 1)[0], (3, 4))
    row(f"{_op}_mean_only", _op, lambda T, x, _op=_op: getattr(T, _op)(x, 0)[1], (3, 4))

# -- logsumexp ---------------------------------------------------------------------------------
variants("logsumexp", lambda T, x, **kw: T.logsumexp(x, **kw), ((3, 4),), "any",
         {"": {"dim": 1}, "dims": {"dim": (0, 1)}, "keepdim": {"dim": -2, "keepdim": True},
          "empty_keepdim": {"dim": (), "keepdim": True}})
row("logsumexp_0d", "logsumexp", lambda T, x: x.logsumexp(0), ())
row("logsumexp_int", "logsumexp", lambda T, x: x.logsumexp(1), (2, 3), domain="int")

# -- extrema -----------------------------------------------------------------------------------
for _op in ("amax", "amin"):
    row(f"{_op}_dim_none", _op, lambda T, x, _op=_op: getattr(x, _op)(None), (3, 4), domain="distinct")
    row(f"{_op}_bool", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (3, 4), domain="bool")
variants("aminmax", lambda T, x, **kw: T.aminmax(x, **kw), ((3, 4),), "distinct",
         {"": {}, "dim": {"dim": 1}, "dim_keepdim": {"dim": -2, "keepdim": True}, "keepdim": {"keepdim": True}})
row("aminmax_min_only", "aminmax", lambda T, x: x.aminmax(dim=0).min, (3, 4), domain="distinct")
row("aminmax_max_only", "aminmax", lambda T, x: x.aminmax().max, (3, 4), domain="distinct")
row("aminmax_0d", "aminmax", lambda T, x: x.aminmax(), (), domain="distinct")
row("aminmax_int", "aminmax", lambda T, x: T.aminmax(x, dim=0), (3, 4), domain="int")
for _op in ("argmax", "argmin"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "distinct",
             {"": {}, "dim": {"dim": 1}, "keepdim": {"dim": -2, "keepdim": True}, "all_keepdim": {"keepdim": True}},
             gradcheck=False)
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (3, 4), domain="int")
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(), (), domain="distinct", gradcheck=False)

# -- torch.norm / Tensor.norm (implemented in ops/norms.py on linalg's vector_norm / matrix_norm) --------
variants("norm", lambda T, x, **kw: T.norm(x, **kw), ((3, 4),), "nonzero",
         {"fn": {}, "fn_fro_dim": {"p": "fro", "dim": 1}, "fn_fro_dims": {"p": "fro", "dim": (0, 1), "keepdim": True},
          "fn_p1": {"p": 1}, "fn_p3_dim": {"p": 3, "dim": 0}, "fn_p1_5": {"p": 1.5, "dim": -1},
          "fn_p0_5": {"p": 0.5}, "fn_p0": {"p": 0}, "fn_neg1": {"p": -1, "dim": 1}, "fn_none": {"p": None, "dim": [0]}})
variants("norm", lambda T, x, **kw: x.norm(**kw), ((3, 4),), "distinct",
         {"method_inf": {"p": float("inf")}, "method_neg_inf_dim": {"p": float("-inf"), "dim": 1, "keepdim": True}})
row("norm_method_dtype", "norm", lambda T, x: x.norm(dtype=T.float64), (3, 4), dtypes=("float32",))
row("norm_method_0d", "norm", lambda T, x: x.norm(3), (), domain="nonzero")
row("norm_method_3d_dims", "norm", lambda T, x: x.norm(2, (0, 2)), (2, 3, 2))
row("norm_method_nuc", "norm", lambda T, x: x.norm("nuc"), (3, 2), composite=True)
row("norm_fn_nuc_batched_keepdim", "norm", lambda T, x: T.norm(x, "nuc", (2, 0), True), (2, 2, 3),
    composite=True)

# -- counting and logic ------------------------------------------------------------------------
variants("count_nonzero", lambda T, x, **kw: T.count_nonzero(x, **kw), ((3, 4),), "int",
         {"": {}, "dim": {"dim": 1}, "dims": {"dim": (0, 1)}})
row("count_nonzero_bool", "count_nonzero", lambda T, x: x.count_nonzero(0), (3, 4), domain="bool")
for _op in ("all", "any"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "bool",
             {"": {}, "dim": {"dim": 1}, "dims_keepdim": {"dim": (0, 1), "keepdim": True}})
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (3, 4), domain="int")
    row(f"{_op}_uint8", _op, lambda T, x, _op=_op: getattr(x, _op)(), (3, 4), domain="uint8")
    row(f"{_op}_float", _op, lambda T, x, _op=_op: getattr(x, _op)(-1), (3, 4), grad=False)

# -- scans ------------------------------------------------------------------------------------
for _op in ("cumsum", "cumprod"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "any",
             {"": {"dim": 1}, "neg_dim": {"dim": -2}})
    row(f"{_op}_dtype", _op, lambda T, x, _op=_op: getattr(x, _op)(0, dtype=T.float64), (3, 2), dtypes=("float32",))
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(0), ())
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(1), (3, 4), domain="int")
    row(f"{_op}_bool", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (3, 4), domain="bool")
    row(f"{_op}_", f"{_op}_", lambda T, x, _op=_op: getattr(x.clone(), _op + "_")(1), (3, 4))
for _op in ("cummax", "cummin"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "distinct",
             {"": {"dim": 1}, "neg_dim": {"dim": -2}})
    row(f"{_op}_0d", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (), domain="distinct")
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (4, 3), domain="int")

# -- sorting and order statistics ---------------------------------------------------------------
variants("sort", lambda T, x, **kw: T.sort(x, **kw), ((3, 4),), "distinct",
         {"": {}, "dim": {"dim": 0}, "descending": {"dim": -1, "descending": True},
          "stable": {"stable": True}, "stable_descending": {"dim": 0, "descending": True, "stable": True}})
row("sort_0d", "sort", lambda T, x: x.sort(), (), domain="distinct")
row("sort_int", "sort", lambda T, x: x.sort(0, True), (4, 3), domain="int")
row("msort", "msort", lambda T, x: T.msort(x), (4, 3), domain="distinct")
variants("argsort", lambda T, x, **kw: T.argsort(x, **kw), ((3, 4),), "distinct",
         {"": {}, "dim_descending": {"dim": 0, "descending": True}, "stable": {"stable": True}}, gradcheck=False)
row("argsort_int", "argsort", lambda T, x: x.argsort(descending=True, stable=True), (3, 4), domain="int")
variants("topk", lambda T, x, **kw: T.topk(x, **kw), ((3, 4),), "distinct",
         {"": {"k": 2}, "dim": {"k": 2, "dim": 0}, "smallest": {"k": 3, "largest": False},
          "unsorted": {"k": 3, "sorted": False}, "all": {"k": 4}, "zero": {"k": 0}})
row("topk_0d", "topk", lambda T, x: x.topk(1), (), domain="distinct")
row("topk_int", "topk", lambda T, x: x.topk(2, 0), (4, 3), domain="int")
variants("kthvalue", lambda T, x, **kw: T.kthvalue(x, **kw), ((3, 4),), "distinct",
         {"": {"k": 2}, "dim_keepdim": {"k": 3, "dim": 0, "keepdim": True}, "last": {"k": 4}})
row("kthvalue_0d", "kthvalue", lambda T, x: x.kthvalue(1), (), domain="distinct")
row("kthvalue_int", "kthvalue", lambda T, x: x.kthvalue(2, 0), (4, 3), domain="int")
for _op in ("median", "nanmedian"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "distinct",
             {"": {}, "dim": {"dim": 1}, "dim_keepdim": {"dim": 0, "keepdim": True}})
    row(f"{_op}_odd", _op, lambda T, x, _op=_op: getattr(x, _op)(), (3, 3), domain="distinct")
    row(f"{_op}_0d_dim", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (), domain="distinct")
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(0), (4, 3), domain="int")
variants("mode", lambda T, x, **kw: T.mode(x, **kw), ((3, 4),), "distinct",
         {"": {}, "dim_keepdim": {"dim": 0, "keepdim": True}})
row("mode_0d", "mode", lambda T, x: x.mode(), (), domain="distinct")
row("mode_int", "mode", lambda T, x: x.mode(0), (6, 3), domain="int")
variants("unique", lambda T, x, **kw: T.unique(x, **kw), ((3, 4),), "int",
         {"": {}, "inverse_counts": {"return_inverse": True, "return_counts": True}, "unsorted": {"sorted": False},
          "dim": {"dim": 1, "return_inverse": True, "return_counts": True}, "dim0": {"dim": 0}})
row("unique_float", "unique", lambda T, x: x.unique(return_counts=True), (3, 4), grad=False)
row("unique_bool", "unique", lambda T, x: x.unique(return_inverse=True), (3, 4), domain="bool")
