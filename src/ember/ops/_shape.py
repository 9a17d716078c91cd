"""Shape helpers shared by the ops: dims, broadcasting, and reducing a gradient to a shape."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.backend import xp


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with torch's IndexError when out of range."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dims: Any, ndim: int) -> tuple[int, ...]:
    """Normalise an int or a sequence of dims to a sorted tuple of non-negative dims."""
    if isinstance(dims, int):
        return (wrap_dim(dims, ndim),)
    out = tuple(sorted(wrap_dim(d, ndim) for d in dims))
    for i in range(1, len(out)):
        if out[i] == out[i - 1]:
            raise RuntimeError(f"dim {out[i]} appears multiple times in the list of dims")
    return out


def shape_arg(args: Sequence[Any]) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (torch's varargs size convention)."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
    return tuple(int(s) for s in args)


def broadcast_error(a: tuple[int, ...], b: tuple[int, ...]) -> RuntimeError:
    """torch's message for two shapes that do not broadcast."""
    for i in range(1, max(len(a), len(b)) + 1):
        sa = a[-i] if i <= len(a) else 1
        sb = b[-i] if i <= len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            dim = max(len(a), len(b)) - i
            return RuntimeError(
                f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at non-singleton dimension {dim}"
            )
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast")


def sum_to(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back down to ``shape`` (the inverse of broadcasting)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = xp.add.reduce(grad, axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def along_axis(index: Any, dim: int) -> tuple[Any, ...]:
    """The full index that picks ``index`` along ``dim`` (as ``take_along_axis`` does), for ``add.at``."""
    if index.ndim == 0:
        return ()
    grid = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
    grid[dim] = index
    return tuple(grid)


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a view/reshape shape, with torch's errors (torch's ``infer_size``)."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if numel == known or (infer is not None and known > 0 and numel % known == 0):
        if infer is not None:
            if known == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of {numel} elements into shape {list(shape)} because the unspecified "
                    "dimension size -1 can be any value and is ambiguous"
                )
            shape = shape[:infer] + (numel // known,) + shape[infer + 1 :]
        return shape
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
