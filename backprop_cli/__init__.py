"""backprop: worked solutions of forward and backward propagation.

The engine is pure and usable from Python::

    from backprop_cli import load, run
    trace = run(load("problem.yaml"))

and, for notebooks, ``solve`` and ``train`` (backprop_cli.api) give the worked page::

    from backprop_cli import solve
    solve("mazur-2-2-2")
"""

from .engine import run
from .validate import from_dict, load, loads

__all__ = ["load", "loads", "from_dict", "run", "solve", "train"]


def __getattr__(name: str):
    """solve and train are imported on first use: importing the package stays cheap for the command line."""
    if name in ("solve", "train"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
