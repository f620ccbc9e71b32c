"""Shared helpers for the benchmarks: problems, timing whole processes, peak memory.

Every benchmark measures its baseline in the same invocation, on the same
machine, and prints ratios; none asserts a time (the goals are read from its
output, and docs/performance.md records a run).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def backprop_cmd(*args: str) -> list[str]:
    """The backprop of this Python (the installed console script when there is one)."""
    script = Path(PY).with_name("backprop")
    return [str(script), *args] if script.exists() else [PY, "-m", "backprop_cli", *args]


def run(cmd: list[str], stdin: bytes | None = None) -> tuple[float, bytes]:
    """Wall time of one whole process (start-up included), and its standard output."""
    t = time.perf_counter()
    r = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr.decode()[-2000:]}")
    return elapsed, r.stdout


def best_of(cmd: list[str], repeat: int) -> tuple[float, float, bytes]:
    """(minimum, median, output) of ``repeat`` runs: the minimum is the least disturbed by other load."""
    times, out = [], b""
    for _ in range(repeat):
        t, out = run(cmd)
        times.append(t)
    return min(times), statistics.median(times), out


def peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of a child process, in MB (Linux reports ru_maxrss in KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}"


def write_problem(
    path: Path,
    sizes: list[int],
    activations: list[str],
    n: int,
    loss: str,
    update: str,
    epochs: int,
    lr: float,
    seed: int = 0,
    reduction: str = "mean",
) -> dict:
    """A problem with seeded weights written out as numbers (so every program reads the same ones)."""
    rng = np.random.RandomState(seed)
    layers = []
    for fan_in, units, act in zip(sizes[:-1], sizes[1:], activations, strict=False):
        bound = 1 / np.sqrt(fan_in)
        layers.append(
            {
                "activation": act,
                "weights": rng.uniform(-bound, bound, (units, fan_in)).tolist(),
                "bias": rng.uniform(-bound, bound, units).tolist(),
            }
        )
    X = rng.uniform(-1, 1, (n, sizes[0]))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.randint(0, sizes[-1], n)]
    else:
        Y = rng.uniform(0, 1, (n, sizes[-1]))
    problem = {
        "layers": layers,
        "inputs": X.tolist(),
        "targets": Y.tolist(),
        "loss": loss,
        "update": update,
        "epochs": epochs,
        "learning_rate": lr,
        "batch_reduction": reduction,
    }
    path.write_text(json.dumps(problem))
    return problem


def against_baselines(problem: Path, repeat: int) -> tuple[float, float, float | None]:
    """Best times of backprop step, the bare NumPy loop and (if installed) the PyTorch loop on ``problem``.

    Each baseline must land on backprop's final loss, or it is not doing the same updates.
    Prints the three times; returns them (PyTorch's is None without torch).
    """
    ours_t, ours_med, ours_out = best_of(backprop_cmd("step", str(problem), "--format", "json"), repeat)
    final = json.loads(ours_out)["epochs"][-1]["loss_after"]
    np_t, np_med, np_out = best_of([PY, str(ROOT / "bench/baselines/numpy_loop.py"), str(problem)], repeat)
    assert abs(json.loads(np_out)["epochs"][-1]["loss_after"] - final) <= 1e-9 * abs(final), "not the same arithmetic"
    print(f"  backprop step --format json   {ours_t:7.3f} s (median {ours_med:.3f})")
    print(f"  bare NumPy loop               {np_t:7.3f} s (median {np_med:.3f})")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("  PyTorch loop                  skipped: torch is not installed (pip install torch==2.13.0)")
        return ours_t, np_t, None
    torch_t, torch_med, torch_out = best_of([PY, str(ROOT / "bench/baselines/torch_loop.py"), str(problem)], repeat)
    assert abs(json.loads(torch_out)["epochs"][-1]["loss_after"] - final) <= 1e-8 * abs(final), "not the same updates"
    print(f"  PyTorch float64 loop          {torch_t:7.3f} s (median {torch_med:.3f})")
    return ours_t, np_t, torch_t


def ratio_line(name: str, value: float, goal: str, ok: bool) -> str:
    return f"  {name:<58} {value:8.2f}   goal {goal:<10} {'met' if ok else 'NOT MET'}"
