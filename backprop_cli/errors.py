"""The errors a user can meet, and the exit status each one means.

This is the one place where exit codes are defined. The engine raises these
exceptions and never exits; the CLI turns them into a message on standard
error and the exit status below (see ``cli.BackpropGroup``).
"""

from typing import NamedTuple

EXIT_OK = 0
"""The solution or training run was written."""
EXIT_NONFINITE = 1
"""A computation produced NaN or an infinity (the message names where)."""
EXIT_CHECK_FAILED = 1
"""backprop check found a wrong answer; backprop gradcheck found a gradient outside the tolerance."""
EXIT_WRITE_FAILED = 1
"""The output could not be written on the way (a full disk, /dev/full); the target was left as it was."""
EXIT_USAGE = 2
"""Bad usage of the command line, or a problem file that was refused."""
EXIT_INTERNAL = 70
"""A bug in backprop (sysexits' EX_SOFTWARE): one line says so; BACKPROP_DEBUG=1 shows the traceback."""
EXIT_INTERRUPTED = 130
"""The run was stopped by Ctrl-C; the output written is complete up to the update in progress.

(128 + SIGINT, as shells report it.)
"""


class BackpropError(Exception):
    """Base class: an error caused by the user's input, not by a bug."""

    exit_code = EXIT_USAGE


class Issue(NamedTuple):
    """One thing wrong with a problem file.

    ``line`` and ``column`` count from 1 and are ``None`` when the problem did
    not come from text (a Python dict).
    """

    source: str
    line: int | None
    column: int | None
    key: str
    found: str
    expected: str

    def __str__(self) -> str:
        where = _short(self.source)
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        key = f" {_short(self.key)}:" if self.key else ""
        return f"{where}:{key} found {self.found}; expected {self.expected}"


MAX_SHOWN = 20
"""Issues printed at most; the rest are counted ("and 9,980 more problems like these")."""
LONGEST_NAME = 80
"""A key or file name longer than this is shortened in messages (the start and the end are kept)."""


def _short(text: str) -> str:
    return text if len(text) <= LONGEST_NAME else f"{text[:50]}…{text[-20:]} ({len(text):,} characters)"


class ProblemError(BackpropError):
    """The problem file was refused before anything was computed (exit 2).

    Carries every issue found, so a user can fix them all in one go.
    """

    exit_code = EXIT_USAGE

    def __init__(self, issues: list[Issue] | Issue, more: int = 0):
        issues = [issues] if isinstance(issues, Issue) else list(issues)
        # in the order of the file, so a user can fix them top to bottom; at most MAX_SHOWN of them
        issues = sorted(issues, key=lambda i: (i.line is None, i.line or 0, i.column or 0))
        self.issues = issues[:MAX_SHOWN]
        self.more = more + len(issues) - len(self.issues)
        more = self.more
        lines = [str(i) for i in self.issues]
        if more:
            lines.append(
                f"{_short(self.issues[0].source)}: and {more:,} more problem{'s' if more > 1 else ''} "
                "like these (fix these first)"
            )
        super().__init__("\n".join(lines))


class NonFiniteError(BackpropError):
    """A value became NaN or infinite during the run (exit 1).

    ``partial`` holds the trace computed up to the failure, so that a renderer
    can still write what was computed so far.
    """

    exit_code = EXIT_NONFINITE

    def __init__(self, epoch: int, step: int | None, layer: int | None, quantity: str, partial=None):
        self.epoch, self.step, self.layer, self.quantity = epoch, step, layer, quantity
        self.partial = partial
        where = f"epoch {epoch}, update {step}" if step is not None else f"epoch {epoch}, after its last update"
        if layer is not None:
            where += f", layer {layer}"
        super().__init__(
            f"{where}: {quantity} is not finite (NaN or infinity); "
            "the weights or the learning rate are probably too large"
        )


class OutputError(BackpropError):
    """The output cannot be written where it was asked: a missing folder, a full disk, a closed stream.

    Exit 2 when refused before any work (the command line named an impossible
    place), exit 1 when writing failed on the way (the disk filled up).
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        self.exit_code = exit_code
        super().__init__(message)


class Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporary files), then die of the signal as the sender expects."""


def key_name(path: tuple) -> str:
    """A key path as users read it: layers[2].weights (list indices count from 1)."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += ("." if out else "") + str(p)
    return out
