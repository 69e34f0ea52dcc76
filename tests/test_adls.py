"""The ADLS backend against a real Azure Storage API: Azurite, Microsoft's emulator.

A session fixture installs Azurite with npm into ``.cache/azurite`` (once, about 15 s) and
starts it on a free port of 127.0.0.1 with a temporary data folder. Each test bakes a
project with ``storage_backend=adls`` and runs what it generated in subprocesses, as a
user would: ``python run_polster.py`` and the core scripts. Tables are Delta tables: they
are listed with adlfs and read back with deltalake, run history comes from the project's
own Dagster instance. To fail an
upload half-way for sure, a small TCP relay between a writer and Azurite slows uploads down
and can cut the line; the writer can also be killed while it uploads.

Node.js and npm are required. Without them these tests fail, saying so: a skipped storage
test would look like a passing one.

``DefaultAzureCredential`` (no key, no connection string) cannot be tested here: it needs
an Azure login or a managed identity, which an emulator does not provide.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from adlfs import AzureBlobFileSystem
from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas
from deltalake import DeltaTable

from conftest import PYTHON, REPO_ROOT, bake, clean_env, run
from system_packages import debian_program, one_at_a_time

AZURITE_VERSION = "3.37"
"""3.37 is the first Azurite that honours List Blobs' ``startFrom``: deltalake lists a
table's log from the version it knows, and older Azurites answer with the whole log, which
deltalake refuses from a table's third version on ("Invalid table version")."""
AZURITE_DIR = REPO_ROOT / ".cache" / f"azurite-{AZURITE_VERSION}"
AZURITE_START_TIMEOUT_SECONDS = 30

ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""Azurite's development account key: public, yet treated here as the secret it stands for."""

WRONG_KEY = base64.b64encode(hashlib.sha512(b"not the key").digest()).decode()
"""A well-formed key of the right length that the account does not accept."""

BASE_PATH = "polster/data"
LAYERS = ("bronze", "silver", "gold")
TABLES = ("bronze/example", "silver/example", "gold/example")
MAX_FAILURE_SECONDS = 30
"""A failing run must end within this, Python and Dagster start-up included."""

BIG_ROWS = 1_000_000  # about 12 MB of parquet: an upload that takes a while when slowed down


# --- Azurite --------------------------------------------------------------------------------


class AzuriteUnavailable(RuntimeError):
    """Azurite could not be installed or started; the message says why."""


