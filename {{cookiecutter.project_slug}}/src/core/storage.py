"""One table API for both storage backends: every table is a Delta table.

Asset code only ever calls the functions below with a layer and a table name;
``STORAGE_BACKEND`` in ``.env`` decides where the bytes go. A table is the Delta table in
the folder ``<root>/<layer>/<name>/``, where the root is ``DATA_DIR`` locally and
``abfs://<container>/<base_path>`` on ADLS. Any Delta reader (deltalake, Spark, DuckDB,
Polars) can open it there.

* :func:`write_table` commits a new version of a table, all at once. Without a partition
  it replaces the whole table; with ``partition=`` it replaces exactly the partitions
  named and leaves every other one as it was. Writing the same data again gives the same
  table (the same rows, in a new version).
* :func:`read_table` reads only what it is asked for: some partitions (the other files are
  not opened), some columns, and any earlier version that maintenance has not removed.
* A write whose columns or types differ from the table's is refused with one line naming
  the columns, unless the caller passes ``evolve_schema=True``.
* :func:`staged_table` is write-audit-publish: the data is written to a staging area, the
  caller checks what was stored, and only then is it published to the table. Data that
  fails its checks never becomes the table's current version.
* :func:`maintain_table` compacts small files and removes files that no version younger
  than the retention period still uses (vacuum).

Atomicity comes from the Delta log: data files are written first, then one log entry
(``_delta_log/<version>.json``) is created, which the storage accepts only if no other
writer created that version first (a rename that never replaces locally, a conditional
upload on Azure). A writer that fails or is killed before that entry exists leaves the
previous version current; its stray data files belong to no version and are removed by
the next vacuum. Two writers replacing different partitions of one table both land;
two writers racing for the same partition are told so by Delta, and the loser tries again
on the newer version, so the last one wins and no partition is ever lost.

Failures of the storage itself (a full or read-only disk, a damaged log or data file, a
folder that is not a Delta table, refused credentials, an unreachable account) are raised
as :class:`StorageError`, with a one-line message that names the table, where it is
stored and the cause, and never a secret.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/storage.py migrate`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os
import random
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, Schema, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, DeltaProtocolError
from deltalake.exceptions import TableNotFoundError as DeltaTableNotFoundError

from core.settings import AdlsStorageSettings, LocalStorageSettings, SettingsError, load_settings

LAYERS = ("bronze", "silver", "gold")

PARTITION_COLUMN = "partition_key"
"""The column that holds a partitioned table's partition key (``2026-01-05`` for a day).

Delta stores it in the folder names (``partition_key=2026-01-05/``) and the log, and
:func:`read_table` returns it as a string column.
"""

VACUUM_RETENTION_HOURS = 168
"""How old an unused data file must be before :func:`maintain_table` deletes it (7 days).

It is also how far back time travel is guaranteed to work, and it protects readers and
writers that are still busy with older files. Delta refuses a shorter retention unless
told to; do not shorten it on tables that other processes use.
"""

COMMIT_ATTEMPTS = 6
"""How often a write is tried when other writers keep committing to the same partitions."""

STAGING_FOLDER = "_staging"
"""Where :func:`staged_table` writes data under audit: ``<root>/_staging/<layer>/<name>/``.

Nothing reads it but the auditing code; it is removed once the data is published or
discarded, and :func:`maintain_table` removes what a killed process left behind.
"""

STAGING_MAX_AGE = timedelta(days=1)

# Table names become folder names: keep them to safe snake_case so that no name can climb
# out of its layer folder ("../x") or clash with the staging folder.
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# Partition keys end up in folder names and in the predicates of Delta writes.
_PARTITION_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,99}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


class StorageError(RuntimeError):
    """A table could not be written or read; the message says which and why."""


class TableNotFoundError(StorageError):
    """The table has not been written yet."""


class InvalidTableError(StorageError, ValueError):
    """The layer, table name, partition or columns asked for are not ones storage accepts."""


class SchemaChangeError(StorageError):
    """The data's columns or types differ from the table's, and no evolution was asked for."""


class AuditFailedError(StorageError):
    """Staged data failed its checks and was not published (see :func:`staged_table`)."""


# --- the API --------------------------------------------------------------------------------


def write_table(
    df: pd.DataFrame,
    layer: str,
    name: str,
    partition: str | Sequence[str] | None = None,
    *,
    evolve_schema: bool = False,
) -> str:
    """Commit ``df`` as a new version of the table ``layer/name``; return the table's URI.

    * ``partition=None``: the table is not partitioned; ``df`` replaces all of it.
    * ``partition="2026-01-05"``: ``df`` is that partition's data (a ``partition_key``
      column is added when ``df`` has none) and replaces that partition only.
    * ``partition=["2026-01-05", "2026-01-06", ...]``: ``df`` has a ``partition_key``
      column with keys from the list, and replaces exactly those partitions, in one
      commit. A listed key without rows leaves that partition empty.

    ``evolve_schema=True`` accepts new columns (and, for a whole-table write, dropped
    columns and changed types); without it such a change raises :class:`SchemaChangeError`.
    """
    relative_path = table_path(layer, name)
    keys = _partition_keys(partition)
    table = _to_arrow(df, relative_path, keys)
    return _commit(_backend(), relative_path, table, keys, evolve_schema)


def read_table(
    layer: str,
    name: str,
    partitions: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    version: int | None = None,
) -> pd.DataFrame:
    """Load the table ``layer/name``; raise :class:`TableNotFoundError` if it is missing.

    ``partitions`` limits the read to those partition keys (only their files are read; one
    key may be given as a plain string), ``columns`` to those columns, and ``version``
    reads the table as that commit left it.
    """
    relative_path = table_path(layer, name)
    keys = _read_keys(partitions)
    if columns is not None and (
        isinstance(columns, str) or not all(isinstance(c, str) for c in columns)
    ):
        raise InvalidTableError(f"columns must be a list of column names, not {columns!r}")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or version < 0
    ):
        raise InvalidTableError(f"version must be a whole number from 0 up, not {version!r}")
    backend = _backend()
    delta = _open_delta(backend, relative_path, version)
    return _read(backend, relative_path, delta, keys, columns).to_pandas()


def table_exists(layer: str, name: str) -> bool:
    """Whether the table ``layer/name`` has been written."""
    return _backend().state(table_path(layer, name)) == "delta"


def table_uri(layer: str, name: str) -> str:
    """Where the table ``layer/name`` is (or would be) stored."""
    return _backend().uri(table_path(layer, name))


def table_version(layer: str, name: str) -> int:
    """The number of the table's current version (0 after the first write)."""
    relative_path = table_path(layer, name)
    backend = _backend()
    with _delta_errors(backend, "read", relative_path):
        return _open_delta(backend, relative_path).version()


