"""The shipped JSON Schema: current with the code, and accepting every bundled example."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
import yaml

from backprop_cli import examples
from backprop_cli.schema import problem_schema

jsonschema = pytest.importorskip("jsonschema")


def shipped() -> dict:
    return json.loads(resources.files("backprop_cli").joinpath("problem.schema.json").read_text())


def test_shipped_schema_equals_the_generated_one():
    """The shipped schema is the generated one. Regenerate it with:

    python -c 'from backprop_cli.schema import schema_text; print(schema_text(), end="")' \\
        > backprop_cli/problem.schema.json
    """
    assert shipped() == problem_schema()


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(shipped())


@pytest.mark.parametrize("name", examples.names())
def test_schema_accepts_every_example(name):
    data = yaml.safe_load(examples.path(name).read_text())
    jsonschema.validate(data, shipped(), cls=jsonschema.Draft202012Validator)


def test_schema_refuses_an_unknown_key_and_an_unknown_loss():
    good = yaml.safe_load(examples.path("mazur-2-2-2").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "learning_rat": 0.5}, shipped())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "loss": "l2"}, shipped())


def test_backprop_schema_prints_it():
    out = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "schema"], capture_output=True, text=True, timeout=60
    ).stdout
    assert json.loads(out) == shipped()
