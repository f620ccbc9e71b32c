"""Watching a long run from the command line: progress, Ctrl-C, --until-loss, and NDJSON as it goes.

The engine stays pure: it only calls ``on_epoch`` after each epoch and asks
``should_stop`` before each update. This module gives it those two callables,
and owns the terminal: a progress bar on standard error when that is a
terminal and the run lasts more than about a second, and a SIGINT handler
that turns Ctrl-C into a clean stop after the update in progress.
"""

from __future__ import annotations

import signal
import sys
import time
from typing import IO

SHOW_AFTER = 1.0  # seconds before a progress bar appears
REFRESH = 0.1  # seconds between its updates


class Watch:
    """The callbacks of one run, and what it needs to report when it ends."""

    def __init__(
        self,
        problem,
        until_loss: float | None = None,
        progress: bool = False,
        ndjson: IO[str] | None = None,
        record: bool = False,
    ):
        self.problem = problem
        self.until_loss = until_loss
        self.want_progress = progress
        self.ndjson = ndjson
        self.record = record
        self.reason: str | None = None
        self.interrupted = False
        self.last_loss: float | None = None
        self._bar = None
        self._task = None
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._previous_handler = None

    # ----------------------------------------------------------------- the engine's callbacks

    def on_epoch(self, rec) -> None:
        self.last_loss = rec.loss_after
        if self.ndjson is not None:
            from .render.jsontrace import dumps, epoch_dict

            self.ndjson.write(dumps(epoch_dict(self.problem, rec)) + "\n")
            self.ndjson.flush()
        if self.until_loss is not None and not rec.partial:
            # The perceptron rule stops at the first epoch without a mistake (SPEC §4.6): its own loss.
            which, loss = (
                ("of epoch", rec.loss) if self.problem.rule == "perceptron" else ("after epoch", rec.loss_after)
            )
            if loss <= self.until_loss:
                self.reason = f"the loss {which} {rec.epoch} is {loss:.6g}, at most --until-loss {self.until_loss:g}"
        if self.want_progress:
            self._draw(rec.epoch)

    def should_stop(self) -> str | None:
        return self.reason

    # ----------------------------------------------------------------- Ctrl-C

    def __enter__(self) -> Watch:
        try:
            self._previous_handler = signal.signal(signal.SIGINT, self._on_sigint)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self._previous_handler = None
        return self

    def __exit__(self, *exc) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
        if self._bar is not None:
            self._bar.stop()

    def _on_sigint(self, signum, frame) -> None:
        self.interrupted = True
        self.reason = "interrupted (Ctrl-C)"
        # a second Ctrl-C stops at once
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # ----------------------------------------------------------------- the progress bar

    def _draw(self, epoch: int) -> None:
        now = time.monotonic()
        if now - self._start < SHOW_AFTER or (now - self._last_draw < REFRESH and epoch < self.problem.epochs):
            return
        self._last_draw = now
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("epochs"),
                TextColumn("loss {task.fields[loss]}"),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._task = self._bar.add_task("train", total=self.problem.epochs, loss="")
            self._bar.start()
        self._bar.update(self._task, completed=epoch, loss=f"{self.last_loss:.6g}")

    # ----------------------------------------------------------------- the end

    def final_ndjson_line(self, trace) -> None:
        from .problem import to_dict
        from .render.jsontrace import dumps

        line = {
            "format": "backprop-trace-end",
            "version": 2 if trace.problem.is_v2 else 1,  # as the whole trace says (SPEC §4)
            "epochs_done": len(trace.epochs),
            "next_problem": to_dict(trace.next_problem),
        }
        if trace.stopped:
            line["stopped"] = trace.stopped
        self.ndjson.write(dumps(line) + "\n")
        self.ndjson.flush()

    def summary(self, trace) -> str | None:
        """A line for standard error when the run ended before its last epoch."""
        if not trace.stopped:
            return None
        last = trace.epochs[-1] if trace.epochs else None
        where = (
            "before the first epoch ended"
            if last is None
            else f"during epoch {last.epoch}"
            if last.partial
            else f"after epoch {last.epoch}"
        )
        return f"stopped {where} of {self.problem.epochs}: {trace.stopped}; next_problem continues from there"
