"""End-to-end tests of a generated project's scripts and of ``run_polster.py``.

Nothing is mocked: projects are made with ``polster init`` and their commands run as
subprocesses with this interpreter, exactly as the generated README tells a user to run
them. Tables are read back with pyarrow, run history from the project's own Dagster home,
and the UI is reached over HTTP. Every test that starts the UI kills whatever is left of
it in a ``finally``, and checks through ``/proc`` that nothing of the project keeps running.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import POLSTER, PYTHON, clean_env, run, tree_snapshot

TABLES = ("bronze/example", "silver/example", "gold/example")
UI_READY_TIMEOUT_SECONDS = 120
UI_STOP_TIMEOUT_SECONDS = 30
LEFTOVER_GRACE_SECONDS = 3

# Prints the runs in the Dagster instance named by DAGSTER_HOME as JSON [[run_id, status]].
# Run in a subprocess: importing Dagster here would slow every test and mix its warnings
# into pytest's (which turns warnings into errors).
LIST_RUNS = """
import json
import dagster as dg
with dg.DagsterInstance.get() as instance:
    print(json.dumps([[run.run_id, run.status.value] for run in instance.get_runs()]))
"""

RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status } } } }"


# --- helpers ----------------------------------------------------------------------------


def polster_init(parent: Path, name: str, *options: str) -> Path:
    """Make ``parent/name`` with ``polster init``, with a private HOME; return the project."""
    parent.mkdir(parents=True, exist_ok=True)
    command = [POLSTER, "init", name, "--no-input", "--output-dir", str(parent), *options]
    result = run(command, cwd=parent, env={"HOME": str(_home(parent))})
    assert result.returncode == 0, result.stderr
    project = parent / name
    assert (project / "run_polster.py").is_file()
    return project.resolve()


def _home(parent: Path) -> Path:
    home = parent / "home"
    home.mkdir(exist_ok=True)
    return home


def project_env(project: Path, **extra: str) -> dict[str, str]:
    """The environment a user would have: no leaked settings, a private HOME."""
    return {"HOME": str(_home(project.parent)), **extra}


def run_python(
    project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``python ARGS...`` in the project folder, as the README shows it."""
    return run(
        [PYTHON, *args], cwd=project, env=project_env(project, **(env or {})), timeout=timeout
    )


def stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def instance_runs(project: Path) -> list[list[str]]:
    """``[run_id, status]`` of every run recorded in the project's ``.dagster`` home."""
    dagster_home = project / ".dagster"
    assert (dagster_home / "dagster.yaml").is_file(), "the project has no Dagster home"
    result = run(
        [PYTHON, "-c", LIST_RUNS],
        cwd=project,
        env=project_env(project, DAGSTER_HOME=str(dagster_home)),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def table_rows(project: Path, table: str) -> int:
    return DeltaTable(project / "data" / table).to_pyarrow_table().num_rows


def is_table(path: Path) -> bool:
    """Whether ``path`` holds a Delta table (the storage of a generated project)."""
    return (path / "_delta_log").is_dir()


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project_processes(project: Path) -> list[tuple[int, str]]:
    """Live processes whose command line names ``project`` or that run inside it."""
    marker = str(project)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        if marker in cmdline or cwd == marker or cwd.startswith(marker + os.sep):
            found.append((int(entry.name), cmdline.strip()))
    return found


def leftover_processes(project: Path) -> list[tuple[int, str]]:
    """Project processes still alive after a short grace period (killed ones need a moment)."""
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while (found := project_processes(project)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def http_get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


class BackgroundRunner:
    """``python run_polster.py ARGS...`` running in its own session, output collected live.

    Reader threads drain both pipes, so the webserver and daemon (which inherit them)
    never block on a full pipe while the test waits.
    """

    def __init__(self, project: Path, *args: str) -> None:
        self.project = project
        self.process = subprocess.Popen(
            [PYTHON, "run_polster.py", *args],
            cwd=project,
            env=clean_env(project_env(project)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=_drain, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=_drain, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def wait_for_line(self, text: str, timeout: float) -> str:
        """The first stdout line containing ``text``; fail if the runner exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stdout):
                if text in line:
                    return line.strip()
            if self.process.poll() is not None:
                self._join_readers()
                pytest.fail(
                    f"run_polster.py exited with {self.process.returncode} before printing "
                    f"{text!r}; stderr tail:\n{''.join(self.stderr)[-3000:]}"
                )
            time.sleep(0.1)
        pytest.fail(f"run_polster.py printed no {text!r} within {timeout} s")

    def kill_everything(self) -> None:
        """Kill the runner's group and any process of the project still alive."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        for pid, _cmdline in project_processes(self.project):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._join_readers()

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)

    def close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


def _drain(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


@contextlib.contextmanager
def background_runner(project: Path, *args: str):
    runner = BackgroundRunner(project, *args)
    try:
        yield runner
    finally:
        runner.kill_everything()
        runner.close()


def stop_with_ctrl_c(runner: BackgroundRunner) -> int:
    """Send SIGINT to the runner process only, as Ctrl-C would; return its exit status."""
    os.kill(runner.process.pid, signal.SIGINT)
    try:
        return runner.process.wait(timeout=UI_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"run_polster.py still running {UI_STOP_TIMEOUT_SECONDS} s after Ctrl-C")


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def untouched(tmp_path_factory) -> Path:
    """A fresh local project shared by the tests whose commands must write nothing."""
    return polster_init(tmp_path_factory.mktemp("untouched"), "untouched_sales")


# --- the README's quickstart ------------------------------------------------------------


def test_quickstart_scripts_then_runner_write_all_tables_and_record_the_run(tmp_path):
    project = polster_init(tmp_path, "sales_analytics")

    script_rows = {}
    for table in TABLES:
        layer = table.split("/")[0]
        result = run_python(project, f"src/core/{layer}_example.py")
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        lines = result.stdout.splitlines()
        assert len(lines) == 1, result.stdout
        match = re.match(rf"{table}: wrote ([\d,]+) rows x \d+ columns to file://", lines[0])
        assert match, lines[0]
        script_rows[table] = int(match.group(1).replace(",", ""))
        assert table_rows(project, table) == script_rows[table]

    result = run_python(project, "run_polster.py")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    reported = {
        match.group(1): int(match.group(2).replace(",", ""))
        for match in re.finditer(r"^finished\s+(\S+): ([\d,]+) rows in ", result.stdout, re.M)
    }
    assert set(reported) == set(TABLES), result.stdout
    for table in TABLES:
        assert is_table(project / "data" / table)
        assert table_rows(project, table) == reported[table]
        # The data is seeded: the runner rebuilds exactly what the scripts wrote.
        assert reported[table] == script_rows[table]
    assert re.search(r"^done: 3 assets materialized in ", result.stdout, re.M), result.stdout

    runs = instance_runs(project)
    assert [status for _run_id, status in runs] == ["SUCCESS"]


# --- errors: one line, the right exit status, nothing written ----------------------------


def test_silver_script_before_bronze_exists_fails_with_one_line(untouched):
    before = tree_snapshot(untouched)
    result = run_python(untouched, "src/core/silver_example.py")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "bronze/example" in lines[0]
    assert "Traceback" not in result.stderr
    assert tree_snapshot(untouched) == before


def test_unknown_storage_backend_in_environment_exits_2(untouched):
    before = tree_snapshot(untouched)
    result = run_python(untouched, "run_polster.py", env={"STORAGE_BACKEND": "s3"})
    assert result.returncode == 2
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "STORAGE_BACKEND" in lines[0]
    assert not (untouched / "data").exists()
    assert tree_snapshot(untouched) == before


def test_adls_project_with_generated_env_names_the_missing_account(tmp_path):
    project = polster_init(tmp_path, "lake_sales", "--storage", "adls")
    env_lines = (project / ".env").read_text().splitlines()
    assert "STORAGE_BACKEND=adls" in env_lines
    assert "ADLS_ACCOUNT_NAME=" in env_lines
    assert "ADLS_CONNECTION_STRING=" in env_lines
    before = tree_snapshot(project)

    result = run_python(project, "run_polster.py")

    assert result.returncode == 2
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "ADLS_ACCOUNT_NAME" in lines[0]
    assert tree_snapshot(project) == before


def test_no_materialize_without_ui_is_a_usage_error(untouched):
    before = tree_snapshot(untouched)
    result = run_python(untouched, "run_polster.py", "--no-materialize")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage:" in result.stderr
    assert "--no-materialize" in stderr_lines(result)[-1]
    assert tree_snapshot(untouched) == before


def test_ui_on_an_unknown_host_is_one_line_exit_2(untouched):
    before = tree_snapshot(untouched)
    result = run_python(untouched, "run_polster.py", "--ui", "--host", "no-such-host.invalid")
    assert result.returncode == 2
    assert stderr_lines(result) == [
        "error: --host 'no-such-host.invalid' is not an address of this machine"
    ]
    assert tree_snapshot(untouched) == before


def test_ui_on_a_busy_port_fails_fast_and_starts_nothing(untouched):
    before = tree_snapshot(untouched)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = run_python(untouched, "run_polster.py", "--ui", "--port", str(port), timeout=30)
        elapsed = time.monotonic() - started
        leftovers = leftover_processes(untouched)

    assert result.returncode != 0
    assert elapsed < 10, f"took {elapsed:.1f} s to notice the busy port"
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "in use" in lines[0]
    assert leftovers == []
    assert tree_snapshot(untouched) == before


# --- the UI -----------------------------------------------------------------------------


def test_ui_on_a_fresh_project_starts_answers_and_stops_on_ctrl_c(tmp_path):
    # A new project has no Dagster storage yet: the webserver and the daemon must still
    # both come up, whatever the automation sensor starts meanwhile.
    project = polster_init(tmp_path, "fresh_sales")
    port = free_port()
    with background_runner(project, "--no-materialize", "--ui", "--port", str(port)) as runner:
        ready = runner.wait_for_line("ready at", UI_READY_TIMEOUT_SECONDS)
        assert f"http://127.0.0.1:{port}" in ready
        # Both processes creating the new instance storage at once showed up here as
        # tracebacks ("alembic_version already exists"), or stopped the webserver.
        startup = "".join(runner.stdout + runner.stderr)
        assert "Traceback" not in startup, startup[-3000:]
        assert http_get(f"http://127.0.0.1:{port}/server_info") == 200
        # The /proc scan sees the UI's processes, so its empty answer below means something.
        running = " ".join(cmdline for _pid, cmdline in project_processes(project))
        assert "dagster_webserver" in running and "dagster._daemon" in running, running

        status = stop_with_ctrl_c(runner)

        assert status == 0, "".join(runner.stderr)[-3000:]
        assert leftover_processes(project) == []


def test_ui_shows_the_history_of_an_earlier_run(tmp_path):
    project = polster_init(tmp_path, "history_sales")
    result = run_python(project, "run_polster.py")
    assert result.returncode == 0, result.stderr
    [[earlier_run_id, earlier_status]] = instance_runs(project)
    assert earlier_status == "SUCCESS"

    port = free_port()
    with background_runner(project, "--no-materialize", "--ui", "--port", str(port)) as runner:
        runner.wait_for_line("ready at", UI_READY_TIMEOUT_SECONDS)
        runs = graphql(port, RUNS_QUERY)["runsOrError"]["results"]
        assert {"runId": earlier_run_id, "status": "SUCCESS"} in runs, runs

        assert stop_with_ctrl_c(runner) == 0, "".join(runner.stderr)[-3000:]
        assert leftover_processes(project) == []


# --- a failing quality check ------------------------------------------------------------


def test_failing_blocking_check_stops_gold(tmp_path):
    project = polster_init(tmp_path, "dirty_sales")
    silver = project / "src" / "core" / "silver_example.py"
    dedupe = '    orders = orders.drop_duplicates(subset="order_id", keep="first")\n'
    source = silver.read_text()
    assert source.count(dedupe) == 1
    silver.write_text(source.replace(dedupe, "    orders = orders  # duplicates kept on purpose\n"))

    result = run_python(project, "run_polster.py")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"^check\s+silver/example unique_order_ids: FAILED$", result.stdout, re.M)
    error = stderr_lines(result)[-1]
    assert "unique_order_ids" in error
    assert re.search(r"not materialized: .*gold/example", error), error
    assert is_table(project / "data" / "bronze" / "example")
    assert not (project / "data" / "gold" / "example").exists()
