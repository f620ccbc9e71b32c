r"""Optimizers: one table, name -> entry, with exactly torch.optim's rules, parameter names and defaults.

Every trainable array (a layer's weights, its biases unless ``train_bias: false``)
is one parameter of the optimizer, as if passed to ``torch.optim.X(params)`` in
one group. An entry holds:

- ``params``: its hyperparameters, declared (default, range, symbol);
- ``state``: the per-parameter buffers under PyTorch's state names, and whether
  it counts steps (``step``);
- ``step``: its rule, one vectorised update of one array (optimizer_rules.py);
- ``lines``, ``symbols``, ``classical``: its worked derivation on the page
  (optimizer_lines.py);
- ``mistakes``: the usual wrong values of a hand derivation, for ``check``
  (optimizer_mistakes.py);
- ``fixed``: hyperparameters the entry sets itself (AdamW is Adam with
  ``decoupled`` weight decay);
- ``by_hand``: the learning rate and settings of an exercise (``backprop new
  --optimizer``) whose first step a person can work by hand.

Adding an optimizer: its rule, its lines, its mistakes, and one entry here
(docs/architecture.md lists the tests and docs that go with it).
"""

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .optimizer_rules import adagrad_step, adam_step, rmsprop_step, sgd_step
from .params import Param

if TYPE_CHECKING:
    from .optimizer_lines import Line, Tex

Array = np.ndarray


class Mistake(NamedTuple):
    """A usual error: its name, and the wrong change Δw it gives (from the recorded intermediates)."""

    name: str
    change: Callable[[dict, dict, float], Array | None]  # (shown, hp, lr) -> wrong Δw, or None when it does not apply


class Optimizer(NamedTuple):
    name: str
    torch_name: str
    params: dict[str, Param]
    state: tuple[str, ...]  # PyTorch's buffer names of one parameter (besides ``step``)
    counts_steps: bool
    step: Callable[..., Array]
    page: str  # its page and mistakes: PAGE_LINES, PAGE_SYMBOLS, PAGE_CLASSICAL in optimizer_lines.py, PAGE in
    # optimizer_mistakes.py; imported on first use (a run that writes JSON never reads them: start-up time)
    rational: bool = False  # exact on fractions (--exact): its step uses + − · / only, keeping the number type
    not_rational: str = ""  # why not, when not
    starts: dict[str, str] = {}  # buffer -> the hyperparameter it starts at (else 0)
    fixed: dict[str, Any] = {}  # hyperparameters set by the entry, not the file
    by_hand: tuple[float, dict[str, Any]] = (0.1, {})  # an exercise's η (Adam's first step is ±η) and settings

    def active_state(self, hp: dict) -> tuple[str, ...]:
        """The buffers this optimizer keeps under these hyperparameters (SGD without momentum keeps none)."""
        return tuple(s for s in self.state if _keeps(s, hp))

    def shown_lines(self, hp: dict) -> tuple["Line", ...]:
        return tuple(line for line in self.lines if line.when(hp))

    @property
    def lines(self) -> tuple["Line", ...]:
        """Its derivation, in textbook order (optimizer_lines.py)."""
        return getattr(_module("optimizer_lines"), f"{self.page}_LINES")

    @property
    def symbols(self) -> dict[str, "Tex"]:
        """How each value of ``shown`` and each buffer is written."""
        return getattr(_module("optimizer_lines"), f"{self.page}_SYMBOLS")

    @property
    def classical(self) -> tuple["Line", ...]:
        """The change written classically, with $change_prev (the previous Δw), where books write it so."""
        return getattr(_module("optimizer_lines"), f"{self.page}_CLASSICAL", ())

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        """Its usual mistakes, for check (optimizer_mistakes.py)."""
        return tuple(Mistake(name, change) for name, change in getattr(_module("optimizer_mistakes"), self.page))


def _module(name: str):
    return importlib.import_module(f".{name}", __package__)


def _keeps(buffer: str, hp: dict) -> bool:
    """Whether a buffer is kept under these hyperparameters: the optional ones only when their option is on."""
    if buffer == "momentum_buffer":
        return hp.get("momentum", 0) != 0
    if buffer == "max_exp_avg_sq":
        return bool(hp.get("amsgrad"))
    if buffer == "grad_avg":
        return bool(hp.get("centered"))
    return True


