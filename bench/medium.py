"""Goal: a medium network trains no slower than a PyTorch float64 loop, and within 1.3x of bare NumPy (issue 10).

64-128-128-10 with ReLU, tanh and softmax + cross-entropy, 256 examples, batch
updates, 100 epochs, backprop step --format json, whole processes. Run:
    python bench/medium.py
"""

import sys
import tempfile
from pathlib import Path

from common import against_baselines, machine, ratio_line, write_problem

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def main():
    problem = Path(tempfile.mkdtemp()) / "medium.json"
    write_problem(
        problem,
        [64, 128, 128, 10],
        ["relu", "tanh", "softmax"],
        n=256,
        loss="cross_entropy",
        update="batch",
        epochs=100,
        lr=0.1,
    )
    print(
        "medium: 64-128-128-10 relu/tanh/softmax + cross-entropy, 256 examples, batch, 100 epochs "
        f"({machine()}); best of {REPEAT}"
    )
    ours_t, np_t, torch_t = against_baselines(problem, REPEAT)
    print("ratios:")
    if torch_t is not None:
        print(ratio_line("backprop time / PyTorch time", ours_t / torch_t, "≤ 1", ours_t <= torch_t))
    print(ratio_line("backprop time / bare NumPy time", ours_t / np_t, "≤ 1.3", ours_t / np_t <= 1.3))


if __name__ == "__main__":
    main()