def install_azurite() -> Path:
    """The ``azurite-blob`` executable, installed with npm into ``.cache/azurite`` if missing."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise AzuriteUnavailable(
            f"{' and '.join(missing)} not found on PATH: the ADLS tests run Azurite, the Azure "
            "Storage emulator, which needs Node.js 20+ and npm (e.g. apt-get install nodejs npm)"
        )
    executable = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"
    with one_at_a_time("npm"):
        if not executable.exists():
            _npm_install_azurite(executable)
    return executable


def _npm_install_azurite(executable: Path) -> None:
    """Install Azurite with npm into ``AZURITE_DIR`` (under the lock of the caller)."""
    AZURITE_DIR.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix"]
    result = subprocess.run(
        [*command, str(AZURITE_DIR), f"azurite@{AZURITE_VERSION}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0 or not executable.exists():
        raise AzuriteUnavailable(
            f"npm could not install azurite@{AZURITE_VERSION} into {AZURITE_DIR}:\n"
            + result.stderr[-3000:]
        )


class Azurite:
    """One ``azurite-blob`` process on 127.0.0.1. ``stop()`` then ``start()`` keeps the port
    and the data folder, like a service that went away and came back."""

    def __init__(self, executable: Path, location: Path) -> None:
        self.executable = executable
        self.location = location
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def delta_options(self) -> dict[str, str]:
        """deltalake's storage options for the development account."""
        return {
            "account_name": ACCOUNT,
            "account_key": ACCOUNT_KEY,
            "endpoint": self.blob_endpoint,
            "allow_http": "true",
        }

    def connection_string(
        self, account: str = ACCOUNT, key: str = ACCOUNT_KEY, port: int | None = None
    ) -> str:
        endpoint = f"http://127.0.0.1:{port or self.port}/{account}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
            f"BlobEndpoint={endpoint};"
        )

    def start(self) -> "Azurite":
        self.location.mkdir(parents=True, exist_ok=True)
        log = self.location / "azurite.log"
        command = [
            str(self.executable),
            *("--blobHost", "127.0.0.1", "--blobPort", str(self.port)),
            *("--location", str(self.location)),
            # The current SDK speaks a newer API version than Azurite knows; without
            # --disableTelemetry it reports usage to Microsoft.
            *("--skipApiVersionCheck", "--loose", "--disableTelemetry"),
        ]
        with open(log, "ab") as output:
            # Its own process group, so that stop() reaches node and anything it spawned.
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + AZURITE_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AzuriteUnavailable(
                    f"azurite-blob exited with status {self.process.returncode}:\n"
                    + log.read_text()[-3000:]
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AzuriteUnavailable(
            f"azurite-blob did not listen on port {self.port} "
            f"within {AZURITE_START_TIMEOUT_SECONDS} s:\n" + log.read_text()[-3000:]
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def azurite_executable() -> Path:
    # A fresh machine may lack Node.js: take Debian's (npm brings nodejs with it).
    debian_program("npm", "npm")
    try:
        return install_azurite()
    except AzuriteUnavailable as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)  # outside the except: the message alone, no chain


@pytest.fixture(scope="session")
def azurite(azurite_executable, tmp_path_factory):
    """The Azurite shared by the tests; each test works in a container of its own."""
    server = Azurite(azurite_executable, tmp_path_factory.mktemp("azurite"))
    try:
        server.start()
    except AzuriteUnavailable as error:
        problem = str(error)
    else:
        try:
            yield server
        finally:
            server.stop()
        return
    pytest.fail(problem, pytrace=False)


class ThrottledRelay:
    """A TCP relay in front of Azurite that slows uploads down and can cut the line.

    Bytes towards the server go through at ``bytes_per_second``, so that a test can act
    while an upload is under way; ``uploaded`` counts them. ``cut()`` drops every
    connection and stops listening, as when the network or the service goes away.
    """

    def __init__(self, target_port: int, bytes_per_second: int) -> None:
        self.target_port = target_port
        self.bytes_per_second = bytes_per_second
        self.uploaded = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def wait_for_upload(self, size: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.uploaded < size:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def cut(self) -> None:
        _close(self._listener)
        with self._lock:
            sockets = list(self._sockets)
        for connection in sockets:
            _close(connection)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # cut() closed the listener
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._relay, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client, False), daemon=True).start()

    def _relay(self, source: socket.socket, destination: socket.socket, upload: bool) -> None:
        try:
            while data := source.recv(64 * 1024):
                if upload:
                    time.sleep(len(data) / self.bytes_per_second)
                    with self._lock:
                        self.uploaded += len(data)
                destination.sendall(data)
        except OSError:
            pass
        for connection in (source, destination):  # one side is gone: end the other
            _close(connection)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)  # also wakes a thread blocked in accept/recv
    except OSError:
        pass
    connection.close()


# --- projects and what they wrote ----------------------------------------------------------

# Computes the example tables with the core functions, without storage, and saves them the
# way write_table converts a DataFrame: the reference the stored tables must equal.
EXPECTED_TABLES = """
import sys
sys.path.insert(0, "src")
import pyarrow as pa
import pyarrow.parquet as pq
from core.bronze_example import generate_orders
from core.gold_example import daily_sales
from core.silver_example import clean_orders

bronze = generate_orders()
silver = clean_orders(bronze)
gold = daily_sales(silver)
for layer, df in (("bronze", bronze), ("silver", silver), ("gold", gold)):
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, f"{sys.argv[1]}/{layer}.parquet")
"""

# Prints {asset: dagster/uri of its latest materialization} from the project's instance.
MATERIALIZED_URIS = """
import json
import sys
sys.path.insert(0, "src")
import dagster as dg
from core.paths import DAGSTER_HOME

with dg.DagsterInstance.from_config(str(DAGSTER_HOME)) as instance:
    uris = {}
    for key in instance.get_asset_keys():
        event = instance.get_latest_materialization_event(key)
        uris[key.to_user_string()] = event.asset_materialization.metadata["dagster/uri"].value
print(json.dumps(uris))
"""

# Writes bronze/big, a large table of random numbers from the seed in argv[1], through the
# project's storage layer and with its script behaviour (one error line, exit status 1).
BIG_WRITER = f"""
import sys
sys.path.insert(0, "src")
import numpy as np
import pandas as pd
from core.script import run_script
from core.storage import write_table

rows = {BIG_ROWS}
df = pd.DataFrame(
    {{"row": np.arange(rows), "value": np.random.default_rng(int(sys.argv[1])).random(rows)}}
)
run_script(lambda: (df, write_table(df, "bronze", "big")), "bronze/big")
"""

