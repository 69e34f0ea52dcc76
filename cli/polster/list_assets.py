"""``polster list-assets``: the project's assets by layer, with upstreams and files."""

from typing import Any

from polster.project import Project
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Key, key_string


def list_assets(project: Project) -> list[dict[str, Any]]:
    """Every asset by layer, with its upstreams and files (relative to the project)."""
    upstreams: dict[Key, set[Key]] = {}
    for edge in project.graph.edges:
        upstreams.setdefault(edge.downstream.key, set()).add(edge.upstream)
    rows = []
    for key, asset in sorted(
        project.graph.assets.items(), key=lambda item: (_layer_order(item[1].layer), item[0])
    ):
        files = {"asset": asset.file.relative}
        if len(key) == 2:
            for role, path in project.files_of(*key).items():
                if role != "asset" and path.is_file():
                    files[role] = path.relative_to(project.root).as_posix()
        rows.append(
            {
                "key": key_string(key),
                "layer": asset.layer,
                "upstream": sorted(key_string(up) for up in upstreams.get(key, ())),
                "files": files,
            }
        )
    return rows


def _layer_order(layer: str | None) -> int:
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS)
