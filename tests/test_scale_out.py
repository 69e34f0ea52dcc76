"""Scale-out of a generated project: a Postgres instance and Celery workers, on loopback.

The tests start their own servers and stop them afterwards: a Postgres cluster made with
``initdb`` in a temporary folder (run as the ``postgres`` user, which Debian's package
creates: Postgres refuses to run as root), and a Redis with a password, each on a free
port of 127.0.0.1. Debian's ``postgresql`` and ``redis-server`` are installed with apt when
they are missing. Each test works in a database and a Redis database of its own.

Projects are baked from this repository's template, configured through their ``.env``
as a user would, and run as subprocesses: ``python run_polster.py``, ``--worker``, ``--ui``.
The run history is read from Postgres itself, with SQL. The passwords of both servers are
looked for everywhere they must not be: the commands' output, the workers' logs, the
files under ``.dagster/``, a dump of the Dagster database and the values kept in Redis.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_adls import Azurite, AzuriteUnavailable, install_azurite

from conftest import PYTHON, REPO_ROOT, bake, clean_env
from system_packages import debian_program

PG_USER = "polster"
PG_PASSWORD = "pg-Pass-5f1c9e"
REDIS_PASSWORD = "redis-Pass-7d2a4b"
SECRETS = (PG_PASSWORD, REDIS_PASSWORD)

TABLES = ("bronze/example", "silver/example", "gold/example")
STEPS = ("bronze__example", "silver__example", "gold__example")
SERVER_START_SECONDS = 30
WORKER_READY_SECONDS = 90
RUN_TIMEOUT_SECONDS = 240
FAULT_SECONDS = 12
"""A server that cannot be used is reported within this, Python's start-up included."""

# Holds the first attempt of bronze/example, so that a test can kill the worker running it.
# Armed by TEST_HOLD_DIR: the attempt that finds no "held" file there writes its process id
# into one and sleeps; any later attempt (on another worker) runs straight through.
BRONZE_HOOK = """\
    import os
    import time
    from pathlib import Path

    hold_dir = os.environ.get("TEST_HOLD_DIR")
    if hold_dir and not (Path(hold_dir) / "held").exists():
        (Path(hold_dir) / "held").write_text(str(os.getpid()))
        time.sleep(120)
"""


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}:\n{log.read_text()}")


