"""The problem file: every convention of SPEC §1, and refusals that point at the line and key."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_cli import engine, from_dict, loads
from backprop_cli.errors import ProblemError
from backprop_cli.problem import to_dict
from backprop_cli.render.jsontrace import trace_dict

BASE = """\
layers:
  - name: h
    activation: sigmoid
    weights: [[0.15, 0.20], [0.25, 0.30]]
    bias: 0.35
  - name: o
    activation: sigmoid
    weights: [[0.40, 0.45], [0.50, 0.55]]
    bias: 0.60
inputs: [[0.05, 0.10]]
targets: [[0.01, 0.99]]
loss: half_sse
learning_rate: 0.5
"""


def trace_of(text: str) -> dict:
    return json.loads(json.dumps(trace_dict(engine.run(loads(text)))))


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line of ``text`` containing ``needle``."""
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth - 1]


def refused(text: str) -> list:
    with pytest.raises(ProblemError) as e:
        loads(text, "p.yaml")
    return e.value.issues


# ----------------------------------------------------------------- conventions give the same numbers


def test_in_out_layout_is_the_transpose_of_out_in():
    in_out = BASE.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.25], [0.20, 0.30]]").replace(
        "[[0.40, 0.45], [0.50, 0.55]]", "[[0.40, 0.50], [0.45, 0.55]]"
    )
    a, b = trace_of(BASE), trace_of("layout: in_out\n" + in_out)
    sa, sb = a["epochs"][0]["steps"][0], b["epochs"][0]["steps"][0]
    assert sa["forward"] == sb["forward"] and sa["dL_dx"] == sb["dL_dx"]
    for ua, ub in zip(sa["update"], sb["update"], strict=False):
        assert np.array_equal(np.array(ua["W"]).T, ub["W"])  # written back in the file's own layout
    for ba, bb in zip(sa["backward"], sb["backward"], strict=False):
        assert np.array_equal(np.array(ba["dL_dW"]).T, bb["dL_dW"])


def test_per_layer_layout_overrides_the_top_level_one():
    text = BASE.replace(
        "    weights: [[0.40, 0.45], [0.50, 0.55]]", "    layout: in_out\n    weights: [[0.40, 0.50], [0.45, 0.55]]"
    )
    assert trace_of(text)["epochs"][0]["steps"][0]["forward"] == trace_of(BASE)["epochs"][0]["steps"][0]["forward"]


def test_augmented_bias_equals_a_separate_bias():
    aug = (
        BASE.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20, 0.35], [0.25, 0.30, 0.35]]")
        .replace("[[0.40, 0.45], [0.50, 0.55]]", "[[0.40, 0.45, 0.60], [0.50, 0.55, 0.60]]")
        .replace("bias: 0.35", "bias: augmented")
        .replace("bias: 0.60", "bias: augmented")
    )
    a, b = trace_of(BASE)["epochs"][0]["steps"][0], trace_of(aug)["epochs"][0]["steps"][0]
    assert a["forward"] == b["forward"] and a["dL_dx"] == b["dL_dx"]
    for ua, ub in zip(a["update"], b["update"], strict=False):
        assert ub["b"] is None and ub["b_change"] is None
        assert np.array_equal(np.column_stack([ua["W"], ua["b"]]), ub["W"])
    for ba, bb in zip(a["backward"], b["backward"], strict=False):
        assert bb["dL_db"] is None
        assert np.array_equal(np.column_stack([ba["dL_dW"], ba["dL_db"]]), bb["dL_dW"])


def test_bias_number_list_and_none():
    a = trace_of(BASE.replace("bias: 0.35", "bias: [0.35, 0.35]"))
    assert a["epochs"][0]["steps"][0]["forward"] == trace_of(BASE)["epochs"][0]["steps"][0]["forward"]
    none = trace_of(BASE.replace("    bias: 0.35\n", ""))
    assert none["epochs"][0]["steps"][0]["update"][0]["b"] is None
    assert none["epochs"][0]["steps"][0]["backward"][1]["dL_db"] is None
    assert "bias" not in none["problem"]["layers"][0]


def test_train_bias_false_keeps_biases_but_still_reports_their_gradient():
    t = trace_of(BASE + "train_bias: false\n")["epochs"][0]["steps"][0]
    assert t["update"][0]["b"] == [0.35, 0.35] and t["update"][0]["b_change"] == [0.0, 0.0]
    assert t["backward"][0]["dL_db"] != [0.0, 0.0]


