"""Inverses, determinants, solvers and factorizations: linalg.inv, det, slogdet, logdet, solve,
cholesky, qr.

Forwards run LAPACK through NumPy. The rules are the standard matrix-calculus results (Giles 2008
for inv/det/solve, Murray 2016 for Cholesky, Walter and Lehmann 2018 for QR), written once in
``F`` ops so they differentiate again. Errors are torch's: its messages, and ``LinAlgError`` (a
RuntimeError) where LAPACK reports a singular or non-positive-definite matrix.
"""
from __future__ import annotations

from typing import Any

from ember import dtypes, return_types
from ember.autograd.grad_mode import state as grad_state
from ember.autograd.node import Node, node_class
from ember.backend import xp
from ember.ops import elementwise
from ember.ops._shape import broadcast_error
from ember.ops.registry import attach, register
from ember.tensor import Tensor

__all__ = ["det", "inverse", "logdet", "slogdet"]


class LinAlgError(RuntimeError):
    """A matrix the algorithm cannot handle: singular, not positive-definite, or not finite."""


# -- nodes with several differentiable outputs ---------------------------------------------------
class _MultiOutput(Node):
    """A node with several outputs (torch's LinalgQrBackward0, LinalgSvdBackward0 ...). Its rules get
    the tuple of the outputs' gradients (None where an output got none); outputs saved under their
    names come back, under ``create_graph``, as tensors of this node, so the rules differentiate again."""

    __slots__ = ()
    _outputs: dict[str, int] = {}

    def apply(self, grads: list[Any], needs: Any, as_tensor: bool) -> list[Any]:
        return Node.apply(self, [tuple(grads)], needs, as_tensor)

    def _saved(self, name: str, as_tensor: bool) -> Any:
        nr = self._outputs.get(name)
        if nr is None or not as_tensor:
            return Node._saved(self, name, as_tensor)
        out = Tensor._make(Node._saved(self, name, False), self, True)
        out._output_nr = nr
        return out


def multi_output_class(name: str, outputs: tuple[str, ...], *vjps: Any) -> type[Node]:
    """The node class for an op with the named ``outputs``; ``vjps[i](F, grads, *saved)`` gives input i's gradient."""
    base = node_class(name, *vjps, num_outputs=len(outputs))
    return type(name, (_MultiOutput,), {"__slots__": (), "_vjps": base._vjps, "_arg_names": base._arg_names,
                                        "_num_outputs": len(outputs),
                                        "_outputs": {n: i for i, n in enumerate(outputs)}})


def attach_outputs(outs: tuple[Tensor, ...], cls: type[Node], inputs: tuple[Any, ...], ctx: dict[str, Any]) -> None:
    """Record ``outs`` as outputs 0, 1, ... of one ``cls`` node."""
    attach(outs[0], cls, inputs, ctx)
    node = outs[0]._grad_fn
    for nr, t in enumerate(outs[1:], 1):
        t._grad_fn, t._requires_grad, t._output_nr = node, True, nr
    # the saved outputs' versions, so a backward refuses one an in-place op changed since
    node._versions += tuple((t._data, t._vc, t._vc[0]) for name, t in zip(cls._outputs, outs, strict=True)
                            if name in node._ctx)


# -- checks --------------------------------------------------------------------------------------
def _sname(a: Any) -> str:
    return dtypes.from_numpy_dtype(a.dtype).scalar_name


def check_float(fname: str, x: Any, half_kernel: str | None = None) -> None:
    """torch's dtype check: floating point only; float16 refused (by name of the kernel, for some ops)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {_sname(x)}")
    if x.dtype == xp.float16:
        if half_kernel is None:
            raise RuntimeError(f"{fname}: Low precision dtypes not supported. Got Half")
        raise NotImplementedError(f"\"{half_kernel}\" not implemented for 'Half'")


def check_matrix(fname: str, x: Any, square: bool = True, name: str = "A") -> None:
    if x.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {name} must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")


def first_failure(x: Any, fails: Any) -> tuple[str, Any]:
    """The batch prefix of torch's message and the first matrix of ``x`` for which ``fails`` holds."""
    flat = x.reshape((-1,) + x.shape[-2:])
    i = next(i for i, m in enumerate(flat) if fails(m))
    return (f"(Batch element {i}): " if x.ndim > 2 else ""), flat[i]


