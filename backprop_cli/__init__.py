"""backprop: worked solutions of forward and backward propagation.

The engine is pure and usable from Python::

    from backprop_cli import load, run
    trace = run(load("problem.yaml"))
"""

from .engine import run
from .validate import from_dict, load, loads

__all__ = ["load", "loads", "from_dict", "run"]
