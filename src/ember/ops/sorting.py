"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique.

Values and indices match torch's CPU kernels, ties included: a stable NumPy sort where the
kernel's order is stable (or where ties cannot show), and the kernels' own algorithms
(``_selection``) on the slices where they can. Gradients go to the selected indices.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ember import return_types
from ember.autograd.grad_mode import state as grad_state
from ember.backend import xp
from ember.ops import _selection as sel
from ember.ops._shape import wrap_dim
from ember.ops.minmax import empty_dim_error, even_rule, matches, scatter_rule, select_rule
from ember.ops.registry import attach, node_class, register
from ember.tensor import Tensor

__all__ = ["argsort", "kthvalue", "median", "mode", "msort", "nanmedian", "sort", "topk", "unique"]


# -- slices: every op works on (rows, n) with the dim moved last ------------------------------
def _rows(x: Any, d: int) -> Any:
    return xp.moveaxis(x, d, -1).reshape(math.prod(s for i, s in enumerate(x.shape) if i != d), x.shape[d])


def _unrows(rows: Any, x: Any, d: int) -> Any:
    """Back from (rows, m) to ``x``'s layout with ``m`` along ``d``."""
    shape = [s for i, s in enumerate(x.shape) if i != d] + [rows.shape[-1]]
    return xp.moveaxis(rows.reshape(shape), -1, d)


def _stable_order(rows: Any, descending: bool) -> Any:
    """The stable order of each row (NaN last ascending, first descending; ties by index)."""
    if not descending:
        return xp.argsort(rows, axis=-1, kind="stable")
    n = rows.shape[-1]
    return (n - 1 - xp.argsort(rows[:, ::-1], axis=-1, kind="stable"))[:, ::-1]


def _tied(rows: Any, order: Any) -> Any:
    """Which rows hold two equivalent values (NaNs are all equivalent to each other)."""
    s = xp.take_along_axis(rows, order, axis=-1)
    same = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        same |= xp.isnan(s[:, 1:]) & xp.isnan(s[:, :-1])
    return same.any(axis=-1)


def _run(rows: Any, which: Any, algorithm: Callable[[list[Any]], list[Any]], out: Any) -> None:
    """Apply a ported kernel (a list of (value, index) pairs -> the indices it keeps) to some rows."""
    for r in xp.flatnonzero(which):
        pairs = list(zip(rows[r].tolist(), range(rows.shape[-1]), strict=True))
        out[r] = [i for _, i in algorithm(pairs)]


# -- sort, argsort, msort -------------------------------------------------------------------
class _Unset:
    def __repr__(self) -> str:
        return "False"


_UNSET = _Unset()
_GRAIN_SIZE = 32768  # ATen's at::internal::GRAIN_SIZE
_Sort0 = node_class("SortBackward0", scatter_rule)
_Sort1 = node_class("SortBackward1", scatter_rule)