def raises(fn: Any, m: Any) -> bool:
    try:
        fn(m)
    except xp.linalg.LinAlgError:
        return True
    return False


def _zero_pivot(m: Any) -> int:
    """The 1-based column where LU with partial pivoting meets an exactly zero pivot (LAPACK getrf's
    ``info``); when rounding hides it, the column of the smallest pivot."""
    a, n, sizes = m.copy(), m.shape[-1], []
    for k in range(n):
        p = k + int(xp.argmax(xp.abs(a[k:, k])))
        pivot = a[p, k]
        if pivot == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= pivot
        a[k + 1:, k + 1:] -= xp.multiply.outer(a[k + 1:, k], a[k, k + 1:])
        sizes.append(abs(pivot))
    return int(xp.argmin(sizes)) + 1


# -- inv, det, slogdet ---------------------------------------------------------------------------
_T = lambda F, a: F.transpose(a, -1, -2)  # noqa: E731
_Inv = node_class("LinalgInvExBackward0",
                  lambda F, grad, result: -F.matmul(F.matmul(_T(F, result), grad), _T(F, result)))


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; ``LinAlgError`` for a singular one."""
    x = A._data
    check_matrix("linalg.inv", x)
    check_float("linalg.inv", x)
    try:
        data = xp.linalg.inv(x)
    except xp.linalg.LinAlgError:
        prefix, m = first_failure(x, lambda m: raises(xp.linalg.inv, m))
        raise LinAlgError(f"linalg.inv: {prefix}The diagonal element {_zero_pivot(m)} is zero, the inversion could "
                          "not be completed because the input matrix is singular.") from None
    out = Tensor._make(data)
    if A._requires_grad and grad_state.enabled:
        attach(out, _Inv, (A,), {"result": out._data})
    return out


inverse = inv


def _inv_transpose_where_regular(F: Any, x: Any, singular: Any) -> Any:
    """``inv(x)^T`` for each matrix, the identity's standing in where ``singular`` marks one."""
    eye = F.diag_embed(F.diagonal(x, 0, -2, -1) * 0 + 1)
    return _T(F, F.linalg_inv(F.where(F.unsqueeze(F.unsqueeze(singular, -1), -1), eye, x)))


def _det_grad(F: Any, grad: Any, x: Any, result: Any) -> Any:
    # det * A^-T; an exactly singular matrix (det == 0) gets 0, as torch's plain backward gives
    scale = F.unsqueeze(F.unsqueeze(grad * result, -1), -1)
    return scale * _inv_transpose_where_regular(F, x, result == 0)


_Det = node_class("LinalgDetBackward0", _det_grad)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix."""
    x = A._data
    check_matrix("linalg.det", x)
    check_float("linalg.det", x, "lu_cpu")
    out = Tensor._make(xp.asarray(xp.linalg.det(x), x.dtype))
    if A._requires_grad and grad_state.enabled:
        attach(out, _Det, (A,), {"x": A, "result": out._data})
    return out


def _slogdet_grad(F: Any, grads: Any, x: Any, sign: Any) -> Any:
    # d log|det A| = A^-T; the sign has no gradient for real matrices. A singular matrix gets NaN.
    g = grads[1]
    if g is None:
        return None
    singular = sign == 0
    scale = F.unsqueeze(F.unsqueeze(F.where(singular, float("nan"), g), -1), -1)
    return scale * _inv_transpose_where_regular(F, x, singular)


_Slogdet = multi_output_class("LinalgSlogdetBackward0", ("sign", "logabsdet"), _slogdet_grad)


def _slogdet(A: Tensor, fname: str, result_type: Any) -> Any:
    x = A._data
    check_matrix(fname, x)
    check_float(fname, x, "lu_cpu")
    sign, logabsdet = xp.linalg.slogdet(x)
    outs = Tensor._make(xp.asarray(sign, x.dtype)), Tensor._make(xp.asarray(logabsdet, x.dtype))
    if A._requires_grad and grad_state.enabled:
        attach_outputs(outs, _Slogdet, (A,), {"x": A, "sign": outs[0]._data})
    return result_type(*outs)


def linalg_slogdet(A: Tensor) -> Any:
    """``(sign, logabsdet)`` of the determinant of each square matrix."""
    return _slogdet(A, "linalg.slogdet", return_types.linalg_slogdet)


def slogdet(input: Tensor) -> Any:
    """torch.slogdet: ``linalg.slogdet`` with torch.slogdet's result type."""
    return _slogdet(input, "linalg.slogdet", return_types.slogdet)


