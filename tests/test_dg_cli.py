"""Dagster's own commands on a generated project: `dg launch`, `dg check defs`,
`dg list defs --json` and `dagster dev`, run the way the generated README tells its users.

The project is baked once for the module. The commands run as subprocesses with this
environment's executables, from the project folder, with the two variables the README
sets: ``PYTHONPATH`` (the project's ``src``; the project is not installed) and
``DAGSTER_HOME`` (the instance folder the project itself uses, read from ``core.paths``).

To stay fast on a small machine, ``dg launch`` runs first and alone; then ``dagster dev``,
``dg check defs`` and ``dg list defs`` run side by side (none of them starts a run: with
bronze built, the automation sensor has nothing to do on its first tick), and the tests
check what each of them did.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PYTHON, bake, clean_env, run

BIN = Path(PYTHON).parent
DG = BIN / "dg"
DAGSTER = BIN / "dagster"
TIMEOUT_SECONDS = 180

ASSET_KEYS = {"bronze/example", "silver/example", "gold/example"}
SILVER_CHECKS = {
    "silver/example:unique_order_ids",
    "silver/example:no_missing_keys",
    "silver/example:positive_quantities_and_amounts",
}

# What Dagster prints when an API in use is deprecated, superseded, or not yet stable.
API_WARNING = re.compile(
    r"(Deprecation|Supersession|Preview|Beta)Warning|is deprecated|is superseded", re.I
)

# Reads the instance in DAGSTER_HOME in a fresh interpreter (the one that runs the
# project): its folder, its runs, and the run that last materialized bronze/example.
READ_INSTANCE = """
import json
import dagster as dg

with dg.DagsterInstance.get() as instance:
    runs = [
        {"run_id": record.dagster_run.run_id, "status": record.dagster_run.status.value}
        for record in instance.get_run_records()
    ]
    event = instance.get_latest_materialization_event(dg.AssetKey(["bronze", "example"]))
    print(json.dumps({
        "root": instance.root_directory,
        "runs": runs,
        "bronze_run_id": event.run_id if event else None,
    }))
"""

UI_QUERY = """{
  workspaceOrError { ... on Workspace { locationEntries {
    name
    locationOrLoadError { __typename ... on PythonError { message } }
  } } }
  assetNodes { assetKey { path } }
  runsOrError { ... on Runs { results { runId } } }
}"""


@dataclass
class Project:
    root: Path
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.root / "src"), "DAGSTER_HOME": str(self.home)}

    def run(self, *command: str | Path) -> subprocess.CompletedProcess:
        return run([str(part) for part in command], self.root, self.env, TIMEOUT_SECONDS)

    def start(self, *command: str | Path, log: Path) -> subprocess.Popen:
        """Start a command in its own process group; its output goes to ``log`` (stdout)
        and ``log`` + ``.err`` (stderr)."""
        with log.open("w") as out, _stderr_log(log).open("w") as err:
            return subprocess.Popen(
                [str(part) for part in command],
                cwd=self.root,
                env=clean_env(self.env),
                stdout=out,
                stderr=err,
                start_new_session=True,
            )


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _stderr_log(log: Path) -> Path:
    return log.with_name(log.name + ".err")


def _read(log: Path) -> str:
    return log.read_text() + _stderr_log(log).read_text()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    assert DG.exists(), "dagster-dg-cli is not installed in this environment"
    root = bake(tmp_path_factory.mktemp("dg"))
    # Where the project keeps its instance, as its own code says (run_polster.py uses it).
    located = run(
        [PYTHON, "-c", "from core.paths import DAGSTER_HOME; print(DAGSTER_HOME)"],
        root,
        env={"PYTHONPATH": str(root / "src")},
    )
    assert located.returncode == 0, located.stderr
    home = Path(located.stdout.strip())
    assert home.parent == root
    # What run_polster.py writes into a new instance: no telemetry, at least. Dagster
    # works without the file too, but warns that it is missing.
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return Project(root, home)


@pytest.fixture(scope="module")
def launched(project) -> subprocess.CompletedProcess:
    return project.run(DG, "launch", "--assets", "bronze/example")


@pytest.fixture(scope="module")
def side_by_side(project, launched, tmp_path_factory) -> dict:
    """``dagster dev``, ``dg check defs``, ``dg list defs --json`` and a look into the
    project's instance, run at the same time."""
    logs = tmp_path_factory.mktemp("logs")
    port = _free_port()
    ui = project.start(DAGSTER, "dev", "-p", str(port), log=logs / "dev.log")
    commands = {
        "check": project.start(DG, "check", "defs", log=logs / "check.log"),
        "list": project.start(DG, "list", "defs", "--json", log=logs / "list.log"),
        "instance": project.start(PYTHON, "-c", READ_INSTANCE, log=logs / "instance.log"),
    }
    try:
        results: dict = {"ui": _wait_for_location(f"http://127.0.0.1:{port}", ui, logs)}
        for name, process in commands.items():
            returncode = process.wait(timeout=TIMEOUT_SECONDS)
            log = logs / f"{name}.log"
            results[name] = Finished(returncode, log.read_text(), _stderr_log(log).read_text())
    finally:
        for process in [ui, *commands.values()]:
            if process.poll() is None or process is ui:
                _stop(process)
    results["ui_log"] = _read(logs / "dev.log")
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_location(url: str, process: subprocess.Popen, logs: Path) -> dict:
    """The UI's view of the workspace, once its code location has loaded (or failed)."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, _read(logs / "dev.log")
        request = urllib.request.Request(
            f"{url}/graphql",
            data=json.dumps({"query": UI_QUERY}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                data = json.load(response)["data"]
            [location] = data["workspaceOrError"]["locationEntries"]
            if location["locationOrLoadError"] is not None:
                return data
        except (urllib.error.URLError, OSError, KeyError, ValueError):  # not up yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"dagster dev did not load the project:\n{_read(logs / 'dev.log')}")


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C for the whole process group, then SIGKILL for whatever outlives it briefly
    (nothing in the temporary project needs an orderly shutdown)."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)  # reaped, so no zombie (and no ResourceWarning) is left


def api_warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if API_WARNING.search(line)]


def launched_run_id(launched: subprocess.CompletedProcess) -> str:
    """The run `dg launch` made: Dagster's log names it on each line of the run."""
    output = launched.stdout + launched.stderr
    assert launched.returncode == 0, output
    succeeded = re.search(r"__ASSET_JOB - ([0-9a-f-]{36}) - .*RUN_SUCCESS", output)
    assert succeeded, output
    return succeeded.group(1)


