"""Where output goes, and how it gets there without losing a file or leaving one half written.

* ``--output FILE`` (and ``--plot``, ``draw -o``) is checked before any work:
  an empty name, a folder, a missing or unwritable folder, the problem file
  itself (also when it comes in on standard input: ``step -o p.yaml < p.yaml``),
  or the same file named twice are refused with the option named (exit 2).
* A regular file is written to a short hidden temporary name beside it and
  renamed into place: a Ctrl-C, a SIGTERM or a full disk leaves the old file
  as it was and no temporary file behind. The new file gets the mode the old
  one had, or 0666 less the umask (0644 under the usual 022).
* A device or a FIFO (/dev/null, /dev/stdout, a named pipe) is written
  directly: it is never replaced by a regular file.
* Standard output: a write that fails (a full disk, /dev/full) is an error
  (exit 1); a reader that goes away (``| head``) ends the command quietly; a
  Ctrl-C while the output is being written lets it finish (a second Ctrl-C
  stops at once), so that a JSON document is never cut in half.
* The process starts sane: closed standard streams are noticed (and their
  descriptors held by /dev/null, so that no output file takes their place),
  a non-UTF-8 terminal gets escapes instead of a crash, a ``COLUMNS`` that is
  not a width is ignored, and SIGTERM unwinds (removing temporary files).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
from collections.abc import Iterator
from typing import IO

from .errors import EXIT_USAGE, EXIT_WRITE_FAILED, OutputError, Terminated

CLOSED: set[int] = set()
"""The standard descriptors (0, 1, 2) that were closed when the command started."""
MIN_COLUMNS = 20


# --------------------------------------------------------------------------- the process


def prepare_process() -> None:
    """Closed streams, encodings, COLUMNS and SIGTERM, once at start."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            CLOSED.add(fd)
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
    if 2 in CLOSED or sys.stderr is None:
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    if 0 in CLOSED or sys.stdin is None:
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    if 1 in CLOSED or sys.stdout is None:
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        if "utf" not in (getattr(stream, "encoding", "") or "").lower().replace("-", ""):
            with contextlib.suppress(AttributeError, ValueError, OSError):
                if stream is sys.stdout and not stream.isatty():
                    stream.reconfigure(encoding="utf-8")  # a file or a pipe: the UTF-8 the formats promise
                else:
                    stream.reconfigure(errors="backslashreplace")  # a terminal that cannot show δ shows \u03b4
    columns = os.environ.get("COLUMNS")
    if columns is not None and not (columns.isdigit() and int(columns) >= MIN_COLUMNS):
        del os.environ["COLUMNS"]  # COLUMNS=0 would make every line empty
    with contextlib.suppress(ValueError):  # not the main thread (tests): leave signals alone
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def die_of_sigterm() -> None:
    """After unwinding, end as a process killed by SIGTERM, as the sender expects."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def silence_stdout() -> None:
    """The reader went away or the disk is full: throw away what is still buffered, so exit is quiet."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def stdout_closed_but_needed(args: list[str]) -> bool:
    """Standard output was closed and the command line does not send the output elsewhere."""
    if 1 not in CLOSED:
        return False
    return not any(a in ("-o", "--output") or a.startswith(("--output=", "-o")) or a in ("-h", "--help") for a in args)


# --------------------------------------------------------------------------- checking a target before the work


def _same(path: str, other: str) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _stdin_is(path: str) -> bool:
    try:
        a, b = os.fstat(0), os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(a.st_mode) and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_target(
    path: str, option: str = "--output", input_name: str | None = None, others: dict[str, str | None] | None = None
) -> None:
    """Refuse (exit 2) a place where ``option`` cannot or must not write, before any work is done."""
    shown = repr(path) if not path.strip() else path
    if not path.strip():
        raise OutputError(f"{option} {shown}: an empty file name; expected a file name such as answer.json")
    if "\x00" in path:
        raise OutputError(f"{option} {path!r}: a file name with a NUL character; expected a file name")
    if path.endswith(os.sep) or os.path.isdir(path):
        raise OutputError(
            f"{option} {path}: a folder; expected a file name (such as {path.rstrip(os.sep)}/answer.json)"
        )
    if input_name == "<stdin>" and _stdin_is(path):
        raise OutputError(f"{option} {path}: the problem read from standard input is that file; choose another file")
    if input_name and _same(input_name, path):
        raise OutputError(f"{option} {path} is the problem file itself; choose another file")
    for other_option, other in (others or {}).items():
        if other and (other == path or _same(other, path)):
            raise OutputError(f"{option} {path} is also the file of {other_option}; choose two different files")
    if os.path.exists(path):
        if not _regular(path):
            return  # a device or a FIFO: written directly
        if not os.access(path, os.W_OK):
            raise OutputError(f"{option} {path}: a file without permission to write it; expected a file you may write")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(
            f"{option} {path}: the folder {os.path.dirname(path) or folder} does not exist; create it first"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: no permission to write in the folder {folder}")


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # absent (or a dangling link): created as a regular file


def _mode(target: str) -> int:
    """The mode the written file gets: the old file's, or 0666 less the umask."""
    try:
        st = os.stat(target)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# --------------------------------------------------------------------------- writing


def _write_failed(what: str, e: OSError) -> OutputError:
    return OutputError(
        f"cannot write {what}: {e.strerror or e}",
        exit_code=EXIT_WRITE_FAILED if e.errno != errno.ENOENT else EXIT_USAGE,
    )


@contextlib.contextmanager
def open_output(path: str | None, input_name: str | None = None, option: str = "--output") -> Iterator[IO[str]]:
    """Standard output, or FILE: written beside it and renamed into place on success (see the module)."""
    if path is None:
        if 1 in CLOSED:
            raise OutputError("standard output is closed; give --output FILE")
        with finish_on_first_interrupt():
            yield sys.stdout
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as e:
                silence_stdout()
                raise _write_failed("standard output", e) from None
        return
    check_target(path, option, input_name)
    if not _regular(path):
        try:
            with open(path, "w", encoding="utf-8") as out:
                yield out
        except BrokenPipeError:
            return  # a FIFO whose reader went away
        except OSError as e:
            raise _write_failed(f"{option} {path}", e) from None
        return
    target = os.path.realpath(path)  # through a symbolic link, which stays a link
    try:
        import tempfile  # only when a file is written: not on the start-up path of every run

        fd, tmp = tempfile.mkstemp(prefix=".backprop-", suffix=".tmp", dir=os.path.dirname(target))
    except OSError as e:
        raise _write_failed(f"{option} {path}", e) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            os.fchmod(out.fileno(), _mode(target))
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
            raise _write_failed(f"{option} {path}", e) from None
        raise


@contextlib.contextmanager
def finish_on_first_interrupt() -> Iterator[None]:
    """While output is written: the first Ctrl-C lets it finish (then exit 130), a second one stops at once."""
    interrupted = []

    def first(signum, frame):
        interrupted.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, first)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt
