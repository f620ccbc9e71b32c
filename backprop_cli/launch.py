"""The ``backprop`` command's entry point: the CLI, or one line when the install cannot even start.

An error while the CLI is imported (NumPy built for another Python, a package
left out of the install) would otherwise be a traceback, before cli.py's own
handler of bugs (exit 70) exists.
"""

import os
import sys

EXIT_INTERNAL = 70  # errors.EXIT_INTERNAL, written here as the import of errors may be what fails


def main() -> None:
    try:
        from .cli import main as cli_main
    except Exception as e:
        if os.environ.get("BACKPROP_DEBUG"):
            raise
        sys.stderr.write(
            f"backprop: cannot start ({type(e).__name__}: {e}). The installation is broken or incomplete: "
            "reinstall it (pip install --force-reinstall backprop-cli, or pip install . in the source tree); "
            "BACKPROP_DEBUG=1 shows where it happened.\n"
        )
        sys.exit(EXIT_INTERNAL)
    cli_main()
