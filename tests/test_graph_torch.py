"""Every bundled circuit and generated expressions against PyTorch autograd in float64 (skipped without torch).

The graph's expressions are translated to torch operations by walking the parsed tree
(never by evaluating text), so the oracle is independent of the engine's gate table.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import examples
from backprop_cli.graph import engine, expr
from backprop_cli.graph.problem import from_dict, load_if_graph

torch = pytest.importorskip("torch")

BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow}
CALLS = {
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "max": torch.maximum,
    "minimum": torch.minimum,
    "min": torch.minimum,
}


def to_torch(tree, env):
    if isinstance(tree, expr.Num):
        return torch.tensor(float(tree.value), dtype=torch.float64)
    if isinstance(tree, expr.Name):
        return env[tree.name]
    if isinstance(tree, expr.Unary):
        return -to_torch(tree.operand, env)
    if isinstance(tree, expr.Binary):
        return BINARY[tree.op](to_torch(tree.left, env), to_torch(tree.right, env))
    return CALLS[tree.op](*(to_torch(a, env) for a in tree.args))


def autograd(problem):
    env = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in problem.inputs.items()}
    for name, text in problem.nodes.items():
        env[name] = to_torch(expr.parse(text), env).clone()  # a node of its own, even when it is a bare name
        if env[name].requires_grad:
            env[name].retain_grad()
        else:  # a constant node: a leaf, so that torch also reports ∂f/∂node
            env[name].requires_grad_(True)
    if env[problem.output].requires_grad:  # an output that is a constant has no gradient to send back
        env[problem.output].backward()
    return env


def agree(problem):
    env = autograd(problem)
    t = engine.run(problem)
    for name in list(problem.inputs) + list(problem.nodes):
        value = env[name].item()
        grad = 1.0 if name == problem.output else 0.0 if env[name].grad is None else env[name].grad.item()
        assert t.values[name] == pytest.approx(value, rel=1e-12, abs=1e-300), name
        assert t.grads[name] == pytest.approx(grad, rel=1e-10, abs=1e-13), name


@pytest.mark.parametrize("name", examples.names("graph"))
def test_every_bundled_circuit_matches_autograd(name):
    agree(load_if_graph(str(examples.path(name))))


def test_max_tie_goes_to_the_first_operand_where_torch_splits_it():
    """torch.maximum splits a tie's gradient (0.5 each); SPEC §5 sends it to the first operand, as CS231n does."""
    t = engine.run(from_dict({"inputs": {"x": 1, "y": 1}, "graph": {"f": "max(x, y)"}}))
    assert (t.grads["x"], t.grads["y"]) == (1, 0)


LEAVES = ["x", "y", "z", "0.5", "2"]
UNARY = [
    "sigmoid({})",
    "tanh({})",
    "exp({} / 3)",
    "log(1 + ({})**2)",
    "sqrt(1 + ({})**2)",
    "-({})",
    "relu({})",
    "abs({})",
]
BINARY_T = ["{} + {}", "{} - {}", "{} * {}", "{} / (2 + ({})**2)", "max({}, {})", "min({}, {})", "({}) ** 3"]


@st.composite
def expressions(draw, depth=4):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(draw(expressions(depth - 1)))
    t = draw(st.sampled_from(BINARY_T))
    return t.format(*(f"({draw(expressions(depth - 1))})" for _ in range(t.count("{}"))))


@settings(max_examples=80, deadline=None)
@given(
    e1=expressions(),
    e2=expressions(),
    values=st.lists(st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3), min_size=3, max_size=3),
)
def test_generated_circuits_match_autograd(e1, e2, values):
    problem = from_dict(
        {"inputs": dict(zip("xyz", values, strict=True)), "graph": {"a": e1, "f": e2.replace("z", "a")}}
    )
    t = engine.run(problem)
    if any(r.gate.op in ("max", "min") and r.args[0] == r.args[1] for r in t.records):
        return  # a tie: torch splits the gradient, SPEC §5 does not (tested above)
    if any(r.gate.op in ("relu", "abs") and r.args[0] == 0 for r in t.records) or not math.isfinite(t.values["f"]):
        return
    agree(problem)


def torch_step(problem):
    """One step as Karpathy's micrograd writes it, p.data += ±η·p.grad, then the output recomputed by torch."""
    env = autograd(problem)
    sign = 1.0 if problem.maximize else -1.0
    moved = {
        n: env[n].detach() + sign * problem.learning_rate * env[n].grad if n in problem.train else env[n].detach()
        for n in problem.inputs
    }
    for name, text in problem.nodes.items():
        moved[name] = to_torch(expr.parse(text), moved)
    return {n: moved[n].item() for n in problem.train}, moved[problem.output].item()


@pytest.mark.parametrize("maximize", [False, True], ids=["descent", "ascent"])
@pytest.mark.parametrize("name", examples.names("graph"))
def test_the_step_and_the_output_after_it_match_autograd(name, maximize):
    problem = load_if_graph(str(examples.path(name)))
    problem = problem._replace(
        learning_rate=problem.learning_rate or 0.01, train=problem.train or tuple(problem.inputs)
    )
    problem = problem._replace(maximize=maximize)
    updated, after = torch_step(problem)
    t = engine.run(problem)
    assert t.updated == pytest.approx(updated, rel=1e-12)
    assert t.output_after == pytest.approx(after, rel=1e-12)
