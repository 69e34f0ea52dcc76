"""Run this project's pipeline, and optionally open the Dagster UI.

    python run_polster.py                      # materialize every asset, bronze to gold
    python run_polster.py --ui                 # ... then start the UI and the automation
    python run_polster.py --no-materialize --ui
    python run_polster.py --ui --host 0.0.0.0 --port 3001
    python run_polster.py --partitions 2026-01-01..2026-01-31   # only these days (daily)
    python run_polster.py --maintain           # compact and vacuum every table
    python run_polster.py --worker [--concurrency N] [--queue NAME]   # a Celery worker

Runs are recorded in the project's own Dagster instance (``.dagster/``, SQLite), so the UI
shows the history of every run started here. The UI mode starts the Dagster webserver and
the daemon (which runs the schedule and the automation sensor); Ctrl-C stops both.

Scale-out, by configuration only (see the README): with ``DAGSTER_POSTGRES_URL`` set the
instance lives in Postgres, configured in ``.dagster/postgres/dagster.yaml``, which is
written from the settings at each start; with ``CELERY_BROKER_URL`` set as well, every
step runs on a Celery worker (``--worker``, on this machine or others), while this script
prints the same progress lines from the run's event log. If no worker answers, the run is
not started (or is stopped) after a bounded wait, with one line saying how to start one.
Postgres and Redis are checked before anything starts: a server that cannot be used is
reported in one line, with exit status 2.

Exit status: 0 when everything worked (or the UI was stopped with Ctrl-C), 1 when a run or
a Dagster service failed, 2 for a wrong argument or setting, and 128 + the signal number
when a run was interrupted (130 for Ctrl-C). Errors are reported in one line.

How it works: this script supervises, the work happens in child processes. The run goes
to a run process (this file again, with the hidden ``--run-process`` option), the UI to the
webserver and the daemon. Each child runs in a session of its own, so Ctrl-C or a closing
terminal reaches only this script, which then stops the children in an orderly way:

* Ctrl-C, SIGTERM and SIGHUP stop the run (Dagster marks it as failed) or the UI. A second
  Ctrl-C while stopping kills what is left at once.
* If this script is killed outright (SIGKILL), a small watchdog process (``--watchdog``)
  notices and stops every child, so no webserver keeps holding the port.
* Each run is tagged with the host and process id of its run process. A run whose process has
  gone without finishing it (killed, crashed, the machine rebooted) is marked as failed
  the next time this script starts, and the UI's daemon fails runs that never started.
"""

from __future__ import annotations

import signal
import sys


def _interrupted_while_starting(signum: int, _frame: object) -> None:
    print("interrupted before the run started", file=sys.stderr, flush=True)
    sys.exit(128 + signum)


# Ctrl-C while the script is still importing (a fraction of a second) ends it with one
# line and status 130, as it does later, not with a traceback from Python's import
# machinery; main() installs the real handlers once the imports are done.
if __name__ == "__main__":
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import argparse
import errno
import fcntl
import logging
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol, TextIO

PROJECT_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT / "src"))

from core.paths import DAGSTER_HOME  # noqa: E402
from core.scale_out import (  # noqa: E402
    dagster_home,
    export_environment,
    require_celery,
    server_problem,
    write_instance_yaml,
)
from core.settings import (  # noqa: E402
    CelerySettings,
    SettingsError,
    display_url,
    load_scale_out_settings,
    load_settings,
)

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)

if TYPE_CHECKING:
    import dagster as dg

SCRIPT = Path(__file__).resolve()
WORKSPACE = PROJECT_ROOT / "workspace.yaml"
DAGSTER_CONFIG = DAGSTER_HOME / "dagster.yaml"
INSTANCE_LOCK = DAGSTER_HOME / "instance.lock"

UI_START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
"""How long the UI's processes get to shut down before they are killed."""
RUN_STOP_TIMEOUT_SECONDS = 10
"""How long an interrupted run gets to record its failure before its process is killed."""
WATCHDOG_STOP_TIMEOUT_SECONDS = 3
"""The same, once this script itself is gone: nobody is waiting, the port must be freed."""
WORKER_WAIT_SECONDS = 15
"""How long a run waits for a Celery worker to answer before it gives up, unstarted."""
WORKERS_GONE_SECONDS = 30
"""How long a run on Celery goes on once no worker answers any more, before it is failed."""

INTERRUPTED = 130
"""Exit status of a run process that was asked to stop (128 + SIGINT)."""

# Written once into a new Dagster home: keep the instance local and quiet, and let the
# daemon of the UI mode fail runs that never got started or never finished cancelling.
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_monitoring:
  enabled: true
