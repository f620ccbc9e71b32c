"""The problem file: reading, validating, and writing it back.

``load(path) -> Problem`` reads a file, ``loads(text, name)`` a string and
``from_dict(data)`` plain data. All three validate everything before anything
is computed and raise one :class:`~backprop_cli.errors.ProblemError` listing
every issue with its file, line, column, key, what was found and what was
expected.

Internally every layer's weights are held in the ``out_in`` layout (row i =
the weights into unit i, PyTorch's ``nn.Linear.weight``) with the bias as a
separate vector, whatever the file said; :meth:`Layer.weights_as_given` turns
them back into the layout and bias form the user wrote.
"""

from __future__ import annotations

import math
import os
from typing import Any, NamedTuple

import numpy as np

from . import source
from .errors import Issue, ProblemError
from .activations import ACTIVATION_ALIASES, ACTIVATIONS, Activation
from .losses import LOSSES, Loss
from .params import defaults

LAYOUTS = ("out_in", "in_out")
UPDATES = ("batch", "stochastic", "minibatch")
REDUCTIONS = ("mean", "sum")
INITS = {"uniform": {"low": 0.0, "high": 1.0}, "normal": {"mean": 0.0, "std": 1.0}}
MAX_ISSUES = 20

TOP_KEYS = (
    "title", "source", "notes", "layout", "layers", "inputs", "targets", "loss",
    "learning_rate", "update", "batch_size", "batch_reduction", "epochs",
    "train_bias", "momentum", "seed",
)
LAYER_KEYS = ("name", "activation", "weights", "bias", "units", "layout", "velocity")


class Layer(NamedTuple):
    """One layer: z = a_prev · Wᵀ + b, a = f(z).

    ``W`` has shape (units, n_in) (out_in) and ``b`` shape (units,), or is
    ``None`` for a layer without bias. ``bias_form`` records how the file gave
    the bias: ``none``, ``number``, ``list`` or ``augmented``.
    """

    index: int
    name: str
    units: int
    n_in: int
    activation: Activation
    activation_params: dict[str, float]
    layout: str
    bias_form: str
    W: np.ndarray
    b: np.ndarray | None
    velocity_W: np.ndarray | None = None
    velocity_b: np.ndarray | None = None

    @property
    def separate_bias(self) -> bool:
        """True when the bias is its own vector in the trace (not none, not augmented)."""
        return self.b is not None and self.bias_form != "augmented"

    def weights_as_given(self, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        """W (out_in, without bias) as the file writes it: its layout, with an augmented bias column/row."""
        if self.bias_form == "augmented":
            M = np.column_stack([W, b if b is not None else np.zeros(W.shape[0])])
        else:
            M = W
        return M.T if self.layout == "in_out" else M

    def bias_as_given(self, b: np.ndarray | None) -> np.ndarray | None:
        """The bias as its own vector, or None when there is none or it is augmented."""
        return b if self.separate_bias else None


class Problem(NamedTuple):
    """A validated problem: the network, the data and the training settings."""

    layers: tuple[Layer, ...]
    X: np.ndarray  # (N, d) inputs, one row per example
    Y: np.ndarray  # (N, K) targets
    loss: Loss
    learning_rate: float
    update: str = "batch"
    batch_size: int | None = None
    batch_reduction: str = "mean"
    epochs: int = 1
    train_bias: bool = True
    momentum: float = 0.0
    seed: int | None = None
    layout: str = "out_in"
    title: str | None = None
    source: str | None = None
    notes: str | None = None
    origin: str = "<problem>"
    warnings: tuple[str, ...] = ()

    @property
    def n_examples(self) -> int:
        return self.X.shape[0]

    def batches(self) -> list[np.ndarray]:
        """Row indices of each update of one epoch, in file order."""
        n = self.n_examples
        size = {"batch": n, "stochastic": 1, "minibatch": self.batch_size or n}[self.update]
        return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]

    def with_epochs(self, epochs: int) -> "Problem":
        return self._replace(epochs=epochs)

    def with_parameters(self, W, b, velocity_W=None, velocity_b=None) -> "Problem":
        """The same problem starting from other weights, biases and momentum buffers."""
        layers = []
        for i, layer in enumerate(self.layers):
            layers.append(layer._replace(
                W=W[i], b=b[i],
                velocity_W=None if velocity_W is None else velocity_W[i],
                velocity_b=None if velocity_b is None else velocity_b[i],
            ))
        return self._replace(layers=tuple(layers))


