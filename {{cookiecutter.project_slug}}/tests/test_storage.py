"""The storage API on the local backend, and the settings that choose a backend."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core import storage
from core.settings import AdlsStorageSettings, SettingsError, load_settings
from core.storage import (
    InvalidTableError,
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
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(storage.pq, "write_table", crash)
        with pytest.raises(OSError, match="disk full"):
            write_table(SAMPLE.head(1), "bronze", "orders")
    pd.testing.assert_frame_equal(read_table("bronze", "orders"), SAMPLE)
    assert [p.name for p in (local_storage / "bronze").iterdir()] == ["orders.parquet"]


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
