"""A character-level transformer trained on Python's own standard-library source (offline, no download).

A small GPT-style model (token + position embeddings, causal self-attention through
nn.TransformerEncoder, a linear head) learns to continue Python code, then writes a sample.

    python examples/char_transformer.py                  # ember
    python examples/char_transformer.py --backend torch  # the same script on torch

It prints the training and validation loss, a generated sample, and saves the loss curve as a PNG.
"""
from __future__ import annotations

import argparse
import importlib
import math
import sysconfig
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
from tqdm import tqdm  # noqa: E402

# a few plain, stable modules of the standard library: about 170 kB of Python
CORPUS_MODULES = ("textwrap.py", "string.py", "bisect.py", "heapq.py", "fnmatch.py", "shlex.py", "colorsys.py",
                  "glob.py", "queue.py", "sched.py", "contextlib.py", "functools.py")


def load_corpus() -> str:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return "\n".join((stdlib / name).read_text(encoding="utf-8") for name in CORPUS_MODULES)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["ember", "torch"], default="ember")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--sample-length", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("examples/output"))
    args = parser.parse_args(argv)

    torch = importlib.import_module(args.backend)  # `import ember as torch`, chosen on the command line
    nn, F = torch.nn, torch.nn.functional

    text = load_corpus()
    vocabulary = sorted(set(text))
    index_of = {ch: i for i, ch in enumerate(vocabulary)}
    data = torch.tensor([index_of[ch] for ch in text], dtype=torch.long)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    block, batch = 64, 32

    class CharTransformer(nn.Module):
        def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2) -> None:
            super().__init__()
            self.token = nn.Embedding(vocab_size, d_model)
            self.position = nn.Embedding(block, d_model)
            layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=0.0,
                                               activation="gelu", batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab_size)
            self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(block))

        def forward(self, idx):
            t = idx.shape[1]
            x = self.token(idx) + self.position(torch.arange(t))
            x = self.blocks(x, mask=self.causal_mask[:t, :t], is_causal=True)
            return self.head(self.norm(x))

    def get_batch(source, generator):
        starts = torch.randint(len(source) - block - 1, (batch,), generator=generator)
        x = torch.stack([source[s:s + block] for s in starts.tolist()])
        y = torch.stack([source[s + 1:s + block + 1] for s in starts.tolist()])
        return x, y

    torch.manual_seed(0)
    model = CharTransformer(len(vocabulary))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=args.steps)
    batches = torch.Generator().manual_seed(1)

    losses = []
    bar = tqdm(range(args.steps), desc=f"char transformer ({args.backend})", unit="step")
    for _ in bar:
        x, y = get_batch(train_data, batches)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocabulary)), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.3f}")

    model.eval()
    with torch.no_grad():
        val_generator = torch.Generator().manual_seed(2)
        val_losses = []
        for _ in range(10):
            x, y = get_batch(val_data, val_generator)
            val_losses.append(F.cross_entropy(model(x).reshape(-1, len(vocabulary)), y.reshape(-1)).item())
        val_loss = sum(val_losses) / len(val_losses)
        print(f"train loss {losses[-1]:.3f}  validation loss {val_loss:.3f}  "
              f"(uniform guessing: {math.log(len(vocabulary)):.3f})")

        context = torch.tensor([[index_of[ch] for ch in "def "]], dtype=torch.long)
        sampler = torch.Generator().manual_seed(3)
        for _ in range(args.sample_length):
            logits = model(context[:, -block:])[:, -1, :] / 0.8
            next_index = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=sampler)
            context = torch.cat([context, next_index], dim=1)
    sample = "".join(vocabulary[i] for i in context[0].tolist())
    print("--- sample ---")
    print(sample)
    print("--------------")

    args.out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(losses, linewidth=0.8, label="train")
    axes.axhline(val_loss, color="tab:orange", linestyle="--", label=f"validation ({val_loss:.3f})")
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy (nats per character)")
    axes.set_title(f"char transformer on {args.backend}")
    axes.legend()
    figure.tight_layout()
    png = args.out / f"char_transformer_{args.backend}.png"
    figure.savefig(png, dpi=100)
    plt.close(figure)
    print(f"plot saved to {png}")
    return {"loss": losses[-1], "val_loss": val_loss}


if __name__ == "__main__":
    main()