# --------------------------------------------------------------------------- entry points


def load(path: str | os.PathLike) -> Problem:
    """Read and validate the problem file at ``path``."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > source.MAX_BYTES:
            raise ProblemError(Issue(name, None, None, "", f"a file of {size:,} bytes", f"at most {source.MAX_BYTES:,} bytes"))
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except ProblemError:
        raise
    except FileNotFoundError:
        raise ProblemError(Issue(name, None, None, "", "no such file", "a readable problem file (YAML or JSON)")) from None
    except IsADirectoryError:
        raise ProblemError(Issue(name, None, None, "", "a directory", "a problem file (YAML or JSON)")) from None
    except UnicodeDecodeError as e:
        raise ProblemError(Issue(name, None, None, "", f"bytes that are not UTF-8 text (at byte {e.start})", "a text file in UTF-8")) from None
    except OSError as e:
        raise ProblemError(Issue(name, None, None, "", f"a file that cannot be read ({e.strerror})", "a readable problem file")) from None
    return loads(text, name)


def loads(text: str, name: str = "<string>") -> Problem:
    """Validate a problem given as YAML or JSON text.

    The text may also be a JSON trace (``"format": "backprop-trace"``): its
    ``next_problem`` is then the problem, so a run continues where it stopped.
    """
    if len(text.encode("utf-8", "surrogatepass")) > source.MAX_BYTES:
        raise ProblemError(Issue(name, None, None, "", "more text than a problem file holds", f"at most {source.MAX_BYTES:,} bytes"))
    fast = source.parse_json_fast(text, name)
    if fast is not None:
        try:
            return _validate(fast)
        except ProblemError:
            pass  # read it again with positions, so that the messages name lines
    return _validate(source.parse(text, name))


def from_dict(data: Any, name: str = "<dict>") -> Problem:
    """Validate a problem given as plain Python data (the parsed form of a problem file)."""
    return _validate(source.from_data(data, name))


def _validate(doc: source.Document) -> Problem:
    prefix: tuple = ()
    data = doc.data
    if isinstance(data, dict) and data.get("format") in ("backprop-trace", "backprop-trace-end"):
        if "next_problem" not in data:
            raise ProblemError(Issue(doc.name, *doc.where(()), "next_problem", "a trace without next_problem", "a JSON trace written by backprop"))
        prefix = ("next_problem",)
    return _Validator(doc, prefix).problem()


# --------------------------------------------------------------------------- validation


def _what(value: Any) -> str:
    """How a found value is described in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return f"{value!r} (text)" if len(value) < 40 else "text"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _close(word: str, choices) -> list[str]:
    """The choice nearest to a misspelt name, if one is near ("learning_rat" -> learning_rate)."""
    import difflib  # only when a name is wrong

    return difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)