def test_numbers_as_people_type_them():
    p = loads(BASE.replace("learning_rate: 0.5", "learning_rate: 5E-1").replace("0.05, 0.10", "5e-2, 1e-1"))
    assert p.learning_rate == 0.5 and p.X.tolist() == [[0.05, 0.1]]


def test_flat_lists_are_one_example_and_a_flat_target_list_can_be_a_column():
    p = loads(BASE.replace("[[0.05, 0.10]]", "[0.05, 0.10]").replace("[[0.01, 0.99]]", "[0.01, 0.99]"))
    assert p.X.shape == (1, 2) and p.Y.shape == (1, 2)
    xor = loads("""
layers:
  - {activation: sigmoid, weights: [[1, 1], [1, 1]], bias: 0}
  - {activation: sigmoid, weights: [[1, -1]], bias: 0}
inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
targets: [0, 1, 1, 0]
learning_rate: 1
""")
    assert xor.Y.tolist() == [[0], [1], [1], [0]]


def test_random_weights_same_seed_same_numbers():
    text = """
layers:
  - {activation: tanh, units: 3, weights: {init: normal, mean: 0, std: 0.5}}
  - {activation: linear, units: 1, weights: {init: uniform, low: -1, high: 1}, bias: 0}
inputs: [[1, 2]]
targets: [[0]]
learning_rate: 0.1
seed: 7
"""
    a, b = loads(text), loads(text)
    assert np.array_equal(a.layers[0].W, b.layers[0].W)
    assert a.layers[0].W.shape == (3, 2) and a.layers[1].W.shape == (1, 3)
    assert np.all(np.abs(a.layers[1].W) <= 1)
    assert not np.array_equal(a.layers[0].W, loads(text.replace("seed: 7", "seed: 8")).layers[0].W)
    # the problem as run writes the drawn weights as numbers: loading it again gives the same problem
    again = from_dict(to_dict(a))
    assert np.array_equal(again.layers[0].W, a.layers[0].W)


def test_defaults_are_filled_in_the_problem_as_run():
    d = trace_of(BASE)["problem"]
    assert d["update"] == "batch" and d["batch_reduction"] == "mean" and d["epochs"] == 1
    assert d["train_bias"] is True and d["momentum"] == 0 and d["layout"] == "out_in"
    assert d["layers"][0]["bias"] == [0.35, 0.35] and d["layers"][0]["units"] == 2


def test_activation_parameters_and_aliases():
    p = loads(
        BASE.replace("activation: sigmoid", "activation: {name: leaky_relu, alpha: 0.2}", 1).replace(
            "activation: sigmoid", "activation: identity"
        )
    )
    assert p.layers[0].activation_params == {"alpha": 0.2}
    assert p.layers[1].activation.name == "linear"


def test_a_json_trace_is_read_as_its_next_problem():
    trace = json.dumps(trace_dict(engine.run(loads(BASE))))
    p = loads(trace, "<stdin>")
    assert p.layers[1].W[0, 0] == pytest.approx(0.35891648, abs=1e-8)


# ----------------------------------------------------------------- refusals


def test_refusal_names_line_key_found_and_expected():
    text = BASE.replace("learning_rate: 0.5", "learning_rate: yes")
    issue = refused(text)[0]
    line = line_of(text, "learning_rate")
    assert (issue.line, issue.key) == (line, "learning_rate")
    assert "true" in issue.found and "number" in issue.expected
    assert str(issue).startswith(f"p.yaml:{line}:16: learning_rate: found")


def test_shape_mismatch_is_explained_in_the_layer_layout():
    text = BASE.replace("[[0.40, 0.45], [0.50, 0.55]]", "[[0.40, 0.45, 0.1], [0.50, 0.55, 0.1]]")
    issue = refused(text)[0]
    assert issue.key == "layers[2].weights" and issue.line == line_of(text, "weights", 2)
    assert issue.found == "2×3"
    assert "out_in" in issue.expected and "2×2" in issue.expected and "2 inputs from layer 1" in issue.expected


def test_unknown_key_suggests_the_near_miss():
    issue = refused(BASE.replace("learning_rate: 0.5", "learning_rate: 0.5\nlearning_rat: 0.1"))[0]
    assert issue.key == "learning_rat" and "did you mean learning_rate?" in issue.expected


def test_duplicate_keys_are_refused():
    text = BASE + "learning_rate: 0.1\n"
    issue = refused(text)[0]
    assert issue.key == "learning_rate" and issue.line == line_of(text, "learning_rate", 2)
    assert "second time" in issue.found and f"line {line_of(text, 'learning_rate')}" in issue.found