def _sort_indices(x: Any, d: int, descending: bool, stable: bool) -> Any:
    rows = _rows(x, d)
    order = _stable_order(rows, descending)
    # torch sorts long 1-d integer tensors ascending with a (stable) radix sort
    radix = x.ndim == 1 and x.dtype.kind in "iu" and x.size >= _GRAIN_SIZE and not descending
    if not stable and not radix and rows.shape[-1] > 16:  # std::sort: insertion sort (stable) up to 16 elements
        lt = sel.descending if descending else sel.ascending
        _run(rows, _tied(rows, order), lambda a: (sel.std_sort(a, lt), a)[1], order)
    return _unrows(order, x, d)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: Any = _UNSET) -> Any:
    """``(values, indices)`` sorted along ``dim``; NaN counts as the largest value."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.ndim:
        indices = _sort_indices(x, d, descending, bool(stable) if stable is not _UNSET else False)
        values = xp.take_along_axis(x, indices, axis=d)
    else:
        values, indices = x.copy(), xp.zeros((), xp.int64)
    out = Tensor._make(values)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Sort0 if stable is _UNSET else _Sort1, (input,),
               {"dim": d if x.ndim else None, "indices": indices, "shape": x.shape})
    return return_types.sort(out, Tensor._make(indices.astype(xp.int64)))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    return sort(input.detach(), dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


# -- topk -----------------------------------------------------------------------------------
_Topk = node_class("TopkBackward0", scatter_rule)


def _topk_kernel(k: int, largest: bool, ordered: bool) -> Callable[[list[Any]], list[Any]]:
    """torch's topk on one slice: partial_sort when k is small, else nth_element (+ sort)."""
    lt = sel.descending if largest else sel.ascending

    def run(a: list[Any]) -> list[Any]:
        if k * 64 <= len(a):
            sel.std_partial_sort(a, k, lt)
        else:
            sel.std_nth_element(a, k - 1, lt)
            if ordered:
                head = a[: k - 1]
                sel.std_sort(head, lt)
                a[: k - 1] = head
        return a[:k]

    return run


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``, as ``(values, indices)``."""
    _int_arg("topk", "k", k)
    x = input._data
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if not x.ndim:
        values, indices = x.copy(), xp.zeros((), xp.int64)
    else:
        rows = _rows(x, d)
        order = _stable_order(rows, largest)
        chosen = order[:, :k].copy()
        if k:
            # the kernel's order shows where there are ties, and unsorted unless partial_sort ran
            redo = _tied(rows, order) | (not sorted and k * 64 > n)
            _run(rows, redo, _topk_kernel(k, largest, sorted), chosen)
        indices = _unrows(chosen, x, d)
        values = xp.take_along_axis(x, indices, axis=d)
    out = Tensor._make(values)
    if input._requires_grad and grad_state.enabled:
        attach(out, _Topk, (input,), {"dim": d if x.ndim else None, "indices": indices, "shape": x.shape})
    return return_types.topk(out, Tensor._make(indices.astype(xp.int64)))


# -- kthvalue, median, nanmedian, mode: one value (and its index) per slice --------------------
def _pick(name: str, input: Tensor, dim: int, keepdim: bool, choose: Callable[[Any], Any], cls: Any,
          result_type: Any) -> Any:
    """``choose(rows)`` gives each row's index; the op returns values and indices along ``dim``."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.ndim:
        err = empty_dim_error(name, x, (d,))
        if err:
            raise err
        rows = _rows(x, d)
        picked = choose(rows) if rows.size else xp.zeros((rows.shape[0],), xp.int64)
        kept = tuple(1 if i == d else s for i, s in enumerate(x.shape))
        indices = picked.reshape(tuple(s for i, s in enumerate(x.shape) if i != d)).reshape(kept)
        values = xp.take_along_axis(x, indices, axis=d)
    else:
        choose(x.reshape(1, 1))  # validates k on a 0-d input
        kept, indices, values = (), xp.zeros((), xp.int64), x.copy()
    out_idx = indices if keepdim or not x.ndim else indices.squeeze(d)
    out = Tensor._make(values if keepdim or not x.ndim else values.squeeze(d))
    if input._requires_grad and grad_state.enabled:
        attach(out, cls, (input,), {"indices": indices, "kept": kept, "shape": x.shape, "dim": d if x.ndim else 0})
    return result_type(out, Tensor._make(out_idx.astype(xp.int64)))


