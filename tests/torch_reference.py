"""A PyTorch float64 reference of SPEC §1–§4.4, written from the SPEC alone (not from the engine).

Each layer's weights, with an augmented bias column when the file gives one,
are one tensor in the file's layout turned to out_in; a bias, threshold or
shared bias is another. All trainable tensors go into one torch.optim
optimizer, in one group. Returned in the JSON trace's shape and layouts.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = {
    "linear": lambda F, z, p: z,
    "sigmoid": lambda F, z, p: F.sigmoid(z),
    "tanh": lambda F, z, p: F.tanh(z),
    "relu": lambda F, z, p: F.relu(z),
    "leaky_relu": lambda F, z, p: F.leaky_relu(z, p.get("alpha", 0.01)),
    "elu": lambda F, z, p: F.elu(z, p.get("alpha", 1.0)),
    "softplus": lambda F, z, p: F.softplus(z),
    "softmax": lambda F, z, p: F.softmax(z, dim=1),
}

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
STATE = {
    "sgd": ("momentum_buffer",),
    "adam": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    "rmsprop": ("step", "square_avg", "grad_avg", "momentum_buffer"),
    "adagrad": ("step", "sum"),
}
STATE["adamw"] = STATE["adam"]


def _loss(torch, problem, z, a, Y):
    F = torch.nn.functional
    out, name = problem.layers[-1].activation.name, problem.loss.name
    if (out, name) == ("sigmoid", "bce"):
        return F.binary_cross_entropy_with_logits(z, Y, reduction="none").mean(1)
    if (out, name) == ("softmax", "cross_entropy"):
        return -(Y * torch.log_softmax(z, dim=1)).sum(1)
    xlogy = torch.special.xlogy
    return {
        "half_sse": lambda: 0.5 * ((a - Y) ** 2).sum(1),
        "sse": lambda: ((a - Y) ** 2).sum(1),
        "mse": lambda: ((a - Y) ** 2).mean(1),
        "bce": lambda: -(xlogy(Y, a) + xlogy(1 - Y, 1 - a)).mean(1),
        "cross_entropy": lambda: -xlogy(Y, a).sum(1),
    }[name]()


class _Layer:
    """One layer; a frozen augmented bias (train_bias: false) is a column of its own, outside the optimizer."""

    def __init__(self, torch, layer, train_bias):
        t = lambda a: torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)  # noqa: E731
        self.spec, self.torch = layer, torch
        W = layer.weights_as_given(layer.W, layer.b)  # as the file wrote it
        W = W.T if layer.layout == "in_out" else W
        self.constant = layer.bias_sign if layer.bias_form == "augmented" else None
        self.column = None
        if self.constant is not None and not train_bias:
            self.column, W = t(W[:, -1:]).requires_grad_(), W[:, :-1]
        self.W = t(W).requires_grad_()
        self.b = None if (layer.b is None or layer.bias_form == "augmented") else t(layer.b).requires_grad_()

    def full(self, W, column=None):
        """W with the frozen bias column (or ``column``) appended, as numpy."""
        if self.column is None:
            return W
        col = self.column.detach().numpy() if column is None else column
        return np.column_stack([W, col])

    def z(self, torch, a):
        if self.constant is not None:
            a = torch.cat([a, torch.full((a.shape[0], 1), self.constant, dtype=torch.float64)], dim=1)
        W = self.W if self.column is None else torch.cat([self.W, self.column], dim=1)
        z = a @ W.T
        if self.b is not None:
            z = z - self.b if self.spec.bias_form == "threshold" else z + self.b
        return z

    def weights_only(self):
        return self.W[:, :-1] if self.constant is not None and self.column is None else self.W

    def as_given(self, M):
        M = np.asarray(M)
        return M.T if self.spec.layout == "in_out" else M


def torch_run(torch, problem):
    F = torch.nn.functional
    layers = [_Layer(torch, l, problem.train_bias) for l in problem.layers]
    params = [l.W for l in layers] + ([l.b for l in layers if l.b is not None] if problem.train_bias else [])
    hp = {k: (tuple(v) if isinstance(v, list) else v) for k, v in problem.optimizer_params.items()}
    opt = getattr(torch.optim, OPTIMIZERS[problem.optimizer.name])(params, lr=problem.learning_rate, **hp)
    t = lambda a: torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)  # noqa: E731
    X_all, Y_all = t(problem.X), t(problem.Y)

    def forward(X, rows=None):
        zs, acts, a = [], [], X
        for l in layers:
            z = l.z(torch, a)
            if z.requires_grad:
                z.retain_grad()
            a = ACTIVATIONS[l.spec.activation.name](F, z, l.spec.activation_params)
            if rows is not None and l.spec.dropout:
                a = a * t(l.spec.masks[rows]) / (1 - l.spec.dropout)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def penalty():
        total = torch.zeros((), dtype=torch.float64)
        for l in layers:
            w = l.weights_only()
            total = total + problem.l2 / 2 * (w**2).sum() + problem.l1 * w.abs().sum()
        return total

    def reduce(L):
        return L.sum() if problem.batch_reduction == "sum" else L.mean()

    epochs = []
    for _e in range(problem.epochs):
        steps, all_L, pens = [], [], []
        for rows in problem.batches():
            X = X_all[rows].clone().requires_grad_()
            opt.zero_grad()
            for l in layers:  # a frozen bias is no parameter of the optimizer: clear its gradient too
                if l.b is not None:
                    l.b.grad = None
                if l.column is not None:
                    l.column.grad = None
            zs, acts = forward(X, rows)
            L_n = _loss(torch, problem, zs[-1], acts[-1], Y_all[rows])
            pen = penalty()
            loss = reduce(L_n) + pen
            loss.backward()
            scale = len(rows) if problem.batch_reduction == "mean" else 1
            step = {
                "loss": loss.item(),
                "losses": L_n.detach().numpy(),
                "forward": [{"z": z.detach().numpy(), "a": a.detach().numpy()} for z, a in zip(zs, acts, strict=False)],
                "backward": [
                    {
                        "layer": i + 1,
                        "delta": zs[i].grad.numpy() * scale,
                        "dL_dW": layers[i].as_given(
                            layers[i].full(
                                layers[i].W.grad.numpy().copy(),
                                None if layers[i].column is None else layers[i].column.grad.numpy(),
                            )
                        ),
                        "dL_db": None if layers[i].b is None else layers[i].b.grad.numpy().copy(),
                    }
                    for i in reversed(range(len(layers)))
                ],
                "dL_dx": X.grad.numpy(),
            }
            if problem.l1 or problem.l2:
                step["penalty"] = pen.item()
            before = [(l.W.detach().clone(), None if l.b is None else l.b.detach().clone()) for l in layers]
            opt.step()
            step["update"] = [_update(l, b0, opt, problem) for l, b0 in zip(layers, before, strict=False)]
            steps.append(step)
            all_L.append(L_n.detach())
            pens.append(pen.item())
        with torch.no_grad():
            zs, acts = forward(X_all)
            after = reduce(_loss(torch, problem, zs[-1], acts[-1], Y_all)).item() + penalty().item()
        loss = reduce(torch.cat(all_L)).item() + float(np.mean(pens))
        epochs.append({"steps": steps, "loss": loss, "loss_after": after})
    return epochs


def _update(layer, before, opt, problem):
    W0, b0 = before
    zero = None if layer.column is None else np.zeros(layer.column.shape)
    entry = {
        "W": layer.as_given(layer.full(layer.W.detach().numpy().copy())),
        "W_change": layer.as_given(layer.full((layer.W - W0).detach().numpy(), zero)),
        "b": None if layer.b is None else layer.b.detach().numpy().copy(),
        "b_change": None if layer.b is None else (layer.b - b0).detach().numpy(),
    }
    names = STATE[problem.optimizer.name]

    def as_given(m):
        return layer.as_given(layer.full(m, zero))

    for key, tensor, written in (("state_W", layer.W, as_given), ("state_b", layer.b, lambda m: m)):
        state = opt.state.get(tensor, {}) if tensor is not None else {}
        entry[key] = {
            k: (float(v) if k == "step" else written(v.detach().numpy().copy()))
            for k, v in state.items()
            if k in names and v is not None
        }
    return entry
