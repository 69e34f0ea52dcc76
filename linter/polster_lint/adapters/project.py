"""Find a generated project on disk and the Python files the linter reads.

Asset modules live under ``<assets-dir>/<layer folder>/``; their layer is their folder.
Core modules live under ``<core-dir>/``; ``<layer>_<name>.py`` holds the logic of the
asset ``<layer>/<name>``, so its ``read_table`` calls are that asset's hidden reads.

The files come from a checkout the linter must not trust (a pull request in CI, a commit
hook), so reading one is bounded: only regular files are opened (a FIFO would block for
ever, ``/dev/zero`` never ends), never through a symbolic link that leaves the project,
and never past the configured size. A file that is refused is still discovered, and
reported (POL000) with the reason, rather than silently skipped. Folder links are
followed only inside the project, and each folder is walked once, so link loops end.
"""

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from polster_lint.domain.config import LintConfig, size_text
from polster_lint.domain.layout import source_file, support_file
from polster_lint.domain.medallion import ANSWERS_FILE
from polster_lint.domain.model import SourceFile
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
    """Every asset and core module of the project, then the definitions module, in a
    stable order."""
    files: list[SourceFile] = []
    for folder in (config.assets_dir, config.core_dir):
        for path in _python_files(root / folder, root):
            found = source_file(path.relative_to(root).as_posix(), config, path)
            if found is not None:
                files.append(found)
    known = {file.relative for file in files}
    files += support_files(root, config, known, [config.definitions_module])
    return files


MAX_SUPPORT_FILES = 1000
"""At most this many modules outside the asset and core folders are read."""


def support_files(
    root: Path, config: LintConfig, known: set[str], modules: Iterable[str]
) -> list[SourceFile]:
    """The files of ``modules`` (dotted names; ``package.*`` for every module of a
    package) under the source root that are not in ``known`` yet; ``known`` grows.

    Names that are no module of the project (``dagster``, ``pandas.DataFrame``) have no
    file and are skipped; so is anything outside the project.
    """
    source_root = root / config.source_root
    inside = _containment(root)
    found: list[SourceFile] = []

    def add(path: Path) -> None:
        relative = path.relative_to(root).as_posix()
        if relative in known or len(found) >= MAX_SUPPORT_FILES:
            return
        known.add(relative)
        classified = source_file(relative, config, path)
        found.append(classified or support_file(relative, config, path))

    for module in sorted(set(modules)):
        package = module.endswith(".*")
        parts = module.removesuffix(".*").split(".")
        if not all(part.isidentifier() for part in parts):
            continue
        base = source_root.joinpath(*parts)
        prefix = "/".join([config.source_root, *parts]) if config.source_root else "/".join(parts)
        if package:
            if base.is_dir() and inside(os.path.realpath(base)):
                for path in _python_files(base, root):
                    add(path)
            continue
        for candidate, relative in (
            (base.with_name(parts[-1] + ".py"), prefix + ".py"),
            (base / "__init__.py", prefix + "/__init__.py"),
        ):
            if relative in known:
                break
            if candidate.is_file() and inside(os.path.realpath(candidate)):
                add(candidate)
                break
    return found


def _python_files(folder: Path, root: Path) -> list[Path]:
    """The ``.py`` files below ``folder``, plus the links the linter will not follow.

    A link to a folder elsewhere in the project is walked like a real folder (Dagster's
    package loader follows such links too), once. A link to a folder of this tree is not:
    its files are read where they are, and a link back up the tree cannot loop. A link
    that leaves the project is listed, so that ``read_module`` reports it.
    """
    inside = _containment(root)
    found: list[Path] = []
    if os.path.lexists(folder) and not inside(os.path.realpath(folder)):
        return [folder]  # the folder itself is a link out of the project: reported
    in_tree = _containment(folder)
    visited: set[str] = set()
    pending = [folder]
    while pending:
        directory = pending.pop()
        real = os.path.realpath(directory)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue  # a folder that is gone or closed to us holds no module we could read
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                is_folder = entry.is_dir()  # follows a link
            except OSError:
                is_link, is_folder = True, False
            if is_folder and entry.name in _SKIPPED_FOLDERS:
                continue
            if is_link:
                target = os.path.realpath(path)
                if not inside(target):
                    if is_folder or entry.name.endswith(".py"):
                        found.append(path)  # reported, not followed
                    continue
                if is_folder and in_tree(target):
                    continue  # its files are read where they are
            if is_folder:
                subfolders.append(path)
            elif entry.name.endswith(".py"):
                found.append(path)
        pending.extend(reversed(subfolders))
    return found


def _containment(root: Path) -> Callable[[str], bool]:
    real_root = os.path.realpath(root)
    prefix = real_root.rstrip(os.sep) + os.sep

    def inside(real: str) -> bool:
        return real == real_root or real.startswith(prefix)

    return inside


class UnreadableFile(Exception):
    """A project file the linter does not read; the message says why, for a POL000."""


_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check must not block
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_module(path: Path, root: Path, max_size: int) -> bytes:
    """The bytes of a project file, or :class:`UnreadableFile` saying why they are not read.

    Only a regular file of at most ``max_size`` bytes is read, and through a symbolic
    link only when the link's target is inside ``root``. The checks are made on the path
    and again on the open file, so a file swapped in between cannot slip through.
    """
    try:
        status = os.lstat(path)
    except OSError as error:
        raise UnreadableFile(f"cannot read the file: {error.strerror}") from None
    target = path
    if stat.S_ISLNK(status.st_mode):
        shown = _link_text(path)
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnreadableFile("a symbolic link that loops back on itself") from None
            raise UnreadableFile(f"a symbolic link to {shown}, which does not exist") from None
        if not _containment(root)(real):
            raise UnreadableFile(
                f"a symbolic link to {shown}, outside the project; polster-lint does not follow it"
            )
        target = Path(real)
        try:
            status = os.stat(target)
        except OSError as error:
            raise UnreadableFile(f"cannot read the file: {error.strerror}") from None
    _check_regular(status, max_size)
    try:
        descriptor = os.open(target, _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise UnreadableFile(f"cannot read the file: {error.strerror}") from None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        _check_regular(os.fstat(descriptor), max_size)
        try:
            source = _read_at_most(handle, max_size + 1)
        except OSError as error:
            raise UnreadableFile(f"cannot read the file: {error.strerror}") from None
    if len(source) > max_size:  # it grew after the check
        raise UnreadableFile(_too_large(len(source), max_size))
    return source


def _read_at_most(handle: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = handle.read(min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _check_regular(status: os.stat_result, max_size: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
        raise UnreadableFile(f"{kind}, not a regular file; polster-lint does not read it")
    if status.st_size > max_size:
        raise UnreadableFile(_too_large(status.st_size, max_size))


def _too_large(size: int, max_size: int) -> str:
    return (
        f"the file is {size_text(size)}, over the {size_text(max_size)} limit polster-lint "
        "reads (max-file-size in [tool.polster.lint])"
    )


def _link_text(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
