"""One table API for both storage backends: local parquet files or Azure Data Lake Storage.

Asset code only ever calls :func:`write_table`, :func:`read_table` and :func:`table_exists`
with a layer and a table name; ``STORAGE_BACKEND`` in ``.env`` decides where the bytes go.
A table is stored at ``<root>/<layer>/<name>.parquet``, where the root is ``DATA_DIR``
locally and ``abfs://<container>/<base_path>`` on ADLS.

Writes are all-or-nothing. Locally the parquet file is written next to its destination
and renamed over it, so a crash mid-write leaves the previous version intact. On ADLS the
table is serialized in memory first and then sent in one upload; Azure makes the new blob
visible only once the upload is complete (one Put Blob, or Put Block List after every
block of a large file), so readers see the old table or the new one, never part of one,
and a failed or killed upload leaves the old one in place.

Failures of the storage itself (a full or read-only disk, a damaged parquet file, refused
credentials, an unreachable account) are raised as :class:`StorageError`, with a one-line
message that names the table, where it is stored and the cause.
"""

import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.settings import AdlsStorageSettings, LocalStorageSettings, SettingsError, load_settings

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
    table = backend.read(relative_path)
    # A damaged footer can also hide in the pandas metadata, which only to_pandas() reads.
    with _table_errors("read", relative_path, backend.uri(relative_path)):
        return table.to_pandas()


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
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
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
        with _table_errors("look up", relative_path, self.uri(relative_path)):
            return (self._data_dir / relative_path).is_file()

    def read(self, relative_path: str) -> pa.Table:
        with _table_errors("read", relative_path, self.uri(relative_path)):
            return pq.read_table(self._data_dir / relative_path)

    def write(self, table: pa.Table, relative_path: str) -> str:
        destination = self._data_dir / relative_path
        with _table_errors("write", relative_path, self.uri(relative_path)):
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


@contextmanager
def _table_errors(action: str, relative_path: str, uri: str) -> Iterator[None]:
    """Report a failed file operation in one line naming the table, its location and cause.

    Covers what a disk can do to a table: a full or read-only filesystem, a path blocked by
    a file, and a damaged parquet file (pyarrow raises ArrowInvalid or a plain OSError, and
    damaged pandas metadata JSON, Unicode or key errors). The new exception is raised outside
    the ``except`` clauses, so that no chained exception tells a second story in
    tracebacks and Dagster's error records.
    """
    try:
        yield
    except FileNotFoundError:
        error_class, cause = TableNotFoundError, "it does not exist"
    except (OSError, ValueError, LookupError, TypeError, pa.ArrowException) as error:
        error_class, cause = StorageError, _failure_cause(error, action)
    else:
        return
    table = relative_path.removesuffix(".parquet")
    raise error_class(f"cannot {action} table {table} ({uri}): {cause}") from None


def _failure_cause(error: Exception, action: str) -> str:
    if isinstance(error, OSError) and error.strerror:  # a failed system call: ENOSPC, EROFS ...
        return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
    text = str(error).strip()
    # pyarrow starts some messages with "Could not open Parquet input source '<path>': ".
    detail = text.splitlines()[0].rpartition("': ")[2] if text else type(error).__name__
    if action == "read":
        return f"the file is damaged or not a parquet file ({detail})"
    return detail


# --- Azure Data Lake Storage --------------------------------------------------------------

ADLS_RETRIES = 3
"""How often a failed request is tried again: connection errors, timeouts, HTTP 408 and 5xx.

The waits grow (``0.5 + 1.5 ** n`` seconds: about 2, 2.8 and 3.9 s), so a service that is
briefly overloaded gets time to recover, while an unreachable endpoint is reported after
about 10 s instead of the Azure SDK's default of over a minute (waits of 15, 18 and 24 s).
An answer such as "wrong key" or "no such blob" is final and is not retried.
"""

ADLS_CONNECT_TIMEOUT_SECONDS = 3
"""Longest wait for a connection to open, per attempt (the SDK's default is 20 s)."""

ADLS_READ_TIMEOUT_SECONDS = 20
"""Longest silence from the service while waiting for its answer, per attempt (SDK: 60 s).

The clock starts once a request has been sent in full, so a slow upload is not cut short.
"""

_CLIENT_OPTIONS = {
    "retry_total": ADLS_RETRIES,
    "initial_backoff": 0.5,
    "increment_base": 1.5,
    "random_jitter_range": 0.25,
    "connection_timeout": ADLS_CONNECT_TIMEOUT_SECONDS,
    "read_timeout": ADLS_READ_TIMEOUT_SECONDS,
}
"""Keyword arguments of the Azure Blob client: its retry policy and transport read them."""

