"""View ops: reshape/view, transpose/permute/movedim, squeeze/unsqueeze, expand, unfold; clone,
contiguous and dtype casts.

Each view op returns a NumPy view built with ``view_of``, so it shares its input's memory,
version counter and base as in torch (``ops/layout.py`` reads its strides and offset); each
derivative moves the gradient back into the input's layout.
"""
from __future__ import annotations

from typing import Any

from ember import dtypes
from ember.autograd.grad_mode import state as grad_state
from ember.backend import device, xp
from ember.ops._shape import infer_shape, shape_arg, sum_to, wrap_dim, wrap_dims
from ember.ops.registry import attach, node_class, register
from ember.ops.views import view_of
from ember.tensor import Tensor

_View = node_class("ViewBackward0", lambda F, grad, shape: F.reshape(grad, shape))
_UnsafeView = node_class("UnsafeViewBackward0", lambda F, grad, shape: F.reshape(grad, shape))


def _record(out: Tensor, input: Tensor, cls: Any, ctx: dict[str, Any]) -> Tensor:
    if input._requires_grad and grad_state.enabled:
        attach(out, cls, (input,), ctx)
    return out


def _view(data: Any, input: Tensor, cls: Any, ctx: dict[str, Any]) -> Tensor:
    """The output of a view op: shares ``input``'s memory, version counter and base."""
    return _record(view_of(Tensor._make(data), input), input, cls, ctx)


def view(input: Tensor, *shape: Any) -> Tensor:
    """The same data seen with another shape; refuses when strides make that impossible."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    x = input._data
    new = infer_shape(shape_arg(shape), x.size)
    try:
        data = xp.reshape(x, new, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return _view(data, input, _View, {"shape": x.shape})


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """Like ``view`` when the strides allow it, else a copy."""
    x = input._data
    new = infer_shape(shape_arg(shape), x.size)
    try:
        return _view(xp.reshape(x, new, copy=False), input, _View, {"shape": x.shape})
    except ValueError:
        return _record(Tensor._make(xp.reshape(x, new)), input, _UnsafeView, {"shape": x.shape})


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    n = 1
    for s in shape[start : end + 1]:
        n *= s
    return reshape(input, shape[:start] + (n,) + shape[end + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1): a view."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if -1 not in sizes:
        n = 1
        for s in sizes:
            n *= s
        if n != shape[d]:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                               f"({shape[d]}) in the input tensor")
    elif sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    sizes = infer_shape(sizes, shape[d])
    return view(input, shape[:d] + sizes + shape[d + 1 :])


_Transpose = node_class("TransposeBackward0", lambda F, grad, dim0, dim1: F.transpose(grad, dim0, dim1))
_T = node_class("TBackward0", lambda F, grad, dim0, dim1: F.transpose(grad, dim0, dim1))
_Permute = node_class("PermuteBackward0", lambda F, grad, inverse: F.permute(grad, inverse))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view)."""
    n = input._data.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    data = input._data.swapaxes(d0, d1) if n else input._data
    return _view(data, input, _Transpose, {"dim0": d0, "dim1": d1})


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors come back as they are)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    data = input._data.T if n == 2 else input._data
    return _view(data, input, _T, {"dim0": 0, "dim1": n - 1 if n else 0})


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims (a view)."""
    n = input._data.ndim
    order = shape_arg(dims)
    if len(order) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(order)}"
        )
    order = tuple(wrap_dim(d, n) for d in order)
    if len(set(order)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inverse = tuple(order.index(i) for i in range(n))
    return _view(input._data.transpose(order), input, _Permute, {"inverse": inverse})


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``, keeping the others in order (a view)."""
    n = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the "
                           f"same number of dims as destination ({list(dst)} dims)")
    src_w, dst_w = [wrap_dim(d, n) for d in src], [wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if n == 0:
        return permute(input, ())
    order: list[int | None] = [None] * n
    for s, d in zip(src_w, dst_w, strict=True):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src_w)
    return permute(input, tuple(o if o is not None else next(rest) for o in order))


moveaxis = movedim


def _T_property(input: Tensor) -> Tensor:
    n = input._data.ndim
    return permute(input, tuple(range(n - 1, -1, -1)))


def _matrix_transpose(name: str) -> Any:
    def prop(input: Tensor) -> Tensor:
        if input._data.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got "
                               f"{input._data.ndim}-D tensor.")
        return transpose(input, -2, -1)

    return prop


_mT, _mH = _matrix_transpose("mT"), _matrix_transpose("mH")  # real tensors: mH is mT


def _H(input: Tensor) -> Tensor:
    n = input._data.ndim
    if n == 0:
        return input
    if n != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if n > 2 else ""))
    return transpose(input, 0, 1)


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (real tensors: their transpose)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


_Unsqueeze = node_class("UnsqueezeBackward0", lambda F, grad, dim: F.squeeze(grad, dim))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (a view)."""
    d = wrap_dim(dim, input._data.ndim + 1)
    # a new axis (NumPy's fastest way to make one; stride() reports torch's stride for it)
    return _view(input._data[(slice(None),) * d + (None,)], input, _Unsqueeze, {"dim": d})


_SqueezeAll = node_class("SqueezeBackward0", lambda F, grad, shape: F.reshape(grad, shape))
_SqueezeDim = node_class("SqueezeBackward1", lambda F, grad, shape: F.reshape(grad, shape))
_SqueezeDims = node_class("SqueezeBackward2", lambda F, grad, shape: F.reshape(grad, shape))


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop dims of size 1 (all of them, or those among ``dim``)."""
    x = input._data
    if dim is None:
        axes, cls = tuple(i for i, s in enumerate(x.shape) if s == 1), _SqueezeAll
    else:
        cls = _SqueezeDim if isinstance(dim, int) else _SqueezeDims
        axes = tuple(d for d in wrap_dims(dim, x.ndim) if x.ndim and x.shape[d] == 1)
    return _view(xp.squeeze(x, axes) if axes else x[...], input, cls, {"shape": x.shape})


