"""The names of answers, and where each one points: a :class:`Loc` (kind, layer, unit, input, example, epoch, update).

Two answer forms name quantities:

- **names**, as the worked solution prints them: net_h1 (z_h1), out_o1 (a_o1),
  w5 and b1 (the weights before the update), L_o1 (E_o1), L (E_total, E),
  loss_after, δ_o1 (delta_o1), ∂L/∂out_o1 (dL_dout_o1), ∂out_o1/∂net_o1,
  ∂L/∂w5 (dL_dw5), ∂L/∂b1, ∂L/∂x1, Δw5 (delta_w5), w5⁺ (w5+, w5_new), with the
  loss also called E (∂E/∂w5, dE_total/dw5, dEtotal_dw5: see :func:`canonical`), and the
  same for biases; the values of the optimizer's step as symbol_parameter
  (m_w5, v̂_w5 or vhat_w5, b_w5 for a momentum buffer, or PyTorch's exp_avg_w5;
  see :func:`step_names`). A name refers to epoch 1, update 1, example 1 unless a suffix
  says otherwise: ``@`` followed by parts joined by dots, in any order:

  ====================  ===============================================
  ``net_h1@2``          example 2 of the update (its second row)
  ``w5⁺@u3``            update 3 of epoch 1
  ``w5⁺@e2``            epoch 2, update 1
  ``net_h1@e2.u3.2``    epoch 2, update 3, example 2 of that update
  ``loss_after@e2``     the loss after epoch 2
  ====================  ===============================================

- **a partial trace**, in the shape of the JSON trace: any subset of its keys
  and entries; list entries are matched by their ``"layer"`` where given. The
  optimizer's buffers are an update's ``state_W``/``state_b`` (``step`` is not graded).

Both give the same locators, so ``w5+``, ``w5⁺`` and a trace's
``update[layer 2].W[1][1]`` are one quantity. Nothing here computes a value.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any, NamedTuple

import numpy as np

from ..conventions import setting
from ..problem import Problem
from ..render.page import Names  # the naming scheme of the worked solution (the one import of it in teaching/)
from .answers import Answer, Text

__all__ = ["Loc", "AnswerNames", "Names", "PER_EXAMPLE", "PER_UPDATE", "PER_EPOCH"]

PER_EXAMPLE = ("z", "a", "term", "L_n", "dL_da", "da_dz", "delta", "dL_dx")
PER_UPDATE = ("L", "dL_dW", "dL_db", "W_change", "b_change", "W", "b", "W_before", "b_before")
PER_EPOCH = ("loss_after", "epoch_loss")


class Loc(NamedTuple):
    """Where a quantity is: its kind, layer (0-based), unit j, input i, example n (within the update), epoch, update."""

    kind: str
    layer: int = 0
    j: int = 0
    i: int = 0
    n: int = 0
    epoch: int = 0
    step: int = 0


def intermediate(is_w: bool, key: str) -> str:
    """The kind of a step's intermediate ``key`` (a key of ``shown``) of the weights or the biases: W.exp_avg."""
    return f"{'W' if is_w else 'b'}.{key}"


def step_names(problem: Problem) -> dict[str, str]:
    """How an answer may name each intermediate of the optimizer's step (a key of ``shown``), in plain letters.

    The intermediates are those the derivation prints under the problem's hyperparameters (the results of
    ``Optimizer.shown_lines``, the change aside, which is Δw5). Each is named by its symbol (m, v̂, s, b: from
    the table's ``symbols``), spelt in letters too (mhat), or by its own name (exp_avg, m_hat, momentum_buffer).
    """
    opt = problem.optimizer
    out: dict[str, str] = {}
    for line in opt.shown_lines(problem.hp):
        key = line.result
        if key != "change":
            out.setdefault(spelt(opt.symbols.get(key, (key,))[0]), key)
            out.setdefault(key, key)
            for alias in ALIASES.get(key, ()):
                out.setdefault(alias, key)
    return out


ALIASES = {"momentum_buffer": ("b",)}
"""Other symbols of an intermediate: the page writes the momentum buffer v, PyTorch's documentation b."""


UNKNOWN = "a name the worked solution does not print"
WHAT = {"e": "epoch", "u": "update", "x": "example"}
SUFFIX = re.compile(r"(?:(?:e\d+|u\d+|\d+)(?:\.|$))+")


