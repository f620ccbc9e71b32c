"""Goal: a tiny network trains at least 6x faster than a PyTorch loop, within 1.1x of bare NumPy (issue 10).

2-10-10-1 sigmoid network, four examples, stochastic updates, 5,000 epochs,
backprop step --format json, whole processes (start-up included). Run:
    python bench/tiny.py
"""

import sys
import tempfile
from pathlib import Path

from common import against_baselines, machine, ratio_line, write_problem

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def main():
    problem = Path(tempfile.mkdtemp()) / "tiny.json"
    write_problem(
        problem, [2, 10, 10, 1], ["sigmoid"] * 3, n=4, loss="half_sse", update="stochastic", epochs=5000, lr=0.5
    )
    print(f"tiny: 2-10-10-1 sigmoid, 4 examples, stochastic, 5000 epochs ({machine()}); best of {REPEAT}")
    ours_t, np_t, torch_t = against_baselines(problem, REPEAT)
    print("ratios:")
    if torch_t is not None:
        print(ratio_line("PyTorch time / backprop time", torch_t / ours_t, "≥ 6", torch_t / ours_t >= 6))
    print(ratio_line("backprop time / bare NumPy time", ours_t / np_t, "≤ 1.1", ours_t / np_t <= 1.1))


if __name__ == "__main__":
    main()
