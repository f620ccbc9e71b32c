"""Goal: 100,000 epochs with --format json stay under 100 MB peak memory; output grows with epochs only.

Runs backprop step on a small problem for 1,000, 10,000 and 100,000 epochs and
reports each run's peak resident memory and output size. Run:
    python bench/memory.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from common import backprop_cmd, machine, peak_rss_mb, ratio_line, write_problem


def main():
    tmp = Path(tempfile.mkdtemp())
    problem = tmp / "small.json"
    write_problem(problem, [2, 4, 1], ["sigmoid", "sigmoid"], n=4, loss="half_sse", update="batch", epochs=1, lr=0.5)
    print(f"memory: 2-4-1 sigmoid, 4 examples, batch, backprop step --format json ({machine()})")
    rows = []
    for epochs in (1_000, 10_000, 100_000):
        out = tmp / f"out{epochs}.json"
        cmd = backprop_cmd("step", str(problem), "--epochs", str(epochs), "--format", "json", "--output", str(out))
        # each measurement in its own child so that ru_maxrss is this run's own peak
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"from common import peak_rss_mb; print(peak_rss_mb({cmd!r}))"
        )
        peak = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        size = out.stat().st_size / 1e6
        rows.append((epochs, peak, size))
        print(
            f"  {epochs:>7} epochs   peak {peak:6.1f} MB   output {size:6.2f} MB "
            f"({size * 1e6 / epochs:.0f} bytes per epoch)"
        )
    print("ratios:")
    print(ratio_line("peak MB at 100,000 epochs", rows[-1][1], "< 100", rows[-1][1] < 100))
    per_epoch = [s / e for e, _, s in rows]
    print(
        ratio_line(
            "output bytes per epoch, 100k run / 1k run",
            per_epoch[-1] / per_epoch[0],
            "≈ 1",
            0.8 < per_epoch[-1] / per_epoch[0] < 1.25,
        )
    )


if __name__ == "__main__":
    del peak_rss_mb
    main()
