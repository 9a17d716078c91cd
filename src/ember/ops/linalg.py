"""Matrix products: matmul in all its cases, the torch names for each (mm, mv, dot, bmm), vdot and
outer, and the fused ``beta * input + alpha * product`` ops (addmm, addmv, addbmm, baddbmm, addr)."""
from __future__ import annotations

import math
from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import elementwise, movement
from ember.ops._shape import broadcast_error, wrap_dim
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
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_cname(a.dtype)} != {_cname(b.dtype)}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    try:
        data = xp.matmul(a, b)
    except ValueError:
        raise _matmul_error(input, other) from None
    if a.dtype.kind == "b":
        raise NotImplementedError(f"\"{_bool_kernel(input, other)}\" not implemented for 'Bool'")
    name = _node_name(a.ndim, b.ndim)
    # torch squeezes a first operand's batch of 1 that requires grad (3-d @ 3-d), making it 2-d @ 3-d
    squeezed = a.ndim == 3 == b.ndim and a.shape[0] == 1 != b.shape[0]
    if (a.ndim == 2 or squeezed) and b.ndim >= 3 and input._requires_grad:
        # torch folds this case into (b^T @ a^T)^T and ends with .contiguous(): a copy unless already contiguous
        name = "TransposeBackward0" if 1 in data.shape[-2:] or not data.size else "CloneBackward0"
    return _record(Tensor._make(data), input, other, _NODES[name])


def _record(out: Tensor, input: Tensor, other: Tensor, cls: Any) -> Tensor:
    if grad_state.enabled and (input._requires_grad or other._requires_grad):
        attach(out, cls, (input, other),
               {"a": input, "b": other, "a_ndim": input._data.ndim, "b_ndim": other._data.ndim})
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
    _check_vectors(input, tensor)
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
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sname(a)} but found {_sname(b)}")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    data = xp.matmul(a, b)
    return _record(Tensor._make(data), input, mat2, _NODES["BmmBackward0"])


def _bool_kernel(input: Tensor, other: Tensor) -> str:
    """The kernel torch's matmul reaches (and names in its error for bool tensors)."""
    na, nb = input._data.ndim, other._data.ndim
    if na == nb == 1:
        return "dot"
    if (na <= 2 and nb <= 2) or _folds(input, other):  # one matrix product: by a vector, or a matrix
        return "addmv_impl_cpu" if min(na, nb) == 1 and (na, nb) != (1, 2) else "addmm_impl_cpu_"
    return "bmm"


def _cname(d: Any) -> str:
    return dtypes.from_numpy_dtype(d).cpp_name


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

def _check_vectors(input: Tensor, other: Tensor) -> None:
    """dot's and vdot's checks: two 1-d tensors of one dtype and one length."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_sname(a)} and {_sname(b)}")
    if a.shape != b.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number "
            f"of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    if a.dtype.kind == "b":
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")


def _sname(a: Any) -> str:
    return dtypes.from_numpy_dtype(a.dtype).scalar_name


# -- vdot, outer ---------------------------------------------------------------------------------
_Vdot = node_class("VdotBackward0", lambda F, grad, b: grad * b, lambda F, grad, a: grad * a)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two vectors (the first conjugated, which changes nothing for real tensors)."""
    _check_vectors(input, other)
    out = Tensor._make(xp.dot(input._data, other._data))
    if grad_state.enabled and (input._requires_grad or other._requires_grad):
        attach(out, _Vdot, (input, other), {"a": input, "b": other})
    return out


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``input[:, None] * vec2``, with the dtypes promoted (torch records the same two nodes)."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return elementwise.mul(movement.reshape(input, (input._data.shape[0], 1)), vec2)


ger = outer


# -- beta * input + alpha * product --------------------------------------------------------------
def _scaled(grad: Any, s: Any) -> Any:
    return grad if s == 1 else grad * s


def _column_major(m: Any) -> bool:
    """Is the matrix (the last two dims of an array or Tensor) laid out column by column, as ``w.T`` is?"""
    strides = (m._data if isinstance(m, Tensor) else m).strides
    return len(strides) >= 2 and strides[-2] < strides[-1]


def _mat2_grad(F: Any, grad: Any, a: Any, b: Any, alpha: Any) -> Any:
    """a^T grad; for a column-major ``b`` (Linear's ``weight.T``) computed as (grad^T a)^T, so the
    gradient has b's layout and reaches the weight as a plain row-major array (no copy there)."""
    if _column_major(b):
        return _scaled(F.transpose(F.matmul(F.transpose(grad, -1, -2), a), -1, -2), alpha)
    return _scaled(F.matmul(F.transpose(a, -1, -2), grad), alpha)


_Addmm = node_class(
    "AddmmBackward0",
    lambda F, grad, beta: _scaled(grad, beta),
    lambda F, grad, b, alpha: _scaled(F.matmul(grad, F.transpose(b, -1, -2)), alpha),
    _mat2_grad)
