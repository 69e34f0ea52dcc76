"""Delta tables and daily partitions in generated projects, end to end.

Projects are made with ``polster init --partitioning none|daily`` and run as a user runs
them: ``python run_polster.py`` (with ``--partitions`` and ``--maintain``), the core
scripts, and small scripts that call the project's own storage API. Tables are read back
with deltalake. The faults are real: a writer killed while it writes, two writers at once,
a schema that changed, a damaged or foreign folder, parquet files of an older project;
and the same on Azurite (Microsoft's Azure Storage emulator, started as in test_adls.py).
The last test starts the UI on fresh projects and measures how long the automation takes
to build every asset.
"""

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable
from test_adls import azurite, azurite_executable  # noqa: F401 - the fixtures, shared
from test_ui import UiServer

from conftest import POLSTER, POLSTER_LINT, PYTHON, clean_env, run

TABLES = ("bronze/example", "silver/example", "gold/example")
SAMPLE_DAYS = [f"2026-01-{day:02d}" for day in range(1, 32)]
UI_TARGET_SECONDS = 30

# Calls the project's storage API: argv[1] is a JSON list of [function, args, kwargs].
# Data frames are printed as their number of rows and their columns.
STORAGE_CALLS = """
import json, sys
sys.path.insert(0, "src")
import pandas as pd
from core import storage
for name, args, kwargs in json.loads(sys.argv[1]):
    if name == "write_table":  # its rows come as a list of records
        args[0] = pd.DataFrame(args[0])
    result = getattr(storage, name)(*args, **kwargs)
    if hasattr(result, "to_dict"):
        result = {"rows": len(result), "columns": list(result.columns)}
    print(json.dumps(result, default=str))
"""

# Writes day argv[2] of bronze/big: argv[1] rows, numbered from argv[3], with the script
# behaviour of the project (one error line, exit status 1).
PARTITION_WRITER = """
import sys
sys.path.insert(0, "src")
import numpy as np
import pandas as pd
from core.script import run_script
from core.storage import write_table

rows, day, start = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
values = np.random.default_rng(start).random(rows)
df = pd.DataFrame({"row": np.arange(start, start + rows), "value": values})
run_script(lambda: (df, write_table(df, "bronze", "big", partition=day)), f"bronze/big {day}")
"""


