"""A plain, readable summary of a trace (a stand-in until the full worked-solution renderer)."""

from __future__ import annotations

from typing import IO

import numpy as np

from ..trace import Trace


def render(trace: Trace, out: IO[str], options=None) -> None:
    p = (options or {}).get("precision", 4)
    fmt = lambda a: np.array2string(np.asarray(a), precision=p, floatmode="fixed", suppress_small=False)
    prob = trace.problem
    out.write(f"{prob.title or prob.origin}\n\n")
    for epoch in trace.epochs:
        for step in epoch.steps or []:
            out.write(f"epoch {epoch.epoch}, update {step.number} (examples {', '.join(str(i + 1) for i in step.examples)})\n")
            for f in step.forward:
                out.write(f"  layer {f.layer}: z = {fmt(f.z)}  a = {fmt(f.a)}\n")
            out.write(f"  loss = {step.loss:.{p}f}\n")
            for b in step.backward:
                out.write(f"  layer {b.layer}: delta = {fmt(b.delta)}  dL_dW = {fmt(b.dL_dW)}\n")
            for u in step.update:
                out.write(f"  layer {u.layer}: W = {fmt(u.W)}" + (f"  b = {fmt(u.b)}" if u.b is not None else "") + "\n")
        out.write(f"epoch {epoch.epoch}: loss {epoch.loss:.{p}f}, after the epoch {epoch.loss_after:.{p}f}\n")
