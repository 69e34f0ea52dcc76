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
import operator
import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

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
    """The nearest folder at or above ``start`` that holds a project to lint: a generated
    Polster project (its answers file, or ``src/orchestration`` beside a
    ``pyproject.toml``), or any project whose ``pyproject.toml`` has a
    ``[tool.polster.lint]`` table (another Dagster project, configured for the linter)."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        pyproject = folder / "pyproject.toml"
        if (folder / ANSWERS_FILE).is_file():
            return folder
        if pyproject.is_file() and (
            (folder / "src" / "orchestration").is_dir() or _configures_the_linter(pyproject)
        ):
            return folder
    raise ProjectError(
        f"{start} is not inside a Polster project (no {ANSWERS_FILE}, and no pyproject.toml "
        "with a [tool.polster.lint] table)"
    )


_LINT_TABLE = re.compile(
    rb"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*polster[ \t]*\.[ \t]*lint[ \t]*\]", re.M
)
_POLSTER_TABLE = re.compile(rb"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*polster[ \t]*\]", re.M)


def _configures_the_linter(pyproject: Path) -> bool:
    """Whether a ``pyproject.toml`` has ``[tool.polster.lint]`` (or ``[tool.polster]``,
    whose ``lint`` key may hold the table), without parsing it: a file that does not
    parse is reported by the configuration reader, with the reason."""
    try:
        text = read_module(pyproject, pyproject.parent, 4 * 1024 * 1024)
    except UnreadableFile:
        return False
    return bool(_LINT_TABLE.search(text) or _POLSTER_TABLE.search(text))


class ListedFile(NamedTuple):
    """A file the linter reads, as discovery found it: cheap to make by the ten thousand.

    ``relative`` is its project-relative POSIX path, ``path`` where it is (the root joined
    with ``relative``), ``signature`` its size and modification time in nanoseconds when it
    is a plain regular file (not a link), else None.
    """

    relative: str
    path: str
    signature: tuple[int, int] | None


Listings = dict[str, dict[str, tuple[bool, bool]] | None]
"""Folders seen in one run: path -> {name: (is a file, is a folder)}, None when the folder
is not there. :func:`list_files` fills it as it walks; :func:`find_support` answers from it
whether a module's file exists, without asking the disk again (a support search looks up
thousands of names that are attributes, not modules)."""


def list_files(
    root: Path, config: LintConfig, listings: Listings | None = None
) -> list[ListedFile]:
    """Every ``.py`` file under the assets and core folders (and the links the linter does
    not follow, so that they are reported), in a stable order, with its stat signature.

    The folders walked go into ``listings`` when given (see :data:`Listings`)."""
    base = _root_text(root)
    files: list[ListedFile] = []
    for folder in (config.assets_dir, config.core_dir):
        files += _python_files(_joined(base, _posix_folder(folder)), root, listings)
    return files


def discover(root: Path, config: LintConfig) -> list[SourceFile]:
    """Every asset and core module of the project, then the definitions module, in a
    stable order."""
    listed = list_files(root, config)
    known = {file.relative for file in listed}
    listed += find_support(root, config, known, [config.definitions_module])[0]
    return [classify(file, config) for file in listed]


def classify(file: ListedFile, config: LintConfig) -> SourceFile:
    """What ``file``'s place says about it: an asset or core module, else a support one."""
    return source_file(file.relative, config, file.path) or support_file(
        file.relative, config, file.path
    )


MAX_SUPPORT_FILES = 1000
"""At most this many modules outside the asset and core folders are read."""


def support_files(
    root: Path, config: LintConfig, known: set[str], modules: Iterable[str]
) -> list[SourceFile]:
    """The files of ``modules`` (see :func:`find_support`), classified."""
    return [classify(file, config) for file in find_support(root, config, known, modules)[0]]


def find_support(
    root: Path,
    config: LintConfig,
    known: set[str],
    modules: Iterable[str],
    listings: Listings | None = None,
) -> tuple[list[ListedFile], list[str]]:
    """The files of ``modules`` (dotted names; ``package.*`` for every module of a
    package) under the source root that are not in ``known`` yet (``known`` grows), and
    the names that had to be looked for on disk (the others name a known file).

    Names that are no module of the project (``dagster``, ``pandas.DataFrame``) have no
    file and are skipped; so is anything outside the project. Looking the same names up
    again finds the same files as long as the disk has not changed, which is how a warm
    run knows that the support modules are still the same ones.
    """
    base = _root_text(root)
    source_root = _posix_folder(config.source_root)
    inside = _containment(root)
    disk = _Disk(base, {} if listings is None else listings)
    found: list[ListedFile] = []
    probed: list[str] = []

    def add(file: ListedFile) -> None:
        if file.relative in known or len(found) >= MAX_SUPPORT_FILES:
            return
        known.add(file.relative)
        found.append(file)

    for module in sorted(set(modules)):
        package = module.endswith(".*")
        parts = module.removesuffix(".*").split(".")
        if not all(map(str.isidentifier, parts)):
            continue
        prefix = "/".join([source_root, *parts]) if source_root else "/".join(parts)
        if package:
            probed.append(module)
            folder = _joined(base, prefix)
            if disk.is_folder(folder) and inside(os.path.realpath(folder)):
                for file in _python_files(folder, root, disk.listings):
                    add(file)
            continue
        looked = False
        for relative in (prefix + ".py", prefix + "/__init__.py"):
            if relative in known:
                break
            looked = True
            candidate = _joined(base, relative)
            if disk.is_file(candidate) and inside(os.path.realpath(candidate)):
                add(ListedFile(relative, candidate, _signature(candidate)))
                break
        if looked:
            probed.append(module)
    return found, probed


