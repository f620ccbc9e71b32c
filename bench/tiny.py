"""Goal: a tiny network trains at least 6x faster than a PyTorch loop, within 1.5x of bare NumPy.

2-10-10-1 sigmoid network, four examples, stochastic updates, 5,000 epochs,
backprop step --format json, whole processes (start-up included). Run:
    python bench/tiny.py
"""

import json
import sys
import tempfile
from pathlib import Path

from common import PY, ROOT, backprop_cmd, best_of, machine, ratio_line, write_problem

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def main():
    tmp = Path(tempfile.mkdtemp())
    problem = tmp / "tiny.json"
    write_problem(problem, [2, 10, 10, 1], ["sigmoid"] * 3, n=4, loss="half_sse", update="stochastic", epochs=5000, lr=0.5)
    ours_t, ours_med, ours_out = best_of(backprop_cmd("step", str(problem), "--format", "json"), REPEAT)
    np_t, np_med, np_out = best_of([PY, str(ROOT / "bench/baselines/numpy_loop.py"), str(problem)], REPEAT)
    ours, bare = json.loads(ours_out), json.loads(np_out)
    assert abs(ours["epochs"][-1]["loss_after"] - bare["epochs"][-1]["loss_after"]) <= 1e-9 * abs(bare["epochs"][-1]["loss_after"]), "not the same arithmetic"
    print(f"tiny: 2-10-10-1 sigmoid, 4 examples, stochastic, 5000 epochs ({machine()}); best of {REPEAT}")
    print(f"  backprop step --format json   {ours_t:7.3f} s (median {ours_med:.3f})")
    print(f"  bare NumPy loop               {np_t:7.3f} s (median {np_med:.3f})")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("  PyTorch loop                  skipped: torch is not installed (pip install torch==2.13.0)")
        torch_t = None
    else:
        torch_t, torch_med, torch_out = best_of([PY, str(ROOT / "bench/baselines/torch_loop.py"), str(problem)], REPEAT)
        theirs = json.loads(torch_out)
        assert abs(ours["epochs"][-1]["loss_after"] - theirs["epochs"][-1]["loss_after"]) <= 1e-8 * abs(theirs["epochs"][-1]["loss_after"]), "not the same updates"
        print(f"  PyTorch float64 loop          {torch_t:7.3f} s (median {torch_med:.3f})")
    print("ratios:")
    if torch_t is not None:
        print(ratio_line("PyTorch time / backprop time", torch_t / ours_t, "≥ 6", torch_t / ours_t >= 6))
    print(ratio_line("backprop time / bare NumPy time", ours_t / np_t, "≤ 1.5", ours_t / np_t <= 1.5))


if __name__ == "__main__":
    main()