def _suffix(name: str) -> tuple[str, dict[str, int] | str]:
    """'w5⁺@e2.u3' -> ('w5⁺', {'e': 2, 'u': 3}); a malformed suffix gives the reason instead."""
    if "@" not in name:
        return name, {}
    key, spec = name.rsplit("@", 1)
    if not SUFFIX.fullmatch(spec):
        return key, f"the suffix @{spec}: write @2 (example 2), @u3 (update 3), @e2 (epoch 2), or @e2.u3.2"
    parts: dict[str, int] = {}
    for part in spec.split("."):
        letter = part[0] if part[0] in "eu" else "x"
        if letter in parts:
            return (
                key,
                f"the suffix @{spec} names the {WHAT[letter]} twice",
            )
        parts[letter] = int(part.lstrip("eu"))
    return key, parts


LETTERS = {"\u0302": "hat", "\u0304": "bar", "′": "prime", "η": "eta"}
"""How the optimizers' symbols are spelt in plain letters: m̂ -> mhat, ḡ -> gbar, w′ -> wprime, η_t -> eta_t."""


def spelt(symbol: str) -> str:
    k = unicodedata.normalize("NFD", symbol)
    for mark, letters in LETTERS.items():
        k = k.replace(mark, letters)
    return k


LOSS_NAMES = ("E_total", "Etotal", "E")
"""The loss as the books that call it E write it (Mitchell, Han & Kamber, Negnevitsky; Mazur's E_total): read as L."""
_D_LOSS = re.compile(rf"d(?:{'|'.join(LOSS_NAMES)})_d")


def canonical(name: str) -> str:
    """The spelling-free key of a name: ∂L/∂w5 -> dL_dw5, δ_o1 -> delta_o1, Δw5 -> change_w5, w5⁺ -> w5+,
    m̂_w5 -> mhat_w5; the loss called E: ∂E/∂w5, dE_total/dw5, dEtotal_dw5 -> dL_dw5, E_total -> L."""
    k = spelt(name).replace("∂", "d").replace("δ", "delta_").replace("delta__", "delta_").replace("Δ", "change_")
    k = k.replace("⁺", "+").replace("/", "_").replace("_new", "+").replace("new_", "")
    if (m := _D_LOSS.match(k)) is not None:
        k = "dL_d" + k[m.end() :]
    return "L" if k in LOSS_NAMES else k