def stop_group(process: subprocess.Popen | None, signum: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def postgres_bindir() -> Path:
    """Debian's Postgres programs (initdb, postgres, pg_dump), installed first if missing."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        debian_program("pg_ctlcluster", "postgresql")  # Debian's wrapper, on PATH
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail(
            "postgresql is installed but no /usr/lib/postgresql/*/bin/initdb", pytrace=False
        )
    return found[-1].parent


class Postgres:
    """A throwaway Postgres cluster on 127.0.0.1, with a password for ``PG_USER``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        # Below /tmp, not pytest's folders: those are private to root, and the cluster
        # belongs to the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="polster-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._databases = 0

    def start(self) -> "Postgres":
        os.chmod(self.root, 0o711)
        cluster = self.root / "cluster"
        cluster.mkdir(mode=0o700)
        shutil.chown(cluster, "postgres", "postgres")
        password_file = self.root / "password"
        password_file.write_text(PG_PASSWORD + "\n")
        shutil.chown(password_file, "postgres", "postgres")
        initdb = [
            *("runuser", "-u", "postgres", "--", str(self.bindir / "initdb")),
            *("-D", str(cluster / "data"), "-U", PG_USER, "--pwfile", str(password_file)),
            *("--auth=scram-sha-256", "-E", "UTF8", "--no-sync"),
        ]
        result = subprocess.run(initdb, capture_output=True, text=True, timeout=120)
        password_file.unlink()
        if result.returncode != 0:
            pytest.fail(f"initdb failed: {result.stderr.strip()}", pytrace=False)
        log = self.root / "postgres.log"
        command = [
            *("runuser", "-u", "postgres", "--", str(self.bindir / "postgres")),
            *("-D", str(cluster / "data"), "-p", str(self.port), "-h", "127.0.0.1"),
            *("-k", str(cluster), "-c", "fsync=off", "-c", "max_connections=200"),
        ]
        with open(log, "ab") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for_port(self.port, self.process, "postgres", log)
        return self

    def stop(self) -> None:
        stop_group(self.process, signal.SIGINT)  # Postgres' "fast shutdown"
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, password: str = PG_PASSWORD) -> str:
        return f"postgresql://{PG_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:

        self._databases += 1
        name = f"dagster_{self._databases}"
        with contextlib.closing(self.connect("postgres")) as connection:
            connection.autocommit = True
            connection.cursor().execute(f"CREATE DATABASE {name}")
        return name

    def connect(self, database: str):
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, password=PG_PASSWORD, dbname=database
        )

    def query(self, database: str, sql: str, *params) -> list[tuple]:
        with contextlib.closing(self.connect(database)) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()

    def dump(self, database: str) -> str:
        result = subprocess.run(
            [str(self.bindir / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", PG_USER, database],
            env={**os.environ, "PGPASSWORD": PG_PASSWORD},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


class Redis:
    """A throwaway Redis on 127.0.0.1 that wants a password; nothing written to disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="polster-redis-")) / "redis.log"
        self._databases = 0

    def start(self) -> "Redis":
        command = [
            debian_program("redis-server", "redis-server"),
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--requirepass", REDIS_PASSWORD),
        ]
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for_port(self.port, self.process, "redis-server", self.log)
        return self

    def stop(self) -> None:
        stop_group(self.process)
        shutil.rmtree(self.log.parent, ignore_errors=True)

    def url(self, database: int, password: str = REDIS_PASSWORD) -> str:
        return f"redis://:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> int:
        """One of databases 1-15 (0 stays unused), emptied: there are only 16 of them."""
        import redis

        self._databases += 1
        number = (self._databases - 1) % 15 + 1
        client = redis.Redis(host="127.0.0.1", port=self.port, password=REDIS_PASSWORD, db=number)
        client.flushdb()
        client.close()
        return number

    def values(self, database: int) -> bytes:
        """Every string, hash and list value in ``database``, concatenated."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, password=REDIS_PASSWORD, db=database)
        found = []
        for key in client.scan_iter():
            kind = client.type(key)
            if kind == b"string":
                found.append(client.get(key))
            elif kind == b"hash":
                found.extend(client.hvals(key))
            elif kind == b"list":
                found.extend(client.lrange(key, 0, -1))
        client.close()
        return b"\n".join(found)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = Postgres(postgres_bindir())
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    server = Redis()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def azurite(tmp_path_factory) -> Iterator[Azurite]:
    """Azurite, installed and started as tests/test_adls.py does it."""
    debian_program("npm", "npm")
    try:
        server = Azurite(install_azurite(), tmp_path_factory.mktemp("azurite")).start()
    except AzuriteUnavailable as error:
        problem = str(error)
    else:
        try:
            yield server
        finally:
            server.stop()
        return
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="module")
def python_env(tmp_path_factory) -> dict[str, str]:
    """The commands' environment, with bytecode cached between them (as in the hardening
    tests: every command would compile Dagster again otherwise)."""
    env = clean_env({"PYTHONPYCACHEPREFIX": str(tmp_path_factory.mktemp("pycache"))})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in (
        "CELERY_BROKER_URL",
        "CELERY_BACKEND_URL",
        "CELERY_VISIBILITY_TIMEOUT",
        "PGPASSWORD",
    ):
        env.pop(name, None)
    return env


# --- projects, workers, runs -----------------------------------------------------------------


class ScaledProject:
    """A baked project whose ``.env`` points at a database and a Redis database of its own."""

    def __init__(self, root: Path, postgres: Postgres, redis_server: Redis, env: dict) -> None:
        self.root = root
        self.postgres = postgres
        self.redis = redis_server
        self.env = env
        self._database: str | None = None
        self._redis_database: int | None = None
        self.workers: list[Worker] = []

    @property
    def database(self) -> str:
        if self._database is None:
            self._database = self.postgres.new_database()
        return self._database

    @property
    def redis_database(self) -> int:
        if self._redis_database is None:
            self._redis_database = self.redis.new_database()
        return self._redis_database

    def configure(self, **settings: str) -> None:
        with open(self.root / ".env", "a") as env_file:
            for name, value in settings.items():
                env_file.write(f"{name}={value}\n")

    def scale_out(self, **extra: str) -> None:
        self.configure(
            DAGSTER_POSTGRES_URL=self.postgres.url(self.database),
            CELERY_BROKER_URL=self.redis.url(self.redis_database),
            **extra,
        )

    def run(self, *args: str, timeout: float = RUN_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "run_polster.py", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, env: dict | None = None) -> "Worker":
        worker = Worker(self, env or {})
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()

    def sql(self, query: str, *params) -> list[tuple]:
        return self.postgres.query(self.database, query, *params)

    def assert_no_secret_anywhere(self, *outputs: str) -> None:
        """Neither password in ``outputs``, the workers' logs, ``.dagster/``, Postgres, Redis."""
        places = {f"output {number}": text for number, text in enumerate(outputs)}
        places.update({f"log of worker {w.pid}": w.output() for w in self.workers})
        for path in (self.root / ".dagster").rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes().decode(errors="replace")
        places["dump of the Dagster database"] = self.postgres.dump(self.database)
        places["values in Redis"] = self.redis.values(self.redis_database).decode(errors="replace")
        for place, text in places.items():
            for secret in SECRETS:
                assert secret not in text, f"a password appears in {place}"


class Worker:
    """``python run_polster.py --worker`` in a session of its own, its output in a file."""

    def __init__(self, project: ScaledProject, env: dict) -> None:
        self.log = project.root.parent / f"worker-{len(project.workers)}.log"
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [PYTHON, "run_polster.py", "--worker", "--concurrency", "1"],
                cwd=project.root,
                env={**project.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> str:
        """The worker's Celery name, once it says it is ready."""
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while time.monotonic() < deadline:
            match = re.search(r"^worker (\S+) ready", self.output(), re.MULTILINE)
            if match:
                return match.group(1)
            assert self.process.poll() is None, self.output()
            time.sleep(0.2)
        raise AssertionError(f"worker not ready after {WORKER_READY_SECONDS} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once, as when a machine stops."""
        stop_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        stop_group(self.process)


@pytest.fixture
def project(tmp_path, postgres, redis_server, python_env) -> Iterator[ScaledProject]:
    baked = ScaledProject(bake(tmp_path), postgres, redis_server, python_env)
    try:
        yield baked
    finally:
        baked.stop_workers()


def celery_worker_names(project: ScaledProject, run_id: str) -> dict[str, set[str]]:
    """Step key -> Celery worker names that ran it (read from the raw event text)."""
    found: dict[str, set[str]] = {}
    rows = project.sql(
        "SELECT step_key, event FROM event_logs WHERE run_id = %s AND event LIKE %s",
        run_id,
        "%in celery worker%",
    )
    for step_key, event in rows:
        found.setdefault(step_key, set()).update(re.findall(r"polster-\d+@[\w.-]+", event))
    return found


# Reads the tables back through the project's own storage API, whatever the backend.
TABLE_ROWS = """
import json
from core.storage import read_table
print(json.dumps({f"{layer}/example": len(read_table(layer, "example"))
                  for layer in ("bronze", "silver", "gold")}))
"""


def table_rows(project: ScaledProject) -> dict[str, int]:
    result = subprocess.run(
        [PYTHON, "-c", TABLE_ROWS],
        cwd=project.root,
        env={**project.env, "PYTHONPATH": str(project.root / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def reported_rows(output: str) -> dict[str, int]:
    """Table -> rows, from run_polster.py's "finished  bronze/example: 2,040 rows" lines."""
    return {
        table: int(rows.replace(",", ""))
        for table, rows in re.findall(r"^finished  (\S+): ([\d,]+) rows", output, re.MULTILINE)
    }


def progress_lines(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.strip()]


# --- settings and faults: one line, exit 2, within seconds -----------------------------------


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"CELERY_BROKER_URL": "redis://:{redis}@127.0.0.1:1/0"}, "needs DAGSTER_POSTGRES_URL"),
        ({"DAGSTER_POSTGRES_URL": "polster:{pg}@127.0.0.1/db"}, "must be a URL such as"),
        ({"DAGSTER_POSTGRES_URL": "postgresql://polster:{pg}@h/db?password={pg}"}, "query"),
        (
            {
                "DAGSTER_POSTGRES_URL": "postgresql://polster:{pg}@h/db",
                "DAGSTER_MAX_CONCURRENT_RUNS": "0",
            },
            "DAGSTER_MAX_CONCURRENT_RUNS must be a whole number",
        ),
        (
            {
                "DAGSTER_POSTGRES_URL": "postgresql://p:{pg}@h/d",
                "CELERY_BROKER_URL": "amqp://:{redis}@h//",
            },
            "CELERY_BROKER_URL must be a Redis URL",
        ),
    ],
)
def test_wrong_settings_are_one_line_without_the_password(project, settings, fragment):
    project.configure(
        **{
            name: value.format(pg=PG_PASSWORD, redis=REDIS_PASSWORD)
            for name, value in settings.items()
        }
    )
    result = project.run()
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)


def test_worker_without_a_broker_is_one_line(project):
    project.configure(DAGSTER_POSTGRES_URL=project.postgres.url(project.database))
    result = project.run("--worker")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --worker needs CELERY_BROKER_URL and DAGSTER_POSTGRES_URL in .env "
        "(see .env.example): workers take their steps from that broker"
    )


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopping.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


FAULTS = {
    "postgres refused": "DAGSTER_POSTGRES_URL (postgresql://polster@127.0.0.1:{port}/",
    "postgres wrong password": 'password authentication failed for user "polster"',
    "postgres silent": "timeout expired",
    "redis refused": "CELERY_BROKER_URL (redis://127.0.0.1:{port}/",
    "redis wrong password": "authentication refused: check the password in CELERY_BROKER_URL",
    "redis silent": "Timeout",
}


@pytest.mark.parametrize(
    "fault, command",
    [(fault, ()) for fault in FAULTS]
    + [("postgres wrong password", ("--worker",)), ("redis refused", ("--worker",))]
    + [("postgres refused", ("--ui",))],
)
def test_unusable_servers_are_one_line_exit_2_within_seconds(project, fault, command):
    expected = FAULTS[fault]
    if "--ui" in command:
        command = (*command, "--port", str(free_port()))
    database, redis_database = project.database, project.redis_database
    with silent_server() as silent_port:
        closed_port = free_port()
        port = {"refused": closed_port, "silent": silent_port}.get(fault.split()[-1])
        postgres_url = project.postgres.url(database)
        broker_url = project.redis.url(redis_database)
        if fault.startswith("postgres"):
            postgres_url = (
                project.postgres.url(database, password="not-the-password")
                if "password" in fault
                else f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{database}"
            )
        elif "password" in fault:
            broker_url = project.redis.url(redis_database, password="not-the-password")
        else:
            broker_url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/{redis_database}"
        project.configure(DAGSTER_POSTGRES_URL=postgres_url, CELERY_BROKER_URL=broker_url)
        started = time.monotonic()
        result = project.run(*command, timeout=60)
        seconds = time.monotonic() - started

    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot use the "), result.stderr
    assert expected.format(port=port) in lines[0], lines[0]
    assert seconds < FAULT_SECONDS, f"{seconds:.1f} s"
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)
    assert not (project.root / ".dagster").exists()  # nothing was started


