"""The autograd-basics notebook (examples/autograd_basics.py) prints what torch prints for it."""
from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "autograd_basics.py"
EMBER_IMPORT = "import ember as torch"


@pytest.fixture(autouse=True)
def _restore_rng():
    e_state, t_state = ember.get_rng_state(), torch.get_rng_state()
    yield
    ember.set_rng_state(e_state)
    torch.set_rng_state(t_state)


def seed0_draw() -> np.ndarray:
    """What the script's ``torch.randn(3)`` draws under ember after ``manual_seed(0)``."""
    ember.manual_seed(0)
    return ember.randn(3).numpy().copy()


def run_notebook(mod, values: np.ndarray, monkeypatch) -> str:
    """Run the script's code in-process with ``mod`` as ``torch``; its ``randn(3)`` returns ``values``."""
    text = SCRIPT.read_text()
    assert text.count(EMBER_IMPORT) == 1
    if mod is torch:
        text = text.replace(EMBER_IMPORT, "import torch")

    def randn(*size, requires_grad=False, **kwargs):
        assert size == (3,) and not kwargs
        return mod.tensor(values.copy(), requires_grad=requires_grad)

    with monkeypatch.context() as m:
        m.setattr(mod, "randn", randn)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(text, str(SCRIPT), "exec"), {"__name__": "__main__"})
    return buf.getvalue()


@pytest.fixture(scope="module")
def script_run() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)


def test_script_runs_and_prints_16_lines(script_run):
    proc = script_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    # 10 prints outside the loops (x, y, z, x.grad, a, y, a.grad and c three times) + 2 loops x 3 epochs
    assert len(lines) == 10 + 2 * 3
    assert all(line.startswith("tensor(") for line in lines)


def test_script_output_is_the_in_process_run(script_run, monkeypatch):
    """The subprocess output equals the in-process ember run fed ember's own seed-0 draw, which
    ``test_notebook_matches_torch`` then compares with torch's."""
    proc = script_run
    assert proc.returncode == 0, proc.stderr
    assert run_notebook(ember, seed0_draw(), monkeypatch) == proc.stdout


VALUES = {
    "seed0": None,  # filled in by seed0_draw()
    "small": np.array([0.1, -2.5, 3.0], np.float32),
    "mixed_scale": np.array([1e-4, 100.0, -0.5], np.float32),
    "large": np.array([1234.5, -0.001, 7.0], np.float32),
    "integral": np.array([1.0, -2.0, 0.0], np.float32),
    "negative": np.array([-0.3333, -1.75, -2.0], np.float32),
}


@pytest.mark.parametrize("case", list(VALUES))
def test_notebook_matches_torch(case, monkeypatch):
    values = seed0_draw() if VALUES[case] is None else VALUES[case]
    out_e = run_notebook(ember, values, monkeypatch)
    out_t = run_notebook(torch, values, monkeypatch)
    lines_e, lines_t = out_e.splitlines(), out_t.splitlines()
    assert len(lines_e) == len(lines_t) == 16
    for i, (le, lt) in enumerate(zip(lines_e, lines_t, strict=True)):
        assert le == lt.replace("torch.", "ember."), f"line {i + 1}"
    assert out_e == out_t


def test_script_prints_what_torch_prints_for_the_same_script(script_run):
    """No patching: ember's seeded randn draws torch's numbers, so the two runs print the same."""
    torch_text = SCRIPT.read_text().replace(EMBER_IMPORT, "import torch")
    torch_run = subprocess.run([sys.executable, "-c", torch_text], capture_output=True, text=True, check=True)
    assert script_run.stdout.splitlines() == torch_run.stdout.splitlines()