def table_partitions(layer: str, name: str) -> list[str]:
    """The partition keys the table holds data for, sorted; ``[]`` if it is not partitioned."""
    relative_path = table_path(layer, name)
    backend = _backend()
    delta = _open_delta(backend, relative_path)
    with _delta_errors(backend, "read", relative_path):
        if PARTITION_COLUMN not in delta.metadata().partition_columns:
            return []
        return sorted({values[PARTITION_COLUMN] for values in delta.partitions()})


def table_path(layer: str, name: str) -> str:
    """The table's folder below the storage root, after checking layer and name."""
    if layer not in LAYERS:
        raise InvalidTableError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
        raise InvalidTableError(
            f"invalid table name {name!r}: use lowercase letters, digits and underscores, "
            "starting with a letter"
        )
    return f"{layer}/{name}"


class StagedTable:
    """Data written to the staging area of a table, waiting to be checked and published."""

    def __init__(
        self, backend: "_Backend", relative_path: str, staging_path: str, keys: list[str] | None
    ) -> None:
        self._backend = backend
        self._relative_path = relative_path
        self._staging_path = staging_path
        self._stored: pa.Table | None = None
        self.partitions = keys
        """The partition keys staged, or None for an unpartitioned table."""
        self.published: list[str] | None = None
        """The partitions published (every staged one for an unpartitioned table), or None."""

    def read(self, partitions: Iterable[str] | None = None) -> pd.DataFrame:
        """The staged data as storage holds it (optionally only some partitions)."""
        table = self._staged()
        keys = _read_keys(partitions)
        if keys is not None:
            if self.partitions is None:
                raise InvalidTableError(f"table {self._relative_path} is not partitioned")
            table = table.filter(pc.is_in(table[PARTITION_COLUMN], pa.array(keys, pa.string())))
        return table.to_pandas()

    def publish(
        self, partitions: Iterable[str] | None = None, *, evolve_schema: bool = False
    ) -> str:
        """Commit the staged data (or only some of its partitions) to the table.

        The partitions not published keep their current version. Returns the table's URI.
        """
        table = self._staged()
        keys = self.partitions
        if partitions is not None:
            if keys is None:
                raise InvalidTableError(f"table {self._relative_path} is not partitioned")
            keys = _read_keys(partitions) or []
            unknown = sorted(set(keys) - set(self.partitions or []))
            if unknown:
                raise InvalidTableError(f"partitions {', '.join(unknown)} were not staged")
            table = table.filter(pc.is_in(table[PARTITION_COLUMN], pa.array(keys)))
        uri = _commit(self._backend, self._relative_path, table, keys, evolve_schema)
        self.published = keys or []
        return uri

    def _staged(self) -> pa.Table:
        if self._stored is None:
            delta = _open_delta(self._backend, self._staging_path)
            self._stored = _read(self._backend, self._relative_path, delta, None, None)
        return self._stored


@contextmanager
def staged_table(
    df: pd.DataFrame,
    layer: str,
    name: str,
    partition: str | Sequence[str] | None = None,
    *,
    evolve_schema: bool = False,
) -> Iterator[StagedTable]:
    """Write-audit-publish: stage ``df`` for the table ``layer/name``, yield it, clean up.

    Use it as ``with staged_table(df, ...) as staged:``; check ``staged.read()`` (the data
    as stored), then call ``staged.publish()`` for what passed. Whatever is not published
    when the block ends is discarded, and the table keeps its current version. The
    arguments mean what they mean for :func:`write_table`; a schema change is refused
    here already, before anything is written.
    """
    relative_path = table_path(layer, name)
    keys = _partition_keys(partition)
    table = _to_arrow(df, relative_path, keys)
    backend = _backend()
    current = _open_delta(backend, relative_path, missing_ok=True, action="stage")
    table = _conform(table, current, relative_path, keys, evolve_schema)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    staging_path = f"{STAGING_FOLDER}/{relative_path}/{stamp}-{uuid.uuid4().hex[:12]}"
    try:
        with _delta_errors(backend, "stage", relative_path):
            backend.prepare_write(relative_path)
            write_deltalake(
                backend.delta_uri(staging_path),
                table,
                mode="error",
                partition_by=[PARTITION_COLUMN] if keys is not None else None,
                storage_options=backend.storage_options(),
            )
        yield StagedTable(backend, relative_path, staging_path, keys)
    finally:
        backend.remove_tree(staging_path)


