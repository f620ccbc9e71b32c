"""The rules of a problem's data and loss: targets shaped like the output layer, a loss that fits it, the perceptron."""

from __future__ import annotations

import math

import numpy as np

from .fields import Fields, is_number
from .losses import DEFAULT, LOSSES


class DataRules(Fields):
    """Reading ``targets:`` and ``loss:``, and the conditions they put on the output layer."""

    def targets(self, data: dict, layers, X) -> np.ndarray | None:
        if "targets" not in data:
            return None
        raw = data["targets"]
        K = layers[-1].units if layers else None
        N = X.shape[0] if X is not None else None
        # A flat list of N numbers for N examples of one output each is a column.
        flat_column = (
            N is not None
            and N > 1
            and isinstance(raw, list)
            and len(raw) == N
            and all(is_number(v) for v in raw)
            and K in (None, 1)
        )
        Y = self.matrix(
            ("targets",), raw, "a list of rows of numbers, one row per example", flat_is_row=not flat_column
        )
        if Y is not None and N is not None and Y.shape[0] != N:
            self.issue(("targets",), f"{Y.shape[0]} row(s) of targets", f"one row per example: {N} row(s), like inputs")
        elif Y is not None and K is not None and Y.shape[1] != K:
            self.issue(
                ("targets",),
                f"rows of {Y.shape[1]} target(s)",
                f"{K} target(s) per row, one per unit of the output layer ({layers[-1].name})",
            )
        return Y

    def loss(self, data: dict, rule: str):
        if rule == "perceptron":
            if "loss" in data:
                self.warn(("loss",), "ignored with rule: perceptron: its losses are ½·Σ(y − ŷ)², 0 when right")
            return LOSSES[DEFAULT]
        loss_name = data.get("loss", DEFAULT)
        loss = LOSSES.get(loss_name) if isinstance(loss_name, str) else None
        if loss is None:
            self.choice(("loss",), loss_name, tuple(LOSSES), "a loss")
        return loss

    def loss_fits(self, loss, out, Y) -> None:
        if loss.requires_output and out.activation.name != loss.requires_output:
            self.issue(
                ("loss",),
                f"loss {loss.name} with a {out.activation.name} output layer",
                f"activation: {loss.requires_output} on the output layer ({loss.name} is defined on its probabilities)",
            )
        elif loss.needs_unit_interval and not out.activation.unit_interval:
            self.issue(
                ("loss",),
                f"loss {loss.name} with a {out.activation.name} output layer, whose outputs can leave (0, 1)",
                f"an output layer with sigmoid or softmax: {loss.name} takes the logarithm of ŷ and of 1 − ŷ",
            )
        if Y is not None and loss.target_range is not None:
            lo, hi = loss.target_range
            bad = Y[(Y < lo) | (Y > hi)]
            if bad.size:
                rng_txt = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"≥ {lo:g}"
                self.issue(("targets",), f"the target {bad.flat[0]:g}", f"targets {rng_txt} for loss {loss.name}")

    def perceptron(self, data: dict, layers) -> None:
        """rule: perceptron takes one layer whose activation is a threshold unit (step or sign)."""
        if not layers:
            return
        if len(layers) != 1:
            self.issue(
                ("layers",),
                f"{len(layers)} layers with rule: perceptron",
                "one layer: the perceptron rule trains a single layer of threshold units",
            )
        act = layers[-1].activation
        if act.differentiable:
            self.issue(
                ("layers", len(layers) - 1, "activation"),
                f"{act.name} with rule: perceptron",
                "activation: step or sign (the perceptron rule compares a thresholded output with the target)",
            )
