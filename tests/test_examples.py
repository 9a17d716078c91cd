"""The examples run, and run the same on ember as on torch (the same script, its import line switched)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_both(name: str, tmp_path: Path, *options: str) -> tuple[dict[str, float], dict[str, float]]:
    main = load_example(name).main
    results = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # torch's float32 sums then follow one order, run to run
    try:
        for backend in ("ember", "torch"):
            results.append(main([*options, "--backend", backend, "--out", str(tmp_path)]))
            assert (tmp_path / f"{name}_{backend}.png").stat().st_size > 0
    finally:
        torch.set_num_threads(threads)
    return results[0], results[1]


def test_regression_matches_torch(tmp_path: Path) -> None:
    ember_result, torch_result = run_both("regression", tmp_path, "--steps", "50")
    # 50 RMSprop steps from the same initial weights; float32 sums in another order differ by ~1e-7
    for key in ("loss", "b", "d"):
        assert ember_result[key] == pytest.approx(torch_result[key], rel=1e-4)


def test_digits_cnn_matches_torch_and_reloads(tmp_path: Path) -> None:
    ember_result, torch_result = run_both("digits_cnn", tmp_path, "--epochs", "1")
    assert ember_result["loss"] == pytest.approx(torch_result["loss"], rel=1e-3)
    assert ember_result["accuracy"] == torch_result["accuracy"]
    assert ember_result["reloaded_accuracy"] == ember_result["accuracy"]
    # the checkpoint ember wrote is a torch checkpoint: torch reads it with weights_only=True
    state = torch.load(tmp_path / "digits_cnn_ember.pt", weights_only=True)
    assert sorted(state["model"]) == sorted(torch.load(tmp_path / "digits_cnn_torch.pt")["model"])


def test_char_transformer_learns(tmp_path: Path) -> None:
    ember_result, torch_result = run_both("char_transformer", tmp_path, "--steps", "20", "--sample-length", "20")
    assert ember_result["loss"] == pytest.approx(torch_result["loss"], rel=1e-3)
    assert ember_result["val_loss"] == pytest.approx(torch_result["val_loss"], rel=1e-3)
    assert math.isfinite(ember_result["val_loss"])
