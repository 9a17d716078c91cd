"""A small CNN that learns scikit-learn's handwritten digits (1,797 8x8 images, bundled: no download).

A plain torch training script, unchanged but for its import line: Dataset, DataLoader, a model
class, Adam, a learning-rate schedule, a checkpoint saved, reloaded into a fresh model and checked.

    python examples/digits_cnn.py                  # ember
    python examples/digits_cnn.py --backend torch  # the same script on torch

It prints the test accuracy per epoch (the target is at least 97%) and saves the loss and
accuracy curves as a PNG.
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from tqdm import tqdm  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["ember", "torch"], default="ember")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("examples/output"))
    args = parser.parse_args(argv)

    torch = importlib.import_module(args.backend)  # `import ember as torch`, chosen on the command line
    nn, F = torch.nn, torch.nn.functional
    from_data = importlib.import_module(f"{args.backend}.utils.data")
    DataLoader, TensorDataset, random_split = from_data.DataLoader, from_data.TensorDataset, from_data.random_split

    class DigitsCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
            self.dropout = nn.Dropout(0.25)
            self.fc1 = nn.Linear(32 * 4 * 4, 64)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))                  # (N, 16, 8, 8)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 32, 4, 4)
            x = self.dropout(torch.flatten(x, 1))
            return self.fc2(F.relu(self.fc1(x)))

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # pixels are 0..16
    labels = torch.tensor(digits.target, dtype=torch.long)
    torch.manual_seed(0)
    train_set, test_set = random_split(TensorDataset(images, labels), [0.8, 0.2])
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    def evaluate(model) -> float:
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x).argmax(dim=1) == y).sum().item()
        return correct / len(test_set)

    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    losses, accuracies = [], []
    for epoch in range(args.epochs):
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{args.epochs} ({args.backend})", leave=False)
        for x, y in bar:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        scheduler.step()
        accuracies.append(evaluate(model))
        print(f"epoch {epoch + 1:2d}  loss {losses[-1]:.4f}  test accuracy {accuracies[-1]:.2%}")

    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / f"digits_cnn_{args.backend}.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs}, checkpoint)
    reloaded = DigitsCNN()
    state = torch.load(checkpoint)
    reloaded.load_state_dict(state["model"])
    reloaded_accuracy = evaluate(reloaded)
    print(f"checkpoint {checkpoint} reloaded: test accuracy {reloaded_accuracy:.2%}")
    if reloaded_accuracy != accuracies[-1]:
        raise SystemExit("the reloaded model disagrees with the trained one")

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    steps_per_epoch = len(train_loader)
    loss_axes.plot([i / steps_per_epoch for i in range(len(losses))], losses, linewidth=0.8)
    loss_axes.set_yscale("log")
    loss_axes.set_title("training loss (cross-entropy)")
    loss_axes.set_xlabel("epoch")
    accuracy_axes.plot(range(1, args.epochs + 1), [100 * a for a in accuracies], marker="o")
    accuracy_axes.set_title(f"test accuracy (final {accuracies[-1]:.2%})")
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("%")
    figure.suptitle(f"digits CNN on {args.backend}")
    figure.tight_layout()
    png = args.out / f"digits_cnn_{args.backend}.png"
    figure.savefig(png, dpi=100)
    plt.close(figure)
    print(f"plot saved to {png}")
    return {"accuracy": accuracies[-1], "reloaded_accuracy": reloaded_accuracy, "loss": losses[-1]}


if __name__ == "__main__":
    main()