# --- helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def compiled_once(tmp_path_factory):
    """Let the projects' commands cache their bytecode, in a folder of this module's own.

    With PYTHONDONTWRITEBYTECODE set (as it may be here), every command compiles Dagster,
    pandas and the project from source again; cached, the commands run several times
    faster. The behaviour under test does not depend on it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        patch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path_factory.mktemp("pycache")))
        yield


def polster_init(parent: Path, name: str, *options: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    home = parent / "home"
    home.mkdir(exist_ok=True)
    command = [POLSTER, "init", name, "--no-input", "--output-dir", str(parent), *options]
    result = run(command, cwd=parent, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    return parent / name


def run_polster(project: Path, *args: str, env: dict | None = None, timeout: float = 300):
    return run([PYTHON, "run_polster.py", *args], cwd=project, env=env, timeout=timeout)


def storage_calls(project: Path, *calls: tuple, env: dict | None = None) -> list:
    """Call storage functions of the project in one subprocess; return their results."""
    encoded = json.dumps([[name, list(args), kwargs] for name, args, kwargs in calls])
    result = run([PYTHON, "-c", STORAGE_CALLS, encoded], cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def table(project: Path, name: str) -> DeltaTable:
    return DeltaTable(project / "data" / name)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def partition_counts(delta: DeltaTable) -> dict[str, int]:
    counts = delta.to_pyarrow_table().to_pandas()["partition_key"].value_counts()
    return {key: int(count) for key, count in counts.items()}


@pytest.fixture(scope="module")
def daily(tmp_path_factory) -> Path:
    """A daily-partitioned project whose sample range has been materialized once."""
    project = polster_init(
        tmp_path_factory.mktemp("daily"), "daily_sales", "--partitioning", "daily"
    )
    result = run_polster(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "progress  93/93 partitions" in result.stdout, result.stdout
    assert "done: 3 assets materialized (31 partitions each)" in result.stdout
    return project


# --- daily partitions -----------------------------------------------------------------


def test_the_default_run_builds_every_day_of_the_sample_range_in_one_run(daily):
    for name in TABLES:
        delta = table(daily, name)
        assert delta.metadata().partition_columns == ["partition_key"], name
        assert sorted({p["partition_key"] for p in delta.partitions()}) == SAMPLE_DAYS, name
    history = run(
        [
            PYTHON,
            "-c",
            "import dagster as dg\nwith dg.DagsterInstance.get() as i: print(len(i.get_runs()))",
        ],
        cwd=daily,
        env={"DAGSTER_HOME": str(daily / ".dagster")},
    )
    assert history.stdout.strip() == "1", history.stderr  # one run, not one per day


def test_a_day_run_again_is_idempotent_and_leaves_the_other_days_alone(daily):
    before = {name: table(daily, name) for name in TABLES}
    other_files = {
        path: path.stat().st_mtime_ns
        for path in (daily / "data" / "gold" / "example").glob("partition_key=2026-01-2*/*")
    }

    result = run_polster(daily, "--partitions", "2026-01-05")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "done: 3 assets materialized (1 partitions each)" in result.stdout
    for name, old in before.items():
        new = table(daily, name)
        assert new.version() == old.version() + 1, name
        day = [("partition_key", "=", "2026-01-05")]
        frames = [delta.to_pyarrow_table(filters=day).to_pandas() for delta in (old, new)]
        same = [frame.sort_values(list(frame.columns), ignore_index=True) for frame in frames]
        pd.testing.assert_frame_equal(*same)
        assert partition_counts(new) == partition_counts(old), name
    assert {path: path.stat().st_mtime_ns for path in other_files} == other_files


def run_in_a_terminal(project: Path, *args: str) -> tuple[int, str]:
    """``python run_polster.py ARGS`` with a pseudo-terminal as its output."""
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [PYTHON, "run_polster.py", *args],
        cwd=project,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: every process holding the terminal has ended
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    return process.wait(timeout=60), output.decode(errors="replace")


def test_a_range_of_days_and_wrong_ranges(daily):
    status, output = run_in_a_terminal(daily, "--partitions", "2026-01-10..2026-01-12")
    assert status == 0, output
    assert "\r[##############################] 9/9 partitions" in output  # the bar, redrawn
    assert "progress  " not in output  # the plain lines are for logs
    wrong = run_polster(daily, "--partitions", "2026-01-12..2025-12-31")
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "2025-12-31 is not a partition of this project" in one_error_line(wrong)
    for spec in (
        "2026/01/05",
        "2026-01-01..",
        "2026-01-01...",
        "2026-01-01..2026-01-02..2026-01-03",
    ):
        usage = run_polster(daily, "--partitions", spec)
        assert usage.returncode == 2, (spec, usage.stdout)  # not read as one day
        assert f"--partitions '{spec}': give one partition key" in usage.stderr.splitlines()[-1]


def test_time_travel_and_column_projection_through_the_storage_api(daily):
    version = table(daily, "gold/example").version()
    day_then, columns, day_now = storage_calls(
        daily,
        ("read_table", ["gold", "example"], {"partitions": ["2026-01-05"], "version": 0}),
        ("read_table", ["gold", "example"], {"partitions": [], "columns": ["day", "revenue"]}),
        ("read_table", ["gold", "example"], {"partitions": ["2026-01-05"], "version": version}),
    )
    assert day_then["rows"] == day_now["rows"] > 0
    assert columns == {"rows": 0, "columns": ["day", "revenue"]}


def test_add_asset_in_a_daily_project_makes_daily_assets(daily):
    steps = [
        ("--layer", "bronze", "--name", "returns"),
        ("--layer", "silver", "--name", "returns_cleaned", "--deps", "returns"),
    ]
    for step in steps:
        added = run(
            [POLSTER, "add-asset", *step, "--no-input", "--project-dir", str(daily)], cwd=daily
        )
        assert added.returncode == 0, added.stderr
    asset = (daily / "src/orchestration/assets/silver/run_silver_returns_cleaned.py").read_text()
    assert "partitions_def=DAILY_PARTITIONS" in asset and "FOLLOW_UPSTREAM" in asset
    lint = run([POLSTER_LINT, "--no-cache"], cwd=daily)
    assert (lint.returncode, lint.stdout) == (0, "")

    result = run_polster(daily, "--partitions", "2026-01-20..2026-01-21")

    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("bronze/returns", "silver/returns_cleaned"):
        assert set(partition_counts(table(daily, name))) == {"2026-01-20", "2026-01-21"}


def test_the_grown_daily_project_passes_ruff_and_its_own_tests(daily):
    for command in (
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
    ):
        checked = run([PYTHON, "-m", *command], cwd=daily)
        assert checked.returncode == 0, checked.stdout
    tests = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=daily)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


# --- unpartitioned projects, and what storage refuses -----------------------------------


@pytest.fixture(scope="module")
def flat(tmp_path_factory) -> Path:
    project = polster_init(tmp_path_factory.mktemp("flat"), "flat_sales", "--partitioning", "none")
    result = run_polster(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^done: 3 assets materialized in ", result.stdout, re.M), result.stdout
    return project


def test_an_unpartitioned_project_writes_whole_delta_tables_with_history(flat):
    for name in TABLES:
        assert table(flat, name).metadata().partition_columns == [], name
    refused = run_polster(flat, "--partitions", "2026-01-05")
    assert refused.returncode == 2
    assert "not partitioned" in one_error_line(refused)
    result = run([PYTHON, "src/core/gold_example.py"], cwd=flat)
    assert result.returncode == 0, result.stderr
    gold = table(flat, "gold/example")
    assert gold.version() == 1
    old = DeltaTable(flat / "data" / "gold" / "example", version=0).to_pyarrow_table()
    assert old.equals(gold.to_pyarrow_table())  # the same data: the sample is seeded


def test_an_unexpected_schema_change_is_one_line_and_an_opt_in_evolves(flat):
    bronze = flat / "src" / "core" / "bronze_example.py"
    source = bronze.read_text()
    anchor = "    orders = generate_orders()\n"
    assert source.count(anchor) == 1
    bronze.write_text(source.replace(anchor, anchor + '    orders["channel"] = "web"\n'))
    version = table(flat, "bronze/example").version()
    try:
        refused = run([PYTHON, "src/core/bronze_example.py"], cwd=flat)
        line = one_error_line(refused)
        assert line.startswith("error: bronze/example: table bronze/example: schema change refused")
        assert "new columns: channel" in line and "evolve_schema=True" in line
        assert table(flat, "bronze/example").version() == version

        call = 'write_table(orders, "bronze", "example")'
        bronze.write_text(bronze.read_text().replace(call, call[:-1] + ", evolve_schema=True)"))
        evolved = run([PYTHON, "src/core/bronze_example.py"], cwd=flat)
        assert evolved.returncode == 0, evolved.stderr
        assert "channel" in table(flat, "bronze/example").schema().to_arrow().names
    finally:
        bronze.write_text(source)


def test_a_foreign_or_damaged_table_folder_is_one_line(flat, tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    foreign = tmp_path / "data" / "bronze" / "example"
    foreign.mkdir(parents=True)
    (foreign / "export.csv").write_text("order_id\n1\n")
    refused = run([PYTHON, "src/core/bronze_example.py"], cwd=flat, env=env)
    assert "not a Delta table" in one_error_line(refused)
    assert (foreign / "export.csv").read_text() == "order_id\n1\n"  # left as it was

    damaged = tmp_path / "data" / "silver" / "example"
    shutil.copytree(flat / "data" / "silver" / "example", damaged)
    (damaged / "_delta_log" / "00000000000000000000.json").write_text("{not json")
    result = run([PYTHON, "src/core/gold_example.py"], cwd=flat, env=env)
    line = one_error_line(result)
    assert "cannot read table silver/example" in line and "Delta log is damaged" in line


def test_parquet_tables_of_an_older_project_are_named_then_migrated(flat, tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    old_file = tmp_path / "data" / "bronze" / "example.parquet"
    old_file.parent.mkdir(parents=True)
    table(flat, "bronze/example").to_pyarrow_table().to_pandas().to_parquet(old_file)

    refused = run([PYTHON, "src/core/silver_example.py"], cwd=flat, env=env)
    assert "storage.py migrate" in one_error_line(refused)
    migrated = run([PYTHON, "src/core/storage.py", "migrate"], cwd=flat, env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("bronze/example: 2,040 rows converted to ")
    cleaned = run([PYTHON, "src/core/silver_example.py"], cwd=flat, env=env)
    assert cleaned.returncode == 0, cleaned.stderr


# --- faults: killed writers, concurrent writers, maintenance ------------------------------


def start_writer(project: Path, rows: int, day: str, start: int, env: dict | None = None):
    return subprocess.Popen(
        [PYTHON, "-c", PARTITION_WRITER, str(rows), day, str(start)],
        cwd=project,
        env=clean_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(writer: subprocess.Popen, timeout: float = 180) -> int:
    """Wait for a writer; fail with its error output if it failed."""
    _, stderr = writer.communicate(timeout=timeout)
    assert writer.returncode == 0, stderr
    return writer.returncode


def test_a_writer_killed_mid_write_leaves_the_previous_version(flat):
    folder = flat / "data" / "bronze" / "big"
    finish(start_writer(flat, 200_000, "2026-01-01", 0))
    version = DeltaTable(folder).version()
    before = set(folder.rglob("*"))

    writer = start_writer(flat, 8_000_000, "2026-01-01", 1)
    deadline = time.monotonic() + 120
    while not (set(folder.rglob("*")) - before) and time.monotonic() < deadline:
        assert writer.poll() is None, "the writer finished before it could be killed"
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)  # its data file is being written; no commit yet
    writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert not (set(folder.glob("_delta_log/*.json")) - before)

    delta = DeltaTable(folder)
    assert delta.version() == version
    rows = delta.to_pyarrow_table().column("row").to_pylist()
    assert rows == list(range(200_000))
    finish(start_writer(flat, 1_000, "2026-01-01", 7))
    assert DeltaTable(folder).to_pyarrow_table().num_rows == 1_000


def concurrent_writes(project: Path, env: dict | None, days: list[str], rows: int) -> None:
    writers = [start_writer(project, rows, day, n * rows, env) for n, day in enumerate(days)]
    for writer in writers:
        finish(writer)


def test_writers_of_different_days_at_once_all_land_and_same_day_writers_never_duplicate(flat):
    days = ["2026-02-01", "2026-02-02", "2026-02-03"]
    concurrent_writes(flat, None, days, 200_000)
    delta = DeltaTable(flat / "data" / "bronze" / "big")
    counts = partition_counts(delta)
    assert all(counts[day] == 200_000 for day in days), counts

    concurrent_writes(flat, None, ["2026-02-04"] * 3, 200_000)
    assert partition_counts(DeltaTable(flat / "data" / "bronze" / "big"))["2026-02-04"] == 200_000


def run_processes(project: Path) -> list[int]:
    """The process ids of the run processes of ``project``'s run_polster.py."""
    script = str(project / "run_polster.py")
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if script.encode() in command and b"--run-process" in command:
            pids.append(int(entry.name))
    return pids


