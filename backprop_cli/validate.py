"""Reading a problem file: ``load(path)``, ``loads(text)``, ``from_dict(data)`` -> Problem, and the rules.

All three validate everything before anything is computed and raise one
:class:`~backprop_cli.errors.ProblemError` listing every issue with its file,
line, column, key, what was found and what was expected. The typed readers
live in fields.py; the training rules' own parameters in their tables
(activations.py, optimizers.py); what is left here are the problem's rules.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import source
from .conventions import CONVENTIONS, PRESETS
from .data_rules import DataRules
from .errors import Issue, ProblemError
from .fields import Fields, describe, is_number
from .layers import LayerRules
from .optimizers import DEFAULT, OPTIMIZERS, Optimizer
from .problem import LAYOUTS, REDUCTIONS, RULES, TOP_KEYS, UPDATES, Problem

MAX_SEED = 2**32 - 1  # NumPy's RandomState takes seeds below 2³²

# --------------------------------------------------------------------------- entry points


def load(path: str | os.PathLike) -> Problem:
    """Read and validate the problem file at ``path`` (at most ``source.MAX_BYTES``, also from a device or FIFO)."""
    return loads(source.read_text(str(path)), str(path))


def loads(text: str, name: str = "<string>") -> Problem:
    """Validate a problem given as YAML or JSON text.

    The text may also be a JSON trace (``"format": "backprop-trace"``): its
    ``next_problem`` is then the problem, so a run continues where it stopped.
    """
    if len(text.encode("utf-8", "surrogatepass")) > source.MAX_BYTES:
        raise ProblemError(
            Issue(name, None, None, "", "more text than a problem file holds", f"at most {source.MAX_BYTES:,} bytes")
        )
    fast = source.parse_json_fast(text, name)
    if fast is not None:
        try:
            return _validate(fast)
        except ProblemError:
            pass  # read it again with positions, so that the messages name lines
    return _validate(source.parse(text, name))


def loads_any(text: str, name: str = "<string>"):
    """A network's Problem, or a computational graph's (SPEC §5) for text with a ``graph:`` key."""
    if "graph" in text:  # the graph package is imported only for text that may be one
        from .graph import read_if_graph

        found = read_if_graph(text, name)
        if found is not None:
            return found
    return loads(text, name)


def from_dict(data: Any, name: str = "<dict>") -> Problem:
    """Validate a problem given as plain Python data (the parsed form of a problem file)."""
    return _validate(source.Document(name, data))


def _validate(doc: source.Document) -> Problem:
    prefix: tuple = ()
    data = doc.data
    if isinstance(data, dict) and data.get("format") == "backprop-graph":
        raise ProblemError(
            Issue(
                doc.name,
                *doc.where(("format",)),
                "format",
                "the solution of a computational graph (backprop-graph), which has nothing to train",
                "a network's problem file or trace; a circuit is worked by backprop solve on its own file",
            )
        )
    if isinstance(data, dict) and data.get("format") in ("backprop-trace", "backprop-trace-end"):
        if "next_problem" not in data:
            raise ProblemError(
                Issue(
                    doc.name,
                    *doc.where(()),
                    "next_problem",
                    "a trace without next_problem",
                    "a JSON trace written by backprop",
                )
            )
        prefix = ("next_problem",)
    return Rules(doc, prefix).problem()


# --------------------------------------------------------------------------- the rules


class Rules(LayerRules, DataRules):
    """The problem's rules, over the typed readers of :class:`~backprop_cli.fields.Fields`."""

    def data(self) -> Any:
        data = self.doc.data
        for key in self.prefix:
            data = data[key]
        return data

    def problem(self) -> Problem:
        data = self.data()
        if not isinstance(data, dict):
            self.issue((), describe(data), "a mapping of keys such as layers:, inputs:, targets:, learning_rate:")
            raise ProblemError(self.issues, self.more)
        self.check_keys((), data, TOP_KEYS, "problem")
        for key in ("layers", "inputs", "targets", "learning_rate"):
            if key not in data:
                self.issue((), f"no {key}:", f"the required key {key}")

        rule = self.rule = self.choice(("rule",), data.get("rule", "backprop"), RULES, "a training rule") or "backprop"
        settings = self.training(data, rule)
        optimizer, optimizer_params, momentum_given = self.optimizer(data)
        seed = None
        if data.get("seed") is not None:
            seed = self.number(("seed",), data["seed"], f"a whole number from 0 to {MAX_SEED}", integer=True, low=0)
            if seed is not None and seed > MAX_SEED:
                self.issue(("seed",), f"{seed}", f"a whole number from 0 to {MAX_SEED}")
                seed = None
        loss = self.loss(data, rule)

        X = (
            self.matrix(("inputs",), data["inputs"], "a list of rows of numbers, one row per example")
            if "inputs" in data
            else None
        )
        raw, raw_targets = data.get("inputs"), data.get("targets")
        # [x1, x2, ...] beside [y1, y2, ...] of the same length: probably meant as one example per number
        self.flat_inputs = (
            isinstance(raw, list)
            and len(raw) > 1
            and all(is_number(v) for v in raw)
            and isinstance(raw_targets, list)
            and len(raw_targets) == len(raw)
            and all(is_number(v) for v in raw_targets)
        )
        self.n_examples = None if X is None else X.shape[0]
        self.optimizer_entry, self.hp_given = optimizer, optimizer_params
        rng = _LazyRandom(seed if seed is not None else 0)
        layers = (
            self.layers(data.get("layers"), settings["layout"], None if X is None else X.shape[1], rng)
            if "layers" in data
            else None
        )
        Y = self.targets(data, layers, X)
        if rule == "perceptron":
            self.perceptron(data, layers)
        elif loss is not None and layers:
            self.loss_fits(loss, layers[-1], Y)

        texts = {key: self.text((key,), data.get(key)) for key in ("title", "source", "notes")}
        conventions = self.conventions(data.get("conventions"))
        if self.issues:
            raise ProblemError(self.issues, self.more)
        return Problem(
            layers=tuple(layers),
            X=X,
            Y=Y,
            loss=loss,
            seed=seed,
            rule=rule,
            optimizer=optimizer,
            optimizer_params=optimizer_params,
            momentum_given=momentum_given,
            optimizer_given=data.get("optimizer") is not None,
            conventions=conventions,
            origin=self.doc.name,
            warnings=tuple(self.warnings),
            **texts,
            **settings,
        )

    def training(self, data: dict, rule: str) -> dict[str, Any]:
        """The scalar settings: layout, η, update mode, batch size and reduction, epochs, penalties."""
        layout = self.choice(("layout",), data.get("layout", "out_in"), LAYOUTS, "a weight layout") or "out_in"
        lr = (
            self.number(("learning_rate",), data.get("learning_rate"), "a number ≥ 0 (η)", low=0)
            if "learning_rate" in data
            else None
        )
        default_update = "stochastic" if rule == "perceptron" else "batch"
        update = self.choice(("update",), data.get("update", default_update), UPDATES, "an update mode")
        if rule == "perceptron" and update not in (None, "stochastic"):
            self.issue(
                ("update",),
                f"update: {update} with rule: perceptron",
                "update: stochastic (the perceptron rule updates after each example)",
            )
        batch_size = None
        if "batch_size" in data:
            batch_size = self.number(
                ("batch_size",), data["batch_size"], "a whole number ≥ 1", integer=True, positive=True
            )
            if update is not None and update != "minibatch":
                self.warn(("batch_size",), f"ignored: it applies only with update: minibatch (update is {update})")
                batch_size = None
        elif update == "minibatch":
            self.issue(
                ("update",), "update: minibatch without batch_size:", "batch_size: N (examples per update) beside it"
            )
        reduction = self.choice(
            ("batch_reduction",), data.get("batch_reduction", "mean"), REDUCTIONS, "a batch reduction"
        )
        epochs = self.number(("epochs",), data.get("epochs", 1), "a whole number ≥ 1", integer=True, positive=True)
        done = self.number(("epochs_done",), data.get("epochs_done", 0), "a whole number ≥ 0", integer=True, low=0)
        train_bias = self.boolean(("train_bias",), data.get("train_bias", True))
        penalties = {
            key: self.number((key,), data.get(key, 0), f"a number ≥ 0 (λ of the {key} penalty)", low=0)
            for key in ("l2", "l1")
        }
        if rule == "perceptron":
            for key in ("l2", "l1", "optimizer", "momentum"):
                if data.get(key):
                    self.issue(
                        (key,), f"{key} with rule: perceptron", "no penalty or optimizer: the rule is its own update"
                    )
        return dict(
            layout=layout,
            learning_rate=float(lr) if lr is not None else 0.0,
            update=update,
            batch_size=batch_size,
            batch_reduction=reduction,
            epochs=epochs,
            epochs_done=done or 0,
            train_bias=train_bias,
            l2=float(penalties["l2"] or 0),
            l1=float(penalties["l1"] or 0),
        )

    def optimizer(self, data: dict) -> tuple[Optimizer, dict, bool]:
        """``optimizer:`` as a name or {name: …, parameters…}; the v1 top-level ``momentum:`` means SGD's."""
        value = data.get("optimizer")
        if "momentum" in data:
            mu = self.number(("momentum",), data["momentum"], "a number ≥ 0 (0 is plain SGD)", low=0)
            if value is not None:
                self.issue(
                    ("momentum",),
                    "momentum: at the top level beside optimizer:",
                    "one of them: write momentum inside optimizer: {name: sgd, momentum: …}",
                    at_key=True,
                )
            return OPTIMIZERS[DEFAULT], ({"momentum": float(mu)} if mu else {}), True
        if value is None:
            return OPTIMIZERS[DEFAULT], {}, False
        entry, params = self.named_entry(
            ("optimizer",), value, OPTIMIZERS, {}, "an optimizer", "{name: adam, eps: 1e-8}"
        )
        return entry or OPTIMIZERS[DEFAULT], params, False

    def conventions(self, value: Any) -> dict:
        """``conventions:`` — a preset and/or single conventions, each from its table (conventions.py)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.issue(("conventions",), describe(value), "a mapping such as {delta: error_signal, names: global}")
            return {}
        self.check_keys(("conventions",), value, ("preset",) + tuple(CONVENTIONS), "conventions")
        out: dict[str, str] = {}
        if "preset" in value:
            preset = self.choice(("conventions", "preset"), value["preset"], tuple(PRESETS), "a textbook preset")
            if preset:
                out.update(PRESETS[preset].settings)
                out["preset"] = preset
        for key, choices in CONVENTIONS.items():
            if key in value:
                chosen = self.choice(("conventions", key), value[key], choices, f"a {key} convention")
                if chosen:
                    out[key] = chosen
        return out


class _LazyRandom:
    """NumPy's legacy RandomState(seed), created on the first draw (most problems never draw).

    RandomState's stream is frozen by NumPy's compatibility policy, so the same
    seed gives the same weights on every NumPy version.
    """

    def __init__(self, seed: int):
        self.seed, self._rs = seed, None

    def __getattr__(self, name: str):
        if self._rs is None:
            self._rs = np.random.RandomState(self.seed)
        return getattr(self._rs, name)


__all__ = ["load", "loads", "from_dict", "Fields"]
