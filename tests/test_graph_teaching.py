"""Teaching tools on circuits: check (by node name, mistakes named), worksheet, gradcheck, new --graph, draw."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from backprop_cli import examples
from backprop_cli.graph import engine
from backprop_cli.graph.problem import from_dict, load_if_graph, loads
from backprop_cli.graph.teaching import grade, new_circuit, read_answers


def cli(*args, cwd=None, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "backprop_cli", *args], capture_output=True, text=True, timeout=60, cwd=cwd, input=stdin
    )


def graded(problem, text):
    return {r.name: r for r in grade(problem, read_answers(text, "a.yaml"), "a.yaml")}


STAGED = load_if_graph(str(examples.path("circuit-staged")))


def test_right_answers_in_every_spelling():
    r = graded(STAGED, "sigx: 0.9526\ndf/dx: 2.0596\n∂f/∂y: 1.5922\ndxpy: 1.5832\ngrad_den: -0.792\n")
    assert all(x.right for x in r.values())


def test_a_repeated_use_not_summed_is_named():
    r = graded(STAGED, "df/dx: -0.0358\n")["df/dx"]
    assert not r.right and any("must be summed" in m and "sigx" in m for m in r.mistakes)


def test_a_forgotten_local_derivative_is_named():
    p = from_dict({"inputs": {"x": 3}, "graph": {"s": "sigmoid(x)", "f": "s * 2"}})
    t = engine.run(p)
    wrong = f"{2.0:.4f}"  # ∂f/∂x with ∂s/∂x taken as 1
    r = graded(p, f"df/dx: {wrong}\n")["df/dx"]
    assert t.grads["x"] != 2 and any("∂s/∂x forgotten" in m for m in r.mistakes)


def test_the_sign_of_a_subtractions_second_operand_is_named():
    p = from_dict({"inputs": {"x": 2, "y": 5}, "graph": {"d": "x - y", "f": "d * 3"}})
    r = graded(p, "df/dy: 3\n")["df/dy"]
    assert not r.right and any("sign of the second operand of d" in m for m in r.mistakes)


def test_lazy_answers_do_not_pass():
    """As for networks (teaching/answers.py's Precision): 3 significant figures, and a 0 or 1 never by rounding."""
    p = load_if_graph(str(examples.path("circuit-sigmoid-neuron")))
    r = graded(p, "df/dw2: 0\nf: 1\ndf/dx0: 0.393\n")
    assert r["df/dw2"].verdict == r["f"].verdict == "imprecise" and r["df/dx0"].right


def test_updated_values_and_unknown_names():
    p = load_if_graph(str(examples.path("circuit-add-multiply")))
    assert graded(p, "x+: -1.96\nz_new: -4.03\n")["x+"].right
    with pytest.raises(Exception) as e:
        graded(p, "q: 3\nh1: 0.5\n")
    assert "a.yaml:2:1: h1: found the name 'h1'" in str(e.value)


def test_check_command_exit_codes(tmp_path):
    (tmp_path / "a.yaml").write_text("q: 3\ndf/dx: -4\ndf/dz: 3\n")
    r = cli("check", "circuit-add-multiply", "a.yaml", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.endswith("3 of 3 right\n")
    (tmp_path / "b.yaml").write_text("df/dx: 4\n")
    r = cli("check", "circuit-add-multiply", "b.yaml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and json.loads(r.stdout)["wrong"] == 1


def test_worksheet_blanks_every_computed_number_and_keeps_the_givens():
    out = cli("worksheet", "circuit-add-multiply").stdout
    out = out.replace("\u2212", "-")  # one minus sign either way
    assert "x = -2" in out and "∂(q·z)/∂q = z = ______" in out and "-12" not in out.split("Summary")[0]
    # a constant local derivative is a given, never given and then asked (∂q/∂x = 1 = ______); ∂f/∂f = 1 is filled
    assert "∂q/∂x = 1\n" in out and "1 = ______" not in out and out.rstrip().endswith("f        ______        1")
    key = cli("worksheet", "circuit-add-multiply", "--answers").stdout
    key = key.replace("\u2212", "-")  # one minus sign either way
    assert "Answer key" in key and "1·(-4) = -4" in key


def test_gradcheck_command():
    r = cli("gradcheck", "circuit-micrograd", "--format", "json")
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["ok"] and {c["name"] for c in d["checks"]} == {"a", "b"}


@pytest.mark.parametrize("gates, values", [(1, "integers"), (5, "integers"), (12, "decimals"), (30, "integers")])
def test_new_graph_writes_a_pleasant_solvable_circuit(gates, values):
    text = new_circuit(gates, seed=7, decimals=values == "decimals", learning_rate=0.1)
    problem = loads(text)
    t = engine.run(problem)
    assert len(problem.nodes) == gates and all(t.grads[n] != 0 for n in problem.inputs)
    used = {ref for r in t.records for o in r.gate.operands if o.is_ref for ref in [o.ref]}
    assert all(n in used for n in problem.nodes if n != problem.output)  # no dead node
    assert new_circuit(gates, seed=7, decimals=values == "decimals", learning_rate=0.1) == text


def test_new_graph_command_pipes_into_solve():
    made = cli("new", "--graph", "4", "--seed", "2")
    assert made.returncode == 0
    r = cli("solve", "-", "--format", "json", stdin=made.stdout)
    assert r.returncode == 0 and json.loads(r.stdout)["format"] == "backprop-graph"
    default = cli("new")  # neither --layers nor --graph: a 2-2-1 network
    assert default.returncode == 0 and "2-2-1" in default.stdout


@pytest.mark.parametrize("name", examples.names("graph"))
def test_draw_is_valid_svg_with_every_value_and_gradient(name, tmp_path):
    r = cli("draw", name, "-o", str(tmp_path / "c.svg"), "--precision", "2")
    assert r.returncode == 0
    svg = (tmp_path / "c.svg").read_text()
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    trace = engine.run(load_if_graph(str(examples.path(name))))
    for n in trace.values:
        assert any(t.startswith(f"{n}\u00a0=") for t in texts), n


def test_draw_escapes_the_title_and_keeps_labels_apart(tmp_path):
    (tmp_path / "t.yaml").write_text(
        'title: "<script>&"\ninputs: {x: 1, y: 2}\ngraph:\n  a: x * y\n  b: x + y\n  f: a * b\n'
    )
    svg = cli("draw", "t.yaml", cwd=tmp_path).stdout
    assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
    root = ET.fromstring(svg)
    boxes = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("text-anchor") is None:  # the wire labels
            x, y, n = float(t.get("x")), float(t.get("y")), len("".join(t.itertext()))
            boxes.append((x, y - 12, x + 7.4 * n, y + 3))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


# ----------------------------------------------------------------------------- check, as networks are checked

HG_ASCENT = "inputs: {x: -2, y: 3}\ngraph:\n  f: x * y\nlearning_rate: 0.01\ntrain: [x, y]\nmaximize: true\n"


def test_cs231n_printed_gradients_are_imprecise_not_wrong(tmp_path):
    """F6: the CS231n notes print dw0 = -0.20, dw2 = 0.20 for −0.196612…: the true value with too few figures,
    called imprecise with the networks' words and the expected value in their style (teaching/answers.Precision)."""
    (tmp_path / "a.yaml").write_text("dw0: -0.2\ndw2: 0.20\ndx0: 0.393\n")
    r = cli("check", "circuit-sigmoid-neuron", "a.yaml", cwd=tmp_path)
    assert r.returncode == 1
    assert "imprecise  dw0 = -0.2   expected -0.1966   (write at least 3 significant figures)" in r.stdout
    assert "imprecise  dw2 = 0.20   expected 0.1966" in r.stdout and "right      dx0 = 0.393" in r.stdout
    assert r.stdout.endswith("1 of 3 right, 2 imprecise\n")
    r = cli("check", "circuit-sigmoid-neuron", "a.yaml", "--min-decimals", "1", cwd=tmp_path)
    assert r.stdout.endswith("3 of 3 right\n")
    r = cli("check", "circuit-sigmoid-neuron", "a.yaml", "--tolerance", "0.001", cwd=tmp_path)
    assert r.stdout.endswith("1 of 3 right\n") and "WRONG  dw0 = -0.2   expected -0.1966\n" in r.stdout


def test_two_spellings_are_graded_once_and_a_flipped_sign_is_named(tmp_path):
    p = load_if_graph(str(examples.path("circuit-add-multiply")))
    r = grade(p, read_answers("dx: -4\n∂f/∂x: 4\ndy: 4\n", "a.yaml"), "a.yaml")
    assert [x.verdict for x in r] == ["right", "duplicate", "WRONG"]
    assert r[1].mistakes == ["the same quantity as dx, given above under another name; only the first is graded"]
    assert r[2].mistakes == ["the sign of the gradient flipped"]


def test_the_step_the_wrong_way_is_named_both_ways(tmp_path):
    """Karpathy's Hacker's guide steps up: x = −1.97, y = 2.98, f = −5.87. Those answers for the descent problem
    (CS231n's x·y at the same numbers) step the wrong way, and the descent answers for the ascent problem too."""
    ascent = loads(HG_ASCENT, "hg.yaml")
    descent = ascent._replace(maximize=False)
    guide = read_answers("x+: -1.97\ny⁺: 2.98\nf+: -5.8706\n", "a.yaml")
    assert all(r.right for r in grade(ascent, guide, "a.yaml"))
    wrong = grade(descent, guide, "a.yaml")
    assert [r.verdict for r in wrong] == ["WRONG", "WRONG", "CARRIED"]  # f⁺ is right at the student's x⁺, y⁺
    up = "stepped up the gradient ({0} + η·∂f/∂{0}) instead of down: gradient descent subtracts η·∂f/∂{0}"
    assert [r.mistakes for r in wrong[:2]] == [[up.format("x")], [up.format("y")]]  # each in its own name
    alone = grade(descent, read_answers("f+: -5.8706\n", "a.yaml"), "a.yaml")  # no x⁺ given: the step is named
    each = "stepped up the gradient (x + η·∂f/∂x for each trained input x) instead of down"
    assert alone[0].verdict == "WRONG" and alone[0].mistakes[0].startswith(each)
    down = grade(ascent, read_answers("x_new: -2.03\nf_after: -6.1306\nf_new: -6\n", "a.yaml"), "a.yaml")
    assert down[0].mistakes == [
        "stepped down the gradient (x − η·∂f/∂x) instead of up: this problem maximizes (gradient ascent)"
    ]
    assert down[1].verdict == "WRONG"  # −6.1306 = −2.03·3.02: both inputs stepped down, y⁺ not written
    assert down[1].mistakes[0].startswith("stepped down the gradient (x − η·∂f/∂x for each trained input x)")
    assert down[2].verdict == "duplicate"
    before = grade(ascent, read_answers("f⁺: -6.000\nx+: 0.03\n", "a.yaml"), "a.yaml")
    assert before[0].mistakes == ["the output before the step (f = -6), not after it"]
    assert before[1].mistakes == ["the change Δx = +η·∂f/∂x, not the new value"]


def test_check_grades_several_files_and_a_folder_as_for_networks(tmp_path):
    (tmp_path / "hg.yaml").write_text(HG_ASCENT)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.yaml").write_text("x+: -1.97\ny+: 2.98\nf+: -5.87\n")
    (tmp_path / "class" / "bob.yaml").write_text("x+: -2.03\ndx: 3\nq: 1\n")
    (tmp_path / "class" / "cy.yaml").write_text("x+: [1]\n")
    r = cli("check", "hg.yaml", "class", cwd=tmp_path)
    assert r.returncode == 1
    sections = r.stdout.split("== ")[1:]
    assert [s.split("\n")[0] for s in sections] == [f"class/{n}.yaml" for n in ("ann", "bob", "cy")]
    assert "right  f+ = -5.87\n3 of 3 right, 1 missing; 3 of 4 points" in sections[0]  # the guide's −5.87
    assert "unknown  q  = 1   (line 3: a name the worked solution does not print" in sections[1]
    assert "cannot be graded: class/cy.yaml:1:1: x+: found a list; expected a number" in sections[2]
    assert r.stdout.endswith("3 answer files: 0 all right, 1 could not be graded\n")
    d = json.loads(cli("check", "hg.yaml", "class", "--format", "json", cwd=tmp_path).stdout)
    assert [f["file"] for f in d["files"]] == ["class/ann.yaml", "class/bob.yaml", "class/cy.yaml"]
    assert (d["files"][0]["right"], d["files"][0]["missing"], d["files"][1]["wrong"]) == (3, 1, 1)
    assert d["files"][2]["errors"][0]["key"] == "x+" and d["files"][2]["total"] == 4  # x+, y+, f+ and dx
    one = json.loads(cli("check", "hg.yaml", "class/ann.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert "files" not in one and one["right"] == 3  # one file: its own object, as for networks
    csv = cli("check", "hg.yaml", "class/ann.yaml", "class/bob.yaml", "--format", "csv", cwd=tmp_path).stdout
    assert csv.splitlines()[1:] == ["class/ann.yaml,3,0,0,0,1,0,3,4,", "class/bob.yaml,1,0,1,0,2,1,1,4,"]


def test_a_points_file_names_a_circuits_answers_and_groups(tmp_path):
    (tmp_path / "hg.yaml").write_text(HG_ASCENT)
    (tmp_path / "a.yaml").write_text("x+: -1.97\ndf/dy: -2\nf: -6\n")
    (tmp_path / "points.yaml").write_text("f+: 3\ngradient: 2\nforward: 0.5\n")
    r = cli("check", "hg.yaml", "a.yaml", "--points", "points.yaml", cwd=tmp_path)
    assert r.stdout.endswith("3 of 3 right, 1 missing; 3.5 of 6.5 points\n"), r.stdout
    (tmp_path / "bad.yaml").write_text("h+: 3\n")
    r = cli("check", "hg.yaml", "a.yaml", "--points", "bad.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "bad.yaml:1:1: h+: found the name 'h+'" in r.stderr


# ----------------------------------------------------------------------------- error carried forward


def test_a_wrong_answer_that_follows_from_the_students_own_is_carried():
    """CS231n's f = (x + y)·z at −2, 5, −4 (η = 0.01 in the bundled example): a flipped ∂f/∂q = +4 carried
    correctly gives ∂f/∂x = ∂f/∂y = 4 and x⁺ = −2 − 0.01·4 = −2.04; a wrong q = 4 gives f = −16 and ∂f/∂z = 4."""
    from backprop_cli import examples
    from backprop_cli.graph.grading import grade
    from backprop_cli.graph.teaching import read_answers
    from backprop_cli.validate import loads_any

    problem = loads_any(examples.path("circuit-add-multiply").read_text(), "p.yaml")

    def verdicts(text):
        return {r.name: (r.verdict, r.carried) for r in grade(problem, read_answers(text, "a.yaml"), "a.yaml")}

    v = verdicts("dq: 4\ndx: 4\ndy: 4\ndz: 3\nx+: -2.04\n")
    assert v["dq"] == ("WRONG", None) and v["dx"] == v["dy"] == ("CARRIED", 4.0) and v["dz"] == ("right", None)
    assert v["x+"][0] == "CARRIED" and v["x+"][1] == pytest.approx(-2.04, abs=1e-15)
    v = verdicts("q: 4\nf: -16\ndz: 4\n")
    assert v["q"][0] == "WRONG" and v["f"] == ("CARRIED", -16.0) and v["dz"] == ("CARRIED", 4.0)
    v = verdicts("dq: 4\ndx: -4\n")  # the right ∂f/∂x after a wrong ∂f/∂q is simply right
    assert v["dx"] == ("right", None)


def test_a_carried_answer_earns_the_carried_share_of_its_points(tmp_path):
    (tmp_path / "a.yaml").write_text("dq: 4\ndx: 4\n")
    (tmp_path / "p.yaml").write_text("dq: 2\ndx: 2\ncarried: 0.5\n")
    r = cli("check", "circuit-add-multiply", "a.yaml", "--points", "p.yaml", "--format", "json", cwd=tmp_path)
    graded = json.loads(r.stdout)
    assert r.returncode == 1 and (graded["points"], graded["total"], graded["carried"]) == (1.0, 4.0, 1), graded
