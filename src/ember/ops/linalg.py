"""Matrix products: matmul in all its cases, and the torch names for each (mm, mv, dot, bmm)."""
from __future__ import annotations

import math
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops._shape import broadcast_error
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor


def _grad_a(F: Any, grad: Any, b: Any, a_ndim: int) -> Any:
    """d(a @ b)/da: ``grad @ b^T``, with 1-d operands treated as a row (a) or column (b)."""
    if b.ndim == 1:
        g = F.unsqueeze(grad, -1) * b if a_ndim > 1 else grad * b  # outer product, or dot's grad
        return g
    if a_ndim == 1:
        return F.squeeze(F.matmul(F.unsqueeze(grad, -2), F.transpose(b, -1, -2)), -2)
    return F.matmul(grad, F.transpose(b, -1, -2))


def _grad_b(F: Any, grad: Any, a: Any, b_ndim: int) -> Any:
    """d(a @ b)/db: ``a^T @ grad``, with the same 1-d conventions."""
    if a.ndim == 1:
        return F.unsqueeze(a, -1) * F.unsqueeze(grad, -2) if b_ndim > 1 else grad * a
    if b_ndim == 1:
        return F.squeeze(F.matmul(F.transpose(a, -1, -2), F.unsqueeze(grad, -1)), -1)
    return F.matmul(F.transpose(a, -1, -2), grad)


_rules = (
    lambda F, grad, b, a_ndim: _grad_a(F, grad, b, a_ndim),
    lambda F, grad, a, b_ndim: _grad_b(F, grad, a, b_ndim),
)
# one node per case, named after the node torch ends its matmul with
_NODES = {name: node_class(name, *_rules) for name in
          ("DotBackward0", "MvBackward0", "MmBackward0", "SqueezeBackward4", "UnsafeViewBackward0", "BmmBackward0",
           "CloneBackward0", "TransposeBackward0")}


def _node_name(na: int, nb: int) -> str:
    if na == 1:
        return "DotBackward0" if nb == 1 else ("SqueezeBackward4" if nb == 2 else "UnsafeViewBackward0")
    if na == 2:
        return "MvBackward0" if nb == 1 else ("MmBackward0" if nb == 2 else "UnsafeViewBackward0")
    return "UnsafeViewBackward0"


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's (and torch's) rules for 1-d and batched operands."""
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cname(a.dtype)} != {_cname(b.dtype)}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    try:
        data = xp.matmul(a, b)
    except ValueError:
        raise _matmul_error(input, other) from None
    name = _node_name(a.ndim, b.ndim)
    if a.ndim == 2 and b.ndim >= 3 and input._requires_grad:
        # torch folds this case into (b^T @ a^T)^T and ends with .contiguous(): a copy unless already contiguous
        name = "TransposeBackward0" if 1 in data.shape[-2:] or not data.size else "CloneBackward0"
    return _record(Tensor._make(data), input, other, _NODES[name])


def _record(out: Tensor, input: Tensor, other: Tensor, cls: Any) -> Tensor:
    if grad_state.enabled and (input._requires_grad or other._requires_grad):
        attach(out, cls, (input, other), {"a": input, "b": other, "a_ndim": input._data.ndim, "b_ndim": other._data.ndim})
    return out


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    return matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(input, tensor)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
            f"but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    data = xp.matmul(a, b)
    return _record(Tensor._make(data), input, mat2, _NODES["BmmBackward0"])


def _cname(d: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}[d.name]


def _matmul_error(input: Tensor, other: Tensor) -> RuntimeError:
    """torch's error for operands whose sizes don't fit: the one of the path its matmul takes
    (dot, mv, mm, a folded mv/mm, or the broadcast batched product)."""
    sa, sb = input._data.shape, other._data.shape
    na, nb = len(sa), len(sb)
    if na == 1 and nb == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same number of "
            f"elements, but got {sa[0]} and {sb[0]} elements respectively"
        )
    if na <= 2 and nb <= 2:  # mv, or mm (a 1-d first operand as one row)
        return _mm_error((sa[0] if na == 2 else 1, sa[-1]), sb)
    if _folds(input, other):  # one mv/mm on the larger operand (transposed if second) with its batch as rows
        if na >= nb:
            return _mm_error((math.prod(sa[:-1]), sa[-1]), sb)
        return _mm_error((math.prod(sb[:-2]) * sb[-1], sb[-2]), sa if na == 1 else (sa[1], sa[0]))
    if na == 3 and nb == 3 and sa[0] != sb[0]:  # torch drops a batch of 1 that requires grad, then retries
        if sa[0] == 1 and input._requires_grad:
            return _matmul_error(Tensor._make(input._data[0], None, True), other)
        if sb[0] == 1 and other._requires_grad:
            return _matmul_error(input, Tensor._make(other._data[0], None, True))
    batch_a, batch_b = sa[:-2], sb[:-2]
    try:
        batch = math.prod(xp.broadcast_shapes(batch_a, batch_b))
    except ValueError:
        return broadcast_error(batch_a, batch_b)
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {sa[-1]}] "
        f"but got: [{batch}, {sb[-2] if nb > 1 else sb[0]}]."
    )


def _mm_error(mat: tuple[int, int], sb: tuple[int, ...]) -> RuntimeError:
    if len(sb) == 1:
        return RuntimeError(f"size mismatch, got input ({mat[0]}), mat ({mat[0]}x{mat[1]}), vec ({sb[0]})")
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat[0]}x{mat[1]} and {sb[0]}x{sb[1]})")


def _folds(input: Tensor, other: Tensor) -> bool:
    """torch's ``should_fold``: whether matmul of a >=3-d and a 1-/2-d operand becomes one mv/mm."""
    na, nb = input._data.ndim, other._data.ndim
    first_larger = na >= nb
    if not (max(na, nb) >= 3 and min(na, nb) in (1, 2)):
        return False
    if (other if first_larger else input)._requires_grad:
        return True
    if na == 2:
        return False
    big = input._data if first_larger else other._data.swapaxes(-1, -2)
    if big.size == 0:
        return True
    shape, strides = big.shape, big.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.ndim - 2))

for _op in (matmul, mm, mv, dot, bmm):
    register(_op)
