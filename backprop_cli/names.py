"""The naming scheme of a network, as the textbooks write it: one place for the page, CSV rows, check and draw.

Two schemes (``conventions: {names: …}``, SPEC §4.5):

``layer`` (the default, Mazur's step-by-step post): inputs x1, x2, …; units
named after their layer (h1, h2, o1, …; a layer name ending in a digit gets an
underscore: h2_1); weights w1, w2, … numbered layer by layer in the order the
problem file writes them (row by row in the layer's own layout); biases b1, b2,
… one per unit in the same order (θ1, θ2, … for thresholds); targets y1, y2, ….

``global`` (Han & Kamber, Negnevitsky, Mitchell): units numbered 1..N through
the network from the inputs, so a 3-2-1 network has inputs x1..x3, hidden units
4, 5 and output unit 6. The weight from unit i into unit j is w_ij (w14, w46),
or w_ji with ``index: to_from`` (Mitchell's w41); when a number has two digits
the indices are separated by a comma (w9,10). Biases and thresholds are θ_j
(θ4); an ``augmented`` bias is the weight w_0j from the constant input 0 (w04).
With to_from every bias but a threshold is Mitchell's "threshold weight" w_j0
(w40), the weight from the constant input x0. Targets are named after the output unit in the letter of
the output's symbol: T6 beside O6, t6 beside o6, y_d,6 beside y6 (Negnevitsky;
Fausett's preset writes t6).

A layer with a shared bias (``bias: {shared: v}``) has one bias, named once per
layer: b1 for the first such layer (or θ-numbered by the layer with global
names), and every unit of the layer lists that same name.

Besides, the spellings of the per-unit quantities (net input, output, error
term, loss term) in each convention: :meth:`Names.quantity` gives the one the
page prints, :meth:`Names.spellings` every one a student may write. Only
strings here: how a name is written as math is render/symbols.py's business.
"""

from __future__ import annotations

import numpy as np

from .conventions import CONVENTIONS, setting
from .problem import Problem

TARGET_LETTER = {"O": "T", "o": "t", "y": "y_d,"}
"""The target's letter beside an output symbol, with global names (otherwise y)."""


def unit_name(layer_name: str, index: int) -> str:
    """Unit ``index`` (from 1) of a layer: h -> h1, h2 -> h2_1."""
    return f"{layer_name}_{index}" if layer_name[-1:].isdigit() else f"{layer_name}{index}"


def pair(letter: str, a: int, b: int) -> str:
    """A doubly indexed name: w14, w9,10 (a comma once an index has two digits)."""
    return f"{letter}{a}{',' if max(a, b) >= 10 else ''}{b}"


class Names:
    """The names of every given and unit of a problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        conv = problem.conventions
        self.scheme = setting(conv, "names")
        self.symbol = {key: setting(conv, key) for key in ("net", "out", "error", "loss")}
        d = problem.X.shape[1]
        self.inputs = [unit_name("x", i + 1) for i in range(d)]
        if self.scheme == "global":
            self._global(problem, setting(conv, "index") == "to_from")
        else:
            self._layer(problem)

    def _layer(self, problem: Problem) -> None:
        self.units = [[unit_name(layer.name, j + 1) for j in range(layer.units)] for layer in problem.layers]
        self.weights: list[np.ndarray] = []  # per layer, out_in indexed [unit, input] -> label
        self.biases: list[list[str] | None] = []
        w = b = 0
        for layer in problem.layers:
            names = np.empty((layer.units, layer.n_in), dtype=object)
            for i, j in given_order(layer):
                w += 1
                names[i, j] = f"w{w}"
            self.weights.append(names)
            letter = "θ" if layer.bias_form == "threshold" else "b"
            if layer.b is None:
                self.biases.append(None)
            elif layer.bias_form == "shared":
                b += 1
                self.biases.append([f"{letter}{b}"] * layer.units)
            else:
                self.biases.append([f"{letter}{b + j + 1}" for j in range(layer.units)])
                b += layer.units
        self.targets = [f"y{k + 1}" for k in range(problem.layers[-1].units)]

    def _global(self, problem: Problem, to_from: bool) -> None:
        first = problem.X.shape[1] + 1  # the number of the layer's first unit
        numbers: list[list[int]] = []
        for layer in problem.layers:
            numbers.append(list(range(first, first + layer.units)))
            first += layer.units
        self.units = [[str(n) for n in layer] for layer in numbers]
        self.weights, self.biases = [], []
        for li, layer in enumerate(problem.layers):
            sources = range(1, layer.n_in + 1) if li == 0 else numbers[li - 1]
            names = np.empty((layer.units, layer.n_in), dtype=object)
            for j, unit in enumerate(numbers[li]):
                for i, src in enumerate(sources):
                    names[j, i] = pair("w", unit, src) if to_from else pair("w", src, unit)
            self.weights.append(names)
            if layer.b is None:
                self.biases.append(None)
            elif layer.bias_form == "augmented" or (to_from and layer.bias_form != "threshold"):
                self.biases.append([pair("w", u, 0) if to_from else pair("w", 0, u) for u in numbers[li]])
            elif layer.bias_form == "shared":
                self.biases.append([f"b{li + 1}"] * layer.units)
            else:
                self.biases.append([f"θ{u}" for u in numbers[li]])
        target = TARGET_LETTER.get(self.symbol["out"], "y")
        if problem.conventions.get("preset") == "fausett":
            target = "t"  # Fausett: y_k beside the target t_k
        self.targets = [f"{target}{u}" for u in self.units[-1]]

    def quantity(self, kind: str, li: int, j: int) -> str:
        """How the page spells unit j of layer li's ``kind`` (net, out, error or loss): net_h1, I4, Err6, E_o1."""
        return spell(self.symbol[kind], self.units[li][j], self.scheme)

    def spellings(self) -> dict[str, tuple[str, int, int]]:
        """Every spelling of a per-unit quantity a student may write -> (trace kind, layer, unit).

        The page's own (I4, O4, Err6) and those of every other convention (net_4, z4, δ4, delta_4), so that an
        answer in the book's notation and one in the default notation are both understood.
        """
        kinds = {"net": "z", "out": "a", "error": "delta", "loss": "term"}
        extra = {"error": ("delta",)}
        schemes = ("layer", "global") if self.scheme == "global" else ("layer",)  # outh1 is no name of h1
        out: dict[str, tuple[str, int, int]] = {}
        last = len(self.units) - 1
        for key, kind in kinds.items():
            for letter in CONVENTIONS[key] + extra.get(key, ()):
                for li, units in enumerate(self.units):
                    if kind == "term" and li != last:
                        continue
                    for j, u in enumerate(units):
                        for scheme in schemes:
                            out.setdefault(spell(letter, u, scheme), (kind, li, j))
        return out


def spell(letter: str, unit: str, scheme: str) -> str:
    """A symbol of a unit: net_h1 with layer names; I4, net4, Err6 with global ones (the number as subscript)."""
    return f"{letter}{unit}" if scheme == "global" else f"{letter}_{unit}"


def given_order(layer) -> list[tuple[int, int]]:
    """(unit, input) pairs in the order the file writes the layer's weights (row by row in its layout)."""
    if layer.layout == "out_in":
        return [(j, k) for j in range(layer.units) for k in range(layer.n_in)]
    return [(j, k) for k in range(layer.n_in) for j in range(layer.units)]
