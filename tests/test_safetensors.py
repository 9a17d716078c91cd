"""ember.utils.safetensors against safetensors.torch: files and bytes read both ways with the same
values, dtypes and metadata, and the same errors for what the format cannot hold."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from ember.utils import safetensors as est

torch = pytest.importorskip("torch")
st = pytest.importorskip("safetensors.torch")
safe_open = pytest.importorskip("safetensors").safe_open

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for i, name in enumerate(DTYPES):
        shape = [(2, 3), (4,), (), (1, 2, 2), (0, 3), (5,), (3, 1), (2, 2), (6,)][i]
        if name == "bool":
            out[name] = rng.random(shape) > 0.5
        elif name.startswith(("int", "uint")):
            info = np.iinfo(name)
            out[name] = rng.integers(info.min, info.max, shape, dtype=name, endpoint=True)
        else:
            out[name] = rng.standard_normal(shape).astype(name)
    return out


def _check(got: dict, want: dict[str, np.ndarray], lib) -> None:
    assert sorted(got) == sorted(want)
    for k, arr in want.items():
        t = got[k]
        assert isinstance(t, lib.Tensor) and str(t.dtype).split(".")[1] == k and tuple(t.shape) == arr.shape
        assert t.numpy().tobytes() == arr.tobytes()


def test_ember_file_read_by_torch(tmp_path):
    arrays = _arrays()
    est.save_file({k: ember.from_numpy(v) for k, v in arrays.items()}, tmp_path / "e.safetensors",
                  metadata={"format": "pt", "step": "3"})
    _check(st.load_file(tmp_path / "e.safetensors"), arrays, torch)
    with safe_open(tmp_path / "e.safetensors", framework="pt") as f:
        assert f.metadata() == {"format": "pt", "step": "3"}
    # the same file torch would write for the same tensors (without metadata, whose key order safetensors varies)
    est.save_file({k: ember.from_numpy(v) for k, v in arrays.items()}, tmp_path / "e.safetensors")
    st.save_file({k: torch.from_numpy(v) for k, v in arrays.items()}, tmp_path / "t.safetensors")
    assert (tmp_path / "e.safetensors").read_bytes() == (tmp_path / "t.safetensors").read_bytes()


def test_torch_file_read_by_ember(tmp_path):
    arrays = _arrays()
    st.save_file({k: torch.from_numpy(v) for k, v in arrays.items()}, tmp_path / "t.safetensors")
    got = est.load_file(tmp_path / "t.safetensors")
    _check(got, arrays, ember)
    got["float32"].add_(1)  # loaded tensors own writable memory
    assert ember.load(tmp_path / "t.safetensors")["int64"].tolist() == arrays["int64"].tolist()  # torch.load's route
    assert est.load_file(tmp_path / "t.safetensors", device=ember.device("cpu"))["bool"].dtype == ember.bool


def test_bytes_both_ways():
    arrays = _arrays()
    e_bytes = est.save({k: ember.from_numpy(v) for k, v in arrays.items()}, metadata={"a": "b"})
    t_bytes = st.save({k: torch.from_numpy(v) for k, v in arrays.items()}, metadata={"a": "b"})  # one metadata key
    assert e_bytes == t_bytes
    _check(st.load(e_bytes), arrays, torch)
    _check(est.load(t_bytes), arrays, ember)


def _both(e_fn, t_fn):
    out = []
    for fn in (e_fn, t_fn):
        with pytest.raises(Exception) as info:
            fn()
        out.append(info.value)
    return out


@pytest.mark.parametrize("case", ["not_dict", "not_tensor", "shared", "overlap", "non_contiguous"])
def test_save_errors_match_safetensors_torch(case):
    def build(lib):
        base = lib.arange(12.0).reshape(3, 4)
        return {
            "not_dict": [base], "not_tensor": {"a": base, "b": 3},
            "shared": {"a": base, "b": base}, "overlap": {"a": base[:2], "b": base[1:]},
            "non_contiguous": {"a": base.t()},
        }[case]

    e, t = _both(lambda: est.save(build(ember)), lambda: st.save(build(torch)))
    assert type(e) is type(t)
    if case == "shared" or case == "overlap":  # the message lists the names as a set: compare without the order
        assert str(e).split("[")[0] == str(t).split("[")[0] and str(e).split("]")[1] == str(t).split("]")[1]
    else:
        assert str(e) == str(t).replace("torch.", "ember.")


def test_disjoint_views_of_one_tensor_save():
    base = ember.arange(12.0).reshape(3, 4)
    t_base = torch.arange(12.0).reshape(3, 4)
    e_bytes = est.save({"a": base[:1], "b": base[1:]})
    assert e_bytes == st.save({"a": t_base[:1], "b": t_base[1:]})


def test_dtype_ember_lacks(tmp_path):
    st.save_file({"x": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "b.safetensors")
    with pytest.raises(TypeError, match="BF16"):
        est.load_file(tmp_path / "b.safetensors")
    with pytest.raises(TypeError, match="`y` of dtype U16"):
        est.load(st.save({"x": torch.ones(2), "y": torch.ones(2, dtype=torch.uint16)}))


def test_without_the_package():
    code = textwrap.dedent("""
        import sys
        sys.modules["safetensors"] = None
        import ember
        try:
            ember.utils.safetensors.save({"a": ember.ones(1)})
        except ImportError as e:
            print(type(e).__name__, "pip install safetensors" in str(e))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ImportError", "True"]