# --- runs through the workers ----------------------------------------------------------------


def test_no_worker_is_one_line_naming_the_broker_and_the_command(project):
    project.scale_out()
    started = time.monotonic()
    result = project.run(timeout=90)
    seconds = time.monotonic() - started

    broker = f"redis://127.0.0.1:{project.redis.port}/{project.redis_database}"
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: no Celery worker answered on {broker} within 15 s; "
        "start one with: python run_polster.py --worker"
    ]
    assert seconds < 60, f"{seconds:.1f} s"
    assert project.sql("SELECT count(*) FROM runs") == [(0,)]  # no run was started
    project.assert_no_secret_anywhere(result.stdout, result.stderr)


def test_two_workers_run_every_step_recorded_in_postgres(project):
    project.scale_out(DAGSTER_MAX_CONCURRENT_RUNS="3")
    first, second = project.start_worker(), project.start_worker()
    names = {first.wait_ready(), second.wait_ready()}

    result = project.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert progress_lines(result.stdout) == [
        *("started", "finished", "started", "check", "check", "check", "finished"),
        *("started", "finished", "done:"),
    ], result.stdout
    assert result.stdout.splitlines()[-1].startswith("done: 3 assets materialized in ")
    rows = table_rows(project)
    assert rows == reported_rows(result.stdout) and all(rows.values()), rows

    # The run and its events are in Postgres, and every step ran in one of the workers.
    runs = project.sql("SELECT run_id, status FROM runs")
    assert len(runs) == 1 and runs[0][1] == "SUCCESS", runs
    run_id = runs[0][0]
    succeeded = project.sql(
        "SELECT step_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'STEP_SUCCESS'",
        run_id,
    )
    assert sorted(key for (key,) in succeeded) == sorted(STEPS)
    ran_on = celery_worker_names(project, run_id)
    assert set(ran_on) == set(STEPS) and set().union(*ran_on.values()) <= names, ran_on
    run_pid = project.sql(
        "SELECT value FROM run_tags WHERE run_id = %s AND key = 'polster/pid'", run_id
    )[0][0]
    assert all(f"polster-{run_pid}@" not in name for name in set().union(*ran_on.values()))
    for worker in (first, second):
        assert "Traceback" not in worker.output(), worker.output()

    # The instance configuration comes from the settings, with no password in it.
    config = yaml.safe_load((project.root / ".dagster/postgres/dagster.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_url"] == (
        f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{project.postgres.port}/{project.database}"
    )
    assert config["concurrency"] == {"runs": {"max_concurrent_runs": 3}}
    assert not (project.root / ".dagster/dagster.yaml").exists()  # SQLite's is untouched

    # A worker killed while idle changes nothing: the other one does all the work.
    first.kill()
    again = project.run()
    assert again.returncode == 0, again.stdout + again.stderr
    second_run = project.sql(
        "SELECT run_id FROM runs WHERE status = 'SUCCESS' AND run_id <> %s", run_id
    )
    assert len(second_run) == 1
    survivor = second.wait_ready()
    assert celery_worker_names(project, second_run[0][0]) == {step: {survivor} for step in STEPS}
    project.assert_no_secret_anywhere(result.stdout, result.stderr, again.stdout, again.stderr)


def test_a_worker_killed_mid_step_hands_the_step_to_the_other(project, tmp_path):
    bronze = project.root / "src" / "core" / "bronze_example.py"
    source = bronze.read_text()
    anchor = "    orders = generate_orders()\n"
    assert source.count(anchor) == 1
    bronze.write_text(source.replace(anchor, BRONZE_HOOK + anchor))
    hold_dir = tmp_path / "hold"
    hold_dir.mkdir()
    project.scale_out(CELERY_VISIBILITY_TIMEOUT="5")
    workers = [project.start_worker({"TEST_HOLD_DIR": str(hold_dir)}) for _ in range(2)]
    for worker in workers:
        worker.wait_ready()

    running = subprocess.Popen(
        [PYTHON, "run_polster.py"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        held = hold_dir / "held"
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not (held.exists() and held.read_text()) and time.monotonic() < deadline:
            assert running.poll() is None, running.communicate()
            time.sleep(0.1)
        step_pid = int(held.read_text())
        holder = next(w for w in workers if os.getpgid(step_pid) == w.pid)
        holder.kill()  # the worker and the process running the step, at once
        killed_at = time.monotonic()
        stdout, stderr = running.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        stop_group(running, signal.SIGKILL)
    recovered_in = time.monotonic() - killed_at

    assert running.returncode == 0, stdout + stderr
    assert "restarted bronze/example" in stdout, stdout
    assert stdout.splitlines()[-1].startswith("done: 3 assets materialized"), stdout
    assert recovered_in < 90, f"{recovered_in:.1f} s"
    survivor = next(w for w in workers if w is not holder)
    assert "finished  bronze/example" in survivor.output(), survivor.output()
    # The step that was cut short left nothing behind: every table whole and readable.
    rows = table_rows(project)
    assert rows == reported_rows(stdout) and all(rows.values()), rows
    run_id, status = project.sql("SELECT run_id, status FROM runs")[0]
    assert status == "SUCCESS"
    starts = project.sql(
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND step_key = 'bronze__example' "
        "AND dagster_event_type = 'STEP_START'",
        run_id,
    )
    assert starts == [(2,)]
    project.assert_no_secret_anywhere(stdout, stderr)


def test_adls_storage_on_azurite_through_the_workers(
    tmp_path, postgres, redis_server, python_env, azurite
):
    from adlfs import AzureBlobFileSystem

    container = "scaleout"
    project = ScaledProject(
        bake(tmp_path, storage_backend="adls"), postgres, redis_server, python_env
    )
    project.configure(
        ADLS_CONNECTION_STRING=azurite.connection_string(),
        ADLS_CONTAINER=container,
    )
    project.scale_out()
    try:
        workers = [project.start_worker() for _ in range(2)]
        for worker in workers:
            worker.wait_ready()
        result = project.run()
    finally:
        project.stop_workers()

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("done: 3 assets materialized"), result.stdout
    rows = table_rows(project)
    assert rows == reported_rows(result.stdout) and all(rows.values()), rows
    fs = AzureBlobFileSystem(
        connection_string=azurite.connection_string(), skip_instance_cache=True
    )
    assert fs.ls(f"{container}/polster/data"), "nothing was written to the container"
    run_id = project.sql("SELECT run_id FROM runs WHERE status = 'SUCCESS'")[0][0]
    assert set(celery_worker_names(project, run_id)) == set(STEPS)


def test_ui_on_postgres_runs_a_graphql_launch_through_the_workers(project):
    project.scale_out(DAGSTER_MAX_CONCURRENT_RUNS="2")
    worker = project.start_worker()
    worker_name = worker.wait_ready()
    port = free_port()
    log = project.root.parent / "ui.log"
    with open(log, "wb") as output:
        ui = subprocess.Popen(
            [PYTHON, "run_polster.py", "--ui", "--port", str(port)],
            cwd=project.root,
            env=project.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while "Dagster UI ready at" not in log.read_text(errors="replace"):
            assert ui.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)

        def graphql(query: str, variables: dict | None = None) -> dict:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read())
            assert "errors" not in body, body
            return body["data"]

        queue = graphql("{ instance { runQueueConfig { maxConcurrentRuns } } }")
        assert queue["instance"]["runQueueConfig"] == {"maxConcurrentRuns": 2}
        launched = graphql(
            """
            mutation Launch($params: ExecutionParams!) {
              launchRun(executionParams: $params) {
                __typename
                ... on LaunchRunSuccess { run { runId } }
                ... on PythonError { message }
              }
            }
            """,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": project.root.name,
                        "repositoryName": "__repository__",
                        "pipelineName": "__ASSET_JOB",
                    }
                }
            },
        )
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["launchRun"]["run"]["runId"]
        status_query = "query R($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
        status = None
        while time.monotonic() < deadline:
            status = graphql(status_query, {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(1)
        assert status == "SUCCESS", log.read_text()[-3000:]
    finally:
        stop_group(ui, signal.SIGINT)
    assert ui.returncode == 0, log.read_text()[-3000:]

    assert celery_worker_names(project, run_id) == {step: {worker_name} for step in STEPS}
    tags = dict(project.sql("SELECT key, value FROM run_tags WHERE run_id = %s", run_id))
    assert "polster/pid" not in tags  # launched by the UI's daemon, not by run_polster.py
    project.assert_no_secret_anywhere(log.read_text(errors="replace"))


# --- deployment files: written for Docker and Kubernetes, validated here ----------------------


def test_deployment_files_parse_and_follow_the_compose_schema(tmp_path):
    project = bake(tmp_path)
    compose_file = project / "deploy" / "docker-compose.yml"
    helm_values = project / "deploy" / "helm-values.yaml"
    dockerfile = project / "Dockerfile"
    for path in (compose_file, helm_values, dockerfile, project / "deploy" / "README.md"):
        assert path.is_file(), path
        assert "not exercised" in path.read_text().lower() or path.suffix == ".md", path

    compose = yaml.safe_load(compose_file.read_text())
    assert {"postgres", "redis", "webserver", "daemon", "worker"} <= set(compose["services"])
    assert "--worker" in " ".join(compose["services"]["worker"]["command"])
    check = subprocess.run(
        [str(Path(PYTHON).parent / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec"]
        + [str(compose_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    values = yaml.safe_load(helm_values.read_text())
    assert values["dagster-user-deployments"]["enabled"] is True
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
    text = dockerfile.read_text()
    assert text.startswith("#") and "FROM python:" in text and '".[scale]"' in text
    assert not any(secret in text for secret in SECRETS)
    assert REPO_ROOT.is_dir()
