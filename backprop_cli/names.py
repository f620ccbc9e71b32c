"""The naming scheme of a network, as the textbooks write it (Mazur's step-by-step post in particular).

Inputs x1, x2, …; units named after their layer (h1, h2, o1, …; a layer name
ending in a digit gets an underscore: h2_1); weights w1, w2, … numbered layer
by layer in the order the problem file writes them (row by row in the layer's
own layout); biases b1, b2, … one per unit in the same order; targets y1, y2, ….

The worked solution, ``check`` and ``draw`` all use these names, so what a
student reads, answers and sees match. Only strings here: how a name is
written as math is render/symbols.py's business.
"""

from __future__ import annotations

import numpy as np

from .problem import Problem


def unit_name(layer_name: str, index: int) -> str:
    """Unit ``index`` (from 1) of a layer: h -> h1, h2 -> h2_1."""
    return f"{layer_name}_{index}" if layer_name[-1:].isdigit() else f"{layer_name}{index}"


class Names:
    """The names of every given and unit of a problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        d = problem.X.shape[1]
        self.inputs = [unit_name("x", i + 1) for i in range(d)]
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
            if layer.b is not None:  # a threshold is θ; a shared bias is one name for the whole layer
                letter = "θ" if layer.bias_form == "threshold" else "b"
                count = len(layer.b)
                self.biases.append([f"{letter}{b + (0 if count == 1 and layer.bias_form == 'shared' else j) + 1}"
                                    for j in range(layer.units)])
                b += count
            else:
                self.biases.append(None)
        self.targets = [f"y{k + 1}" for k in range(problem.layers[-1].units)]


def given_order(layer) -> list[tuple[int, int]]:
    """(unit, input) pairs in the order the file writes the layer's weights (row by row in its layout)."""
    if layer.layout == "out_in":
        return [(j, k) for j in range(layer.units) for k in range(layer.n_in)]
    return [(j, k) for k in range(layer.n_in) for j in range(layer.units)]