class _Disk:
    """Whether paths are files or folders, answered from the folders' listings: each
    folder is listed once (a missing one not at all when its parent's listing says so)."""

    def __init__(self, base: str, listings: Listings) -> None:
        self.base = base
        self.listings = listings

    def is_file(self, path: str) -> bool:
        return self._kind(path)[0]

    def is_folder(self, path: str) -> bool:
        return self._kind(path)[1]

    def _kind(self, path: str) -> tuple[bool, bool]:
        parent, _, name = path.rpartition("/")
        listing = self._listing(parent) if parent else None
        return listing.get(name, (False, False)) if listing is not None else (False, False)

    def _listing(self, folder: str) -> dict[str, tuple[bool, bool]] | None:
        if folder in self.listings:
            return self.listings[folder]
        parent, _, name = folder.rpartition("/")
        if parent and len(folder) > len(self.base) and folder.startswith(self.base):
            above = self._listing(parent)
            if above is None or not above.get(name, (False, False))[1]:
                self.listings[folder] = None
                return None
        try:
            with os.scandir(folder) as scan:
                listing = {entry.name: _kind_of(entry) for entry in scan}
        except OSError:
            listing = None
        self.listings[folder] = listing
        return listing


def _kind_of(entry: os.DirEntry[str]) -> tuple[bool, bool]:
    """(is a file, is a folder), following links, as ``os.path.isfile``/``isdir`` say."""
    try:
        return _SHARED_KINDS[entry.is_file(), entry.is_dir()]
    except OSError:
        return _SHARED_KINDS[False, False]


_SHARED_KINDS = {(a, b): (a, b) for a in (False, True) for b in (False, True)}
"""The four kinds, shared by every listing (a folder of 10,000 files holds one each)."""


def _root_text(root: Path) -> str:
    return os.fspath(root)


def _joined(base: str, relative: str) -> str:
    if not relative:
        return base
    return base + relative if base.endswith("/") else base + "/" + relative


def _posix_folder(folder: str) -> str:
    """A configured folder as the relative paths of its files start ("" for the root)."""
    return "/".join(PurePosixPath(folder).parts)


def _signature(path: str) -> tuple[int, int] | None:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns) if stat.S_ISREG(status.st_mode) else None


def _python_files(folder: str, root: Path, listings: Listings | None = None) -> list[ListedFile]:
    """The ``.py`` files below ``folder``, plus the links the linter will not follow.

    A link to a folder elsewhere in the project is walked like a real folder (Dagster's
    package loader follows such links too), once. A link to a folder of this tree is not:
    its files are read where they are, and a link back up the tree cannot loop. A link
    that leaves the project is listed, so that ``read_module`` reports it.

    Paths are strings all the way (``pathlib`` costs more than the walk itself at tens of
    thousands of files), and the status of each file comes from the folder scan.
    """
    base = _root_text(root)
    cut = len(base) if base.endswith("/") else len(base) + 1
    inside = _containment(root)
    found: list[ListedFile] = []
    if os.path.lexists(folder) and not inside(os.path.realpath(folder)):
        # The folder itself is a link out of the project: reported.
        return [ListedFile(folder[cut:], folder, None)]
    in_tree = _containment(Path(folder))
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
                entries = sorted(scan, key=_NAME)
        except OSError:
            if listings is not None:
                listings[directory] = None
            continue  # a folder that is gone or closed to us holds no module we could read
        kinds: dict[str, tuple[bool, bool]] = {}
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_link = entry.is_symlink()
                is_folder = entry.is_dir()  # follows a link
                is_file = entry.is_file()  # follows a link
            except OSError:
                is_link, is_folder, is_file = True, False, False
            kinds[name] = _SHARED_KINDS[is_file, is_folder]
            if is_link:
                if is_folder and name in _SKIPPED_FOLDERS:
                    continue
                path = entry.path
                target = os.path.realpath(path)
                if not inside(target):
                    if is_folder or name.endswith(".py"):
                        found.append(ListedFile(path[cut:], path, None))  # reported
                elif is_folder:
                    if not in_tree(target):
                        subfolders.append(path)  # else its files are read where they are
                elif name.endswith(".py"):
                    found.append(ListedFile(path[cut:], path, None))
            elif is_folder:
                if name not in _SKIPPED_FOLDERS:
                    subfolders.append(entry.path)
            elif name.endswith(".py"):
                path = entry.path
                signature = None
                if is_file:
                    try:
                        status = entry.stat(follow_symlinks=False)
                        if stat.S_ISREG(status.st_mode):
                            signature = (status.st_size, status.st_mtime_ns)
                    except OSError:
                        pass
                found.append(_listed(ListedFile, (path[cut:], path, signature)))
        pending.extend(reversed(subfolders))
        if listings is not None:
            listings[directory] = kinds
    return found


_NAME = operator.attrgetter("name")
_listed = tuple.__new__
"""Makes a :class:`ListedFile` without the Python-level ``__new__`` of a named tuple."""


def _containment(root: Path | str) -> Callable[[str], bool]:
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


def read_module(path: str | Path, root: str | Path, max_size: int) -> bytes:
    """The bytes of a project file, or :class:`UnreadableFile` saying why they are not read.

    Only a regular file of at most ``max_size`` bytes is read, and through a symbolic
    link only when the link's target is inside ``root``. The checks are made on the path
    and again on the open file, so a file swapped in between cannot slip through.
    """
    try:
        status = os.lstat(path)
    except OSError as error:
        raise UnreadableFile(f"cannot read the file: {error.strerror}") from None
    target: str | Path = path
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
        target = real
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


def _link_text(path: str | Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