def maintain_table(
    layer: str, name: str, retention_hours: int = VACUUM_RETENTION_HOURS
) -> dict[str, int]:
    """Compact the table's small files, vacuum files unused for ``retention_hours``, and
    write a checkpoint of its log.

    Returns counts: ``files_compacted`` (small files merged away), ``files_added``
    (the merged files) and ``files_vacuumed`` (deleted). A retention under
    :data:`VACUUM_RETENTION_HOURS` breaks time travel to versions older than it.
    """
    relative_path = table_path(layer, name)
    backend = _backend()
    for attempt in range(COMMIT_ATTEMPTS):
        with _delta_errors(backend, "maintain", relative_path):
            delta = _open_delta(backend, relative_path, action="maintain")
            try:
                compacted = delta.optimize.compact()
                vacuumed = delta.vacuum(
                    retention_hours=retention_hours,
                    dry_run=False,
                    enforce_retention_duration=retention_hours >= VACUUM_RETENTION_HOURS,
                )
                # A checkpoint sums the log up to now, so that readers need not replay
                # every small commit since the last one; log entries older than the
                # table's log retention (30 days by default) are then dropped.
                delta.create_checkpoint()
                delta.cleanup_metadata()
            except CommitFailedError:
                _pause(attempt)
                continue
        backend.remove_stale_staging(relative_path, STAGING_MAX_AGE)
        return {
            "files_compacted": int(compacted.get("numFilesRemoved", 0)),
            "files_added": int(compacted.get("numFilesAdded", 0)),
            "files_vacuumed": len(vacuumed),
        }
    raise StorageError(
        f"cannot maintain table {relative_path} ({backend.uri(relative_path)}): other "
        f"writers committed to it {COMMIT_ATTEMPTS} times in a row; try again later"
    )


def list_tables() -> list[tuple[str, str]]:
    """Every table in storage as ``(layer, name)``, sorted."""
    backend = _backend()
    return sorted(
        (layer, name)
        for layer in LAYERS
        for name in backend.children(layer)
        if _TABLE_NAME.fullmatch(name) and backend.state(f"{layer}/{name}") == "delta"
    )


def migrate_parquet_tables() -> list[str]:
    """Convert the single-file parquet tables of older projects into Delta tables.

    Polster projects made before Delta stored each table as ``<layer>/<name>.parquet``.
    Each such file whose table has no Delta version yet becomes version 0 of an
    unpartitioned Delta table with the same rows. The old files are left where they are
    (delete them once you are happy); returns one line per file found.
    """
    backend = _backend()
    report = []
    for layer in LAYERS:
        for name in backend.legacy_files(layer):
            relative_path = table_path(layer, name)
            old = backend.uri(f"{relative_path}.parquet")
            if backend.state(relative_path) == "delta":
                report.append(f"{relative_path}: already a Delta table; {old} can be deleted")
                continue
            table = backend.read_legacy(relative_path)
            _commit(backend, relative_path, table.replace_schema_metadata(None), None, False)
            report.append(
                f"{relative_path}: {table.num_rows:,} rows converted to "
                f"{backend.uri(relative_path)}; {old} can be deleted"
            )
    return report


# --- writing and reading, for both backends -------------------------------------------------


def _partition_keys(partition: str | Sequence[str] | None) -> list[str] | None:
    if partition is None:
        return None
    keys = [partition] if isinstance(partition, str) else list(partition)
    for key in keys:
        if not isinstance(key, str) or not _PARTITION_KEY.fullmatch(key):
            raise InvalidTableError(
                f"invalid partition key {key!r}: use letters, digits and . _ : + - "
                "(such as 2026-01-05)"
            )
    if len(set(keys)) != len(keys):
        raise InvalidTableError("the same partition key is listed twice")
    return keys


def _read_keys(partitions: str | Iterable[str] | None) -> list[str] | None:
    """The partition keys asked for by a reader: a list of keys, or one key as a string.

    A string is one key, never a sequence of one-character keys.
    """
    if partitions is None:
        return None
    return _partition_keys(partitions if isinstance(partitions, str) else list(partitions))


def _to_arrow(df: pd.DataFrame, relative_path: str, keys: list[str] | None) -> pa.Table:
    """``df`` as an Arrow table, with its partition column checked (or added)."""
    if not isinstance(df, pd.DataFrame):
        raise InvalidTableError(
            f"table {relative_path}: expected a pandas DataFrame, got {type(df).__name__}"
        )
    names = [column for column in df.columns if not isinstance(column, str)]
    if names:
        raise InvalidTableError(
            f"table {relative_path}: column names must be strings, not {names[0]!r}"
        )
    try:
        table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    except (pa.ArrowException, ValueError, TypeError) as error:
        raise InvalidTableError(f"table {relative_path}: {_one_line(error)}") from None
    if keys is None:
        if PARTITION_COLUMN in table.column_names:
            raise InvalidTableError(
                f"table {relative_path}: column {PARTITION_COLUMN} is reserved for partitioned "
                "tables; pass partition= to write_table"
            )
        return table
    if PARTITION_COLUMN not in table.column_names:
        if len(keys) != 1:
            raise InvalidTableError(
                f"table {relative_path}: writing {len(keys)} partitions needs a "
                f"{PARTITION_COLUMN} column saying which partition each row belongs to"
            )
        return table.append_column(
            PARTITION_COLUMN, pa.array([keys[0]] * table.num_rows, pa.string())
        )
    column = table[PARTITION_COLUMN]
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise InvalidTableError(
            f"table {relative_path}: column {PARTITION_COLUMN} must hold strings"
        )
    if column.null_count:
        raise InvalidTableError(
            f"table {relative_path}: column {PARTITION_COLUMN} has missing keys"
        )
    stray = sorted(set(pc.unique(column).to_pylist()) - set(keys))
    if stray:
        raise InvalidTableError(
            f"table {relative_path}: rows of partition {stray[0]} in a write of {_keys_text(keys)}"
        )
    index = table.column_names.index(PARTITION_COLUMN)
    return table.set_column(index, PARTITION_COLUMN, column.cast(pa.string()))


