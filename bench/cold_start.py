"""Goal: backprop solve <example> --format json starts within 1.5x of python -c "import numpy".

Both are whole processes, timed alternately so that other load hits both alike. Run:
    python bench/cold_start.py
"""

import statistics
import sys
import time

from common import PY, backprop_cmd, machine, ratio_line, run

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 40


def main():
    ours_cmd = backprop_cmd("solve", "mazur-2-2-2", "--format", "json")
    numpy_cmd = [PY, "-c", "import numpy"]
    run(ours_cmd), run(numpy_cmd)  # warm the file cache
    ours, base = [], []
    for _ in range(REPEAT):
        ours.append(run(ours_cmd)[0])
        base.append(run(numpy_cmd)[0])
        time.sleep(0.01)
    o, b = min(ours), min(base)
    paired = statistics.median(x / y for x, y in zip(ours, base, strict=False))
    print(f"cold start: backprop solve mazur-2-2-2 --format json ({machine()}); {REPEAT} alternating pairs")
    print(f"  backprop solve --format json   {o * 1000:7.1f} ms best, {statistics.median(ours) * 1000:.1f} median")
    print(f"  python -c 'import numpy'       {b * 1000:7.1f} ms best, {statistics.median(base) * 1000:.1f} median")
    print("ratios (the median of the paired ratios is the goal's measure; it resists one lucky run on either side):")
    print(ratio_line("backprop time / import numpy time, median of pairs", paired, "≤ 1.5", paired <= 1.5))
    print(ratio_line("backprop time / import numpy time, best against best", o / b, "≤ 1.5", o / b <= 1.5))


if __name__ == "__main__":
    main()
