"""Spectral decompositions: linalg.eigh, eigvalsh, svd, svdvals, pinv.

The rules are the classical perturbation results, as torch writes them (FunctionsManual's
linalg_eig_backward, svd_backward, pinv_backward): finite where the eigenvalues (singular values)
are distinct, and invariant under the sign of each eigenvector (singular vector pair), so only
losses that share that invariance have a meaningful gradient.
"""
from __future__ import annotations

from typing import Any

from ember import return_types
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops.decompositions import (
    LinAlgError,
    attach_outputs,
    check_float,
    check_matrix,
    first_failure,
    multi_output_class,
    raises,
)
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["pinverse"]

_T = lambda F, a: F.transpose(a, -1, -2)  # noqa: E731


def _ones_diagonal(F: Any, values: Any) -> Any:
    """Diagonal matrices of ones, batched like ``values`` (a batch of vectors)."""
    return F.diag_embed(values * 0 + 1)


# -- eigh ----------------------------------------------------------------------------------------
def _eigh_grad(F: Any, grads: Any, L: Any, V: Any) -> Any:
    # gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = L_j - L_i: symmetric, like torch's
    gL, gV = grads
    inner = 0
    if gV is not None:
        VtgV = F.matmul(_T(F, V), gV)
        E = F.unsqueeze(L, -2) - F.unsqueeze(L, -1) + _ones_diagonal(F, L)
        inner = 0.5 * (VtgV - _T(F, VtgV)) / E
    if gL is not None:
        inner = inner + F.diag_embed(gL)
    return F.matmul(F.matmul(V, inner), _T(F, V))


_Eigh = multi_output_class("LinalgEighBackward0", ("L", "V"), _eigh_grad)


def _eigh(A: Tensor, UPLO: str, vectors: bool) -> tuple[Tensor, Tensor | None]:
    x = A._data
    check_matrix("linalg.eigh", x)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    if x.dtype.kind != "f" or x.dtype == xp.float16:
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{A.dtype.scalar_name}'")
    record = A._requires_grad and grad_state.enabled
    if vectors or record:
        L, V = xp.linalg.eigh(x, UPLO)
    else:
        L, V = xp.linalg.eigvalsh(x, UPLO), None
    outs = Tensor._make(L), Tensor._make(V if V is not None else xp.zeros((0,), x.dtype))
    if record:
        attach_outputs(outs, _Eigh, (A,), {"L": L, "V": V})
    return outs


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix (read from its ``UPLO`` triangle),
    eigenvalues ascending, ``A = V diag(L) V^T``."""
    return return_types.linalg_eigh(*_eigh(A, UPLO, True))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending."""
    return _eigh(A, UPLO, False)[0]


# -- svd -----------------------------------------------------------------------------------------
def _svd_grad(F: Any, grads: Any, U: Any, S: Any, Vh: Any, full_matrices: bool) -> Any:
    gU, gS, gVh = grads
    m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
    if full_matrices:  # the columns beyond min(m, n) are arbitrary: their gradients are dropped
        cols, rows = (Ellipsis, slice(None), slice(0, k)), (Ellipsis, slice(0, k), slice(None))
        U, Vh = F.getitem(U, cols), F.getitem(Vh, rows)
        gU = None if gU is None else F.getitem(gU, cols)
        gVh = None if gVh is None else F.getitem(gVh, rows)
    if gU is None and gVh is None:
        return F.matmul(U * F.unsqueeze(gS, -2), Vh)
    skew = lambda X: X - _T(F, X)  # noqa: E731
    S2 = S * S
    E = F.unsqueeze(S2, -2) - F.unsqueeze(S2, -1) + _ones_diagonal(F, S)
    col, row = F.unsqueeze(S, -2), F.unsqueeze(S, -1)
    if gU is not None and gVh is not None:
        gA = (skew(F.matmul(_T(F, U), gU)) * col + row * skew(F.matmul(Vh, _T(F, gVh)))) / E
    elif gU is not None:
        gA = skew(F.matmul(_T(F, U), gU)) / E * col
    else:
        gA = row * skew(F.matmul(Vh, _T(F, gVh))) / E
    if gS is not None:
        gA = gA + F.diag_embed(gS)
    if m > n and gU is not None:  # the part of gU outside U's span
        gA = F.matmul(U, gA)
        gUSinv = gU / col
        gA = F.matmul(gA + gUSinv - F.matmul(U, F.matmul(_T(F, U), gUSinv)), Vh)
    elif m < n and gVh is not None:
        gA = F.matmul(gA, Vh)
        SinvgVh = gVh / row
        gA = F.matmul(U, gA + SinvgVh - F.matmul(F.matmul(SinvgVh, _T(F, Vh)), Vh))
    else:
        gA = F.matmul(F.matmul(U, gA), Vh)
    return gA


_Svd = multi_output_class("LinalgSvdBackward0", ("U", "S", "Vh"), _svd_grad)


