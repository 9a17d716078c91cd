"""Op-table rows for the linalg family (see op_table.py: each call to `row`/`variants` adds rows):
products, contractions, diagonals and triangles, norms and distances, and ember.linalg.

Decompositions whose outputs carry arbitrary signs (eigenvectors, singular vectors) are compared
through sign-invariant products, so values and gradients are well defined and match torch's.
Square inputs to inverses and solvers are random normal matrices (well conditioned at these
sizes and seeds); positive-definite ones are built as ``a a^T + n I``."""
from __future__ import annotations

from typing import Any

from op_table import row, variants

DEC = {"rtol": 1e-4, "atol": 1e-5}  # float32 decompositions: LAPACK's rounding differs between builds


def _spd(T: Any, a: Any) -> Any:
    return a @ a.mT + a.shape[-1] * T.eye(a.shape[-1], dtype=a.dtype)


def _sym(a: Any) -> Any:
    return a + a.mT


def _eigh_invariant(r: Any) -> tuple[Any, Any]:
    """Eigenvalues, and each eigenvector times its own first entry (independent of its sign)."""
    return r.eigenvalues, r.eigenvectors * r.eigenvectors[..., :1, :]


def _svd_invariant(r: Any) -> tuple[Any, Any, Any]:
    """S, and U and Vh each scaled by the other's matching first entry (independent of the pair's sign)."""
    U, S, Vh = r
    k = S.shape[-1]
    U, Vh = U[..., :, :k], Vh[..., :k, :]
    return U * Vh[..., :, :1].mT, S, Vh * U[..., :1, :].mT


# -- matmul: the broadcasting cases op_table.py's rows leave out ----------------------------------
for _name, _a, _b in (("4d_4d_broadcast", (2, 1, 2, 3), (1, 2, 3, 2)), ("1d_4d", (3,), (1, 2, 3, 2)),
                      ("4d_1d", (2, 1, 2, 3), (3,)), ("3d_3d_batch1", (1, 2, 3), (2, 3, 2)),
                      ("2d_4d", (2, 3), (2, 1, 3, 2))):
    row(f"matmul_{_name}", "matmul", lambda T, a, b: T.matmul(a, b), _a, _b, composite=True)

# -- vdot, outer, and the fused beta * input + alpha * product ops --------------------------------
row("vdot", "vdot", lambda T, a, b: T.vdot(a, b), (4,), (4,))
row("vdot_method", "vdot", lambda T, a, b: a.vdot(b), (3,), (3,), grad=(False, True))
row("vdot_int", "vdot", lambda T, a, b: T.vdot(a, b), (4,), (4,), domain="int")
row("outer", "outer", lambda T, a, b: T.outer(a, b), (3,), (2,))
row("ger", "outer", lambda T, a, b: a.ger(b), (2,), (3,))
row("outer_int_float", "outer", lambda T, a, b: a.outer(b), (3,), (2,), domain=("int", "any"))
row("outer_bool", "outer", lambda T, a, b: T.outer(a, b), (3,), (2,), domain="bool")
_FUSED = {"": {}, "beta_alpha": {"beta": 0.5, "alpha": -2}, "beta0": {"beta": 0}, "alpha0": {"alpha": 0.0}}
variants("addmm", lambda T, x, a, b, **kw: T.addmm(x, a, b, **kw), ((2, 3), (2, 4), (4, 3)), "any", _FUSED)
row("addmm_broadcast_input", "addmm", lambda T, x, a, b: x.addmm(a, b), (3,), (2, 4), (4, 3))
row("addmm_int", "addmm", lambda T, x, a, b: T.addmm(x, a, b, beta=2, alpha=3), (2, 2), (2, 3), (3, 2), domain="int")
row("addmm_", "addmm_", lambda T, x, a, b: x.clone().addmm_(a, b, alpha=0.5), (2, 3), (2, 4), (4, 3))
variants("addmv", lambda T, x, a, b, **kw: T.addmv(x, a, b, **kw), ((2,), (2, 4), (4,)), "any", _FUSED)
row("addmv_0d_input", "addmv", lambda T, x, a, b: x.addmv(a, b), (), (2, 4), (4,))
row("addmv_", "addmv_", lambda T, x, a, b: x.clone().addmv_(a, b, beta=2), (2,), (2, 4), (4,))
variants("addbmm", lambda T, x, a, b, **kw: T.addbmm(x, a, b, **kw), ((2, 2), (3, 2, 2), (3, 2, 2)), "any", _FUSED)
row("addbmm_broadcast_input", "addbmm", lambda T, x, a, b: x.addbmm(a, b), (1, 2), (2, 2, 3), (2, 3, 2))
row("addbmm_", "addbmm_", lambda T, x, a, b: x.clone().addbmm_(a, b, beta=-1), (2, 2), (2, 2, 3), (2, 3, 2))
variants("baddbmm", lambda T, x, a, b, **kw: T.baddbmm(x, a, b, **kw), ((2, 2, 2), (2, 2, 3), (2, 3, 2)), "any",
         _FUSED)