def _conform(
    table: pa.Table,
    current: DeltaTable | None,
    relative_path: str,
    keys: list[str] | None,
    evolve_schema: bool,
) -> pa.Table:
    """Check ``table`` against the table stored now; cast columns without values.

    Raises for a write that would change how the table is partitioned, and for a schema
    change that was not asked for. A column whose values are all missing has no type in
    Arrow (``null``): it takes the stored table's type, so that an empty day does not
    change the schema.
    """
    if current is None:
        untyped = [field.name for field in table.schema if pa.types.is_null(field.type)]
        if untyped:
            raise InvalidTableError(
                f"table {relative_path}: column {untyped[0]} has no values to tell its type "
                "from; give it a dtype (df[...].astype(...)) for the first write"
            )
        return table
    partitioned = PARTITION_COLUMN in current.metadata().partition_columns
    if partitioned and keys is None:
        raise InvalidTableError(
            f"table {relative_path} is partitioned by {PARTITION_COLUMN}: pass partition= to "
            "replace some partitions, or delete the table to rebuild it unpartitioned"
        )
    if keys is not None and not partitioned:
        raise InvalidTableError(
            f"table {relative_path} is not partitioned: write it without partition=, or "
            "delete the table to rebuild it partitioned"
        )
    stored_types = {field.name: field.type for field in pa.schema(current.schema().to_arrow())}
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type) and field.name in stored_types:
            table = table.set_column(
                index, field.name, table[field.name].cast(stored_types[field.name])
            )
    change = _schema_change(Schema.from_arrow(table.schema), current.schema())
    if change and not evolve_schema:
        raise SchemaChangeError(
            f"table {relative_path}: schema change refused ({change}); write the old schema, "
            "or pass evolve_schema=True if the change is intended"
        )
    if change and keys is not None and "type" in change:
        raise SchemaChangeError(
            f"table {relative_path}: cannot change column types in a partition write "
            f"({change}): the other partitions keep the old types; rewrite the whole table"
        )
    return table


def _schema_change(new: Schema, stored: Schema) -> str | None:
    """What differs between two Delta schemas, in a few words; None if nothing does."""
    new_types = {field.name: str(field.type) for field in new.fields}
    stored_types = {field.name: str(field.type) for field in stored.fields}
    parts = []
    added = [name for name in new_types if name not in stored_types]
    missing = [name for name in stored_types if name not in new_types]
    changed = [
        f"{name} {_type_name(stored_types[name])} -> {_type_name(new_types[name])}"
        for name in new_types
        if name in stored_types and new_types[name] != stored_types[name]
    ]
    if added:
        parts.append(f"new columns: {', '.join(added)}")
    if missing:
        parts.append(f"missing columns: {', '.join(missing)}")
    if changed:
        parts.append(f"changed types: {', '.join(changed)}")
    return "; ".join(parts) or None


def _type_name(text: str) -> str:
    # PrimitiveType("long") -> long; nested types keep their full description.
    match = re.fullmatch(r'PrimitiveType\("(.+)"\)', text)
    return match.group(1) if match else text


def _commit(
    backend: "_Backend",
    relative_path: str,
    table: pa.Table,
    keys: list[str] | None,
    evolve_schema: bool,
) -> str:
    """Write ``table`` as the next version; try again when another writer got there first."""
    for attempt in range(COMMIT_ATTEMPTS):
        created = False
        try:
            with _delta_errors(backend, "write", relative_path):
                current = _open_delta(backend, relative_path, missing_ok=True, action="write")
                conformed = _conform(table, current, relative_path, keys, evolve_schema)
                if current is None:
                    backend.prepare_write(relative_path)
                    created = backend.state(relative_path, "write") == "missing"
                mode_options: dict[str, Any] = {}
                if keys is not None:
                    mode_options["partition_by"] = [PARTITION_COLUMN]
                    mode_options["predicate"] = _predicate(keys)
                if current is not None and evolve_schema:
                    mode_options["schema_mode"] = "merge" if keys is not None else "overwrite"
                try:
                    write_deltalake(
                        backend.delta_uri(relative_path),
                        conformed,
                        mode="overwrite",
                        storage_options=backend.storage_options(),
                        **mode_options,
                    )
                except CommitFailedError:
                    _pause(attempt)
                    continue
                return backend.uri(relative_path)
        except StorageError:
            # A first write that failed leaves data files but no version: take them away,
            # so that a failed write leaves nothing behind (a later one would not mind).
            if created and backend.state(relative_path, "write") != "delta":
                backend.remove_tree(relative_path)
            raise
    raise StorageError(
        f"cannot write table {relative_path} ({backend.uri(relative_path)}): other writers "
        f"committed to the same partitions {COMMIT_ATTEMPTS} times in a row; try again"
    )


def _predicate(keys: list[str]) -> str:
    if not keys:
        return "false"
    return f"{PARTITION_COLUMN} IN ({', '.join(repr(key) for key in keys)})"


def _pause(attempt: int) -> None:
    """A short random wait before trying a commit again, growing with each attempt."""
    time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))


def _read(
    backend: "_Backend",
    relative_path: str,
    delta: DeltaTable,
    keys: list[str] | None,
    columns: Sequence[str] | None,
) -> pa.Table:
    with _delta_errors(backend, "read", relative_path):
        # deltalake hands back Arrow objects of its own binding (arro3); pyarrow reads them
        # through the Arrow C interface.
        schema = pa.schema(delta.schema().to_arrow())
        names = schema.names
        if columns is not None:
            unknown = [column for column in columns if column not in names]
            if unknown:
                raise InvalidTableError(
                    f"table {relative_path} has no column {', '.join(unknown)} "
                    f"(it has {', '.join(names)})"
                )
        selected = list(columns) if columns is not None else None
        if keys is None:
            return delta.to_pyarrow_dataset().to_table(columns=selected)
        if PARTITION_COLUMN not in delta.metadata().partition_columns:
            raise InvalidTableError(
                f"table {relative_path} is not partitioned: read it without partitions="
            )
        if not keys:
            return schema.empty_table().select(selected or schema.names)
        # Pruned when the dataset is made: only the files of these partitions are listed,
        # let alone opened (a filter on the table would first list every file).
        dataset = delta.to_pyarrow_dataset(file_pruning_predicate=[(PARTITION_COLUMN, "in", keys)])
        return dataset.to_table(columns=selected, filter=pc.field(PARTITION_COLUMN).isin(keys))