# Error codes of a request the service refused for its credentials. Azure answers a wrong
# key with AuthenticationFailed; the Azurite emulator with AuthorizationFailure, which Azure
# also uses when its firewall turns the caller away.
_AUTHENTICATION_CODES = {
    "AuthenticationFailed",
    "AuthorizationFailure",
    "InvalidAuthenticationInfo",
}

# A 404 with one of these codes means the table is not there; any other 404 (Azurite's
# ResourceNotFound for an account it does not know, say) is an error, not a missing table.
_MISSING_BLOB_CODES = {"BlobNotFound", "ContainerNotFound"}

_T = TypeVar("_T")


class _AdlsBackend:
    """Tables as blobs in one container, through adlfs, with bounded and explained failures.

    adlfs is the filesystem (the ``abfs://`` URIs are adlfs paths, which pandas and pyarrow
    read as well), but some of its defaults do not suit a pipeline, and this class works
    around them:

    * adlfs builds its Azure client with the SDK's retry and timeout defaults and passes
      none of its own arguments on to it (https://github.com/fsspec/adlfs/issues/502). It
      is given a client configured here instead: bounded retries, short timeouts, and the
      endpoint from ``ADLS_BLOB_ENDPOINT`` (adlfs can only build ``https://`` endpoints).
    * A file opened for writing commits whatever it holds when it is closed, also when an
      exception closes it on leaving a ``with`` block: half a table would be published.
      Tables are serialized in memory and sent with one ``pipe_file`` (one upload) instead.
    * Its ``exists``/``isfile`` answer False on any error, and its ``mkdir`` reports every
      failure as an invalid container name. Those two questions go to the client directly,
      so that a wrong key is reported as such, not as a missing table.
    """

    def __init__(self, settings: AdlsStorageSettings) -> None:
        # Imported here: the Azure SDK takes a while to import and local runs never need it.
        from adlfs import AzureBlobFileSystem

        self._client = _service_client(settings)
        self._container = settings.container
        self._root = "/".join(part for part in (settings.container, settings.base_path) if part)
        endpoint = urlsplit(self._client.url)  # scheme and host only: the query may be a SAS
        self._endpoint = f"{endpoint.scheme}://{endpoint.netloc}"
        # The SDK finds no account name in a custom domain (a SAS for files.example.com).
        self._account = self._client.account_name or endpoint.hostname
        if settings.connection_string:
            self._credential_source = "ADLS_CONNECTION_STRING"
        elif settings.account_key:
            self._credential_source = "ADLS_ACCOUNT_KEY"
        else:
            self._credential_source = "DefaultAzureCredential (az login, managed identity)"
        # anon=True only stops adlfs from looking for credentials of its own: every request
        # goes through the client set below, which carries them.
        self._fs = AzureBlobFileSystem(
            account_name=self._account, anon=True, skip_instance_cache=True
        )
        self._fs.service_client = self._client

    def uri(self, relative_path: str) -> str:
        return f"abfs://{self._root}/{relative_path}"

    def exists(self, relative_path: str) -> bool:
        blob = self._blob_name(relative_path)
        return self._guard("look up", relative_path, lambda: self._run(self._blob_exists, blob))

    def read(self, relative_path: str) -> pa.Table:
        data = self._guard("read", relative_path, lambda: self._download(relative_path))
        with _table_errors("read", relative_path, self.uri(relative_path)):  # a damaged blob
            return pq.read_table(pa.BufferReader(data))

    def write(self, table: pa.Table, relative_path: str) -> str:
        data = _parquet_bytes(table)
        self._guard("write", relative_path, lambda: self._upload(relative_path, data))
        return self.uri(relative_path)

    def _download(self, relative_path: str) -> bytes:
        from azure.core.exceptions import ResourceModifiedError

        # One download_blob call. A large blob comes in chunks, all pinned to the first
        # chunk's ETag: if the table is replaced meanwhile, the service refuses the rest
        # (412) rather than mixing two versions. Start again then, on the new version.
        path = f"{self._root}/{relative_path}"
        for _ in range(2):
            try:
                return self._fs.cat_file(path)
            except ResourceModifiedError:
                pass
        return self._fs.cat_file(path)

    def _upload(self, relative_path: str, data: bytes) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        path = f"{self._root}/{relative_path}"
        try:
            self._fs.pipe_file(path, data, overwrite=True)
        except ResourceNotFoundError as error:
            if _error_code(error) != "ContainerNotFound":
                raise
            # A fresh storage account has no container: create it on the first write, the
            # way the local backend creates its data folder (see the README).
            self._run(self._create_container)
            self._fs.pipe_file(path, data, overwrite=True)

    async def _blob_exists(self, blob: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            await self._client.get_blob_client(self._container, blob).get_blob_properties()
        except ResourceNotFoundError as error:
            if _error_code(error) in _MISSING_BLOB_CODES:
                return False
            raise
        return True

    async def _create_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            await self._client.create_container(self._container)
        except ResourceExistsError:
            pass  # another writer created it in the meantime

    def _run(self, coroutine_function: Callable[..., object], *args: object):
        """Run one of the async helpers above on adlfs's event loop (adlfs is async inside)."""
        from fsspec.asyn import sync

        return sync(self._fs.loop, coroutine_function, *args)

    def _blob_name(self, relative_path: str) -> str:
        return f"{self._root}/{relative_path}".removeprefix(f"{self._container}/")

    def _guard(self, action: str, relative_path: str, operation: Callable[[], _T]) -> _T:
        """Run ``operation``; report an Azure failure in one line naming the table and cause.

        The new exception is raised outside the ``except`` clauses and ``from None``, so no
        Azure exception is chained to it: those carry request details that tracebacks and
        Dagster's error records would otherwise show. Other exceptions (bugs, Ctrl-C) pass.
        """
        from azure.core.exceptions import AzureError

        try:
            return operation()
        except FileNotFoundError:
            error_class, cause = TableNotFoundError, "it does not exist"
        except AzureError as error:
            error_class, cause = StorageError, self._describe(error)
        table = relative_path.removesuffix(".parquet")
        raise error_class(
            f"cannot {action} table {table} ({self.uri(relative_path)}): {cause}"
        ) from None

    def _describe(self, error: Exception) -> str:
        """The cause of an Azure failure in a few words, with the setting to check.

        Built from the error's type and code only: the SDK's own messages can quote the
        request, and they never reach the user.
        """
        from azure.core.exceptions import (
            ClientAuthenticationError,
            ServiceRequestError,
            ServiceResponseError,
        )

        code = _error_code(error)
        status = getattr(error, "status_code", None)
        if isinstance(error, ClientAuthenticationError) or code in _AUTHENTICATION_CODES:
            detail = code or type(error).__name__
            return f"authentication failed ({detail}): check {self._credential_source}"
        if status == 403:
            return f"permission denied ({code}) in container {self._container}"
        if code == "ResourceNotFound":
            return f"account {self._account} not found at {self._endpoint}"
        if _is_name_resolution_failure(error):
            return (
                f"account {self._account} not found: {urlsplit(self._endpoint).hostname} "
                "does not resolve (check ADLS_ACCOUNT_NAME, or this machine's DNS)"
            )
        if isinstance(error, ServiceRequestError | ServiceResponseError):
            attempts = _CLIENT_OPTIONS["retry_total"] + 1
            return f"endpoint unreachable: no answer from {self._endpoint} in {attempts} attempts"
        return f"the storage service answered {status} {code or type(error).__name__}"


def _service_client(settings: AdlsStorageSettings):
    """An async Azure Blob client for ``settings``, with bounded retries and short timeouts."""
    from azure.storage.blob.aio import BlobServiceClient

    if settings.connection_string:
        try:
            return BlobServiceClient.from_connection_string(
                settings.connection_string, **_CLIENT_OPTIONS
            )
        except ValueError:
            # The SDK's message does not quote the string, but stay on the safe side.
            raise SettingsError(
                "ADLS_CONNECTION_STRING is not a valid connection string (expected "
                "AccountName=...;AccountKey=... or BlobEndpoint=...;SharedAccessSignature=...)"
            ) from None
    account_url = settings.blob_endpoint or f"https://{settings.account_name}.blob.core.windows.net"
    if settings.account_key:
        credential = {"account_name": settings.account_name, "account_key": settings.account_key}
    else:
        # Environment variables, workload or managed identity, then the developer's az/azd
        # login: the usual way to run in Azure without a secret in .env.
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return BlobServiceClient(account_url, credential=credential, **_CLIENT_OPTIONS)


def _parquet_bytes(table: pa.Table) -> bytes:
    """The table as one parquet file in memory (about the size of the file on disk)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _error_code(error: Exception) -> str | None:
    # The SDK gives the code as a str enum or a plain str; compare and print it as a str.
    code = getattr(error, "error_code", None)
    return getattr(code, "value", code)


def _is_name_resolution_failure(error: BaseException) -> bool:
    """Whether a DNS lookup failed somewhere below ``error`` (for Azure: no such account)."""
    for _ in range(10):  # the chain is short; the bound only guards against a cycle
        if error is None:
            return False
        if isinstance(error, socket.gaierror):
            return True
        error = getattr(error, "inner_exception", None) or error.__cause__ or error.__context__
    return False