# A write that fails after a data file of the new version was uploaded, before its commit
# (a writer whose files are not all there yet, or whose commit is refused): nothing of it
# may become visible.
FAILING_WRITER = """
import sys
sys.path.insert(0, "src")
import pandas as pd
from core import storage

def crash(table_uri, data, **kwargs):
    backend = storage._backend()
    container = backend._client.get_container_client(backend._container)
    blob = backend._blob_name("bronze/big/part-00000-stray.snappy.parquet")
    container.upload_blob(blob, b"PAR1" + bytes(100_000), overwrite=True)
    raise OSError("disk full")

storage.write_deltalake = crash
try:
    storage.write_table(pd.DataFrame({"row": [1], "value": [0.5]}), "bronze", "big")
except storage.StorageError as error:
    print(f"write failed: {error}")
"""

# Prints what a caller of the storage layer can see of a StorageError.
ERROR_PROBE = """
import sys
import traceback
sys.path.insert(0, "src")
import pandas as pd
from core.storage import StorageError, read_table, write_table

for attempt in (
    lambda: write_table(pd.DataFrame({"row": [1]}), "bronze", "probe"),
    lambda: read_table("bronze", "probe"),
):
    try:
        attempt()
    except StorageError as error:
        print(repr(error))
        print("".join(traceback.format_exception(error)))
        print("chained:", error.__cause__, error.__context__, error.__suppress_context__)
"""


@pytest.fixture
def project(tmp_path) -> Path:
    return bake(tmp_path, storage_backend="adls")


@pytest.fixture
def container() -> str:
    """A container no other test uses; it does not exist yet (the first write creates it)."""
    return f"lake-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def expected_tables(tmp_path_factory) -> dict[str, pa.Table]:
    folder = tmp_path_factory.mktemp("expected")
    reference = bake(folder, storage_backend="local")
    result = run([PYTHON, "-c", EXPECTED_TABLES, str(folder)], cwd=reference)
    assert result.returncode == 0, result.stderr
    return {f"{layer}/example": pq.read_table(folder / f"{layer}.parquet") for layer in LAYERS}


def set_env_file(project: Path, **values: str) -> None:
    """Fill in settings in the project's ``.env``, the file its README tells users to edit."""
    env_file = project / ".env"
    lines = []
    for line in env_file.read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values.pop(name)}" if name in values else line)
    lines += [f"{name}={value}" for name, value in values.items()]
    env_file.write_text("\n".join(lines) + "\n")


def timed_run(project: Path) -> tuple[subprocess.CompletedProcess, float]:
    """``python run_polster.py`` in the project, and how long it took."""
    started = time.monotonic()
    result = run([PYTHON, "run_polster.py"], cwd=project, timeout=120)
    return result, time.monotonic() - started


def filesystem(connection_string: str) -> AzureBlobFileSystem:
    """adlfs as any other reader would use it, with no cached instance or listing."""
    return AzureBlobFileSystem(connection_string=connection_string, skip_instance_cache=True)


def stored(container: str, table: str) -> str:
    """Where the project must store ``table``: ``<container>/<base_path>/<layer>/<name>``."""
    return f"{container}/{BASE_PATH}/{table}"


def blobs(fs: AzureBlobFileSystem, container: str) -> set[str]:
    fs.invalidate_cache()
    return set(fs.find(container))


def tables(fs: AzureBlobFileSystem, container: str) -> set[str]:
    """The Delta tables in the container (folders with a ``_delta_log``), and nothing staged."""
    found = blobs(fs, container)
    staged = [blob for blob in found if "/_staging/" in blob]
    assert staged == [], "staged data was left behind"
    return {blob.partition("/_delta_log/")[0] for blob in found if "/_delta_log/" in blob}


def delta_table(container: str, table: str, options: dict[str, str]) -> DeltaTable:
    return DeltaTable(f"abfs://{stored(container, table)}", storage_options=options)


def read_back(container: str, table: str, options: dict[str, str]) -> pd.DataFrame:
    return delta_table(container, table, options).to_pyarrow_table().to_pandas()


def assert_table_equals(container: str, table: str, options: dict, expected: pa.Table) -> None:
    pd.testing.assert_frame_equal(read_back(container, table, options), expected.to_pandas())


