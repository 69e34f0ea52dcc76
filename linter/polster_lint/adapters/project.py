"""Find a generated project on disk and the Python files the linter reads.

Asset modules live under ``<assets-dir>/<layer folder>/``; their layer is their folder.
Core modules live under ``<core-dir>/``; ``<layer>_<name>.py`` holds the logic of the
asset ``<layer>/<name>``, so its ``read_table`` calls are that asset's hidden reads.
"""

import os
from pathlib import Path

from polster_lint.domain.config import LintConfig
from polster_lint.domain.medallion import ANSWERS_FILE, owner_of_core_module
from polster_lint.domain.model import Key, SourceFile
from polster_lint.errors import ProjectError

_SKIPPED_FOLDERS = {"__pycache__", ".git", ".venv", "node_modules"}


def current_dir() -> Path:
    """The working directory, or a clear error when it has been deleted under us."""
    try:
        return Path(os.getcwd())
    except FileNotFoundError:
        raise ProjectError("the current directory no longer exists; cd into one") from None


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a Polster project."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        if (folder / ANSWERS_FILE).is_file() or (
            (folder / "pyproject.toml").is_file() and (folder / "src" / "orchestration").is_dir()
        ):
            return folder
    raise ProjectError(f"{start} is not inside a Polster project (no {ANSWERS_FILE} found)")


def discover(root: Path, config: LintConfig) -> list[SourceFile]:
    """Every asset and core module of the project, in a stable order."""
    source_root = root / config.source_root
    files: list[SourceFile] = []
    for path in _python_files(root / config.assets_dir):
        relative = path.relative_to(root / config.assets_dir).parts
        layer = config.folder_layer(relative[0]) if len(relative) > 1 else None
        files.append(_source_file(root, source_root, path, layer=layer, is_asset_module=True))
    for path in _python_files(root / config.core_dir):
        files.append(_source_file(root, source_root, path, owner=_owner(path)))
    return files


def _python_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        found.extend(Path(directory) / name for name in sorted(names) if name.endswith(".py"))
    return found


def _source_file(
    root: Path,
    source_root: Path,
    path: Path,
    layer: str | None = None,
    is_asset_module: bool = False,
    owner: Key | None = None,
) -> SourceFile:
    try:
        parts = list(path.relative_to(source_root).with_suffix("").parts)
    except ValueError:
        parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return SourceFile(
        path=path,
        relative=path.relative_to(root).as_posix(),
        module=".".join(parts),
        is_package=is_package,
        layer=layer,
        is_asset_module=is_asset_module,
        owner=owner,
    )


def _owner(path: Path) -> Key | None:
    return owner_of_core_module(path.stem)