class AnswerNames:
    """Resolves answer names and partial traces of one problem into locators."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.names = Names(problem)
        self.units = {u: (l, j) for l, layer in enumerate(self.names.units) for j, u in enumerate(layer)}
        self.weights = {w: (l, j, i) for l, W in enumerate(self.names.weights) for (j, i), w in np.ndenumerate(W)}
        self.biases = {b: (l, j) for l, bs in enumerate(self.names.biases) if bs for j, b in enumerate(bs)}
        self.batches = problem.batches()
        self.steps = step_names(problem)
        self._known: dict[str, str] | None = None

    # -------------------------------------------------------------- names

    def by_name(self, name: str) -> Loc | str:
        """The locator of ``name``, or why it names nothing (a sentence for the report)."""
        key, where = _suffix(name)
        if isinstance(where, str):
            return where
        loc = self._quantity(canonical(key), "x" in where)
        if loc is None:
            return UNKNOWN
        if isinstance(loc, str):
            return loc
        return self._place(loc, where, key)

    def _place(self, loc: Loc, where: dict[str, int], key: str) -> Loc | str:
        e, u, x = where.get("e", 1), where.get("u", 1), where.get("x", 1)
        if not 1 <= e <= self.p.epochs:
            return f"epoch {e}, but the problem trains {self.p.epochs} epoch{'s' if self.p.epochs > 1 else ''}"
        if loc.kind in PER_EPOCH:
            return (
                f"{key} is one number per epoch: write {key}@e{e}"
                if "u" in where or "x" in where
                else loc._replace(epoch=e - 1)
            )
        if not 1 <= u <= len(self.batches):
            return f"update {u}, but an epoch has {len(self.batches)} update{'s' if len(self.batches) > 1 else ''}"
        if loc.kind in PER_UPDATE or "." in loc.kind:
            if "x" in where:
                return f"{key} is one number per update; @{x} names an example: write {key}@u{x} for update {x}"
            return loc._replace(epoch=e - 1, step=u - 1)
        rows = len(self.batches[u - 1])
        if not 1 <= x <= rows:
            return f"example {x}, but update {u} has {rows} example{'s' if rows > 1 else ''}"
        return loc._replace(epoch=e - 1, step=u - 1, n=x - 1)

    def _parameter(self, k: str, weight_kind: str, bias_kind: str) -> Loc | None:
        if k in self.weights:
            l, j, i = self.weights[k]
            return Loc(weight_kind, l, j, i)
        if k in self.biases:
            l, j = self.biases[k]
            return Loc(bias_kind, l, j)
        return None

    def _quantity(self, k: str, per_example: bool) -> Loc | str | None:
        if (loc := self._parameter(k, "W_before", "b_before")) is not None:
            return loc
        if k in (spelled := self.names.spellings()):  # I4, O4, Err6, z4: the symbols of every convention
            return Loc(*spelled[k])
        m = re.fullmatch(r"(net|z|out|a|L|E|delta)_(\w+)", k)
        if m and m.group(2) in self.units:
            l, j = self.units[m.group(2)]
            kind = {"net": "z", "z": "z", "out": "a", "a": "a", "delta": "delta", "L": "term", "E": "term"}[m.group(1)]
            return None if kind == "term" and l != len(self.p.layers) - 1 else Loc(kind, l, j)
        m = re.fullmatch(r"y_?hat_?(\d+)", k)  # ŷ1, ŷ_1, yhat1: the page's ŷ, the output layer's activations
        if m and 1 <= int(m.group(1)) <= len(self.names.units[-1]):
            return Loc("a", len(self.p.layers) - 1, int(m.group(1)) - 1)
        if k == "L":
            return Loc("L_n" if per_example else "L")
        if k in ("loss_after", "L_after"):
            return Loc("loss_after")
        if (loc := self._own_term(k, spelled)) is not None:
            return loc
        m = re.fullmatch(r"dL_dout_(\w+)", k)
        if m and m.group(1) in self.units:
            return Loc("dL_da", *self.units[m.group(1)])
        if k.startswith("dL_d") and (loc := self._of_unit(k[4:], spelled)) is not None:
            return loc
        m = re.fullmatch(r"dout_(\w+)_dnet_(\w+)", k)
        if m and m.group(1) == m.group(2) and m.group(1) in self.units:
            return Loc("da_dz", *self.units[m.group(1)])
        m = re.fullmatch(r"dL_d(\w+)", k)
        if m and m.group(1) in self.names.inputs:
            return Loc("dL_dx", i=self.names.inputs.index(m.group(1)))
        for pattern, weight_kind, bias_kind in (
            (r"dL_d(\w+)", "dL_dW", "dL_db"),
            (r"(?:change_|delta_)(\w+)", "W_change", "b_change"),
            (r"(\w+)\+", "W", "b"),
        ):
            m = re.fullmatch(pattern, k)
            if m and (loc := self._parameter(m.group(1), weight_kind, bias_kind)) is not None:
                return loc
        return self._step_value(k)

    def _own_term(self, k: str, spelled: dict) -> Loc | str | None:
        """Mazur's ∂E_o1/∂out_o1, which is ∂L/∂out_o1 (no other term holds out_o1); ∂E_o1/∂net_o1 is δ_o1
        where f is elementwise (a softmax mixes the terms)."""
        m = re.fullmatch(r"d[LE]_(\w+)_d(out|a|net|z)_(\w+)", k)
        output = m and m.group(1) == m.group(3) and self.units.get(m.group(1), (-1,))[0] == len(self.p.layers) - 1
        if not output or m.group(2) in ("net", "z") and not self.p.layers[-1].activation.elementwise:
            return None
        return self._of_unit(f"{m.group(2)}_{m.group(3)}", spelled)

    def _of_unit(self, unit: str, spelled: dict) -> Loc | str | None:
        """∂L/∂ of a unit's output in any convention's spelling (∂E/∂O6, ∂L/∂a_o1: ∂L/∂out), or of its net input
        (∂E_total/∂net_o1: δ, where δ is ∂L/∂net; under the error signal δ = −∂L/∂net, the reason instead)."""
        kind, l, j = spelled.get(unit, ("", 0, 0))
        if kind == "a":
            return Loc("dL_da", l, j)
        if kind != "z":
            return None
        if setting(self.p.conventions, "delta") == "error_signal":
            loss, error = self.names.symbol["loss"], self.names.quantity("error", l, j)
            return f"∂{loss}/∂{unit} is −{error} here (the error term is −∂{loss}/∂net): write {error}"
        return Loc("delta", l, j)

    def _step_value(self, k: str) -> Loc | str | None:
        """m_w5, v̂_b1, exp_avg_w5: an intermediate of the optimizer's step of one weight or bias."""
        head, _, parameter = k.rpartition("_")
        loc = self._parameter(parameter, "W", "b") if head in self.steps else None
        if loc is None:
            return None
        if loc.kind == "b" and not self.p.train_bias:
            return f"{parameter} is not trained (train_bias: false), so the optimizer keeps nothing for it"
        return loc._replace(kind=intermediate(loc.kind == "W", self.steps[head]))

    def suggest(self, name: str) -> str:
        """' (did you mean out_h1?)' for a name close to a known one, else ''. Names are compared as spelt in
        letters (deltah2 is close to δ_h2, read delta_h2), and a unit's bare name asks which of its values."""
        key = canonical(_suffix(name)[0])
        if key in self.units:
            return f" (did you mean out_{key} or net_{key}?)"
        self._known = self._known or {canonical(k): k for k in known(self)}
        close = difflib.get_close_matches(key, list(self._known), n=2, cutoff=0.6)
        return f" (did you mean {' or '.join(self._known[c] for c in close)}?)" if close else ""

    # -------------------------------------------------------------- a partial trace

    def from_trace(self, answers: dict) -> list[tuple[Any, Loc | str, str]]:
        """(answer, locator or why not, label) for every number of a partial trace."""
        out: list[tuple[Any, Loc | str, str]] = []
        epochs = answers.get("epochs")
        for e, ep in enumerate(epochs if isinstance(epochs, list) else []):
            if not isinstance(ep, dict):
                continue
            where = f"epochs[{e + 1}]"
            far = None if e < self.p.epochs else f"epoch {e + 1}, but the problem trains {self.p.epochs}"
            for key, kind in (("loss", "epoch_loss"), ("loss_after", "loss_after")):
                if key in ep:
                    out.append((ep[key], far or Loc(kind, epoch=e), f"{where}.{key}"))
            steps = ep.get("steps")
            for s, st in enumerate(steps if isinstance(steps, list) else []):
                if isinstance(st, dict):
                    out += self._step(st, e, s, f"{where}.steps[{s + 1}]", far)
        return out

    def _step(self, st: dict, e: int, s: int, at: str, far: str | None) -> list:
        if far is None and s >= len(self.batches):
            far = f"update {s + 1}, but an epoch has {len(self.batches)}"
        rows = len(self.batches[s]) if s < len(self.batches) else 0
        out = []
        if "loss" in st:
            out.append((st["loss"], far or Loc("L", epoch=e, step=s), f"{at}.loss"))
        for n, v in enumerate(st.get("losses") if isinstance(st.get("losses"), list) else []):
            out.append(
                (
                    v,
                    far
                    or (
                        Loc("L_n", n=n, epoch=e, step=s) if n < rows else f"example {n + 1}, but the update has {rows}"
                    ),
                    f"{at}.losses[{n + 1}]",
                )
            )
        for group, keys in (
            ("forward", ("z", "a")),
            ("backward", ("delta", "dL_da", "da_dz", "dL_dW", "dL_db")),
            ("update", ("W_change", "W", "b_change", "b")),
        ):
            entries = st.get(group)
            for pos, entry in enumerate(entries if isinstance(entries, list) else []):
                if isinstance(entry, dict):
                    out += self._entry(entry, group, keys, pos, e, s, rows, at, far)
        for (r, c), ans in _cells(st.get("dL_dx", [])):
            ok = r < rows and c < self.p.X.shape[1]
            out.append(
                (
                    ans,
                    far or (Loc("dL_dx", i=c, n=r, epoch=e, step=s) if ok else "no such entry"),
                    f"{at}.dL_dx[{r + 1}][{c + 1}]",
                )
            )
        return out

    def _entry(self, entry: dict, group: str, keys, pos: int, e: int, s: int, rows: int, at: str, far) -> list:
        p, out = self.p, []
        given = entry.get("layer")
        number = given.value if isinstance(given, Answer) else (pos + 1 if group != "backward" else len(p.layers) - pos)
        l = int(number) - 1
        if not 0 <= l < len(p.layers) or number != int(number):
            return [
                (
                    given,
                    f"layer {given.text if isinstance(given, Answer) else number}, but the network has "
                    f"{len(p.layers)} layers",
                    f"{at}.{group}[{pos + 1}].layer",
                )
            ]
        layer = p.layers[l]
        for key in keys:
            for (r, c), ans in _cells(entry.get(key)):
                label = f"{at}.{group}[layer {l + 1}].{key}[{r + 1}][{c + 1}]"
                loc: Loc | str = "no such entry"
                if key in ("z", "a", "delta", "dL_da", "da_dz"):
                    if r < rows and c < layer.units:
                        loc = Loc(key, l, c, 0, r, e, s)
                elif key in ("W", "W_change", "dL_dW"):
                    bias_kind = {"W": "b", "W_change": "b_change", "dL_dW": "dL_db"}[key]
                    loc = _matrix_cell(layer, r, c, key, bias_kind, l, e, s)
                elif layer.separate_bias and c < layer.units:
                    loc, label = Loc(key, l, c, 0, 0, e, s), f"{at}.{group}[layer {l + 1}].{key}[{c + 1}]"
                out.append((ans, far or loc, label))
        if group == "update":
            out += self._state(entry, l, e, s, f"{at}.update[layer {l + 1}]", far)
        return out

    def _state(self, entry: dict, l: int, e: int, s: int, at: str, far) -> list:
        """The optimizer's buffers after the step, as the trace's ``state_W``/``state_b`` write them."""
        layer, out = self.p.layers[l], []
        buffers = set(self.steps.values())
        for which in ("state_W", "state_b"):
            given = entry.get(which)
            for name, value in given.items() if isinstance(given, dict) else ():
                if name == "step":
                    continue  # the step counter is given by the update's number
                for (r, c), ans in _cells(value):
                    label, loc = f"{at}.{which}.{name}[{r + 1}][{c + 1}]", "no such entry"
                    if name not in buffers:
                        loc = f"{name}: not a buffer of this optimizer here (its buffers: {', '.join(sorted(buffers))})"
                    elif which == "state_W":
                        loc = _matrix_cell(layer, r, c, intermediate(True, name), intermediate(False, name), l, e, s)
                    elif layer.separate_bias and c < layer.units:
                        loc, label = Loc(intermediate(False, name), l, c, 0, 0, e, s), f"{at}.{which}.{name}[{c + 1}]"
                    if isinstance(loc, Loc) and loc.kind.startswith("b.") and not self.p.train_bias:
                        continue  # a frozen bias has no buffer (the trace writes its augmented column as 0)
                    out.append((ans, far or loc, label))
        return out


