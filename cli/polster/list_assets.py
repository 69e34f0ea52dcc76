"""``polster list-assets``: the project's assets by layer, with upstreams and files.

The assets come from the linter's reading of the asset modules. A module it cannot read (a
syntax error, a file over the size limit, a link out of the project ...) defines assets
nobody can see, so the listing would be silently short: ``unreadable_modules`` names each,
and the command exits with status 1 after listing the rest.
"""

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


def unreadable_modules(project: Project) -> list[dict[str, Any]]:
    """The asset modules that could not be read, with where and why, in file order."""
    problems = []
    for file, facts in project.modules:
        if file.is_asset_module and facts.syntax_error is not None:
            message, position = facts.syntax_error
            problems.append(
                {
                    "path": file.relative,
                    "line": position.line,
                    "column": position.column,
                    "message": f"cannot parse: {message}",
                }
            )
    return problems


def problem_line(problem: dict[str, Any]) -> str:
    """``path:line:column: message``, the way polster-lint places its findings."""
    return f"{problem['path']}:{problem['line']}:{problem['column']}: {problem['message']}"


def _layer_order(layer: str | None) -> int:
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS)
