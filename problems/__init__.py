"""Worked examples, installed as the package ``backprop_cli.problems`` (see pyproject.toml)."""
