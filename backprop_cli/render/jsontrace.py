"""The JSON trace of SPEC §2: one object, every number at full float64 precision.

Weights and their gradients are written in the layout the problem file used
for that layer, with an augmented bias as the extra column (out_in) or row
(in_out); the separate-bias keys are then null. The optimizer's state after
each step is ``state_W``/``state_b`` (SPEC §4.1), keyed by PyTorch's names,
each buffer in the layer's layout. A trace of a problem that uses any key of
SPEC §4 says version 2. Extra keys, only where they apply: a dropout layer's
``forward`` entry adds ``f`` (f(z) before the mask, a = f ⊙ mask/(1 − p)) and
its ``backward`` entry ``df_dz`` (f′(z) before the mask, da_dz = df_dz ⊙
mask/(1 − p)); a perceptron step adds ``e`` (the error y − ŷ, one row per
example).

An exact run (``--exact``) writes every SPEC key as float64 all the same (the
nearest float of each exact value), and adds a top-level ``"exact"`` object:
``{"numbers": "...", "epochs": [...]}``, whose ``epochs`` have the structure of
the trace's ``epochs`` with every computed number as its exact value in text,
"3/10" or "-1/3" or "2" (Python's ``str(Fraction)``; indices stay integers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import IO, Any, NamedTuple

import numpy as np

from ..errors import NonFiniteError
from ..exact import is_fraction
from ..problem import Problem, to_dict
from ..trace import EpochRecord, StepRecord, Trace


class Writer(NamedTuple):
    """How computed numbers are written: ``m`` an array (or None), ``num`` a scalar (or None)."""

    m: Callable[[np.ndarray | None], Any]
    num: Callable[[Any], Any]


def _m(a: np.ndarray | None) -> Any:
    if a is None:
        return None
    return a.tolist() if a.dtype != object else a.astype(float).tolist()  # exact: the nearest floats


def _num(x: Any) -> Any:
    return float(x) if is_fraction(x) else x


FLOATS = Writer(_m, _num)
"""The SPEC keys: float64 numbers (an exact run's Fractions as their nearest floats)."""
EXACT = Writer(
    lambda a: None if a is None else np.vectorize(str, otypes=[object])(a).tolist() if a.size else [],
    lambda x: None if x is None else str(x),
)
"""The ``exact`` section: each exact number as text, "3/10"."""


def _state(state: dict | None, w: Writer = FLOATS) -> Any:
    if not state:
        return None
    return {k: (v if k == "step" else w.m(v)) for k, v in state.items()}


def _update_entry(layer, rec, w: Writer = FLOATS, derived: tuple[str, ...] = ()) -> dict:
    entry = {
        "layer": rec.layer,
        "W_change": w.m(layer.weights_as_given(rec.W_change, rec.b_change)),
        "W": w.m(layer.weights_as_given(rec.W, rec.b)),
        "b_change": w.m(layer.bias_as_given(rec.b_change)),
        "b": w.m(layer.bias_as_given(rec.b)),
    }
    state_W, state_b = layer.state_as_given(rec.state_W, rec.state_b)
    entry["state_W"], entry["state_b"] = _state(state_W, w), _state(state_b, w)
    if derived and rec.shown_W is not None:  # the step's values beyond its state (Adam's m_hat, v_hat, …)
        pick = lambda shown: {k: shown[k] for k in derived if k in shown} if shown else None  # noqa: E731
        values_W, values_b = layer.state_as_given(pick(rec.shown_W), pick(rec.shown_b))
        if values_W:
            entry["intermediates_W"], entry["intermediates_b"] = _state(values_W, w), _state(values_b, w)
    return entry


def derived_values(problem: Problem) -> tuple[str, ...]:
    """The values an optimizer's page derives beyond its state and Δw (Adam's m_hat and v_hat, RMSprop's denom,
    Adagrad's clr, Nesterov's direction, a decayed gradient or weight): its table's lines, read generically."""
    if not problem.is_v2:  # v1: SGD, whose momentum buffer is state: nothing more (and no page to import)
        return ()
    opt, hp = problem.optimizer, problem.hp
    lines = {line.result for first in (True, False) for line in opt.shown_lines({**hp, "first_step": first})}
    return tuple(sorted(lines - set(opt.state) - {"change"}))


def _forward_entry(f, w: Writer = FLOATS, problem: Problem | None = None) -> dict:
    entry = {"layer": f.layer, "z": w.m(f.z), "a": w.m(f.a)}
    if f.mask is not None:
        entry["mask"] = w.m(f.mask)
    if f.f is not None:  # dropout: f(z) before the mask
        entry["f"] = w.m(f.f)
    if f.parts is not None and problem is not None:  # the activation's recorded parts, under its own key
        entry[problem.layers[f.layer - 1].activation.parts[0]] = w.m(f.parts)
    return entry


def step_dict(problem: Problem, step: StepRecord, w: Writer = FLOATS) -> dict:
    """One update as the SPEC's step object (plus a few optional extra keys)."""
    layers = problem.layers
    d = {
        "examples": step.examples.tolist(),
        "forward": [_forward_entry(f, w, problem) for f in step.forward],
        "losses": w.m(step.losses),
        "loss": w.num(step.loss),
    }
    if step.penalty is not None:
        d["penalty"] = w.num(step.penalty)
    if step.e is not None:  # the perceptron rule's error y − ŷ
        d["e"] = w.m(step.e)
    if problem.rule != "perceptron":  # the perceptron rule has no backward pass (SPEC §4.6)
        d["backward"] = _backward(problem, step, w)
        d["dL_dx"] = w.m(step.dL_dx)
    derived = derived_values(problem)
    d["update"] = [_update_entry(layers[rec.layer - 1], rec, w, derived) for rec in step.update]
    return d


def _backward(problem: Problem, step: StepRecord, w: Writer = FLOATS) -> list[dict]:
    layers = problem.layers
    backward = []
    for rec in step.backward:
        layer = layers[rec.layer - 1]
        entry = {
            "layer": rec.layer,
            "delta": w.m(rec.delta),
            "dL_dW": w.m(layer.weights_as_given(rec.dL_dW, rec.dL_db)),
            "dL_db": w.m(layer.bias_as_given(rec.dL_db)),
            "dL_da": w.m(rec.dL_da),
        }
        if rec.da_dz is not None:
            entry["da_dz"] = w.m(rec.da_dz)
        if rec.df_dz is not None:  # dropout: f′(z) before the mask
            entry["df_dz"] = w.m(rec.df_dz)
        backward.append(entry)
    return backward


def epoch_dict(problem: Problem, epoch: EpochRecord, w: Writer = FLOATS) -> dict:
    d: dict[str, Any] = {"epoch": epoch.epoch}
    if epoch.steps is not None:
        d["steps"] = [step_dict(problem, s, w) for s in epoch.steps]
    d["loss"] = w.num(epoch.loss)
    d["loss_after"] = w.num(epoch.loss_after)
    if epoch.loss_start is not None and epoch.steps is not None:  # lean epochs: the previous loss_after
        d["loss_start"] = w.num(epoch.loss_start)
    if epoch.partial:
        d["partial"] = True
    return d


def is_exact(trace: Trace) -> bool:
    """Whether the trace is of an exact run (--exact): its losses are Fractions."""
    return any(is_fraction(e.loss) for e in trace.epochs)


EXACT_NOTE = (
    "computed in exact fractions from the decimals as written (--exact); the numbers elsewhere in this "
    "trace are their nearest float64 values; here each is exact, as text: a/b or a decimal"
)


def trace_dict(trace: Trace) -> dict:
    d = {
        "format": "backprop-trace",
        "version": 2 if trace.problem.is_v2 else 1,
        "problem": to_dict(trace.problem),
        "epochs": [epoch_dict(trace.problem, e) for e in trace.epochs],
        "next_problem": to_dict(trace.next_problem),
    }
    if trace.stopped:
        d["stopped"] = trace.stopped
    if is_exact(trace):
        d["exact"] = {"numbers": EXACT_NOTE, "epochs": [epoch_dict(trace.problem, e, EXACT) for e in trace.epochs]}
    return d


def render(trace: Trace, out: IO[str], options=None) -> None:
    out.write(dumps(trace_dict(trace)))
    out.write("\n")


# --------------------------------------------------------------------------- writing JSON that is JSON

NON_FINITE_KEY = "non_finite"
"""The top-level key that lists the values written as null because they are NaN or infinite."""
MAX_LISTED = 100


def dumps(data: Any) -> str:
    """``data`` as JSON. JSON has no NaN or infinity: each one is written as null, and a top-level
    ``non_finite`` object lists where (as JSON Pointers, RFC 6901) and what it was (nan, inf, -inf).

    A saturated output can make an extra quantity infinite (∂L/∂a of a sigmoid
    at exactly 1) while the run itself is fine; the trace stays readable JSON.
    """
    try:
        return json.dumps(data, allow_nan=False)
    except ValueError:
        pass
    found: list[tuple[str, str]] = []
    clean = _finite(data, "", found)
    if isinstance(clean, dict):
        listed = [{"path": path, "value": value} for path, value in found[:MAX_LISTED]]
        clean[NON_FINITE_KEY] = {
            "count": len(found),
            "values": listed,
            "note": "NaN and infinite values are written as null (JSON has neither); "
            "values lists where, as JSON Pointers",
        }
    return json.dumps(clean, allow_nan=False)


def _finite(value: Any, path: str, found: list) -> Any:
    if isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            found.append((path, "nan" if value != value else "inf" if value > 0 else "-inf"))
            return None
        return value
    if isinstance(value, dict):
        return {
            k: _finite(v, f"{path}/{str(k).replace('~', '~0').replace('/', '~1')}", found) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{path}/{i}", found) for i, v in enumerate(value)]
    return value


def unwritable_parameters(trace: Trace) -> NonFiniteError | None:
    """The error to report when the run ended with a weight or bias that is NaN or infinite.

    The engine stops on a non-finite loss; the weights can overflow while the
    loss stays finite (a saturated sigmoid). next_problem would then not be a
    problem anyone can continue from: the run fails (exit 1), naming the layer.
    """
    for layer in trace.next_problem.layers:
        buffers = [
            (f"the optimizer's {k}", v) for state in (layer.state_W, layer.state_b) for k, v in (state or {}).items()
        ]
        for name, values in [("a weight", layer.W), ("a bias", layer.b), *buffers]:
            if values is not None and not np.all(np.isfinite(values)):
                return NonFiniteError(
                    len(trace.epochs),
                    None,
                    layer.index,
                    f"{name} of layer {layer.index} ({layer.name}) in next_problem",
                )
    return None
