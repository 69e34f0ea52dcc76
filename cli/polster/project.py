"""A generated project as ``add-asset``, ``list-assets`` and ``remove-asset`` see it.

The assets come from the linter's graph (static, no Dagster import), so the commands see
exactly what ``polster-lint`` sees; which upstreams an asset may take and which files
make up an asset come from the medallion policy, like the linter's rules.

The project's stored answers (``.polster-answers.json``) are a file anyone can edit, so
they are checked like input typed by the user before anything uses them.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polster.messages import shown_path
from polster.safe_files import is_folder, is_regular_file, lexists
from polster.template import project_template_dir, template_hook
from polster_lint.adapters.project import find_project_root
from polster_lint.adapters.pyproject import load_config
from polster_lint.domain.config import LintConfig
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.medallion import (
    ANSWERS_FILE,
    LAYERS,
    asset_name_problem,
    upstream_layers,
)
from polster_lint.domain.model import Key, ModuleFacts, SourceFile
from polster_lint.engine import lint_project
from polster_lint.errors import PolsterError

MAX_ANSWERS_SIZE = 1_000_000
"""A larger answers file is not one the template wrote."""

_DEP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

MACHINE_KEYS = frozenset({"_template", "_output_dir", "_repo_dir", "_checkout"})
"""Entries cookiecutter adds to a replay file (machine paths); ignored when present."""


class AssetCommandError(PolsterError):
    """An asset command cannot be carried out; the message says why."""


@dataclass
class Project:
    root: Path
    config: LintConfig
    graph: AssetGraph
    modules: list[tuple[SourceFile, ModuleFacts]]
    answers: dict[str, Any]

    def assets_in(self, layer: str) -> list[Key]:
        return sorted(key for key, asset in self.graph.assets.items() if asset.layer == layer)

    def upstream_layers(self, layer: str) -> tuple[str, ...]:
        return upstream_layers(layer, layer in self.config.same_layer_allowed)

    def allowed_upstreams(self, layer: str) -> list[Key]:
        return [key for up in self.upstream_layers(layer) for key in self.assets_in(up)]

    def files_of(self, layer: str, name: str) -> dict[str, Path]:
        """The files of the asset ``layer/name`` by role (core, asset, test)."""
        files = self.config.asset_files(layer, name)
        return {role: self.root / relative for role, relative in files.items()}


def load_project(project_dir: Path) -> Project:
    if not is_folder(project_dir):
        what = "is not a folder" if lexists(project_dir) else "does not exist"
        raise AssetCommandError(f"project directory {shown_path(project_dir)} {what}")
    root = find_project_root(project_dir)
    answers = read_answers(root / ANSWERS_FILE)
    config = load_config(root)
    result = lint_project(root, config)
    return Project(
        root=root, config=config, graph=result.graph, modules=result.modules, answers=answers
    )


def read_answers(answers_file: Path) -> dict[str, Any]:
    """The template answers stored in the project, checked; {} for a project without them.

    Every value must have the type the template gives it (text, or true/false for the
    yes/no questions); the slug and the storage backend must pass the template's own
    checks, since commands build paths and code from them. Answers to questions the
    bundled template does not ask (a newer or another template's) may be any JSON value
    but null.
    """
    document = _load_document(answers_file)
    if document is None:
        return {}
    invalid = _invalid(answers_file)
    answers: dict[str, Any] = {}
    types = _answer_types()
    for key, value in document["cookiecutter"].items():
        if key in MACHINE_KEYS:
            continue
        expected = types.get(key)
        if expected is None:
            if value is None or _holds_nul(value):
                raise invalid(f"{key!r} must be a value without NUL characters")
        elif not isinstance(value, expected) or "\x00" in str(value):
            kind = "true or false" if expected is bool else "text"
            raise invalid(f"{key!r} must be {kind}")
        answers[key] = value
    hook = template_hook("pre_gen_project")
    if "project_slug" in answers:
        problem = hook.slug_problem(answers["project_slug"])
        if problem:
            raise invalid(problem)
    if "storage_backend" in answers:
        problem = hook.storage_problem(answers["storage_backend"])
        if problem:
            raise invalid(problem)
    return answers


@dataclass(frozen=True)
class Record:
    """Polster's part of the answers file: where the template came from (None for a
    project made before it was recorded) and the answers of each asset added since."""

    template: dict[str, str] | None
    assets: list[dict[str, Any]]


TEMPLATE_KINDS = ("polster", "git", "folder")
"""Polster's bundled template, a git repository at a commit, a folder with a content hash."""

ASSET_ANSWER_TYPES: dict[str, type] = {
    "layer": str,
    "asset_name": str,
    "deps": str,
    "_description": str,
    "_allow_same_layer": bool,
}
"""The answers of the asset template that ``add-asset`` gives and records."""


