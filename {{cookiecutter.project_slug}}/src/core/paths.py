"""Where the project lives on disk.

Everything is located from this file, not from the current working directory, so the
scripts, the Dagster code server and the tests agree on the same folders wherever they
are started from. Nothing is created at import time: folders appear when data is written.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The project folder: the one holding ``pyproject.toml``, ``.env`` and ``src/``."""

ENV_FILE = PROJECT_ROOT / ".env"
"""Settings file read by :mod:`core.settings`; environment variables override it."""

DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
"""Where local tables go unless ``DATA_DIR`` says otherwise."""

DAGSTER_HOME = PROJECT_ROOT / ".dagster"
"""Dagster's instance folder (run history, schedules, sensor state) for this project."""


def resolve_project_path(value: str) -> Path:
    """Turn a path from the settings into an absolute path.

    Relative paths are taken relative to the project root, so ``DATA_DIR=data`` means the
    same folder whether a script runs from the project root or from ``src/core``.
    """
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path
