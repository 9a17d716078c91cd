"""The linalg family's edge cases against torch: error types and messages, empty, 0-d, NaN/inf and
tied inputs, integer and bool inputs, views, decompositions compared through sign-invariant
quantities, and second derivatives (the op table checks first derivatives and gradcheck)."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from helpers import assert_same, check_against_torch, grad_fn_name, to_ember, to_torch

torch = pytest.importorskip("torch")


# -- errors: ember raises torch's exception type with torch's message ("torch." read as "ember.") --
def outcome(L: Any, fn: Callable[[Any], Any]) -> tuple[str, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(L)
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        name = type(e).__name__
        return ("LinAlgError" if name == "_LinAlgError" else name), str(e)
    return None


def R(L: Any, *shape: int, dtype: Any = None) -> Any:
    """A fixed, well-conditioned tensor of ``shape`` (the same on both sides)."""
    n = int(np.prod(shape))
    data = (np.arange(n) % 7 - 3.0 + 0.5 * np.arange(n) / max(n, 1)).reshape(shape)
    return L.tensor(data, dtype=dtype or L.float64)


def I(L: Any, *shape: int) -> Any:  # noqa: E743 - integer ones
    return L.ones(*shape, dtype=L.int64)


_SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
ERRORS: dict[str, Callable[[Any], Any]] = {
    # products
    "vdot_2d": lambda L: L.vdot(R(L, 2, 3), R(L, 3)),
    "vdot_dtype": lambda L: L.vdot(R(L, 3), R(L, 3, dtype=L.float32)),
    "vdot_size": lambda L: L.vdot(R(L, 3), R(L, 4)),
    "dot_dtype": lambda L: L.dot(R(L, 3), I(L, 3)),
    "outer_2d": lambda L: L.outer(R(L, 2, 3), R(L, 3)),
    "outer_2d_vec2": lambda L: L.outer(R(L, 3), R(L, 2, 3)),
    "addmm_vector": lambda L: L.addmm(R(L, 3), R(L, 3), R(L, 3, 3)),
    "addmm_vector_mat2": lambda L: L.addmm(R(L, 3), R(L, 3, 3), R(L, 3)),
    "addmm_shapes": lambda L: L.addmm(R(L, 3), R(L, 2, 3), R(L, 4, 2)),
    "addmm_input_shape": lambda L: L.addmm(R(L, 3), R(L, 2, 3), R(L, 3, 2)),
    "addmm_input_3d": lambda L: L.addmm(R(L, 2, 1, 2), R(L, 2, 3), R(L, 3, 2)),
    "addmm_dtype_mat1": lambda L: L.addmm(R(L, 2, 2), R(L, 2, 3, dtype=L.float32), R(L, 3, 2)),
    "addmm_dtype_mat2": lambda L: L.addmm(R(L, 2, 2), R(L, 2, 3), R(L, 3, 2, dtype=L.float32)),
    "addmm_dtype_input": lambda L: L.addmm(R(L, 2, 2, dtype=L.float32), R(L, 2, 3), R(L, 3, 2)),
    "addmm_bool": lambda L: L.addmm(*(L.ones(2, 2, dtype=L.bool) for _ in range(3))),
    "addmv_2d_vec": lambda L: L.addmv(R(L, 2), R(L, 2, 3), R(L, 3, 1)),
    "addmv_1d_mat": lambda L: L.addmv(R(L, 2), R(L, 3), R(L, 3)),
    "addmv_2d_input": lambda L: L.addmv(R(L, 1, 2), R(L, 2, 3), R(L, 3)),
    "addmv_shapes": lambda L: L.addmv(R(L, 2), R(L, 2, 3), R(L, 4)),
    "addmv_input_size": lambda L: L.addmv(R(L, 3), R(L, 2, 3), R(L, 3)),
    "addmv_dtype": lambda L: L.addmv(R(L, 2), R(L, 2, 3, dtype=L.float32), R(L, 3)),
    "addbmm_2d_batch1": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 3), R(L, 2, 3, 2)),
    "addbmm_1d_batch2": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 2)),
    "addbmm_2d_batch2": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 3, 2)),
    "addbmm_batches": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 3, 3, 2)),
    "addbmm_inner": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 2, 4, 2)),
    "addbmm_input": lambda L: L.addbmm(R(L, 3, 2), R(L, 2, 2, 3), R(L, 2, 3, 2)),
    "addbmm_dtype": lambda L: L.addbmm(R(L, 2, 2), R(L, 2, 2, 3, dtype=L.float32), R(L, 2, 3, 2)),
    "baddbmm_2d_batch1": lambda L: L.baddbmm(R(L, 2, 2), R(L, 2, 3), R(L, 2, 3, 2)),
    "baddbmm_4d_batch1": lambda L: L.baddbmm(R(L, 2, 2), R(L, 2, 2, 3, 1), R(L, 2, 3, 2)),
    "baddbmm_batches": lambda L: L.baddbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 3, 3, 2)),
    "baddbmm_inner": lambda L: L.baddbmm(R(L, 2, 2), R(L, 2, 2, 3), R(L, 2, 4, 2)),
    "baddbmm_input": lambda L: L.baddbmm(R(L, 3, 2), R(L, 2, 2, 3), R(L, 2, 3, 2)),
    "baddbmm_dtype_input": lambda L: L.baddbmm(I(L, 2, 2, 2), R(L, 2, 2, 2), R(L, 2, 2, 2)),
    "baddbmm_dtype_batch2": lambda L: L.baddbmm(R(L, 2, 2, 2), R(L, 2, 2, 2), R(L, 2, 2, 2, dtype=L.float32)),
    "addr_2d": lambda L: L.addr(R(L, 2, 2), R(L, 2, 2), R(L, 2)),
    "addr_2d_vec2": lambda L: L.addr(R(L, 2, 2), R(L, 2), R(L, 2, 2)),
    "addr_input": lambda L: L.addr(R(L, 3, 2), R(L, 2), R(L, 2)),
    "addr_int_alpha": lambda L: L.addr(I(L, 2, 2), I(L, 2), I(L, 2), alpha=0.5),
    "addr_int_beta": lambda L: L.addr(I(L, 2, 2), I(L, 2), I(L, 2), beta=0.5),
    "addr_bool_alpha": lambda L: L.addr(I(L, 2, 2), I(L, 2), I(L, 2), alpha=True),
    "matmul_batch1_mismatch": lambda L: L.matmul(R(L, 1, 2, 3).requires_grad_(), R(L, 2, 4, 2)),
    **{f"matmul_bool_{na}d_{nb}d": (lambda L, na=na, nb=nb: L.matmul(L.ones(*(2,) * na, dtype=L.bool),
                                                                     L.ones(*(2,) * nb, dtype=L.bool)))
       for na, nb in ((1, 1), (2, 1), (1, 2), (2, 2), (3, 1), (3, 2), (2, 3), (1, 3), (3, 3))},
    "bmm_bool": lambda L: L.bmm(L.ones(1, 2, 2, dtype=L.bool), L.ones(1, 2, 2, dtype=L.bool)),
    "bmm_dtype": lambda L: L.bmm(R(L, 1, 2, 2), R(L, 1, 2, 2, dtype=L.float32)),
    "vdot_bool": lambda L: L.vdot(L.ones(2, dtype=L.bool), L.ones(2, dtype=L.bool)),
    "baddbmm_bool": lambda L: L.baddbmm(*(L.ones(1, 2, 2, dtype=L.bool) for _ in range(3))),
    "einsum_bool": lambda L: L.einsum("ij,jk", L.ones(2, 2, dtype=L.bool), L.ones(2, 2, dtype=L.bool)),
    "tensordot_bool": lambda L: L.tensordot(L.ones(2, 2, dtype=L.bool), L.ones(2, 2, dtype=L.bool), 1),
    # contractions
    "einsum_no_operand": lambda L: L.einsum("i"),
    "einsum_fewer_operands": lambda L: L.einsum("ij,jk", R(L, 2, 3)),
    "einsum_empty_operand_list": lambda L: L.einsum("ij", []),
    "einsum_more_operands": lambda L: L.einsum("ij", R(L, 2, 3), R(L, 3)),
    "einsum_subscripts": lambda L: L.einsum("ij,jk", R(L, 2, 3), R(L, 3)),
    "einsum_subscripts_ellipsis": lambda L: L.einsum("...ijk", R(L, 2, 3)),
    "einsum_size": lambda L: L.einsum("ij,jk", R(L, 2, 3), R(L, 4, 2)),
    "einsum_repeated_size": lambda L: L.einsum("ii", R(L, 2, 3)),
    "einsum_output_twice": lambda L: L.einsum("ij->ii", R(L, 2, 3)),
    "einsum_output_unknown": lambda L: L.einsum("ij->k", R(L, 2, 3)),
    "einsum_bad_label": lambda L: L.einsum("i1", R(L, 2, 3)),
    "einsum_bad_output_label": lambda L: L.einsum("ij->i1", R(L, 2, 3)),
    "einsum_dtype": lambda L: L.einsum("ij,jk", R(L, 2, 3), R(L, 3, 2, dtype=L.float32)),
    "einsum_ellipsis_broadcast": lambda L: L.einsum("...i,...i", R(L, 2, 3), R(L, 4, 3)),
    "einsum_lone_dot": lambda L: L.einsum("i.j", R(L, 2, 3)),
    "einsum_two_ellipses": lambda L: L.einsum("...i...", R(L, 2, 3)),
    "einsum_two_output_ellipses": lambda L: L.einsum("...i->......", R(L, 2, 3)),
    "einsum_sublist_range": lambda L: L.einsum(R(L, 2, 3), [0, 60]),
    "tensordot_negative": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2), dims=-1),
    "tensordot_too_many": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2), dims=3),
    "tensordot_mismatch": lambda L: L.tensordot(R(L, 2, 3), R(L, 4, 2), dims=1),
    "tensordot_lengths": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2), dims=([1], [0, 1])),
    "tensordot_dtype": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2, dtype=L.float32), dims=1),
    "tensordot_dim_range": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2), dims=([2], [0])),
    "tensordot_repeated_dim": lambda L: L.tensordot(R(L, 3, 3), R(L, 3, 3), dims=([0, 0], [0, 1])),
    "tensordot_bad_dims": lambda L: L.tensordot(R(L, 2, 3), R(L, 3, 2), dims=1.5),
    # diagonals and triangles
    "trace_3d": lambda L: L.trace(R(L, 2, 2, 2)),
    "trace_1d": lambda L: L.trace(R(L, 2)),
    "trace_bool": lambda L: L.trace(L.ones(2, 3, dtype=L.bool)),
    "diag_3d": lambda L: L.diag(R(L, 2, 2, 2)),
    "diag_0d": lambda L: L.diag(L.tensor(1.0)),
    "diagonal_same_dims": lambda L: L.diagonal(R(L, 2, 2), 0, 0, 0),
    "diagonal_same_dims_wrapped": lambda L: L.diagonal(R(L, 2, 2), 0, 1, -1),
    "diagonal_dim_range": lambda L: L.diagonal(R(L, 2, 2), 0, 0, 2),
    "diagonal_1d": lambda L: L.diagonal(R(L, 2)),
    "diag_embed_same_dims": lambda L: L.diag_embed(R(L, 2, 3), 0, 1, 1),
    "diag_embed_dim_range": lambda L: L.diag_embed(R(L, 2, 3), 0, 0, 3),
    "tril_1d": lambda L: L.tril(R(L, 3)),
    "triu_0d": lambda L: L.triu(L.tensor(1.0)),
    "tril_leaf_inplace": lambda L: R(L, 2, 2).requires_grad_().tril_(),
    # norms
    "vector_norm_int": lambda L: L.linalg.vector_norm(I(L, 3)),
    "vector_norm_dtype_int": lambda L: L.linalg.vector_norm(R(L, 3), dtype=L.int64),
    "vector_norm_dtype_narrowing": lambda L: L.linalg.vector_norm(R(L, 3), dtype=L.float32),
    "vector_norm_int_with_dtype": lambda L: L.linalg.vector_norm(I(L, 3), dtype=L.float32),
    "vector_norm_empty_inf": lambda L: L.linalg.vector_norm(R(L, 0, 3), float("inf")),
    "vector_norm_empty_neg": lambda L: L.linalg.vector_norm(R(L, 0, 3), -1),
    "vector_norm_empty_neg_frac": lambda L: L.linalg.vector_norm(R(L, 0, 3), -0.5),
    "vector_norm_empty_dim": lambda L: L.linalg.vector_norm(R(L, 0, 3), float("-inf"), dim=0),
    "vector_norm_dims_repeated": lambda L: L.linalg.vector_norm(R(L, 2, 3), dim=(0, 0)),
    "vector_norm_dim_range": lambda L: L.linalg.vector_norm(R(L, 2, 3), dim=2),
    "vector_norm_str_ord": lambda L: L.linalg.vector_norm(R(L, 2, 3), ord="fro"),
    "matrix_norm_1d": lambda L: L.linalg.matrix_norm(R(L, 3)),
    "matrix_norm_ord": lambda L: L.linalg.matrix_norm(R(L, 3, 3), ord=3),
    "matrix_norm_frac_ord": lambda L: L.linalg.matrix_norm(R(L, 3, 3), ord=0.5),
    "matrix_norm_str_ord": lambda L: L.linalg.matrix_norm(R(L, 3, 3), ord="foo"),
    "matrix_norm_one_dim": lambda L: L.linalg.matrix_norm(R(L, 3, 3), dim=(0,)),
    "matrix_norm_three_dims": lambda L: L.linalg.matrix_norm(R(L, 2, 3, 3), dim=(0, 1, 2)),
    "matrix_norm_same_dims": lambda L: L.linalg.matrix_norm(R(L, 3, 3), dim=(0, -2)),
    "matrix_norm_int": lambda L: L.linalg.matrix_norm(I(L, 3, 3), "nuc"),
    "matrix_norm_dtype_narrowing": lambda L: L.linalg.matrix_norm(R(L, 3, 3), 2, dtype=L.float32),
    "matrix_norm_dtype_int": lambda L: L.linalg.matrix_norm(R(L, 3, 3), dtype=L.int64),
    "norm_3d_ord": lambda L: L.linalg.norm(R(L, 2, 3, 3), 2),
    "norm_3d_str": lambda L: L.linalg.norm(R(L, 2, 3, 3), "fro"),
    "norm_three_dims": lambda L: L.linalg.norm(R(L, 2, 3, 3), dim=(0, 1, 2)),
    "norm_1d_fro": lambda L: L.linalg.norm(R(L, 3), "fro"),
    "norm_str_one_dim": lambda L: L.linalg.norm(R(L, 3, 3), "nuc", dim=1),
    # cross, cdist
    "cross_length": lambda L: L.linalg.cross(R(L, 2, 2), R(L, 2, 2)),
    "cross_lengths": lambda L: L.linalg.cross(R(L, 2, 3), R(L, 2, 4)),
    "cross_ndim": lambda L: L.linalg.cross(R(L, 2, 3), R(L, 3)),
    "cross_broadcast": lambda L: L.linalg.cross(R(L, 2, 3), R(L, 4, 3)),
    "cross_dim_range": lambda L: L.linalg.cross(R(L, 3), R(L, 3), dim=2),
    "cross_dtype": lambda L: L.linalg.cross(I(L, 3), R(L, 3)),
    "cross_bool": lambda L: L.linalg.cross(L.ones(3, dtype=L.bool), L.ones(3, dtype=L.bool)),
    "cdist_half": lambda L: L.cdist(L.ones(2, 3, dtype=L.float16), L.ones(2, 3, dtype=L.float16)),
    "matrix_norm_nuc_half": lambda L: L.linalg.matrix_norm(L.ones(2, 3, dtype=L.float16), "nuc"),
    "torch_cross_no_size_3": lambda L: L.cross(R(L, 2, 2), R(L, 2, 2)),
    "torch_cross_dim": lambda L: L.cross(R(L, 2, 2), R(L, 2, 2), dim=1),
    "cdist_1d": lambda L: L.cdist(R(L, 3), R(L, 2, 3)),
    "cdist_1d_x2": lambda L: L.cdist(R(L, 2, 3), R(L, 3)),
    "cdist_columns": lambda L: L.cdist(R(L, 2, 3), R(L, 2, 4)),
    "cdist_negative_p": lambda L: L.cdist(R(L, 2, 3), R(L, 2, 3), p=-1),
    "cdist_int": lambda L: L.cdist(I(L, 2, 3), I(L, 2, 3)),
    "cdist_dtype": lambda L: L.cdist(R(L, 2, 3), R(L, 2, 3, dtype=L.float32)),
    "cdist_mode": lambda L: L.cdist(R(L, 2, 3), R(L, 2, 3), compute_mode="foo"),
    "cdist_batch": lambda L: L.cdist(R(L, 2, 2, 3), R(L, 3, 2, 3)),
    # inverses, determinants, solvers
    "inv_1d": lambda L: L.linalg.inv(R(L, 3)),
    "inv_not_square": lambda L: L.linalg.inv(R(L, 3, 4)),
    "inv_int": lambda L: L.linalg.inv(I(L, 3, 3)),
    "inv_int_1d": lambda L: L.linalg.inv(I(L, 3)),
    "inv_half": lambda L: L.linalg.inv(L.ones(3, 3, dtype=L.float16)),
    "inv_singular": lambda L: L.linalg.inv(L.tensor(_SINGULAR)),
    "inv_singular_3x3": lambda L: L.linalg.inv(L.tensor([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])),
    "inv_zeros": lambda L: L.linalg.inv(L.zeros(3, 3)),
    "inv_singular_batch": lambda L: L.linalg.inv(L.tensor(np.stack([np.eye(2), _SINGULAR]))),
    "inverse_singular": lambda L: L.inverse(L.tensor(_SINGULAR, dtype=L.float64)),
    "det_1d": lambda L: L.linalg.det(R(L, 3)),
    "det_not_square": lambda L: L.linalg.det(R(L, 3, 4)),
    "det_int": lambda L: L.det(I(L, 3, 3)),
    "det_half": lambda L: L.linalg.det(L.ones(3, 3, dtype=L.float16)),
    "slogdet_not_square": lambda L: L.linalg.slogdet(R(L, 3, 4)),
    "slogdet_int": lambda L: L.slogdet(I(L, 3, 3)),
    "logdet_int": lambda L: L.logdet(I(L, 3, 3)),
    "logdet_not_square": lambda L: L.logdet(R(L, 2, 3)),
    "solve_singular": lambda L: L.linalg.solve(L.tensor(_SINGULAR), L.ones(2)),
    "solve_singular_batch": lambda L: L.linalg.solve(L.tensor(np.stack([np.eye(2), _SINGULAR])),
                                                     L.ones(2, 2, dtype=L.float64)),
    "solve_shapes": lambda L: L.linalg.solve(R(L, 3, 3), R(L, 4, 2)),
    "solve_vector_shape": lambda L: L.linalg.solve(R(L, 3, 3), R(L, 4)),
    "solve_dtype": lambda L: L.linalg.solve(R(L, 3, 3), R(L, 3, dtype=L.float32)),
    "solve_int_b": lambda L: L.linalg.solve(R(L, 3, 3), I(L, 3)),
    "solve_not_square": lambda L: L.linalg.solve(R(L, 3, 4), R(L, 3)),
    "solve_int": lambda L: L.linalg.solve(I(L, 3, 3), I(L, 3)),
    "solve_int_1d": lambda L: L.linalg.solve(I(L, 3), I(L, 3)),
    "solve_half_1d": lambda L: L.linalg.solve(L.ones(3, dtype=L.float16), L.ones(3, dtype=L.float16)),
    "solve_half": lambda L: L.linalg.solve(L.ones(3, 3, dtype=L.float16), L.ones(3, dtype=L.float16)),
    "solve_1d_a": lambda L: L.linalg.solve(R(L, 3), R(L, 3)),
    "solve_0d_b": lambda L: L.linalg.solve(R(L, 3, 3), L.tensor(1.0, dtype=L.float64)),
    "solve_left_false_vector": lambda L: L.linalg.solve(R(L, 3, 3), R(L, 3), left=False),
    "solve_left_false_shapes": lambda L: L.linalg.solve(R(L, 3, 3), R(L, 3, 2), left=False),
    "solve_batch_broadcast": lambda L: L.linalg.solve(R(L, 2, 3, 3), R(L, 4, 3, 2)),
    "solve_batched_vector_shape": lambda L: L.linalg.solve(R(L, 2, 3, 3), R(L, 5, 2, 3)),
    # factorizations
    "cholesky_not_pd": lambda L: L.linalg.cholesky(L.tensor([[1.0, 2], [2, 1]])),
    "cholesky_not_pd_order_3": lambda L: L.linalg.cholesky(L.tensor([[1.0, 0, 0], [0, 1, 2], [0, 2, 1]])),
    "cholesky_not_pd_batch": lambda L: L.linalg.cholesky(L.tensor(np.stack([np.eye(3), -np.eye(3)]))),
    "cholesky_nan": lambda L: L.linalg.cholesky(L.full((2, 2), float("nan"))),
    "cholesky_upper_reads_upper": lambda L: L.linalg.cholesky(L.tensor([[4.0, 100], [2, 3]]), upper=True),
    "cholesky_not_square": lambda L: L.linalg.cholesky(R(L, 3, 4)),
    "cholesky_int": lambda L: L.linalg.cholesky(I(L, 3, 3)),
    "cholesky_half": lambda L: L.linalg.cholesky(L.ones(3, 3, dtype=L.float16)),
    "qr_1d": lambda L: L.linalg.qr(R(L, 3)),
    "qr_mode": lambda L: L.linalg.qr(R(L, 3, 3), mode="foo"),
    "qr_int": lambda L: L.linalg.qr(I(L, 3, 3)),
    "qr_half": lambda L: L.linalg.qr(L.ones(3, 3, dtype=L.float16)),
    "qr_half_bad_mode": lambda L: L.linalg.qr(L.ones(3, 3, dtype=L.float16), mode="x"),
    "qr_int_bad_mode": lambda L: L.linalg.qr(I(L, 3, 3), mode="x"),
    "qr_backward_mode_r": lambda L: L.linalg.qr(R(L, 3, 2).requires_grad_(), mode="r").R.sum().backward(),
    "qr_backward_complete_tall": lambda L: L.linalg.qr(R(L, 3, 2).requires_grad_(), mode="complete").Q.sum().backward(),
    "eigh_uplo": lambda L: L.linalg.eigh(R(L, 3, 3), UPLO="X"),
    "eigh_not_square": lambda L: L.linalg.eigh(R(L, 3, 4)),
    "eigh_int": lambda L: L.linalg.eigh(I(L, 3, 3)),
    "eigh_half": lambda L: L.linalg.eigh(L.ones(3, 3, dtype=L.float16)),
    "eigh_1d": lambda L: L.linalg.eigh(R(L, 3)),
    "eigh_1d_bad_uplo": lambda L: L.linalg.eigh(R(L, 3), UPLO="X"),
    "eigvalsh_uplo": lambda L: L.linalg.eigvalsh(R(L, 3, 3), UPLO="X"),
    "eigvalsh_not_square": lambda L: L.linalg.eigvalsh(R(L, 3, 4)),
    "eigvalsh_int": lambda L: L.linalg.eigvalsh(I(L, 3, 3)),
    "svd_1d": lambda L: L.linalg.svd(R(L, 3)),
    "svd_int": lambda L: L.linalg.svd(I(L, 3, 3)),
    "svd_half": lambda L: L.linalg.svd(L.ones(3, 3, dtype=L.float16)),
    "svd_driver": lambda L: L.linalg.svd(R(L, 3, 3), driver="gesvd"),
    "svd_driver_int": lambda L: L.linalg.svd(I(L, 3, 3), driver="gesvd"),
    "svd_driver_half": lambda L: L.linalg.svd(L.ones(3, 3, dtype=L.float16), driver="gesvd"),
    "svdvals_driver": lambda L: L.linalg.svdvals(R(L, 3, 3), driver="gesvd"),
    "svd_nan": lambda L: L.linalg.svd(L.full((2, 2), float("nan"))),
    "svd_nan_batch": lambda L: L.linalg.svd(L.tensor(np.stack([np.eye(2), np.full((2, 2), np.nan)]))),
    "svdvals_1d": lambda L: L.linalg.svdvals(R(L, 3)),
    "svdvals_int": lambda L: L.linalg.svdvals(I(L, 3, 3)),
    "svdvals_nan": lambda L: L.linalg.svdvals(L.full((2, 2), float("nan"))),
    "matrix_norm_2_nan": lambda L: L.linalg.matrix_norm(L.full((2, 2), float("nan")), 2),
    "pinv_1d": lambda L: L.linalg.pinv(R(L, 3)),
    "pinv_int": lambda L: L.linalg.pinv(I(L, 3, 3)),
    "pinv_half": lambda L: L.linalg.pinv(L.ones(3, 3, dtype=L.float16)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_matches_torch(name: str) -> None:
    fn = ERRORS[name]
    expected = outcome(torch, fn)
    assert expected is not None, "torch raised nothing: the case does not test an error"
    assert outcome(ember, fn) == (expected[0], expected[1].replace("torch.", "ember."))


def test_linalg_error_is_a_runtime_error() -> None:
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError):
        ember.linalg.inv(ember.zeros(2, 2))


def test_cross_without_dim_warns_like_torch() -> None:
    arrays = [np.arange(6.0).reshape(2, 3), np.ones((2, 3))]
    results = []
    for L, mk in ((ember, to_ember), (torch, lambda a: to_torch(torch, a))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(L.cross(*[mk(a) for a in arrays]))
        if L is ember:  # torch warns once per process, so its warning may already be spent
            assert [str(w.message) for w in caught] == [
                "Using ember.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                "explicitly or simply use ember.linalg.cross.\nThe default value of dim will change to agree with "
                "that of linalg.cross in a future release."]
    assert_same(*results)


# -- values at the edges: empty, 0-d, NaN/inf, ties, ints and bools -----------------------------------
def _a(values: Any, dtype: str = "float64") -> np.ndarray:
    return np.array(values, dtype=dtype)


def _e(*shape: int) -> np.ndarray:
    return np.zeros(shape)


_NAN = _a([[np.nan, 1.0], [2.0, 3.0]])
_BOOL_ADDR = (_a([[True, False], [False, False]], "bool"), _a([True, False], "bool"), _a([False, True], "bool"))
_INF = _a([[np.inf, 1.0], [2.0, 3.0]])
# name: (fn(T, *inputs), inputs[, whether to compare gradients too (default: yes)])
EDGES: dict[str, tuple[Any, ...]] = {
    # empty
    "empty_addmm_inner": (lambda T, x, a, b: T.addmm(x, a, b), (np.ones((2, 2)), _e(2, 0), _e(0, 2))),
    "empty_addmm_rows": (lambda T, x, a, b: T.addmm(x, a, b), (_e(0, 2), _e(0, 3), np.ones((3, 2)))),
    "empty_addbmm_batch": (lambda T, x, a, b: T.addbmm(x, a, b), (np.ones((2, 2)), _e(0, 2, 3), _e(0, 3, 2))),
    "empty_baddbmm": (lambda T, x, a, b: T.baddbmm(x, a, b), (_e(0, 2, 2), _e(0, 2, 3), _e(0, 3, 2))),
    "empty_addr": (lambda T, x, a, b: T.addr(x, a, b), (_e(0, 2), _e(0), np.ones(2))),
    "empty_vdot": (lambda T, a, b: T.vdot(a, b), (_e(0), _e(0))),
    "empty_outer": (lambda T, a, b: T.outer(a, b), (_e(0), np.ones(2))),
    "empty_einsum_contract": (lambda T, a, b: T.einsum("ij,jk", a, b), (_e(2, 0), _e(0, 3))),
    "empty_einsum_rows": (lambda T, a, b: T.einsum("ij,jk->ik", a, b), (_e(0, 2), np.ones((2, 3)))),
    "empty_tensordot": (lambda T, a, b: T.tensordot(a, b, 1), (_e(2, 0), _e(0, 3))),
    "empty_kron": (lambda T, a, b: T.kron(a, b), (_e(0, 2), np.ones((2, 2)))),
    "empty_trace": (lambda T, x: T.trace(x), (_e(0, 3),)),
    "empty_diag_vector": (lambda T, x: T.diag(x), (_e(0),)),
    "empty_diag_matrix": (lambda T, x: T.diag(x, 1), (_e(0, 3),)),
    "empty_diag_embed": (lambda T, x: T.diag_embed(x), (_e(2, 0),)),
    "empty_tril": (lambda T, x: T.tril(x), (_e(0, 3),)),
    "empty_cross": (lambda T, a, b: T.linalg.cross(a, b), (_e(0, 3), _e(0, 3))),
    "empty_cdist_rows": (lambda T, a, b: T.cdist(a, b), (_e(0, 3), np.ones((2, 3)))),
    "empty_cdist_columns": (lambda T, a, b: T.cdist(a, b), (_e(2, 0), _e(3, 0))),
    "empty_cdist_columns_p1": (lambda T, a, b: T.cdist(a, b, p=1), (_e(2, 0), _e(3, 0))),
    "empty_vector_norm": (lambda T, x: T.linalg.vector_norm(x), (_e(0, 3),)),
    "empty_vector_norm_inf_dim": (lambda T, x: T.linalg.vector_norm(x, float("inf"), dim=1), (_e(0, 3),)),
    "empty_vector_norm_0": (lambda T, x: T.linalg.vector_norm(x, 0), (_e(0, 3),)),
    "empty_matrix_norm": (lambda T, x: T.linalg.matrix_norm(x), (_e(0, 3),)),
    "empty_matrix_norm_1": (lambda T, x: T.linalg.matrix_norm(x, 1), (_e(2, 0, 3),)),
    "empty_inv_batch": (lambda T, x: T.linalg.inv(x), (_e(0, 3, 3),)),
    "empty_inv_0x0": (lambda T, x: T.linalg.inv(x), (_e(2, 0, 0),)),
    "empty_det_0x0": (lambda T, x: T.linalg.det(x), (_e(2, 0, 0),)),
    "empty_det_batch": (lambda T, x: T.linalg.det(x), (_e(0, 2, 2),)),
    "empty_slogdet_0x0": (lambda T, x: T.linalg.slogdet(x), (_e(0, 0),)),
    "empty_solve": (lambda T, a, b: T.linalg.solve(a, b), (_e(0, 2, 2), _e(0, 2, 1))),
    "empty_solve_columns": (lambda T, a, b: T.linalg.solve(a, b), (np.eye(2), _e(2, 0))),
    "empty_cholesky": (lambda T, x: T.linalg.cholesky(x), (_e(0, 0),)),
    "empty_qr_rows": (lambda T, x: T.linalg.qr(x), (_e(0, 3),)),
    "empty_qr_columns": (lambda T, x: T.linalg.qr(x), (_e(3, 0),)),
    "empty_eigh": (lambda T, x: T.linalg.eigh(x), (_e(2, 0, 0),)),
    "empty_svd": (lambda T, x: T.linalg.svd(x, full_matrices=False), (_e(3, 0),)),
    "empty_svd_full": (lambda T, x: T.linalg.svd(x), (_e(0, 3),)),
    "empty_svdvals": (lambda T, x: T.linalg.svdvals(x), (_e(2, 0, 3),)),
    "empty_pinv": (lambda T, x: T.linalg.pinv(x), (_e(2, 0, 3),)),
    # 0-d
    "0d_kron": (lambda T, a, b: T.kron(a, b), (_a(2.0), _a(3.0))),
    "0d_vector_norm": (lambda T, x: T.linalg.vector_norm(x), (_a(-2.0),)),
    "0d_vector_norm_keepdim": (lambda T, x: T.linalg.vector_norm(x, 1, 0, True), (_a(-2.0),)),
    "0d_einsum": (lambda T, a, b: T.einsum(",i->i", a, b), (_a(2.0), _a([1.0, 2.0]))),
    "0d_tensordot": (lambda T, a, b: T.tensordot(a, b, 0), (_a(2.0), _a([1.0, 2.0]))),
    "0d_addmv_input": (lambda T, x, a, b: T.addmv(x, a, b, beta=2), (_a(1.5), np.ones((2, 3)), np.ones(3))),
    # NaN and inf: the forward propagates them as torch's does
    "nan_addmm_beta0": (lambda T, x, a, b: T.addmm(x, a, b, beta=0), (np.full((2, 2), np.nan), np.eye(2), np.eye(2))),
    "nan_baddbmm_beta0": (lambda T, x, a, b: T.baddbmm(x, a, b, beta=0),
                          (np.full((1, 2, 2), np.nan), np.ones((1, 2, 2)), np.ones((1, 2, 2)))),
    "nan_addr_beta0": (lambda T, x, a, b: T.addr(x, a, b, beta=0), (np.full((2, 2), np.inf), np.ones(2), np.ones(2))),
    "nan_inv": (lambda T, x: T.linalg.inv(x), (np.full((2, 2), np.nan),)),
    "nan_det": (lambda T, x: T.linalg.det(x), (_NAN,)),
    "inf_det": (lambda T, x: T.linalg.det(x), (_INF,)),
    "nan_eigh": (lambda T, x: T.linalg.eigh(x), (np.full((2, 2), np.nan),)),
    "nan_vector_norm_inf": (lambda T, x: T.linalg.vector_norm(x, float("inf")), (_a([1.0, np.nan, 3.0]),)),
    "nan_vector_norm": (lambda T, x: T.linalg.vector_norm(x, 3), (_NAN,)),
    "inf_vector_norm": (lambda T, x: T.linalg.vector_norm(x, dim=1), (_INF,)),
    "inf_vector_norm_neg": (lambda T, x: T.linalg.vector_norm(x, -1, dim=0), (_INF,)),
    "inf_cdist": (lambda T, a, b: T.cdist(a, b), (_INF, np.ones((1, 2)))),
    "nan_cdist_p1": (lambda T, a, b: T.cdist(a, b, p=1), (_NAN, np.ones((1, 2)))),
    "nan_cross": (lambda T, a, b: T.linalg.cross(a, b), (_a([np.nan, 1.0, 2.0]), _a([1.0, 2.0, 3.0]))),
    "nan_trace": (lambda T, x: T.trace(x), (_NAN,)),
    "nan_einsum": (lambda T, a, b: T.einsum("ij,jk", a, b), (_NAN, np.ones((2, 2)))),
    "nan_kron": (lambda T, a, b: T.kron(a, b), (_NAN, np.ones(2))),
    # exactly singular matrices: the determinants are 0 (and -inf), the gradient of det is 0
    "singular_det": (lambda T, x: T.linalg.det(x), (_a([[1.0, 2.0], [2.0, 4.0]]),)),
    "singular_det_3x3": (lambda T, x: T.linalg.det(x), (_a([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]),)),
    "singular_det_batch": (lambda T, x: T.linalg.det(x), (np.stack([np.eye(2) * 2, np.zeros((2, 2))]),)),
    "singular_slogdet_values": (lambda T, x: T.linalg.slogdet(x), (_a([[1.0, 2.0], [2.0, 4.0]]),), False),
    "singular_logdet_value": (lambda T, x: T.logdet(x), (_a([[0.0, 0.0], [0.0, 1.0]]),), False),
    "singular_pinv": (lambda T, x: T.linalg.pinv(x), (_a([[1.0, 2.0], [2.0, 4.0]]),)),
    "singular_svdvals": (lambda T, x: T.linalg.svdvals(x), (_a([[1.0, 2.0], [2.0, 4.0]]),)),
    "singular_matrix_rank_one_nuc": (lambda T, x: T.linalg.matrix_norm(x, "nuc"), (_a([[1.0, 2.0], [2.0, 4.0]]),)),
    # ties: the max/min entries share the gradient (vector_norm), or each gets it in full (cdist)
    "tie_vector_norm_inf": (lambda T, x: T.linalg.vector_norm(x, float("inf")), (_a([1.0, -3.0, 3.0]),)),
    "tie_vector_norm_neg_inf_dim": (lambda T, x: T.linalg.vector_norm(x, float("-inf"), 1),
                                    (_a([[1.0, -1.0], [2.0, 3.0]]),)),
    "tie_matrix_norm_1": (lambda T, x: T.linalg.matrix_norm(x, 1), (_a([[1.0, -2.0], [2.0, 1.0]]),)),
    "tie_matrix_norm_inf": (lambda T, x: T.linalg.matrix_norm(x, float("inf")), (_a([[1.0, -2.0], [2.0, 1.0]]),)),
    "tie_cdist_inf": (lambda T, a, b: T.cdist(a, b, p=float("inf")), (_a([[1.0, -3.0, 3.0]]), np.zeros((1, 3)))),
    "tie_cdist_zero_distance": (lambda T, a, b: T.cdist(a, b), (_a([[1.0, 2.0]]), _a([[1.0, 2.0], [0.0, 0.0]]))),
    "tie_cdist_zero_distance_p1_5": (lambda T, a, b: T.cdist(a, b, p=1.5), (_a([[1.0, 2.0]]), _a([[1.0, 2.0]]))),
    "tie_cdist_zero_distance_p3": (lambda T, a, b: T.cdist(a, b, p=3), (_a([[1.0, 2.0]]), _a([[1.0, 2.0]]))),
    "tie_cdist_zero_diff_p0_5": (lambda T, a, b: T.cdist(a, b, p=0.5), (_a([[1.0, 2.0]]), _a([[1.0, 3.0]]))),
    "tie_cdist_mm_zero_distance": (lambda T, a, b: T.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
                                   (_a([[1.0, 2.0]]), _a([[1.0, 2.0], [0.0, 1.0]]))),
    "zero_vector_norm": (lambda T, x: T.linalg.vector_norm(x), (np.zeros(3),)),
    "zero_vector_norm_3": (lambda T, x: T.linalg.vector_norm(x, 3), (np.zeros(3),)),
    "zero_vector_norm_1_5": (lambda T, x: T.linalg.vector_norm(x, 1.5), (np.zeros(3),)),
    "zero_vector_norm_neg": (lambda T, x: T.linalg.vector_norm(x, -1), (np.zeros(3),)),
    "zero_entry_vector_norm_0_5": (lambda T, x: T.linalg.vector_norm(x, 0.5), (_a([1.0, 0.0, 3.0]),)),
    "repeated_eigenvalues_values": (lambda T, x: T.linalg.eigvalsh(x), (np.eye(3),)),
    "repeated_singular_values": (lambda T, x: T.linalg.svdvals(x), (np.eye(3) * 2,)),
    # integer and bool inputs
    "int_addmm_float_scalars": (lambda T, x, a, b: T.addmm(x, a, b, beta=1.7, alpha=2.5),
                                (_a([[1, 2], [3, 4]], "int64"), _a([[1, 2], [3, 4]], "int64"),
                                 _a([[1, 0], [2, 1]], "int64"))),
    "int_addmv_float_alpha": (lambda T, x, a, b: T.addmv(x, a, b, alpha=0.5),
                              (_a([1, 2], "int64"), _a([[1, 2], [3, 4]], "int64"), _a([1, 1], "int64"))),
    "int_addbmm": (lambda T, x, a, b: T.addbmm(x, a, b, beta=2),
                   (_a([[1, 2], [3, 4]], "int32"), _a([[[1, 2], [3, 4]]], "int32"), _a([[[1, 0], [2, 1]]], "int32"))),
    "int_baddbmm": (lambda T, x, a, b: T.baddbmm(x, a, b, alpha=3),
                    (_a([[[1, 2], [3, 4]]]), _a([[[1, 2], [3, 4]]]), _a([[[1, 0], [2, 1]]]))),
    "bool_addr_beta0": (lambda T, x, a, b: T.addr(x, a, b, beta=0), _BOOL_ADDR),
    "bool_addr_beta2": (lambda T, x, a, b: T.addr(x, a, b, beta=2), _BOOL_ADDR),
    "uint8_addr": (lambda T, x, a, b: T.addr(x, a, b), (_a([[1, 2], [3, 4]], "uint8"), _a([1, 2], "uint8"),
                                                         _a([200, 1], "uint8"))),
    "int_vdot": (lambda T, a, b: T.vdot(a, b), (_a([1, 2, 3], "int32"), _a([4, 5, 6], "int32"))),
    "int_outer_bool": (lambda T, a, b: T.outer(a, b), (_a([1, 2], "int64"), _a([True, False], "bool"))),
    "int_trace": (lambda T, x: T.trace(x), (_a([[1, 2], [3, 4]], "int32"),)),
    "uint8_trace": (lambda T, x: T.trace(x), (_a([[200, 2], [3, 200]], "uint8"),)),
    "int_diag": (lambda T, x: T.diag(x, -1), (_a([1, 2, 3], "int64"),)),
    "bool_diag_embed": (lambda T, x: T.diag_embed(x), (_a([[True, False]], "bool"),)),
    "bool_tril": (lambda T, x: T.tril(x, 1), (np.ones((3, 3), bool),)),
    "int_kron_float": (lambda T, a, b: T.kron(a, b), (_a([1, 2], "int64"), _a([0.5, 1.5]))),
    "bool_kron": (lambda T, a, b: T.kron(a, b), (_a([True, False], "bool"), _a([True, True], "bool"))),
    "int_einsum": (lambda T, a, b: T.einsum("ij,jk->ik", a, b), (_a([[1, 2]], "int64"), _a([[3], [4]], "int64"))),
    "int_einsum_mul": (lambda T, a, b: T.einsum("i,j", a, b), (_a([1, 2], "int64"), _a([0.5, 2.0]))),
    "int_tensordot": (lambda T, a, b: T.tensordot(a, b, 1), (_a([[1, 2]], "int64"), _a([[3], [4]], "int64"))),
    "int_cross": (lambda T, a, b: T.linalg.cross(a, b), (_a([1, 2, 3], "int64"), _a([4, 5, 6], "int64"))),
    "int_matmul_batch": (lambda T, a, b: T.matmul(a, b), (_a([[[1, 2]]], "int64"), _a([[3], [4]], "int64"))),
    # non-contiguous and broadcast inputs
    "noncontig_solve": (lambda T, a, b: T.linalg.solve(a.mT, b[::2]), (_a([[2.0, 1.0], [0.5, 3.0]]), np.ones((4, 2)))),
    "expanded_inv": (lambda T, x: T.linalg.inv(x.expand(3, 2, 2)), (_a([[2.0, 1.0], [0.5, 3.0]]),)),
    "strided_einsum": (lambda T, a: T.einsum("ii->i", a[::2, ::2]), (np.arange(16.0).reshape(4, 4),)),
    "transposed_cdist": (lambda T, a, b: T.cdist(a.mT, b), (np.arange(6.0).reshape(3, 2), np.ones((4, 3)))),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_values_match_torch(name: str) -> None:
    fn, arrays, *grad = EDGES[name]
    arrays = tuple(np.asarray(a) for a in arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about cross's default dim and the like
        check_against_torch(torch, lambda *xs: fn(ember, *xs), lambda *xs: fn(torch, *xs), arrays,
                            grad=grad[0] if grad else True, rtol=1e-6, atol=1e-9)


def test_singular_slogdet_gradient_is_not_finite() -> None:
    """torch's gradient at a singular matrix is inf there (an LU solve by a zero pivot); ember's is NaN:
    neither is finite, and neither raises."""
    for L in (ember, torch):
        x = L.tensor(_SINGULAR, dtype=L.float64, requires_grad=True)
        L.linalg.slogdet(x).logabsdet.backward()
        assert not np.isfinite(x.grad.numpy()).any()


# -- decompositions: reconstruction, and agreement with torch up to each vector's sign ----------------
def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (2, 1, 4, 2)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_matches_torch_up_to_signs(shape: tuple[int, ...], full_matrices: bool) -> None:
    a = _rand(*shape)
    U, S, Vh = (t.numpy() for t in ember.linalg.svd(ember.tensor(a), full_matrices=full_matrices))
    tU, tS, tVh = (t.numpy() for t in torch.linalg.svd(torch.from_numpy(a), full_matrices=full_matrices))
    assert (U.shape, S.shape, Vh.shape) == (tU.shape, tS.shape, tVh.shape)
    k = S.shape[-1]
    np.testing.assert_allclose(S, tS, rtol=1e-10)
    np.testing.assert_allclose((U[..., :k] * S[..., None, :]) @ Vh[..., :k, :], a, atol=1e-10)
    np.testing.assert_allclose(np.abs(U[..., :k]), np.abs(tU[..., :k]), atol=1e-10)
    np.testing.assert_allclose(np.abs(Vh[..., :k, :]), np.abs(tVh[..., :k, :]), atol=1e-10)
    for M in (U, Vh.swapaxes(-1, -2)):  # orthonormal columns, the extra ones of a full decomposition included
        eye = np.broadcast_to(np.eye(M.shape[-1]), M.shape[:-2] + (M.shape[-1],) * 2)
        np.testing.assert_allclose(M.swapaxes(-1, -2) @ M, eye, atol=1e-10)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_torch_up_to_signs(uplo: str) -> None:
    a = _rand(2, 4, 4, seed=1)
    L, V = (t.numpy() for t in ember.linalg.eigh(ember.tensor(a), uplo))
    tL, tV = (t.numpy() for t in torch.linalg.eigh(torch.from_numpy(a), uplo))
    np.testing.assert_allclose(L, tL, rtol=1e-10)
    np.testing.assert_allclose(np.abs(V), np.abs(tV), atol=1e-10)
    sym = np.tril(a) + np.tril(a, -1).swapaxes(-1, -2) if uplo == "L" else np.triu(a) + np.triu(a, 1).swapaxes(-1, -2)
    np.testing.assert_allclose((V * L[..., None, :]) @ V.swapaxes(-1, -2), sym, atol=1e-10)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_qr_matches_torch(mode: str, shape: tuple[int, ...]) -> None:
    a = _rand(*shape, seed=2)
    e, t = ember.linalg.qr(ember.tensor(a), mode), torch.linalg.qr(torch.from_numpy(a), mode)
    assert_same(e.Q, t.Q, atol=1e-10)
    assert_same(e.R, t.R, atol=1e-10)
    if mode != "r":
        np.testing.assert_allclose(e.Q.numpy() @ e.R.numpy(), a, atol=1e-10)


def _invariant_losses() -> dict[str, Callable[[Any, Any], Any]]:
    """Scalar losses of a decomposition that do not depend on the signs of its vectors."""
    def svd_loss(T: Any, a: Any) -> Any:
        U, S, Vh = T.linalg.svd(a, full_matrices=False)
        w = T.arange(1.0, S.shape[-1] + 1, dtype=a.dtype)
        return ((U * w) @ Vh).pow(2).sum() + (U.abs() * w).sum() + (Vh.abs().mT * w).sum() + (S * w).sum()

    def svd_full_loss(T: Any, a: Any) -> Any:
        U, S, Vh = T.linalg.svd(a)
        k = S.shape[-1]
        return (U[..., :, :k] * S.unsqueeze(-2) @ Vh[..., :k, :]).sin().sum() + U[..., :, :k].abs().sum()

    def eigh_loss(T: Any, a: Any) -> Any:
        L, V = T.linalg.eigh(a + a.mT)
        w = T.arange(1.0, L.shape[-1] + 1, dtype=a.dtype)
        return (V.abs() * w).sum() + (L * L).sum() + ((V * w) @ V.mT).pow(2).sum()

    def qr_loss(T: Any, a: Any) -> Any:
        Q, R = T.linalg.qr(a)
        return Q.sin().sum() + (R * R).sum() + R.diagonal(0, -2, -1).abs().sum()

    return {"svd": svd_loss, "svd_full": svd_full_loss, "eigh": eigh_loss, "qr": qr_loss,
            "pinv": lambda T, a: T.linalg.pinv(a).pow(3).sum(),
            "cholesky": lambda T, a: T.linalg.cholesky(a @ a.mT + 3 * T.eye(a.shape[-1], dtype=a.dtype)).exp().sum()}


@pytest.mark.parametrize(("loss", "shape"), [(loss, shape) for loss in sorted(_invariant_losses())
                                             for shape in ((4, 3), (3, 4), (2, 3, 3))
                                             if shape[-1] == shape[-2] or loss not in ("eigh", "cholesky")])
def test_gradients_of_invariant_losses_match_torch(loss: str, shape: tuple[int, ...]) -> None:
    fn = _invariant_losses()[loss]
    a = _rand(*shape, seed=3)
    check_against_torch(torch, lambda x: fn(ember, x), lambda x: fn(torch, x), [a], rtol=1e-7, atol=1e-9,
                        check_grad_fn=False)


# -- second derivatives: d/dx <grad f(x), v>, against torch's double backward --------------------------
SECOND_ORDER: dict[str, tuple[Callable[..., Any], tuple[tuple[int, ...], ...]]] = {
    "inv": (lambda T, a: T.linalg.inv(a), ((3, 3),)),
    "det": (lambda T, a: T.linalg.det(a), ((2, 3, 3),)),
    "slogdet": (lambda T, a: T.linalg.slogdet(a)[1], ((3, 3),)),
    "solve": (lambda T, a, b: T.linalg.solve(a, b), ((3, 3), (3, 2))),
    "solve_vector_right": (lambda T, a, b: T.linalg.solve(a, b, left=False), ((3, 3), (2, 3))),
    "cholesky": (lambda T, a: T.linalg.cholesky(a @ a.mT + 3 * T.eye(3, dtype=a.dtype)), ((3, 3),)),
    "qr": (lambda T, a: T.linalg.qr(a), ((4, 3),)),
    "qr_wide": (lambda T, a: T.linalg.qr(a), ((2, 3),)),
    "eigh": (lambda T, a: (lambda r: (r[0], r[1].abs()))(T.linalg.eigh(a + a.mT)), ((3, 3),)),
    "svd": (lambda T, a: (lambda r: ((r[0] * r[1].unsqueeze(-2)) @ r[2], r[0].abs(), r[1]))(
        T.linalg.svd(a, full_matrices=False)), ((4, 3),)),
    "svdvals": (lambda T, a: T.linalg.svdvals(a), ((3, 4),)),
    "pinv": (lambda T, a: T.linalg.pinv(a), ((3, 2),)),
    "matrix_norm_nuc": (lambda T, a: T.linalg.matrix_norm(a, "nuc"), ((3, 3),)),
    "vector_norm_3": (lambda T, a: T.linalg.vector_norm(a, 3, dim=1), ((2, 3),)),
    "vector_norm_0_5": (lambda T, a: T.linalg.vector_norm(a, 0.5), ((2, 3),)),
    "einsum": (lambda T, a, b: T.einsum("bij,jk->bik", a, b), ((2, 2, 3), (3, 2))),
    "tensordot": (lambda T, a, b: T.tensordot(a, b, ([0], [1])), ((2, 3), (3, 2))),
    "kron": (lambda T, a, b: T.kron(a, b) ** 2, ((2, 2), (2,))),
    "cross": (lambda T, a, b: T.linalg.cross(a, b) ** 2, ((2, 3), (2, 3))),
    "addmm": (lambda T, x, a, b: T.addmm(x, a, b, beta=0.5, alpha=2) ** 2, ((2, 2), (2, 3), (3, 2))),
    "baddbmm": (lambda T, x, a, b: T.baddbmm(x, a, b, alpha=-1) ** 2, ((2, 2, 2), (2, 2, 3), (2, 3, 2))),
    "diagonal": (lambda T, a: T.diagonal(a, 1) ** 2, ((3, 4),)),
    "diag_embed": (lambda T, a: T.diag_embed(a, -1) ** 2, ((2, 3),)),
    "trace": (lambda T, a: T.trace(a * a), ((3, 3),)),
}


def _grad_of_grad(L: Any, fn: Callable[..., Any], arrays: list[np.ndarray]) -> list[np.ndarray]:
    mk = to_ember if L is ember else (lambda a, g: to_torch(torch, a, g))
    inputs = [mk(a, True) for a in arrays]
    out = fn(L, *inputs)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(7)
    loss = sum((o * mk(rng.standard_normal(tuple(o.shape)), False)).sum() for o in outs)
    grads = L.autograd.grad(loss, inputs, create_graph=True)
    second = sum((g * mk(rng.standard_normal(tuple(g.shape)), False)).sum() for g in grads)
    return [g.detach().numpy() for g in L.autograd.grad(second, inputs)]


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_double_backward_matches_torch(name: str) -> None:
    fn, shapes = SECOND_ORDER[name]
    arrays = [_rand(*s, seed=i + 4) for i, s in enumerate(shapes)]
    for e, t in zip(_grad_of_grad(ember, fn, arrays), _grad_of_grad(torch, fn, arrays), strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-7, atol=1e-9)


# -- views, in-place variants, result types, the module -----------------------------------------------
def test_diagonal_is_a_writable_view() -> None:
    for L in (ember, torch):
        x = L.arange(9.0).reshape(3, 3)
        d = x.diagonal(1)
        d.mul_(10)
        x.diagonal().zero_()
        assert x.tolist() == [[0.0, 10.0, 2.0], [3.0, 0.0, 50.0], [6.0, 7.0, 0.0]]  # by hand: 1*10, 5*10, diag 0
        assert d.tolist() == [10.0, 50.0]


def test_inplace_variants_match_torch() -> None:
    rng = np.random.default_rng(5)
    args = {"addmm_": [(2, 3), (2, 4), (4, 3)], "addmv_": [(2,), (2, 4), (4,)],
            "addbmm_": [(2, 3), (2, 2, 4), (2, 4, 3)], "baddbmm_": [(2, 2, 3), (2, 2, 4), (2, 4, 3)],
            "addr_": [(2, 3), (2,), (3,)], "tril_": [(3, 3)], "triu_": [(3, 3)]}
    for name, shapes in args.items():
        arrays = [rng.standard_normal(s) for s in shapes]
        kwargs = {"beta": 0.5, "alpha": 2} if len(shapes) == 3 else {}

        def fn(L: Any, x: Any, *rest: Any, name: str = name, kwargs: dict = kwargs) -> Any:
            y = x * 1
            out = getattr(y, name)(*rest, **kwargs)
            assert out is y
            return out

        check_against_torch(torch, lambda *xs, fn=fn: fn(ember, *xs), lambda *xs, fn=fn: fn(torch, *xs), arrays)


def test_result_types_and_fields() -> None:
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    for L in (ember, torch):
        x = L.tensor(a)
        s = L.linalg.slogdet(x)
        assert type(s).__name__ == "linalg_slogdet" and s.sign is s[0] and s.logabsdet is s[1]
        assert type(L.slogdet(x)).__name__ == "slogdet"
        e = L.linalg.eigh(x)
        assert type(e).__name__ == "linalg_eigh" and e.eigenvalues is e[0] and e.eigenvectors is e[1]
        q = L.linalg.qr(x)
        assert type(q).__name__ == "linalg_qr" and q.Q is q[0] and q.R is q[1]
        u = L.linalg.svd(x)
        assert type(u).__name__ == "linalg_svd" and (u.U, u.S, u.Vh) == tuple(u)


def test_multi_output_nodes_number_their_outputs_like_torch() -> None:
    a = _rand(3, 3)
    names = []
    for L, mk in ((ember, to_ember), (torch, lambda x, g: to_torch(torch, x, g))):
        x = mk(a, True)
        outs = [*L.linalg.svd(x), *L.linalg.eigh(x), *L.linalg.qr(x), *L.linalg.slogdet(x), L.linalg.svdvals(x),
                L.linalg.eigvalsh(x)]
        names.append([(grad_fn_name(o), (o * 1).grad_fn.next_functions[0][1]) for o in outs])
    assert names[0] == names[1]


def test_linalg_namespace() -> None:
    from ember import linalg

    assert linalg is ember.linalg
    for name in ("inv", "det", "slogdet", "solve", "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv",
                 "norm", "matrix_norm", "vector_norm", "cross", "diagonal", "matmul", "LinAlgError"):
        assert hasattr(torch.linalg, name) and hasattr(ember.linalg, name), name
    for name in ("vdot", "outer", "ger", "addmm", "addmv", "addbmm", "baddbmm", "addr", "einsum", "tensordot", "kron",
                 "trace", "diag", "diagonal", "diag_embed", "tril", "triu", "cross", "cdist", "det", "inverse",
                 "slogdet", "logdet", "pinverse"):
        assert hasattr(ember, name) and hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name), name


def test_backward_refuses_an_output_changed_in_place() -> None:
    """A saved output of a multi-output node (here S of svd) modified in place: both refuse the backward
    (ember's message names output 0 of the node where torch's names the output's own number)."""
    a = _rand(3, 3)
    for L in (ember, torch):
        x = L.tensor(a, requires_grad=True)
        U, S, Vh = L.linalg.svd(x)
        loss = U.abs().sum() + S.sum()
        S.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
