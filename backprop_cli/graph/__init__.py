"""Computational graphs ("circuits", SPEC §5): scalar expressions worked gate by gate.

The rooms: :mod:`.expr` parses an expression (never evaluates it), :mod:`.gates`
is the table of operations, :mod:`.circuit` breaks a node into gates,
:mod:`.problem` validates the file, :mod:`.engine` runs forward and backward
into a :mod:`.trace`; :mod:`.page` lays the worked solution out as blocks,
:mod:`.jsonout` writes the JSON, :mod:`.csvout` the CSV, :mod:`.drawing` the circuit as SVG,
:mod:`.grading` grades answers as networks are graded (:mod:`.replay` works the student's own
numbers, for CARRIED), :mod:`.teaching` reads them, checks gradients and writes new circuits;
:mod:`.commands` is what the command line calls.
"""

from .problem import GraphProblem, is_graph, load_if_graph, read_if_graph

__all__ = ["GraphProblem", "is_graph", "load_if_graph", "read_if_graph"]