"""

# Run tags naming the process that executes a run, to tell later whether it is still there.
HOST_TAG = "polster/host"
PID_TAG = "polster/pid"
PROCESS_START_TAG = "polster/process_start"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.run_process:
        return run_process_main(args.run_process, args.partitions)
    if args.watchdog:
        return watchdog_main()
    if args.worker:
        return celery_worker_main(args.concurrency, args.queue or ["dagster"])

    stop = StopRequest()
    problem = _settings_problem() or (_address_problem(args.host, args.port) if args.ui else None)
    if problem:
        _error(problem)
        return 2
    # Where the instance is, and the passwords Dagster reads from the environment, for the
    # children (run process, webserver, daemon) and whatever they start in turn.
    export_environment(load_scale_out_settings())
    children = ChildProcesses(stop)
    try:
        task = "prepare" if args.no_materialize else "maintain" if args.maintain else "materialize"
        status = run_in_child(children, stop, task, args.partitions)
        if status == 0 and args.ui:
            status = serve_ui(children, stop, args.host, args.port)
        return status
    except Interrupted as interrupted:
        _say(interrupted.message, sys.stderr)
        return 128 + interrupted.signal_number
    finally:
        children.close()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Materialize every asset of this project, and optionally open the Dagster UI."
    )
    parser.add_argument("--ui", action="store_true", help="start the Dagster UI and daemon")
    parser.add_argument(
        "--no-materialize", action="store_true", help="skip the run (only with --ui)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="UI address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="UI port (default: 3000)")
    parser.add_argument(
        "--worker",
        action="store_true",
        help="run a Celery worker for this project's steps (needs CELERY_BROKER_URL)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="steps the worker runs at once (default: one per CPU; only with --worker)",
    )
    parser.add_argument(
        "--queue",
        action="append",
        metavar="NAME",
        help="queue the worker takes steps from (default: dagster; repeatable; with --worker)",
    )
    parser.add_argument(
        "--partitions",
        metavar="DAY|FIRST..LAST",
        help="materialize only these partitions, e.g. 2026-01-05 or 2026-01-01..2026-01-31 "
        "(inclusive; default: the sample range; partitioned projects only)",
    )
    parser.add_argument(
        "--maintain",
        action="store_true",
        help="run the table maintenance job (compaction and vacuum) instead of the assets",
    )
    # Used by this script to start its own helper processes (see the module docstring).
    parser.add_argument(
        "--run-process", choices=("prepare", "materialize", "maintain"), help=argparse.SUPPRESS
    )
    parser.add_argument("--watchdog", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.no_materialize and not args.ui:
        parser.error("--no-materialize only makes sense with --ui")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    if args.worker and (args.ui or args.no_materialize):
        parser.error("--worker runs a worker only; start the UI with another command")
    if not args.worker and (args.concurrency is not None or args.queue):
        parser.error("--concurrency and --queue only make sense with --worker")
    if args.concurrency is not None and args.concurrency < 1:
        parser.error(f"--concurrency must be 1 or more, not {args.concurrency}")
    for queue in args.queue or []:
        if not queue.strip() or "," in queue:
            parser.error(f"--queue {queue!r} is not a queue name")
    if args.maintain and (args.ui or args.worker or args.partitions is not None):
        parser.error("--maintain runs the table maintenance only, without other options")
    if args.partitions is not None and (args.no_materialize or args.worker):
        parser.error("--partitions chooses what to materialize; it needs a run")
    if args.partitions is not None and not _partitions_spec_ok(args.partitions):
        parser.error(
            f"--partitions {args.partitions!r}: give one partition key (2026-01-05) or an "
            "inclusive range FIRST..LAST (2026-01-01..2026-01-31)"
        )
    return args


_PARTITION_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.:+-]*[A-Za-z0-9])?")


def _partitions_spec_ok(spec: str) -> bool:
    """Whether ``spec`` is ``KEY`` or ``FIRST..LAST``, each end a whole key.

    A key neither starts nor ends with a dot, so ``2026-01-01..`` (a range without its last
    day) is refused rather than read as one day. Whether the keys exist is checked against
    the definitions.
    """
    return all(_PARTITION_KEY.fullmatch(key) for key in spec.split("..")) and spec.count("..") <= 1


def _settings_problem() -> str | None:
    """Why the settings, or the Postgres and Redis they name, cannot be used; None if fine."""
    try:
        load_settings()
        scale_out = load_scale_out_settings()
    except SettingsError as error:
        return str(error)
    return server_problem(scale_out)


# --- stopping: signals, child processes, the watchdog --------------------------------------


class Interrupted(Exception):
    """Raised by this script itself, between two steps, once a stop signal has arrived."""

    def __init__(self, signal_number: int, message: str) -> None:
        super().__init__(message)
        self.signal_number = signal_number
        self.message = message


class StopRequest:
    """Ctrl-C (SIGINT), SIGTERM and SIGHUP, remembered rather than raised.

    An exception raised wherever the script happens to be (between starting a child and
    recording it, say) could leave a process behind. The loops of this script look at
    :attr:`signal_number` instead. A second signal sets :attr:`hurry`: what is still
    running is then killed at once instead of being given time to shut down.
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self.hurry = False
        # SIGINT is handled even when the script was started with it ignored (as background
        # jobs of a non-interactive shell are); SIGHUP not, so that `nohup` keeps working.
        signal.signal(signal.SIGINT, self._receive)
        signal.signal(signal.SIGTERM, self._receive)
        if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
            signal.signal(signal.SIGHUP, self._receive)

    def _receive(self, signum: int, _frame: FrameType | None) -> None:
        if self.signal_number is None:
            self.signal_number = signum
        else:
            self.hurry = True