def assert_pipeline_on_adls(
    project: Path,
    fs: AzureBlobFileSystem,
    container: str,
    expected: dict[str, pa.Table],
    options: dict[str, str],
) -> None:
    """Every table at its abfs path, equal to the reference, and named so in Dagster."""
    assert tables(fs, container) == {stored(container, table) for table in TABLES}
    for table in TABLES:
        assert_table_equals(container, table, options, expected[table])
    uris = run([PYTHON, "-c", MATERIALIZED_URIS], cwd=project)
    assert uris.returncode == 0, uris.stderr
    assert json.loads(uris.stdout) == {t: f"abfs://{stored(container, t)}" for t in TABLES}


def secret_forms(*secrets: str) -> set[str]:
    """The keys and ``secrets`` (connection strings), URL-quoted too, and pieces of the keys.

    Pieces catch a key that leaks truncated or split over lines.
    """
    forms = set()
    for key in (ACCOUNT_KEY, WRONG_KEY):
        forms |= {key[:16], key[32:48], key[-16:]}
    for secret in (ACCOUNT_KEY, WRONG_KEY, *secrets):
        forms |= {secret, urllib.parse.quote(secret, safe="")}
    return forms


def assert_no_secrets(
    project: Path, results: list[subprocess.CompletedProcess], secrets: list[str], seen: str
) -> None:
    """No key or secret in the commands' output nor anywhere in the project's Dagster instance.

    The instance holds the run records, the event log (with each materialization's
    metadata) and the captured compute logs. ``seen`` must be found there: it proves the
    scan reads what Dagster recorded, rather than passing on files it cannot read.
    """
    dagster_files = [path for path in (project / ".dagster").rglob("*") if path.is_file()]
    recorded = b"".join(path.read_bytes() for path in dagster_files)
    assert seen.encode() in recorded, f"{seen!r} not found in the Dagster instance"
    assert any("compute_logs" in path.parts for path in dagster_files)
    output = "".join(result.stdout + result.stderr for result in results)
    for form in secret_forms(*secrets):
        assert form not in output, "a secret was printed"
        assert form.encode() not in recorded, "a secret was recorded by Dagster"


def assert_one_line_failure(
    result: subprocess.CompletedProcess, seconds: float, cause: str
) -> None:
    """Failed, in bounded time, with one line naming the failed asset and the cause."""
    assert result.returncode != 0, result.stdout
    assert seconds < MAX_FAILURE_SECONDS, f"took {seconds:.1f} s"
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, result.stdout
    assert failed[0].startswith("FAILED    bronze/example: cannot "), failed[0]
    assert cause in failed[0] and "StorageError" not in failed[0], failed[0]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert "asset bronze/example" in errors[0] and cause in errors[0], errors[0]


# --- the pipeline on ADLS -------------------------------------------------------------------


