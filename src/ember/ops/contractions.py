"""Tensor contractions: einsum, tensordot, kron.

``einsum`` and ``tensordot`` follow torch's own algorithms step by step, in ember ops (take
diagonals, align the operands' dims, sum what only one operand has, contract pairs with ``bmm``),
so their gradients, double backward included, come from those ops and the last node is the one
torch's graph ends with. ``kron`` is one node, named as torch's last.
"""
from __future__ import annotations

import math
from typing import Any

from ember.autograd.grad_mode import state as grad_state
from ember.ops import diagonals, elementwise, linalg, movement, reduction
from ember.ops._shape import wrap_dim, wrap_dims
from ember.ops.registry import attach, node_class, operands, register
from ember.tensor import Tensor

__all__ = ["einsum", "kron", "tensordot"]

_LETTERS = 26


def _subscript(label: str) -> int:
    """A label in [A-Za-z] as torch numbers it: upper case first."""
    return ord(label) - ord("A") if label.isupper() else ord(label) - ord("a") + _LETTERS


def _sublist_label(n: Any) -> str:
    if n is Ellipsis:
        return "..."
    if 0 <= n < 2 * _LETTERS:
        return chr(ord("A") + n) if n < _LETTERS else chr(ord("a") + n - _LETTERS)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def einsum(*args: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)``, an operand list, or the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``; ``...`` broadcasts; without ``->`` the output is
    the ellipsis dims then the labels seen once, in alphabetical order."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation = ",".join("".join(_sublist_label(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_sublist_label(s) for s in args[-1])
            ops = list(args[:-1:2])
        else:
            ops = list(args[::2])
    else:
        equation, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):  # the operands as one list
            return einsum(equation, *ops[0])
    return _einsum(equation, ops)


