"""Run this project's pipeline, and optionally open the Dagster UI.

    python run_polster.py                      # materialize every asset, bronze to gold
    python run_polster.py --ui                 # ... then start the UI and the automation
    python run_polster.py --no-materialize --ui
    python run_polster.py --ui --host 0.0.0.0 --port 3001

Runs are recorded in the project's own Dagster instance (``.dagster/``, SQLite), so the UI
shows the history of every run started here. The UI mode starts the Dagster webserver and
the daemon (which runs the schedule and the automation sensor); Ctrl-C stops both.
"""

import argparse
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT / "src"))

from core.paths import DAGSTER_HOME  # noqa: E402
from core.settings import SettingsError, load_settings  # noqa: E402

WORKSPACE = PROJECT_ROOT / "workspace.yaml"
UI_START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15

# Written once into a new Dagster home: keep the instance local and quiet.
DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problem = _address_problem(args.host, args.port) if args.ui else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    _prepare_dagster_home()
    if not args.no_materialize:
        status = materialize_all()
        if status != 0:
            return status
    if args.ui:
        return serve_ui(args.host, args.port)
    return 0


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
    args = parser.parse_args(argv)
    if args.no_materialize and not args.ui:
        parser.error("--no-materialize only makes sense with --ui")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    return args


def _prepare_dagster_home() -> None:
    """Create the project's Dagster instance, its config and its SQLite storage.

    The storage is created here, once, before anything else uses it: the webserver and the
    daemon start at the same time, and on a new project both would create the same SQLite
    tables; one then fails ("alembic_version already exists") and the UI does not start.
    """
    import dagster as dg

    DAGSTER_HOME.mkdir(exist_ok=True)
    config = DAGSTER_HOME / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(DAGSTER_HOME)
    with dg.DagsterInstance.get():
        pass


# --- materialize ------------------------------------------------------------------------


def materialize_all() -> int:
    """Materialize every asset in dependency order; 0 when all assets and checks pass."""
    import dagster as dg

    try:
        from orchestration.definitions import defs
    except Exception as error:  # any error in user code: report it on one line
        print(f"error: cannot load the Dagster definitions: {_describe(error)}", file=sys.stderr)
        return 1

    asset_names = [spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()]
    progress = ProgressReport(asset_names)
    job = defs.resolve_implicit_global_asset_job_def().with_logger_defs(
        {"progress": progress.logger()}
    )
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # Naming a logger in the run config replaces Dagster's verbose console logger.
            run_config={"loggers": {"progress": {}}},
        )
    return progress.finish(run_succeeded=result.success)


