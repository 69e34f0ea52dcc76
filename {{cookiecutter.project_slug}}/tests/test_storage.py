"""The storage API on the local backend, the settings that choose a backend, and the parts
of the ADLS backend that need no storage service (its set-up and how its failures read).

Every table is a Delta table. The ADLS backend itself is tested against the Azurite
emulator in Polster's own tests.
"""

import errno
import socket
import traceback

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import storage
from core.settings import AdlsStorageSettings, SettingsError, load_settings
from core.storage import (
    PARTITION_COLUMN,
    InvalidTableError,
    SchemaChangeError,
    StorageError,
    TableNotFoundError,
    list_tables,
    maintain_table,
    migrate_parquet_tables,
    read_table,
    staged_table,
    table_exists,
    table_partitions,
    table_version,
    write_table,
)

SAMPLE = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})


def day_rows(day: str, count: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"id": range(count), "amount": [1.5] * count}).assign(
        **{PARTITION_COLUMN: day}
    )


def data_files(folder) -> set[str]:
    """The table's data files (not the checkpoints in its log)."""
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*.parquet")
        if "_delta_log" not in path.parts
    }


def test_round_trip_to_a_delta_table_in_the_layer_folder(local_storage):
    uri = write_table(SAMPLE, "silver", "customers")
    folder = local_storage / "silver" / "customers"
    assert uri == folder.as_uri()
    assert (folder / "_delta_log" / "00000000000000000000.json").is_file()
    assert table_exists("silver", "customers")
    assert table_version("silver", "customers") == 0
    pd.testing.assert_frame_equal(read_table("silver", "customers"), SAMPLE)
    assert list_tables() == [("silver", "customers")]


def test_missing_table_error_names_the_table_and_its_asset():
    assert not table_exists("bronze", "nothing_here")
    with pytest.raises(TableNotFoundError, match=r"bronze/nothing_here.*materialize asset"):
        read_table("bronze", "nothing_here")


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        ("platinum", "x"),
        ("bronze", "../escape"),
        ("bronze", "a/b"),
        ("bronze", "Upper"),
        ("bronze", ""),
    ],
)
def test_layer_and_name_are_validated(layer, name):
    with pytest.raises(InvalidTableError):
        write_table(SAMPLE, layer, name)


def test_a_whole_table_write_replaces_the_table_and_keeps_history(local_storage):
    write_table(SAMPLE, "gold", "report")
    write_table(SAMPLE.head(1), "gold", "report")
    assert len(read_table("gold", "report")) == 1
    assert table_version("gold", "report") == 1
    pd.testing.assert_frame_equal(read_table("gold", "report", version=0), SAMPLE)


def test_a_partition_write_replaces_exactly_that_partition(local_storage):
    write_table(
        pd.concat([day_rows("2026-01-01"), day_rows("2026-01-02")]),
        "bronze",
        "orders",
        partition=["2026-01-01", "2026-01-02"],
    )
    folder = local_storage / "bronze" / "orders"
    first_day = {path for path in data_files(folder) if "2026-01-01" in path}

    write_table(day_rows("2026-01-02", count=5), "bronze", "orders", partition="2026-01-02")

    assert table_partitions("bronze", "orders") == ["2026-01-01", "2026-01-02"]
    assert len(read_table("bronze", "orders", partitions=["2026-01-01"])) == 3
    assert len(read_table("bronze", "orders", partitions=["2026-01-02"])) == 5
    assert first_day <= data_files(folder)  # the other day's files were not touched


def test_writing_a_partition_again_gives_the_same_rows_in_a_new_version(local_storage):
    write_table(day_rows("2026-01-05"), "bronze", "orders", partition="2026-01-05")
    first = read_table("bronze", "orders")
    write_table(day_rows("2026-01-05"), "bronze", "orders", partition="2026-01-05")
    pd.testing.assert_frame_equal(read_table("bronze", "orders"), first)
    assert table_version("bronze", "orders") == 1


def test_a_partition_listed_without_rows_becomes_empty(local_storage):
    write_table(day_rows("2026-01-01"), "bronze", "orders", partition="2026-01-01")
    write_table(day_rows("2026-01-02"), "bronze", "orders", partition=["2026-01-01", "2026-01-02"])
    assert table_partitions("bronze", "orders") == ["2026-01-02"]