row("baddbmm_broadcast_input", "baddbmm", lambda T, x, a, b: x.baddbmm(a, b), (2,), (2, 2, 3), (2, 3, 2))
row("baddbmm_", "baddbmm_", lambda T, x, a, b: x.clone().baddbmm_(a, b, alpha=2), (2, 2, 2), (2, 2, 3), (2, 3, 2))
variants("addr", lambda T, x, a, b, **kw: T.addr(x, a, b, **kw), ((3, 2), (3,), (2,)), "any", _FUSED)
row("addr_broadcast_input", "addr", lambda T, x, a, b: x.addr(a, b), (2,), (3,), (2,))
row("addr_int", "addr", lambda T, x, a, b: T.addr(x, a, b, alpha=2), (3, 2), (3,), (2,), domain="int")
row("addr_int_input", "addr", lambda T, x, a, b: T.addr(x, a, b), (3, 2), (3,), (2,), domain=("int", "any", "any"),
    composite=True)
row("addr_bool", "addr", lambda T, x, a, b: T.addr(x, a, b), (3, 2), (3,), (2,), domain="bool")
row("addr_", "addr_", lambda T, x, a, b: x.clone().addr_(a, b, beta=0.5), (3, 2), (3,), (2,))

# -- einsum (torch's graph: permutes, sums, bmm, views; ember records the same ops) ---------------
_EINSUM = {
    "mm": ("ij,jk->ik", (2, 3), (3, 2)), "mm_implicit": ("ij,jk", (2, 3), (3, 2)),
    "bmm": ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)), "ellipsis_broadcast": ("...ij,...jk", (2, 2, 3), (3, 2)),
    "dot": ("i,i", (4,), (4,)), "outer": ("i,j->ij", (3,), (2,)), "hadamard": ("ij,ij->ij", (2, 3), (2, 3)),
    "diag": ("ii->i", (3, 3)), "trace": ("ii", (3, 3)), "transpose": ("ij->ji", (2, 3)),
    "permute_ellipsis": ("...ij->...ji", (2, 2, 3)), "sum": ("ijk->j", (2, 3, 2)), "sum_all": ("ij->", (2, 3)),
    "three": ("ij,jk,kl->il", (2, 2), (2, 3), (3, 2)), "sum_one_operand": ("ij,k->jk", (2, 3), (2,)),
    "repeated_contracted": ("iij,jk->ik", (2, 2, 3), (3, 2)), "size1_broadcast": ("ij,jk->ik", (2, 1), (3, 2)),
    "bilinear": ("bn,anm,bm->ba", (2, 2), (2, 2, 3), (2, 3)), "spaces": ("i j , j k -> i k", (2, 3), (3, 2)),
    "upper_case": ("Ab,bC->AC", (2, 3), (3, 2)),
}
for _name, (_eq, *_shapes) in _EINSUM.items():
    row(f"einsum_{_name}", "einsum", lambda T, *xs, _eq=_eq: T.einsum(_eq, *xs), *_shapes, composite=True)
row("einsum_list", "einsum", lambda T, a, b: T.einsum("ij,jk", [a, b]), (2, 3), (3, 2), composite=True)
row("einsum_sublist", "einsum", lambda T, a, b: T.einsum(a, [0, 1], b, [1, 2], [0, 2]), (2, 3), (3, 2), composite=True)
row("einsum_sublist_ellipsis", "einsum", lambda T, a, b: T.einsum(a, [..., 1], b, [1, 2]), (2, 3), (3, 2),
    composite=True)