def test_dg_launch(project, launched):
    launched_run_id(launched)
    assert api_warnings(launched.stdout + launched.stderr) == []
    assert (project.root / "data" / "bronze" / "example" / "_delta_log").is_dir()


def test_the_launched_run_is_in_the_project_instance(project, launched, side_by_side):
    run_id = launched_run_id(launched)
    # The run and its materialization are in .dagster/, not in a temporary instance.
    reading = side_by_side["instance"]
    assert reading.returncode == 0, reading.output
    instance = json.loads(reading.stdout)
    assert Path(instance["root"]) == project.home
    assert {"run_id": run_id, "status": "SUCCESS"} in instance["runs"]
    assert instance["bronze_run_id"] == run_id


def test_dg_check_defs(side_by_side):
    check = side_by_side["check"]
    assert check.returncode == 0, check.output
    assert "All definitions loaded successfully." in check.output
    assert api_warnings(check.output) == []


def test_dg_list_defs_json(side_by_side):
    listing = side_by_side["list"]
    assert listing.returncode == 0, listing.output
    assert api_warnings(listing.output) == []
    listed = json.loads(listing.stdout)  # nothing but the JSON document is printed
    assets = {asset["asset_key"]: asset for asset in listed["assets"]}
    assert set(assets) == ASSET_KEYS
    assert assets["silver/example"]["dependency_keys"] == ["bronze/example"]
    assert assets["gold/example"]["dependency_keys"] == ["silver/example"]
    assert {asset["group_name"] for asset in assets.values()} == {"bronze", "silver", "gold"}
    assert {check["key"] for check in listed["asset_checks"]} == SILVER_CHECKS
    assert [schedule["name"] for schedule in listed["schedules"]] == [
        "daily_bronze_refresh",
        "weekly_table_maintenance",
    ]
    assert [sensor["name"] for sensor in listed["sensors"]] == ["medallion_automation"]


def test_dagster_dev_serves_the_project_and_its_runs(project, launched, side_by_side):
    data = side_by_side["ui"]
    [location] = data["workspaceOrError"]["locationEntries"]
    assert location["name"] == project.root.name
    assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
    keys = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert keys == ASSET_KEYS
    # The UI reads the project's instance: it lists the run `dg launch` recorded there.
    shown = {run["runId"] for run in data["runsOrError"]["results"]}
    assert launched_run_id(launched) in shown
    # `dagster dev` itself is superseded by `dg dev` and says so; nothing else may warn.
    warnings = [line for line in api_warnings(side_by_side["ui_log"]) if "dev_command" not in line]
    assert warnings == []
