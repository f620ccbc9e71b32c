"""Grading answers (backprop check): each claimed number against the true one, and the usual mistakes named.

An answer is right when it equals the true value rounded to the decimals it was
written with (0.5933 for 0.593269992; 4.386e-4 for 0.000438568), or within an
absolute tolerance when one is given. For a wrong answer the usual mistakes of
a hand derivation are recomputed from the recorded update, and every one whose
value matches the answer (at the same rounding) is named.

Answers come in two forms (YAML or JSON):

- a mapping keyed by the names the worked solution prints, for the first update:
  net_h1 (z_h1), out_o1 (a_o1), w5 and b1 (the given weights), L_o1 (E_o1),
  L (E_total), loss_after, δ_o1 (or delta_o1), ∂L/∂out_o1 (dL_dout_o1),
  ∂out_o1/∂net_o1 (dout_o1_dnet_o1), ∂L/∂w5 (dL_dw5), ∂L/∂b1 (dL_db1),
  ∂L/∂x1 (dL_dx1), Δw5 (delta_w5), w5⁺ (w5+, w5_new), and the same for biases;
  name@2 means example 2 of the update;
- a partial trace in the shape of the JSON trace (any subset of its keys and
  entries; list entries are matched by their "layer" where they give one).

Pure: ``grade(problem, answers_text, name) -> list[Result]``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, NamedTuple

import numpy as np
import yaml

from . import engine
from .errors import Issue, ProblemError
from .names import Names
from .problem import Problem


class Answer(NamedTuple):
    value: float
    text: str  # as written: its decimals decide the rounding
    line: int


class Result(NamedTuple):
    name: str
    answer: Answer
    expected: float
    right: bool
    mistakes: list[str]


# ----------------------------------------------------------------------------- reading answers, keeping the digits


def read_answers(text: str, name: str) -> Any:
    """Plain data whose numbers are Answers (value and text as written)."""
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ProblemError(Issue(name, mark.line + 1 if mark else None, mark.column + 1 if mark else None, "",
                                 f"a YAML syntax error ({getattr(e, 'problem', e)})", "answers as YAML or JSON")) from None
    if node is None:
        raise ProblemError(Issue(name, 1, 1, "", "an empty file", "answers: a mapping of names to numbers, or a partial JSON trace"))

    def build(n):
        if isinstance(n, yaml.MappingNode):
            return {str(k.value): build(v) for k, v in n.value}
        if isinstance(n, yaml.SequenceNode):
            return [build(v) for v in n.value]
        raw = n.value
        try:
            value = float(raw.replace("_", ""))
        except ValueError:
            return raw
        if not math.isfinite(value):
            return raw
        return Answer(value, raw.strip(), n.start_mark.line + 1)

    return build(node)


def decimals(text: str) -> int:
    """How many decimals a written number carries: 0.5933 -> 4, 4.386e-4 -> 7, 12 -> 0."""
    m = re.fullmatch(r"[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?", text)
    if not m:
        return 12
    frac = len(m.group(2) or "")
    exp = int(m.group(3) or 0)
    return max(frac - exp, 0)


def matches(answer: Answer, value: float, tolerance: float | None) -> bool:
    if tolerance is not None:
        return abs(answer.value - value) <= tolerance
    d = decimals(answer.text)
    return abs(answer.value - round(value, d)) <= 1e-9 * max(1.0, abs(value)) + 0.5 * 10.0 ** -(d + 6)


# ----------------------------------------------------------------------------- what each quantity is, and its usual mistakes


class Quantity(NamedTuple):
    name: str
    value: float
    mistakes: Callable[[], list[tuple[str, float]]]  # (description, the value that mistake gives)


GENERIC = lambda v: [("the sign is flipped", -v), ("a factor 2 too large (the ½ of the loss, or 2(ŷ − y))", 2 * v),  # noqa: E731
                     ("a factor ½ too small (the ½ of the loss, or 2(ŷ − y))", v / 2)]


class Grader:
    def __init__(self, problem: Problem, trace):
        self.p = problem
        self.trace = trace
        self.names = Names(problem)
        self.units = {u: (l, j) for l, layer in enumerate(self.names.units) for j, u in enumerate(layer)}
        self.weights = {}
        for l, W in enumerate(self.names.weights):
            for (j, i), w in np.ndenumerate(W):
                self.weights[w] = (l, j, i)
        self.biases = {b: (l, j) for l, bs in enumerate(self.names.biases) if bs for j, b in enumerate(bs)}

    # -------------------------------------------------------------- the step and its pieces

    def step(self, e: int = 0, s: int = 0):
        return self.trace.epochs[e].steps[s]

    def quantity(self, kind: str, step, l: int = 0, j: int = 0, i: int = 0, n: int = 0, label: str = "") -> Quantity:
        p = self.p
        layer = p.layers[l] if kind not in ("L", "loss_after", "L_n", "dL_dx", "term") else None
        fwd = step.forward[l] if layer is not None else None
        back = {r.layer: r for r in step.backward}
        upd = step.update[l] if layer is not None else None
        scale = 1.0 / len(step.examples) if p.batch_reduction == "mean" else 1.0
        eta = p.learning_rate

        if kind == "z":
            v = fwd.z[n, j]
            def m():
                out = GENERIC(v)
                if upd.b_before is not None:
                    out.append(("the bias is forgotten", v - upd.b_before[j]))
                W = upd.W_before
                if W.shape[0] == W.shape[1]:
                    out.append(("the weight matrix is transposed", float(fwd.a_in[n] @ W[:, j] + (upd.b_before[j] if upd.b_before is not None else 0))))
                return out
        elif kind == "a":
            v = fwd.a[n, j]
            def m():
                return GENERIC(v) + [("the net input is used as the activation (f not applied)", fwd.z[n, j])]
        elif kind == "term":
            v = step.loss_terms[n, j]
            def m():
                return GENERIC(v)
        elif kind == "L_n":
            v = step.losses[n]
            def m():
                return GENERIC(v)
        elif kind == "L":
            v = step.loss
            N = len(step.examples)
            def m():
                out = GENERIC(v)
                if N > 1:
                    out += [("the losses are summed instead of averaged", v * N if p.batch_reduction == "mean" else v),
                            ("the losses are averaged instead of summed", v / N if p.batch_reduction == "sum" else v)]
                return out
        elif kind == "loss_after":
            v = self.trace.epochs[0].loss_after
            def m():
                return GENERIC(v) + [("the loss before the update is given", self.trace.epochs[0].loss)]
        elif kind in ("delta", "dL_da", "da_dz"):
            rec = back[l + 1]
            arr = {"delta": rec.delta, "dL_da": rec.dL_da, "da_dz": rec.da_dz}[kind]
            v = arr[n, j]
            def m():
                out = GENERIC(v)
                d = rec.da_dz[n, j] if rec.da_dz is not None else None
                if kind == "delta" and d is not None:
                    out += [("the activation derivative is forgotten", rec.dL_da[n, j]),
                            ("the activation derivative is applied twice", rec.delta[n, j] * d)]
                    out += self.hidden_mistakes(step, l, j, n)
                if kind == "da_dz" and d is not None:
                    out += self.derivative_mistakes(layer, fwd, n, j)
                if kind == "dL_da" and l < len(p.layers) - 1:
                    out += [(what, val / d if d else val) for what, val in self.hidden_mistakes(step, l, j, n)]
                return out
        elif kind in ("dL_dW", "dL_db"):
            rec = back[l + 1]
            v = rec.dL_dW[j, i] if kind == "dL_dW" else rec.dL_db[j]
            def m():
                out = GENERIC(v)
                a_in = fwd.a_in[:, i] if kind == "dL_dW" else np.ones(len(step.examples))
                if rec.da_dz is not None:
                    out.append(("the activation derivative is forgotten in δ", scale * float(rec.dL_da[:, j] @ a_in)))
                    out.append(("the activation derivative is applied twice in δ", scale * float((rec.delta[:, j] * rec.da_dz[:, j]) @ a_in)))
                if kind == "dL_dW" and l > 0:
                    out.append(("the net input of the unit below is used instead of its output",
                                scale * float(rec.delta[:, j] @ step.forward[l - 1].z[:, i])))
                if kind == "dL_dW" and rec.dL_dW.shape[0] == rec.dL_dW.shape[1]:
                    out.append(("the weight matrix is transposed", rec.dL_dW[i, j]))
                out.append(("−η·∂L/∂w is given (the change, not the gradient)", -eta * v))
                return out
        elif kind in ("W_change", "b_change", "W", "b"):
            is_w = kind in ("W_change", "W")
            g = back[l + 1].dL_dW[j, i] if is_w else back[l + 1].dL_db[j]
            before = upd.W_before[j, i] if is_w else upd.b_before[j]
            change = upd.W_change[j, i] if is_w else upd.b_change[j]
            v = change if kind in ("W_change", "b_change") else (upd.W[j, i] if is_w else upd.b[j])
            base = 0.0 if kind in ("W_change", "b_change") else before
            def m():
                out = [("the sign of the update is flipped (w + η·∂L/∂w)", base - change),
                       ("the learning rate is missing", base - g),
                       ("the learning rate is applied twice", base - eta * eta * g)]
                if kind in ("W", "b"):
                    out.append(("the weight is not updated", before))
                out += [(f"{what} (in ∂L/∂w)", base - eta * val) for what, val in self.quantity(
                    "dL_dW" if is_w else "dL_db", step, l, j, i).mistakes() if "change" not in what]
                return out
        elif kind in ("W_before", "b_before"):
            is_w = kind == "W_before"
            v = upd.W_before[j, i] if is_w else upd.b_before[j]
            after = upd.W[j, i] if is_w else upd.b[j]
            def m():
                return [("this is the value after the update (write it as w⁺)", after)]
        elif kind == "dL_dx":
            v = step.dL_dx[n, i]
            def m():
                return GENERIC(v)
        else:
            raise ValueError(kind)
        return Quantity(label, float(v), m)

    def derivative_mistakes(self, layer, fwd, n, j):
        act = layer.activation
        z, a = fwd.z[n, j], fwd.a[n, j]
        if not act.elementwise:
            return []
        out = []
        with np.errstate(all="ignore"):
            at_z = float(act.derivative(np.array([[z]]), np.array([[z]]), **layer.activation_params)[0, 0])
            a_of_a = float(act.function(np.array([[a]]), **layer.activation_params)[0, 0])
            at_a = float(act.derivative(np.array([[a]]), np.array([[a_of_a]]), **layer.activation_params)[0, 0])
        out.append(("the net input is used where the activation belongs in f′ (e.g. z(1 − z))", at_z))
        out.append(("f′ is taken at the activation instead of the net input (e.g. σ(a)(1 − σ(a)))", at_a))
        return out

    def hidden_mistakes(self, step, l: int, j: int, n: int):
        """The δ of hidden unit j of layer l under the two classic hidden-layer mistakes."""
        p = self.p
        if l >= len(p.layers) - 1:
            return []
        back = {r.layer: r for r in step.backward}
        above, rec = back[l + 2], back[l + 1]
        d = rec.da_dz[n, j] if rec.da_dz is not None else 1.0
        W_before, W_after = step.update[l + 1].W_before, step.update[l + 1].W
        out = [("the hidden δ uses the already-updated weights", float(above.delta[n] @ W_after[:, j]) * d)]
        if W_before.shape[0] == W_before.shape[1]:
            out.append(("the weight matrix is transposed in the hidden δ", float(above.delta[n] @ W_before[j, :]) * d))
        return out

    # -------------------------------------------------------------- names -> quantities

    def by_name(self, name: str) -> Quantity | None:
        key, n = name, 0
        if "@" in name:
            key, ex = name.rsplit("@", 1)
            if not ex.isdigit() or not 1 <= int(ex) <= len(self.step().examples):
                return None
            n = int(ex) - 1
        k = key.replace("∂", "d").replace("δ", "delta_").replace("delta__", "delta_").replace("Δ", "change_")
        k = k.replace("⁺", "+").replace("/", "_").replace("_new", "+").replace("new_", "")
        k = {"E_total": "L", "E": "L"}.get(k, k)  # Mazur's names
        step = self.step()

        def parameter(pname: str, weight_kind: str, bias_kind: str) -> Quantity | None:
            """A quantity of the weight or the bias the solution calls ``pname`` (w5, b1), or None."""
            if pname in self.weights:
                return self.quantity(weight_kind, step, *self.weights[pname], label=name)
            if pname in self.biases:
                l, j = self.biases[pname]
                return self.quantity(bias_kind, step, l, j, label=name)
            return None

        if (q := parameter(k, "W_before", "b_before")) is not None:
            return q
        m = re.fullmatch(r"(net|z|out|a|L|E|delta)_(\w+)", k)
        if m and m.group(2) in self.units:
            l, j = self.units[m.group(2)]
            kind = {"net": "z", "z": "z", "out": "a", "a": "a", "delta": "delta", "L": "term", "E": "term"}[m.group(1)]
            if kind == "term" and l != len(self.p.layers) - 1:
                return None
            return self.quantity(kind, step, l, j, 0, n, name)
        if k == "L":
            return self.quantity("L_n" if "@" in name else "L", step, n=n, label=name)
        if k in ("loss_after", "L_after"):
            return self.quantity("loss_after", step, label=name)
        m = re.fullmatch(r"dL_dout_(\w+)", k)
        if m and m.group(1) in self.units:
            l, j = self.units[m.group(1)]
            return self.quantity("dL_da", step, l, j, 0, n, name)
        m = re.fullmatch(r"dout_(\w+)_dnet_(\w+)", k)
        if m and m.group(1) == m.group(2) and m.group(1) in self.units:
            l, j = self.units[m.group(1)]
            return self.quantity("da_dz", step, l, j, 0, n, name)
        m = re.fullmatch(r"dL_d(\w+)", k)
        if m and m.group(1) in self.names.inputs:
            return self.quantity("dL_dx", step, i=self.names.inputs.index(m.group(1)), n=n, label=name)
        for pattern, weight_kind, bias_kind in ((r"dL_d(\w+)", "dL_dW", "dL_db"),
                                                (r"(?:change_|delta_)(\w+)", "W_change", "b_change"),
                                                (r"(\w+)\+", "W", "b")):
            m = re.fullmatch(pattern, k)
            if m and (q := parameter(m.group(1), weight_kind, bias_kind)) is not None:
                return q
        return None

    # -------------------------------------------------------------- a partial trace

    def from_trace(self, answers: dict, source: str) -> list[tuple[Answer, Quantity]]:
        out = []
        p = self.p
        for e, ep in enumerate(answers.get("epochs", []) or []):
            if e >= len(self.trace.epochs) or not isinstance(ep, dict):
                continue
            where = f"epochs[{e + 1}]"
            for key in ("loss", "loss_after"):
                if isinstance(ep.get(key), Answer):
                    v = self.trace.epochs[e].loss if key == "loss" else self.trace.epochs[e].loss_after
                    out.append((ep[key], Quantity(f"{where}.{key}", v, (lambda v=v: GENERIC(v)))))
            for s, st in enumerate(ep.get("steps", []) or []):
                steps = self.trace.epochs[e].steps or []
                if s >= len(steps) or not isinstance(st, dict):
                    continue
                step, at = steps[s], f"{where}.steps[{s + 1}]"
                if isinstance(st.get("loss"), Answer):
                    out.append((st["loss"], self.quantity("L", step, label=f"{at}.loss")))
                for n, v in enumerate(st.get("losses", []) or []):
                    if isinstance(v, Answer) and n < len(step.examples):
                        out.append((v, self.quantity("L_n", step, n=n, label=f"{at}.losses[{n + 1}]")))
                for group, kinds in (("forward", {"z": "z", "a": "a"}),
                                     ("backward", {"delta": "delta", "dL_da": "dL_da", "da_dz": "da_dz", "dL_dW": "dL_dW", "dL_db": "dL_db"}),
                                     ("update", {"W_change": "W_change", "W": "W", "b_change": "b_change", "b": "b"})):
                    for pos, entry in enumerate(st.get(group, []) or []):
                        if not isinstance(entry, dict):
                            continue
                        layer_no = entry["layer"].value if isinstance(entry.get("layer"), Answer) else (
                            pos + 1 if group != "backward" else len(p.layers) - pos)
                        l = int(layer_no) - 1
                        if not 0 <= l < len(p.layers):
                            continue
                        layer = p.layers[l]
                        for key, kind in kinds.items():
                            value = entry.get(key)
                            if value is None:
                                continue
                            for (r, c), ans in _cells(value):
                                label = f"{at}.{group}[layer {l + 1}].{key}[{r + 1}][{c + 1}]"
                                if kind in ("z", "a", "delta", "dL_da", "da_dz"):
                                    if r < len(step.examples) and c < layer.units:
                                        out.append((ans, self.quantity(kind, step, l, c, 0, r, label)))
                                elif kind in ("W", "W_change", "dL_dW"):
                                    jj, ii = (r, c) if layer.layout == "out_in" else (c, r)
                                    if jj < layer.units and ii < layer.n_in:
                                        out.append((ans, self.quantity(kind, step, l, jj, ii, label=label)))
                                    elif layer.bias_form == "augmented" and jj < layer.units and ii == layer.n_in:
                                        bias_kind = {"W": "b", "W_change": "b_change", "dL_dW": "dL_db"}[kind]
                                        out.append((ans, self.quantity(bias_kind, step, l, jj, label=label)))
                                elif layer.separate_bias and c < layer.units:
                                    out.append((ans, self.quantity(kind, step, l, c, label=label.replace(f"[{r + 1}][{c + 1}]", f"[{c + 1}]"))))
                for (r, c), ans in _cells(st.get("dL_dx", [])):
                    if r < len(step.examples) and c < p.X.shape[1]:
                        out.append((ans, self.quantity("dL_dx", step, i=c, n=r, label=f"{at}.dL_dx[{r + 1}][{c + 1}]")))
        return out


def _cells(value):
    """(row, column) and answer of every number in a matrix, a vector (one row) or a number."""
    if isinstance(value, Answer):
        yield (0, 0), value
    elif isinstance(value, list):
        for r, row in enumerate(value):
            if isinstance(row, list):
                for c, v in enumerate(row):
                    if isinstance(v, Answer):
                        yield (r, c), v
            elif isinstance(row, Answer):
                yield (0, r), row


def grade(problem: Problem, text: str, name: str, tolerance: float | None = None) -> list[Result]:
    """Every answer in ``text``, right or wrong, with the expected value and the mistakes a wrong one matches."""
    answers = read_answers(text, name)
    if not isinstance(answers, dict):
        raise ProblemError(Issue(name, 1, 1, "", "answers that are not a mapping", "a mapping of names to numbers, or a partial JSON trace"))
    trace = engine.run(problem)
    grader = Grader(problem, trace)
    pairs: list[tuple[Answer, Quantity]] = []
    issues = []
    if "epochs" in answers or answers.get("format") == "backprop-trace":
        pairs = grader.from_trace(answers, name)
    else:
        for key, ans in answers.items():
            q = grader.by_name(key) if isinstance(ans, Answer) else None
            if q is None:
                line = ans.line if isinstance(ans, Answer) else None
                issues.append(Issue(name, line, 1 if line else None, key,
                                    f"{'the unknown name ' + repr(key) if isinstance(ans, Answer) else 'a value that is not a number'}",
                                    "a name the worked solution prints (net_h1, out_o1, δ_o1, ∂L/∂w5, Δw5, w5⁺, L, loss_after, ...) with a number"))
                continue
            pairs.append((ans, q))
    if issues:
        raise ProblemError(issues)
    results = []
    for ans, q in pairs:
        right = matches(ans, q.value, tolerance)
        found = []
        if not right and tolerance is None:
            d = decimals(ans.text)
            if abs(ans.value - math.trunc(q.value * 10 ** d) / 10 ** d) <= 1e-9 * max(1.0, abs(q.value)):
                found.append(f"truncated instead of rounded: {q.value:.{d + 2}f} rounds to {round(q.value, d):.{d}f}")
        if not right:
            for what, value in q.mistakes():
                if value is not None and math.isfinite(value) and what not in found and matches(ans, value, tolerance) \
                        and not matches(ans, q.value, tolerance):
                    found.append(what)
        results.append(Result(q.name, ans, q.value, right, found))
    return results
