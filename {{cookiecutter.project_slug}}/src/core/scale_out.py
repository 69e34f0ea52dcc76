"""The shared Dagster instance (Postgres) and the Celery broker: configuration and checks.

With ``DAGSTER_POSTGRES_URL`` set, the project's Dagster instance lives in Postgres. Its
configuration, ``.dagster/postgres/dagster.yaml``, is derived from the settings at every
start of ``run_polster.py`` and holds no password: every process that opens the instance
is started with the password in ``PGPASSWORD``, where libpq (Postgres' client library)
looks for it. The same goes for the Celery URLs, which Dagster's executor configuration
reads from the environment (``{env: CELERY_BROKER_URL}``), so that no run configuration
stored in the instance carries them.

Nothing here imports Dagster: ``run_polster.py`` checks the servers before it starts any.
"""

import json
import os
import sys
from pathlib import Path

from core.paths import DAGSTER_HOME
from core.settings import (
    CelerySettings,
    PostgresSettings,
    ScaleOutSettings,
    SettingsError,
    display_url,
)

POSTGRES_DAGSTER_HOME = DAGSTER_HOME / "postgres"
"""Dagster's home with a Postgres instance: its configuration, compute logs and artifacts.

Kept apart from ``.dagster/dagster.yaml`` (the SQLite instance), which users may edit and
which stays untouched, so that unsetting ``DAGSTER_POSTGRES_URL`` brings it back as it was.
"""

CONNECT_TIMEOUT_SECONDS = 3
"""How long a check waits for Postgres or Redis to answer before reporting it unreachable."""

INSTALL_HINT = 'pip install -e ".[scale]"'


def dagster_home(settings: ScaleOutSettings) -> Path:
    """Where Dagster's instance configuration is: ``.dagster/`` or ``.dagster/postgres/``."""
    return POSTGRES_DAGSTER_HOME if settings.postgres else DAGSTER_HOME


def instance_yaml(settings: ScaleOutSettings) -> str:
    """``dagster.yaml`` for a Postgres instance (the SQLite one keeps its own file)."""
    postgres = settings.postgres
    if postgres is None:
        raise ValueError("only a Postgres instance has a derived configuration")
    lines = [
        "# Written by run_polster.py at each start, from DAGSTER_POSTGRES_URL and",
        "# DAGSTER_MAX_CONCURRENT_RUNS: change those settings (.env), not this file.",
        "# No password here: the processes run_polster.py starts find it in PGPASSWORD.",
        "telemetry:",
        "  enabled: false",
        "run_monitoring:",
        "  enabled: true",
        "storage:",
        "  postgres:",
        # JSON strings are YAML strings: any character of the URL is quoted safely.
        f"    postgres_url: {json.dumps(postgres.url())}",
    ]
    if settings.max_concurrent_runs is not None:
        # The daemon's queued run coordinator starts at most this many runs at once.
        limit = settings.max_concurrent_runs
        lines += ["concurrency:", "  runs:", f"    max_concurrent_runs: {limit}"]
    return "\n".join(lines) + "\n"


def write_instance_yaml(settings: ScaleOutSettings) -> Path:
    """Write the derived ``dagster.yaml`` (only when it changed); return its path."""
    path = dagster_home(settings) / "dagster.yaml"
    text = instance_yaml(settings)
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(path)
    return path


def export_environment(settings: ScaleOutSettings) -> None:
    """Put what Dagster reads from the environment there, for this process and its children.

    ``PGPASSWORD`` is libpq's own variable; the Celery URLs are read by the executor's
    configuration and by Celery. Variables already set are overwritten with the same
    settings (the environment wins over ``.env`` when the settings are read).
    """
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    if settings.postgres and settings.postgres.password is not None:
        os.environ["PGPASSWORD"] = settings.postgres.password
    if settings.celery:
        os.environ["CELERY_BROKER_URL"] = settings.celery.broker_url
        os.environ["CELERY_BACKEND_URL"] = settings.celery.backend_url


