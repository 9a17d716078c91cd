"""The workloads: each takes the library module (ember or torch) and returns a zero-argument
step to time. Both libraries run the very same code: ember is torch's API."""
from __future__ import annotations

from typing import Any, Callable

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


WORKLOADS: dict[str, tuple[Callable[[Any], Step], int]] = {
    # name: (factory, ops per step for a per-op figure; 1 = report the step)
    "seed_step": (seed_step, 1),
    "tiny_chain": (tiny_chain, 100),
    "elementwise_large": (elementwise_large, 1),
    "matmul": (matmul, 1),
    "mlp_step": (mlp_step, 1),
    "cnn_step": (cnn_step, 1),
}