def test_reads_prune_partitions_and_project_columns(local_storage):
    write_table(
        pd.concat([day_rows("2026-01-01"), day_rows("2026-01-02")]),
        "bronze",
        "orders",
        partition=["2026-01-01", "2026-01-02"],
    )
    # Spoil the other day's data file: a read of one day must not even open it.
    folder = local_storage / "bronze" / "orders"
    [other] = [path for path in folder.rglob("*.parquet") if "2026-01-02" in str(path)]
    other.write_bytes(b"not parquet at all")

    day = read_table("bronze", "orders", partitions=["2026-01-01"], columns=["id"])
    assert list(day.columns) == ["id"] and len(day) == 3
    assert read_table("bronze", "orders", partitions=[]).empty
    with pytest.raises(StorageError, match=r"^cannot read table bronze/orders .*damaged") as error:
        read_table("bronze", "orders")
    assert "\n" not in str(error.value)
    with pytest.raises(InvalidTableError, match="has no column nope"):
        read_table("bronze", "orders", partitions=["2026-01-01"], columns=["nope"])


def test_time_travel_reads_an_earlier_version(local_storage):
    write_table(day_rows("2026-01-01", count=2), "bronze", "orders", partition="2026-01-01")
    write_table(day_rows("2026-01-01", count=7), "bronze", "orders", partition="2026-01-01")
    assert len(read_table("bronze", "orders", version=0)) == 2
    assert len(read_table("bronze", "orders", version=1)) == 7
    with pytest.raises(StorageError, match="it has no version 9 .*0 to 1"):
        read_table("bronze", "orders", version=9)
    # Far beyond the latest: answered at once (deltalake alone searches its log for minutes,
    # or cannot convert the number).
    for version in (10**9, 2**64 - 1, 10**30):
        with pytest.raises(StorageError, match=f"it has no version {version} .*0 to 1"):
            read_table("bronze", "orders", version=version)


def test_time_travel_to_a_version_whose_log_entries_are_gone(local_storage):
    for count in range(1, 4):
        write_table(day_rows("2026-01-01", count), "bronze", "orders", partition="2026-01-01")
    maintain_table("bronze", "orders")  # writes a checkpoint of the log
    log = local_storage / "bronze" / "orders" / "_delta_log"
    (log / "00000000000000000000.json").unlink()  # as the log retention does, after 30 days
    with pytest.raises(StorageError, match="version 0 is no longer in its log") as error:
        read_table("bronze", "orders", version=0)
    assert "\n" not in str(error.value)
    assert len(read_table("bronze", "orders")) == 3


def test_one_partition_key_may_be_given_as_a_string(local_storage):
    days = ["2026-01-01", "2026-01-02"]
    write_table(pd.concat([day_rows(day) for day in days]), "bronze", "orders", partition=days)
    assert len(read_table("bronze", "orders", partitions="2026-01-02")) == 3
    with staged_table(day_rows("2026-01-02", 5), "bronze", "orders", partition="2026-01-02") as s:
        assert len(s.read("2026-01-02")) == 5
        s.publish("2026-01-02")
    assert len(read_table("bronze", "orders", partitions="2026-01-02")) == 5


def test_an_unexpected_schema_change_is_refused_in_one_line(local_storage):
    write_table(SAMPLE, "silver", "customers")
    changed = SAMPLE.assign(id=SAMPLE["id"].astype(str), email="x@example.com").drop(columns="name")
    with pytest.raises(SchemaChangeError) as error:
        write_table(changed, "silver", "customers")
    message = str(error.value)
    assert "\n" not in message
    for part in ("new columns: email", "missing columns: name", "changed types: id long -> string"):
        assert part in message
    assert "evolve_schema=True" in message
    assert table_version("silver", "customers") == 0