def _svd(A: Tensor, full_matrices: bool, vectors: bool, driver: str | None) -> tuple[Tensor, Tensor, Tensor]:
    x = A._data
    check_matrix("linalg.svd", x, square=False)
    if x.dtype.kind != "f":
        check_float("linalg.svd", x)
    if driver is not None:
        raise RuntimeError("ember.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    check_float("linalg.svd", x, "linalg_svd_cpu")
    record = A._requires_grad and grad_state.enabled
    try:
        if vectors or record:
            U, S, Vh = xp.linalg.svd(x, full_matrices=full_matrices)
        else:
            U = Vh = xp.zeros((0,), x.dtype)
            S = xp.linalg.svd(x, compute_uv=False)
    except xp.linalg.LinAlgError:
        prefix, _ = first_failure(x, lambda m: raises(xp.linalg.svd, m))
        raise LinAlgError(f"linalg.svd: {prefix}The algorithm failed to converge because the input matrix contained "
                          "non-finite values.") from None
    outs = Tensor._make(U), Tensor._make(S), Tensor._make(Vh)
    if record:
        attach_outputs(outs, _Svd, (A,), {"U": U, "S": S, "Vh": Vh, "full_matrices": full_matrices})
    return outs


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending (``full_matrices``:
    ``U`` and ``Vh`` square)."""
    return return_types.linalg_svd(*_svd(A, full_matrices, True, driver))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values of each matrix, descending."""
    return _svd(A, False, False, driver)[1]


# -- pinv ----------------------------------------------------------------------------------------
def _pinv_grad(F: Any, grad: Any, x: Any, result: Any) -> Any:
    # the derivative of the Moore-Penrose inverse for constant rank (torch's pinv_backward)
    m, n = x.shape[-2], x.shape[-1]
    P, Ph, gh = result, _T(F, result), _T(F, grad)
    if m <= n:
        K = F.matmul(gh, P)
        KPh = F.matmul(K, Ph)
        return (-_T(F, F.matmul(P, K)) + KPh - F.matmul(F.matmul(x, P), KPh)
                + F.matmul(F.matmul(Ph, P), gh - F.matmul(K, x)))
    K = F.matmul(P, gh)
    PhK = F.matmul(Ph, K)
    return (-_T(F, F.matmul(K, P)) + F.matmul(F.matmul(gh - F.matmul(x, K), P), Ph) + PhK
            - F.matmul(F.matmul(PhK, P), x))


_Pinv = node_class("LinalgPinvBackward0", _pinv_grad)


def _tolerance(value: Any) -> Any:
    return value._data.astype(xp.float64) if isinstance(value, Tensor) else xp.float64(value)


def pinv(A: Tensor, rcond: Any = None, hermitian: bool = False, *, atol: Any = None, rtol: Any = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse: singular values below ``max(atol, rtol * largest)`` count as
    zero (default ``rtol``: machine epsilon times the larger dimension, unless ``atol > 0``).
    ``rcond`` is the older name of ``rtol``; ``hermitian`` uses an eigendecomposition."""
    x = A._data
    if x.dtype not in (xp.float32, xp.float64) or x.ndim < 2:
        raise RuntimeError(f"linalg.pinv({A.dtype.scalar_name}{{{list(x.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        rtol = rcond
    m, n = x.shape[-2:]
    if x.size == 0:
        data = xp.zeros(x.shape[:-2] + (n, m), x.dtype)
    else:
        atol_v = xp.float64(0) if atol is None else _tolerance(atol)
        if rtol is not None:
            rtol_v = _tolerance(rtol)
        else:
            default = xp.finfo(x.dtype).eps * max(m, n)
            rtol_v = xp.where(atol_v > 0, 0.0, default) if atol is not None else xp.float64(default)
        if hermitian:
            S, U = xp.linalg.eigh(x)
            largest, size, Vh = xp.abs(S).max(-1, keepdims=True), xp.abs(S), U.swapaxes(-1, -2)
        else:
            U, S, Vh = xp.linalg.svd(x, full_matrices=False)
            largest, size = S[..., :1], S
        tol = xp.maximum(xp.asarray(atol_v)[..., None], xp.asarray(rtol_v)[..., None] * largest)
        S_inv = xp.where(size > tol, 1 / xp.where(S == 0, 1, S), 0).astype(x.dtype)
        data = xp.matmul(Vh.swapaxes(-1, -2) * S_inv[..., None, :], U.swapaxes(-1, -2))
    out = Tensor._make(data)
    if A._requires_grad and grad_state.enabled:
        attach(out, _Pinv, (A,), {"x": A, "result": out._data})
    return out


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: ``linalg.pinv`` with ``rcond`` as the relative tolerance."""
    return pinv(input, rcond)


for _op, _name in ((eigh, "linalg.eigh"), (eigvalsh, "linalg.eigvalsh"), (svd, "linalg.svd"),
                   (svdvals, "linalg.svdvals"), (pinv, "linalg.pinv"), (pinverse, None)):
    register(_op, _name)
