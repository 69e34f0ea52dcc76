"""The storage API on the local backend, the settings that choose a backend, and the parts
of the ADLS backend that need no storage service (its set-up and how its failures read).

The ADLS backend itself is tested against the Azurite emulator in Polster's own tests.
"""

import errno
import socket
import traceback

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core import storage
from core.settings import AdlsStorageSettings, SettingsError, load_settings
from core.storage import (
    InvalidTableError,
    StorageError,
    TableNotFoundError,
    read_table,
    table_exists,
    write_table,
)

SAMPLE = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})


def test_round_trip_to_layer_folder(local_storage):
    uri = write_table(SAMPLE, "silver", "customers")
    path = local_storage / "silver" / "customers.parquet"
    assert uri == path.as_uri()
    assert table_exists("silver", "customers")
    pd.testing.assert_frame_equal(read_table("silver", "customers"), SAMPLE)


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


def test_failed_write_keeps_the_previous_version(local_storage, monkeypatch):
    write_table(SAMPLE, "bronze", "orders")

    def crash(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(storage.pq, "write_table", crash)
        with pytest.raises(StorageError, match=r"cannot write table bronze/orders .*No space"):
            write_table(SAMPLE.head(1), "bronze", "orders")
    pd.testing.assert_frame_equal(read_table("bronze", "orders"), SAMPLE)
    assert [p.name for p in (local_storage / "bronze").iterdir()] == ["orders.parquet"]


@pytest.mark.parametrize("keep_bytes", [0, 10, 300], ids=["empty", "header", "truncated"])
def test_damaged_table_file_is_a_storage_error(local_storage, keep_bytes):
    write_table(SAMPLE, "silver", "customers")
    path = local_storage / "silver" / "customers.parquet"
    path.write_bytes(path.read_bytes()[:keep_bytes])
    with pytest.raises(StorageError, match=r"cannot read table silver/customers .*damaged"):
        read_table("silver", "customers")


def test_data_dir_must_be_able_to_be_a_folder(monkeypatch, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for value in (str(a_file), str(a_file / "data"), "~no_such_user_here/data"):
        monkeypatch.setenv("DATA_DIR", value)
        with pytest.raises(SettingsError, match="DATA_DIR"):
            load_settings(tmp_path / "no.env")


def test_write_replaces_the_whole_table(local_storage):
    write_table(SAMPLE, "gold", "report")
    write_table(SAMPLE.head(1), "gold", "report")
    assert pq.read_table(local_storage / "gold" / "report.parquet").num_rows == 1


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
    from azure.identity.aio import DefaultAzureCredential

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
        "cannot write table bronze/orders (abfs://lake/bronze/orders.parquet): "
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