def test_schema_evolution_when_the_asset_asks_for_it(local_storage):
    write_table(day_rows("2026-01-01"), "bronze", "orders", partition="2026-01-01")
    wider = day_rows("2026-01-02").assign(channel="web")
    with pytest.raises(SchemaChangeError, match="new columns: channel"):
        write_table(wider, "bronze", "orders", partition="2026-01-02")
    write_table(wider, "bronze", "orders", partition="2026-01-02", evolve_schema=True)
    table = read_table("bronze", "orders").sort_values(PARTITION_COLUMN)
    assert table["channel"].isna().tolist() == [True] * 3 + [False] * 3
    write_table(SAMPLE, "gold", "report")
    write_table(SAMPLE.assign(id=["x", "y", "z"]), "gold", "report", evolve_schema=True)
    assert read_table("gold", "report")["id"].tolist() == ["x", "y", "z"]


def test_partitioning_must_match_the_table(local_storage):
    write_table(SAMPLE, "silver", "customers")
    with pytest.raises(InvalidTableError, match="is not partitioned"):
        write_table(SAMPLE, "silver", "customers", partition="2026-01-01")
    write_table(day_rows("2026-01-01"), "bronze", "orders", partition="2026-01-01")
    with pytest.raises(InvalidTableError, match="is partitioned by partition_key"):
        write_table(SAMPLE, "bronze", "orders")
    with pytest.raises(InvalidTableError, match="rows of partition 2026-01-01"):
        write_table(day_rows("2026-01-01"), "bronze", "orders", partition="2026-01-02")
    with pytest.raises(InvalidTableError, match="invalid partition key"):
        write_table(SAMPLE, "bronze", "orders", partition="2026/01/01")


def test_failed_write_keeps_the_previous_version(local_storage, monkeypatch):
    write_table(SAMPLE, "bronze", "orders")

    def crash(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(storage, "write_deltalake", crash)
        with pytest.raises(StorageError, match=r"cannot write table bronze/orders .*No space"):
            write_table(SAMPLE.head(1), "bronze", "orders")
        with pytest.raises(StorageError, match=r"cannot write table bronze/fresh .*No space"):
            write_table(SAMPLE, "bronze", "fresh")
    pd.testing.assert_frame_equal(read_table("bronze", "orders"), SAMPLE)
    assert not (local_storage / "bronze" / "fresh").exists()  # a failed first write leaves nothing


def test_a_damaged_log_is_a_one_line_storage_error(local_storage):
    write_table(SAMPLE, "silver", "customers")
    log = local_storage / "silver" / "customers" / "_delta_log" / "00000000000000000000.json"
    log.write_text("{this is not json\n")
    with pytest.raises(
        StorageError, match=r"^cannot read table silver/customers .*Delta log"
    ) as error:
        read_table("silver", "customers")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("what", ["a folder of other files", "a file"])
def test_something_else_where_a_table_should_be_is_refused(local_storage, what):
    place = local_storage / "silver" / "customers"
    place.parent.mkdir(parents=True)
    if what == "a file":
        place.write_text("mine")
    else:
        place.mkdir()
        (place / "notes.csv").write_text("a,b\n")
    for attempt in (
        lambda: read_table("silver", "customers"),
        lambda: write_table(SAMPLE, "silver", "customers"),
    ):
        with pytest.raises(StorageError, match="not a Delta table"):
            attempt()
    assert (place / "notes.csv").is_file() if what != "a file" else place.read_text() == "mine"


def test_parquet_tables_of_older_projects_are_named_and_migrated(local_storage):
    (local_storage / "bronze").mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(SAMPLE), local_storage / "bronze" / "orders.parquet")
    with pytest.raises(TableNotFoundError, match="older Polster project .*storage.py migrate"):
        read_table("bronze", "orders")

    [line] = migrate_parquet_tables()

    assert line.startswith("bronze/orders: 3 rows converted to ")
    pd.testing.assert_frame_equal(read_table("bronze", "orders"), SAMPLE)
    assert (local_storage / "bronze" / "orders.parquet").is_file()  # left for the user
    assert "already a Delta table" in migrate_parquet_tables()[0]