def logdet(input: Tensor) -> Tensor:
    """``log(det(A))``: NaN where the determinant is negative, as torch builds it from slogdet."""
    x = input._data
    check_matrix("logdet", x)
    check_float("logdet", x, "lu_cpu")
    sign, logabsdet = _slogdet(input, "logdet", return_types.slogdet)
    return elementwise.where(sign == -1.0, float("nan"), logabsdet)


# -- solve ---------------------------------------------------------------------------------------
def _solve_grad_b(F: Any, grad: Any, a: Any, left: bool, vector: bool) -> Any:
    if vector:
        return F.squeeze(F.linalg_solve(_T(F, a), F.unsqueeze(grad, -1)), -1)
    if left:  # A X = B: gB = A^-T gX
        return F.linalg_solve(_T(F, a), grad)
    return _T(F, F.linalg_solve(a, _T(F, grad)))  # X A = B: gB = gX A^-T


def _solve_grad_a(F: Any, grad: Any, a: Any, result: Any, left: bool, vector: bool) -> Any:
    gb = _solve_grad_b(F, grad, a, left, vector)
    if vector:
        return -F.unsqueeze(gb, -1) * F.unsqueeze(result, -2)
    return -F.matmul(gb, _T(F, result)) if left else -F.matmul(_T(F, result), gb)


_Solve = node_class("LinalgSolveExBackward0", _solve_grad_a,
                    lambda F, grad, a, left, vector: _solve_grad_b(F, grad, a, left, vector))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A @ X = B`` (or ``X @ A = B`` when ``left=False``). ``B`` is a (batch of)
    vector(s) when it is 1-d or has exactly ``A``'s batch shape plus one dim."""
    a, b = A._data, B._data
    if a.dtype.kind != "f":
        check_float("linalg.solve", a)
    check_matrix("linalg.solve", a)
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_sname(a)} "
                           f"and B of type {_sname(b)} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    bm = b[..., None] if vector else b
    check_matrix("linalg.solve", bm, square=False, name="B")
    n = a.shape[-1]
    if (bm.shape[-2] if left else bm.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {equation} "
                           f"({n}x{n} and {bm.shape[-2]}x{bm.shape[-1]})")
    try:
        xp.broadcast_shapes(bm.shape[:-2], a.shape[:-2])
    except ValueError:
        raise broadcast_error(bm.shape[:-2], a.shape[:-2]) from None
    check_float("linalg.solve", a, "lu_cpu")
    try:
        if left:
            data = xp.linalg.solve(a, bm)
        else:  # X A = B is A^T X^T = B^T
            data = xp.linalg.solve(a.swapaxes(-1, -2), bm.swapaxes(-1, -2)).swapaxes(-1, -2)
    except xp.linalg.LinAlgError:
        batch = xp.broadcast_shapes(bm.shape[:-2], a.shape[:-2])
        prefix, _ = first_failure(xp.broadcast_to(a, batch + a.shape[-2:]), lambda m: raises(xp.linalg.inv, m))
        raise LinAlgError(f"ember.linalg.solve: {prefix}The solver failed because the input matrix is singular."
                          ) from None
    out = Tensor._make(data[..., 0] if vector else data)
    if grad_state.enabled and (A._requires_grad or B._requires_grad):
        attach(out, _Solve, (A, B), {"a": A, "result": out._data, "left": left, "vector": vector})
    return out


# -- cholesky ------------------------------------------------------------------------------------
def _cholesky_grad(F: Any, grad: Any, result: Any, upper: bool) -> Any:
    # Murray (2016): A^-1-sandwich of the lower triangle of L^T gL (diagonal halved), symmetrized
    L, gL = (_T(F, result), _T(F, grad)) if upper else (result, grad)
    P = F.tril(F.matmul(_T(F, L), gL))
    S = 0.5 * (P + _T(F, F.tril(P, -1)))
    Linv = F.linalg_inv(L)
    return F.matmul(F.matmul(_T(F, Linv), S), Linv)


_Cholesky = node_class("LinalgCholeskyExBackward0", _cholesky_grad)