class ChildProcesses:
    """The processes this script starts, each in a session (and process group) of its own.

    A group holds a child and everything it starts in turn (code servers, run processes),
    so signalling the group reaches them all. The watchdog is a small process that reads a
    pipe from this script: the groups to watch. When this script ends, however it ends,
    the pipe closes, and the watchdog stops every group still on its list.
    """

    def __init__(self, stop: StopRequest) -> None:
        self._stop = stop
        self._watchdog: subprocess.Popen[str] | None = None

    def start(self, command: list[str], stdout: int | None = None) -> subprocess.Popen[bytes]:
        if self._watchdog is None:
            self._watchdog = subprocess.Popen(
                [sys.executable, str(SCRIPT), "--watchdog"],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            start_new_session=True,
        )
        self._tell_watchdog(f"watch {process.pid}")
        return process

    def stop(self, processes: Iterable[subprocess.Popen[bytes]], timeout: float) -> None:
        """SIGTERM each child's group, wait up to ``timeout`` s, then kill what is left."""
        processes = list(processes)
        for process in processes:
            if process.poll() is None:
                _send(process.pid, signal.SIGTERM, whole_group=True)
        deadline = time.monotonic() + timeout
        while (
            any(process.poll() is None for process in processes)
            and time.monotonic() < deadline
            and not self._stop.hurry
        ):
            time.sleep(0.1)
        for process in processes:
            self.reap(process)

    def reap(self, process: subprocess.Popen[bytes]) -> None:
        """Kill what is left of a child's group (code servers of an exited webserver, say)."""
        _send(process.pid, signal.SIGKILL, whole_group=True)
        process.wait()
        self._tell_watchdog(f"forget {process.pid}")

    def close(self) -> None:
        """Let the watchdog go: everything it watched has been stopped."""
        if self._watchdog is not None:
            try:
                self._watchdog.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
            try:
                self._watchdog.wait(timeout=WATCHDOG_STOP_TIMEOUT_SECONDS + 5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()

    def _tell_watchdog(self, line: str) -> None:
        try:
            self._watchdog.stdin.write(line + "\n")  # type: ignore[union-attr]
            self._watchdog.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass  # the watchdog is gone; this script still stops its children itself


def watchdog_main() -> int:
    """Stop the groups run_polster.py asks to watch, once run_polster.py has ended.

    Its input is a pipe from run_polster.py with lines ``watch PGID`` and ``forget PGID``.
    The pipe reaches its end when run_polster.py exits, even by SIGKILL, which no signal
    handler sees; the groups still watched are then stopped like on Ctrl-C.
    """
    groups: set[int] = set()
    for line in sys.stdin:
        verb, _, group = line.partition(" ")
        if verb == "watch":
            groups.add(int(group))
        elif verb == "forget":
            groups.discard(int(group))
    for group in groups:
        _send(group, signal.SIGTERM, whole_group=True)
    deadline = time.monotonic() + WATCHDOG_STOP_TIMEOUT_SECONDS
    while any(_group_exists(group) for group in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    for group in groups:
        _send(group, signal.SIGKILL, whole_group=True)
    return 0


def _send(pid: int, signum: signal.Signals, whole_group: bool) -> None:
    try:
        if whole_group:
            os.killpg(pid, signum)  # the children are group leaders: group id == pid
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


# --- a Celery worker -----------------------------------------------------------------------


def celery_worker_main(concurrency: int | None, queues: list[str]) -> int:
    """``--worker``: check the settings and servers, then run a Celery worker until stopped."""
    try:
        load_settings()
        scale_out = load_scale_out_settings()
        celery = require_celery(scale_out)
    except SettingsError as error:
        _error(str(error))
        return 2
    problem = server_problem(scale_out)
    if problem:
        _error(problem)
        return 2
    export_environment(scale_out)
    try:
        # Loaded once here, before Celery starts its processes, which then inherit it.
        from orchestration import definitions, workers  # noqa: F401
    except Exception as error:  # any error in user code: report it on one line
        _error(f"cannot load the Dagster definitions: {_describe(error)}")
        return 1
    return workers.start_worker(celery, queues, concurrency)


# --- the run, supervised from this process ---------------------------------------------


def run_in_child(
    children: ChildProcesses, stop: StopRequest, task: str, partitions: str | None = None
) -> int:
    """Prepare the instance (and materialize everything) in a run process; return its status."""
    if stop.signal_number is not None:
        raise Interrupted(stop.signal_number, "interrupted before the run started")
    selection = ["--partitions", partitions] if partitions is not None else []
    child = children.start([sys.executable, str(SCRIPT), "--run-process", task, *selection])
    while child.poll() is None and stop.signal_number is None:
        time.sleep(0.1)
    if stop.signal_number is None:
        children.reap(child)
        return _run_process_status(child.returncode, task)

    # Ask the run process to stop the run (see RunStop), and ask again every second: a request
    # that arrives just before Dagster starts listening for interrupts would go unheard.
    deadline = time.monotonic() + RUN_STOP_TIMEOUT_SECONDS
    next_request = 0.0
    while child.poll() is None and time.monotonic() < deadline and not stop.hurry:
        if time.monotonic() >= next_request:
            _send(child.pid, signal.SIGUSR1, whole_group=False)
            next_request = time.monotonic() + 1
        time.sleep(0.05)
    children.reap(child)  # kills it if it is still there
    if child.returncode == -signal.SIGKILL and not stop.hurry:
        # Killed, so its run is still "started": a new run process marks it as failed.
        settler = children.start(
            [sys.executable, str(SCRIPT), "--run-process", "prepare"], stdout=subprocess.DEVNULL
        )
        while settler.poll() is None and not stop.hurry:
            time.sleep(0.1)
        children.reap(settler)
    if task == "prepare":
        message = "interrupted while preparing the Dagster instance"
    elif child.returncode == 0:
        message = "interrupted, but the run had already finished"
    else:
        message = "interrupted: the run was stopped before it finished"
    raise Interrupted(stop.signal_number, message)


def _run_process_status(returncode: int, task: str) -> int:
    """The exit status for a run process that ended by itself; one line if it was killed.

    A run process killed by a signal nobody here sent (the kernel's out-of-memory killer,
    ``kill -9``, a crash) printed nothing, and its negative status would leave this script
    as 256 minus the signal number.
    """
    if returncode >= 0:
        return returncode
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
    what = {"prepare": "preparing the Dagster instance", "maintain": "the table maintenance"}
    _error(
        f"the run process was killed by {name}{hint} during {what.get(task, 'the run')}; "
        "every table keeps its last committed version: run the same command again"
    )
    return 1


# --- the run process: the Dagster instance and the run ------------------------------------


class RunStop:
    """How the run process learns that run_polster.py wants the run stopped.

    run_polster.py sends SIGUSR1 (and the watchdog SIGTERM). The handler only takes note,
    which mutes the progress report and makes the process stop at its next step. While
    Dagster executes the run it listens for SIGINT itself, so the request is passed on as
    a SIGINT: Dagster then interrupts the running step and records the run as failed.
    Outside that window nothing is raised: an exception thrown into whatever code happens
    to run (a garbage collector callback, say) can be swallowed, or leave things half done.
    """

    requested = False

    @classmethod
    def listen(cls) -> None:
        for signum in (signal.SIGUSR1, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, cls._receive)

    @classmethod
    def _receive(cls, _signum: int, _frame: FrameType | None) -> None:
        cls.requested = True
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            signal.raise_signal(signal.SIGINT)  # Dagster's handler is in place


class InstanceConfigError(Exception):
    """``.dagster/dagster.yaml`` cannot be read as a Dagster instance configuration."""


def run_process_main(task: str, partitions: str | None = None) -> int:
    """Open (or create) the instance and, for ``materialize``, run every asset in it."""
    RunStop.listen()
    try:
        with open_instance() as instance:
            if task == "materialize" and not RunStop.requested:
                return materialize_all(instance, partitions)
            if task == "maintain" and not RunStop.requested:
                return maintain_all(instance)
        return INTERRUPTED if RunStop.requested else 0
    except KeyboardInterrupt:  # a SIGINT sent to the run process by hand
        return INTERRUPTED
    except InstanceConfigError as error:
        _error(str(error))
        return 2
    except Exception as error:
        fault = _storage_fault(error)
        if fault is None:
            _error(f"unexpected failure: {_describe(error)}")
        else:
            _error(f"the Dagster instance in {_instance_place()} cannot be used: {fault}")
        return 1


def _instance_place() -> str:
    """Where the instance keeps its runs: the SQLite folder, or the Postgres database."""
    try:
        postgres = load_scale_out_settings().postgres
    except SettingsError:
        postgres = None
    return f"Postgres ({postgres.url(scheme='postgresql')})" if postgres else str(DAGSTER_HOME)


@contextmanager
def open_instance() -> Iterator[dg.DagsterInstance]:
    """The project's Dagster instance; created, and cleaned of dead runs, under a lock.

    Opening a new instance creates its SQLite tables. Two processes doing that at once (two
    first runs started together) both create them, and the instance can stay broken for
    good ("more than one head present"). Hence the lock: the first process creates the
    tables, the others wait and then find them. The UI's webserver and daemon only start
    once a run process has opened the instance, so they never create it.
    """
    import dagster as dg

    scale_out = load_scale_out_settings()
    export_environment(scale_out)
    config = dagster_home(scale_out) / "dagster.yaml"
    with ExitStack() as stack:
        with _instance_lock():
            if scale_out.postgres:
                # Derived from the settings at each start (no password in it): see
                # core/scale_out.py. The SQLite instance's file is left as it is.
                write_instance_yaml(scale_out)
            elif not DAGSTER_CONFIG.exists():
                temporary = DAGSTER_CONFIG.with_suffix(".tmp")
                temporary.write_text(DAGSTER_YAML)
                temporary.replace(DAGSTER_CONFIG)
            try:
                instance = stack.enter_context(dg.DagsterInstance.get())
            except Exception as error:
                if _storage_fault(error) is not None:
                    raise
                raise InstanceConfigError(
                    f"{config} is not a valid Dagster instance configuration "
                    f"({_one_line(error)}); fix it, or delete it to get the default one back"
                ) from None
            fail_abandoned_runs(instance)  # under the lock, so that each is reported once
        yield instance


@contextmanager
def _instance_lock() -> Iterator[None]:
    DAGSTER_HOME.mkdir(exist_ok=True)
    with INSTANCE_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
        yield


def _storage_fault(error: BaseException) -> str | None:
    """The cause, if ``error`` comes from a failing disk or database (not from a bug)."""
    seen: BaseException | None = error
    for _ in range(10):  # chains are short; the bound only guards against a cycle
        if seen is None:
            return None
        if isinstance(seen, sqlite3.Error):  # SQLAlchemy chains the sqlite3 error it wraps
            return _one_line(seen)
        if type(seen).__module__.startswith("psycopg2"):  # the same with Postgres
            return _one_line(seen).removeprefix("FATAL:").strip()
        if isinstance(seen, OSError):
            return seen.strerror or _one_line(seen)
        seen = seen.__cause__ or seen.__context__
    return None


# --- dead runs ------------------------------------------------------------------------------


def _unfinished_statuses() -> list[dg.DagsterRunStatus]:
    import dagster as dg

    status = dg.DagsterRunStatus
    return [status.NOT_STARTED, status.STARTING, status.STARTED, status.CANCELING]


def _run_tags() -> dict[str, str]:
    """Tags that say which process executes a run (see :func:`fail_abandoned_runs`)."""
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    process_start = _process_start(os.getpid())
    if process_start:
        tags[PROCESS_START_TAG] = process_start
    return tags


def fail_abandoned_runs(instance: dg.DagsterInstance) -> None:
    """Mark runs of this script as failed when the process that ran them is gone.

    A run process that is killed, or a machine that stops, leaves its run "started" for ever:
    nothing else would ever finish it. Only runs started on this host are looked at.
    """
    import dagster as dg

    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=_unfinished_statuses(), tags={HOST_TAG: socket.gethostname()}
        )
    )
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0"))
        if _process_alive(pid, run.tags.get(PROCESS_START_TAG)):
            continue
        message = f"The process that ran this run (pid {pid}) ended without finishing it."
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message)
            outcome = "canceled"
        else:
            instance.report_run_failed(run, message)
            outcome = "failed"
        _say(f"marked run {run.run_id[:8]} as {outcome}: its process (pid {pid}) had ended")