def test_a_run_process_killed_outright_is_one_line_and_the_same_command_repairs_it(daily):
    """As the out-of-memory killer does it: SIGKILL to the run process, mid-run."""
    before = {name: partition_counts(table(daily, name)) for name in TABLES}
    bronze_version = table(daily, "bronze/example").version()
    command = [PYTHON, "run_polster.py", "--partitions", "2026-01-01..2026-01-31"]
    supervisor = subprocess.Popen(
        command, cwd=daily, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while table(daily, "bronze/example").version() == bronze_version:  # bronze committed
        assert supervisor.poll() is None and time.monotonic() < deadline, "no bronze commit"
        time.sleep(0.02)
    [run_process] = run_processes(daily)
    os.kill(run_process, signal.SIGKILL)
    stdout, stderr = supervisor.communicate(timeout=60)
    killed = subprocess.CompletedProcess(
        command, supervisor.returncode, *map(bytes.decode, (stdout, stderr))
    )
    assert supervisor.returncode == 1, (supervisor.returncode, stdout, stderr)  # not 247
    line = one_error_line(killed)
    assert "the run process was killed by SIGKILL (out of memory?)" in line, line
    assert "keeps its last committed version" in line

    again = run_polster(daily, "--partitions", "2026-01-01..2026-01-31")
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"^marked run \w+ as failed: its process", again.stdout, re.M)
    assert {name: partition_counts(table(daily, name)) for name in TABLES} == before