_UNIT = dict(low=0.0, high=1.0, open_high=True)
_WD = Param(0.0, ("λ", r"\lambda"), low=0.0, meaning="weight decay: λ·w is added to the gradient")
_EPS = Param(1e-8, ("ε", r"\epsilon"), low=0.0, meaning="added to the denominator")
_MU = Param(0.0, ("μ", r"\mu"), low=0.0, meaning="momentum")
_ROOT = "takes square roots ({} has no exact value)"
_ADAM_PARAMS = {
    "betas": Param(
        (0.9, 0.999),
        (("β₁", r"\beta_1"), ("β₂", r"\beta_2")),
        kind="pair",
        **_UNIT,
        meaning="decay of the first and second moment",
    ),
    "eps": _EPS,
    "weight_decay": _WD,
    "amsgrad": Param(False, ("amsgrad", r"\mathrm{amsgrad}"), kind="bool", meaning="keep the largest v"),
}
_ADAM = dict(
    state=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    counts_steps=True,
    step=adam_step,
    page="ADAM",
    not_rational=_ROOT.format("√v̂"),
)

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in [
        Optimizer(
            "sgd",
            "torch.optim.SGD",
            params={
                "momentum": _MU,
                "dampening": Param(0.0, ("τ", r"\tau"), low=0.0, high=1.0, meaning="dampening of the new gradient"),
                "nesterov": Param(False, ("nesterov", r"\mathrm{nesterov}"), kind="bool", meaning="Nesterov momentum"),
                "weight_decay": _WD,
            },
            state=("momentum_buffer",),
            counts_steps=False,
            step=sgd_step,
            page="SGD",
            rational=True,  # + − · only, and sgd_step keeps the number type: Fractions stay exact (--exact)
            by_hand=(0.5, {"momentum": 0.9}),  # with momentum, or it would keep no state to work
        ),
        Optimizer("adam", "torch.optim.Adam", params=_ADAM_PARAMS, fixed={"decoupled": False}, **_ADAM),
        Optimizer(
            "rmsprop",
            "torch.optim.RMSprop",
            params={
                "alpha": Param(0.99, ("α", r"\alpha"), **_UNIT, meaning="smoothing of the squared gradient"),
                "eps": _EPS,
                "momentum": _MU,
                "centered": Param(
                    False, ("centered", r"\mathrm{centered}"), kind="bool", meaning="divide by the variance estimate"
                ),
                "weight_decay": _WD,
            },
            state=("square_avg", "grad_avg", "momentum_buffer"),
            counts_steps=True,
            step=rmsprop_step,
            page="RMSPROP",
            by_hand=(0.01, {}),  # its first step is −η·g/√((1 − α)·g²) = ∓10·η
            not_rational=_ROOT.format("√s"),
        ),
        Optimizer(
            "adagrad",
            "torch.optim.Adagrad",
            params={
                "lr_decay": Param(0.0, ("κ", r"\kappa"), low=0.0, meaning="decay of the learning rate per step"),
                "eps": Param(1e-10, ("ε", r"\epsilon"), low=0.0, meaning="added to the denominator"),
                "initial_accumulator_value": Param(0.0, ("s₀", "s_0"), low=0.0, meaning="the sum's start"),
                "weight_decay": _WD,
            },
            state=("sum",),
            counts_steps=True,
            step=adagrad_step,
            page="ADAGRAD",
            starts={"sum": "initial_accumulator_value"},
            not_rational=_ROOT.format("√s"),
        ),
        Optimizer(
            "adamw",
            "torch.optim.AdamW",
            params={
                **_ADAM_PARAMS,
                "weight_decay": Param(0.01, ("λ", r"\lambda"), low=0.0, meaning="decoupled weight decay: w·(1 − η·λ)"),
            },
            fixed={"decoupled": True},
            **_ADAM,
        ),
    ]
}

DEFAULT = "sgd"


def hyperparameters(optimizer: Optimizer, given: dict[str, Any]) -> dict[str, Any]:
    """The defaults overridden by what the file gave, and the entry's own; Adam's betas also as beta1/beta2."""
    hp = {name: p.default for name, p in optimizer.params.items()}
    hp.update(given)
    if "betas" in hp:
        hp["beta1"], hp["beta2"] = hp["betas"]
    hp["decoupled"] = False
    hp.update(optimizer.fixed)
    return hp


def symbol(optimizer: Optimizer, name: str) -> "Tex":
    """How a hyperparameter is written (β₁ for beta1)."""
    if name in ("beta1", "beta2"):
        return optimizer.params["betas"].symbol[int(name[-1]) - 1]
    return optimizer.params[name].symbol
