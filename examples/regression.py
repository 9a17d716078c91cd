"""Fit y = a + b x + c x^2 + d x^3 to sin(x) on [-pi, pi] with nn.Sequential and RMSprop.

The classic first torch example, unchanged but for its import line. Run it on ember (default) or,
to see the same numbers, on torch:

    python examples/regression.py                  # ember
    python examples/regression.py --backend torch  # the same script on torch

It prints the fitted polynomial and saves a plot of the fit and the loss curve as a PNG.
"""
from __future__ import annotations

import argparse
import importlib
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
from tqdm import tqdm  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["ember", "torch"], default="ember")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("examples/output"))
    args = parser.parse_args(argv)

    torch = importlib.import_module(args.backend)  # `import ember as torch`, chosen on the command line
    nn = torch.nn

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    powers = torch.tensor([1, 2, 3])
    features = x.unsqueeze(-1).pow(powers)  # (2000, 3): x, x^2, x^3

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    losses = []
    for _ in tqdm(range(args.steps), desc=f"regression ({args.backend})", unit="step"):
        loss = loss_fn(model(features), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    linear = model[0]
    a = linear.bias.item()
    b, c, d = (w.item() for w in linear.weight[:, 0:3].flatten())
    print(f"final loss {losses[-1]:.4f}")
    print(f"y = {a:.4f} + {b:.4f} x + {c:.4f} x^2 + {d:.4f} x^3")

    args.out.mkdir(parents=True, exist_ok=True)
    figure, (fit_axes, loss_axes) = plt.subplots(1, 2, figsize=(10, 4))
    with torch.no_grad():
        fitted = model(features)
    fit_axes.plot(x.numpy(), y.numpy(), label="sin(x)")
    fit_axes.plot(x.numpy(), fitted.numpy(), "--", label="cubic fit")
    fit_axes.set_title("fit")
    fit_axes.legend()
    loss_axes.semilogy(losses)
    loss_axes.set_title("loss (sum of squares)")
    loss_axes.set_xlabel("step")
    figure.tight_layout()
    png = args.out / f"regression_{args.backend}.png"
    figure.savefig(png, dpi=100)
    plt.close(figure)
    print(f"plot saved to {png}")
    return {"loss": losses[-1], "a": a, "b": b, "c": c, "d": d}


if __name__ == "__main__":
    main()