def known(an: AnswerNames) -> list[str]:
    """Every name of the first update, for suggestions."""
    loss = an.names.symbol["loss"]  # the page's letter: L, or E (∂E/∂w5 is read as ∂L/∂w5 either way)
    out = [loss, "loss_after"] + [f"∂{loss}/∂{x}" for x in an.names.inputs]
    for u in an.units:
        out += [f"net_{u}", f"out_{u}", f"δ_{u}", f"∂{loss}/∂out_{u}", f"∂out_{u}/∂net_{u}"]
    symbols = {key: an.p.optimizer.symbols.get(key, (key,))[0] for key in an.steps.values()}
    for w in [*an.weights, *an.biases]:
        out += [w, f"∂{loss}/∂{w}", f"Δ{w}", f"{w}⁺"] + [f"{s}_{w}" for s in symbols.values()]
    return out


def _matrix_cell(layer, r: int, c: int, weight_kind: str, bias_kind: str, l: int, e: int, s: int) -> Loc | str:
    """The locator of entry [r][c] of a weight matrix as the file writes it (its layout, an augmented bias column)."""
    j, i = (r, c) if layer.layout == "out_in" else (c, r)
    if j < layer.units and i < layer.n_in:
        return Loc(weight_kind, l, j, i, 0, e, s)
    if layer.bias_form == "augmented" and j < layer.units and i == layer.n_in:
        return Loc(bias_kind, l, j, 0, 0, e, s)
    return "no such entry"


def _cells(value):
    """(row, column) and value of every number in a matrix, a vector (one row) or a number."""
    if isinstance(value, (Answer, Text)):
        yield (0, 0), value
    elif isinstance(value, list):
        for r, row in enumerate(value):
            if isinstance(row, list):
                for c, v in enumerate(row):
                    if isinstance(v, (Answer, Text)):
                        yield (r, c), v
            elif isinstance(row, (Answer, Text)):
                yield (0, r), row
