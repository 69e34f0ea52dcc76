"""Project settings, read from ``.env`` at the project root.

python-decouple reads the file; environment variables with the same name win, which is
how CI and production override a developer's ``.env`` without editing it. Settings are
read when asked for, not at import, so a broken ``.env`` only fails the commands that need
it, with a message naming the variable. Secret values (account key, connection string)
are kept out of every ``repr`` and error message.

:func:`load_settings` reads where tables are stored; :func:`load_scale_out_settings` where
Dagster keeps its runs (Postgres) and which workers run the steps (Celery). Those URLs
carry passwords: they are shown only through :func:`display_url`, which leaves them out.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from decouple import Config, RepositoryEmpty, RepositoryEnv

from core.paths import DEFAULT_DATA_DIR, ENV_FILE, resolve_project_path

BACKENDS = ("local", "adls")

# Azure's rule for container names: 3-63 characters, lowercase letters, digits and single
# hyphens, starting and ending with a letter or digit.
_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable to fix."""


@dataclass(frozen=True)
class LocalStorageSettings:
    """Tables are parquet files under ``data_dir``."""

    data_dir: Path


@dataclass(frozen=True)
class AdlsStorageSettings:
    """Tables are parquet blobs in an Azure Data Lake Storage container.

    Credentials, in order of preference: a connection string (emulators, SAS tokens), an
    account key, or neither, in which case Azure's ``DefaultAzureCredential`` chain
    (environment, managed identity, ``az login``) is used.

    ``blob_endpoint`` replaces the public endpoint ``https://<account>.blob.core.windows.net``
    when a key or ``DefaultAzureCredential`` is used: an emulator, a sovereign cloud or a
    private endpoint. A connection string names its own endpoint, so it is ignored there.
    """

    container: str
    base_path: str
    account_name: str | None
    account_key: str | None = field(default=None, repr=False)
    connection_string: str | None = field(default=None, repr=False)
    blob_endpoint: str | None = None


StorageSettings = LocalStorageSettings | AdlsStorageSettings

Reader = Callable[[str], str]
"""``read(name)``: a setting's stripped value, ``""`` when it is unset or empty."""


