"""What a file's place in the project says about it: asset module or core module, its
layer, the asset whose logic it holds, and its Python module name.

Pure: it works on relative paths, so the same rules serve files found on disk and the
in-memory projects of the rule examples.
"""

from pathlib import Path, PurePosixPath

from polster_lint.domain.config import LintConfig
from polster_lint.domain.medallion import owner_of_core_module
from polster_lint.domain.model import SourceFile


def source_file(relative: str, config: LintConfig, path: Path | None = None) -> SourceFile | None:
    """The :class:`SourceFile` for ``relative`` (a project-relative POSIX path), or None
    when it is neither under the assets folder nor under the core folder.

    ``path`` is where the file is on disk; it defaults to ``relative`` itself.
    """
    pure = PurePosixPath(relative)
    assets, core = PurePosixPath(config.assets_dir), PurePosixPath(config.core_dir)
    if pure.is_relative_to(assets):
        inside = pure.relative_to(assets).parts
        layer = config.folder_layer(inside[0]) if len(inside) > 1 else None
        return _make(pure, config, path, layer=layer, is_asset_module=True)
    if pure.is_relative_to(core):
        return _make(pure, config, path, owner=owner_of_core_module(pure.stem))
    return None


def _make(
    pure: PurePosixPath,
    config: LintConfig,
    path: Path | None,
    layer: str | None = None,
    is_asset_module: bool = False,
    owner: tuple[str, ...] | None = None,
    is_support: bool = False,
) -> SourceFile:
    source_root = PurePosixPath(config.source_root)
    base = pure.relative_to(source_root) if pure.is_relative_to(source_root) else pure
    parts = list(base.with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return SourceFile(
        path=path if path is not None else Path(pure),
        relative=pure.as_posix(),
        module=".".join(parts),
        is_package=is_package,
        layer=layer,
        is_asset_module=is_asset_module,
        owner=owner,
        is_support=is_support,
    )


def support_file(relative: str, config: LintConfig, path: Path | None = None) -> SourceFile:
    """A module outside the asset and core folders that the linter reads for what it says
    about the assets (the definitions module, a module asset modules import from)."""
    return _make(PurePosixPath(relative), config, path, is_support=True)