def read_record(answers_file: Path) -> Record:
    """Polster's record in the answers file, checked like the answers themselves."""
    document = _load_document(answers_file)
    section = None if document is None else document.get("polster")
    if section is None:
        return Record(template=None, assets=[])
    invalid = _invalid(answers_file)
    if not isinstance(section, dict):
        raise invalid('"polster" must be an object')
    template = section.get("template")
    if template is not None:
        template = _checked_template(template, invalid)
    assets = section.get("assets", [])
    if not isinstance(assets, list):
        raise invalid('"polster.assets" must be a list')
    checked: list[dict[str, Any]] = []
    for asset in assets:
        entry = _checked_asset(asset, invalid)
        if any(
            (other["layer"], other["asset_name"]) == (entry["layer"], entry["asset_name"])
            for other in checked
        ):
            raise invalid(f"asset {entry['layer']}/{entry['asset_name']} is recorded twice")
        checked.append(entry)
    return Record(template=template, assets=checked)


def read_document(answers_file: Path) -> dict[str, Any] | None:
    """The whole answers file, checked (answers and record); None when there is none.

    For the commands that change Polster's record and must keep the rest as it is.
    """
    read_answers(answers_file)
    read_record(answers_file)
    return _load_document(answers_file)


def asset_record(
    layer: str, name: str, deps: str, description: str, same_layer: bool
) -> dict[str, Any]:
    """The answers ``add-asset`` gives the asset template, as recorded for an asset."""
    return {
        "layer": layer,
        "asset_name": name,
        "deps": deps,
        "_description": description,
        "_allow_same_layer": same_layer,
    }


def _checked_template(template: Any, invalid: Any) -> dict[str, str]:
    if not isinstance(template, dict) or template.get("kind") not in TEMPLATE_KINDS:
        raise invalid(
            f'"polster.template" must be an object whose kind is one of {", ".join(TEMPLATE_KINDS)}'
        )
    fields = ("kind", "source", "version", "hash", "directory")
    checked: dict[str, str] = {}
    for key in fields:
        value = template.get(key, "")
        if not isinstance(value, str) or not value.isprintable() or len(value) > 2000:
            raise invalid(f'"polster.template.{key}" must be one line of text')
        checked[key] = value
    directory = checked["directory"]
    if directory and any(part in ("", ".", "..") for part in directory.split("/")):
        raise invalid('"polster.template.directory" must be a plain relative folder')
    if directory.startswith("/") or "\\" in directory:
        raise invalid('"polster.template.directory" must be a plain relative folder')
    return checked


def _checked_asset(asset: Any, invalid: Any) -> dict[str, Any]:
    if not isinstance(asset, dict):
        raise invalid('each entry of "polster.assets" must be an object')
    entry: dict[str, Any] = {}
    for key, expected in ASSET_ANSWER_TYPES.items():
        value = asset.get(key, False if expected is bool else "")
        if not isinstance(value, expected) or (isinstance(value, str) and not value.isprintable()):
            kind = "true or false" if expected is bool else "one line of text"
            raise invalid(f'"{key}" of a recorded asset must be {kind}')
        entry[key] = value
    layer, name = entry["layer"], entry["asset_name"]
    if layer not in LAYERS:
        raise invalid(f"recorded asset layer {layer!r} is not one of {', '.join(LAYERS)}")
    problem = asset_name_problem(layer, name)
    if problem:
        raise invalid(f"recorded asset: {problem}")
    for dep in (item.strip() for item in entry["deps"].split(",") if item.strip()):
        dep_layer, _, dep_name = dep.partition("/")
        if dep_layer not in LAYERS or not _DEP_NAME.fullmatch(dep_name):
            raise invalid(f"recorded dependency {dep!r} of {layer}/{name} is not layer/name")
    return entry


def _invalid(answers_file: Path) -> Any:
    def invalid(why: str) -> AssetCommandError:
        return AssetCommandError(f"{shown_path(answers_file)} is not a valid answers file: {why}")

    return invalid


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


def _load_document(answers_file: Path) -> dict[str, Any] | None:
    """The answers file as JSON with a "cookiecutter" object; None when there is none."""
    if not lexists(answers_file):
        return None
    invalid = _invalid(answers_file)
    try:
        if not is_regular_file(answers_file):
            raise invalid("it is not a regular file")
        if answers_file.stat().st_size > MAX_ANSWERS_SIZE:
            raise invalid(f"it is larger than {MAX_ANSWERS_SIZE} bytes")
        data = json.loads(answers_file.read_bytes().decode("utf-8"))
    except OSError as error:
        raise invalid(error.strerror or type(error).__name__) from None
    except UnicodeDecodeError:
        raise invalid("it is not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise invalid("it is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("cookiecutter"), dict):
        raise invalid('it must be a JSON object with a "cookiecutter" object in it')
    return data


def _answer_types() -> dict[str, type]:
    """The type of each question of the bundled template: bool for the yes/no questions,
    text for the others; its private settings (``_name``) are not questions."""
    try:
        questions = json.loads((project_template_dir() / "cookiecutter.json").read_text())
    except (OSError, ValueError):
        questions = {}
    if not isinstance(questions, dict):
        return {}
    return {
        key: bool if isinstance(value, bool) else str
        for key, value in questions.items()
        if not key.startswith("_")
    }
