"""A generated project as ``add-asset``, ``list-assets`` and ``remove-asset`` see it.

The assets come from the linter's graph (static, no Dagster import), so the commands see
exactly what ``polster-lint`` sees; which upstreams an asset may take and which files
make it up come from the medallion policy, like the linter's rules.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polster_lint.adapters.project import find_project_root
from polster_lint.adapters.pyproject import load_config
from polster_lint.domain.config import LintConfig
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.medallion import ANSWERS_FILE, upstream_layers
from polster_lint.domain.model import Key, ModuleFacts, SourceFile
from polster_lint.engine import lint_project
from polster_lint.errors import PolsterError


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
    root = find_project_root(project_dir)
    answers = _read_answers(root / ANSWERS_FILE)
    config = load_config(root)
    result = lint_project(root, config)
    return Project(
        root=root, config=config, graph=result.graph, modules=result.modules, answers=answers
    )


def _read_answers(answers_file: Path) -> dict[str, Any]:
    """The template answers stored in the project, or {} for a project without them."""
    if not answers_file.is_file():
        return {}
    try:
        answers = json.loads(answers_file.read_text(encoding="utf-8"))["cookiecutter"]
    except (OSError, ValueError, KeyError, TypeError):
        answers = None
    if not isinstance(answers, dict):
        raise AssetCommandError(f"{answers_file} is not a valid answers file")
    return answers