def _process_alive(pid: int, process_start: str | None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user's process
    # A process id is reused sooner or later: compare start times where they are known.
    return process_start is None or _process_start(pid) in (None, process_start)


def _process_start(pid: int) -> str | None:
    """When the process started, in clock ticks since boot (Linux; None elsewhere or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    state, start_time = fields[0], fields[19]
    return None if state == "Z" else start_time


# --- materialize ------------------------------------------------------------------------


def materialize_all(instance: dg.DagsterInstance, partitions: str | None = None) -> int:
    """Materialize every asset in dependency order; 0 when all assets and checks pass.

    For partitioned assets, one run covers every partition asked for (``--partitions``,
    else the sample range): each asset's step processes the whole range at once.
    """
    celery = load_scale_out_settings().celery
    if celery is not None:
        return materialize_on_workers(instance, celery, partitions)
    try:
        from orchestration.definitions import defs

        job = defs.resolve_implicit_global_asset_job_def()
    except Exception as error:  # any error in user code: report it on one line
        _error(f"cannot load the Dagster definitions: {_describe(error)}")
        return 1
    try:
        range_tags, partition_count = partition_range(job, partitions)
    except PartitionsError as error:
        _error(str(error))
        return 2

    asset_names = [spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()]
    progress = ProgressReport(asset_names, partition_count)
    job = job.with_logger_defs({"progress": progress.logger()})
    if RunStop.requested:  # loading the definitions takes a moment
        return INTERRUPTED
    result = job.execute_in_process(
        instance=instance,
        tags={**_run_tags(), **range_tags},
        raise_on_error=False,
        # Naming a logger in the run config replaces Dagster's verbose console logger.
        run_config={"loggers": {"progress": {}}},
    )
    if RunStop.requested or progress.interrupted:
        return 0 if result.success else INTERRUPTED  # run_polster.py reports it
    return progress.finish(run_succeeded=result.success)


class PartitionsError(Exception):
    """``--partitions`` names partitions the project does not have; the message says which."""


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range(job: dg.JobDefinition, spec: str | None) -> tuple[dict[str, str], int]:
    """The run tags that make one run cover the partitions asked for, and how many those are.

    ``spec`` is ``KEY`` or an inclusive ``FIRST..LAST``; without it, the project's sample
    range (``SAMPLE_PARTITIONS`` in ``orchestration/utils.py``), else every partition.
    Unpartitioned projects get no tags, and refuse a ``spec``.
    """
    partitions_def = job.partitions_def
    if partitions_def is None:
        if spec is not None:
            raise PartitionsError(
                "--partitions: this project's assets are not partitioned (it was made with "
                "partitioning none); run python run_polster.py without it"
            )
        return {}, 0
    keys = partitions_def.get_partition_keys()
    if not keys:
        raise PartitionsError("the project's partitions definition has no partitions yet")
    if spec is None:
        from orchestration import utils

        sample = getattr(utils, "SAMPLE_PARTITIONS", None)
        first, last = (sample.start, sample.end) if sample is not None else (keys[0], keys[-1])
    else:
        first, _, last = spec.partition("..")
        last = last or first
    for key in (first, last):
        if key not in keys:
            raise PartitionsError(
                f"--partitions: {key} is not a partition of this project "
                f"(they run from {keys[0]} to {keys[-1]})"
            )
    start, end = keys.index(first), keys.index(last)
    if start > end:
        raise PartitionsError(f"--partitions: {first} comes after {last}; write FIRST..LAST")
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}, end - start + 1


def maintain_all(instance: dg.DagsterInstance) -> int:
    """Run the ``table_maintenance`` job (compaction and vacuum of every table) here."""
    started = time.monotonic()
    try:
        from orchestration.definitions import defs

        job = defs.resolve_job_def("table_maintenance")
    except Exception as error:  # any error in user code: report it on one line
        _error(f"cannot load the Dagster definitions: {_describe(error)}")
        return 1
    report = MaintenanceReport()
    result = job.with_logger_defs({"maintenance": report.logger()}).execute_in_process(
        instance=instance,
        tags=_run_tags(),
        raise_on_error=False,
        run_config={"loggers": {"maintenance": {}}},
    )
    if RunStop.requested:
        return 0 if result.success else INTERRUPTED
    if not result.success:
        _error(f"maintenance failed: {report.failure or 'the run failed'}")
        return 1
    _say(f"done: {report.tables} tables maintained in {time.monotonic() - started:.1f} s")
    return 0


class MaintenanceReport:
    """Prints the maintenance job's own log lines, one per table, and keeps its failure."""

    def __init__(self) -> None:
        self.tables = 0
        self.failure: str | None = None

    def logger(self) -> dg.LoggerDefinition:
        import dagster as dg

        report = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                meta = getattr(record, "dagster_meta", None) or {}
                event = getattr(record, "dagster_event", None)
                if event is not None:
                    if event.event_type_value == "STEP_FAILURE":
                        report.failure = _root_cause(event.step_failure_data.error)
                elif record.levelno == logging.INFO and meta.get("orig_message"):
                    report.tables += 1
                    _say(f"maintained {meta['orig_message']}")

        @dg.logger(description="Prints the table maintenance of run_polster.py --maintain")
        def maintenance_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
            logger = logging.Logger("run_polster_maintenance", level=logging.DEBUG)
            logger.addHandler(_Handler())
            return logger

        return maintenance_logger


def materialize_on_workers(
    instance: dg.DagsterInstance, celery: CelerySettings, partitions: str | None = None
) -> int:
    """Materialize every asset with each step on a Celery worker; 0 when all passed.

    This process orchestrates the run (dagster-celery's executor queues each step once its
    upstream steps are done) and prints the progress from the run's event log, where the
    workers record their steps. No worker: no run, after WORKER_WAIT_SECONDS.
    """
    import dagster as dg

    try:
        from orchestration import workers
        from orchestration.definitions import defs

        job = defs.resolve_implicit_global_asset_job_def()
    except Exception as error:  # any error in user code: report it on one line
        _error(f"cannot load the Dagster definitions: {_describe(error)}")
        return 1
    try:
        range_tags, partition_count = partition_range(job, partitions)
    except PartitionsError as error:
        _error(str(error))
        return 2
    asset_names = [spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()]
    app = workers.celery_app(celery)
    missing = workers.wait_for_workers(app, workers.step_queues(job), WORKER_WAIT_SECONDS)
    if missing:
        _error(missing)
        return 1
    if RunStop.requested:
        return INTERRUPTED

    progress = ProgressReport(asset_names, partition_count)
    tags = {**_run_tags(), **range_tags}
    watcher = RunWatcher(instance, tags, progress, lambda: bool(workers.queues_served(app)))
    watcher.start()
    try:
        with dg.execute_job(
            workers.asset_job_pointer(PROJECT_ROOT / "src"),
            instance=instance,
            tags=tags,
            run_config=workers.QUIET_RUN_CONFIG,
        ) as result:
            succeeded = result.success
    finally:
        watcher.stop()
    if RunStop.requested or progress.interrupted:
        return 0 if succeeded else INTERRUPTED  # run_polster.py reports it
    return progress.finish(run_succeeded=succeeded)


class RunWatcher:
    """Follows a run on Celery from its event log, and makes sure some worker is still there.

    A thread reads the events the workers record and hands them to the progress report.
    Every few seconds it also asks the workers to answer; when none has answered for
    WORKERS_GONE_SECONDS, nothing would ever finish the run's steps: the run is marked as
    failed and this process ends, with one line saying how to start a worker.
    """

    POLL_SECONDS = 0.25
    PING_SECONDS = 5.0

    def __init__(
        self,
        instance: dg.DagsterInstance,
        tags: dict[str, str],
        progress: ProgressReport,
        workers_answer: Callable[[], bool],
    ) -> None:
        self._instance = instance
        self._tags = tags
        self._progress = progress
        self._workers_answer = workers_answer
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="run-watcher", daemon=True)
        self._run_id: str | None = None
        self._cursor: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, after reporting the events recorded until now."""
        self._stopping.set()
        self._thread.join()
        self._read_events()

    def _watch(self) -> None:
        last_answer = time.monotonic()
        next_ping = last_answer + self.PING_SECONDS
        while not self._stopping.wait(self.POLL_SECONDS):
            self._read_events()
            if time.monotonic() < next_ping:
                continue
            try:
                answered = self._workers_answer()
            except Exception:  # the broker itself is gone: no worker can answer either
                answered = False
            now = time.monotonic()
            next_ping = now + self.PING_SECONDS
            if answered:
                last_answer = now
            elif now - last_answer >= WORKERS_GONE_SECONDS and not self._stopping.is_set():
                self._give_up()

    def _read_events(self) -> None:
        import dagster as dg

        if self._run_id is None:
            runs = self._instance.get_runs(filters=dg.RunsFilter(tags=self._tags), limit=1)
            if not runs:
                return
            self._run_id = runs[0].run_id
        while True:
            page = self._instance.get_records_for_run(self._run_id, cursor=self._cursor)
            for record in page.records:
                entry = record.event_log_entry
                if entry.dagster_event is not None:
                    self._progress.on_event(entry.dagster_event, at=entry.timestamp)
            self._cursor = page.cursor
            if not page.has_more:
                return

    def _give_up(self) -> None:
        broker = display_url(os.environ.get("CELERY_BROKER_URL", ""))
        message = (
            f"no Celery worker has answered on {broker} for {WORKERS_GONE_SECONDS} s, so the "
            "run's steps cannot finish; start one with: python run_polster.py --worker"
        )
        run = self._instance.get_run_by_id(self._run_id) if self._run_id else None
        if run is not None and not run.is_finished:
            self._instance.report_run_failed(run, message)
        _error(f"run failed: {message}")
        os._exit(1)  # the executor would wait for the lost steps for ever


class ProgressReport:
    """Prints one line per asset event as the run goes: started, finished, check, failed.

    Plain lines, no colours, so the output reads the same in a terminal and in a CI log.
    A partitioned run also counts the partitions materialized against the run's total
    (partitions x assets): on a terminal as a progress bar kept on the last line, in a log
    as a plain line after each step. Once the run is interrupted it stays silent:
    run_polster.py reports the interruption in one line.
    """

    def __init__(self, asset_names: list[str], partitions: int = 0) -> None:
        self.asset_names = asset_names
        self.partitions = partitions
        self.partitions_total = partitions * len(asset_names)
        self.partitions_done = 0
        self.bar = partitions > 0 and sys.stdout.isatty()
        self._bar_shown = False
        self.started_at: dict[str, float] = {}
        self.rows: dict[str, int] = {}
        self.finished: list[str] = []
        self.materialized: list[str] = []
        self.failures: list[str] = []
        self.interrupted = False
        self.run_started = time.monotonic()

    def logger(self) -> dg.LoggerDefinition:
        import dagster as dg

        report = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                # Dagster attaches the structured event to each log record it emits.
                event = getattr(record, "dagster_event", None)
                if event is not None:
                    report.on_event(event)

        @dg.logger(description="Prints concise per-asset progress of run_polster.py")
        def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
            logger = logging.Logger("run_polster", level=logging.DEBUG)
            logger.addHandler(_Handler())
            return logger

        return progress_logger

    def on_event(self, event: dg.DagsterEvent, at: float | None = None) -> None:
        """Report ``event``; ``at`` is when it happened (a timestamp), if not just now."""
        if self.interrupted or RunStop.requested:
            return
        now = time.time() if at is None else at
        kind = event.event_type_value
        step = event.step_key
        asset = _asset_name(step)
        if kind == "STEP_START":
            # Twice for a step whose Celery worker was lost: another worker took it over.
            self._line(f"{'restarted' if step in self.started_at else 'started  '} {asset}")
            self.started_at[step] = now
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            row_count = materialization.metadata.get("dagster/row_count")
            if row_count is not None:  # per partition in a partitioned run: add them up
                self.rows[step] = self.rows.get(step, 0) + row_count.value
            self.materialized.append(asset)
            if self.partitions and materialization.partition is not None:
                self.partitions_done += 1
                self._draw_bar()
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            outcome = "passed" if evaluation.passed else "FAILED"
            self._line(f"check     {asset} {evaluation.check_name}: {outcome}")
            if not evaluation.passed:
                self.failures.append(f"check {evaluation.check_name} on {asset}")
        elif kind == "STEP_SUCCESS":
            seconds = now - self.started_at.get(step, now)
            rows = f"{self.rows[step]:,} rows" if step in self.rows else "done"
            self._line(f"finished  {asset}: {rows} in {seconds:.2f} s")
            self.finished.append(asset)
            if self.partitions and not self.bar:
                self._line(f"progress  {self._count()}")
        elif kind == "STEP_FAILURE":
            error = event.step_failure_data.error
            if error.cls_name == "DagsterAssetCheckFailedError":
                return  # the failed blocking check was reported just above
            if error.cls_name == "DagsterExecutionInterruptedError":
                self.interrupted = True  # the watchdog stopped the run (SIGTERM)
                return
            cause = _root_cause(error)
            self._line(f"FAILED    {asset}: {cause}")
            self.failures.append(f"asset {asset} ({cause})")

    def finish(self, run_succeeded: bool) -> int:
        self._clear_bar()
        seconds = time.monotonic() - self.run_started
        if self.failures or not run_succeeded:
            failed = "; ".join(self.failures) or "the run failed"
            missing = sorted(set(self.asset_names) - set(self.materialized))
            counted = f" ({self._count()})" if self.partitions else ""
            _error(
                f"run failed after {seconds:.1f} s: {failed}; "
                f"not materialized: {', '.join(missing) or 'none'}{counted}"
            )
            return 1
        each = f" ({self.partitions} partitions each)" if self.partitions else ""
        _say(f"done: {len(self.finished)} assets materialized{each} in {seconds:.1f} s")
        return 0

    def _count(self) -> str:
        return f"{self.partitions_done}/{self.partitions_total} partitions"

    def _line(self, text: str) -> None:
        """Print a line above the progress bar (which is drawn again below it)."""
        shown = self._bar_shown
        self._clear_bar()
        _say(text)
        if shown:
            self._draw_bar()

    def _draw_bar(self) -> None:
        if not self.bar:
            return
        width = 30
        filled = width * self.partitions_done // max(self.partitions_total, 1)
        bar = "#" * filled + "." * (width - filled)
        try:
            sys.stdout.write(f"\r[{bar}] {self._count()}")
            sys.stdout.flush()
        except OSError:
            return
        self._bar_shown = True

    def _clear_bar(self) -> None:
        if self._bar_shown:
            try:
                sys.stdout.write("\r\x1b[K")
                sys.stdout.flush()
            except OSError:
                pass
            self._bar_shown = False


def _asset_name(step_key: str | None) -> str:
    # Dagster names an asset's step after its key joined with "__": bronze__example.
    return (step_key or "run").replace("__", "/")


def _describe(error: BaseException) -> str:
    """``Type: message (file:line)`` for the innermost frame of a Python exception."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {_one_line(error)}{where}"


