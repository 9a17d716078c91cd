"""The workloads: each takes the library module (ember or torch) and returns a zero-argument
step to time. Both libraries run the very same code: ember is torch's API."""
from __future__ import annotations

import gc
import math
from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], Any]


def seed_step(lib: Any) -> Step:
    """The notebook's step: randn, add, two muls, mean, backward."""

    def step() -> None:
        x = lib.randn(3, requires_grad=True)
        y = x + 2
        z = (y * y * 2).mean()
        z.backward()

    return step


def tiny_chain(lib: Any) -> Step:
    """100 elementwise ops on a 3-element tensor, forward and backward (report per op)."""
    x = lib.randn(3, requires_grad=True)

    def step() -> None:
        y = x
        for _ in range(25):
            y = ((y * 1.01 + 0.1).tanh() - 0.05) * 0.99
        y.sum().backward()

    return step


def elementwise_large(lib: Any) -> Step:
    """10 elementwise ops on 1M float32 elements, forward and backward."""
    data = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
    x = lib.tensor(data, requires_grad=True)

    def step() -> None:
        y = (x * 1.5 + 0.5).sigmoid() * x
        y = (y - 0.1).exp() / (y * y + 1.0)
        y.sum().backward()
        x.grad = None

    return step


def matmul(lib: Any) -> Step:
    """1024x1024 @ 1024x1024, forward and backward."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((1024, 1024), dtype=np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((1024, 1024), dtype=np.float32), requires_grad=True)

    def step() -> None:
        (a @ b).sum().backward()
        a.grad = b.grad = None

    return step


def numpy_matmul(_: Any) -> Step:
    """The floor for ``matmul``: the three NumPy matmuls its forward and backward need."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024), dtype=np.float32)
    b = rng.standard_normal((1024, 1024), dtype=np.float32)
    g = np.ones((1024, 1024), np.float32)

    def step() -> None:
        a @ b
        g @ b.T
        a.T @ g

    return step


def mlp_step(lib: Any) -> Step:
    """784-512-256-10 MLP, ReLU, cross-entropy, batch 128, SGD step."""
    nn = lib.nn
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x = lib.tensor(rng.standard_normal((128, 784), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def step() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def cnn_step(lib: Any) -> Step:
    """conv(1->16,3x3)-relu-maxpool-conv(16->32,3x3)-relu-maxpool-linear on 1x28x28, batch 32, Adam."""
    nn = lib.nn
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 5 * 5, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x = lib.tensor(rng.standard_normal((32, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))

    def step() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def gpt_step(lib: Any) -> Step:
    """2-layer GPT (vocab 64, d_model 128, 4 heads, seq 64, batch 16): LayerNorm, causal attention written
    out (q @ k^T * scale, masked_fill, softmax, @ v), GELU MLP, cross-entropy, AdamW step."""
    nn, F = lib.nn, lib.nn.functional
    vocab, d, heads, seq, batch = 64, 128, 4, 64, 16

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.qkv, self.proj = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ln2, self.fc, self.out = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x: Any, mask: Any) -> Any:
            b, t, _ = x.shape
            q, k, v = (h.view(b, t, heads, d // heads).transpose(1, 2) for h in self.qkv(self.ln1(x)).split(d, dim=-1))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // heads))
            att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
            x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

        def forward(self, idx: Any, mask: Any) -> Any:
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x, mask)
            return self.head(self.ln(x))

    rng = np.random.default_rng(0)
    model = GPT()
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    idx = lib.tensor(rng.integers(0, vocab, (batch, seq)))
    targets = lib.tensor(rng.integers(0, vocab, (batch, seq)))
    mask = lib.triu(lib.ones(seq, seq, dtype=lib.bool), diagonal=1)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(idx, mask).view(-1, vocab), targets.view(-1)).backward()
        opt.step()

    return step


def lstm_step(lib: Any) -> Step:
    """1-layer LSTM (input 128, hidden 128), seq 32, batch 32: forward, and backward of the outputs' sum."""
    rng = np.random.default_rng(0)
    lstm = lib.nn.LSTM(128, 128)
    x = lib.tensor(rng.standard_normal((32, 32, 128), dtype=np.float32))

    def step() -> None:
        lstm.zero_grad()
        out, _ = lstm(x)
        out.sum().backward()

    return step


def memory(lib: Any, steps: int = 200) -> dict[str, Any]:
    """Run ``steps`` MLP steps (``mlp_step``) in this process, with the cycle collector off: peak RSS, the
    RSS growth from step 20 to the last, and what a collection then finds (reference cycles that reference
    counting alone could not free), overall and among ``lib``'s own objects. Call it in a fresh process."""
    import resource

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    lib.manual_seed(0)
    step = mlp_step(lib)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # a collection keeps what it finds in gc.garbage, to be looked at
    try:
        at_20 = 0
        for i in range(steps):
            step()
            if i == 19:
                at_20 = rss()
        last = rss()
        gc.collect()
        found = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    own = sum(1 for o in found if type(o).__module__.split(".")[0] == lib.__name__)
    return {"peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "growth": last - at_20,
            "cycles": len(found), "own_cycles": own}


WORKLOADS: dict[str, tuple[Callable[[Any], Step], int]] = {
    # name: (factory, ops per step for a per-op figure; 1 = report the step)
    "seed_step": (seed_step, 1),
    "tiny_chain": (tiny_chain, 100),
    "elementwise_large": (elementwise_large, 1),
    "matmul": (matmul, 1),
    "mlp_step": (mlp_step, 1),
    "cnn_step": (cnn_step, 1),
    "gpt_step": (gpt_step, 1),
    "lstm_step": (lstm_step, 1),
}
