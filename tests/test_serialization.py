"""ember.save / ember.load against torch.save / torch.load: the same bytes on disk, round trips both
ways (values bit for bit, dtypes, strides, shared storages, parameters), state dicts of a model and
of Adam, the weights-only allowlist, and every error path beside torch's."""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import _zip_archive
from ember import serialization as ser

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _values(name: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(0)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith(("int", "uint")):
        info = np.iinfo(name)
        return rng.integers(info.min, info.max, shape, dtype=name, endpoint=True)
    return rng.standard_normal(shape).astype(name)


def _pair(lib, arrays):  # the same objects built in ember and in torch
    a = {n: lib.from_numpy(v.copy()) for n, v in arrays.items()}
    big = a["float32"]
    return {
        "tensors": a, "view": big[1:, 1:3], "transposed": big.t(), "strided": big[:, ::2], "row": big[2],
        "expanded": lib.ones(1).expand(4), "scalar": lib.tensor(3.5), "empty": lib.zeros(0, 3),
        "param": lib.nn.Parameter(lib.from_numpy(arrays["float64"].copy())),
        "frozen": lib.nn.Parameter(lib.ones(2), requires_grad=False),
        "leaf": lib.tensor([1.0, 2.0], requires_grad=True),
        "size": lib.Size([2, 3]), "dtypes": [lib.float16, lib.int64, lib.bool],
        "od": OrderedDict(x=1, y=[1.5, None, True, "s", (2, 3)]),
    }


ARRAYS = {n: _values(n, (3, 4)) for n in DTYPES}


def _blank_id(data: bytes) -> bytes:
    """The file with its random serialization id (and that record's CRC) zeroed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        ident = z.read("archive/.data/serialization_id")
    crc = zlib.crc32(ident).to_bytes(4, "little")
    return data.replace(ident, b"0" * len(ident)).replace(crc, b"\0" * 4)


def _save(lib, obj) -> bytes:
    buf = io.BytesIO()
    lib.save(obj, buf)
    return buf.getvalue()


def _same(e, t) -> None:
    """An ember tensor and a torch tensor: same type kind, dtype, shape, strides, offset, bits, flag."""
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert tuple(e.stride()) == tuple(t.stride()) or not t.numel()  # an empty tensor's strides are arbitrary
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    assert e.detach().numpy().tobytes() == t.detach().numpy().tobytes()


def test_file_is_torch_s_file_byte_for_byte():
    # same records, same order, same pickle opcodes and memo, same padding: only the random id differs
    e_bytes, t_bytes = _save(ember, _pair(ember, ARRAYS)), _save(torch, _pair(torch, ARRAYS))
    assert _blank_id(e_bytes) == _blank_id(t_bytes)
    with zipfile.ZipFile(io.BytesIO(e_bytes)) as z:
        assert z.namelist()[:4] == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                                    "archive/byteorder"]
        assert z.read("archive/version") == b"3\n" and z.read("archive/.storage_alignment") == b"64"
        starts = [i.header_offset + 30 + len(i.filename) + int.from_bytes(e_bytes[i.header_offset + 28:][:2], "little")
                  for i in z.infolist()]
        assert all(s % 64 == 0 for s in starts)


def test_torch_loads_ember_file():
    e_obj, t_obj = _pair(ember, ARRAYS), _pair(torch, ARRAYS)
    got = torch.load(io.BytesIO(_save(ember, e_obj)), weights_only=True)
    for name in DTYPES:
        _same(e_obj["tensors"][name], got["tensors"][name])
    for key in ("view", "transposed", "strided", "row", "expanded", "scalar", "empty", "param", "frozen", "leaf"):
        _same(e_obj[key], got[key])
        assert got[key].stride() == t_obj[key].stride() and got[key].storage_offset() == t_obj[key].storage_offset()
    # views come back sharing their base's storage, as torch's own round trip gives
    base = got["tensors"]["float32"].untyped_storage().data_ptr()
    assert all(got[k].untyped_storage().data_ptr() == base for k in ("view", "transposed", "strided", "row"))
    assert got["size"] == torch.Size([2, 3]) and got["dtypes"] == [torch.float16, torch.int64, torch.bool]
    assert got["od"] == e_obj["od"] and type(got["od"]) is OrderedDict
    devices = torch.load(io.BytesIO(_save(ember, [ember.device("cpu"), ember.device("cpu", 0)])), weights_only=True)
    assert devices == [torch.device("cpu"), torch.device("cpu", 0)]


def test_ember_loads_torch_file():
    e_obj, t_obj = _pair(ember, ARRAYS), _pair(torch, ARRAYS)
    got = ember.load(io.BytesIO(_save(torch, t_obj)))
    for name in DTYPES:
        _same(got["tensors"][name], t_obj["tensors"][name])
    for key in ("view", "transposed", "strided", "row", "expanded", "scalar", "empty", "param", "frozen", "leaf"):
        _same(got[key], t_obj[key])
    assert type(got["size"]) is ember.Size and got["size"] == e_obj["size"]
    assert got["dtypes"] == [ember.float16, ember.int64, ember.bool]
    devices = ember.load(io.BytesIO(_save(torch, [torch.device("cpu"), torch.device("cpu", 0)])))
    assert devices == [ember.device("cpu"), ember.device("cpu", 0)] and type(devices[0]) is ember.device
    # the views share the loaded base's memory: an in-place change shows through, as in torch
    got["tensors"]["float32"].add_(1)
    np.testing.assert_array_equal(got["view"].numpy(), got["tensors"]["float32"].numpy()[1:, 1:3])
    # and saving them again gives torch the same storage layout back
    again = torch.load(io.BytesIO(_save(ember, got)), weights_only=True)
    assert again["view"].storage_offset() == 5 and again["view"].untyped_storage().size() == 12 * 4


def test_shared_storage_saved_once():
    for lib in (ember, torch):
        w = lib.ones(3, 2)
        data = _save(lib, {"a": w, "b": w, "c": w[1:], "p": lib.nn.Parameter(w)})
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert [n for n in z.namelist() if "/data/" in n] == ["archive/data/0"]


def _models(seed: int = 0):
    torch.manual_seed(seed)
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                  torch.nn.Linear(8, 3))
    e_model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.BatchNorm1d(8), ember.nn.ReLU(),
                                  ember.nn.Linear(8, 3))
    return t_model, e_model


def test_model_state_dict_both_ways():
    t_model, e_model = _models()
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    t_model(torch.from_numpy(x))  # running statistics and num_batches_tracked move off their start
    loaded = ember.load(io.BytesIO(_save(torch, t_model.state_dict())))
    for e, t in zip(loaded.values(), t_model.state_dict().values(), strict=True):
        _same(e, t)
    e_model.load_state_dict(loaded)
    t_model.eval(), e_model.eval()
    np.testing.assert_allclose(e_model(ember.from_numpy(x)).detach().numpy(),
                               t_model(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-7)
    state = e_model.state_dict()
    got = torch.load(io.BytesIO(_save(ember, state)), weights_only=True)
    assert list(got) == list(state) and got._metadata == state._metadata
    t2, _ = _models(seed=5)
    t2.load_state_dict(got)
    t2.eval()
    np.testing.assert_array_equal(t2(torch.from_numpy(x)).detach().numpy(),
                                  t_model(torch.from_numpy(x)).detach().numpy())
    assert got["1.num_batches_tracked"].dtype == torch.int64


def _steps(lib, model, opt, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x, y = (lib.from_numpy(rng.standard_normal(s).astype(np.float32)) for s in ((5, 4), (5, 3)))
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_adam_resumes_from_checkpoint(writer):
    t_model, e_model = _models()
    e_model.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t_model.state_dict().items()})
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01, weight_decay=0.1)
    e_opt = ember.optim.Adam(e_model.parameters(), lr=0.01, weight_decay=0.1)
    _steps(torch, t_model, t_opt, 2, 0)
    _steps(ember, e_model, e_opt, 2, 0)
    src_model, src_opt, lib = (t_model, t_opt, torch) if writer == "torch" else (e_model, e_opt, ember)
    ckpt = _save(lib, {"model": src_model.state_dict(), "optim": src_opt.state_dict()})
    # resume both from the one checkpoint, then step on in step
    loaded_e = ember.load(io.BytesIO(ckpt))
    loaded_t = torch.load(io.BytesIO(ckpt), weights_only=True)
    assert loaded_e["optim"]["state"][0]["step"].dtype == ember.float32
    e_model2, t_model2 = _models(seed=3)[1], _models(seed=4)[0]
    e_model2.load_state_dict(loaded_e["model"]), t_model2.load_state_dict(loaded_t["model"])
    e_opt2 = ember.optim.Adam(e_model2.parameters(), lr=0.5)
    t_opt2 = torch.optim.Adam(t_model2.parameters(), lr=0.5)
    e_opt2.load_state_dict(loaded_e["optim"]), t_opt2.load_state_dict(loaded_t["optim"])
    assert e_opt2.param_groups[0]["lr"] == t_opt2.param_groups[0]["lr"] == 0.01
    _steps(ember, e_model2, e_opt2, 3, 1)
    _steps(torch, t_model2, t_opt2, 3, 1)
    for (name, e), (_, t) in zip(e_model2.state_dict().items(), t_model2.state_dict().items(), strict=True):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)


def test_load_runs_without_torch(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"w": torch.nn.Parameter(torch.arange(6.0).reshape(2, 3)), "v": torch.arange(4)[1:]}, path)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # any import of torch now fails
        import ember
        obj = ember.load({str(path)!r})
        print(type(obj["w"]).__name__, obj["w"].requires_grad, obj["w"].tolist(), obj["v"].tolist())
        ember.save(obj, {str(tmp_path / "again.pt")!r})
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["Parameter", "True", "[[0.0,", "1.0,", "2.0],", "[3.0,", "4.0,", "5.0]]", "[1,", "2,", "3]"]
    assert torch.load(tmp_path / "again.pt")["v"].tolist() == [1, 2, 3]


# -- weights_only -------------------------------------------------------------------------------
class _Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _archive(pkl: bytes, records=()) -> bytes:
    buf = io.BytesIO()
    writer = _zip_archive.ZipWriter(buf, "archive")
    for name, data in (("data.pkl", pkl), *records, ("version", b"3\n")):
        writer.write_record(name, data, len(data))
    writer.close()
    return buf.getvalue()


def _errors(data: bytes, **kwargs):
    """ember's and torch's exception for loading ``data``."""
    out = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            lib.load(io.BytesIO(data), **kwargs)
        out.append(info.value)
    return out


def _as_ember(message: str) -> str:
    from torch.serialization import UNSAFE_MESSAGE
    docs = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
            "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
    return (message.replace(UNSAFE_MESSAGE, ser._UNSAFE_MESSAGE).replace(docs, ser._DOCS_MESSAGE)
            .replace("torch.serialization", "ember.serialization"))


def test_malicious_pickle_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    data = _archive(pickle.dumps({"x": _Evil(f"touch {marker}")}, protocol=2))
    e, t = _errors(data)
    assert type(e) is type(t) is pickle.UnpicklingError
    assert str(e) == _as_ember(str(t)) and "posix.system whose module posix is blocked" in str(e)
    assert not marker.exists()
    ember.load(io.BytesIO(data), weights_only=False)  # the full unpickler does run it: that is what the flag means
    assert marker.exists()


@pytest.mark.parametrize("obj", [eval, OrderedDict.fromkeys, pytest.approx], ids=["builtin", "method", "function"])
def test_unlisted_globals_refused_like_torch(obj):
    data = _archive(pickle.dumps([obj], protocol=2))
    e, t = _errors(data)
    assert type(e) is type(t) is pickle.UnpicklingError
    if "was not an allowed global" in str(t):
        assert str(e) == _as_ember(str(t))
    else:  # torch's own opcode check stops a class method sooner; the allowlist refuses its class here
        assert "Weights only load failed" in str(e) and "was not an allowed global" in str(e)


class Point:
    def __init__(self, x):
        self.x = x


def test_safe_globals_allowlist():
    data = _archive(pickle.dumps(Point(2.5), protocol=2))
    e, t = _errors(data)
    assert type(e) is type(t) is pickle.UnpicklingError and str(e) == _as_ember(str(t))
    with ser.safe_globals([Point]):
        assert ember.load(io.BytesIO(data)).x == 2.5
        assert ser.get_safe_globals() == [Point]
    assert ser.get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data))
    ser.add_safe_globals([(Point, f"{Point.__module__}.Point")])
    try:
        assert ember.load(io.BytesIO(data)).x == 2.5
    finally:
        ser.clear_safe_globals()
    for bad, kind in (((len, "x", "y"), ValueError), ((len, 3), TypeError)):
        with pytest.raises(kind) as e_info:
            ser.add_safe_globals([bad])
        with torch.serialization.safe_globals([bad]), pytest.raises(kind) as t_info:
            torch.load(io.BytesIO(data))
        assert str(e_info.value) == str(t_info.value)


def test_weights_only_false_maps_torch_names():
    data = _save(torch, {"t": torch.arange(3), "dd": __import__("collections").defaultdict(list, a=[1])})
    e, t = _errors(data)
    assert type(e) is type(t) is pickle.UnpicklingError and str(e) == _as_ember(str(t))
    got = ember.load(io.BytesIO(data), weights_only=False)
    assert got["dd"] == {"a": [1]} and got["t"].tolist() == [0, 1, 2] and isinstance(got["t"], ember.Tensor)
    got = ember.load(io.BytesIO(data), pickle_module=pickle)  # an explicit pickle_module means a full load
    assert got["dd"]["a"] == [1]


# -- map_location and mmap ----------------------------------------------------------------------
def _with_location(location: str) -> bytes:
    data = _save(torch, {"a": torch.ones(2)})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = z.read("archive/data.pkl").replace(b"X\x03\x00\x00\x00cpu", b"X" + len(location).to_bytes(4, "little")
                                                 + location.encode())
        records = [(n.split("/", 1)[1], z.read(n)) for n in z.namelist()[1:-2]]
    return _archive(pkl, records)


def _identity(storage, location):
    return storage


def _no_choice(storage, location):
    return None


@pytest.mark.parametrize("ml", [None, "cpu", {"cuda:0": "cpu"}, _identity, "device", "torch_device"])
def test_map_location(ml):
    data = _with_location("cuda:0" if isinstance(ml, dict) or ml is _identity else "cpu")
    e_ml = ember.device("cpu") if ml == "device" else torch.device("cpu") if ml == "torch_device" else ml
    t_ml = torch.device("cpu") if ml == "device" else e_ml
    assert ember.load(io.BytesIO(data), map_location=e_ml)["a"].tolist() == [1.0, 1.0]
    assert torch.load(io.BytesIO(data), map_location=t_ml)["a"].tolist() == [1.0, 1.0]


def test_map_location_function_declining():
    e, t = _errors(_with_location("cuda:0"), map_location=_no_choice)
    assert type(e) is type(t) is RuntimeError and "CUDA device" in str(e) and "CUDA device" in str(t)


@pytest.mark.parametrize("location, ml", [("cuda:0", None), ("cpu", "cuda"), ("cpu", "xyz")])
def test_map_location_errors(location, ml):
    e, t = _errors(_with_location(location), map_location=ml)
    assert type(e) is type(t) is RuntimeError
    assert str(e).split(" ")[:5] == str(t).split(" ")[:5]


def test_mmap(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"a": torch.arange(10.0), "b": torch.arange(6).reshape(2, 3)[:, 1:]}, path)
    got = ember.load(path, mmap=True)
    want = torch.load(path, mmap=True)
    _same(got["a"], want["a"]), _same(got["b"], want["b"])
    chain, x = [], got["a"]._data
    while x is not None:
        chain.append(type(x))
        x = getattr(x, "base", None)
    assert np.memmap in chain
    got["a"].add_(1)  # copy-on-write: the file keeps its values
    assert torch.load(path)["a"].tolist() == list(range(10))
    e, t = _errors(path.read_bytes(), mmap=True)
    assert type(e) is type(t) is ValueError and str(e) == str(t)


# -- errors -------------------------------------------------------------------------------------
def _good() -> bytes:
    return _save(torch, {"a": torch.arange(6.0).reshape(2, 3), "b": torch.ones(2)})


def _drop(data: bytes, suffix: str) -> bytes:
    """The archive without its record ``suffix``."""
    buf = io.BytesIO()
    writer = _zip_archive.ZipWriter(buf, "archive")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for n in z.namelist():
            if not n.endswith("/" + suffix):
                writer.write_record(n.split("/", 1)[1], z.read(n), len(z.read(n)))
    writer.close()
    return buf.getvalue()


@pytest.mark.parametrize("cut", [0.5, -10, 100])
def test_truncated_file(cut):
    data = _good()
    e, t = _errors(data[:int(len(data) * cut)] if isinstance(cut, float) else data[:cut])
    assert type(e) is type(t) is RuntimeError
    assert "failed reading zip archive: failed finding central directory" in str(e) and "checkpoint file is " \
        "corrupted" in str(e) and "failed finding central directory" in str(t)


@pytest.mark.parametrize("missing", ["data.pkl", "data/0"])
def test_missing_record(missing):
    e, t = _errors(_drop(_good(), missing))
    assert type(e) is type(t) is RuntimeError
    assert str(e) == str(t).replace("PytorchStreamReader", "ember.load").replace(" This is an internal miniz error.",
                                                                                 "")


def test_random_bytes_and_empty_file():
    rng = np.random.default_rng(0)
    for data in (rng.integers(0, 256, 200, dtype=np.uint8).tobytes(), b"\x13\x37garbage" * 20):
        e, t = _errors(data)
        assert type(e) is type(t) is pickle.UnpicklingError and "not a checkpoint" in str(e)
    e, t = _errors(b"")
    assert type(e) is type(t) is EOFError


def test_corrupted_tensor_record():
    data = bytearray(_good())
    start = bytes(data).find(np.arange(6.0, dtype=np.float32).tobytes())
    data[start + 5] ^= 0xFF  # torch reads the flipped bits silently; ember checks each record's CRC
    with pytest.raises(RuntimeError, match="Bad CRC-32.*corrupted"):
        ember.load(io.BytesIO(bytes(data)))
    e, t = _errors(_archive(b"\x80\x02}q\x00(X"))  # a data.pkl cut short: torch's own unpickler says struct.error
    assert type(e) is pickle.UnpicklingError and "Weights only load failed" in str(e) and "truncated" in str(e)


def test_legacy_format_is_refused():
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy checkpoint format"):
        ember.load(io.BytesIO(buf.getvalue()))
    e, t = _errors(buf.getvalue(), mmap=True)
    assert type(e) is type(t) is RuntimeError and str(e) == str(t).replace("torch.save", "ember.save")


def test_argument_errors(tmp_path):
    e, t = _errors(_good(), pickle_module=pickle, weights_only=True)
    assert type(e) is type(t) is RuntimeError and str(e) == str(t)
    class Stream:  # readable, not seekable
        def read(self, n=-1):
            return b""

    for lib in (ember, torch):
        with pytest.raises(AttributeError) as info:
            lib.load(Stream())
        assert str(info.value).endswith(f"You can only {lib.__name__}.load from a file that is seekable. Please "
                                        "pre-load the data into a buffer like io.BytesIO and try to load from it "
                                        "instead.")
    with pytest.raises(AttributeError) as e_info:
        ember.save(ember.ones(1), 3)
    with pytest.raises(AttributeError) as t_info:
        torch.save(torch.ones(1), 3)
    assert str(e_info.value) == str(t_info.value)
    with pytest.warns(UserWarning, match="pickle_load_args only works") as e_warn:
        ember.load(io.BytesIO(_good()), encoding="latin1")
    assert len(e_warn) == 1


def test_archive_name_follows_the_file_name(tmp_path):
    for name in ("model.pt", "model.v1.pt", "noext", ".hidden.pt"):
        names = []
        for lib in (ember, torch):
            lib.save(lib.ones(1), tmp_path / name)
            with zipfile.ZipFile(tmp_path / name) as z:
                names.append(z.namelist())
        assert names[0] == names[1]


def test_zip64_records(monkeypatch):
    # records past 4 GiB need zip64 fields; make every record that large on paper to check them here
    monkeypatch.setattr(_zip_archive, "_ZIP64_LIMIT", 1)
    data = _save(ember, {"a": ember.arange(100), "b": ember.ones(3, dtype=ember.float16)})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
    got = torch.load(io.BytesIO(data), weights_only=True)
    assert got["a"].tolist() == list(range(100)) and got["b"].dtype == torch.float16
    assert ember.load(io.BytesIO(data))["a"].tolist() == list(range(100))


@pytest.mark.parametrize("dtype", ["bfloat16", "complex64", "uint16"])
def test_dtype_ember_lacks(dtype):
    with pytest.raises(TypeError, match="dtype that ember does not have"):
        ember.load(io.BytesIO(_save(torch, torch.ones(2, dtype=getattr(torch, dtype)))))


def test_negative_view_and_other_protocols():
    x = torch.arange(3.0)._neg_view()  # saved as its storage plus {"neg": True}
    got = ember.load(io.BytesIO(_save(torch, x)))
    assert got.numpy().tobytes() == x.resolve_neg().numpy().tobytes()
    buf = io.BytesIO()
    ember.save({"a": ember.arange(4)}, buf, pickle_protocol=3)
    with pytest.warns(UserWarning, match="pickle protocol 3"):  # torch reads it, and warns as for its own
        assert torch.load(io.BytesIO(buf.getvalue()))["a"].tolist() == [0, 1, 2, 3]
    assert ember.load(io.BytesIO(buf.getvalue()))["a"].tolist() == [0, 1, 2, 3]
