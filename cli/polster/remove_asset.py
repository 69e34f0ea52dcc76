"""``polster remove-asset``: delete an asset's files, unless others still use it."""

from pathlib import Path

from polster.project import AssetCommandError, Project
from polster_lint.domain.model import Key, key_string


def dependents(project: Project, key: Key) -> list[str]:
    """Assets that declare ``key`` as upstream, and core modules that read its table."""
    declaring = {edge.downstream.key for edge in project.graph.edges if edge.upstream == key}
    found = [key_string(user) for user in sorted(declaring)]
    for file, facts in project.modules:
        owner = file.owner
        if owner is None or owner == key or owner in declaring:
            continue
        if any(read.key == key for read in facts.reads):
            found.append(f"{key_string(owner)} (reads the table in {file.relative})")
    return found


def remove_asset(
    project: Project, layer: str, name: str, force: bool = False, dry_run: bool = False
) -> list[Path]:
    """Delete the asset's files; refuse while others depend on it unless ``force``."""
    key = (layer, name)
    if key not in project.graph.assets:
        existing = ", ".join(key_string(k) for k in project.assets_in(layer)) or "none"
        raise AssetCommandError(f"no asset {layer}/{name}; {layer} assets: {existing}")
    users = dependents(project, key)
    if users and not force:
        raise AssetCommandError(
            f"{layer}/{name} is used by {', '.join(users)}; remove those first or use --force"
        )
    asset_file = project.graph.assets[key].file.path
    neighbours = sorted(
        key_string(other)
        for other, asset in project.graph.assets.items()
        if other != key and asset.file.path == asset_file
    )
    if neighbours:  # deleting the module would delete them too
        raise AssetCommandError(
            f"{project.graph.assets[key].file.relative} also defines {', '.join(neighbours)}; "
            "remove the asset from that file by hand"
        )
    files = [path for path in project.files_of(layer, name).values() if path.is_file()]
    if asset_file not in files:
        files.append(asset_file)
    if not dry_run:
        for path in files:
            path.unlink()
        cached = project.root / project.config.core_dir / "__pycache__"
        if cached.is_dir():
            for stale in cached.glob(f"{layer}_{name}.*.pyc"):
                stale.unlink()
    return files
