"""What ``ember.load`` lets a checkpoint's pickle name: torch's tensor-rebuild functions, storage
types, dtypes and a few containers, each mapped to its ember equivalent, plus the globals a user
allowlists (``ember.serialization.add_safe_globals``). torch itself is never imported.
"""
from __future__ import annotations

import _codecs
import _compat_pickle
import pickle
import re
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

import numpy

from ember import dtypes
from ember.backend import device
from ember.nn.parameter import Parameter
from ember.ops.views import view_of
from ember.tensor import Size, Tensor

# torch's legacy storage class of each dtype (the name torch.save pickles for it)
STORAGE_NAMES = {dtypes.float64: "DoubleStorage", dtypes.float32: "FloatStorage", dtypes.float16: "HalfStorage",
                 dtypes.int64: "LongStorage", dtypes.int32: "IntStorage", dtypes.int16: "ShortStorage",
                 dtypes.int8: "CharStorage", dtypes.uint8: "ByteStorage", dtypes.bool: "BoolStorage"}
# torch dtypes (and their storages) that ember has no equivalent of
_TORCH_ONLY = {"bfloat16", "complex32", "complex64", "complex128", "cfloat", "cdouble", "uint16", "uint32", "uint64",
               "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu",
               "float4_e2m1fn_x2", "qint8", "qint32", "quint8", "quint4x2", "quint2x4", "BFloat16Storage",
               "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QInt32Storage", "QUInt8Storage",
               "QUInt4x2Storage", "QUInt2x4Storage"} | {f"bits{b}" for b in ("8", "16", "1x8", "2x4", "4x2")}
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


class StorageType:
    """A storage class named in a checkpoint (``torch.FloatStorage``): it only carries a dtype."""

    def __init__(self, dtype: dtypes.dtype) -> None:
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"StorageType(dtype={self.dtype})"


class Storage:
    """One loaded ``data/<key>`` record: a flat array that the tensors saved from it view."""

    def __init__(self, array: numpy.ndarray, dtype: dtypes.dtype) -> None:
        self.array, self.dtype = array, dtype
        self._base: Tensor | None = None

    @property
    def device(self) -> device:
        return device("cpu")

    def cpu(self) -> Storage:
        return self

    def nbytes(self) -> int:
        return self.array.nbytes

    def size(self) -> int:
        return self.array.size

    def tensor(self, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> Tensor:
        """The tensor ``set_(storage, offset, size, stride)`` makes: one that covers the whole
        storage stands alone; any other is a view of a tensor over the whole storage, as in torch."""
        flat, item = self.array, self.array.itemsize
        size, stride = tuple(size), tuple(stride)
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        span = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else offset
        if offset < 0 or min(stride, default=0) < 0 or span > flat.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                               f"itemsize {item} requiring a storage size of {span * item} are out of bounds for "
                               f"storage of size {flat.nbytes}")
        data = numpy.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * item for s in stride))
        contiguous = data.flags.c_contiguous
        if offset == 0 and contiguous and data.size == flat.size:
            return Tensor._make(data)
        if self._base is None:
            self._base = Tensor._make(flat)
        return view_of(Tensor._make(data), self._base)


def _rebuild_tensor(storage: Storage, storage_offset: int, size: Any, stride: Any) -> Tensor:
    return storage.tensor(storage_offset, size, stride)


def _rebuild_tensor_v2(storage: Storage, storage_offset: int, size: Any, stride: Any, requires_grad: bool,
                       backward_hooks: Any, metadata: Any = None) -> Tensor:
    t = storage.tensor(storage_offset, size, stride)
    if metadata and metadata.get("neg"):  # a negative view: the values are the storage's, negated
        t = Tensor._make(-t._data)
    t.requires_grad = requires_grad
    return t


def _rebuild_tensor_v3(storage: Storage, storage_offset: int, size: Any, stride: Any, requires_grad: bool,
                       backward_hooks: Any, dtype: dtypes.dtype, metadata: Any = None) -> Tensor:
    typed = Storage(storage.array.view(dtype.numpy), dtype)  # an untyped (byte) storage read as ``dtype``
    return _rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any) -> Parameter:
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data: Tensor, requires_grad: bool, backward_hooks: Any, state: Any) -> Parameter:
    param = Parameter(data, requires_grad)
    dict_state, slots_state = state if isinstance(state, tuple) else (state, None)
    for part in (dict_state, slots_state):
        for k, v in (part or {}).items():
            setattr(param, k, v)
    return param


