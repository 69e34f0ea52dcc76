"""What a file's place in the project says about it: asset module or core module, its
layer, the asset whose logic it holds, and its Python module name.

Pure: it works on relative paths, so the same rules serve files found on disk and the
in-memory projects of the rule examples. A large project has tens of thousands of files,
so the paths are handled as strings (``pathlib`` parses every path again on each
operation); the result is the same as ``PurePosixPath`` gives.
"""

from functools import lru_cache
from pathlib import PurePosixPath

from polster_lint.domain.config import LintConfig
from polster_lint.domain.medallion import owner_of_core_module
from polster_lint.domain.model import SourceFile


def source_file(relative: str, config: LintConfig, path: str | None = None) -> SourceFile | None:
    """The :class:`SourceFile` for ``relative`` (a project-relative POSIX path), or None
    when it is neither under the assets folder nor under the core folder.

    ``path`` is where the file is on disk; it defaults to ``relative`` itself.
    """
    relative = _clean(relative)
    inside = _below(relative, _folder(config.assets_dir))
    if inside is not None:
        parts = inside.split("/") if inside else []
        layer = config.folder_layer(parts[0]) if len(parts) > 1 else None
        return _make(relative, config, path, layer=layer, is_asset_module=True)
    if _below(relative, _folder(config.core_dir)) is not None:
        owner = owner_of_core_module(_stem(relative.rpartition("/")[2]))
        return _make(relative, config, path, owner=owner)
    return None


def _make(
    relative: str,
    config: LintConfig,
    path: str | None,
    layer: str | None = None,
    is_asset_module: bool = False,
    owner: tuple[str, ...] | None = None,
    is_support: bool = False,
) -> SourceFile:
    base = _below(relative, _folder(config.source_root))
    parts = (relative if base is None else base).split("/")
    parts[-1] = _stem(parts[-1])
    if parts == [""]:
        parts = []
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return SourceFile(
        location=path if path is not None else relative,
        relative=relative,
        module=".".join(parts),
        is_package=is_package,
        layer=layer,
        is_asset_module=is_asset_module,
        owner=owner,
        is_support=is_support,
    )


def support_file(relative: str, config: LintConfig, path: str | None = None) -> SourceFile:
    """A module outside the asset and core folders that the linter reads for what it says
    about the assets (the definitions module, a module asset modules import from)."""
    return _make(_clean(relative), config, path, is_support=True)


def _clean(relative: str) -> str:
    """``relative`` as ``PurePosixPath`` writes it (no ``.`` parts, no doubled or trailing
    slash); paths found on disk already are, and skip the parse."""
    if (
        relative.startswith("./")
        or relative.endswith(("/", "/."))
        or "//" in relative
        or "/./" in relative
        or relative in ("", ".")
    ):
        return PurePosixPath(relative).as_posix()
    return relative


@lru_cache(maxsize=64)
def _folder(folder: str) -> str:
    """A configured folder in the form of :func:`_clean`; "" for the project itself."""
    return "/".join(PurePosixPath(folder).parts)


def _below(relative: str, folder: str) -> str | None:
    """What follows ``folder/`` in ``relative`` ("" when it is the folder itself), or None
    when ``relative`` is not inside ``folder``."""
    if not folder or folder == ".":
        return "" if relative == "." else relative
    if relative == folder:
        return ""
    if relative.startswith(folder) and relative[len(folder) : len(folder) + 1] == "/":
        return relative[len(folder) + 1 :]
    return None


def _stem(name: str) -> str:
    """The name without its last suffix, as ``PurePosixPath.stem`` has it (``.py`` alone is
    a name, not a suffix)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def is_core_path(relative: str, config: LintConfig) -> bool:
    """Whether ``relative`` is a core module's path (cheap: no :class:`SourceFile` made)."""
    relative = _clean(relative)
    return (
        _below(relative, _folder(config.assets_dir)) is None
        and _below(relative, _folder(config.core_dir)) is not None
    )
