"""A generated project as ``add-asset``, ``list-assets`` and ``remove-asset`` see it.

The assets come from the linter's graph (static, no Dagster import), so the commands see
exactly what ``polster-lint`` sees; which upstreams an asset may take and which files
make up an asset come from the medallion policy, like the linter's rules.

The project's stored answers (``.polster-answers.json``) are a file anyone can edit, so
they are checked like input typed by the user before anything uses them.
"""

import json
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
from polster_lint.domain.medallion import ANSWERS_FILE, upstream_layers
from polster_lint.domain.model import Key, ModuleFacts, SourceFile
from polster_lint.engine import lint_project
from polster_lint.errors import PolsterError

MAX_ANSWERS_SIZE = 1_000_000
"""A larger answers file is not one the template wrote."""

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
    checks, since commands build paths and code from them.
    """
    if not lexists(answers_file):
        return {}

    def invalid(why: str) -> AssetCommandError:
        return AssetCommandError(f"{shown_path(answers_file)} is not a valid answers file: {why}")

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
    answers: dict[str, Any] = {}
    types = _answer_types()
    for key, value in data["cookiecutter"].items():
        if key in MACHINE_KEYS:
            continue
        expected = types.get(key, str)
        if not isinstance(value, expected) or "\x00" in str(value):
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


def _answer_types() -> dict[str, type]:
    """bool for the template's yes/no questions; every other answer is text."""
    try:
        questions = json.loads((project_template_dir() / "cookiecutter.json").read_text())
    except (OSError, ValueError):
        questions = {}
    return {key: bool for key, value in questions.items() if isinstance(value, bool)}