def _parse_operands(lhs: str, num_ops: int) -> list[list[int]]:
    ellipsis = 2 * _LETTERS
    labels: list[list[int]] = [[] for _ in range(num_ops)]
    current, seen_ellipsis, i = 0, False, 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            if seen_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {current} for which an ellipsis was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {current} that is not part of any ellipsis")
            labels[current].append(ellipsis)
            seen_ellipsis, i = True, i + 2
        elif c == ",":
            current += 1
            if current >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            seen_ellipsis = False
        elif c != " ":
            if not (c.isascii() and c.isalpha()):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, "
                                   "subscripts must be in [a-zA-Z]")
            labels[current].append(_subscript(c))
        i += 1
    if current != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _einsum(equation: str, operands_: list[Tensor]) -> Tensor:
    ellipsis, total = 2 * _LETTERS, 2 * _LETTERS
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operands(lhs, len(operands_))

    label_count = [0] * total
    ell_num_dim = 0
    for i, (op, labels) in enumerate(zip(operands_, op_labels, strict=True)):
        ndim, nlabels = op._data.ndim, len(labels) - (ellipsis in labels)
        for s in labels:
            if s != ellipsis:
                label_count[s] += 1
        if ellipsis in labels:
            ell_num_dim = max(ell_num_dim, ndim - nlabels)
            if nlabels > ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nlabels}) is more than the "
                                   f"number of dimensions ({ndim}) for operand {i}")
        elif nlabels != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nlabels}) does not match the "
                               f"number of dimensions ({ndim}) for operand {i} and no ellipsis was given")

    # each label's index in the aligned shape: the output dims first, then the contracted ones
    perm_index_of = [-1] * total
    perm_index, ell_index, ell_in_output = 0, 0, False
    if arrow < 0:
        perm_index, ell_in_output = ell_num_dim, True
        for s in range(total):
            if label_count[s] == 1:
                perm_index_of[s], perm_index = perm_index, perm_index + 1
    else:
        rhs, i = equation[arrow + 2:], 0
        while i < len(rhs):
            c = rhs[i]
            if c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                ell_index, perm_index, ell_in_output, i = perm_index, perm_index + ell_num_dim, True, i + 2
            elif c != " ":
                if not (c.isascii() and c.isalpha()):
                    raise RuntimeError(f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the equation "
                                       "string, subscripts must be in [a-zA-Z]")
                s = _subscript(c)
                if label_count[s] == 0 or perm_index_of[s] != -1:
                    why = "appears more than once in the output" if perm_index_of[s] != -1 else \
                        "does not appear in the equation for any input operand"
                    raise RuntimeError(f"einsum(): output subscript {c} {why}")
                perm_index_of[s], perm_index = perm_index, perm_index + 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index, perm_index = perm_index, perm_index + ell_num_dim
    for s in range(total):
        if label_count[s] > 0 and perm_index_of[s] == -1:
            perm_index_of[s], perm_index = perm_index, perm_index + 1

    # diagonals for repeated labels, unsqueezes for missing ones, then one permute per operand
    label_size, ell_sizes, dim_counts = [1] * total, [1] * ell_num_dim, [0] * perm_index
    ops: list[Tensor] = []
    for i, (op, labels) in enumerate(zip(operands_, op_labels, strict=True)):
        permutation, dim = [-1] * perm_index, 0
        for s in labels:
            shape = op._data.shape
            if s == ellipsis:
                covered = operands_[i]._data.ndim - (len(labels) - 1)
                for j in range(ell_num_dim - covered, ell_num_dim):
                    if shape[dim] != 1:
                        if ell_sizes[j] not in (1, shape[dim]):
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size {shape[dim]} "
                                "which does not broadcast with previously seen ellipsis with size "
                                f"{ell_sizes[j]} for the respective dimension")
                        ell_sizes[j] = shape[dim]
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j], dim = dim, dim + 1
            elif permutation[perm_index_of[s]] == -1:
                if shape[dim] != 1:
                    if label_size[s] not in (1, shape[dim]):
                        raise RuntimeError(
                            f"einsum(): subscript {_sublist_label(s)} has size {shape[dim]} for operand {i} which does "
                            f"not broadcast with previously seen size {label_size[s]}")
                    label_size[s] = shape[dim]
                    dim_counts[perm_index_of[s]] += 1
                permutation[perm_index_of[s]], dim = dim, dim + 1
            else:  # a repeated label: take the diagonal, in place of the first occurrence
                prev = permutation[perm_index_of[s]]
                if shape[dim] != shape[prev]:
                    raise RuntimeError(f"einsum(): subscript {_sublist_label(s)} is repeated for operand {i} but the "
                                       f"sizes don't match, {shape[dim]} != {shape[prev]}")
                op = diagonals.diagonal(op, 0, prev, dim)
                n = op._data.ndim
                op = movement.permute(op, [*range(prev), n - 1, *range(prev, n - 1)])
        for j, val in enumerate(permutation):
            if val == -1:
                op = movement.unsqueeze(op, dim)
                permutation[j], dim = dim, dim + 1
        ops.append(movement.permute(op, permutation))

    # contract left to right, summing each dim as soon as no later operand has it
    while len(ops) > 1:
        a, b = ops.pop(0), ops.pop(0)
        sum_dims, a_sum, b_sum = [], [], []
        sa, sb = a._data.shape, b._data.shape
        for d in range(out_num_dim, perm_index):
            if sa[d] != 1 and sb[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if sa[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif sb[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = reduction.sum(a, a_sum, True)
        if b_sum:
            b = reduction.sum(b, b_sum, True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))

    result = ops[0]
    if perm_index > out_num_dim:
        if len(operands_) > 1:  # the contracted dims are all of size 1 by now
            return movement.view(result, result._data.shape[:out_num_dim])
        return reduction.sum(result, list(range(out_num_dim, perm_index)))
    return result


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list[int]) -> Tensor:
    """``(left * right).sum(sum_dims, keepdim=True)`` through one ``bmm`` (torch's sumproduct_pair)."""
    if not sum_dims:
        return elementwise.mul(left, right)
    if left._data.dtype != right._data.dtype:
        raise RuntimeError(f"expected scalar type {left.dtype.scalar_name} but found {right.dtype.scalar_name}")
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(left._data.ndim):
        sl, sr = left._data.shape[i], right._data.shape[i]
        if i in sum_dims:
            if sl != 1 and sr != 1:
                if sl != sr:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= sl
            elif sl != 1:
                left = reduction.sum(left, i, True)
            elif sr != 1:
                right = reduction.sum(right, i, True)
        elif sl != 1 and sr != 1:
            lro.append(i)
            lro_size *= sl
        elif sl != 1:
            lo.append(i)
            lo_size *= sl
        else:
            ro.append(i)
            ro_size *= sr
    out_size = ([left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo] + [1] * len(sum_dims)
                + [right._data.shape[d] for d in ro])
    order = lro + lo + sum_dims + ro
    operm = [order.index(i) for i in range(len(order))]
    left = movement.reshape(movement.permute(left, lro + lo + sum_dims + ro), (lro_size, lo_size, sum_size))
    right = movement.reshape(movement.permute(right, lro + sum_dims + ro + lo), (lro_size, sum_size, ro_size))
    return movement.permute(movement.view(linalg.bmm(left, right), out_size), operm)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract ``dims`` (an int: the last of ``a`` with the first of ``b``; or two lists of dims)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    elif isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2, csize = a, b, 1
    for da, db in zip(dims_a, dims_b, strict=True):
        s1, s2 = a._data.shape[wrap_dim(da, a._data.ndim)], b._data.shape[wrap_dim(db, b._data.ndim)]
        if s2 == 1:  # a broadcast dim sums away at once
            t1 = reduction.sum(t1, da, True)
        elif s1 == 1:
            t2 = reduction.sum(t2, db, True)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in dim {da} and second "
                               f"has size {s2} in dim {db}")
        else:
            csize *= s1
    ca, cb = wrap_dims(dims_a, a._data.ndim), wrap_dims(dims_b, b._data.ndim)
    keep_a = [i for i in range(a._data.ndim) if i not in ca]
    keep_b = [i for i in range(b._data.ndim) if i not in cb]
    rsizes = [t1._data.shape[i] for i in keep_a] + [t2._data.shape[i] for i in keep_b]
    t1 = movement.reshape(movement.permute(t1, keep_a + dims_a), (math.prod(rsizes[:len(keep_a)]), csize))
    t2 = movement.reshape(movement.permute(t2, dims_b + keep_b), (csize, math.prod(rsizes[len(keep_a):])))
    return movement.reshape(linalg.mm(t1, t2), rsizes)