def _keys_text(keys: list[str]) -> str:
    if len(keys) <= 3:
        return f"partition {', '.join(keys)}" if len(keys) == 1 else f"partitions {', '.join(keys)}"
    return f"{len(keys)} partitions ({keys[0]} ... {keys[-1]})"


# --- errors -----------------------------------------------------------------------------------


@contextmanager
def _delta_errors(backend: "_Backend", action: str, relative_path: str) -> Iterator[None]:
    """Report a failed Delta operation in one line naming the table, its location and cause.

    Covers what a disk, the network or another program can do to a table: a full or
    read-only filesystem, a damaged log or data file, refused credentials, an unreachable
    account. The messages of deltalake and the object store below it hold URLs (which may
    carry a SAS token) and several lines of detail: none of that is passed on. The new
    exception is raised outside the ``except`` clauses, so no chained exception tells a
    second story in tracebacks and Dagster's error records.
    """
    try:
        with _native_reports_dropped():
            yield
    except StorageError:
        raise
    except DeltaTableNotFoundError as error:
        # Also raised when the folder of a new table cannot be made (a read-only disk).
        if "os error" in str(error) or "Os {" in str(error):
            error_class, cause = StorageError, backend.describe(error, action)
        else:
            error_class, cause = TableNotFoundError, "it does not exist"
    except (OSError, DeltaError, DeltaProtocolError, pa.ArrowException, ValueError) as error:
        error_class, cause = StorageError, backend.describe(error, action)
    else:
        return
    table = relative_path
    raise error_class(
        f"cannot {action} table {table} ({backend.uri(relative_path)}): {cause}"
    ) from None


@contextmanager
def _native_reports_dropped() -> Iterator[None]:
    """Keep deltalake's own crash reports out of the output; let anything else through.

    When a write fails half-way (a full disk, a cut connection), the Rust runtime inside
    deltalake can also print a "thread ... panicked" report straight to the process's
    standard error, besides raising the Python exception that is reported here in one
    line. Standard error is sent to a temporary file while deltalake works; afterwards,
    what was written there is passed on, without those reports.
    """
    try:
        saved = os.dup(2)
        sink = tempfile.TemporaryFile()
    except OSError:
        yield
        return
    try:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            sink.seek(0)
            kept = _without_panic_reports(sink.read().decode(errors="replace"))
            if kept:
                os.write(2, kept.encode())
    finally:
        os.close(saved)
        sink.close()


def _without_panic_reports(text: str) -> str:
    kept, in_report = [], False
    for line in text.splitlines(keepends=True):
        if re.match(r"thread '.*' .*panicked at ", line):
            in_report = True
        elif in_report and line.startswith("note: "):
            in_report = False
            continue
        if not in_report and line.strip():  # the reports come with blank lines too
            kept.append(line)
    return "".join(kept)


def _one_line(error: BaseException) -> str:
    """The first line of an error message, without colour codes or URLs."""
    text = _ANSI.sub("", str(error)).strip()
    line = text.splitlines()[0].strip() if text else type(error).__name__
    return _URL.sub("<url>", line)[:300]


def _message_text(error: BaseException) -> str:
    return _ANSI.sub("", str(error))


def _local_cause(error: BaseException, action: str) -> str:
    """The cause of a failed local operation: the system call's reason, or what is damaged."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
    text = _message_text(error)
    for reason in (
        "No space left on device",
        "Read-only file system",
        "Permission denied",
        "Disk quota exceeded",
        "Not a directory",
        "Is a directory",
    ):
        if reason in text:
            return reason
    return _damage(error, text, action)


# How deltalake and pyarrow say a file is not there. Not a bare "not found": a damaged file
# is reported as "Parquet magic bytes not found in footer".
_MISSING_FILE = re.compile(
    r"Object at location .* not found|No such file or directory|\bNotFound\b|"
    r"\(os error 2\)"
)


def _damage(error: BaseException, text: str, action: str) -> str:
    detail = _one_line(error)
    if action in ("read", "maintain") and _MISSING_FILE.search(text):
        return f"a data file of this version is missing (removed by vacuum?) ({detail})"
    if action in ("read", "maintain") and re.search(
        r"parquet|magic|footer|Parquet|corrupt|Corrupt", text
    ):
        return f"a data file is damaged or not a parquet file ({detail})"
    if re.search(r"_delta_log|json|checkpoint|log ?segment|kernel error", text, re.IGNORECASE):
        return f"the Delta log is damaged or unreadable ({detail})"
    return detail


class _Backend(Protocol):
    def uri(self, relative_path: str) -> str: ...
    def delta_uri(self, relative_path: str) -> str: ...
    def storage_options(self) -> dict[str, str] | None: ...
    def state(self, relative_path: str, action: str = "look up") -> str: ...
    def prepare_write(self, relative_path: str) -> None: ...
    def remove_tree(self, relative_path: str) -> None: ...
    def remove_stale_staging(self, relative_path: str, max_age: timedelta) -> None: ...
    def children(self, relative_path: str) -> list[str]: ...
    def legacy_files(self, layer: str) -> list[str]: ...
    def read_legacy(self, relative_path: str) -> pa.Table: ...
    def describe(self, error: BaseException, action: str) -> str: ...


def _backend() -> _Backend:
    """The backend the current settings ask for (settings are re-read on every call)."""
    return _backend_for(load_settings())


@lru_cache(maxsize=4)
def _backend_for(settings: LocalStorageSettings | AdlsStorageSettings) -> _Backend:
    # Cached per settings value: an ADLS client is costly to build and keeps connections.
    if isinstance(settings, LocalStorageSettings):
        return _LocalBackend(settings.data_dir)
    return _AdlsBackend(settings)


def _open_delta(
    backend: _Backend,
    relative_path: str,
    version: int | None = None,
    missing_ok: bool = False,
    action: str = "look up",
) -> DeltaTable:
    """Open the Delta table at ``relative_path`` (at ``version``), with one-line errors."""
    state = backend.state(relative_path, action)
    uri = backend.uri(relative_path)
    if state == "foreign":
        raise StorageError(
            f"cannot use table {relative_path} ({uri}): that place holds something that is not "
            "a Delta table (no _delta_log); move it away, or pick another table name"
        )
    if state in ("missing", "legacy"):
        if missing_ok:
            return None  # type: ignore[return-value]
        if state == "legacy":
            raise TableNotFoundError(
                f"table {relative_path} is still the parquet file of an older Polster project "
                f"({backend.uri(relative_path + '.parquet')}); convert it with "
                "`python src/core/storage.py migrate`, or materialize it again"
            )
        raise TableNotFoundError(
            f"table {relative_path} does not exist at {uri}; "
            f"materialize asset {relative_path} first "
            f"(python src/core/{relative_path.replace('/', '_')}.py, "
            "or python run_polster.py for everything)"
        )

    def open_at(at: int | None) -> DeltaTable:
        with _delta_errors(backend, "read", relative_path):
            return DeltaTable(
                backend.delta_uri(relative_path),
                version=at,
                storage_options=backend.storage_options(),
            )

    try:
        delta = open_at(None)
    except TableNotFoundError:
        # A _delta_log without any commit: the first write was stopped before it finished.
        if missing_ok:
            return None  # type: ignore[return-value]
        raise
    except StorageError:
        if version is None:
            raise
        # The latest version cannot be read (a damaged log entry, say); the version asked
        # for may still be, and reading it is how the damage is repaired.
        return open_at(version)
    latest = delta.version()
    if version is None or version == latest:
        return delta
    # Checked here, not left to deltalake: asked for a version far beyond the latest, it
    # can search its log for minutes (or fail to convert the number at all).
    if version > latest:
        raise StorageError(
            f"cannot read table {relative_path} ({uri}): it has no version {version} "
            f"(its versions run from 0 to {latest})"
        )
    try:
        with _delta_errors(backend, "read", relative_path):
            delta.load_as_version(version)
    except StorageError as error:
        # Log entries older than the table's log retention (30 days) are removed by
        # maintenance once a checkpoint sums them up; deltalake then calls the table missing.
        cause = (
            "" if isinstance(error, TableNotFoundError) else f" ({str(error).split('): ', 1)[-1]})"
        )
        raise StorageError(
            f"cannot read table {relative_path} ({uri}): version {version} is no longer in "
            f"its log (maintenance removes log entries older than 30 days), or the log is "
            f"damaged{cause}"
        ) from None
    return delta


# --- local folders --------------------------------------------------------------------------


class _LocalBackend:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir

    def uri(self, relative_path: str) -> str:
        return (self._data_dir / relative_path).as_uri()

    def delta_uri(self, relative_path: str) -> str:
        return str(self._data_dir / relative_path)

    def storage_options(self) -> dict[str, str] | None:
        return None

    def state(self, relative_path: str, action: str = "look up") -> str:
        """``delta``, ``missing``, ``legacy`` (an old parquet file) or ``foreign``."""
        path = self._data_dir / relative_path
        with _delta_errors(self, action, relative_path):
            if path.is_dir():
                if (path / "_delta_log").is_dir():
                    return "delta"
                return "foreign" if any(path.iterdir()) else "missing"
            if path.exists() or path.is_symlink():
                return "foreign"
            return "legacy" if path.with_name(path.name + ".parquet").is_file() else "missing"

    def prepare_write(self, relative_path: str) -> None:
        pass  # deltalake creates the folders it writes into

    def remove_tree(self, relative_path: str) -> None:
        shutil.rmtree(self._data_dir / relative_path, ignore_errors=True)
        if not relative_path.startswith(f"{STAGING_FOLDER}/"):
            return
        # Drop the staging folders left empty, the staging root included.
        parent = (self._data_dir / relative_path).parent
        while parent != self._data_dir:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def remove_stale_staging(self, relative_path: str, max_age: timedelta) -> None:
        folder = self._data_dir / STAGING_FOLDER / relative_path
        cutoff = time.time() - max_age.total_seconds()
        try:
            stale = [entry for entry in folder.iterdir() if entry.stat().st_mtime < cutoff]
        except OSError:
            return
        for entry in stale:
            shutil.rmtree(entry, ignore_errors=True)

    def children(self, relative_path: str) -> list[str]:
        folder = self._data_dir / relative_path
        try:
            return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())
        except OSError:
            return []

    def legacy_files(self, layer: str) -> list[str]:
        folder = self._data_dir / layer
        try:
            return sorted(
                entry.name.removesuffix(".parquet")
                for entry in folder.iterdir()
                if entry.name.endswith(".parquet") and entry.is_file()
            )
        except OSError:
            return []

    def read_legacy(self, relative_path: str) -> pa.Table:
        with _delta_errors(self, "read", relative_path):
            return pq.read_table(self._data_dir / f"{relative_path}.parquet")

    def describe(self, error: BaseException, action: str) -> str:
        return _local_cause(error, action)


# --- Azure Data Lake Storage --------------------------------------------------------------

ADLS_RETRIES = 3
"""How often a failed request is tried again: connection errors, timeouts, HTTP 408 and 5xx.

