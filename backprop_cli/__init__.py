"""backprop: worked solutions of forward and backward propagation.

The engine is pure and usable from Python::

    from backprop_cli import load, run
    trace = run(load("problem.yaml"))

and, for notebooks, ``solve`` and ``train`` (backprop_cli.api) give the worked page::

    from backprop_cli import solve
    solve("mazur-2-2-2")
"""

__all__ = ["load", "loads", "from_dict", "run", "solve", "train", "check"]

_HOMES = {
    "run": "engine",
    "load": "validate",
    "loads": "validate",
    "from_dict": "validate",
    "solve": "api",
    "train": "api",
    "check": "api",
}


def __getattr__(name: str):
    """Each name is imported from its module on first use: importing the package runs nothing, so that the
    command's launcher (launch.py) can report an install that cannot start, and notebooks load only what they use."""
    import importlib

    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    if not name.startswith("__"):  # a submodule used as an attribute (backprop_cli.engine.run), as before
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
