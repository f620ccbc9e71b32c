"""The rules of a layer's optimizer state, as backprop writes it into next_problem.

``state: {weights: {exp_avg: matrix, step: 3}, bias: {...}}`` under PyTorch's names; v1's
``velocity: {weights, bias}`` is SGD's momentum_buffer.
"""

from __future__ import annotations

from .fields import Fields, describe
from .weight_rules import weight_shape


class StateRules(Fields):
    """Reading the optimizer buffers a continued run starts from."""

    optimizer_entry = None

    def state(self, path: tuple, spec: dict, layout: str, units: int, n_in: int, bias_form: str):
        """The optimizer's buffers a continued run starts from (written by backprop into next_problem).

        ``state: {weights: {exp_avg: matrix, step: 3}, bias: {...}}``; v1's ``velocity: {weights, bias}`` is SGD's
        momentum_buffer.
        """
        if spec.get("velocity") is not None:
            v = spec["velocity"]
            value = (
                {part: {"momentum_buffer": v[part]} for part in ("weights", "bias") if part in v}
                if isinstance(v, dict)
                else v
            )
            return self.buffers(path + ("velocity",), value, layout, units, n_in, bias_form, legacy=True)
        if spec.get("state") is None:
            return None, None
        return self.buffers(path + ("state",), spec["state"], layout, units, n_in, bias_form)

    def buffers(self, spath, value, layout, units, n_in, bias_form, legacy=False):
        if not isinstance(value, dict):
            self.issue(
                spath,
                describe(value),
                "a mapping {weights: {...}, bias: {...}} (written by backprop into next_problem)",
            )
            return None, None
        self.check_keys(spath, value, ("weights", "bias"), "state")
        extra = 1 if bias_form == "augmented" else 0
        names = ("step",) + (self.optimizer_entry.state if self.optimizer_entry else ())
        state_W: dict = {}
        state_b: dict = {}
        for part, shape in (("weights", weight_shape(layout, units, n_in, extra)), ("bias", (1, units))):
            given = value.get(part)
            if given is None:
                continue
            ppath = spath + (part,) if not legacy else spath
            if not isinstance(given, dict):
                self.issue(ppath, describe(given), "a mapping of PyTorch state names to values")
                continue
            if not legacy:
                self.check_keys(ppath, given, names, f"{self.optimizer_entry.name} state")
            for key, v in given.items():
                if key not in names:
                    continue
                kpath = ppath + (key,) if not legacy else spath + (part,)
                self.buffer(kpath, key, v, part, shape, layout, extra, state_W, state_b, bias_form)
        return state_W or None, state_b or None

    def buffer(self, kpath, key, v, part, shape, layout, extra, state_W, state_b, bias_form) -> None:
        if key == "step":
            n = self.number(kpath, v, "a whole number ≥ 0 (the optimizer's step count)", integer=True, low=0)
            if n is not None:
                (state_W if part == "weights" else state_b)[key] = float(n)
                if extra:
                    state_b[key] = float(n)
            return
        M = self.matrix(kpath, v, "a matrix shaped like the weights" if part == "weights" else "one number per unit")
        if M is None:
            return
        if part == "bias" and bias_form == "shared":
            shape = (1, 1)
        if M.shape != shape:
            self.issue(kpath, f"{M.shape[0]}×{M.shape[1]}", f"{shape[0]}×{shape[1]}, the shape of the {part}")
            return
        if part == "bias":
            state_b[key] = M[0]
            return
        M = M if layout == "out_in" else M.T
        state_W[key] = M[:, : M.shape[1] - extra].copy()
        if extra:
            state_b[key] = M[:, -1].copy()
