"""Goal (issue 12): on the tiny network, an update with Adam or RMSprop takes at most 1.5× an SGD update.

The same 2-10-10-1 sigmoid problem as tiny.py (4 examples, stochastic, 5,000
epochs, backprop step --format json) is run with each optimizer; the time of a
run with 1 epoch is taken off each (start-up, reading, writing), so that the
ratio compares updates only. Run:
    python bench/optimizers.py
"""

import json
import sys
import tempfile
from pathlib import Path

from common import backprop_cmd, best_of, machine, ratio_line, write_problem

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5
EPOCHS = 5000


def timed(folder: Path, optimizer: dict | None, epochs: int) -> float:
    path = folder / f"{(optimizer or {}).get('name', 'sgd')}-{epochs}.json"
    problem = write_problem(
        path, [2, 10, 10, 1], ["sigmoid"] * 3, n=4, loss="half_sse", update="stochastic", epochs=epochs, lr=0.05
    )
    if optimizer:
        problem["optimizer"] = optimizer
        path.write_text(json.dumps(problem))
    best, _, _ = best_of(backprop_cmd("step", str(path), "--format", "json"), REPEAT)
    return best


def main():
    folder = Path(tempfile.mkdtemp())
    print(f"optimizers: 2-10-10-1 sigmoid, 4 examples, stochastic, {EPOCHS} epochs ({machine()}); best of {REPEAT}")
    per_update = {}
    for name, spec in (("sgd", None), ("adam", {"name": "adam"}), ("rmsprop", {"name": "rmsprop"})):
        updates = (timed(folder, spec, EPOCHS) - timed(folder, spec, 1)) / ((EPOCHS - 1) * 4)
        per_update[name] = updates
        print(f"  {name:<8} {updates * 1e6:8.1f} µs per update")
    print("ratios:")
    for name in ("adam", "rmsprop"):
        r = per_update[name] / per_update["sgd"]
        print(ratio_line(f"{name} update / SGD update", r, "≤ 1.5", r <= 1.5))


if __name__ == "__main__":
    main()
