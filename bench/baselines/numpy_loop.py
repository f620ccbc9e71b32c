"""A bare NumPy training loop: what a competent person writes by hand for the same updates.

Reads a problem written by bench/common.py (out_in weights, per-unit biases,
sigmoid/relu/tanh hidden layers, sigmoid/linear/softmax output, half_sse or
cross_entropy, mean reduction), trains it with the same update schedule, and
prints the per-epoch losses as JSON, as backprop step --format json does.
"""

import json
import sys

import numpy as np

p = json.load(open(sys.argv[1]))
Ws = [np.array(l["weights"]) for l in p["layers"]]
bs = [np.array(l["bias"]) for l in p["layers"]]
acts = [l["activation"] for l in p["layers"]]
X, Y = np.array(p["inputs"]), np.array(p["targets"])
lr, epochs, n = p["learning_rate"], p["epochs"], len(X)
size = 1 if p["update"] == "stochastic" else n
batches = [(X[i : i + size], Y[i : i + size]) for i in range(0, n, size)]
np.seterr(over="ignore")


def f(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def df(name, z, a):
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


def forward(x):
    zs, As = [], [x]
    for W, b, name in zip(Ws, bs, acts, strict=False):
        z = As[-1] @ W.T + b
        zs.append(z)
        As.append(f(name, z))
    return zs, As


def losses(a, y):
    if p["loss"] == "cross_entropy":
        return -(y * np.log(a)).sum(axis=1)
    return 0.5 * ((a - y) ** 2).sum(axis=1)


history = []
for epoch in range(epochs):
    seen = []
    for x, y in batches:
        zs, As = forward(x)
        seen.append(losses(As[-1], y))
        delta = As[-1] - y if p["loss"] == "cross_entropy" else (As[-1] - y) * df(acts[-1], zs[-1], As[-1])
        scale = 1.0 / len(x)
        for i in range(len(Ws) - 1, -1, -1):
            gW = scale * (delta.T @ As[i])
            gb = scale * delta.sum(axis=0)
            if i:
                delta = (delta @ Ws[i]) * df(acts[i - 1], zs[i - 1], As[i])
            Ws[i] = Ws[i] - lr * gW
            bs[i] = bs[i] - lr * gb
    _, As = forward(X)
    history.append(
        {"epoch": epoch + 1, "loss": float(np.concatenate(seen).mean()), "loss_after": float(losses(As[-1], Y).mean())}
    )
json.dump({"epochs": history, "weights": [W.tolist() for W in Ws]}, sys.stdout)
