"""The selection and sorting algorithms behind torch's CPU kernels, on Python lists, so that
ember breaks ties (and orders ``topk(sorted=False)``) exactly as torch does.

torch leaves these orders unspecified, but they are deterministic: ``sort(stable=False)``,
``topk`` and ``mode`` run libstdc++'s ``std::sort`` / ``std::nth_element`` /
``std::partial_sort`` (introsort, introselect, heap select) on (value, index) pairs compared by
value; ``kthvalue`` runs ATen's own ``quick_select_template``. The ops use NumPy when a slice
has no ties (the result is then the same whatever the algorithm) and these ports otherwise.

Each function permutes the list ``a`` in place; ``lt`` (or ``gt``) compares two elements.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Compare = Callable[[Any, Any], bool]
_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves runs this short to insertion sort


def _lg(n: int) -> int:
    return n.bit_length() - 1


# -- std::sort ------------------------------------------------------------------------------
def std_sort(a: list[Any], lt: Compare) -> None:
    n = len(a)
    if n > 1:
        _introsort_loop(a, 0, n, 2 * _lg(n), lt)
        _final_insertion_sort(a, 0, n, lt)


def _introsort_loop(a: list[Any], first: int, last: int, depth: int, lt: Compare) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_select(a, first, last, last, lt)
            _sort_heap(a, first, last, lt)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, lt)
        _introsort_loop(a, cut, last, depth, lt)
        last = cut


def _final_insertion_sort(a: list[Any], first: int, last: int, lt: Compare) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, lt)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, lt)
    else:
        _insertion_sort(a, first, last, lt)


def _insertion_sort(a: list[Any], first: int, last: int, lt: Compare) -> None:
    for i in range(first + 1, last):
        val = a[i]
        if lt(val, a[first]):
            a[first + 1 : i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i, lt)


def _unguarded_linear_insert(a: list[Any], last: int, lt: Compare) -> None:
    val = a[last]
    nxt = last - 1
    while lt(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _unguarded_partition_pivot(a: list[Any], first: int, last: int, lt: Compare) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, lt)
    return _unguarded_partition(a, first + 1, last, first, lt)


def _move_median_to_first(a: list[Any], result: int, x: int, y: int, z: int, lt: Compare) -> None:
    if lt(a[x], a[y]):
        pick = y if lt(a[y], a[z]) else (z if lt(a[x], a[z]) else x)
    else:
        pick = x if lt(a[x], a[z]) else (z if lt(a[y], a[z]) else y)
    a[result], a[pick] = a[pick], a[result]


def _unguarded_partition(a: list[Any], first: int, last: int, pivot: int, lt: Compare) -> int:
    while True:
        while lt(a[first], a[pivot]):
            first += 1
        last -= 1
        while lt(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


# -- heaps: std::partial_sort and the fallbacks of introsort / introselect --------------------
def std_partial_sort(a: list[Any], middle: int, lt: Compare) -> None:
    _heap_select(a, 0, middle, len(a), lt)
    _sort_heap(a, 0, middle, lt)


def _heap_select(a: list[Any], first: int, middle: int, last: int, lt: Compare) -> None:
    _make_heap(a, first, middle, lt)
    for i in range(middle, last):
        if lt(a[i], a[first]):
            _pop_heap(a, first, middle, i, lt)


def _make_heap(a: list[Any], first: int, last: int, lt: Compare) -> None:
    n = last - first
    if n < 2:
        return
    parent = (n - 2) // 2
    while True:
        _adjust_heap(a, first, parent, n, a[first + parent], lt)
        if parent == 0:
            return
        parent -= 1


def _sort_heap(a: list[Any], first: int, last: int, lt: Compare) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, lt)


def _pop_heap(a: list[Any], first: int, last: int, result: int, lt: Compare) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, lt)


def _adjust_heap(a: list[Any], first: int, hole: int, n: int, value: Any, lt: Compare) -> None:
    top = child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if lt(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2  # push_heap
    while hole > top and lt(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


# -- std::nth_element -----------------------------------------------------------------------
def std_nth_element(a: list[Any], nth: int, lt: Compare) -> None:
    first, last = 0, len(a)
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, lt)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, lt)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, lt)


# -- ATen's quick_select_template (kthvalue) ------------------------------------------------
def quick_select(a: list[Any], k: int, gt: Compare) -> None:
    """Put the k-th smallest element at ``a[k]`` (median-of-three Hoare partitioning)."""
    lo, hi = 0, len(a) - 1
    while hi > lo:
        if hi == lo + 1:
            if gt(a[lo], a[hi]):
                a[lo], a[hi] = a[hi], a[lo]
            return
        mid = lo + (hi - lo) // 2
        a[mid], a[lo + 1] = a[lo + 1], a[mid]
        if gt(a[lo + 1], a[hi]):
            a[lo + 1], a[hi] = a[hi], a[lo + 1]
        if gt(a[lo], a[hi]):
            a[lo], a[hi] = a[hi], a[lo]
        if gt(a[lo + 1], a[lo]):
            a[lo + 1], a[lo] = a[lo], a[lo + 1]
        i, j, pivot = lo + 1, hi, a[lo]
        while True:
            i += 1
            while gt(pivot, a[i]):
                i += 1
            j -= 1
            while gt(a[j], pivot):
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[lo], a[j] = a[j], a[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# -- the comparisons torch's kernels use, on (value, index) pairs ------------------------------
def ascending(x: Any, y: Any) -> bool:
    """NaN sorts last."""
    a, b = x[0], y[0]
    return (a == a and b != b) or a < b


def descending(x: Any, y: Any) -> bool:
    """NaN sorts first."""
    a, b = x[0], y[0]
    return (a != a and b == b) or a > b


def plain_less(x: Any, y: Any) -> bool:
    """``mode``'s comparison: a bare ``<`` (NaN compares false both ways)."""
    return x[0] < y[0]