def test_yaml_tags_are_never_constructed():
    issues = refused(BASE.replace("title", "x") + "title: !!python/object/apply:os.system ['echo hacked']\n")
    assert any("tag" in i.found for i in issues)


def test_every_issue_at_once():
    issues = refused(BASE.replace("loss: half_sse", "loss: l2").replace("learning_rate: 0.5", "learning_rate: -1"))
    assert {i.key for i in issues} == {"loss", "learning_rate"}


def test_cross_entropy_needs_softmax_and_softmax_only_on_the_output_layer():
    assert refused(BASE.replace("loss: half_sse", "loss: cross_entropy"))[0].key == "loss"
    assert refused(BASE.replace("activation: sigmoid", "activation: softmax", 1))[0].key == "layers[1].activation"


def test_minibatch_needs_batch_size():
    assert refused(BASE + "update: minibatch\n")[0].key == "update"


def test_json_indented_with_tabs_is_read():
    p = loads(
        '{\n\t"layers": [{"activation": "sigmoid", "weights": [[1.0e5, 1E-1]]}],\n'
        '\t"inputs": [1, 2], "targets": 0.5, "learning_rate": 1e-3\n}\n'
    )
    assert p.layers[0].W.tolist() == [[1e5, 0.1]] and p.Y.tolist() == [[0.5]]


def test_yaml_syntax_error_says_where_the_unclosed_list_began():
    issue = refused("layers:\n  - activation: sigmoid\n    weights: [[1, 2]\ninputs: [1]\n")[0]
    assert issue.line == 4 and "starts at line 3" in issue.found


def test_json_problems_with_mistakes_still_get_line_numbers():
    text = (
        '{\n  "layers": [{"activation": "sigmoid", "weights": [[1, 2]]}],\n  "inputs": [1, 2],\n  "targets": [1],\n'
        '  "learning_rate": "fast"\n}\n'
    )
    issue = refused(text)[0]
    assert (issue.line, issue.key) == (5, "learning_rate")


def test_json_duplicate_keys_and_nan_are_refused_with_lines():
    dup = (
        '{"layers": [{"activation": "sigmoid", "weights": [[1, 2]]}], "inputs": [1, 2], "targets": [1],\n'
        ' "learning_rate": 1,\n "learning_rate": 2}'
    )
    assert "second time" in refused(dup)[0].found and refused(dup)[0].line == 3
    nan = (
        '{"layers": [{"activation": "sigmoid", "weights": [[NaN, 2]]}], "inputs": [1, 2], "targets": [1], '
        '"learning_rate": 1}'
    )
    issue = refused(nan)[0]
    assert issue.key == "layers[1].weights[1][1]" and "NaN" in issue.found and issue.line == 1


def test_a_bad_activation_name_does_not_make_valid_flat_targets_wrong():
    """Issue 11 item 13: the first error must not cascade into the targets written as a flat list."""
    with pytest.raises(ProblemError) as e:
        loads(
            "layers:\n  - {activation: sigmiod, weights: [[0.5, 0.5]]}\n"
            "inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\ntargets: [0, 1, 1, 0]\nlearning_rate: 0.5\n",
            "x.yaml",
        )
    assert [i.key for i in e.value.issues] == ["layers[1].activation"]


def test_a_zero_input_is_not_a_vanished_gradient():
    """Issue 11 item 3: XOR's (0, 0) example makes layer 1's ∂L/∂w exactly 0, but δ and the biases are healthy."""
    from backprop_cli import examples, load

    problem = load(examples.path("xor-2-2-1"))._replace(update="stochastic")
    trace = engine.run(problem)
    first = trace.epochs[0].steps[0]
    assert first.examples.tolist() == [0] and not first.backward_of(1).dL_dW.any()
    assert not any("vanished" in w for w in trace.warnings)


def test_a_continued_run_numbers_its_epochs_on():
    """Issue 11 item 7: next_problem records the epochs done, so concatenated traces never repeat a number."""
    from backprop_cli import examples, load
    from backprop_cli.validate import from_dict

    first = engine.run(load(examples.path("mazur-2-2-2")).with_epochs(3))
    again = engine.run(from_dict(to_dict(first.next_problem)).with_epochs(2))
    assert [e.epoch for e in first.epochs] == [1, 2, 3] and [e.epoch for e in again.epochs] == [4, 5]