def load_settings(env_file: Path = ENV_FILE) -> StorageSettings:
    """Read and check the storage settings; raise :class:`SettingsError` if they are wrong."""
    read = _reader(env_file)
    backend = (read("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorageSettings(data_dir=_data_dir(read("DATA_DIR") or str(DEFAULT_DATA_DIR)))
    if backend == "adls":
        return _adls_settings(read)
    raise SettingsError(
        f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r} (check .env)"
    )


def _data_dir(value: str) -> Path:
    """``DATA_DIR`` as an absolute path, refused when it cannot be a folder.

    The folder itself need not exist (the first write creates it), but the nearest part of
    the path that does exist must be a folder: ``DATA_DIR=/dev/null`` or a path below a file
    would otherwise only fail at the first write, with a less helpful message.
    """
    try:
        data_dir = resolve_project_path(value)
        existing = next(path for path in (data_dir, *data_dir.parents) if path.exists())
        is_folder = existing.is_dir()
    except RuntimeError:  # Path.expanduser() on "~name" when this machine has no user "name"
        raise SettingsError(
            f"DATA_DIR {value!r} starts with the home folder of an unknown user; "
            "write the full path"
        ) from None
    except ValueError:  # a NUL character, which no path can hold
        raise SettingsError(f"DATA_DIR {value!r} is not a valid path") from None
    except OSError as error:  # a name too long for the filesystem, say
        raise SettingsError(f"DATA_DIR {value!r} cannot be used: {error.strerror}") from None
    if not is_folder:
        raise SettingsError(f"DATA_DIR {value!r} cannot be used: {existing} is not a folder")
    return data_dir


def _adls_settings(read: Reader) -> AdlsStorageSettings:
    connection_string = read("ADLS_CONNECTION_STRING")
    account_name = read("ADLS_ACCOUNT_NAME")
    if not connection_string and not account_name:
        raise SettingsError(
            "ADLS_ACCOUNT_NAME is not set (or set ADLS_CONNECTION_STRING) "
            "while STORAGE_BACKEND=adls; see .env.example"
        )
    container = read("ADLS_CONTAINER")
    if not container:
        raise SettingsError("ADLS_CONTAINER is not set while STORAGE_BACKEND=adls")
    if not _CONTAINER_NAME.match(container):
        raise SettingsError(
            f"ADLS_CONTAINER {container!r} is not a valid container name "
            "(3-63 lowercase letters, digits and hyphens)"
        )
    base_path = read("ADLS_BASE_PATH").strip("/")
    if base_path and any(part in ("", ".", "..") for part in base_path.split("/")):
        raise SettingsError(f"ADLS_BASE_PATH {base_path!r} must be a plain folder path")
    blob_endpoint = read("ADLS_BLOB_ENDPOINT").rstrip("/")
    if blob_endpoint:
        _check_blob_endpoint(blob_endpoint)
    return AdlsStorageSettings(
        container=container,
        base_path=base_path,
        account_name=account_name or None,
        account_key=read("ADLS_ACCOUNT_KEY") or None,
        connection_string=connection_string or None,
        blob_endpoint=blob_endpoint or None,
    )


def _check_blob_endpoint(endpoint: str) -> None:
    # The endpoint is not a secret: it is shown in error messages. A SAS token in its query
    # would be, so it is refused here; SAS tokens belong in ADLS_CONNECTION_STRING.
    parts = _split_url("ADLS_BLOB_ENDPOINT", endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            "ADLS_BLOB_ENDPOINT must be a URL such as https://<account>.blob.core.windows.net"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(
            "ADLS_BLOB_ENDPOINT must not carry a query or credentials; "
            "put a SAS token in ADLS_CONNECTION_STRING instead"
        )


def _reader(env_file: Path) -> Reader:
    """Build the settings reader; environment variables take precedence over the file."""
    if not env_file.is_file() and os.path.lexists(env_file):
        # A folder, or a link to nothing: running on the defaults would hide the mistake.
        raise SettingsError(f"{env_file} is not a file; the settings are read from a .env file")
    try:
        repository = RepositoryEnv(str(env_file)) if env_file.is_file() else RepositoryEmpty()
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read {env_file}: {error.__class__.__name__}") from None
    config = Config(repository)

    def read(name: str) -> str:
        return str(config(name, default="")).strip()

    return read


# --- scale-out: a shared Dagster instance (Postgres) and step workers (Celery) ------------

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")
BROKER_SCHEMES = ("redis", "rediss")
DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 60
"""A step whose worker vanished is handed to another worker after this many seconds.

Workers started with ``run_polster.py --worker`` keep claiming the steps they run, so a
long step is not handed out twice (see ``orchestration/workers.py``).
"""


@dataclass(frozen=True)
class PostgresSettings:
    """Where the Dagster instance keeps runs, events and schedules (``DAGSTER_POSTGRES_URL``).

    The password is kept apart from the rest, which is not secret and may be shown and
    written into the instance configuration.
    """

    host: str
    port: int
    database: str
    user: str
    password: str | None = field(default=None, repr=False)
    query: str = ""

    def url(self, scheme: str = "postgresql+psycopg2") -> str:
        """The URL without its password (libpq takes that from ``PGPASSWORD``)."""
        query = f"?{self.query}" if self.query else ""
        user, database = quote(self.user, safe=""), quote(self.database, safe="")
        return f"{scheme}://{user}@{_host_port(self.host, self.port)}/{database}{query}"


@dataclass(frozen=True)
class CelerySettings:
    """The Celery broker (``CELERY_BROKER_URL``) and result backend the workers share."""

    broker_url: str = field(repr=False)
    backend_url: str = field(repr=False)
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ScaleOutSettings:
    """Everything unset (the default) means one machine: SQLite in ``.dagster/``, in-process."""

    postgres: PostgresSettings | None = None
    celery: CelerySettings | None = None
    max_concurrent_runs: int | None = None


def load_scale_out_settings(env_file: Path = ENV_FILE) -> ScaleOutSettings:
    """Read and check the scale-out settings; raise :class:`SettingsError` if they are wrong."""
    read = _reader(env_file)
    postgres_url = read("DAGSTER_POSTGRES_URL")
    broker_url = read("CELERY_BROKER_URL")
    backend_url = read("CELERY_BACKEND_URL")
    max_runs = read("DAGSTER_MAX_CONCURRENT_RUNS")
    visibility = read("CELERY_VISIBILITY_TIMEOUT")

    postgres = _postgres_settings(postgres_url) if postgres_url else None
    celery = None
    if broker_url:
        if postgres is None:
            raise SettingsError(
                "CELERY_BROKER_URL needs DAGSTER_POSTGRES_URL as well: the workers record "
                "their steps in the shared Dagster instance (see .env.example)"
            )
        _check_broker_url("CELERY_BROKER_URL", broker_url)
        if backend_url:
            _check_broker_url("CELERY_BACKEND_URL", backend_url)
        celery = CelerySettings(
            broker_url=broker_url,
            backend_url=backend_url or broker_url,
            visibility_timeout=(
                _positive_int("CELERY_VISIBILITY_TIMEOUT", visibility)
                if visibility
                else DEFAULT_VISIBILITY_TIMEOUT_SECONDS
            ),
        )
    elif backend_url or visibility:
        name = "CELERY_BACKEND_URL" if backend_url else "CELERY_VISIBILITY_TIMEOUT"
        raise SettingsError(f"{name} is set but CELERY_BROKER_URL is not (see .env.example)")
    max_concurrent_runs = None
    if max_runs:
        if postgres is None:
            raise SettingsError(
                "DAGSTER_MAX_CONCURRENT_RUNS needs DAGSTER_POSTGRES_URL: the limit belongs to "
                "the shared Dagster instance (see .env.example)"
            )
        max_concurrent_runs = _positive_int("DAGSTER_MAX_CONCURRENT_RUNS", max_runs)
    return ScaleOutSettings(
        postgres=postgres, celery=celery, max_concurrent_runs=max_concurrent_runs
    )


def display_url(url: str) -> str:
    """``url`` fit to be shown: scheme, user, host, port and path, never password or query."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018  (raises ValueError for a malformed IPv6 host)
    except ValueError:
        return "(not a valid URL)"
    try:
        port = parts.port
    except ValueError:
        port = None
    if "://" not in url:
        return "(not a URL)"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    host = _host_port(parts.hostname or "", port) if port else (parts.hostname or "")
    return f"{parts.scheme}://{user}{host}{parts.path}"


def _postgres_settings(url: str) -> PostgresSettings:
    shown = display_url(url)
    parts = _split_url("DAGSTER_POSTGRES_URL", url)
    if "://" not in url or parts.scheme not in POSTGRES_SCHEMES:
        raise SettingsError(
            "DAGSTER_POSTGRES_URL must be a URL such as "
            "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise SettingsError(f"DAGSTER_POSTGRES_URL {shown} has an invalid port") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not parts.username or not database or "/" in database:
        raise SettingsError(
            f"DAGSTER_POSTGRES_URL {shown} must name a user, a host and a database: "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        )
    if any(key == "password" for key, _ in parse_qsl(parts.query)):
        raise SettingsError(
            f"DAGSTER_POSTGRES_URL {shown} has a password in its query: "
            "write it after the user name instead (postgresql://USER:PASSWORD@HOST/DATABASE)"
        )
    return PostgresSettings(
        host=parts.hostname,
        port=port,
        database=database,
        user=unquote(parts.username),
        password=unquote(parts.password) if parts.password else None,
        query=parts.query,
    )


def _check_broker_url(name: str, url: str) -> None:
    shown = display_url(url)
    parts = _split_url(name, url)
    if "://" not in url or parts.scheme not in BROKER_SCHEMES:
        raise SettingsError(f"{name} must be a Redis URL such as redis://:PASSWORD@HOST:6379/0")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise SettingsError(f"{name} {shown} has an invalid port") from None
    database = parts.path.lstrip("/")
    if not parts.hostname or (database and not database.isdigit()):
        raise SettingsError(
            f"{name} {shown} must name a host and, optionally, a database number: "
            "redis://:PASSWORD@HOST:6379/0"
        )


def _split_url(name: str, url: str) -> SplitResult:
    """``url`` split into its parts, or a SettingsError naming the setting (not the URL,
    which may hold a password) when it cannot be: a malformed IPv6 host, for example."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018  (raises ValueError for a malformed IPv6 host)
    except ValueError as error:
        raise SettingsError(f"{name} is not a valid URL ({error})") from None
    return parts


def _positive_int(name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)


def _host_port(host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host