def server_problem(settings: ScaleOutSettings) -> str | None:
    """Why the configured Postgres or Redis cannot be used, in one line; None when they can.

    Each check gives up after a few seconds. The messages name the setting and the server
    without its password.
    """
    missing = _missing_packages(settings)
    if missing:
        return missing
    if settings.postgres:
        problem = _postgres_problem(settings.postgres)
        if problem:
            return problem
    if settings.celery:
        problem = _redis_problem("CELERY_BROKER_URL", settings.celery.broker_url)
        if problem is None and settings.celery.backend_url != settings.celery.broker_url:
            problem = _redis_problem("CELERY_BACKEND_URL", settings.celery.backend_url)
        if problem:
            return problem
    return None


def _missing_packages(settings: ScaleOutSettings) -> str | None:
    from importlib.util import find_spec

    needed = []
    if settings.postgres:
        needed += [("dagster_postgres", "dagster-postgres"), ("psycopg2", "psycopg2")]
    if settings.celery:
        needed += [("dagster_celery", "dagster-celery"), ("redis", "redis")]
    missing = [package for module, package in needed if find_spec(module) is None]
    if not missing:
        return None
    setting = "CELERY_BROKER_URL" if settings.celery else "DAGSTER_POSTGRES_URL"
    return (
        f"{setting} is set but {', '.join(missing)} is not installed; "
        f"install the project's scale extra: {INSTALL_HINT}"
    )


def _postgres_problem(postgres: PostgresSettings) -> str | None:
    import psycopg2

    shown = postgres.url(scheme="postgresql")
    try:
        # libpq accepts the same URL; the password is passed apart, never inside a string
        # that could end up in an error message.
        connection = psycopg2.connect(
            postgres.url(scheme="postgresql"),
            password=postgres.password or os.environ.get("PGPASSWORD") or None,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except psycopg2.Error as error:
        cause = _pg_cause(error)
        return f"cannot use the Postgres database of DAGSTER_POSTGRES_URL ({shown}): {cause}"
    connection.close()
    return None


def _pg_cause(error: Exception) -> str:
    """libpq's reason, without its preamble: "password authentication failed for user ..."."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    cause = lines[0] if lines else type(error).__name__
    cause = cause.rpartition(" failed: ")[2] if " failed: " in cause else cause
    return cause.removeprefix("FATAL:").strip() or type(error).__name__


def _redis_problem(name: str, url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.AuthenticationError:
        cause = f"authentication refused: check the password in {name}"
    except redis.ResponseError as error:  # NOAUTH and the like: the server wants a password
        cause = f"the server refused the connection ({_redis_cause(error)}): check {name}"
    except redis.RedisError as error:
        cause = _redis_cause(error)
    else:
        return None
    finally:
        client.close()
    return f"cannot use the Celery broker of {name} ({display_url(url)}): {cause}"


def _redis_cause(error: Exception) -> str:
    """redis-py's message on one line, cut short: "Error 111 connecting to ... refused."."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def worker_command(queue: str | None = None) -> str:
    """The command that starts a worker, for messages."""
    queue_option = f" --queue {queue}" if queue and queue != "dagster" else ""
    return f"python run_polster.py --worker{queue_option}"


def require_celery(settings: ScaleOutSettings) -> CelerySettings:
    """The Celery settings, or :class:`SettingsError` saying what ``--worker`` needs."""
    if settings.celery is None:
        raise SettingsError(
            "--worker needs CELERY_BROKER_URL and DAGSTER_POSTGRES_URL in .env "
            "(see .env.example): workers take their steps from that broker"
        )
    return settings.celery


def main() -> int:
    """``python -m core.scale_out``: write the instance configuration and print its folder.

    For deployments that start Dagster's own commands (``dagster-webserver``,
    ``dagster-daemon``) rather than ``run_polster.py``: point ``DAGSTER_HOME`` at the
    printed folder and give those processes the password in ``PGPASSWORD``.
    """
    from core.settings import load_scale_out_settings

    try:
        settings = load_scale_out_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if settings.postgres is None:
        print("error: DAGSTER_POSTGRES_URL is not set (see .env.example)", file=sys.stderr)
        return 2
    print(write_instance_yaml(settings).parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