def test_maintenance_compacts_and_vacuums_from_run_polster(daily):
    result = run_polster(daily, "--maintain")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("maintained gold/example: ") for line in lines), result.stdout
    assert re.search(r"^done: \d+ tables maintained in ", result.stdout, re.M)
    # The files replaced by the re-runs above are younger than the 7 days of retention.
    assert "0 unused files vacuumed" in result.stdout


# --- ADLS (Azurite) -----------------------------------------------------------------------


def test_a_daily_project_on_azurite(azurite, tmp_path):  # noqa: F811 - the shared fixture
    project = polster_init(tmp_path, "lake_sales", "--partitioning", "daily", "--storage", "adls")
    container = f"lake-{os.getpid()}-{int(time.time() * 1000) % 100_000}"
    env = {
        "ADLS_CONTAINER": container,
        "ADLS_CONNECTION_STRING": azurite.connection_string(),
        "ADLS_BASE_PATH": "polster/data",
    }
    options = azurite.delta_options()

    def lake_table(name: str) -> DeltaTable:
        return DeltaTable(f"abfs://{container}/polster/data/{name}", storage_options=options)

    result = run_polster(project, "--partitions", "2026-01-01..2026-01-03", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in TABLES:
        assert set(partition_counts(lake_table(name))) == {"2026-01-01", "2026-01-02", "2026-01-03"}

    # Several versions of one table, and time travel, on ADLS too.
    for count in (1, 2, 3):
        calls = [("write_table", [[{"n": n} for n in range(count)], "gold", "counts"], {})]
        storage_calls(project, *calls, env=env)
    first, last = storage_calls(
        project,
        ("read_table", ["gold", "counts"], {"version": 0}),
        ("read_table", ["gold", "counts"], {}),
        env=env,
    )
    assert (first["rows"], last["rows"]) == (1, 3)
    assert lake_table("gold/counts").version() == 2

    concurrent_writes(project, env, ["2026-02-01", "2026-02-02"], 100_000)
    counts = partition_counts(lake_table("bronze/big"))
    assert counts == {"2026-02-01": 100_000, "2026-02-02": 100_000}, counts
    (version,) = storage_calls(project, ("table_version", ["silver", "example"], {}), env=env)
    assert version == lake_table("silver/example").version()


# --- the UI on a fresh project ------------------------------------------------------------


def test_fresh_projects_build_every_asset_soon_after_the_ui_starts(tmp_path):
    """The automation's first tick asks for bronze, silver and gold at once, and the run
    executes its steps in its own process: every asset is built within 30 s of
    ``python run_polster.py --no-materialize --ui``. Measured for an unpartitioned and a
    daily project, started side by side, and printed. On a machine that was already
    busier than it has cores, the bound is loosened to 60 s (and said so)."""
    projects = {
        partitioning: polster_init(
            tmp_path / partitioning, "fresh_sales", "--partitioning", partitioning
        )
        for partitioning in ("none", "daily")
    }
    load = os.getloadavg()[0]
    started = time.monotonic()
    servers = {name: UiServer(project, "--no-materialize") for name, project in projects.items()}
    built: dict[str, float] = {}
    try:
        deadline = started + 180
        while len(built) < len(servers) and time.monotonic() < deadline:
            for name, ui in servers.items():
                assert ui.process.poll() is None, ui.log.read_text()[-3000:]
                if name not in built and _built(ui) >= set(TABLES):
                    built[name] = time.monotonic() - started
            time.sleep(0.5)
    finally:
        for ui in servers.values():
            ui.stop()
    busy = load > (os.cpu_count() or 1)
    limit = 2 * UI_TARGET_SECONDS if busy else UI_TARGET_SECONDS
    for name in servers:
        shown = f"{built[name]:.1f} s" if name in built else "not within 180 s"
        print(
            f"\npartitioning {name}: every asset built {shown} after the UI command started "
            f"(target {UI_TARGET_SECONDS} s; load average {load:.1f} before, "
            f"{os.cpu_count()} cores)"
        )
    assert set(built) == set(servers)
    assert max(built.values()) <= limit


def _built(ui: UiServer) -> set[str]:
    try:
        return set(ui.latest_materializations())
    except OSError:  # the webserver is not up yet
        return set()
