"""Time every workload in ember and torch in one run and write docs/benchmarks.md.

Each configuration (1 thread, then all cores) runs in a fresh subprocess so the thread limits
are set before NumPy and torch load. Within it, ember and torch alternate on each workload:
warm-up, then repeats, and the median is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _time(step: Any, min_time: float, repeats: int) -> float:
    step()  # warm-up (and first-call allocations)
    n, elapsed = 1, 0.0
    while True:  # pick a loop count that runs for about min_time
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time / 4 or n >= 1 << 20:
            break
        n *= 4
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def worker(threads: int, names: list[str], min_time: float, repeats: int) -> dict[str, Any]:
    """Runs inside the subprocess: times each workload for each library present."""
    import numpy as np

    import ember
    from benchmarks.workloads import WORKLOADS, numpy_matmul

    libs: dict[str, Any] = {"ember": ember}
    try:
        import torch

        torch.set_num_threads(threads)
        libs["torch"] = torch
    except ImportError:
        pass
    results: dict[str, Any] = {}
    for name in names:
        factory, ops = WORKLOADS[name]
        row: dict[str, float] = {}
        for lib_name, lib in libs.items():
            lib.manual_seed(0)
            try:
                step = factory(lib)
            except AttributeError:  # a layer this library does not have (yet)
                continue
            row[lib_name] = _time(step, min_time, repeats) / ops
        if "ember" not in row:
            continue
        if name == "matmul":
            row["numpy"] = _time(numpy_matmul(np), min_time, repeats)
        results[name] = row
    return results


def _machine() -> dict[str, str]:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    info["cpu"] = f"{cpu}, {os.cpu_count()} cores"
    import numpy

    info["numpy"] = numpy.__version__
    try:
        import threadpoolctl

        blas = [f"{p['internal_api']} {p['version']} ({p.get('architecture', '?')})"
                for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        info["blas"] = ", ".join(blas) or "unknown"
    except ImportError:
        info["blas"] = "unknown (pip install threadpoolctl to report it)"
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = "not installed"
    return info


def memory_worker() -> dict[str, Any]:
    """Runs in one fresh subprocess per library: ``workloads.memory`` for each library present."""
    import importlib

    from benchmarks.workloads import memory

    lib = importlib.import_module(sys.argv[sys.argv.index("--memory") + 1])
    if lib.__name__ == "torch":
        lib.set_num_threads(1)
    return memory(lib)


def _memory_table() -> list[str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    rows = {}
    for lib in ("ember", "torch"):
        out = subprocess.run([sys.executable, "-m", "benchmarks", "--memory", lib], env=env, cwd=ROOT,
                             capture_output=True, text=True)
        if out.returncode == 0:
            rows[lib] = json.loads(out.stdout.strip().splitlines()[-1])
    mib = 1 << 20
    lines = ["| library | peak RSS | growth, step 20 to 200 | cycles left for the collector (own objects) |",
             "|---|---|---|---|"]
    for lib, r in rows.items():
        lines.append(f"| {lib} | {r['peak_rss'] / mib:,.1f} MiB | {r['growth'] / mib:+,.2f} MiB | "
                     f"{r['cycles']} ({r['own_cycles']}) |")
    if len(rows) == 2:
        lines += ["", f"ember / torch peak RSS: {rows['ember']['peak_rss'] / rows['torch']['peak_rss']:.2f}"]
    return lines


def _format(us: float) -> str:
    return f"{us * 1e6:,.1f} us" if us < 1e-3 else f"{us * 1e3:,.2f} ms"


def _table(results: dict[str, Any]) -> list[str]:
    lines = ["| workload | ember | torch | ember / torch |", "|---|---|---|---|"]
    for name, row in results.items():
        ember_t, torch_t = row["ember"], row.get("torch")
        ratio = f"{ember_t / torch_t:.2f}" if torch_t else "n/a"
        extra = (f" (NumPy floor {_format(row['numpy'])}, ember / floor {ember_t / row['numpy']:.2f})"
                 if "numpy" in row else "")
        lines.append(f"| {name}{' (per op)' if name == 'tiny_chain' else ''} | {_format(ember_t)} | "
                     f"{_format(torch_t) if torch_t else 'n/a'} | {ratio}{extra} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="workloads to run, 'memory' among them (default: all)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per timing sample")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(memory_worker()))
        return
    from benchmarks.workloads import WORKLOADS

    names = args.names or [*WORKLOADS, "memory"]
    run_memory = "memory" in names  # not a timing: its own section, one fresh process per library
    names = [n for n in names if n != "memory"]
    if args.worker:
        print(json.dumps(worker(args.worker, names, args.min_time, args.repeats)))
        return
    sections = []
    for threads in (1, os.cpu_count() or 1) if names else ():
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
        out = subprocess.run([sys.executable, "-m", "benchmarks", *names, "--worker", str(threads),
                              "--min-time", str(args.min_time), "--repeats", str(args.repeats)],
                             env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        results = json.loads(out.stdout.strip().splitlines()[-1])
        sections.append((threads, results))
        print(f"\n{threads} thread(s):")
        print("\n".join(_table(results)))
        if threads == (os.cpu_count() or 1):
            break
    memory_lines = _memory_table() if run_memory else []
    if memory_lines:
        print("\nmemory (200 MLP steps, each library in a fresh process):")
        print("\n".join(memory_lines))
    info = _machine()
    doc = ["# Benchmarks", "", "Generated by `python -m benchmarks`: ember and torch timed side by side in one run "
           "(median of repeats after warm-up). Lower ratio is better.", "",
           "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), ""]
    for threads, results in sections:
        doc += [f"## {threads} thread{'s' if threads > 1 else ''} (torch.set_num_threads({threads}), "
                f"BLAS {threads})", "",
                *_table(results), ""]
    if memory_lines:
        doc += ["## Memory (`mlp_step`, 200 steps, 1 thread, each library in a fresh process)", "",
                "Peak RSS includes the library's own import. The steps run with the cycle collector off; a "
                "collection afterwards counts what reference counting alone left behind.", "", *memory_lines, ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(doc))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
