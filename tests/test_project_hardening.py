"""Faults and signals against a generated project: one line, an exit status, nothing left over.

Every fault here is produced for real on a baked project: several first runs started at
once, processes killed with SIGKILL, Ctrl-C sent to the process group the way a terminal
sends it, SIGHUP as when a terminal closes, damaged Delta tables, and full or read-only
filesystems. These tests run as root, which ignores permission bits, so a "read-only"
folder cannot be made with chmod: real read-only and real full filesystems are small tmpfs
mounts instead (the tests that need one are skipped where mounting is not allowed).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import PYTHON, bake, clean_env

RUN_TIMEOUT_SECONDS = 120
UI_READY_TIMEOUT_SECONDS = 120
PORT_FREED_SECONDS = 3
LEFTOVERS_GONE_SECONDS = 10

# Holds the run inside bronze/example for TEST_BRONZE_SECONDS, so that a test can interrupt
# or kill it there; with TEST_BRONZE_IGNORES_INTERRUPTS it also swallows every interrupt,
# like user code stuck in a C extension would.
BRONZE_HOOK = """\
    import os
    import time

    deadline = time.monotonic() + float(os.environ.get("TEST_BRONZE_SECONDS", "0"))
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except BaseException:
            if not os.environ.get("TEST_BRONZE_IGNORES_INTERRUPTS"):
                raise
"""

# Prints the project's Dagster instance as JSON: its runs (newest first) and settings.
INSTANCE_STATE = """
import json
import dagster as dg
with dg.DagsterInstance.get() as instance:
    print(json.dumps({
        "runs": [[run.run_id, run.status.value, dict(run.tags)] for run in instance.get_runs()],
        "run_monitoring": instance.run_monitoring_enabled,
    }))
"""


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def python_env(tmp_path_factory) -> dict[str, str]:
    """The environment for the projects' commands, with bytecode cached between them.

    Without a cache every command compiles Dagster again (PYTHONDONTWRITEBYTECODE may be set
    here); a private cache folder keeps the runs about three times faster and leaves the
    virtual environment untouched. The behaviour under test does not depend on it.
    """
    env = clean_env({"PYTHONPYCACHEPREFIX": str(tmp_path_factory.mktemp("pycache"))})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def new_project(parent: Path) -> Path:
    """A freshly baked local project whose bronze step can be held (see BRONZE_HOOK)."""
    project = bake(parent)
    bronze = project / "src" / "core" / "bronze_example.py"
    source = bronze.read_text()
    anchor = "    orders = generate_orders()\n"
    assert source.count(anchor) == 1
    bronze.write_text(source.replace(anchor, BRONZE_HOOK + anchor))
    return project


def run_command(
    project: Path, env: dict[str, str], *args: str, timeout: float = RUN_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line_error(result: subprocess.CompletedProcess, status: int, *fragments: str) -> str:
    """Exit ``status``, no traceback, and exactly one line on stderr holding ``fragments``."""
    output = result.stdout + result.stderr
    assert result.returncode == status, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def instance_state(project: Path, env: dict[str, str]) -> dict:
    result = run_command(
        project, {**env, "DAGSTER_HOME": str(project / ".dagster")}, "-c", INSTANCE_STATE
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_statuses(project: Path, env: dict[str, str]) -> list[str]:
    """The status of every run in the project's instance, newest first."""
    return [status for _run_id, status, _tags in instance_state(project, env)["runs"]]


def project_processes(project: Path) -> list[tuple[int, str]]:
    """Live processes (not zombies) whose command line names ``project`` or that run in it."""
    marker = str(project)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rpartition(")")[2].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if marker in cmdline or cwd == marker or cwd.startswith(marker + os.sep):
            found.append((int(entry.name), cmdline))
    return found


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_project_processes(project: Path) -> None:
    for pid, _cmdline in project_processes(project):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Runner:
    """``python run_polster.py ARGS`` in a session of its own, its output read as it comes.

    Its own session makes its process group the one a terminal would signal on Ctrl-C.
    """

    def __init__(self, project: Path, env: dict[str, str], *args: str) -> None:
        self.project = project
        self.process = subprocess.Popen(
            [PYTHON, "run_polster.py", *args],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._drain, args=(self.process.stdout, self.stdout)),
            threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def wait_for_line(self, text: str, timeout: float) -> None:
        def printed() -> bool:
            assert self.process.poll() is None, self.output()
            return any(text in line for line in self.stdout)

        assert wait_for(printed, timeout), f"no {text!r} after {timeout} s:\n{self.output()}"

    def worker_pid(self) -> int:
        """The run process run_polster.py started for the run (its hidden --run-process)."""
        for pid, cmdline in project_processes(self.project):
            if "--run-process" in cmdline:
                return pid
        raise AssertionError(f"no run process: {project_processes(self.project)}")

    def finish(self, timeout: float) -> int:
        status = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return status

    def close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def stderr_lines(self) -> list[str]:
        return [line for line in "".join(self.stderr).splitlines() if line.strip()]