def _kron_shapes(sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The interleaved shapes: ``a`` as (a0, 1, a1, 1, ...), ``b`` as (1, b0, 1, b1, ...), both padded
    to the same rank, and the pair of them as (a0, b0, a1, b1, ...)."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    a_r = tuple(x for s in pa for x in (s, 1))
    b_r = tuple(x for s in pb for x in (1, s))
    both = tuple(x for i in range(n) for x in (pa[i], pb[i]))
    return a_r, b_r, both, tuple(pa[i] * pb[i] for i in range(n))


def _kron_grad(F: Any, grad: Any, other: Any, other_r: tuple[int, ...], both: tuple[int, ...], axes: tuple[int, ...],
               shape: tuple[int, ...]) -> Any:
    g = F.reshape(grad, both) * F.reshape(other, other_r)
    return F.reshape(F.sum(g, axes) if axes else g, shape)


_Kron = node_class(
    "UnsafeViewBackward0",  # torch's kron ends with an _unsafe_view of the product
    lambda F, grad, b, b_r, both, odd, a_shape: _kron_grad(F, grad, b, b_r, both, odd, a_shape),
    lambda F, grad, a, a_r, both, even, b_shape: _kron_grad(F, grad, a, a_r, both, even, b_shape))


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    x, y = operands(input, other)
    a_r, b_r, both, out_shape = _kron_shapes(x.shape, y.shape)
    out = Tensor._make((x.reshape(a_r) * y.reshape(b_r)).reshape(out_shape))
    if grad_state.enabled and (input._requires_grad or other._requires_grad):
        n = len(both)
        attach(out, _Kron, (input, other), {
            "a": input, "b": other, "a_r": a_r, "b_r": b_r, "both": both, "odd": tuple(range(1, n, 2)),
            "even": tuple(range(0, n, 2)), "a_shape": x.shape, "b_shape": y.shape})
    return out


for _op in (einsum, tensordot, kron):
    register(_op)