def _int_arg(name: str, arg: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be int, not {type(value).__name__}")


def _no_bool(name: str, x: Any) -> None:
    if x.dtype.kind == "b":
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


_Kthvalue = node_class("KthvalueBackward0", select_rule)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the k-th smallest element along ``dim`` (k counts from 1)."""
    _int_arg("kthvalue", "k", k)
    d = wrap_dim(dim, input._data.ndim)
    _no_bool("kthvalue_cpu", input._data)

    def choose(rows: Any) -> Any:
        if not 1 <= k <= rows.shape[-1]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        order = _stable_order(rows, False)
        picked = order[:, k - 1].copy()
        v = xp.take_along_axis(rows, picked[:, None], axis=-1)
        ties = (matches(rows, v)).sum(axis=-1) > 1
        _run(rows, ties, lambda a: (sel.quick_select(a, k - 1, sel.descending), a[k - 1 : k])[1], picked[:, None])
        return picked

    return _pick("kthvalue", input, dim, keepdim, choose, _Kthvalue, return_types.kthvalue)


def _median_rows(rows: Any, ignore_nan: bool) -> Any:
    """torch's median index: the first NaN if any (median), else the lower median of the stable
    order (NaNs last and skipped by nanmedian)."""
    order = _stable_order(rows, False)
    n = rows.shape[-1]
    if rows.dtype.kind != "f":
        return order[:, (n - 1) // 2]
    nans = xp.isnan(rows)
    if ignore_nan:
        position = xp.maximum(n - nans.sum(axis=-1) - 1, 0) // 2
        return xp.take_along_axis(order, position[:, None], axis=-1)[:, 0]
    return xp.where(nans.any(axis=-1), xp.argmax(nans, axis=-1), order[:, (n - 1) // 2])


def _median(name: str, ignore_nan: bool, all_node: str, dim_node: str, result_type: Any) -> Any:
    all_cls, dim_cls = node_class(all_node, even_rule), node_class(dim_node, select_rule)

    def op(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
        x = input._data
        if dim is not None:
            _no_bool("median_out", x)
            return _pick("median", input, dim, keepdim, lambda rows: _median_rows(rows, ignore_nan), dim_cls,
                         result_type)
        flat = x.reshape(1, -1)
        if flat.size:
            _no_bool("median_cpu", x)
            value = flat[0, _median_rows(flat, ignore_nan)[0]]
        else:  # torch returns NaN cast to the dtype (and checks no dtype)
            value = xp.array(xp.nan).astype(x.dtype)
        out = Tensor._make(xp.array(value, x.dtype))
        if input._requires_grad and grad_state.enabled:
            mask = matches(x, out._data)
            attach(out, all_cls, (input,), {"mask": mask, "n": int(xp.count_nonzero(mask))})
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The lower median{' ignoring NaNs' if ignore_nan else ' (NaN if any element is)'}; with ``dim``, "
                  "``(values, indices)`` along it.")
    return register(op)


median = _median("median", False, "MedianBackward0", "MedianBackward1", return_types.median)
nanmedian = _median("nanmedian", True, "NanmedianBackward0", "NanmedianBackward1", return_types.nanmedian)

_Mode = node_class("ModeBackward0", select_rule)


def _mode_of(a: list[Any]) -> list[Any]:
    """torch's mode kernel: std::sort by value, then the first longest run; its last element."""
    sel.std_sort(a, sel.plain_less)
    best, best_n, run = a[-1], 0, 0
    for i, item in enumerate(a):
        run += 1
        if i == len(a) - 1 or item[0] != a[i + 1][0]:
            if run > best_n:
                best, best_n = item, run
            run = 0
    return [best]


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest such value)."""
    def choose(rows: Any) -> Any:
        picked = xp.zeros((rows.shape[0], 1), xp.int64)
        _run(rows, xp.ones(rows.shape[0], bool), _mode_of, picked)
        return picked[:, 0]

    return _pick("mode", input, dim, keepdim, choose, _Mode, return_types.mode)


# -- unique (no derivative, as in torch: the graph records a node whose backward refuses) ------
def _refuse(name: str) -> Callable[..., Any]:
    def rule(F: Any, grad: Any) -> Any:
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    return rule


_Unique2 = node_class("Unique2Backward0", _refuse("_unique2"))
_UniqueDim = node_class("UniqueDimBackward0", _refuse("unique_dim"))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: int | None = None) -> Any:
    """The distinct values (or slices along ``dim``), sorted; NaNs are all distinct, as in torch.
    With ``return_inverse`` / ``return_counts``, a tuple with each element's index into the
    result and each value's count."""
    x = input._data
    if dim is None:
        values, inverse, counts = xp.unique(x.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inverse = inverse.reshape(x.shape)
        cls = _Unique2
    else:
        if not x.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim(dim, x.ndim)
        if x.size == 0 and x.shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        values, inverse, counts = _unique_dim(x, d)
        cls = _UniqueDim
    out = Tensor._make(values)
    if input._requires_grad and grad_state.enabled:
        attach(out, cls, (input,), {})
    extra = [Tensor._make(inverse.astype(xp.int64))] if return_inverse else []
    extra += [Tensor._make(counts.astype(xp.int64))] if return_counts else []
    return (out, *extra) if extra else out


def _unique_dim(x: Any, d: int) -> tuple[Any, Any, Any]:
    """Distinct slices along ``d``, in lexicographic order; a slice holding NaN equals no other."""
    if x.shape[d] == 0:
        return x.copy(), xp.zeros(0, xp.int64), xp.zeros(0, xp.int64)
    rows = _rows(xp.moveaxis(x, d, 0).reshape(x.shape[d], -1).T, 0) if x.ndim > 1 else x.reshape(-1, 1)
    order = xp.lexsort(rows.T[::-1]) if rows.shape[1] else xp.arange(rows.shape[0])
    s = rows[order]
    new = xp.ones(len(s), bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    group = xp.cumsum(new) - 1
    inverse = xp.empty(len(s), xp.int64)
    inverse[order] = group
    counts = xp.bincount(group)
    firsts = order[new]
    return xp.take(x, firsts, axis=d), inverse, counts


for _op in (sort, argsort, msort, topk, kthvalue, mode, unique):
    register(_op)