def test_staged_data_is_published_only_when_asked(local_storage):
    write_table(SAMPLE, "silver", "customers")
    with staged_table(SAMPLE.head(2), "silver", "customers") as staged:
        assert len(staged.read()) == 2
        assert len(read_table("silver", "customers")) == 3  # not published yet
    assert table_version("silver", "customers") == 0  # left unpublished: discarded

    days = pd.concat([day_rows("2026-01-01"), day_rows("2026-01-02")])
    with staged_table(days, "bronze", "orders", partition=["2026-01-01", "2026-01-02"]) as staged:
        assert len(staged.read(["2026-01-02"])) == 3
        staged.publish(["2026-01-02"])
    assert table_partitions("bronze", "orders") == ["2026-01-02"]
    assert not (local_storage / storage.STAGING_FOLDER).exists()  # nothing staged is left


def test_maintenance_compacts_and_vacuums(local_storage):
    for count in range(1, 5):
        write_table(day_rows("2026-01-01", count), "bronze", "orders", partition="2026-01-01")
        write_table(day_rows("2026-01-02", count), "bronze", "orders", partition="2026-01-02")
    folder = local_storage / "bronze" / "orders"
    assert len(data_files(folder)) == 8
    counts = maintain_table("bronze", "orders", retention_hours=0)
    assert counts["files_compacted"] == 0  # one file per day: nothing to merge
    assert counts["files_vacuumed"] == 6  # the files of the replaced versions
    assert len(data_files(folder)) == 2
    assert len(read_table("bronze", "orders")) == 8
    with pytest.raises(StorageError, match="cannot read table bronze/orders.*missing .*vacuum"):
        read_table("bronze", "orders", version=0)  # its files were vacuumed

    for day in ("2026-01-03", "2026-01-04"):
        write_table(day_rows(day), "bronze", "orders", partition=day)
    write_table(pd.concat([day_rows("2026-01-01")] * 2), "bronze", "orders", partition="2026-01-01")
    assert maintain_table("bronze", "orders")["files_vacuumed"] == 0  # 7 days' retention


def test_data_dir_must_be_able_to_be_a_folder(monkeypatch, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for value in (str(a_file), str(a_file / "data"), "~no_such_user_here/data"):
        monkeypatch.setenv("DATA_DIR", value)
        with pytest.raises(SettingsError, match="DATA_DIR"):
            load_settings(tmp_path / "no.env")


def test_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    with pytest.raises(SettingsError, match="STORAGE_BACKEND"):
        write_table(SAMPLE, "bronze", "x")


@pytest.mark.parametrize(
    ("missing", "expected"),
    [("ADLS_ACCOUNT_NAME", "ADLS_ACCOUNT_NAME"), ("ADLS_CONTAINER", "ADLS_CONTAINER")],
)
def test_adls_settings_name_what_is_missing(monkeypatch, tmp_path, missing, expected):
    values = {"STORAGE_BACKEND": "adls", "ADLS_ACCOUNT_NAME": "acct", "ADLS_CONTAINER": "lake"}
    values[missing] = ""
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings(tmp_path / "no.env")


def test_adls_secrets_never_show(monkeypatch, tmp_path):
    secret = "s3cr3t-key-value=="
    monkeypatch.setenv("STORAGE_BACKEND", "adls")
    monkeypatch.setenv("ADLS_ACCOUNT_NAME", "acct")
    monkeypatch.setenv("ADLS_CONTAINER", "lake")
    monkeypatch.setenv("ADLS_ACCOUNT_KEY", secret)
    settings = load_settings(tmp_path / "no.env")
    assert isinstance(settings, AdlsStorageSettings)
    assert settings.account_key == secret
    assert secret not in repr(settings)
    monkeypatch.setenv("ADLS_CONTAINER", "Bad_Name")
    with pytest.raises(SettingsError) as error:
        load_settings(tmp_path / "no.env")
    assert secret not in str(error.value)


def test_env_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("STORAGE_BACKEND=local\nDATA_DIR=from_file\n")
    monkeypatch.delenv("DATA_DIR")
    assert load_settings(env_file).data_dir.name == "from_file"
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "from_env"))
    assert load_settings(env_file).data_dir == tmp_path / "from_env"


