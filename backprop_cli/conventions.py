"""Conventions of sign and display (SPEC §4.5), and named presets for the common textbook families.

``delta`` and ``names`` are the SPEC's; the others are how a page is written.
A preset sets several at once; a key written beside the preset overrides it.

    delta     dL_dz: δ = ∂Lₙ/∂z (the default).  error_signal: δ = −∂Lₙ/∂z = (y − ŷ)·f′(z) for squared
              losses, and the update reads w ← w + η·δ·x (Mitchell, Han & Kamber, Negnevitsky, Fausett)
    names     layer: h1, o1, w1…, b1… per layer.  global: units numbered 1..N through the network from
              the inputs, weights w_ij from unit i into unit j, biases θ_j
    loss      L or E: the loss's letter
    net       net, z or I: the net input's name (I is Han & Kamber's)
    out       out, a, o, y or O: the output's name
    error     δ or Err: the error term's name (Err is Han & Kamber's)
    index     from_to: w_ij goes from unit i to unit j.  to_from: w_ji goes into unit j from unit i
    momentum  pytorch: v ← μ·v + g, w ← w − η·v.  classical: Δw(t) = −η·g + μ·Δw(t − 1) (the same numbers)
"""

from typing import NamedTuple

CONVENTIONS: dict[str, tuple[str, ...]] = {
    "delta": ("dL_dz", "error_signal"),
    "names": ("layer", "global"),
    "loss": ("L", "E"),
    "net": ("net", "z", "I"),
    "out": ("out", "a", "o", "y", "O"),
    "error": ("δ", "Err"),
    "index": ("from_to", "to_from"),
    "momentum": ("pytorch", "classical"),
}

DEFAULTS = {
    "delta": "dL_dz",
    "names": "layer",
    "loss": "L",
    "net": "net",
    "out": "out",
    "error": "δ",
    "index": "from_to",
    "momentum": "pytorch",
}


class Preset(NamedTuple):
    settings: dict[str, str]
    books: str


PRESETS: dict[str, Preset] = {
    "pytorch": Preset(dict(DEFAULTS, net="z", out="a"), "PyTorch, Goodfellow et al., CS231n: δ = ∂L/∂z"),
    "mazur": Preset(dict(DEFAULTS, loss="E"), "Matt Mazur's step-by-step post: E_total, net_h1, out_h1"),
    "mitchell": Preset(
        dict(DEFAULTS, delta="error_signal", names="global", loss="E", out="o", index="to_from", momentum="classical"),
        "Mitchell, Machine Learning (1997), ch. 4: δ_k = o_k(1 − o_k)(t_k − o_k), w_ji ← w_ji + η·δ_j·x_ji",
    ),
    "han_kamber": Preset(
        dict(DEFAULTS, delta="error_signal", names="global", loss="E", net="I", out="O", error="Err"),
        "Han, Kamber & Pei, Data Mining (3rd ed.), §9.2: Err_j = O_j(1 − O_j)(T_j − O_j), θ_j",
    ),
    "negnevitsky": Preset(
        dict(DEFAULTS, delta="error_signal", names="global", loss="E", net="net", out="y", momentum="classical"),
        "Negnevitsky, Artificial Intelligence (2nd ed.), ch. 6: δ = y(1 − y)·e, thresholds θ",
    ),
    "fausett": Preset(
        dict(DEFAULTS, delta="error_signal", names="global", loss="E", net="net", out="y"),
        "Fausett, Fundamentals of Neural Networks (1994): δ_k = (t_k − y_k) f′(y_in_k)",
    ),
}


def setting(conventions: dict, key: str) -> str:
    """The convention in force for ``key``: the problem's, else the default."""
    return conventions.get(key, DEFAULTS[key])