def test_pipeline_and_scripts_run_on_adls_with_a_connection_string(
    azurite, project, container, expected_tables
):
    """The issue's end-to-end run, settings in .env; then each core script on its own."""
    connection_string = azurite.connection_string()
    set_env_file(project, ADLS_CONTAINER=container, ADLS_CONNECTION_STRING=connection_string)

    result = run([PYTHON, "run_polster.py"], cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "done: 3 assets materialized" in result.stdout
    fs = filesystem(connection_string)
    options = azurite.delta_options()
    assert_pipeline_on_adls(project, fs, container, expected_tables, options)

    scripts = []
    for layer in LAYERS:
        script = run([PYTHON, f"src/core/{layer}_example.py"], cwd=project)
        assert script.returncode == 0, script.stderr
        assert script.stdout.endswith(f" to abfs://{stored(container, f'{layer}/example')}\n")
        scripts.append(script)
    for table in TABLES:
        assert_table_equals(container, table, options, expected_tables[table])
    assert_no_secrets(
        project,
        [result, *scripts],
        [connection_string],
        seen=f"abfs://{stored(container, TABLES[0])}",
    )


def test_pipeline_runs_on_adls_with_an_account_key(azurite, project, container, expected_tables):
    """Account name and key, in environment variables, at the emulator's endpoint."""
    env = {
        "ADLS_ACCOUNT_NAME": ACCOUNT,
        "ADLS_ACCOUNT_KEY": ACCOUNT_KEY,
        # A key alone means https://<account>.blob.core.windows.net; the emulator is elsewhere.
        "ADLS_BLOB_ENDPOINT": azurite.blob_endpoint,
        "ADLS_CONTAINER": container,
    }

    result = run([PYTHON, "run_polster.py"], cwd=project, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_pipeline_on_adls(
        project,
        filesystem(azurite.connection_string()),
        container,
        expected_tables,
        azurite.delta_options(),
    )
    assert_no_secrets(project, [result], [], seen=f"abfs://{stored(container, TABLES[0])}")


def test_scripts_run_on_adls_with_a_sas_connection_string(azurite, project, container):
    """A SAS connection string, whose token ends up in every request URL."""
    sas = generate_account_sas(
        ACCOUNT,
        ACCOUNT_KEY,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        # Delete: staged data is removed once published, and maintenance vacuums.
        permission=AccountSasPermissions(
            read=True, write=True, create=True, list=True, delete=True
        ),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    connection_string = f"BlobEndpoint={azurite.blob_endpoint};SharedAccessSignature={sas};"
    env = {"ADLS_CONTAINER": container, "ADLS_CONNECTION_STRING": connection_string}

    results = [
        run([PYTHON, f"src/core/{layer}_example.py"], cwd=project, env=env) for layer in LAYERS
    ]

    for result in results:
        assert result.returncode == 0, result.stderr
    fs = filesystem(azurite.connection_string())
    assert tables(fs, container) == {stored(container, table) for table in TABLES}
    signature = urllib.parse.parse_qs(sas)["sig"][0]
    for form in secret_forms(connection_string, sas, signature):
        assert form not in "".join(result.stdout + result.stderr for result in results)


# --- all-or-nothing writes ------------------------------------------------------------------


def big_values(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(BIG_ROWS)


def assert_big_table_is(
    azurite: Azurite, container: str, seed: int, version: int | None = None
) -> int:
    """bronze/big holds the values of ``seed`` (at ``version``, if given); return its version.

    A data file that a failed writer left behind belongs to no version: it is never read.
    """
    delta = delta_table(container, "bronze/big", azurite.delta_options())
    table = delta.to_pyarrow_table()
    assert np.array_equal(table.column("row").to_numpy(), np.arange(BIG_ROWS))
    assert np.array_equal(table.column("value").to_numpy(), big_values(seed))
    if version is not None:
        assert delta.version() == version  # nothing half-written was committed
    assert tables(filesystem(azurite.connection_string()), container) == {
        stored(container, "bronze/big")
    }
    return delta.version()


@pytest.mark.parametrize("fault", ["writer killed", "connection cut"])
def test_interrupted_upload_leaves_the_previous_version(azurite, project, container, fault):
    """A writer killed, or its connection cut, with part of a new version uploaded.

    The upload goes through a relay that slows it down, so the fault hits mid-upload for
    sure. Readers must still get the previous version, whole; the next write must work.
    """
    direct = {"ADLS_CONTAINER": container, "ADLS_CONNECTION_STRING": azurite.connection_string()}
    first = run([PYTHON, "-c", BIG_WRITER, "1"], cwd=project, env=direct)
    assert first.returncode == 0, first.stderr
    version = assert_big_table_is(azurite, container, seed=1)

    relay = ThrottledRelay(azurite.port, bytes_per_second=8_000_000)
    slow = {**direct, "ADLS_CONNECTION_STRING": azurite.connection_string(port=relay.port)}
    writer = subprocess.Popen(
        [PYTHON, "-c", BIG_WRITER, "2"],
        cwd=project,
        env=clean_env(slow),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert relay.wait_for_upload(2_000_000, timeout=60), "the upload never got going"
        assert writer.poll() is None, "the writer finished before the fault"
        if fault == "writer killed":
            writer.send_signal(signal.SIGKILL)
        else:
            relay.cut()
        started = time.monotonic()
        _, stderr = writer.communicate(timeout=60)
        seconds = time.monotonic() - started
    finally:
        writer.kill()
        relay.cut()

    if fault == "writer killed":
        assert writer.returncode == -signal.SIGKILL
    else:
        assert writer.returncode == 1
        assert seconds < MAX_FAILURE_SECONDS
        assert stderr.startswith("error: bronze/big: cannot write table bronze/big "), stderr
        assert "endpoint unreachable" in stderr and len(stderr.splitlines()) == 1, stderr
    assert_big_table_is(azurite, container, seed=1, version=version)

    again = run([PYTHON, "-c", BIG_WRITER, "2"], cwd=project, env=direct)
    assert again.returncode == 0, again.stderr
    assert_big_table_is(azurite, container, seed=2, version=version + 1)


def test_failed_write_publishes_nothing(azurite, project, container):
    """A write that fails after uploading a data file, before its commit, publishes nothing:
    readers keep the previous version, and the stray file belongs to no version."""
    env = {"ADLS_CONTAINER": container, "ADLS_CONNECTION_STRING": azurite.connection_string()}
    first = run([PYTHON, "-c", BIG_WRITER, "1"], cwd=project, env=env)
    assert first.returncode == 0, first.stderr
    version = assert_big_table_is(azurite, container, seed=1)

    failed = run([PYTHON, "-c", FAILING_WRITER], cwd=project, env=env)

    assert failed.stdout.startswith("write failed: cannot write table bronze/big "), failed.stderr
    assert failed.stdout.rstrip().endswith("disk full"), failed.stdout
    assert f"{stored(container, 'bronze/big')}/part-00000-stray.snappy.parquet" in blobs(
        filesystem(azurite.connection_string()), container
    )
    assert_big_table_is(azurite, container, seed=1, version=version)


# --- failure modes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "cause"),
    [("wrong key", "authentication failed"), ("unknown account", "account nosuch not found")],
    ids=["wrong key", "unknown account"],
)
def test_refused_credentials_fail_fast_in_one_line_and_a_fixed_rerun_succeeds(
    azurite, project, container, fault, cause
):
    """Refused at once (no retries for a definite answer): one line, asset and cause."""
    if fault == "wrong key":
        bad = azurite.connection_string(key=WRONG_KEY)
    else:
        bad = azurite.connection_string(account="nosuch")
    set_env_file(project, ADLS_CONTAINER=container, ADLS_CONNECTION_STRING=bad)

    failed, seconds = timed_run(project)

    assert_one_line_failure(failed, seconds, cause)
    good = azurite.connection_string()
    set_env_file(project, ADLS_CONNECTION_STRING=good)
    fixed, _ = timed_run(project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert_no_secrets(project, [failed, fixed], [bad, good], seen=cause)


def test_unreachable_endpoint_fails_within_bounded_time_and_a_rerun_succeeds(
    azurite_executable, tmp_path, project, container
):
    """The emulator stopped: retries, then one line; started again, the same run works."""
    server = Azurite(azurite_executable, tmp_path / "azurite").start()
    try:
        set_env_file(
            project, ADLS_CONTAINER=container, ADLS_CONNECTION_STRING=server.connection_string()
        )
        server.stop()

        failed, seconds = timed_run(project)

        assert_one_line_failure(failed, seconds, "endpoint unreachable")
        server.start()  # same port, same data: the service is back
        fixed, _ = timed_run(project)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    finally:
        server.stop()
    assert_no_secrets(project, [failed, fixed], [server.connection_string()], seen="unreachable")


@pytest.mark.parametrize(
    "settings",
    ["connection string with a wrong key", "account key, wrong", "unknown account"],
)
def test_storage_errors_carry_no_secret_and_no_chained_exception(
    azurite, project, container, settings
):
    """What code catching a StorageError can see: message, repr, traceback, chain."""
    env = {"ADLS_CONTAINER": container}
    if settings == "connection string with a wrong key":
        env["ADLS_CONNECTION_STRING"] = azurite.connection_string(key=WRONG_KEY)
    elif settings == "account key, wrong":
        env |= {
            "ADLS_ACCOUNT_NAME": ACCOUNT,
            "ADLS_ACCOUNT_KEY": WRONG_KEY,
            "ADLS_BLOB_ENDPOINT": azurite.blob_endpoint,
        }
    else:
        env["ADLS_CONNECTION_STRING"] = azurite.connection_string(account="nosuch", key=ACCOUNT_KEY)

    result = run([PYTHON, "-c", ERROR_PROBE], cwd=project, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("StorageError('cannot ") == 2  # the write and the read
    assert "cannot write table bronze/probe (abfs://" in result.stdout
    assert "cannot look up table bronze/probe (abfs://" in result.stdout
    assert result.stdout.count("chained: None None True") == 2
    for azure_detail in ("azure.core", "HttpResponseError", "RequestId", "ErrorCode:"):
        assert azure_detail not in result.stdout
    connection_string = env.get("ADLS_CONNECTION_STRING", "")
    for form in secret_forms(*filter(None, [connection_string])):
        assert form not in result.stdout + result.stderr
