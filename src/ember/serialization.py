"""``ember.save`` and ``ember.load`` in torch's checkpoint format (``torch.save`` since PyTorch 1.6).

A checkpoint is a zip archive (see ``ember._zip_archive``) with records ``data.pkl``,
``.format_version``, ``.storage_alignment``, ``byteorder``, one ``data/<key>`` per storage,
``version`` and ``.data/serialization_id``. ``data.pkl`` is a pickle (protocol 2) in which a
tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
and a storage is a persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)`` whose
elements are the record ``data/<key>``. Views of one tensor share one storage, saved once.
Files go both ways between torch and ember; loading never imports torch.
"""
from __future__ import annotations

import io
import os
import pickle
import secrets
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any

import numpy

from ember import _pickle_allowlist as allow
from ember import dtypes
from ember._zip_archive import ALIGNMENT, ZipReader, ZipWriter
from ember.backend import device
from ember.nn.parameter import Parameter
from ember.tensor import Size, Tensor

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "safe_globals", "save"]

_LEGACY_MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)  # how a pre-1.6 torch.save file starts
_UNSAFE_MESSAGE = (
    "`ember.load` defaults to `weights_only=True`, as `torch.load` does since PyTorch 2.6. Re-running `ember.load` "
    "with `weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. Do it "
    "only if you got the file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load, which ember.load follows, to learn more about types accepted by "
    "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


# -- saving -------------------------------------------------------------------------------------
class _Global:
    """A torch name (``torch._utils._rebuild_tensor_v2``) written as a pickle GLOBAL, so that a file
    names torch's functions without ember importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # pickle only reduces to callables; this one is never called
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_WITH_STATE = _Global("torch._utils", "_rebuild_parameter_with_state")
_SIZE, _DEVICE = _Global("torch", "Size"), _Global("torch", "device")
_STORAGE_TYPES = {dt: _Global("torch", name) for dt, name in allow.STORAGE_NAMES.items()}
_DTYPES = {dt: _Global("torch", dt.name) for dt in dtypes.ALL_DTYPES}


class _StorageRef:
    """Stands for one storage in the pickle; the pickler writes it as torch's persistent id."""

    __slots__ = ("type", "key", "numel")

    def __init__(self, storage_type: _Global, key: str, numel: int) -> None:
        self.type, self.key, self.numel = storage_type, key, numel


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, after = [], 1
    for n in reversed(shape):
        out.append(after)
        after *= max(n, 1)
    return tuple(reversed(out))


class _Pickler(pickle._Pickler):  # the Python pickler: its dispatch table takes our GLOBAL writers
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file: IO[bytes], protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: dict[Any, tuple[str, numpy.ndarray, Any]] = {}  # identity -> (key, flat elements, owner)

    def _write_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = _write_global
    dispatch[dtypes.dtype] = lambda self, obj: self.save(_DTYPES[obj])

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is _StorageRef:
            return ("storage", obj.type, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return _SIZE, (tuple(obj),)
        if type(obj) is device:
            return _DEVICE, ((obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor) -> Any:
        if isinstance(t, Parameter):  # torch: the data, the flag and (empty) hooks; any attributes as state
            state = vars(t)
            if state:
                return _REBUILD_PARAMETER_WITH_STATE, (t.detach(), t.requires_grad, OrderedDict(), dict(state))
            return _REBUILD_PARAMETER, (t.detach(), t.requires_grad, OrderedDict())
        ref, offset, stride = self._storage(t)
        return _REBUILD_TENSOR, (ref, offset, tuple(t._data.shape), stride, t.requires_grad, OrderedDict())

    def _storage(self, t: Tensor) -> tuple[_StorageRef, int, tuple[int, ...]]:
        """The storage ``t`` lives in (the memory of the tensor it is a view of, or its own), its
        offset and strides there. Tensors whose layout torch cannot express (negative strides)
        are saved as a contiguous copy."""
        x = t._data
        item = x.itemsize
        base = (t._base if t._base is not None else t)._data
        low, high = numpy.lib.array_utils.byte_bounds(base)
        x_low, x_high = numpy.lib.array_utils.byte_bounds(x)
        start = x.__array_interface__["data"][0]
        shares = (x.size > 0 and base.dtype == x.dtype and min(base.strides, default=0) >= 0
                  and all(s >= 0 and s % item == 0 for n, s in zip(x.shape, x.strides) if n != 1)
                  and low <= x_low and x_high <= high and (start - low) % item == 0 and (high - low) % item == 0)
        if shares:
            owner = base
            while isinstance(owner.base, numpy.ndarray):
                owner = owner.base
            identity: Any = (id(owner), low, high, x.dtype)
            flat = numpy.lib.stride_tricks.as_strided(base, ((high - low) // item,), (item,))
            offset, stride = (start - low) // item, tuple(max(s, 0) for s in t.stride())
        else:
            owner = flat = numpy.ascontiguousarray(x).reshape(-1)
            identity, offset, stride = ("copy", id(t)), 0, _contiguous_strides(x.shape)
        entry = self.storages.get(identity)
        if entry is None:
            entry = self.storages[identity] = (str(len(self.storages)), flat, owner)
        return _StorageRef(_STORAGE_TYPES[t.dtype], entry[0], entry[1].size), offset, stride


def save(obj: object, f: str | os.PathLike[str] | IO[bytes], pickle_protocol: int = 2) -> None:
    """Save ``obj`` (tensors, parameters, state dicts, nested containers ...) to ``f``, a path or a
    binary file object, in torch's zip format: ``torch.load(f, weights_only=True)`` reads it."""
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    data_buf = io.BytesIO()
    pickler = _Pickler(data_buf, pickle_protocol)
    pickler.dump(obj)
    records = [("data.pkl", data_buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", str(ALIGNMENT).encode()), ("byteorder", sys.byteorder.encode())]
    records += [(f"data/{key}", flat.view(numpy.uint8)) for key, flat, _ in pickler.storages.values()]
    records += [("version", b"3\n"), (".data/serialization_id", b"%020d%020d" % (secrets.randbits(64),
                                                                             secrets.randbits(64)))]
    if is_path:
        path = os.fspath(f)
        name = os.path.basename(path)
        archive = name[:name.rfind(".")] if "." in name else name  # torch's rule: the name less its last suffix
        if not archive.isascii():
            archive = "archive"
        with open(path, "wb") as out:
            _write_archive(out, archive, records)
    else:
        if not callable(f.write):
            raise TypeError(f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'")
        _write_archive(f, "archive", records)
        f.flush()


def _write_archive(out: IO[bytes], archive: str, records: list[tuple[str, Any]]) -> None:
    writer = ZipWriter(out, archive)
    for name, data in records:
        writer.write_record(name, data, memoryview(data).nbytes)
    writer.close()


# -- loading ------------------------------------------------------------------------------------
def _restore_location(storage: allow.Storage, location: str) -> allow.Storage:
    if location == "cpu" or location.startswith("cpu:"):
        return storage
    if location.startswith("cuda"):
        raise RuntimeError("Attempting to deserialize object on a CUDA device but ember runs on the CPU only. "
                           "Please use ember.load with map_location=ember.device('cpu') to map your storages to "
                           "the CPU.")
    raise RuntimeError(f"don't know how to restore data location of ember storage (tagged with {location})")


def _map_location(map_location: Any) -> Callable[[allow.Storage, str], allow.Storage]:
    """torch's four forms of ``map_location``: None, a dict of locations, a device (string or
    object), or a function ``(storage, location) -> storage or None``."""
    if map_location is None:
        return _restore_location
    if isinstance(map_location, dict):
        return lambda storage, location: _restore_location(storage, str(map_location.get(location, location)))
    if isinstance(map_location, bytes):
        map_location = map_location.decode()
    if isinstance(map_location, str) or not callable(map_location):
        return lambda storage, location: _restore_location(storage, str(map_location))

    def restore(storage: allow.Storage, location: str) -> allow.Storage:
        result = map_location(storage, location)
        if result is None:
            return _restore_location(storage, location)
        if not isinstance(result, allow.Storage):
            raise TypeError(f"map_location should return a storage or None, but returned {type(result).__name__}")
        return result

    return restore


def _load_zip(reader: ZipReader, path: str | None, map_location: Any, unpickler: type, weights_only: bool,
              mmap: bool, pickle_load_args: dict[str, Any]) -> Any:
    if reader.has_record("constants.pkl"):
        raise RuntimeError("ember.load cannot load TorchScript archives (written by torch.jit.save)")
    byteorder = reader.get_record("byteorder") if reader.has_record("byteorder") else b"little"
    if byteorder not in (b"little", b"big"):
        raise ValueError("Unknown endianness type: " + byteorder.decode())
    mapped = numpy.memmap(path, numpy.uint8, mode="c") if mmap and path is not None else None
    restore = _map_location(map_location)
    loaded: dict[str, allow.Storage] = {}

    def read_storage(dtype: dtypes.dtype, numel: int, key: str) -> allow.Storage:
        name, nbytes = f"data/{key}", numel * dtype.itemsize
        if reader.record_size(name) != nbytes:
            raise RuntimeError(f"ember.load: record {name} holds {reader.record_size(name)} bytes, but its storage "
                               f"of {numel} {dtype} elements needs {nbytes}; the checkpoint file is corrupted")
        if mapped is not None:
            start = reader.data_offset(name)
            raw = numpy.asarray(mapped[start:start + nbytes])
        else:
            raw = numpy.empty(nbytes, numpy.uint8)
            reader.read_into(name, raw)
        array = raw.view(dtype.numpy)
        return allow.Storage(array if byteorder.decode() == sys.byteorder else array.byteswap(), dtype)

    def persistent_load(pid: Any) -> allow.Storage:
        if type(pid) is not tuple or len(pid) != 5:
            raise pickle.UnpicklingError(f"persistent_load id must be a 5-tuple ('storage', type, key, location, "
                                         f"numel), but got {pid!r}")
        typename, storage_type, key, location, numel = pid
        typename = typename.decode("ascii") if isinstance(typename, bytes) else typename
        if typename != "storage" or not isinstance(storage_type, allow.StorageType):
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {typename!r}")
        if key not in loaded:
            location = location.decode("ascii") if isinstance(location, bytes) else location
            loaded[key] = restore(read_storage(storage_type.dtype, numel, key), location)
        return loaded[key]

    data = io.BytesIO(reader.get_record("data.pkl"))
    cls = allow.make_unpickler(unpickler, persistent_load, weights_only)
    if not weights_only:
        return cls(data, **pickle_load_args).load()
    try:
        return cls(data, encoding=pickle_load_args["encoding"]).load()
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(allow.weights_only_message(str(e), _UNSAFE_MESSAGE, _DOCS_MESSAGE)) from None


def _check_seekable(f: Any) -> None:
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(str(e) + ". You can only ember.load from a file that is seekable. Please pre-load the "
                          "data into a buffer like io.BytesIO and try to load from it instead.") from None
        raise


def _not_a_zip(f: IO[bytes], mmap: bool, name: str) -> None:
    """The error for a file that is not a zip checkpoint."""
    if mmap:
        raise RuntimeError(f"mmap can only be used with files saved with `ember.save({name}_use_new_zipfile_"
                           "serialization=True), please ember.save your checkpoint with this option in order to "
                           "use mmap.")
    head = f.read(len(_LEGACY_MAGIC))
    if not head:
        raise EOFError("Ran out of input")
    if head == _LEGACY_MAGIC:
        raise RuntimeError("ember.load does not read torch's legacy checkpoint format (torch.save before PyTorch "
                           "1.6, or with _use_new_zipfile_serialization=False); load it with torch and torch.save it "
                           "again to convert it")
    raise pickle.UnpicklingError(f"ember.load: not a checkpoint: the data starts with {head[:8]!r}, not with the zip "
                                 "signature b'PK\\x03\\x04' of the files torch.save and ember.save write")


def load(f: str | os.PathLike[str] | IO[bytes], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load an object saved by ``torch.save`` or ``ember.save``; tensors come back as ember tensors.

    ``weights_only`` (the default unless a ``pickle_module`` is given) unpickles only tensors,
    dtypes, sizes and plain containers, and the globals of :func:`add_safe_globals`; anything else
    raises ``pickle.UnpicklingError`` without running it. ``mmap=True`` maps the tensors' memory
    from the file (copy-on-write) instead of reading it. ``map_location``: as in ``torch.load``,
    where every location must map to the CPU.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    pickle_load_args.setdefault("encoding", "utf-8")
    is_path = isinstance(f, (str, os.PathLike))
    if is_path and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)
    opened = open(f, "rb") if is_path else f  # noqa: SIM115 (closed below)
    try:
        if not is_path:
            _check_seekable(opened)
        start = opened.tell()
        is_zip = opened.read(4) == b"PK\x03\x04"
        opened.seek(start)
        if not is_zip:
            _not_a_zip(opened, bool(mmap), f"{f}, " if isinstance(f, str) else "")
        if mmap and not is_path:
            raise ValueError("f must be a file path in order to use the mmap argument")
        return _load_zip(ZipReader(opened), os.fspath(f) if is_path else None, map_location,
                         pickle.Unpickler if weights_only else (pickle_module or pickle).Unpickler, weights_only,
                         bool(mmap), pickle_load_args)
    finally:
        if is_path:
            opened.close()


def _load_safetensors(path: str, map_location: Any) -> dict[str, Tensor]:
    """torch.load's route for a ``.safetensors`` path."""
    if isinstance(map_location, dict):
        raise RuntimeError("Loading safetensors file with dict map_location is not supported. Use a device string "
                           "or ember.device instead.")
    if callable(map_location) and not isinstance(map_location, device):
        raise RuntimeError("Loading safetensors file with callable map_location is not supported. Use a device "
                           "string or ember.device instead.")
    from ember.utils import safetensors

    try:
        return safetensors.load_file(path, device="cpu" if map_location is None else str(map_location))
    except ImportError as e:
        raise RuntimeError("Attempting to load a safetensors file but safetensors is not installed. Please install "
                           "safetensors with: pip install safetensors") from e


# -- the user's allowlist -----------------------------------------------------------------------
_safe_entries: dict[str, Any] = {}  # dotted name -> the entry as the user gave it


def add_safe_globals(safe_globals: list[Callable[..., Any] | tuple[Callable[..., Any], str]]) -> None:
    """Let ``weights_only`` loads use these globals: objects (matched by ``module.qualname``) or
    ``(object, "dotted.name")`` pairs."""
    for entry in safe_globals:
        name, obj = allow.safe_global_name(entry)
        _safe_entries[name] = entry
        allow.user_allowed[name] = obj


def get_safe_globals() -> list[Callable[..., Any] | tuple[Callable[..., Any], str]]:
    return list(_safe_entries.values())


def clear_safe_globals() -> None:
    _safe_entries.clear()
    allow.user_allowed.clear()


class safe_globals:
    """A context manager that allowlists ``safe_globals`` (as :func:`add_safe_globals`) inside it."""

    def __init__(self, safe_globals: list[Callable[..., Any] | tuple[Callable[..., Any], str]]) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: object) -> None:
        for entry in self.safe_globals:
            name, _ = allow.safe_global_name(entry)
            _safe_entries.pop(name, None)
            allow.user_allowed.pop(name, None)
