"""How both commands end: one line and an exit status, or a traceback only when asked.

``polster`` and ``polster-lint`` share this so that an error looks, and exits, the same
from either. A :class:`~polster_lint.errors.PolsterError` is the user's to fix: its
message and its exit status. Anything else is a bug in Polster: one line that says so and
how to get the traceback (``--debug``) for a bug report.
"""

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from polster_lint.adapters.output import shown
from polster_lint.errors import USAGE_ERROR, PolsterError

INTERRUPTED = 130
"""Exit status after Ctrl-C, as a shell reports a process stopped by SIGINT."""

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""What stops a command: Ctrl-C, ``kill`` or ``timeout``, a closed terminal."""


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so every clean-up runs."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


def _stop(signal_number: int, frame: object) -> None:
    raise Stopped(signal_number)


@contextmanager
def _stops_unwind() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Stopped` for the block (main thread only;
    a SIGHUP ignored at start, as under ``nohup``, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is not signal.SIG_IGN:
            saved[number] = signal.signal(number, _stop)
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def add_debug_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an internal error (for bug reports)",
    )


@dataclass
class Outcome:
    """The exit status of the command; set by the body, replaced when it fails."""

    status: int = 0


@contextmanager
def report_errors(prog: str, debug: bool = False) -> Iterator[Outcome]:
    """Run a command's body; turn whatever escapes it into one line and an exit status."""
    outcome = Outcome()
    try:
        with _stops_unwind():
            yield outcome
    except PolsterError as error:
        # The message may quote a path or what the user typed: it stays on one line.
        print(f"{prog}: error: {shown(str(error))}", file=sys.stderr)
        outcome.status = error.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        outcome.status = INTERRUPTED
    except Stopped as stop:
        print(f"{prog}: stopped by {signal.Signals(stop.signal_number).name}", file=sys.stderr)
        outcome.status = 128 + stop.signal_number
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        outcome.status = 0
    except Exception as error:  # the promise is: never an unasked-for traceback
        if debug:
            traceback.print_exc()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        hint = "" if debug else " (run again with --debug for the traceback)"
        print(
            f"{prog}: internal error: {type(error).__name__}: {shown(reason)}{hint}",
            file=sys.stderr,
        )
        outcome.status = USAGE_ERROR