The waits grow (about 2, 2.8 and 3.9 s), so a service that is briefly overloaded gets
time to recover, while an unreachable endpoint is reported after about 10 s instead of the
Azure SDK's default of over a minute. An answer such as "wrong key" is final and is not
retried.
"""

ADLS_CONNECT_TIMEOUT_SECONDS = 3
"""Longest wait for a connection to open, per attempt (the SDK's default is 20 s)."""

ADLS_READ_TIMEOUT_SECONDS = 20
"""Longest silence from the service while waiting for its answer, per attempt (SDK: 60 s)."""

_CLIENT_OPTIONS = {
    "retry_total": ADLS_RETRIES,
    "initial_backoff": 0.5,
    "increment_base": 1.5,
    "random_jitter_range": 0.25,
    "connection_timeout": ADLS_CONNECT_TIMEOUT_SECONDS,
    "read_timeout": ADLS_READ_TIMEOUT_SECONDS,
}
"""Keyword arguments of the Azure Blob client: its retry policy and transport read them."""

_DELTA_CLIENT_OPTIONS = {
    "max_retries": str(ADLS_RETRIES),
    "retry_timeout": "30s",
    "backoff_config.init_backoff": "2s",
    "backoff_config.max_backoff": "4s",
    "backoff_config.base": "1.4",
    "connect_timeout": f"{ADLS_CONNECT_TIMEOUT_SECONDS}s",
    # A whole request, uploads of data files included, so more generous than the SDK's.
    "timeout": "120s",
}
"""The same policy for deltalake's object store (it reads and writes the table files)."""

# Error codes of a request the service refused for its credentials. Azure answers a wrong
# key with AuthenticationFailed; the Azurite emulator with AuthorizationFailure, which Azure
# also uses when its firewall turns the caller away.
_AUTHENTICATION_CODES = {
    "AuthenticationFailed",
    "AuthorizationFailure",
    "InvalidAuthenticationInfo",
}

_T = TypeVar("_T")


class _AdlsBackend:
    """Tables in one container: deltalake moves the data, the Azure SDK asks the questions.

    deltalake (through the Rust object store) reads and writes the tables. The Azure Blob
    SDK, with bounded retries and short timeouts, answers what deltalake cannot or answers
    badly: whether a table is there (and whether a folder holds something else), creating
    a missing container, removing staging data, and, above all, why a request failed, in
    words built from the error's code only (never from messages that quote the request).
    """

    def __init__(self, settings: AdlsStorageSettings) -> None:
        self._client = _service_client(settings)
        self._container = settings.container
        self._base = settings.base_path
        self._root = "/".join(part for part in (settings.container, settings.base_path) if part)
        url = urlsplit(self._client.url)
        self._endpoint = f"{url.scheme}://{url.netloc}"
        # The SDK finds no account name in a custom domain (a SAS for files.example.com).
        self._account = self._client.account_name or url.hostname
        self._container_ready = False
        self._token: tuple[str, float] | None = None
        if settings.connection_string:
            self._credential_source = "ADLS_CONNECTION_STRING"
        elif settings.account_key:
            self._credential_source = "ADLS_ACCOUNT_KEY"
        else:
            self._credential_source = "DefaultAzureCredential (az login, managed identity)"
        options = {
            **_DELTA_CLIENT_OPTIONS,
            "account_name": self._account or "",
            "endpoint": f"{url.scheme}://{url.netloc}{url.path.rstrip('/')}",
        }
        if url.scheme == "http":
            options["allow_http"] = "true"
        credential = self._client.credential
        if getattr(credential, "account_key", None):
            options["account_key"] = credential.account_key
        elif url.query:
            options["sas_token"] = url.query
        self._options = options

    def uri(self, relative_path: str) -> str:
        return f"abfs://{self._root}/{relative_path}"

    def delta_uri(self, relative_path: str) -> str:
        return self.uri(relative_path)

    def storage_options(self) -> dict[str, str] | None:
        if "account_key" in self._options or "sas_token" in self._options:
            return dict(self._options)
        return {**self._options, "bearer_token": self._bearer_token()}

    def _bearer_token(self) -> str:
        # DefaultAzureCredential, as the SDK client uses it; tokens last about an hour and
        # are fetched again five minutes before they expire.
        if self._token is None or self._token[1] - time.time() < 300:
            token = self._guard(
                "authenticate for",
                "",
                lambda: self._client.credential.get_token("https://storage.azure.com/.default"),
            )
            self._token = (token.token, float(token.expires_on))
        return self._token[0]

    def state(self, relative_path: str, action: str = "look up") -> str:
        prefix = self._blob_name(relative_path)

        def look() -> str:
            from azure.core.exceptions import ResourceNotFoundError

            container = self._client.get_container_client(self._container)
            try:
                if _first(container.list_blob_names(name_starts_with=f"{prefix}/_delta_log/")):
                    return "delta"
                if _first(container.list_blob_names(name_starts_with=f"{prefix}/")):
                    return "foreign"
                if container.get_blob_client(f"{prefix}.parquet").exists():
                    return "legacy"
            except ResourceNotFoundError as error:
                if _error_code(error) != "ContainerNotFound":
                    raise
            return "missing"

        return self._guard(action, relative_path, look)

    def prepare_write(self, relative_path: str) -> None:
        """Create the container on the first write, the way local storage makes folders."""
        if self._container_ready:
            return

        def create() -> None:
            from azure.core.exceptions import ResourceExistsError

            try:
                self._client.create_container(self._container)
            except ResourceExistsError:
                pass  # there already, or another writer created it in the meantime

        self._guard("write", relative_path, create)
        self._container_ready = True

    def remove_tree(self, relative_path: str) -> None:
        prefix = self._blob_name(relative_path) + "/"

        def remove() -> None:
            container = self._client.get_container_client(self._container)
            for blob in list(container.list_blob_names(name_starts_with=prefix)):
                container.delete_blob(blob)

        try:
            remove()
        except Exception:  # cleaning up is best effort; maintenance removes what is left
            pass

    def remove_stale_staging(self, relative_path: str, max_age: timedelta) -> None:
        prefix = self._blob_name(f"{STAGING_FOLDER}/{relative_path}") + "/"
        cutoff = datetime.now(UTC) - max_age

        def remove() -> None:
            container = self._client.get_container_client(self._container)
            for blob in list(container.list_blobs(name_starts_with=prefix)):
                if blob.last_modified and blob.last_modified < cutoff:
                    container.delete_blob(blob.name)

        self._guard("maintain", relative_path, remove)

    def children(self, relative_path: str) -> list[str]:
        prefix = self._blob_name(relative_path) + "/"

        def walk() -> list[str]:
            from azure.core.exceptions import ResourceNotFoundError

            container = self._client.get_container_client(self._container)
            try:
                items = list(container.walk_blobs(name_starts_with=prefix, delimiter="/"))
            except ResourceNotFoundError:
                return []
            return sorted(
                item.name[len(prefix) :].rstrip("/") for item in items if item.name.endswith("/")
            )

        return self._guard("list", relative_path, walk)

    def legacy_files(self, layer: str) -> list[str]:
        prefix = self._blob_name(layer) + "/"

        def walk() -> list[str]:
            from azure.core.exceptions import ResourceNotFoundError

            container = self._client.get_container_client(self._container)
            try:
                items = list(container.walk_blobs(name_starts_with=prefix, delimiter="/"))
            except ResourceNotFoundError:
                return []
            return sorted(
                item.name[len(prefix) :].removesuffix(".parquet")
                for item in items
                if item.name.endswith(".parquet")
            )

        return self._guard("list", layer, walk)

    def read_legacy(self, relative_path: str) -> pa.Table:
        blob = self._blob_name(f"{relative_path}.parquet")
        container = self._client.get_container_client(self._container)
        data = self._guard("read", relative_path, lambda: container.download_blob(blob).readall())
        with _delta_errors(self, "read", relative_path):
            return pq.read_table(pa.BufferReader(data))

    def _blob_name(self, relative_path: str) -> str:
        return "/".join(part for part in (self._base, relative_path) if part)

    def _guard(self, action: str, relative_path: str, operation: Callable[[], _T]) -> _T:
        """Run ``operation``; report an Azure failure in one line naming the table and cause.

        The new exception is raised outside the ``except`` clauses and ``from None``, so no
        Azure exception is chained to it: those carry request details that tracebacks and
        Dagster's error records would otherwise show. Other exceptions (bugs, Ctrl-C) pass.
        """
        from azure.core.exceptions import AzureError

        try:
            return operation()
        except AzureError as error:
            cause = self._describe_azure(error)
        where = (
            f"table {relative_path} ({self.uri(relative_path)})"
            if relative_path
            else (f"container {self._container} ({self._endpoint})")
        )
        raise StorageError(f"cannot {action} {where}: {cause}") from None

    def _describe_azure(self, error: Exception) -> str:
        """The cause of an Azure SDK failure in a few words, with the setting to check.

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
            return self._unresolvable()
        if isinstance(error, ServiceRequestError | ServiceResponseError):
            return self._unreachable()
        return f"the storage service answered {status} {code or type(error).__name__}"

    def describe(self, error: BaseException, action: str) -> str:
        """The cause of a failed deltalake operation, read from its message, in a few words.

        The message itself is never shown: it quotes request URLs, which hold a SAS token
        when one is used.
        """
        text = _message_text(error)
        code = next((code for code in _AUTHENTICATION_CODES if code in text), None)
        if code or "Server failed to authenticate" in text:
            code = code or "AuthenticationFailed"
            return f"authentication failed ({code}): check {self._credential_source}"
        if "403" in text or "lacked the necessary privileges" in text:
            return f"permission denied in container {self._container}"
        if "ContainerNotFound" in text:
            return f"container {self._container} does not exist"
        if "ResourceNotFound" in text:
            return f"account {self._account} not found at {self._endpoint}"
        if re.search(r"dns error|failed to lookup address|Name or service not known", text):
            return self._unresolvable()
        if re.search(
            r"error sending request|Connection refused|connection closed|timed out|"
            r"Connection reset|tcp connect error|broken pipe|IncompleteMessage",
            text,
            re.IGNORECASE,
        ):
            return self._unreachable()
        return _damage(error, text, action)

    def _unresolvable(self) -> str:
        return (
            f"account {self._account} not found: {urlsplit(self._endpoint).hostname} "
            "does not resolve (check ADLS_ACCOUNT_NAME, or this machine's DNS)"
        )

    def _unreachable(self) -> str:
        attempts = ADLS_RETRIES + 1
        return f"endpoint unreachable: no answer from {self._endpoint} in {attempts} attempts"


def _first(items: Iterable[object]) -> object | None:
    return next(iter(items), None)


def _service_client(settings: AdlsStorageSettings):
    """An Azure Blob client for ``settings``, with bounded retries and short timeouts."""
    from azure.storage.blob import BlobServiceClient

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
        credential: Any = {
            "account_name": settings.account_name,
            "account_key": settings.account_key,
        }
    else:
        # Environment variables, workload or managed identity, then the developer's az/azd
        # login: the usual way to run in Azure without a secret in .env.
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return BlobServiceClient(account_url, credential=credential, **_CLIENT_OPTIONS)


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


def main(argv: list[str] | None = None) -> int:
    """``python src/core/storage.py migrate``: convert the tables of an older project."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["migrate"]:
        print("usage: python src/core/storage.py migrate", file=sys.stderr)
        return 2
    try:
        report = migrate_parquet_tables()
    except (SettingsError, StorageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for line in report or ["no parquet tables of an older project found"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
