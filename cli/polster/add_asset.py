"""``polster add-asset``: add an asset whose upstreams follow the medallion rules.

The asset template (a nested cookiecutter run) renders the new files into a scratch
folder; they are then moved into the project one by one with exclusive creation: an
existing file is never overwritten, and a failure half-way removes what was created.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException
from cookiecutter.main import cookiecutter

from polster.project import AssetCommandError, Project
from polster.template import asset_template_dir
from polster_lint.domain.medallion import asset_name_problem
from polster_lint.domain.model import Key, key_string


@dataclass(frozen=True)
class NewAsset:
    layer: str
    name: str
    deps: tuple[Key, ...]
    description: str = ""


def name_problem(project: Project, layer: str, name: str) -> str | None:
    """Why ``name`` cannot be used for a new asset of ``layer`` in this project, or None."""
    problem = asset_name_problem(layer, name)
    if problem:
        return problem
    if (layer, name) in project.graph.assets:
        return f"asset {layer}/{name} already exists"
    existing = [path for path in project.files_of(layer, name).values() if path.exists()]
    if existing:
        return f"{existing[0].relative_to(project.root)} already exists"
    return None


def resolve_deps(project: Project, layer: str, values: list[str]) -> tuple[Key, ...]:
    """Turn ``customers`` or ``bronze/customers`` into keys of allowed upstream assets."""
    allowed = project.allowed_upstreams(layer)
    valid = ", ".join(key_string(key) for key in allowed) or "none"
    layers = " or ".join(project.upstream_layers(layer))
    keys: list[Key] = []
    for value in (item.strip() for item in values if item.strip()):
        if not layers:
            raise AssetCommandError(f"bronze assets take no upstream assets (got {value})")
        matches = [key for key in allowed if value in (key_string(key), key[-1])]
        if len(matches) != 1:
            why = "is ambiguous" if matches else f"is not a {layers} asset of the project"
            raise AssetCommandError(f"dependency {value!r} {why}; valid: {valid}")
        if matches[0] in keys:
            raise AssetCommandError(f"dependency {value!r} is listed twice")
        keys.append(matches[0])
    if layers and not keys:
        raise AssetCommandError(
            f"a {layer} asset needs at least one upstream ({layers}); valid: {valid}"
        )
    return tuple(keys)


def add_asset(project: Project, asset: NewAsset, dry_run: bool = False) -> list[Path]:
    """Create the asset's files (or only list them with ``dry_run``); return their paths."""
    problem = name_problem(project, asset.layer, asset.name)
    if problem:
        raise AssetCommandError(problem)
    targets = list(project.files_of(asset.layer, asset.name).values())
    if dry_run:
        return targets
    with tempfile.TemporaryDirectory(prefix="polster-add-asset-") as scratch:
        rendered = _render(project, asset, Path(scratch))
        _move_into_project(rendered, project.root, targets)
    return targets


def _render(project: Project, asset: NewAsset, scratch: Path) -> Path:
    """Run the asset template into ``scratch``; return the rendered project folder."""
    slug = project.answers.get("project_slug") or project.root.name
    context = {
        "project_slug": slug,
        "layer": asset.layer,
        "asset_name": asset.name,
        "deps": ",".join(key_string(key) for key in asset.deps),
        "_allow_same_layer": asset.layer in project.config.same_layer_allowed,
    }
    if asset.description:
        context["description"] = asset.description
    try:
        rendered = cookiecutter(
            str(asset_template_dir()),
            no_input=True,
            extra_context=context,
            output_dir=str(scratch / "out"),
            default_config={
                "replay_dir": str(scratch / "replay"),
                "cookiecutters_dir": str(scratch),
            },
        )
    except CookiecutterException as error:
        raise AssetCommandError(f"the asset template failed: {error}", exit_code=1) from None
    return Path(rendered)


def _move_into_project(rendered: Path, root: Path, targets: list[Path]) -> None:
    """Copy the rendered files into the project: all of them, or none on any failure."""
    created: list[Path] = []
    try:
        for target in targets:
            source = rendered / target.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as sink:  # "x": fail rather than overwrite
                created.append(target)
                sink.write(source.read_bytes())
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