@contextlib.contextmanager
def runner(project: Path, env: dict[str, str], *args: str) -> Iterator[Runner]:
    running = Runner(project, env, *args)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(running.process.pid, signal.SIGKILL)
        kill_project_processes(project)
        running.finish(timeout=30)
        running.close()


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``path``: a real full or read-only filesystem."""
    path.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder: Path) -> None:
    """Write into ``folder`` until its filesystem reports that it is full."""
    filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, bytes(4096))
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(filler)


# --- 1: several first runs at once --------------------------------------------------------


def test_first_runs_started_together_all_succeed_and_leave_a_sound_instance(tmp_path, python_env):
    project = new_project(tmp_path)
    runs = [
        subprocess.Popen(
            [PYTHON, "run_polster.py"],
            cwd=project,
            env=python_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=RUN_TIMEOUT_SECONDS) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stdout + stderr
        assert "Traceback" not in stdout + stderr
        assert "done: 3 assets materialized" in stdout
    # Each SQLite database of the instance has exactly one schema version: with two,
    # every later start fails ("more than one head present").
    databases = [
        path for path in (project / ".dagster").rglob("*.db") if "alembic_version" in _tables(path)
    ]
    assert len(databases) >= 3, databases
    for database in databases:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            versions = connection.execute("SELECT * FROM alembic_version").fetchall()
        assert len(versions) == 1, (database, versions)

    again = run_command(project, python_env, "run_polster.py")
    assert again.returncode == 0, again.stdout + again.stderr
    assert run_statuses(project, python_env) == ["SUCCESS"] * 3


def _tables(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


# --- 6: killed runs -----------------------------------------------------------------------


def test_run_of_a_killed_runner_is_marked_failed_by_the_next_start(tmp_path, python_env):
    project = new_project(tmp_path)
    with runner(project, {**python_env, "TEST_BRONZE_SECONDS": "60"}) as running:
        running.wait_for_line("started   bronze/example", RUN_TIMEOUT_SECONDS)
        # Kill the runner and its worker at the same moment: nothing gets to clean up.
        worker = running.worker_pid()
        os.kill(worker, signal.SIGKILL)
        os.kill(running.process.pid, signal.SIGKILL)
        assert running.finish(timeout=30) == -signal.SIGKILL
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS), (
            project_processes(project)
        )

    state = instance_state(project, python_env)
    [[killed_run_id, status, tags]] = state["runs"]
    assert status == "STARTED"  # the fault is real: nothing finished the run
    assert tags["polster/pid"] == str(worker)
    assert tags["polster/host"] == socket.gethostname()
    assert state["run_monitoring"] is True  # the UI's daemon watches runs too

    result = run_command(project, python_env, "run_polster.py")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"marked run {killed_run_id[:8]} as failed" in result.stdout
    assert run_statuses(project, python_env) == ["SUCCESS", "FAILURE"]


def test_killing_only_the_runner_stops_its_run_too(tmp_path, python_env):
    project = new_project(tmp_path)
    with runner(project, {**python_env, "TEST_BRONZE_SECONDS": "60"}) as running:
        running.wait_for_line("started   bronze/example", RUN_TIMEOUT_SECONDS)
        os.kill(running.process.pid, signal.SIGKILL)
        assert running.finish(timeout=30) == -signal.SIGKILL
        # The watchdog notices and stops the worker, which records the run as failed.
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS), (
            project_processes(project)
        )
    assert run_statuses(project, python_env) == ["FAILURE"]
    assert not (project / "data" / "bronze" / "example").exists()


# --- 17: Ctrl-C and other stop signals during a run ---------------------------------------


@pytest.fixture(scope="module")
def materialized(tmp_path_factory, python_env) -> Path:
    """A project whose tables exist, to show that an interrupted run loses none of them."""
    project = new_project(tmp_path_factory.mktemp("interrupted"))
    result = run_command(project, python_env, "run_polster.py")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def table_files(project: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted((project / "data").rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_stop_signal_during_a_run_stops_it_in_one_line(
    materialized, python_env, signum, whole_group
):
    project = materialized
    tables = table_files(project)
    runs_before = len(run_statuses(project, python_env))
    with runner(project, {**python_env, "TEST_BRONZE_SECONDS": "60"}) as running:
        running.wait_for_line("started   bronze/example", RUN_TIMEOUT_SECONDS)
        # Ctrl-C in a terminal signals the whole foreground process group.
        if whole_group:
            os.killpg(running.process.pid, signum)
        else:
            os.kill(running.process.pid, signum)
        status = running.finish(timeout=30)

        assert status == 128 + signum, running.output()
        output = running.output()
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
        assert running.stderr_lines() == ["interrupted: the run was stopped before it finished"]
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS), (
            project_processes(project)
        )

    statuses = run_statuses(project, python_env)
    assert len(statuses) == runs_before + 1
    assert statuses[0] in ("FAILURE", "CANCELED")
    assert table_files(project) == tables


def test_ctrl_c_while_the_runner_starts_is_one_line(materialized, python_env):
    project = materialized
    runs_before = run_statuses(project, python_env)
    with runner(project, python_env) as running:
        time.sleep(1.0)  # the worker is loading Dagster, no run exists yet
        os.killpg(running.process.pid, signal.SIGINT)
        status = running.finish(timeout=30)

        assert status == 130, running.output()
        assert "Traceback" not in running.output()
        [line] = running.stderr_lines()
        assert line.startswith("interrupted")
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS)
    statuses = run_statuses(project, python_env)
    assert "STARTED" not in statuses and "NOT_STARTED" not in statuses
    assert statuses[len(statuses) - len(runs_before) :] == runs_before


def test_ctrl_c_stops_a_run_whose_code_ignores_interrupts(materialized, python_env):
    project = materialized
    env = {**python_env, "TEST_BRONZE_SECONDS": "120", "TEST_BRONZE_IGNORES_INTERRUPTS": "1"}
    with runner(project, env) as running:
        running.wait_for_line("started   bronze/example", RUN_TIMEOUT_SECONDS)
        started = time.monotonic()
        os.killpg(running.process.pid, signal.SIGINT)
        status = running.finish(timeout=60)
        seconds = time.monotonic() - started

        assert status == 130, running.output()
        assert seconds < 30, f"took {seconds:.1f} s to stop"
        assert running.stderr_lines() == ["interrupted: the run was stopped before it finished"]
        assert "Traceback" not in running.output()
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS)
    # The worker had to be killed; the run it left is failed all the same.
    assert run_statuses(project, python_env)[0] == "FAILURE"


# --- 11 (and the second Ctrl-C): the UI ---------------------------------------------------


@pytest.mark.parametrize("how", ["sighup then ctrl-c", "sigkill"])
def test_ui_stopped_by_a_closed_terminal_or_killed_leaves_nothing(tmp_path, python_env, how):
    project = new_project(tmp_path)
    port = free_port()
    with runner(project, python_env, "--no-materialize", "--ui", "--port", str(port)) as ui:
        ui.wait_for_line("Dagster UI ready at", UI_READY_TIMEOUT_SECONDS)
        running = " ".join(cmdline for _pid, cmdline in project_processes(project))
        assert "dagster_webserver" in running and "dagster._daemon" in running, running
        assert not port_is_free(port)

        if how == "sigkill":
            os.kill(ui.process.pid, signal.SIGKILL)
            assert ui.finish(timeout=30) == -signal.SIGKILL
        else:
            os.kill(ui.process.pid, signal.SIGHUP)
            time.sleep(0.3)
            os.kill(ui.process.pid, signal.SIGINT)  # impatient: must not cause a traceback
            assert ui.finish(timeout=30) == 0, ui.output()
            assert "Traceback" not in ui.output(), ui.output()
        stopped = time.monotonic()

        assert wait_for(lambda: port_is_free(port), PORT_FREED_SECONDS), "port still taken"
        assert wait_for(lambda: not project_processes(project), LEFTOVERS_GONE_SECONDS), (
            project_processes(project)
        )
        assert time.monotonic() - stopped < LEFTOVERS_GONE_SECONDS


# --- 8: the UI's address ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_ui_on_an_empty_host_is_refused_at_once(tmp_path, python_env, host):
    project = new_project(tmp_path)
    started = time.monotonic()
    result = run_command(project, python_env, "run_polster.py", "--ui", "--host", host)
    assert time.monotonic() - started < 10
    assert_one_line_error(result, 2, "--host")
    assert not (project / ".dagster").exists()


def test_ui_on_a_host_name_no_resolver_accepts_is_one_line(tmp_path, python_env):
    project = new_project(tmp_path)
    result = run_command(project, python_env, "run_polster.py", "--ui", "--host", "a" * 70)
    assert_one_line_error(result, 2, "is not an address of this machine")


# --- 16: settings and storage faults ------------------------------------------------------


@pytest.fixture(scope="module")
def scripts_project(tmp_path_factory) -> Path:
    return new_project(tmp_path_factory.mktemp("faults"))


@pytest.mark.parametrize("data_dir", ["~no_such_user_anywhere/x", "/dev/null", "/dev/null/tables"])
def test_data_dir_that_cannot_be_a_folder_is_one_line(scripts_project, python_env, data_dir):
    env = {**python_env, "DATA_DIR": data_dir}
    script = run_command(scripts_project, env, "src/core/bronze_example.py")
    assert_one_line_error(script, 1, "DATA_DIR")
    runner_result = run_command(scripts_project, env, "run_polster.py")
    assert_one_line_error(runner_result, 2, "DATA_DIR")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ADLS_BLOB_ENDPOINT", "http://[::1"),
        ("ADLS_BLOB_ENDPOINT", "http://[not-an-address]/"),
        ("DAGSTER_POSTGRES_URL", "postgresql://user:secret@[::1/db"),
        ("DAGSTER_POSTGRES_URL", "postgresql://user:secret@[x]/db"),
    ],
)
def test_a_url_setting_that_cannot_be_parsed_is_one_line(
    scripts_project, python_env, setting, value
):
    env = {
        **python_env,
        "STORAGE_BACKEND": "adls",
        "ADLS_ACCOUNT_NAME": "account",
        "ADLS_CONTAINER": "tables",
        setting: value,
    }
    runner_result = run_command(scripts_project, env, "run_polster.py")
    line = assert_one_line_error(runner_result, 2, setting)
    assert "secret" not in runner_result.stdout + runner_result.stderr, line


def test_read_only_data_dir_is_one_line(scripts_project, python_env, tmp_path):
    with tmpfs(tmp_path / "read_only", "ro,size=1m") as data_dir:
        env = {**python_env, "DATA_DIR": str(data_dir)}
        result = run_command(scripts_project, env, "src/core/bronze_example.py")
    assert_one_line_error(result, 1, "cannot write table bronze/example", "Read-only")


def test_full_data_dir_is_one_line_and_leaves_no_partial_file(
    scripts_project, python_env, tmp_path
):
    with tmpfs(tmp_path / "full", "size=64k") as data_dir:
        (data_dir / "bronze").mkdir()
        fill(data_dir)
        env = {**python_env, "DATA_DIR": str(data_dir)}
        result = run_command(scripts_project, env, "src/core/bronze_example.py")
        leftovers = sorted(path.name for path in (data_dir / "bronze").iterdir())
    assert_one_line_error(result, 1, "cannot write table bronze/example", "No space left")
    assert leftovers == []


@pytest.fixture(scope="module")
def bronze_table(scripts_project, python_env, tmp_path_factory) -> Path:
    """The Delta table bronze/example, as the bronze script writes it."""
    data_dir = tmp_path_factory.mktemp("bronze")
    env = {**python_env, "DATA_DIR": str(data_dir)}
    written = run_command(scripts_project, env, "src/core/bronze_example.py")
    assert written.returncode == 0, written.stderr
    table = data_dir / "bronze" / "example"
    assert DeltaTable(table).to_pyarrow_table().num_rows > 0
    return table


@pytest.mark.parametrize(
    "damage",
    ["data file truncated", "data file garbage", "data file empty", "log garbage", "log empty"],
    ids=str,
)
def test_damaged_table_is_one_line(scripts_project, python_env, bronze_table, tmp_path, damage):
    env = {**python_env, "DATA_DIR": str(tmp_path / "data")}
    table = tmp_path / "data" / "bronze" / "example"
    shutil.copytree(bronze_table, table)
    if damage.startswith("data file"):
        [target] = table.glob("*.parquet")
    else:
        target = table / "_delta_log" / "00000000000000000000.json"
    content = target.read_bytes()
    damaged = {
        "truncated": content[: len(content) // 2],
        "garbage": b"this is not parquet" * 100,
        "empty": b"",
    }[damage.split()[-1]]
    target.write_bytes(damaged)

    result = run_command(scripts_project, env, "src/core/silver_example.py")

    assert_one_line_error(result, 1, "cannot read table bronze/example", "damaged")
    assert target.read_bytes() == damaged  # reading never rewrites the table


def test_unparseable_dagster_yaml_is_one_line_naming_it(tmp_path, python_env):
    project = new_project(tmp_path)
    config = project / ".dagster" / "dagster.yaml"
    config.parent.mkdir()
    config.write_text("telemetry: [\n")
    result = run_command(project, python_env, "run_polster.py")
    assert_one_line_error(result, 2, str(config), "not a valid Dagster instance configuration")
    assert config.read_text() == "telemetry: [\n"


def test_full_disk_under_dagster_home_is_one_line(tmp_path, python_env):
    project = new_project(tmp_path)
    with tmpfs(project / ".dagster", "size=1m") as dagster_home:
        # The configuration is there, so the first write to fail is SQLite's.
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        fill(dagster_home)
        result = run_command(project, python_env, "run_polster.py")
    line = assert_one_line_error(result, 1, "the Dagster instance in", "cannot be used")
    assert line.endswith(("disk I/O error", "database or disk is full")), line
    assert not (project / "data").exists()
