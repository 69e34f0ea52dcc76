"""One table API for both storage backends: local parquet files or Azure Data Lake Storage.

Asset code only ever calls :func:`write_table`, :func:`read_table` and :func:`table_exists`
with a layer and a table name; ``STORAGE_BACKEND`` in ``.env`` decides where the bytes go.
A table is stored at ``<root>/<layer>/<name>.parquet``, where the root is ``DATA_DIR``
locally and ``abfs://<container>/<base_path>`` on ADLS.

Writes are all-or-nothing. Locally the parquet file is written next to its destination
and renamed over it, so a crash mid-write leaves the previous version intact. On ADLS a
blob only becomes visible when its upload is committed, which gives readers the same
guarantee.
"""

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.settings import AdlsStorageSettings, LocalStorageSettings, load_settings

LAYERS = ("bronze", "silver", "gold")

# Table names become file names: keep them to safe snake_case so that no name can climb
# out of its layer folder ("../x") or clash with the temporary files of a write.
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


class StorageError(RuntimeError):
    """A table could not be written or read; the message says which and why."""


class TableNotFoundError(StorageError):
    """The table has not been written yet."""


class InvalidTableError(StorageError, ValueError):
    """The layer or table name is not one storage accepts."""


def write_table(df: pd.DataFrame, layer: str, name: str) -> str:
    """Store ``df`` as the table ``layer/name``, replacing any previous version.

    Returns the URI that was written, for logs and asset metadata.
    """
    relative_path = table_path(layer, name)
    table = pa.Table.from_pandas(df, preserve_index=False)
    return _backend().write(table, relative_path)


def read_table(layer: str, name: str) -> pd.DataFrame:
    """Load the table ``layer/name``; raise :class:`TableNotFoundError` if it is missing."""
    relative_path = table_path(layer, name)
    backend = _backend()
    if not backend.exists(relative_path):
        raise TableNotFoundError(
            f"table {layer}/{name} does not exist at {backend.uri(relative_path)}; "
            f"materialize asset {layer}/{name} first "
            f"(python src/core/{layer}_{name}.py, or python run_polster.py for everything)"
        )
    return backend.read(relative_path).to_pandas()


def table_exists(layer: str, name: str) -> bool:
    """Whether the table ``layer/name`` has been written."""
    return _backend().exists(table_path(layer, name))


def table_uri(layer: str, name: str) -> str:
    """Where the table ``layer/name`` is (or would be) stored."""
    return _backend().uri(table_path(layer, name))


def table_path(layer: str, name: str) -> str:
    """The table's path below the storage root, after checking layer and name."""
    if layer not in LAYERS:
        raise InvalidTableError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise InvalidTableError(
            f"invalid table name {name!r}: use lowercase letters, digits and underscores, "
            "starting with a letter"
        )
    return f"{layer}/{name}.parquet"


class _Backend(Protocol):
    def write(self, table: pa.Table, relative_path: str) -> str: ...
    def read(self, relative_path: str) -> pa.Table: ...
    def exists(self, relative_path: str) -> bool: ...
    def uri(self, relative_path: str) -> str: ...


def _backend() -> _Backend:
    """The backend the current settings ask for (settings are re-read on every call)."""
    return _backend_for(load_settings())


@lru_cache(maxsize=4)
def _backend_for(settings: LocalStorageSettings | AdlsStorageSettings) -> _Backend:
    # Cached per settings value: an ADLS client is costly to build and keeps connections.
    if isinstance(settings, LocalStorageSettings):
        return _LocalBackend(settings.data_dir)
    return _AdlsBackend(settings)


class _LocalBackend:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir

    def uri(self, relative_path: str) -> str:
        return (self._data_dir / relative_path).as_uri()

    def exists(self, relative_path: str) -> bool:
        return (self._data_dir / relative_path).is_file()

    def read(self, relative_path: str) -> pa.Table:
        return pq.read_table(self._data_dir / relative_path)

    def write(self, table: pa.Table, relative_path: str) -> str:
        destination = self._data_dir / relative_path
        destination.parent.mkdir(parents=True, exist_ok=True)
        # The temporary file sits in the destination folder so the final rename stays on
        # one filesystem, where os.replace is atomic.
        handle, temporary = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.stem}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as sink:
                pq.write_table(table, sink)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return destination.as_uri()


class _AdlsBackend:
    def __init__(self, settings: AdlsStorageSettings) -> None:
        # Imported here: the Azure SDK takes a while to import and local runs never need it.
        from adlfs import AzureBlobFileSystem

        if settings.connection_string:
            credentials = {"connection_string": settings.connection_string}
        elif settings.account_key:
            credentials = {
                "account_name": settings.account_name,
                "account_key": settings.account_key,
            }
        else:
            credentials = {"account_name": settings.account_name, "anon": False}
        self._fs = AzureBlobFileSystem(**credentials, skip_instance_cache=True)
        self._container = settings.container
        self._root = "/".join(part for part in (settings.container, settings.base_path) if part)
        self._container_checked = False

    def uri(self, relative_path: str) -> str:
        return f"abfs://{self._root}/{relative_path}"

    def exists(self, relative_path: str) -> bool:
        self._fs.invalidate_cache()
        return self._fs.isfile(f"{self._root}/{relative_path}")

    def read(self, relative_path: str) -> pa.Table:
        with self._fs.open(f"{self._root}/{relative_path}", "rb") as source:
            return pq.read_table(source)

    def write(self, table: pa.Table, relative_path: str) -> str:
        self._ensure_container()
        with self._fs.open(f"{self._root}/{relative_path}", "wb") as sink:
            pq.write_table(table, sink)
        return self.uri(relative_path)

    def _ensure_container(self) -> None:
        # A fresh storage account has no container: create it on the first write rather
        # than fail, the same way the local backend creates its data folder.
        if not self._container_checked:
            if not self._fs.exists(self._container):
                self._fs.mkdir(self._container)
            self._container_checked = True
