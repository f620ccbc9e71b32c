"""Goal: backprop solve <example> --format json starts within 1.5x of python -c "import numpy".

Both are whole processes, timed alternately so that other load hits both alike. Run:
    python bench/cold_start.py
"""

import sys
import time

from common import PY, backprop_cmd, machine, ratio_line, run

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 20


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
    print(f"cold start: backprop solve mazur-2-2-2 --format json ({machine()}); best of {REPEAT}")
    print(f"  backprop solve --format json   {o * 1000:7.1f} ms")
    print(f"  python -c 'import numpy'       {b * 1000:7.1f} ms")
    print("ratios:")
    print(ratio_line("backprop time / import numpy time", o / b, "≤ 1.5", o / b <= 1.5))


if __name__ == "__main__":
    main()