row("einsum_int", "einsum", lambda T, a, b: T.einsum("ij,jk", a, b), (2, 3), (3, 2), domain="int")
row("einsum_one_grad", "einsum", lambda T, a, b: T.einsum("ij,j->i", a, b), (2, 3), (3,), grad=(False, True),
    composite=True)

# -- tensordot, kron -------------------------------------------------------------------------------
variants("tensordot", lambda T, a, b, **kw: T.tensordot(a, b, **kw), ((2, 3, 2), (3, 2, 2)), "any",
         {"": {}, "lists": {"dims": ([0, 1], [2, 0])}, "dims0": {"dims": 0}, "neg_lists": {"dims": ([-1], [1])}},
         composite=True)
row("tensordot_dims1", "tensordot", lambda T, a, b: T.tensordot(a, b, dims=1), (2, 3), (3, 2), composite=True)
row("tensordot_broadcast_dim", "tensordot", lambda T, a, b: T.tensordot(a, b, ([1], [0])), (2, 1), (3, 2),
    composite=True)
row("tensordot_int", "tensordot", lambda T, a, b: T.tensordot(a, b, 1), (2, 3), (3, 2), domain="int")
row("kron", "kron", lambda T, a, b: T.kron(a, b), (2, 3), (2, 2), composite=True)
row("kron_ranks", "kron", lambda T, a, b: a.kron(b), (2,), (2, 3, 1), composite=True)
row("kron_0d", "kron", lambda T, a, b: T.kron(a, b), (), (2, 2), composite=True)
row("kron_int_float", "kron", lambda T, a, b: T.kron(a, b), (2, 2), (2,), domain=("int", "any"), composite=True)

# -- diagonals and triangles -----------------------------------------------------------------------
row("trace", "trace", lambda T, x: T.trace(x), (3, 3))
row("trace_rect", "trace", lambda T, x: x.trace(), (2, 4))
row("trace_int", "trace", lambda T, x: T.trace(x), (3, 3), domain="int")
variants("diag", lambda T, x, **kw: T.diag(x, **kw), ((3,),), "any",
         {"vector": {}, "vector_above": {"diagonal": 1}, "vector_below": {"diagonal": -2}})
variants("diag", lambda T, x, **kw: T.diag(x, **kw), ((3, 4),), "any",
         {"matrix": {}, "matrix_above": {"diagonal": 2}, "matrix_below": {"diagonal": -1},
          "matrix_past": {"diagonal": 5}})
row("diag_method", "diag", lambda T, x: x.diag(), (3, 3))
row("diag_int", "diag", lambda T, x: T.diag(x), (3,), domain="int")
variants("diagonal", lambda T, x, **kw: T.diagonal(x, **kw), ((3, 4),), "any",
         {"": {}, "offset": {"offset": 1}, "neg_offset": {"offset": -2}, "swapped": {"dim1": 1, "dim2": 0}})
row("diagonal_3d", "diagonal", lambda T, x: x.diagonal(1, -1, 0), (3, 1, 4))
row("linalg_diagonal", "diagonal", lambda T, x: T.linalg.diagonal(x, offset=-1), (2, 2, 3))
row("diagonal_int", "diagonal", lambda T, x: x.diagonal(), (3, 3), domain="int")
row("diagonal_then_op", "diagonal", lambda T, x: x.diagonal() * 2, (3, 3))
variants("diag_embed", lambda T, x, **kw: T.diag_embed(x, **kw), ((2, 3),), "any",
         {"": {}, "offset": {"offset": 1}, "neg_offset_dims": {"offset": -1, "dim1": 0, "dim2": 2},
          "dims_swapped": {"dim1": -1, "dim2": 0}})
row("diag_embed_method", "diag_embed", lambda T, x: x.diag_embed(), (3,))
for _op in ("tril", "triu"):
    variants(_op, lambda T, x, _op=_op, **kw: getattr(T, _op)(x, **kw), ((3, 4),), "any",
             {"": {}, "above": {"diagonal": 1}, "below": {"diagonal": -1}, "past": {"diagonal": 9}})
    row(f"{_op}_batched", _op, lambda T, x, _op=_op: getattr(x, _op)(-1), (2, 3, 2))
    row(f"{_op}_int", _op, lambda T, x, _op=_op: getattr(x, _op)(), (3, 3), domain="int")
    row(f"{_op}_bool", _op, lambda T, x, _op=_op: getattr(x, _op)(), (3, 3), domain="bool")
    row(f"{_op}_", f"{_op}_", lambda T, x, _op=_op: getattr(x.clone(), _op + "_")(1), (3, 4))