def _cholesky_fails(m: Any, upper: bool) -> bool:
    try:
        return bool(xp.isnan(xp.diagonal(xp.linalg.cholesky(m, upper=upper), 0, -2, -1)).any())
    except xp.linalg.LinAlgError:
        return True


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (``A = L L^T``; ``U = L^T`` with ``upper=True``), reading only the
    lower (upper) triangle; ``LinAlgError`` when ``A`` is not positive-definite."""
    x = A._data
    check_matrix("linalg.cholesky", x)
    check_float("linalg.cholesky", x, "cholesky_cpu")
    if _cholesky_fails(x, upper):
        prefix, m = first_failure(x, lambda m: _cholesky_fails(m, upper))
        order = next(k for k in range(1, m.shape[-1] + 1) if _cholesky_fails(m[:k, :k], upper))
        raise LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the input is not "
                          f"positive-definite (the leading minor of order {order} is not positive-definite).")
    out = Tensor._make(xp.linalg.cholesky(x, upper=upper))
    if A._requires_grad and grad_state.enabled:
        attach(out, _Cholesky, (A,), {"result": out._data, "upper": upper})
    return out


# -- qr ------------------------------------------------------------------------------------------
def _qr_tall(F: Any, gQ: Any, gR: Any, Q: Any, R: Any) -> Any:
    """The gradient for ``A = Q R`` with ``R`` square: ``(gQ + Q copyltu(M)) R^-T``, ``M = R gR^T - gQ^T Q``."""
    M = (0 if gR is None else F.matmul(R, _T(F, gR))) - (0 if gQ is None else F.matmul(_T(F, gQ), Q))
    b = F.matmul(Q, F.tril(M) + _T(F, F.tril(M, -1)))
    if gQ is not None:
        b = b + gQ
    return _T(F, F.linalg_solve(R, _T(F, b)))


def _qr_grad(F: Any, grads: Any, Q: Any, R: Any, mode: str, m: int, n: int) -> Any:
    gQ, gR = grads
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                           "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if m >= n:
        return _qr_tall(F, gQ, gR, Q, R)
    # a wide A = Q [U | V]: its first m columns X = Q U are a square QR, and Y = Q V
    first, rest = (Ellipsis, slice(None), slice(0, m)), (Ellipsis, slice(None), slice(m, None))
    U = F.getitem(R, first)
    gU = None if gR is None else F.getitem(gR, first)
    gQ_x = gQ
    if gR is not None:
        gV = F.getitem(gR, rest)
        gQ_x = F.matmul(F.matmul(Q, F.getitem(R, rest)), _T(F, gV)) + (0 if gQ is None else gQ)
    shape = tuple(Q.shape[:-1]) + (n,)
    gA = F.index_zeros(_qr_tall(F, gQ_x, gU, Q, U), first, shape, False)
    if gR is not None:
        gA = gA + F.index_zeros(F.matmul(Q, gV), rest, shape, False)
    return gA


_Qr = multi_output_class("LinalgQrBackward0", ("Q", "R"), _qr_grad)
_QR_MODES = ("reduced", "complete", "r")


def qr(A: Tensor, mode: str = "reduced") -> Any:
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal and ``R`` upper triangular; ``mode='r'``
    leaves ``Q`` empty, ``'complete'`` makes ``Q`` square."""
    x = A._data
    check_matrix("linalg.qr", x, square=False)
    if x.dtype.kind == "f" and mode not in _QR_MODES:  # (the kernel refuses float16 after the mode is read)
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    check_float("linalg.qr", x, "geqrf_cpu")
    if mode == "r":
        q, r = xp.zeros((0,), x.dtype), xp.linalg.qr(x, mode="r")
    else:
        q, r = xp.linalg.qr(x, mode=mode)
    outs = Tensor._make(q), Tensor._make(r)
    if A._requires_grad and grad_state.enabled:
        m, n = x.shape[-2:]
        attach_outputs(outs, _Qr, (A,), {"Q": q, "R": r, "mode": mode, "m": m, "n": n})
    return return_types.linalg_qr(*outs)


for _op, _name in ((inv, "linalg.inv"), (det, "linalg.det"), (linalg_slogdet, "linalg.slogdet"), (slogdet, None),
                   (logdet, None), (solve, "linalg.solve"), (cholesky, "linalg.cholesky"), (qr, "linalg.qr")):
    register(_op, _name)
