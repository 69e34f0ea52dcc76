"""The medallion policy in one place: layers, allowed upstreams, and where an asset lives.

Everything that must agree about the architecture reads it from here: the linter's
layer rules, ``polster add-asset`` (which upstreams it offers), its prompts, and
``list-assets``/``remove-asset`` (which files make up an asset). The Cookiecutter hooks
run without Polster installed and therefore keep their own copy; a test checks that
every copy agrees with this module for every layer and setting.
"""

import keyword
import re

LAYERS = ("bronze", "silver", "gold")
"""The medallion layers, upstream first."""

_UPSTREAM_LAYERS: dict[str, tuple[str, ...]] = {
    "bronze": (),
    "silver": ("bronze",),
    "gold": ("silver",),
}
"""The earlier layer each layer reads from; bronze is raw data and reads no asset."""

ANSWERS_FILE = ".polster-answers.json"
"""The template answers a project keeps at its root; also how a project is recognised."""

ASSETS_DIR = "src/orchestration/assets"
"""Default folder of the Dagster asset modules, one subfolder per layer."""

CORE_DIR = "src/core"
"""Default folder of the plain-Python logic, one module per table."""

TESTS_DIR = "tests"

MAX_ASSET_NAME_LENGTH = 40
_ASSET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def layer_rank(layer: str) -> int:
    """0 for bronze, 1 for silver, 2 for gold."""
    return LAYERS.index(layer)


def upstream_layers(layer: str, allow_same_layer: bool = False) -> tuple[str, ...]:
    """The layers an asset of ``layer`` may depend on.

    ``allow_same_layer`` (the project's ``allow-same-layer`` setting for that layer) adds
    the layer itself, except for bronze, which never has upstream assets.
    """
    allowed = _UPSTREAM_LAYERS[layer]
    return (*allowed, layer) if allow_same_layer and allowed else allowed


def asset_files(
    layer: str,
    name: str,
    assets_dir: str = ASSETS_DIR,
    core_dir: str = CORE_DIR,
    layer_folder: str | None = None,
) -> dict[str, str]:
    """The files that make up the asset ``layer/name``, by role, relative to the project.

    ``core``: its logic, ``<core-dir>/<layer>_<name>.py``; ``asset``: its Dagster asset,
    ``<assets-dir>/<layer folder>/run_<layer>_<name>.py``; ``test``: its tests.
    """
    return {
        "core": f"{core_dir}/{layer}_{name}.py",
        "asset": f"{assets_dir}/{layer_folder or layer}/run_{layer}_{name}.py",
        "test": f"{TESTS_DIR}/test_{layer}_{name}.py",
    }


def owner_of_core_module(stem: str) -> tuple[str, str] | None:
    """The asset whose logic a core module holds: ``silver_orders`` -> (silver, orders)."""
    layer, _, name = stem.partition("_")
    return (layer, name) if layer in LAYERS and name else None


def asset_name_problem(layer: str, name: str) -> str | None:
    """Why ``name`` cannot name a new asset of ``layer``, or None when it can.

    The name becomes part of three file names and a Python identifier, and the layer is
    already in the file names, so it must not repeat it.
    """
    if not _ASSET_NAME.fullmatch(name) or name.endswith("_") or "__" in name:
        return (
            f"invalid asset name {name!r}: use lowercase snake_case "
            "(letters, digits, single underscores, starting with a letter)"
        )
    if len(name) > MAX_ASSET_NAME_LENGTH:
        return f"invalid asset name {name!r}: longer than {MAX_ASSET_NAME_LENGTH} characters"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"invalid asset name {name!r}: it is a Python keyword"
    if name.startswith(f"{layer}_"):
        return (
            f"invalid asset name {name!r}: leave out the layer prefix "
            f"(the files are named {layer}_<name>.py already)"
        )
    return None