# -- norms -----------------------------------------------------------------------------------------
variants("linalg.vector_norm", lambda T, x, **kw: T.linalg.vector_norm(x, **kw), ((3, 4),), "nonzero",
         {"": {}, "ord1_dim": {"ord": 1, "dim": 1}, "ord3_keepdim": {"ord": 3, "dim": -1, "keepdim": True},
          "ord0_5": {"ord": 0.5}, "ord1_5_dims": {"ord": 1.5, "dim": (0, 1)}, "ord0": {"ord": 0, "dim": 0},
          "neg1": {"ord": -1, "dim": 1}, "neg2_5": {"ord": -2.5}, "dim_list": {"dim": [0]}, "dim_empty": {"dim": ()}})
variants("linalg.vector_norm", lambda T, x, **kw: T.linalg.vector_norm(x, **kw), ((3, 4),), "distinct",
         {"inf": {"ord": float("inf")}, "neg_inf_dim": {"ord": float("-inf"), "dim": 0, "keepdim": True}})
row("linalg.vector_norm_dtype", "linalg.vector_norm", lambda T, x: T.linalg.vector_norm(x, dtype=T.float64), (3, 4),
    dtypes=("float32",))
row("linalg.vector_norm_0d", "linalg.vector_norm", lambda T, x: T.linalg.vector_norm(x, 3, 0), (), domain="nonzero")
row("linalg.vector_norm_3d", "linalg.vector_norm", lambda T, x: T.linalg.vector_norm(x, 2, (2, 0)), (2, 3, 2))
variants("linalg.matrix_norm", lambda T, x, **kw: T.linalg.matrix_norm(x, **kw), ((2, 3, 2),), "distinct",
         {"": {}, "fro_keepdim": {"keepdim": True}, "nuc": {"ord": "nuc"},
          "nuc_dims_keepdim": {"ord": "nuc", "dim": (0, 2), "keepdim": True},
          "ord2": {"ord": 2}, "ord_neg2_keepdim": {"ord": -2, "keepdim": True}, "ord1": {"ord": 1},
          "ord_neg1_dims": {"ord": -1, "dim": (2, 0)}, "inf": {"ord": float("inf")},
          "neg_inf_keepdim": {"ord": float("-inf"), "dim": (-1, 1), "keepdim": True}}, composite=True)
row("linalg.matrix_norm_dtype", "linalg.matrix_norm", lambda T, x: T.linalg.matrix_norm(x, "nuc", dtype=T.float64),
    (3, 2), dtypes=("float32",), composite=True)
variants("linalg.norm", lambda T, x, **kw: T.linalg.norm(x, **kw), ((3, 4),), "distinct",
         {"": {}, "ord_matrix": {"ord": 1}, "ord_nuc": {"ord": "nuc"}, "dim_vector": {"ord": 3, "dim": 1},
          "dims_matrix": {"ord": -2, "dim": (1, 0), "keepdim": True}, "dim_default_ord": {"dim": 0}},
         composite=True)
row("linalg.norm_vector", "linalg.norm", lambda T, x: T.linalg.norm(x, float("inf")), (4,), domain="distinct")
row("linalg.norm_3d", "linalg.norm", lambda T, x: T.linalg.norm(x), (2, 3, 2))

