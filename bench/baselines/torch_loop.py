"""A plain PyTorch float64 training loop (nn.Sequential + optim.SGD) doing the same updates.

Reads a problem written by bench/common.py and prints the per-epoch losses as
JSON, as backprop step --format json does.
"""

import json
import sys

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
p = json.load(open(sys.argv[1]))
modules = []
for l in p["layers"]:
    W = torch.tensor(l["weights"])
    lin = nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        lin.weight.copy_(W)
        lin.bias.copy_(torch.tensor(l["bias"]))
    modules.append(lin)
    act = {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(), "softmax": nn.Softmax(dim=1)}.get(
        l["activation"]
    )
    if act is not None:
        modules.append(act)
model = nn.Sequential(*modules)
X, Y = torch.tensor(p["inputs"]), torch.tensor(p["targets"])
opt = torch.optim.SGD(model.parameters(), lr=p["learning_rate"])
n = len(X)
size = 1 if p["update"] == "stochastic" else n


def losses(a, y):
    if p["loss"] == "cross_entropy":
        return -(y * torch.log(a)).sum(dim=1)
    return 0.5 * ((a - y) ** 2).sum(dim=1)


history = []
for epoch in range(p["epochs"]):
    seen = []
    for i in range(0, n, size):
        x, y = X[i : i + size], Y[i : i + size]
        opt.zero_grad()
        L = losses(model(x), y)
        L.mean().backward()
        opt.step()
        seen.append(L.detach())
    with torch.no_grad():
        after = losses(model(X), Y).mean().item()
    history.append({"epoch": epoch + 1, "loss": torch.cat(seen).mean().item(), "loss_after": after})
json.dump({"epochs": history}, sys.stdout)