def _quoted_number_hint(value: Any) -> str:
    """A number written in quotes is text to YAML and JSON: say so."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return f" (write {value.strip()} without quotes: in quotes it is text)"
    return ""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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


class _Validator:
    def __init__(self, doc: source.Document, prefix: tuple):
        self.doc = doc
        self.prefix = prefix
        self.issues: list[Issue] = []
        self.more = 0  # issues found beyond MAX_ISSUES
        self.warnings: list[str] = []
        self.flat_inputs = False

    # ----------------------------------------------------------------- reporting

    def issue(self, path: tuple, found: str, expected: str, at_key: bool = False) -> None:
        full = self.prefix + tuple(path)
        line, col = self.doc.where(full, at_key)
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(self.doc.name, line, col, source.key_name(full), found, expected))
        else:
            self.more += 1

    def warn(self, path: tuple, message: str) -> None:
        full = self.prefix + tuple(path)
        line, _ = self.doc.where(full, True)
        where = f"{self.doc.name}:{line}" if line else self.doc.name
        self.warnings.append(f"{where}: {source.key_name(full)}: {message}")

    def check_keys(self, path: tuple, mapping: dict, allowed: tuple, what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = _close(str(key), allowed)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.issue(path + (key,), f"the unknown key {key!r}", f"one of the {what} keys {', '.join(allowed)}{hint}", at_key=True)

    # ----------------------------------------------------------------- scalars

    def number(self, path: tuple, value: Any, what: str = "a number", *, low: float | None = None,
               integer: bool = False, positive: bool = False) -> float | int | None:
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            self.issue(path, _what(value), what + _quoted_number_hint(value))
            return None
        if integer:
            if isinstance(value, float) and not value.is_integer():
                self.issue(path, _what(value), what)
                return None
            value = int(value)
        if positive and value <= 0 or low is not None and value < low:
            self.issue(path, _what(value), what)
            return None
        return value

    def choice(self, path: tuple, value: Any, choices: tuple, what: str) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        close = _close(value, choices) if isinstance(value, str) else []
        hint = f"; did you mean {close[0]}?" if close else ""
        self.issue(path, _what(value), f"{what}: one of {', '.join(choices)}{hint}")
        return None

    def text(self, path: tuple, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.issue(path, _what(value), "free text")
        return None

    def boolean(self, path: tuple, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.issue(path, _what(value), "true or false")
        return None

    def matrix(self, path: tuple, value: Any, what: str, *, flat_is_row: bool = True) -> np.ndarray | None:
        """A rectangular matrix of finite numbers, as a float64 array (rows, cols)."""
        if _is_number(value):
            value = [[value]]
        elif isinstance(value, list) and value and all(_is_number(v) or not isinstance(v, list) for v in value):
            value = [value] if flat_is_row else [[v] for v in value]
        if not isinstance(value, list) or not value:
            self.issue(path, _what(value), what)
            return None
        ok = True
        width = None
        for i, row in enumerate(value):
            if not isinstance(row, list) or not row:
                self.issue(path + (i,), _what(row), f"a row: a list of numbers ({what})")
                ok = False
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                self.issue(path + (i,), f"a row of {len(row)} numbers", f"{width} numbers, like row 1 (rows must all have the same length)")
                ok = False
            for j, v in enumerate(row):
                if not _is_number(v):
                    self.issue(path + (i, j), _what(v), "a number" + _quoted_number_hint(v))
                    ok = False
                elif isinstance(v, float) and not math.isfinite(v):
                    self.issue(path + (i, j), repr(v), "a finite number")
                    ok = False
        return np.array(value, dtype=np.float64) if ok else None

    # ----------------------------------------------------------------- the problem

    def problem(self) -> Problem:
        data = self.doc.data
        for key in self.prefix:
            data = data[key]
        if not isinstance(data, dict):
            self.issue((), _what(data), "a mapping of keys such as layers:, inputs:, targets:, learning_rate:")
            raise ProblemError(self.issues, self.more)
        self.check_keys((), data, TOP_KEYS, "problem")

        for key in ("layers", "inputs", "targets", "learning_rate"):
            if key not in data:
                self.issue((), f"no {key}:", f"the required key {key}")

        layout = self.choice(("layout",), data.get("layout", "out_in"), LAYOUTS, "a weight layout") or "out_in"
        lr = self.number(("learning_rate",), data.get("learning_rate"), "a number ≥ 0 (η)", low=0) if "learning_rate" in data else None
        update = self.choice(("update",), data.get("update", "batch"), UPDATES, "an update mode")
        batch_size = None
        if "batch_size" in data:
            batch_size = self.number(("batch_size",), data["batch_size"], "a whole number ≥ 1", integer=True, positive=True)
            if update is not None and update != "minibatch":
                self.warn(("batch_size",), f"ignored: it applies only with update: minibatch (update is {update})")
                batch_size = None
        elif update == "minibatch":
            self.issue(("update",), "update: minibatch without batch_size:", "batch_size: N (examples per update) beside it")
        reduction = self.choice(("batch_reduction",), data.get("batch_reduction", "mean"), REDUCTIONS, "a batch reduction")
        epochs = self.number(("epochs",), data.get("epochs", 1), "a whole number ≥ 1", integer=True, positive=True)
        train_bias = self.boolean(("train_bias",), data.get("train_bias", True))
        momentum = self.number(("momentum",), data.get("momentum", 0), "a number ≥ 0 (0 is plain SGD)", low=0)
        seed = None
        if "seed" in data and data["seed"] is not None:
            seed = self.number(("seed",), data["seed"], "a whole number ≥ 0", integer=True, low=0)
        loss_name = data.get("loss", "half_sse")
        loss = LOSSES.get(loss_name) if isinstance(loss_name, str) else None
        if loss is None:
            self.choice(("loss",), loss_name, tuple(LOSSES), "a loss")

        X = self.matrix(("inputs",), data["inputs"], "a list of rows of numbers, one row per example") if "inputs" in data else None
        raw, raw_targets = data.get("inputs"), data.get("targets")
        # [x1, x2, ...] beside [y1, y2, ...] of the same length: probably meant as one example per number
        self.flat_inputs = (isinstance(raw, list) and len(raw) > 1 and all(_is_number(v) for v in raw)
                            and isinstance(raw_targets, list) and len(raw_targets) == len(raw)
                            and all(_is_number(v) for v in raw_targets))
        rng = _LazyRandom(seed if seed is not None else 0)
        layers = self.layers(data.get("layers"), layout, None if X is None else X.shape[1], rng) if "layers" in data else None

        Y = None
        if "targets" in data:
            K = layers[-1].units if layers else None
            N = X.shape[0] if X is not None else None
            # A flat list of N numbers for N examples of one output each is a column.
            flat_is_row = not (K == 1 and N is not None and N > 1)
            Y = self.matrix(("targets",), data["targets"], "a list of rows of numbers, one row per example", flat_is_row=flat_is_row)
            if Y is not None and N is not None and Y.shape[0] != N:
                self.issue(("targets",), f"{Y.shape[0]} row(s) of targets", f"one row per example: {N} row(s), like inputs")
            elif Y is not None and K is not None and Y.shape[1] != K:
                self.issue(("targets",), f"rows of {Y.shape[1]} target(s)", f"{K} target(s) per row, one per unit of the output layer ({layers[-1].name})")

        if loss is not None and layers:
            out = layers[-1]
            if loss.requires_output and out.activation.name != loss.requires_output:
                self.issue(("loss",), f"loss {loss.name} with a {out.activation.name} output layer",
                           f"activation: {loss.requires_output} on the output layer ({loss.name} is defined on its probabilities)")
            elif loss.needs_unit_interval and not out.activation.unit_interval:
                self.issue(("loss",), f"loss {loss.name} with a {out.activation.name} output layer, whose outputs can leave (0, 1)",
                           f"an output layer with sigmoid or softmax: {loss.name} takes the logarithm of ŷ and of 1 − ŷ")
            if Y is not None and loss.target_range is not None:
                lo, hi = loss.target_range
                bad = Y[(Y < lo) | (Y > hi)]
                if bad.size:
                    rng_txt = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"≥ {lo:g}"
                    self.issue(("targets",), f"the target {bad.flat[0]:g}", f"targets {rng_txt} for loss {loss.name}")

        if self.issues:
            raise ProblemError(self.issues, self.more)
        return Problem(
            layers=tuple(layers), X=X, Y=Y, loss=loss, learning_rate=float(lr), update=update,
            batch_size=batch_size, batch_reduction=reduction, epochs=epochs, train_bias=train_bias,
            momentum=float(momentum), seed=seed, layout=layout,
            title=self.text(("title",), data.get("title")), source=self.text(("source",), data.get("source")),
            notes=self.text(("notes",), data.get("notes")),
            origin=self.doc.name, warnings=tuple(self.warnings),
        )

    def layers(self, value: Any, layout: str, n_in: int | None, rng: _LazyRandom) -> list[Layer] | None:
        if not isinstance(value, list) or not value:
            self.issue(("layers",), _what(value), "a list of layers, first hidden layer first, output layer last")
            return None
        out: list[Layer] = []
        count = len(value)
        for i, spec in enumerate(value):
            layer = self.layer(i, spec, count, layout, n_in, rng)
            n_in = layer.units if layer is not None else None
            out.append(layer)
        return out if all(l is not None for l in out) else None

    def layer(self, i: int, spec: Any, count: int, default_layout: str, n_in: int | None,
              rng: _LazyRandom) -> Layer | None:
        path = ("layers", i)
        number = i + 1
        if not isinstance(spec, dict):
            self.issue(path, _what(spec), "a mapping with activation:, weights: and optionally bias:, name:, units:, layout:")
            return None
        self.check_keys(path, spec, LAYER_KEYS, "layer")
        n_issues = len(self.issues)

        name = spec.get("name")
        if name is None:
            name = "o" if number == count else ("h" if count == 2 else f"h{number}")
        elif not isinstance(name, str) or not name.strip():
            self.issue(path + ("name",), _what(name), "a short name for the layer's units, such as h or o")
        layout = self.choice(path + ("layout",), spec.get("layout", default_layout), LAYOUTS, "a weight layout") or default_layout

        activation, params = self.activation(path + ("activation",), spec.get("activation"), number == count)

        bias = spec.get("bias")
        augmented = bias == "augmented"
        extra = 1 if augmented else 0
        units = None
        if "units" in spec:
            units = self.number(path + ("units",), spec["units"], "a whole number ≥ 1", integer=True, positive=True)

        prev = "the inputs" if number == 1 else f"layer {number - 1}"
        weights = spec.get("weights")
        M = None
        if weights is None:
            self.issue(path, "a layer without weights:", "weights: a matrix, or {init: uniform|normal} with units:", at_key=True)
        elif isinstance(weights, dict):
            if units is None:
                self.issue(path + ("weights",), "random weights without units:", "units: N beside weights: {init: ...}")
            init = self.init(path + ("weights",), weights)
            if init is not None and units is not None and n_in is not None:
                kind, args = init
                shape = (units, n_in + extra) if layout == "out_in" else (n_in + extra, units)
                M = rng.uniform(args["low"], args["high"], shape) if kind == "uniform" else rng.normal(args["mean"], args["std"], shape)
        else:
            M = self.matrix(path + ("weights",), weights, "a matrix: a list of rows of numbers")
            if M is not None:
                rows, cols = M.shape
                given_units = rows if layout == "out_in" else cols
                given_in = (cols if layout == "out_in" else rows) - extra
                if units is not None and units != given_units:
                    self.issue(path + ("units",), f"units: {units}", f"{given_units}, the number of units the weights give ({'rows' if layout == 'out_in' else 'columns'} in {layout})")
                units = given_units
                if n_in is not None and given_in != n_in:
                    hint = ""
                    across = cols if layout == "in_out" else rows  # the dimension the other layout reads as inputs
                    if across - extra == n_in and self.fits_after(i, cols if layout == "out_in" else rows):
                        other = "in_out" if layout == "out_in" else "out_in"
                        hint = (f" (it fits the {other} layout, one row per {'input' if other == 'in_out' else 'unit'}: "
                                f"write layout: {other} on this layer, or transpose the matrix)")
                        units = cols if layout == "out_in" else rows
                    elif number == 1 and given_in == 1 and self.flat_inputs:
                        hint = (f" (a flat list of inputs is one example with {n_in} inputs; for {n_in} examples of one input"
                                " write one row per example: [[x1], [x2], ...])")
                    self.issue(path + ("weights",), f"{rows}×{cols}", _shape_expected(number, layout, units, n_in, prev, augmented) + hint)

        b = None
        bias_form = "none"
        if bias is None:
            pass
        elif augmented:
            bias_form = "augmented"
        elif _is_number(bias):
            bias_form = "number"
            if not math.isfinite(bias):
                self.issue(path + ("bias",), repr(bias), "a finite number")
            elif units is not None:
                b = np.full(units, float(bias))
        elif isinstance(bias, list):
            bias_form = "list"
            vec = self.matrix(path + ("bias",), bias, "a list of numbers, one per unit")
            if vec is not None:
                if vec.shape[0] != 1 or (units is not None and vec.shape[1] != units):
                    self.issue(path + ("bias",), f"{vec.size} bias value(s)", f"one per unit: {units} (or one number for all)")
                else:
                    b = vec[0]
        else:
            self.issue(path + ("bias",), _what(bias), "a number, a list of numbers (one per unit), or augmented")

        if len(self.issues) > n_issues or M is None or units is None or n_in is None:
            return None

        M_out_in = M if layout == "out_in" else M.T
        W = M_out_in[:, : M_out_in.shape[1] - extra].copy()
        if augmented:
            b = M_out_in[:, -1].copy()

        vW, vb = self.velocity(path, spec.get("velocity"), layout, units, n_in, bias_form)
        return Layer(number, name, units, n_in, activation, params, layout, bias_form, W, b, vW, vb)

    def fits_after(self, i: int, units: int) -> bool:
        """Would layer i with this many units fit what follows it (the next layer's inputs, or the targets)?"""
        data = self.doc.data
        for key in self.prefix:
            data = data[key]
        layers = data.get("layers") if isinstance(data, dict) else None
        if isinstance(layers, list) and i + 1 < len(layers):
            nxt = layers[i + 1] if isinstance(layers[i + 1], dict) else {}
            W = nxt.get("weights")
            if not (isinstance(W, list) and W and all(isinstance(r, list) and r for r in W)):
                return False
            layout = nxt.get("layout", data.get("layout", "out_in"))
            extra = 1 if nxt.get("bias") == "augmented" else 0
            return (len(W[0]) if layout == "out_in" else len(W)) - extra == units
        targets = data.get("targets") if isinstance(data, dict) else None
        if isinstance(targets, list) and targets and isinstance(targets[0], list):
            return len(targets[0]) == units
        return isinstance(targets, list) and len(targets) == units

    def activation(self, path: tuple, value: Any, is_output: bool) -> tuple[Activation, dict]:
        if value is None:
            self.issue(path[:-1], "a layer without activation:", f"activation: one of {', '.join(ACTIVATIONS)}", at_key=True)
            return ACTIVATIONS["linear"], {}
        params_given: dict = {}
        name_path = path
        if isinstance(value, dict):
            if "name" not in value:
                self.issue(path, "an activation mapping without name:", "{name: leaky_relu, alpha: 0.1}")
                return ACTIVATIONS["linear"], {}
            params_given = {k: v for k, v in value.items() if k != "name"}
            value = value["name"]
            name_path = path + ("name",)
        name = ACTIVATION_ALIASES.get(value, value) if isinstance(value, str) else value
        act = ACTIVATIONS.get(name) if isinstance(name, str) else None
        if act is None:
            self.choice(name_path, value, tuple(ACTIVATIONS) + tuple(ACTIVATION_ALIASES), "an activation")
            return ACTIVATIONS["linear"], {}
        params = defaults(act.params)
        for key, v in params_given.items():
            if key not in act.params:
                takes = f"{act.name} takes {', '.join(act.params)}" if act.params else f"{act.name} takes no parameters"
                self.issue(path + (key,), f"the parameter {key!r}", takes, at_key=True)
                continue
            num = self.number(path + (key,), v)
            if num is not None and not act.params[key].accepts(float(num)):
                self.issue(path + (key,), repr(num), act.params[key].expected())
            elif num is not None:
                params[key] = float(num)
        if act.output_only and not is_output:
            self.issue(name_path, f"{act.name} on a hidden layer", f"{act.name} only on the output layer")
        return act, params

    def init(self, path: tuple, spec: dict) -> tuple[str, dict] | None:
        kind = self.choice(path + ("init",), spec.get("init"), tuple(INITS), "a random initialisation")
        if kind is None:
            return None
        allowed = ("init",) + tuple(INITS[kind])
        self.check_keys(path, spec, allowed, f"init: {kind}")
        args = dict(INITS[kind])
        for key in INITS[kind]:
            if key in spec:
                v = self.number(path + (key,), spec[key])
                if v is not None:
                    args[key] = float(v)
        if kind == "uniform" and args["low"] > args["high"]:
            self.issue(path + ("high",), f"high {args['high']:g} below low {args['low']:g}", "low ≤ high")
            return None
        if kind == "normal" and args["std"] < 0:
            self.issue(path + ("std",), f"{args['std']:g}", "a standard deviation ≥ 0")
            return None
        return kind, args

    def velocity(self, path: tuple, value: Any, layout: str, units: int, n_in: int, bias_form: str):
        """The momentum buffers a continued run starts from (written into next_problem)."""
        if value is None:
            return None, None
        vpath = path + ("velocity",)
        if not isinstance(value, dict):
            self.issue(vpath, _what(value), "a mapping {weights: matrix, bias: list} (written by backprop into next_problem)")
            return None, None
        self.check_keys(vpath, value, ("weights", "bias"), "velocity")
        vW = vb = None
        extra = 1 if bias_form == "augmented" else 0
        if "weights" in value:
            M = self.matrix(vpath + ("weights",), value["weights"], "a matrix shaped like the weights")
            shape = (units, n_in + extra) if layout == "out_in" else (n_in + extra, units)
            if M is not None and M.shape != shape:
                self.issue(vpath + ("weights",), f"{M.shape[0]}×{M.shape[1]}", f"{shape[0]}×{shape[1]}, the shape of the weights")
            elif M is not None:
                M = M if layout == "out_in" else M.T
                vW = M[:, : M.shape[1] - extra].copy()
                if extra:
                    vb = M[:, -1].copy()
        if "bias" in value and bias_form in ("number", "list"):
            vec = self.matrix(vpath + ("bias",), value["bias"], "a list of numbers, one per unit")
            if vec is not None and vec.shape != (1, units):
                self.issue(vpath + ("bias",), f"{vec.size} value(s)", f"{units}, one per unit")
            elif vec is not None:
                vb = vec[0]
        return vW, vb


def _shape_expected(number: int, layout: str, units: int, n_in: int, prev: str, augmented: bool) -> str:
    ins = f"{n_in} input{'s' if n_in != 1 else ''} from {prev}"
    uns = f"{units} unit{'s' if units != 1 else ''}"
    if layout == "out_in":
        cols = f"{ins} + 1 bias column" if augmented else ins
        return f"layer {number} weights (out_in: one row per unit) must be {units}×{n_in + augmented}: {uns} × {cols}"
    rows = f"{ins} + 1 bias row" if augmented else ins
    return f"layer {number} weights (in_out: one row per input) must be {n_in + augmented}×{units}: {rows} × {uns}"


# --------------------------------------------------------------------------- writing back


def to_dict(problem: Problem) -> dict:
    """The problem as plain data: every default filled in, weights as numbers.

    Fed back to :func:`from_dict` (or written as YAML/JSON and loaded) it gives
    the same problem, momentum buffers included.
    """
    d: dict[str, Any] = {}
    for key in ("title", "source", "notes"):
        if getattr(problem, key) is not None:
            d[key] = getattr(problem, key)
    d["layout"] = problem.layout
    layers = []
    for layer in problem.layers:
        entry: dict[str, Any] = {"name": layer.name, "units": layer.units, "layout": layer.layout}
        act = layer.activation
        entry["activation"] = {"name": act.name, **layer.activation_params} if act.params else act.name
        entry["weights"] = layer.weights_as_given(layer.W, layer.b).tolist()
        if layer.bias_form == "augmented":
            entry["bias"] = "augmented"
        elif layer.b is not None:
            entry["bias"] = layer.b.tolist()
        if layer.velocity_W is not None:
            vel: dict[str, Any] = {"weights": layer.weights_as_given(layer.velocity_W, layer.velocity_b).tolist()}
            if layer.separate_bias and layer.velocity_b is not None:
                vel["bias"] = layer.velocity_b.tolist()
            entry["velocity"] = vel
        layers.append(entry)
    d["layers"] = layers
    d["inputs"] = problem.X.tolist()
    d["targets"] = problem.Y.tolist()
    d["loss"] = problem.loss.name
    d["learning_rate"] = problem.learning_rate
    d["update"] = problem.update
    if problem.update == "minibatch":
        d["batch_size"] = problem.batch_size
    d["batch_reduction"] = problem.batch_reduction
    d["epochs"] = problem.epochs
    d["train_bias"] = problem.train_bias
    d["momentum"] = problem.momentum
    if problem.seed is not None:
        d["seed"] = problem.seed
    return d
