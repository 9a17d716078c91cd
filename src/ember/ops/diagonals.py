"""Diagonals and triangles of matrices: trace, diag, diagonal, diag_embed, tril, triu.

``diagonal`` is a view (writes through to its input, as torch's does); the others copy. The
adjoint pair ``diagonal`` / ``diagonal_backward`` carries every rule here, so each rule is
differentiable again (double backward).
"""
from __future__ import annotations

from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import wrap_dim
from ember.ops.registry import attach, node_class, register
from ember.ops.views import view_of
from ember.tensor import Tensor

__all__ = ["diag", "diag_embed", "diagonal", "trace", "tril", "triu"]


def _diagonal_index(rows: int, cols: int, offset: int) -> tuple[Any, Any]:
    """Row and column indices of diagonal ``offset`` of a ``rows x cols`` matrix."""
    r0, c0 = max(-offset, 0), max(offset, 0)
    k = max(0, min(rows - r0, cols - c0))
    return xp.arange(r0, r0 + k), xp.arange(c0, c0 + k)


def _dims(dim1: int, dim2: int, ndim: int) -> tuple[int, int]:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal_array(a: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """A writable view of diagonal ``offset`` of the matrices in dims ``dim1``, ``dim2`` (last dim of the result)."""
    moved = xp.moveaxis(a, (dim1, dim2), (-2, -1))[..., max(-offset, 0):, max(offset, 0):]
    k = max(0, min(moved.shape[-2], moved.shape[-1]))
    strides = moved.strides[:-2] + (moved.strides[-2] + moved.strides[-1],)
    return xp.lib.stride_tricks.as_strided(moved, moved.shape[:-2] + (k,), strides)


def diagonal_backward_array(grad: Any, shape: tuple[int, ...], offset: int, dim1: int, dim2: int) -> Any:
    """zeros(shape) with ``grad`` on the diagonal that ``diagonal(offset, dim1, dim2)`` reads."""
    out = xp.zeros(shape, grad.dtype)
    moved = xp.moveaxis(out, (dim1, dim2), (-2, -1))
    rows, cols = _diagonal_index(moved.shape[-2], moved.shape[-1], offset)
    moved[..., rows, cols] = grad
    return out


def diag_embed_array(a: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices (in dims ``dim1``, ``dim2`` of the result) holding ``a``'s last dim on diagonal ``offset``."""
    n = a.shape[-1] + abs(offset)
    out = xp.zeros(a.shape[:-1] + (n, n), a.dtype)
    rows, cols = _diagonal_index(n, n, offset)
    out[..., rows, cols] = a
    return xp.moveaxis(out, (-2, -1), _dims(dim1, dim2, a.ndim + 1))


_Diagonal = node_class(
    "DiagonalBackward0",
    lambda F, grad, shape, offset, dim1, dim2: F.diagonal_backward(grad, shape, offset, dim1, dim2))
_DiagonalBackward = node_class(
    "DiagonalBackwardBackward0", lambda F, grad, offset, dim1, dim2: F.diagonal(grad, offset, dim1, dim2))
_DiagEmbed = node_class(
    "DiagEmbedBackward0", lambda F, grad, offset, dim1, dim2: F.diagonal(grad, offset, dim1, dim2))
# torch.diag of a matrix copies the diagonal (diagonal_copy), hence the node's name
_DiagCopy = node_class(
    "DiagonalBackward0_copy",
    lambda F, grad, shape, offset: F.diagonal_backward(grad, shape, offset, 0, 1))
_Trace = node_class(
    "TraceBackward0", lambda F, grad, shape, k: F.diagonal_backward(F.expand(grad, (k,)), shape, 0, 0, 1))
_Tril = node_class("TrilBackward0", lambda F, grad, diagonal: F.tril(grad, diagonal))
_Triu = node_class("TriuBackward0", lambda F, grad, diagonal: F.triu(grad, diagonal))


def _record(out: Tensor, input: Tensor, cls: Any, ctx: dict[str, Any]) -> Tensor:
    if input._requires_grad and grad_state.enabled:
        attach(out, cls, (input,), ctx)
    return out


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the matrices in dims ``dim1``, ``dim2``, as the last dim (a view)."""
    x = input._data
    d1, d2 = _dims(dim1, dim2, x.ndim)
    out = view_of(Tensor._make(diagonal_array(x, offset, d1, d2)), input)
    return _record(out, input, _Diagonal, {"shape": x.shape, "offset": offset, "dim1": d1, "dim2": d2})


def diagonal_backward(grad: Tensor, shape: tuple[int, ...], offset: int, dim1: int, dim2: int) -> Tensor:
    """``diagonal``'s adjoint: zeros of ``shape`` with ``grad`` written on that diagonal."""
    out = Tensor._make(diagonal_backward_array(grad._data, shape, offset, dim1, dim2))
    return _record(out, grad, _DiagonalBackward, {"offset": offset, "dim1": dim1, "dim2": dim2})


def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """linalg.diagonal: ``diagonal`` with the matrix dims last by default."""
    return diagonal(A, offset, dim1, dim2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Put the last dim of ``input`` on diagonal ``offset`` of new matrices in dims ``dim1``, ``dim2``."""
    x = input._data
    d1, d2 = _dims(dim1, dim2, x.ndim + 1)
    out = Tensor._make(diag_embed_array(x, offset, d1, d2))
    return _record(out, input, _DiagEmbed, {"offset": offset, "dim1": d1, "dim2": d2})


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal as a vector (a copy)."""
    x = input._data
    if x.ndim == 1:
        return _record(Tensor._make(diag_embed_array(x, diagonal)), input, _DiagEmbed,
                       {"offset": diagonal, "dim1": 0, "dim2": 1})
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    out = Tensor._make(diagonal_array(x, diagonal).copy())
    return _record(out, input, _DiagCopy, {"shape": x.shape, "offset": diagonal})


def trace(input: Tensor) -> Tensor:
    """Sum of a matrix's main diagonal (integers sum to int64, as torch does)."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    d = diagonal_array(x)
    out = Tensor._make(d.sum(dtype=xp.int64) if x.dtype.kind in "iu" else d.sum())
    return _record(out, input, _Trace, {"shape": x.shape, "k": d.shape[0]})


def _triangle(name: str, pick: Any, cls: Any) -> Any:
    def op(input: Tensor, diagonal: int = 0) -> Tensor:
        x = input._data
        if x.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return _record(Tensor._make(pick(x, diagonal)), input, cls, {"diagonal": diagonal})

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"The {'lower' if name == 'tril' else 'upper'} triangle (from diagonal ``diagonal``) of the matrices."
    return register(op)


tril = _triangle("tril", xp.tril, _Tril)
triu = _triangle("triu", xp.triu, _Triu)

for _op in (diagonal, diag_embed, diag, trace):
    register(_op)
