"""Tensor printing: reproduces torch's ``repr(tensor)`` byte for byte.

Everything here is a pure function of a host NumPy array plus the global
print options, so the Tensor class only has to hand over its data and a few
flags (dtype name, requires_grad, grad_fn name).

Rules that mirror torch (2.13) and are easy to get wrong:

* Floats are formatted by one formatter per tensor, built from the nonzero
  finite values only.  If every such value is integral the tensor is printed
  in "int mode" (``3.``, ``-1.``); scientific notation is chosen when
  ``max/min > 1000``, ``max > 1e8`` or ``min < 1e-4`` (on absolute values),
  unless ``sci_mode`` is forced.  A tensor without nonzero finite values
  (all zeros / nan / inf) always prints in int mode, even with
  ``sci_mode=True``.
* When the tensor has more than ``threshold`` elements it is summarized: only
  ``edgeitems`` leading/trailing entries per dimension are printed, and the
  formatter only sees those entries.  With ``edgeitems=0`` a 1-d tensor's
  formatter still sees the whole tensor (``a[-0:]`` is everything), a
  ``size=`` suffix is added and the body becomes ``[...]``.
* Suffix order is ``size=``, ``dtype=``, then ``grad_fn=<...>`` or, if there
  is no grad_fn, ``requires_grad=True``.  A suffix goes to a new line
  (indented by ``len(prefix)``) when it would pass ``linewidth``.
* dtype suffix: non-empty tensors omit it for the default float dtype, int64
  and bool (the caller's ``is_default_dtype``).  Empty tensors omit it *only*
  for the default float dtype -- ``tensor([], dtype=ember.int64)`` -- and add
  ``size=`` unless they are 1-d.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

# printing always works on host (NumPy) arrays
import numpy as np

__all__ = [
    "PrintOptions",
    "format_tensor",
    "get_printoptions",
    "options",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


options = PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set printing options, with the semantics of ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") is applied first and explicit
    arguments override it.  Like torch, ``sci_mode`` is always assigned, so
    any call without it returns to automatic scientific notation.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(options, name, value)
    overrides = {
        "precision": precision,
        "threshold": threshold,
        "edgeitems": edgeitems,
        "linewidth": linewidth,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(options, name, value)
    options.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options, as keyword arguments accepted by set_printoptions()."""
    return dataclasses.asdict(options)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (like ``torch.printoptions``)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Chooses one element width/notation for all elements of a tensor."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in values.ravel().tolist())])
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        magnitude = np.abs(finite).astype(np.float64)
        low, high = float(magnitude.min()), float(magnitude.max())
        if options.sci_mode is None:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        else:
            self.sci_mode = options.sci_mode
        p = options.precision
        if self.sci_mode:
            texts = [f"{v:.{p}e}" for v in finite.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in finite.tolist()]
        else:
            texts = [f"{v:.{p}f}" for v in finite.tolist()]
        self.width = max(self.width, *map(len, texts))

    def format(self, value: float | bool) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{options.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{options.precision}f}"
        return text.rjust(self.width)


def _summarized_values(data: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows, flattened (what torch formats)."""
    edge = options.edgeitems
    if data.ndim == 0:
        return data.reshape(1)
    if data.ndim == 1:
        if data.shape[0] > 2 * edge:
            return np.concatenate([data[:edge], data[-edge:]])
        return data
    if not edge:
        return data[:0].reshape(0)
    rows = range(data.shape[0])
    if data.shape[0] > 2 * edge:
        rows = [*range(edge), *range(data.shape[0] - edge, data.shape[0])]
    return np.concatenate([_summarized_values(data[i]).ravel() for i in rows])


def _vector_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = options.edgeitems
    per_line = max(1, math.floor((options.linewidth - indent) / (fmt.width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        head = [fmt.format(v) for v in data[:edge].tolist()]
        tail = [fmt.format(v) for v in data[-edge:].tolist()]
        items = [*head, " ...", *tail]
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nd_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)
    edge = options.edgeitems
    n = data.shape[0]
    if summarize and n > 2 * edge:
        head = [_nd_str(data[i], indent + 1, summarize, fmt) for i in range(edge)]
        tail = [
            _nd_str(data[i], indent + 1, summarize, fmt) for i in range(n - edge, n)
        ]
        parts = [*head, "...", *tail]
    else:
        parts = [_nd_str(data[i], indent + 1, summarize, fmt) for i in range(n)]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _body_str(data: np.ndarray, indent: int) -> str:
    summarize = data.size > options.threshold
    fmt = _Formatter(_summarized_values(data) if summarize else data.ravel())
    return _nd_str(data, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    pieces = [text]
    # torch's own measure of the last line (one more than its true length + 1)
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > options.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(pieces) + ")"


def format_tensor(
    data: np.ndarray,
    *,
    dtype_name: str,
    is_default_dtype: bool,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
    module: str = "ember",
    default_float: str = "float32",
) -> str:
    """Full ``repr`` of a tensor holding ``data``, e.g. ``tensor([1., 2.])``.

    ``dtype_name`` is the tensor's dtype name ("float64", "bool", ...), shown
    as ``dtype={module}.{dtype_name}``.  ``is_default_dtype`` says whether a
    non-empty tensor omits that suffix (torch: default float dtype, int64 and
    bool).  Empty tensors show the dtype unless it equals ``default_float``,
    and show ``size=(...)`` unless they are 1-d.  ``grad_fn_name`` (e.g.
    "AddBackward0") takes precedence over ``requires_grad``.  An
    ``nn.Parameter`` repr is ``"Parameter containing:\\n"`` + this string.
    """
    data = np.asarray(data)
    indent = len(prefix)
    size_suffix = f"size={tuple(data.shape)}"
    dtype_suffix = f"dtype={module}.{dtype_name}"
    suffixes: list[str] = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(size_suffix)
        if dtype_name != default_float:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not options.edgeitems:
            suffixes.append(size_suffix)
        if not is_default_dtype:
            suffixes.append(dtype_suffix)
        body = _body_str(data, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def tensor_repr(tensor: Any, prefix: str = "tensor(") -> str:
    """``repr`` of an ember Tensor: hands its data and flags to :func:`format_tensor`."""
    from ember.dtypes import get_default_dtype  # noqa: PLC0415 (printing is loaded lazily)

    dtype = tensor.dtype
    default_float = get_default_dtype().name
    grad_fn = tensor.grad_fn
    return format_tensor(
        tensor._data,
        dtype_name=dtype.name,
        is_default_dtype=dtype.name in (default_float, "int64", "bool"),
        requires_grad=tensor.requires_grad,
        grad_fn_name=None if grad_fn is None else type(grad_fn).__name__,
        prefix=prefix,
        default_float=default_float,
    )