class ProgressReport:
    """Prints one line per asset event as the run goes: started, finished, check, failed.

    Plain lines, no colours or cursor tricks, so the output reads the same in a
    terminal and in a CI log.
    """

    def __init__(self, asset_names: list[str]) -> None:
        self.asset_names = asset_names
        self.started_at: dict[str, float] = {}
        self.rows: dict[str, int] = {}
        self.finished: list[str] = []
        self.materialized: list[str] = []
        self.failures: list[str] = []
        self.run_started = time.monotonic()

    def logger(self):
        import dagster as dg

        report = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                # Dagster attaches the structured event to each log record it emits.
                event = getattr(record, "dagster_event", None)
                if event is not None:
                    report.on_event(event)

        @dg.logger(description="Prints concise per-asset progress of run_polster.py")
        def progress_logger(_init_context) -> logging.Logger:
            logger = logging.Logger("run_polster", level=logging.DEBUG)
            logger.addHandler(_Handler())
            return logger

        return progress_logger

    def on_event(self, event) -> None:
        kind = event.event_type_value
        step = event.step_key
        asset = _asset_name(step)
        if kind == "STEP_START":
            self.started_at[step] = time.monotonic()
            self._say(f"started   {asset}")
        elif kind == "ASSET_MATERIALIZATION":
            row_count = event.event_specific_data.materialization.metadata.get("dagster/row_count")
            if row_count is not None:
                self.rows[step] = row_count.value
            self.materialized.append(asset)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            outcome = "passed" if evaluation.passed else "FAILED"
            self._say(f"check     {asset} {evaluation.check_name}: {outcome}")
            if not evaluation.passed:
                self.failures.append(f"check {evaluation.check_name} on {asset}")
        elif kind == "STEP_SUCCESS":
            seconds = time.monotonic() - self.started_at.get(step, time.monotonic())
            rows = f"{self.rows[step]:,} rows" if step in self.rows else "done"
            self._say(f"finished  {asset}: {rows} in {seconds:.2f} s")
            self.finished.append(asset)
        elif kind == "STEP_FAILURE":
            error = event.step_failure_data.error
            if error.cls_name == "DagsterAssetCheckFailedError":
                return  # the failed blocking check was reported just above
            cause = _root_cause(error)
            self._say(f"FAILED    {asset}: {cause}")
            self.failures.append(f"asset {asset} ({cause})")

    def finish(self, run_succeeded: bool) -> int:
        seconds = time.monotonic() - self.run_started
        if self.failures or not run_succeeded:
            failed = "; ".join(self.failures) or "the run failed"
            missing = sorted(set(self.asset_names) - set(self.materialized))
            print(
                f"error: run failed after {seconds:.1f} s: {failed}; "
                f"not materialized: {', '.join(missing)}",
                file=sys.stderr,
            )
            return 1
        self._say(f"done: {len(self.finished)} assets materialized in {seconds:.1f} s")
        return 0

    @staticmethod
    def _say(line: str) -> None:
        print(line, flush=True)


def _asset_name(step_key: str | None) -> str:
    # Dagster names an asset's step after its key joined with "__": bronze__example.
    return (step_key or "run").replace("__", "/")


def _describe(error: BaseException) -> str:
    """``Type: message (file:line)`` for the innermost frame of a Python exception."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}{where}"


# The project's own errors already read as a sentence; their class name adds nothing.
OWN_ERRORS = {"SettingsError", "StorageError", "TableNotFoundError", "InvalidTableError"}


def _root_cause(error) -> str:
    """The innermost error of a Dagster error chain, as one line."""
    while error.cause is not None:
        error = error.cause
    line = error.message.strip().splitlines()[-1]
    if error.cls_name in OWN_ERRORS:
        return line.split(f"{error.cls_name}: ", 1)[-1]
    return line


# --- UI ---------------------------------------------------------------------------------


def serve_ui(host: str, port: int) -> int:
    """Run the webserver and daemon until Ctrl-C (or SIGTERM), then stop both."""
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
    # Ctrl-C must stop the UI even when this script was started with SIGINT ignored (as
    # background jobs of a non-interactive shell are), so both handlers are set here.
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands.items():
            # Each child gets its own process group, so that stopping it also stops the
            # code servers it spawns, whatever the terminal does with Ctrl-C.
            processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        if not _wait_until_ready(url, processes):
            return 1
        print(f"Dagster UI ready at {url} (Ctrl-C to stop)", flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"error: the Dagster {name} stopped unexpectedly", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping the Dagster UI ...", flush=True)
        return 0
    finally:
        _stop(processes.values())


def _wait_until_ready(url: str, processes: dict[str, subprocess.Popen]) -> bool:
    deadline = time.monotonic() + UI_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"error: the Dagster {name} exited during start-up", file=sys.stderr)
                return False
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    print(
        f"error: the Dagster UI did not answer at {url} within {UI_START_TIMEOUT_SECONDS} s",
        file=sys.stderr,
    )
    return False


def _stop(processes) -> None:
    processes = [process for process in processes if process.poll() is None]
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        # Also catches grandchildren (code servers) still alive after their parent exited.
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _address_problem(host: str, port: int) -> str | None:
    """Why the UI cannot listen on host:port (checked before anything is started)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            return f"--host {host!r} is not an address of this machine"
        except PermissionError:
            return f"port {port} needs more privileges; pick a --port above 1023"
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"{host}:{port} is already in use; stop what runs there or use --port"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