def _torch_only(name: str) -> Any:
    raise TypeError(f"the checkpoint holds a tensor of a dtype that ember does not have (torch.{name})")


def _allowed() -> dict[str, Any]:
    table: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": Parameter, "torch.Size": Size, "torch.Tensor": Tensor,
        "torch.device": device, "_codecs.encode": _codecs.encode, "builtins.bytearray": bytearray,
        "builtins.set": set, "builtins.complex": complex,
        "torch.storage.UntypedStorage": StorageType(dtypes.uint8),
    }
    for fn in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state):
        table[f"torch._utils.{fn.__name__}"] = fn
    for dt, storage_name in STORAGE_NAMES.items():
        table[f"torch.{dt.name}"] = dt
        table[f"torch.{storage_name}"] = StorageType(dt)
    return table


ALLOWED = _allowed()
user_allowed: dict[str, Any] = {}  # filled by ember.serialization.add_safe_globals


def safe_global_name(obj: Callable[..., Any] | tuple[Callable[..., Any], str]) -> tuple[str, Any]:
    """The dotted name a user-allowlisted global is matched by, and the object."""
    if isinstance(obj, tuple):
        if len(obj) != 2:
            raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple of "
                             f"length: {len(obj)}")
        if type(obj[1]) is not str:
            raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: {type(obj[1])}")
        return obj[1], obj[0]
    return f"{obj.__module__}.{obj.__qualname__}", obj


def resolve_weights_only(module: str, name: str) -> Any:
    """The object a checkpoint's ``GLOBAL module name`` stands for, if allowlisted (else UnpicklingError).
    Python 2 names (``__builtin__.eval``, as protocol 2 writes them) are read as Python 3's."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    full = f"{module}.{name}"
    if module in _BLOCKED_MODULES:
        raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
    if full in ALLOWED:
        return ALLOWED[full]
    if full in user_allowed:
        return user_allowed[full]
    if module == "torch" and name in _TORCH_ONLY:
        _torch_only(name)
    shown = full[len("builtins."):] if full.startswith("builtins.") else full
    raise pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
        f"`ember.serialization.add_safe_globals([{shown}])` or the `ember.serialization.safe_globals([{shown}])` "
        "context manager to allowlist this global if you trust this class/function.")


def resolve_any(module: str, name: str, find_class: Callable[[str, str], Any]) -> Any:
    """A full unpickler's lookup: torch's names map to ember's (``torch.nn.X`` to ``ember.nn.X``);
    every other global is imported as usual."""
    full = f"{module}.{name}"
    if full in ALLOWED:
        return ALLOWED[full]
    if full in user_allowed:
        return user_allowed[full]
    if module == "torch" and name in _TORCH_ONLY:
        _torch_only(name)
    if module == "torch" or module.startswith("torch."):
        module = "ember" + module[len("torch"):]
    return find_class(module, name)


def weights_only_message(message: str, unsafe: str, docs: str) -> str:
    """torch's "Weights only load failed" text around the unpickler's message, in ember's words."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {unsafe}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + docs)
    text = f"Weights only load failed. {unsafe}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        text += ("Please file an issue with the following so that we can make `weights_only=True` compatible with "
                 "your use case: WeightsUnpickler error: ")
    return text + "\n\n" + message + docs


def make_unpickler(base: type, persistent_load: Callable[[Any], Any], weights_only: bool) -> type:
    """An unpickler class over ``base`` whose globals go through the allowlist (``weights_only``)
    or through torch-to-ember renaming, and whose persistent ids are storages."""

    class Unpickler(base):  # type: ignore[misc, valid-type]
        def find_class(self, module: str, name: str) -> Any:
            if weights_only:
                return resolve_weights_only(module, name)
            return resolve_any(module, name, super().find_class)

        def persistent_load(self, pid: Any) -> Any:
            return persistent_load(pid)

    return Unpickler