_Baddbmm = node_class("BaddbmmBackward0", *_Addmm._vjps)
_Addbmm = node_class("AddbmmBackward0", *_Addmm._vjps)  # grad @ b^T broadcasts over the batch: the engine sums it
_Addmv = node_class(
    "AddmvBackward0",
    lambda F, grad, beta: _scaled(grad, beta),
    lambda F, grad, b, alpha: _scaled(F.unsqueeze(grad, -1) * b, alpha),
    lambda F, grad, a, alpha: _scaled(F.matmul(F.transpose(a, -1, -2), grad), alpha))
_Addr = node_class(
    "AddrBackward0",
    lambda F, grad, beta: _scaled(grad, beta),
    lambda F, grad, b, alpha: _scaled(F.matmul(grad, b), alpha),
    lambda F, grad, a, alpha: _scaled(F.matmul(a, grad), alpha))


def _fused(cls: Any, input: Tensor, a: Tensor, b: Tensor, product: Any, beta: Any, alpha: Any) -> Tensor:
    """``beta * input + alpha * product``; ``beta == 0`` ignores ``input`` (its NaNs too), as torch does."""
    x = input._data
    kind = product.dtype.kind
    if kind == "b":
        out = product if alpha else xp.zeros_like(product)
        data = out | x if beta else out
    else:
        if kind != "f":  # torch truncates float scalars for integer tensors
            beta, alpha = int(beta), int(alpha)
        # the product is a fresh array of the result's shape: scale it and add ``input`` in place
        data = product if alpha == 1 else xp.multiply(product, alpha, out=product)
        if beta != 0:
            data += x if beta == 1 else x * beta
    result = Tensor._make(data)
    if grad_state.enabled and (input._requires_grad or a._requires_grad or b._requires_grad):
        attach(result, cls, (input, a, b), {"a": a, "b": b, "beta": beta, "alpha": alpha})
    return result


def _check_expand(x: Any, target: tuple[int, ...]) -> None:
    """torch's error for an ``input`` that does not broadcast to the product's shape."""
    if x.shape != target:
        movement.expand(Tensor._make(x), target)


def _same_dtype(input: Tensor, mat1: Tensor, mat2: Tensor) -> None:
    x, a, b = input._data, mat1._data, mat2._data
    if x.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_sname(x)} and {_sname(b)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_sname(a)} and {_sname(b)}")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` broadcast to the product's shape."""
    _same_dtype(input, mat1, mat2)
    a, b = mat1._data, mat2._data
    for name, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise _mm_error(a.shape, b.shape)
    _check_expand(input._data, (a.shape[0], b.shape[1]))
    _check_kind(input, "addmm_impl_cpu_")
    return _fused(_Addmm, input, mat1, mat2, xp.matmul(a, b), beta, alpha)


def _check_kind(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    x, a, v = input._data, mat._data, vec._data
    if a.ndim != 2 or v.ndim != 1 or x.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {x.ndim}, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0] or (x.size != a.shape[0] and x.size != 1):
        raise RuntimeError(
            f"size mismatch, got input ({x.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})")
    if not x.dtype == a.dtype == v.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_sname(x)}, {_sname(a)}, and {_sname(v)}")
    _check_kind(input, "addmv_impl_cpu")
    return _fused(_Addmv, input, mat, vec, xp.matmul(a, v), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    a, b = batch1._data, batch2._data
    _check_expand(input._data, (a.shape[wrap_dim(1, a.ndim)], b.shape[wrap_dim(2, b.ndim)]))
    _check_batches(a, b)
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and {b.shape[1]}x{b.shape[2]})")
    _same_dtype(input, batch1, batch2)
    _check_kind(input, "addmm_impl_cpu_")
    product = xp.matmul(a, b).sum(0, dtype=a.dtype)
    return _fused(_Addbmm, input, batch1, batch2, product, beta, alpha)


def _check_batches(a: Any, b: Any) -> None:
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)``, one matrix product per batch entry."""
    x, a, b = input._data, batch1._data, batch2._data
    _check_expand(x, (a.shape[wrap_dim(0, a.ndim)], a.shape[wrap_dim(1, a.ndim)], b.shape[wrap_dim(2, b.ndim)]))
    _check_batches(a, b)
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
            f"but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    if x.dtype != a.dtype:
        names = [dtypes.from_numpy_dtype(d.dtype).cpp_name for d in (x, a, b)]
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {names[0]}, batch1: {names[1]}, batch2: {names[2]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sname(a)} but found {_sname(b)}")
    _check_kind(input, "baddbmm")
    return _fused(_Baddbmm, input, batch1, batch2, xp.matmul(a, b), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``, with the dtypes promoted."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    rt = dtypes.promote_types(dtypes.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    if rt.numpy.kind != "b":
        for name, s in (("beta", beta), ("alpha", alpha)):
            if type(s) is bool:
                raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
            if rt.numpy.kind != "f" and isinstance(s, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    input, vec1, vec2 = (movement.to(t, rt) for t in (input, vec1, vec2))
    a, b = vec1._data, vec2._data
    _check_expand(input._data, (a.shape[0], b.shape[0]))
    product = a[:, None] & b if rt.numpy.kind == "b" else a[:, None] * b
    return _fused(_Addr, input, vec1, vec2, product, beta, alpha)


for _op in (matmul, mm, mv, dot, bmm, vdot, outer, addmm, addmv, addbmm, baddbmm, addr):
    register(_op)
