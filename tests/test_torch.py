"""Every key of the JSON trace against PyTorch autograd in float64, over generated problems.

PyTorch is an optional test extra (``pip install torch==2.13.0``); without it
these tests are skipped. The PyTorch side is written from the SPEC's
definitions alone: nn.Linear-style layers, the loss formulas of SPEC §1, and
torch.optim.SGD for the updates.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

torch = pytest.importorskip("torch")

from strategies import problems, run_finite  # noqa: E402

from backprop_cli import from_dict  # noqa: E402
from backprop_cli.render.jsontrace import trace_dict  # noqa: E402

RTOL, ATOL = 1e-8, 1e-12

ACTIVATIONS = {
    "linear": lambda z, p: z,
    "sigmoid": lambda z, p: torch.sigmoid(z),
    "tanh": lambda z, p: torch.tanh(z),
    "relu": lambda z, p: torch.relu(z),
    "leaky_relu": lambda z, p: torch.nn.functional.leaky_relu(z, p.get("alpha", 0.01)),
    "elu": lambda z, p: torch.nn.functional.elu(z, p.get("alpha", 1.0)),
    "softplus": lambda z, p: torch.nn.functional.softplus(z),
    "softmax": lambda z, p: torch.softmax(z, dim=1),
}


def xlogy(x, y):
    return torch.special.xlogy(x, y)


STABLE = {  # the same losses computed from z where the pair allows (as the engine does, and PyTorch's *WithLogits)
    ("sigmoid", "bce"): lambda z, y: torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").mean(
        1
    ),
    ("softmax", "cross_entropy"): lambda z, y: -(y * torch.log_softmax(z, dim=1)).sum(1),
}

LOSSES = {  # per example, from SPEC §1
    "half_sse": lambda yh, y: 0.5 * ((yh - y) ** 2).sum(1),
    "sse": lambda yh, y: ((yh - y) ** 2).sum(1),
    "mse": lambda yh, y: ((yh - y) ** 2).mean(1),
    "bce": lambda yh, y: -(xlogy(y, yh) + xlogy(1 - y, 1 - yh)).mean(1),
    "cross_entropy": lambda yh, y: -xlogy(y, yh).sum(1),
}


def close(actual, expected, what):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=ATOL, err_msg=what
    )


def act_of(spec):
    return (spec, {}) if isinstance(spec, str) else (spec["name"], {k: v for k, v in spec.items() if k != "name"})


def torch_run(problem):
    """Train with PyTorch; return the SPEC §2 epochs list (steps included) and the final weights."""

    def t(a):
        return torch.tensor(np.asarray(a), dtype=torch.float64)

    Ws = [t(l.W).requires_grad_() for l in problem.layers]
    bs = [None if l.b is None else t(l.b).requires_grad_() for l in problem.layers]
    params = [{"params": Ws}]
    trainable_b = [b for b in bs if b is not None]
    if problem.train_bias and trainable_b:
        params.append({"params": trainable_b})
    opt = torch.optim.SGD(params, lr=problem.learning_rate, momentum=problem.momentum)
    X_all, Y_all = t(problem.X), t(problem.Y)

    def forward(X):
        zs, acts, a = [], [], X
        for layer, W, b in zip(problem.layers, Ws, bs, strict=False):
            z = a @ W.T + (b if b is not None else 0)
            if z.requires_grad:
                z.retain_grad()
            a = ACTIVATIONS[layer.activation.name](z, layer.activation_params)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def per_example_loss(z, a, Y):
        stable = STABLE.get((problem.layers[-1].activation.name, problem.loss.name))
        return stable(z, Y) if stable else LOSSES[problem.loss.name](a, Y)

    def reduce(L):
        return L.sum() if problem.batch_reduction == "sum" else L.mean()

    epochs = []
    for e in range(problem.epochs):
        steps, all_L = [], []
        for rows in problem.batches():
            X = X_all[rows].clone().requires_grad_()
            Y = Y_all[rows]
            opt.zero_grad()
            for b in trainable_b:
                if b.grad is not None:
                    b.grad = None
            zs, acts = forward(X)
            L_n = per_example_loss(zs[-1], acts[-1], Y)
            loss = reduce(L_n)
            loss.backward()
            scale = len(rows) if problem.batch_reduction == "mean" else 1
            step = {
                "examples": list(map(int, rows)),
                "forward": [
                    {"layer": i + 1, "z": z.detach().numpy(), "a": a.detach().numpy()}
                    for i, (z, a) in enumerate(zip(zs, acts, strict=False))
                ],
                "losses": L_n.detach().numpy(),
                "loss": loss.item(),
                "backward": [
                    {
                        "layer": i + 1,
                        "delta": zs[i].grad.numpy() * scale,
                        "dL_dW": Ws[i].grad.numpy().copy(),
                        "dL_db": None if bs[i] is None else bs[i].grad.numpy().copy(),
                    }
                    for i in reversed(range(len(Ws)))
                ],
                "dL_dx": X.grad.numpy(),
            }
            before = [W.detach().clone() for W in Ws], [None if b is None else b.detach().clone() for b in bs]
            opt.step()
            step["update"] = [
                {
                    "layer": i + 1,
                    "W_change": (Ws[i] - before[0][i]).detach().numpy(),
                    "W": Ws[i].detach().numpy().copy(),
                    "b_change": None if bs[i] is None else (bs[i] - before[1][i]).detach().numpy(),
                    "b": None if bs[i] is None else bs[i].detach().numpy().copy(),
                }
                for i in range(len(Ws))
            ]
            steps.append(step)
            all_L.append(L_n.detach())
        with torch.no_grad():
            zs, acts = forward(X_all)
            after = reduce(per_example_loss(zs[-1], acts[-1], Y_all)).item()
        epochs.append({"epoch": e + 1, "steps": steps, "loss": reduce(torch.cat(all_L)).item(), "loss_after": after})
    return epochs


def as_given(layer, W, b):
    """A torch (out_in, separate bias) matrix in the layout the problem file used."""
    return layer.weights_as_given(np.asarray(W), None if b is None else np.asarray(b))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_epochs=2))
def test_every_trace_key_matches_pytorch(data):
    problem = from_dict(data)
    ours = json.loads(json.dumps(trace_dict(run_finite(problem))))
    theirs = torch_run(problem)
    assert len(ours["epochs"]) == len(theirs)
    for oe, te in zip(ours["epochs"], theirs, strict=False):
        close(oe["loss"], te["loss"], "epoch loss")
        close(oe["loss_after"], te["loss_after"], "loss_after")
        assert len(oe["steps"]) == len(te["steps"])
        for os_, ts in zip(oe["steps"], te["steps"], strict=False):
            assert os_["examples"] == ts["examples"]
            for of, tf in zip(os_["forward"], ts["forward"], strict=False):
                close(of["z"], tf["z"], f"z of layer {of['layer']}")
                close(of["a"], tf["a"], f"a of layer {of['layer']}")
            close(os_["losses"], ts["losses"], "losses")
            close(os_["loss"], ts["loss"], "loss")
            assert [b["layer"] for b in os_["backward"]] == [b["layer"] for b in ts["backward"]]
            for ob, tb in zip(os_["backward"], ts["backward"], strict=False):
                layer = problem.layers[ob["layer"] - 1]
                close(ob["delta"], tb["delta"], f"delta of layer {ob['layer']}")
                close(ob["dL_dW"], as_given(layer, tb["dL_dW"], tb["dL_db"]), f"dL_dW of layer {ob['layer']}")
                if layer.separate_bias:
                    close(ob["dL_db"], tb["dL_db"], f"dL_db of layer {ob['layer']}")
                else:
                    assert ob["dL_db"] is None
            close(os_["dL_dx"], ts["dL_dx"], "dL_dx")
            for ou, tu in zip(os_["update"], ts["update"], strict=False):
                layer = problem.layers[ou["layer"] - 1]
                close(ou["W"], as_given(layer, tu["W"], tu["b"]), f"W of layer {ou['layer']}")
                close(
                    ou["W_change"], as_given(layer, tu["W_change"], tu["b_change"]), f"W_change of layer {ou['layer']}"
                )
                if layer.separate_bias:
                    close(ou["b"], tu["b"], "b")
                    close(ou["b_change"], tu["b_change"], "b_change")