def test_env_path_that_is_no_file_is_an_error(tmp_path):
    """A .env that is a folder (or a link to nothing) is a mistake to name, not a reason to
    run on the defaults; a project without any .env does run on them."""
    (tmp_path / ".env").mkdir()
    with pytest.raises(SettingsError, match=r"\.env is not a file"):
        load_settings(tmp_path / ".env")
    (tmp_path / "dangling.env").symlink_to(tmp_path / "nowhere")
    with pytest.raises(SettingsError, match="dangling.env is not a file"):
        load_settings(tmp_path / "dangling.env")
    load_settings(tmp_path / "absent.env")  # no file at all: the defaults, no error


# --- ADLS without a storage service -------------------------------------------------------

ADLS_SECRET = "c2VjcmV0LWtleS12YWx1ZS1ub3QtcmVhbA=="  # base64, so the SDK can sign with it


@pytest.fixture
def adls_env(monkeypatch):
    """ADLS settings in the environment, with every ADLS variable set (.env may have some)."""
    values = {
        "STORAGE_BACKEND": "adls",
        "ADLS_ACCOUNT_NAME": "",
        "ADLS_CONTAINER": "lake",
        "ADLS_BASE_PATH": "",
        "ADLS_ACCOUNT_KEY": "",
        "ADLS_CONNECTION_STRING": "",
        "ADLS_BLOB_ENDPOINT": "",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_blob_endpoint_is_read_and_checked(adls_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ADLS_ACCOUNT_NAME", "devstoreaccount1")
    monkeypatch.setenv("ADLS_BLOB_ENDPOINT", "http://127.0.0.1:10000/devstoreaccount1/")
    settings = load_settings(tmp_path / "no.env")
    assert settings.blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1"
    sas = f"https://acct.blob.core.windows.net/?sv=2024-08-04&sig={ADLS_SECRET}"
    for bad in ("127.0.0.1:10000", "ftp://acct.example.com", sas):
        monkeypatch.setenv("ADLS_BLOB_ENDPOINT", bad)
        with pytest.raises(SettingsError, match="ADLS_BLOB_ENDPOINT") as error:
            load_settings(tmp_path / "no.env")
        assert ADLS_SECRET not in str(error.value)


def test_adls_without_key_or_connection_string_uses_default_azure_credential():
    from azure.identity import DefaultAzureCredential

    settings = AdlsStorageSettings(container="lake", base_path="", account_name="acct")
    client = storage._service_client(settings)
    assert isinstance(client.credential, DefaultAzureCredential)
    assert client.url == "https://acct.blob.core.windows.net/"


def test_adls_account_key_is_used_at_the_blob_endpoint():
    settings = AdlsStorageSettings(
        container="lake",
        base_path="",
        account_name="devstoreaccount1",
        account_key=ADLS_SECRET,
        blob_endpoint="http://127.0.0.1:10000/devstoreaccount1",
    )
    client = storage._service_client(settings)
    assert client.url == "http://127.0.0.1:10000/devstoreaccount1/"
    assert client.credential.account_name == "devstoreaccount1"


def test_unreachable_adls_fails_in_one_line_without_secret(adls_env, monkeypatch):
    # One attempt instead of four keeps this fast; the retries are timed against Azurite.
    monkeypatch.setitem(storage._CLIENT_OPTIONS, "retry_total", 0)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={ADLS_SECRET};"
        f"BlobEndpoint=http://127.0.0.1:{port}/acct;"
    )
    monkeypatch.setenv("ADLS_CONNECTION_STRING", connection_string)

    with pytest.raises(StorageError) as caught:
        write_table(SAMPLE, "bronze", "orders")

    error = caught.value
    assert str(error).startswith(
        "cannot write table bronze/orders (abfs://lake/bronze/orders): "
        f"endpoint unreachable: no answer from http://127.0.0.1:{port} "
    )
    assert error.__cause__ is None and error.__context__ is None
    shown = repr(error) + "".join(traceback.format_exception(error))
    assert ADLS_SECRET not in shown and connection_string not in shown


def test_malformed_connection_string_is_named_not_shown(adls_env, monkeypatch):
    monkeypatch.setenv("ADLS_CONNECTION_STRING", f"AccountKey {ADLS_SECRET}")
    with pytest.raises(SettingsError, match="ADLS_CONNECTION_STRING") as caught:
        write_table(SAMPLE, "bronze", "orders")
    assert ADLS_SECRET not in "".join(traceback.format_exception(caught.value))
