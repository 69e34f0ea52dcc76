"""What a project can configure about the linter, as one immutable value.

Read from ``[tool.polster.lint]`` by :mod:`polster_lint.adapters.pyproject`; the domain
only ever sees a validated instance.
"""

from dataclasses import dataclass, field

from polster_lint.domain.medallion import ASSETS_DIR, CORE_DIR, LAYERS, asset_files
from polster_lint.domain.model import Key
from polster_lint.domain.rules import RULES


@dataclass(frozen=True)
class LintConfig:
    codes: frozenset[str] = field(default_factory=lambda: frozenset(RULES))
    same_layer_allowed: frozenset[str] = frozenset()
    external: frozenset[Key] = frozenset()
    assets_dir: str = ASSETS_DIR
    core_dir: str = CORE_DIR
    source_root: str = "src"
    definitions_module: str = "orchestration.definitions"
    layer_folders: tuple[tuple[str, str], ...] = tuple((layer, layer) for layer in LAYERS)

    def folder_layer(self, folder: str) -> str | None:
        """The layer whose assets live in ``folder``, if any."""
        for layer, name in self.layer_folders:
            if name == folder:
                return layer
        return None

    def asset_files(self, layer: str, name: str) -> dict[str, str]:
        """The files of the asset ``layer/name`` in this project's layout, by role."""
        return asset_files(
            layer,
            name,
            assets_dir=self.assets_dir,
            core_dir=self.core_dir,
            layer_folder=dict(self.layer_folders)[layer],
        )
