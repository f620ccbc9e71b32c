"""The one place this package imports the page's block types and the renderers' entry points.

(If the block types move, say to render/blocks.py, only this file changes.)
"""

from ..render.blocks import Eq, Eqs, Heading, Matrix, Para, Table, note, text  # noqa: F401
from ..render.mathtext import DOT, EMPTY, M, Numbers, fill, join, paren  # noqa: F401
from ..render.worksheet import BLANK  # noqa: F401


def renderer(fmt: str):
    """``render_blocks(blocks, out)`` of the rich, markdown or latex renderer."""
    import importlib

    from ..render import FORMATS

    return importlib.import_module(f"backprop_cli.render.{FORMATS[fmt]}").render_blocks
