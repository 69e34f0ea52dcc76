"""The Cookiecutter hooks' copies of the medallion policy agree with the one source.

The hooks must run under plain ``cookiecutter`` without Polster installed, so they keep
their own copy of the layers, the allowed upstreams, the asset-name rules and the
answers file's name. These tests load each hook as cookiecutter would see it and compare
every answer with ``polster_lint.domain.medallion``.
"""

import ast
import importlib.util
import itertools
from types import ModuleType

import pytest

from polster_lint.domain import medallion

from conftest import REPO_ROOT


def load_hook(relative: str) -> ModuleType:
    path = REPO_ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_constant(relative: str, name: str) -> object:
    """A constant of a hook read from its source (hooks that need a rendered context to
    import, such as post_gen, cannot be imported as they are in the repository)."""
    tree = ast.parse((REPO_ROOT / relative).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{relative} defines no {name}")


asset_hook = load_hook("asset_template/hooks/pre_gen_project.py")

NAMES = [
    "orders",
    "orders2",
    "daily_revenue",
    "o",
    "x" * medallion.MAX_ASSET_NAME_LENGTH,
    "x" * (medallion.MAX_ASSET_NAME_LENGTH + 1),
    "Orders",
    "2orders",
    "_orders",
    "orders_",
    "order__lines",
    "order-lines",
    "class",
    "match",
    "silver_orders",
    "bronze_orders",
    "gold_kpis",
    "",
    "orders\n",
    "ordérs",
]


def test_layers_agree():
    assert asset_hook.LAYERS == medallion.LAYERS


@pytest.mark.parametrize(
    ("layer", "allow_same_layer"), list(itertools.product(medallion.LAYERS, (False, True)))
)
def test_upstream_layers_agree(layer, allow_same_layer):
    assert asset_hook.upstream_layers(layer, allow_same_layer) == medallion.upstream_layers(
        layer, allow_same_layer
    )


@pytest.mark.parametrize(("layer", "name"), list(itertools.product(medallion.LAYERS, NAMES)))
def test_asset_name_rules_agree(layer, name):
    assert asset_hook.name_problem(layer, name) == medallion.asset_name_problem(layer, name)


def test_answers_file_name_agrees():
    assert module_constant("hooks/post_gen_project.py", "ANSWERS_FILE") == medallion.ANSWERS_FILE


def test_asset_template_file_names_follow_the_policy():
    """The asset template's files sit exactly where the policy says an asset's files are."""
    template = REPO_ROOT / "asset_template" / "{{cookiecutter.project_slug}}"
    placeholders = medallion.asset_files("{{cookiecutter.layer}}", "{{cookiecutter.asset_name}}")
    found = sorted(
        path.relative_to(template).as_posix()
        for path in template.rglob("*.py")
        if "__pycache__" not in path.parts
    )
    assert found == sorted(placeholders.values())