_Expand = node_class("ExpandBackward0", lambda F, grad: grad)  # the engine sums it back to the input's shape


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying (``-1`` keeps a dim's size)."""
    x = input._data
    target = shape_arg(sizes)
    if len(target) < x.ndim:
        raise RuntimeError(
            f"expand(ember.{input.dtype.scalar_name}Tensor{{{list(x.shape)}}}, size={list(target)}): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of dimensions in the tensor "
            f"({x.ndim})"
        )
    lead = len(target) - x.ndim
    shape = list(target)
    for i, s in enumerate(x.shape):
        want = target[lead + i]
        if want == -1:
            shape[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: {list(x.shape)}"
            )
    return _view(xp.broadcast_to(x, tuple(shape)), input, _Expand, {})


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, *size: Any) -> Tensor:
    return expand(input, *size)


def _unfold_rule(F: Any, grad: Any, dim: int, index: Any, shape: tuple[int, ...]) -> Any:
    if not shape:
        return F.reshape(grad, ())
    n = len(shape)  # the window dim comes last in grad; move it beside the window-count dim
    order = tuple(range(dim + 1)) + (n,) + tuple(range(dim + 1, n))
    key = (slice(None),) * dim + (index,)
    return F.index_zeros(F.permute(grad, order), key, shape, True)


_Unfold = node_class("UnfoldBackward0", _unfold_rule)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements, ``step`` apart, along ``dimension`` (a view; the
    windows' elements make a new last dim)."""
    x = input._data
    d = wrap_dim(dimension, x.ndim)
    length, stride = (x.shape[d], x.strides[d]) if x.ndim else (1, x.itemsize)
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (length - size) // step + 1
    if x.ndim:
        shape = x.shape[:d] + (count,) + x.shape[d + 1 :] + (size,)
        strides = x.strides[:d] + (stride * step,) + x.strides[d + 1 :] + (stride,)
    else:
        shape, strides = (size,), (stride,)
    data = xp.lib.stride_tricks.as_strided(x, shape, strides)
    index = xp.arange(count)[:, None] * step + xp.arange(size)
    return _view(data, input, _Unfold, {"dim": d, "index": index, "shape": x.shape})


_SumToSize = node_class("SumBackward1", lambda F, grad, shape: F.expand(grad, shape))


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum broadcast dims away until the shape is ``size``."""
    x = input._data
    shape = shape_arg(size)
    if x.shape == shape:
        return input
    lead = x.ndim - len(shape)
    if lead > 0:  # torch sums with keepdim, then views away the leading dims
        kept = sum_to(x, (1,) * lead + shape)
        return view(_record(Tensor._make(kept), input, _SumToSize, {"shape": x.shape}), shape)
    return _record(Tensor._make(sum_to(x, shape)), input, _SumToSize, {"shape": x.shape})


_Clone = node_class("CloneBackward0", lambda F, grad: grad)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return _record(Tensor._make(input._data.copy()), input, _Clone, {})


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    return input if input._data.flags.c_contiguous else clone(input)


# -- dtype casts ---------------------------------------------------------------------------------
_ToCopy = node_class("ToCopyBackward0", lambda F, grad: grad)  # the engine casts it back to the input's dtype


def _to_dtype(input: Tensor, dtype: dtypes.dtype, copy: bool = False) -> Tensor:
    if dtype.numpy == input._data.dtype and not copy:
        return input
    out = Tensor._make(input._data.astype(dtype.numpy))
    if dtype.is_floating_point:
        _record(out, input, _ToCopy, {})
    return out


def to(input: Tensor, *args: Any, dtype: dtypes.dtype | None = None, device: Any = None,
       non_blocking: bool = False, copy: bool = False, memory_format: Any = None) -> Tensor:
    """Cast to a dtype (``to(float64)``, ``to(other)``, ``to('cpu', float64)``)."""
    for a in args:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        else:
            _device_check(a)
    if device is not None:
        _device_check(device)
    return _to_dtype(input, dtype if dtype is not None else input.dtype, copy)


def _device_check(d: Any) -> None:
    device(d)  # raises for anything but the CPU


def type_as(input: Tensor, other: Tensor) -> Tensor:
    return _to_dtype(input, other.dtype)


def _caster(d: dtypes.dtype) -> Any:
    def cast(input: Tensor, memory_format: Any = None) -> Tensor:
        return _to_dtype(input, d)

    return cast


float_, double, half, long, int_, bool_, short, char, byte = (
    _caster(d) for d in (dtypes.float32, dtypes.float64, dtypes.float16, dtypes.int64, dtypes.int32,
                         dtypes.bool, dtypes.int16, dtypes.int8, dtypes.uint8)
)

for _op in (view, reshape, flatten, unflatten, transpose, t, permute, movedim, adjoint, unsqueeze, squeeze, expand,
            expand_as, broadcast_to, unfold, sum_to_size, clone, contiguous, to, type_as):
    register(_op)
