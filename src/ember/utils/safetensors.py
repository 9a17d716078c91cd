"""The safetensors format for ember tensors, as ``safetensors.torch`` offers it for torch's:
``save``/``load`` (bytes) and ``save_file``/``load_file`` (files). Files are interchangeable with
torch's. Needs the ``safetensors`` package (``pip install safetensors``), imported only when used.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy

from ember.backend import device as _device
from ember.tensor import Tensor

__all__ = ["load", "load_file", "save", "save_file"]


def _numpy_api() -> Any:
    try:
        import safetensors.numpy
    except ImportError as e:
        raise ImportError("ember.utils.safetensors needs the safetensors package: pip install safetensors (it is "
                          "also in ember's optional dependencies)") from e
    return safetensors.numpy


def _arrays(tensors: dict[str, Tensor]) -> dict[str, numpy.ndarray]:
    """The tensors' arrays, after safetensors.torch's checks: a dict of dense, contiguous tensors
    none of which shares memory with another."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, ember.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected ember.Tensor but received {type(v)}")
    spans = sorted((*numpy.lib.array_utils.byte_bounds(v._data), k) for k, v in tensors.items() if v.numel())
    groups: list[set[str]] = []
    end = None
    for low, high, k in spans:
        if end is not None and low < end:
            groups[-1].add(k)
        else:
            groups.append({k})
        end = high if end is None or low >= end else max(end, high)
    failing = [g for g in groups if len(g) > 1]
    if failing:
        raise RuntimeError(
            f"""
            Some tensors share memory, this will lead to duplicate memory on disk and potential differences when loading them again: {failing}.
            A potential way to correctly save your model is to use `save_model`.
            More information at https://huggingface.co/docs/safetensors/torch_shared_tensors
            """  # noqa: E501 (safetensors.torch's message, line for line)
        )
    for k, v in tensors.items():
        if not v._data.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either means you"
                " are trying to save tensors which are reference of each other in which case it's recommended to save"
                " only the full tensors, and reslice at load time, or simply call `.contiguous()` on your tensor to"
                " pack it before saving.")
    return {k: v._data for k, v in tensors.items()}


def _tensors(arrays: dict[str, numpy.ndarray]) -> dict[str, Tensor]:
    return {k: Tensor._make(numpy.array(a, copy=True)) for k, a in arrays.items()}  # owned, writable memory


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (dense, contiguous, none sharing memory), with the
    optional text ``metadata`` in the header."""
    return _numpy_api().save(_arrays(tensors), metadata=metadata)


def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike[str],
              metadata: dict[str, str] | None = None) -> None:
    """Write ``tensors`` to ``filename`` in safetensors format."""
    _numpy_api().save_file(_arrays(tensors), filename, metadata=metadata)


def load(data: bytes) -> dict[str, Tensor]:
    """The tensors in safetensors bytes, by name."""
    api = _numpy_api()
    _check_dtypes(data[:8], lambda n: data[8:8 + n])
    return _tensors(api.load(data))


def load_file(filename: str | os.PathLike[str], device: str | _device = "cpu") -> dict[str, Tensor]:
    """The tensors in the safetensors file ``filename``, by name, on ``device`` (the CPU)."""
    _device(device)
    api = _numpy_api()
    with open(filename, "rb") as f:
        _check_dtypes(f.read(8), f.read)
    return _tensors(api.load_file(filename))


_EMBER_DTYPES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64"}


def _check_dtypes(size: bytes, read: Any) -> None:
    """A TypeError naming the first tensor whose dtype ember does not have (BF16, U16, F8_*, C64 ...).
    The header is 8 bytes of little-endian length, then that much JSON; a malformed one is left
    for safetensors to report."""
    if len(size) != 8:
        return
    try:
        header = json.loads(read(int.from_bytes(size, "little")))
    except (ValueError, MemoryError, OverflowError):
        return
    for name, info in header.items() if isinstance(header, dict) else ():
        if name != "__metadata__" and isinstance(info, dict) and info.get("dtype") not in _EMBER_DTYPES:
            raise TypeError(f"the safetensors data holds tensor `{name}` of dtype {info.get('dtype')}, which ember "
                            "does not have")