# -- cross, cdist ------------------------------------------------------------------------------------
row("linalg.cross", "linalg.cross", lambda T, a, b: T.linalg.cross(a, b), (2, 3), (2, 3))
row("linalg.cross_broadcast", "linalg.cross", lambda T, a, b: T.linalg.cross(a, b), (2, 3), (1, 3))
row("linalg.cross_dim", "linalg.cross", lambda T, a, b: T.linalg.cross(a, b, dim=0), (3, 2), (3, 2))
row("linalg.cross_int", "linalg.cross", lambda T, a, b: T.linalg.cross(a, b), (3,), (3,), domain="int")
row("cross", "cross", lambda T, a, b: T.cross(a, b, dim=1), (2, 3), (2, 3))
row("cross_method", "cross", lambda T, a, b: a.cross(b, -1), (3,), (3,), grad=(True, False))
variants("cdist", lambda T, a, b, **kw: T.cdist(a, b, **kw), ((3, 2), (2, 2)), "distinct",
         {"": {}, "p1": {"p": 1.0}, "p0": {"p": 0.0}, "p0_5": {"p": 0.5}, "p1_5": {"p": 1.5}, "p3": {"p": 3.0},
          "inf": {"p": float("inf")}, "no_mm": {"compute_mode": "donot_use_mm_for_euclid_dist"}})
row("cdist_mm", "cdist", lambda T, a, b: T.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), (3, 2), (2, 2),
    domain="distinct", composite=True)
row("cdist_batched", "cdist", lambda T, a, b: T.cdist(a, b), (2, 2, 3), (1, 2, 3))
row("cdist_mm_batched", "cdist", lambda T, a, b: T.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), (2, 2, 2),
    (1, 2, 2), composite=True)
row("cdist_many_rows", "cdist", lambda T, a, b: T.cdist(a, b), (26, 2), (2, 2), domain="distinct", composite=True,
    gradcheck=False)

# -- inverses, determinants, solvers ------------------------------------------------------------------
row("linalg.inv", "linalg.inv", lambda T, a: T.linalg.inv(a), (3, 3), **DEC)
row("linalg.inv_batched", "linalg.inv", lambda T, a: T.linalg.inv(a), (2, 2, 2), **DEC)
row("inverse", "linalg.inv", lambda T, a: T.inverse(a), (2, 2), **DEC)
row("inverse_method", "linalg.inv", lambda T, a: a.inverse(), (3, 3), **DEC)
row("linalg.det", "linalg.det", lambda T, a: T.linalg.det(a), (3, 3), **DEC)
row("linalg.det_batched", "linalg.det", lambda T, a: T.linalg.det(a), (3, 2, 2), **DEC)
row("det", "linalg.det", lambda T, a: T.det(a), (2, 2), **DEC)
row("det_method", "linalg.det", lambda T, a: a.det(), (1, 1), **DEC)
row("linalg.slogdet", "linalg.slogdet", lambda T, a: T.linalg.slogdet(a), (3, 3), **DEC)
row("linalg.slogdet_batched", "linalg.slogdet", lambda T, a: T.linalg.slogdet(a), (2, 2, 2), **DEC)
row("slogdet", "slogdet", lambda T, a: T.slogdet(a), (3, 3), **DEC)
row("slogdet_method_logabsdet", "slogdet", lambda T, a: a.slogdet()[1], (2, 2), **DEC)
row("logdet", "logdet", lambda T, a: T.logdet(_spd(T, a)), (3, 3), composite=True, **DEC)
row("logdet_any_sign", "logdet", lambda T, a: a.logdet(), (2, 2), composite=True, gradcheck=False, **DEC)
row("linalg.solve", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (3, 3), (3, 2), **DEC)
row("linalg.solve_vector", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (3, 3), (3,), **DEC)
row("linalg.solve_batched_vectors", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (2, 2, 2), (2, 2), **DEC)
row("linalg.solve_broadcast", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (2, 1, 2, 2), (3, 2, 1), **DEC)
row("linalg.solve_vector_broadcast", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (2, 2, 2), (2,), **DEC)
row("linalg.solve_right", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b, left=False), (2, 2), (3, 2), **DEC)
row("linalg.solve_only_b", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (3, 3), (3, 1), grad=(False, True),
    **DEC)
row("linalg.solve_only_a", "linalg.solve", lambda T, a, b: T.linalg.solve(a, b), (3, 3), (3, 1), grad=(True, False),
    **DEC)

# -- factorizations ---------------------------------------------------------------------------------
row("linalg.cholesky", "linalg.cholesky", lambda T, a: T.linalg.cholesky(_spd(T, a)), (3, 3), composite=True, **DEC)
row("linalg.cholesky_upper", "linalg.cholesky", lambda T, a: T.linalg.cholesky(_spd(T, a), upper=True), (2, 2, 2),
    composite=True, **DEC)
