"""Goal: a medium network trains no slower than a PyTorch float64 loop.

64-128-128-10 with ReLU, tanh and softmax + cross-entropy, 256 examples, batch
updates, 100 epochs, backprop step --format json, whole processes. Run:
    python bench/medium.py
"""

import json
import sys
import tempfile
from pathlib import Path

from common import PY, ROOT, backprop_cmd, best_of, machine, ratio_line, write_problem

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def main():
    tmp = Path(tempfile.mkdtemp())
    problem = tmp / "medium.json"
    write_problem(problem, [64, 128, 128, 10], ["relu", "tanh", "softmax"], n=256, loss="cross_entropy",
                  update="batch", epochs=100, lr=0.1)
    ours_t, ours_med, ours_out = best_of(backprop_cmd("step", str(problem), "--format", "json"), REPEAT)
    np_t, np_med, np_out = best_of([PY, str(ROOT / "bench/baselines/numpy_loop.py"), str(problem)], REPEAT)
    ours = json.loads(ours_out)
    bare = json.loads(np_out)
    assert abs(ours["epochs"][-1]["loss_after"] - bare["epochs"][-1]["loss_after"]) <= 1e-9 * abs(bare["epochs"][-1]["loss_after"])
    print(f"medium: 64-128-128-10 relu/tanh/softmax + cross-entropy, 256 examples, batch, 100 epochs ({machine()}); best of {REPEAT}")
    print(f"  backprop step --format json   {ours_t:7.3f} s (median {ours_med:.3f})")
    print(f"  bare NumPy loop               {np_t:7.3f} s (median {np_med:.3f})")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("  PyTorch loop                  skipped: torch is not installed (pip install torch==2.13.0)")
        return
    torch_t, torch_med, torch_out = best_of([PY, str(ROOT / "bench/baselines/torch_loop.py"), str(problem)], REPEAT)
    theirs = json.loads(torch_out)
    assert abs(ours["epochs"][-1]["loss_after"] - theirs["epochs"][-1]["loss_after"]) <= 1e-8 * abs(theirs["epochs"][-1]["loss_after"])
    print(f"  PyTorch float64 loop          {torch_t:7.3f} s (median {torch_med:.3f})")
    print("ratios:")
    print(ratio_line("backprop time / PyTorch time", ours_t / torch_t, "≤ 1", ours_t <= torch_t))


if __name__ == "__main__":
    main()
