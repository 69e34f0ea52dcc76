"""``polster add-asset``, ``list-assets`` and ``remove-asset``: grow a project safely.

The project's assets come from the linter's graph (static, no Dagster import), so the
commands see exactly what ``polster-lint`` sees. A new asset is rendered by the asset
template (a nested cookiecutter run) into a temporary folder, then its files are moved
into the project one by one with exclusive creation: an existing file is never
overwritten, and a failure half-way removes what was created.
"""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException
from cookiecutter.main import cookiecutter

from polster.lint.config import LintConfig, load_config
from polster.lint.engine import lint_project
from polster.lint.graph import AssetGraph
from polster.lint.model import LAYERS, Key, ModuleFacts, key_string
from polster.lint.project import SourceFile, find_project_root
from polster.template import asset_template_dir, template_hook

ANSWERS_FILE = ".polster-answers.json"


class AssetCommandError(Exception):
    """The request cannot be carried out; ``exit_code`` 2 means the input was wrong."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Project:
    """A generated project as the asset commands see it."""

    root: Path
    config: LintConfig
    graph: AssetGraph
    modules: list[tuple[SourceFile, ModuleFacts]]
    answers: dict

    def assets_in(self, layer: str) -> list[Key]:
        return sorted(key for key, asset in self.graph.assets.items() if asset.layer == layer)

    def upstream_layers(self, layer: str) -> tuple[str, ...]:
        allow_same = layer in self.config.same_layer_allowed
        return _asset_hook().upstream_layers(layer, allow_same)

    def allowed_upstreams(self, layer: str) -> list[Key]:
        return [key for up in self.upstream_layers(layer) for key in self.assets_in(up)]

    def files_of(self, layer: str, name: str) -> dict[str, Path]:
        """The files of the asset ``layer/name`` by role, following the asset contract."""
        return {
            "core": self.root / self.config.core_dir / f"{layer}_{name}.py",
            "asset": self.root / self.config.assets_dir / layer / f"run_{layer}_{name}.py",
            "test": self.root / "tests" / f"test_{layer}_{name}.py",
        }


def load_project(project_dir: Path) -> Project:
    try:
        root = find_project_root(project_dir)
    except ValueError as error:
        raise AssetCommandError(str(error)) from None
    answers_file = root / ANSWERS_FILE
    try:
        answers = (
            json.loads(answers_file.read_text())["cookiecutter"] if answers_file.is_file() else {}
        )
    except (ValueError, KeyError, TypeError):
        raise AssetCommandError(f"{answers_file} is not a valid answers file") from None
    config = load_config(root)
    result = lint_project(root, config)
    return Project(
        root=root, config=config, graph=result.graph, modules=result.modules, answers=answers
    )


# --- add --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAsset:
    layer: str
    name: str
    deps: tuple[Key, ...]
    description: str = ""


def name_problem(project: Project, layer: str, name: str) -> str | None:
    """Why ``name`` cannot be used for a new asset of ``layer`` in this project, or None."""
    problem = _asset_hook().name_problem(layer, name)
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


# --- list -------------------------------------------------------------------------------


def list_assets(project: Project) -> list[dict]:
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


# --- remove -----------------------------------------------------------------------------


def dependents(project: Project, key: Key) -> list[str]:
    """Assets that declare ``key`` as upstream, and core modules that read its table."""
    declaring = {edge.downstream.key for edge in project.graph.edges if edge.upstream == key}
    found = [key_string(user) for user in sorted(declaring)]
    for file, facts in project.modules:
        owner = file.owner
        if owner not in (None, key, *declaring) and any(read.key == key for read in facts.reads):
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


def _asset_hook():
    return template_hook("pre_gen_project", template="asset")