def _one_line(error: BaseException) -> str:
    """The message of ``error`` squeezed into one line."""
    return " ".join(str(error).split()) or type(error).__name__


# The project's own errors already read as a sentence; their class name adds nothing.
OWN_ERRORS = {
    "SettingsError",
    "StorageError",
    "TableNotFoundError",
    "InvalidTableError",
    "SchemaChangeError",
    "AuditFailedError",
}


class _ErrorInfo(Protocol):
    """What Dagster records of an exception (its SerializableErrorInfo)."""

    message: str
    cls_name: str | None
    cause: _ErrorInfo | None


def _root_cause(error: _ErrorInfo) -> str:
    """The innermost error of a Dagster error chain, as one line."""
    while error.cause is not None:
        error = error.cause
    line = error.message.strip().splitlines()[-1]
    if error.cls_name in OWN_ERRORS:
        return line.split(f"{error.cls_name}: ", 1)[-1]
    return line


# --- UI ---------------------------------------------------------------------------------


def serve_ui(children: ChildProcesses, stop: StopRequest, host: str, port: int) -> int:
    """Run the webserver and daemon until Ctrl-C (or SIGTERM, SIGHUP), then stop both."""
    commands = {
        "webserver": [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-w",
            str(WORKSPACE),
            "-h",
            host,
            "-p",
            str(port),
        ],
        "daemon": [sys.executable, "-m", "dagster._daemon", "run", "-w", str(WORKSPACE)],
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            processes[name] = children.start(command)
        url = _ui_url(host, port)
        if not _wait_until_ready(url, processes, stop):
            return 1
        if stop.signal_number is None:
            _say(f"Dagster UI ready at {url} (Ctrl-C to stop)")
        while stop.signal_number is None:
            for name, process in processes.items():
                if process.poll() is not None:
                    _error(f"the Dagster {name} stopped unexpectedly")
                    return 1
            time.sleep(0.5)
        _say("\nstopping the Dagster UI ...")
        return 0
    finally:
        children.stop(processes.values(), STOP_TIMEOUT_SECONDS)


def _ui_url(host: str, port: int) -> str:
    """Where this machine reaches the UI: wildcard addresses become loopback ones."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _wait_until_ready(
    url: str, processes: dict[str, subprocess.Popen[bytes]], stop: StopRequest
) -> bool:
    """True once the UI answers; False (after saying why) if it cannot start."""
    deadline = time.monotonic() + UI_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if stop.signal_number is not None:
            return True  # the caller stops everything
        for name, process in processes.items():
            if process.poll() is not None:
                _error(f"the Dagster {name} exited during start-up")
                return False
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    _error(f"the Dagster UI did not answer at {url} within {UI_START_TIMEOUT_SECONDS} s")
    return False


def _address_problem(host: str, port: int) -> str | None:
    """Why the UI cannot listen on host:port (checked before anything is started)."""
    if not host.strip():
        return "--host is empty: give an address, such as 127.0.0.1 or 0.0.0.0 (all of them)"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except (socket.gaierror, UnicodeError):
            return f"--host {host!r} is not an address of this machine"
        except PermissionError:
            return f"port {port} needs more privileges; pick a --port above 1023"
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"{host}:{port} is already in use; stop what runs there or use --port"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def _say(line: str, stream: TextIO | None = None) -> None:
    """Print one line; a terminal or pipe that was closed meanwhile is no reason to fail."""
    try:
        print(line, file=stream or sys.stdout, flush=True)
    except OSError:
        pass


def _error(message: str) -> None:
    _say(f"error: {message}", sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