row("linalg.cholesky_direct", "linalg.cholesky", lambda T, a: T.linalg.cholesky(a), (1, 1), domain="positive", **DEC)
row("linalg.qr", "linalg.qr", lambda T, a: T.linalg.qr(a), (3, 2), **DEC)
row("linalg.qr_square_complete", "linalg.qr", lambda T, a: T.linalg.qr(a, "complete"), (3, 3), **DEC)
row("linalg.qr_wide", "linalg.qr", lambda T, a: T.linalg.qr(a), (2, 4), **DEC)
row("linalg.qr_complete_wide", "linalg.qr", lambda T, a: T.linalg.qr(a, mode="complete"), (2, 2, 3), **DEC)
row("linalg.qr_batched", "linalg.qr", lambda T, a: T.linalg.qr(a), (2, 3, 2), **DEC)
row("linalg.qr_only_r", "linalg.qr", lambda T, a: T.linalg.qr(a)[1], (3, 3), **DEC)
row("linalg.qr_only_q", "linalg.qr", lambda T, a: T.linalg.qr(a).Q, (2, 3), **DEC)
row("linalg.qr_mode_r", "linalg.qr", lambda T, a: T.linalg.qr(a, mode="r"), (3, 2), grad=False, **DEC)
row("linalg.eigh", "linalg.eigh", lambda T, a: _eigh_invariant(T.linalg.eigh(_sym(a))), (3, 3), composite=True, **DEC)
row("linalg.eigh_upper_batched", "linalg.eigh", lambda T, a: _eigh_invariant(T.linalg.eigh(_sym(a), UPLO="U")),
    (2, 2, 2), composite=True, **DEC)
row("linalg.eigh_values", "linalg.eigh", lambda T, a: T.linalg.eigh(_sym(a))[0], (3, 3), composite=True, **DEC)
row("linalg.eigh_direct", "linalg.eigh", lambda T, a: T.linalg.eigh(a).eigenvalues, (3, 3), gradcheck=False, **DEC)
row("linalg.eigvalsh", "linalg.eigvalsh", lambda T, a: T.linalg.eigvalsh(a, "U"), (3, 3), gradcheck=False, **DEC)
row("linalg.eigvalsh_sym", "linalg.eigvalsh", lambda T, a: T.linalg.eigvalsh(_sym(a)), (2, 2, 2), composite=True,
    **DEC)
for _name, _shape in (("tall", (3, 2)), ("wide", (2, 3)), ("square_batched", (2, 2, 2))):
    row(f"linalg.svd_{_name}", "linalg.svd", lambda T, a: _svd_invariant(T.linalg.svd(a, full_matrices=False)), _shape,
        composite=True, **DEC)
    row(f"linalg.svd_full_{_name}", "linalg.svd", lambda T, a: _svd_invariant(T.linalg.svd(a)), _shape, composite=True,
        **DEC)
row("linalg.svd_values", "linalg.svd", lambda T, a: T.linalg.svd(a).S, (3, 2), composite=True, **DEC)
row("linalg.svdvals", "linalg.svdvals", lambda T, a: T.linalg.svdvals(a), (3, 2), **DEC)
row("linalg.svdvals_batched", "linalg.svdvals", lambda T, a: T.linalg.svdvals(a), (2, 2, 3), **DEC)
row("linalg.pinv", "linalg.pinv", lambda T, a: T.linalg.pinv(a), (3, 2), **DEC)
row("linalg.pinv_wide_batched", "linalg.pinv", lambda T, a: T.linalg.pinv(a), (2, 2, 3), **DEC)
row("linalg.pinv_hermitian", "linalg.pinv", lambda T, a: T.linalg.pinv(_sym(a), hermitian=True), (3, 3),
    composite=True, rtol=1e-3, atol=1e-4)
row("linalg.pinv_rtol", "linalg.pinv", lambda T, a: T.linalg.pinv(a, rtol=0.01), (2, 2), **DEC)
row("linalg.pinv_atol", "linalg.pinv", lambda T, a: T.linalg.pinv(a, atol=1e-3), (2, 3), **DEC)
row("pinverse", "pinverse", lambda T, a: T.pinverse(a), (3, 2), **DEC)
row("pinverse_method", "pinverse", lambda T, a: a.pinverse(rcond=1e-3), (2, 3), **DEC)
