"""``polster add-asset``, ``list-assets`` and ``remove-asset`` on baked projects."""

import json

import pytest
from deltalake import DeltaTable

from conftest import (
    POLSTER,
    POLSTER_LINT,
    PYTHON,
    REPO_ROOT,
    bake,
    project_files,
    run,
)

ASSET_FILES = (
    "src/core/{layer}_{name}.py",
    "src/orchestration/assets/{layer}/run_{layer}_{name}.py",
    "tests/test_{layer}_{name}.py",
)


def polster(project, *args):
    return run([POLSTER, *args, "--project-dir", str(project)], cwd=project)


@pytest.fixture(scope="module")
def grown_project(tmp_path_factory):
    """A baked project with the three assets of the issue added through the CLI."""
    project = bake(tmp_path_factory.mktemp("grown"))
    steps = [
        ("--layer", "bronze", "--name", "customers"),
        ("--layer", "silver", "--name", "customers_cleaned", "--deps", "customers,bronze/example"),
        ("--layer", "gold", "--name", "customer_summary", "--deps", "customers_cleaned"),
    ]
    for step in steps:
        result = polster(project, "add-asset", *step, "--no-input")
        assert result.returncode == 0, result.stderr
    return project


def test_added_assets_have_exactly_their_files(grown_project):
    for layer, name in [
        ("bronze", "customers"),
        ("silver", "customers_cleaned"),
        ("gold", "customer_summary"),
    ]:
        for pattern in ASSET_FILES:
            assert (grown_project / pattern.format(layer=layer, name=name)).is_file()
    asset = (
        grown_project / "src/orchestration/assets/silver/run_silver_customers_cleaned.py"
    ).read_text()
    assert 'dg.AssetKey(["bronze", "customers"]),' in asset
    assert 'dg.AssetKey(["bronze", "example"]),' in asset
    assert "AutomationCondition.eager()" in asset


def test_grown_project_lints_formats_and_passes_its_tests(grown_project):
    lint = run([POLSTER_LINT, "--no-cache"], cwd=grown_project)
    assert (lint.returncode, lint.stdout) == (0, "")
    for command in (
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
    ):
        result = run([PYTHON, "-m", *command], cwd=grown_project)
        assert result.returncode == 0, result.stdout
    tests = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=grown_project)
    assert tests.returncode == 0, tests.stdout[-3000:]


def test_grown_project_runs_end_to_end(grown_project):
    result = run([PYTHON, "run_polster.py"], cwd=grown_project)
    assert result.returncode == 0, result.stdout + result.stderr
    for layer, name in [
        ("bronze", "customers"),
        ("silver", "customers_cleaned"),
        ("gold", "customer_summary"),
    ]:
        assert DeltaTable(grown_project / "data" / layer / name).to_pyarrow_table().num_rows > 0
    standalone = run([PYTHON, "src/core/silver_customers_cleaned.py"], cwd=grown_project)
    assert standalone.returncode == 0, standalone.stderr
    assert "silver/customers_cleaned: wrote" in standalone.stdout


def test_list_assets_shows_layers_upstreams_and_files(grown_project):
    result = polster(grown_project, "list-assets", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {
        "bronze/customers",
        "bronze/example",
        "silver/customers_cleaned",
        "silver/example",
        "gold/customer_summary",
        "gold/example",
    }
    assert rows["silver/customers_cleaned"]["upstream"] == ["bronze/customers", "bronze/example"]
    assert rows["gold/customer_summary"]["files"] == {
        "asset": "src/orchestration/assets/gold/run_gold_customer_summary.py",
        "core": "src/core/gold_customer_summary.py",
        "test": "tests/test_gold_customer_summary.py",
    }
    text = polster(grown_project, "list-assets").stdout
    assert "silver/customers_cleaned <- bronze/customers, bronze/example" in text


def test_user_files_everywhere_the_template_writes_are_left_alone(tmp_path):
    project = bake(tmp_path)
    for folder in (
        "src/core",
        "src/orchestration/assets/silver",
        "tests",
        "src/orchestration/assets",
    ):
        (project / folder / "notes_of_mine.py").write_text("# mine, do not touch\n")
    (project / "tests/test_silver_mine.py").write_text("# an existing test\n")
    before = project_files(project)
    result = polster(
        project,
        "add-asset",
        "--layer",
        "silver",
        "--name",
        "mine",
        "--deps",
        "example",
        "--no-input",
    )
    assert result.returncode == 2 and "tests/test_silver_mine.py already exists" in result.stderr
    assert project_files(project) == before
    result = polster(
        project,
        "add-asset",
        "--layer",
        "silver",
        "--name",
        "orders",
        "--deps",
        "example",
        "--no-input",
    )
    assert result.returncode == 0, result.stderr
    after = project_files(project)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {
        pattern.format(layer="silver", name="orders") for pattern in ASSET_FILES
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--layer", "silver", "--name", "Bad-Name", "--deps", "example"],
            "invalid asset name 'Bad-Name'",
        ),
        (["--layer", "silver", "--name", "class", "--deps", "example"], "Python keyword"),
        (
            ["--layer", "silver", "--name", "silver_orders", "--deps", "example"],
            "leave out the layer prefix",
        ),
        (["--layer", "silver", "--name", "x" * 41, "--deps", "example"], "longer than 40"),
        (
            ["--layer", "silver", "--name", "example", "--deps", "example"],
            "silver/example already exists",
        ),
        (
            ["--layer", "silver", "--name", "orders", "--deps", "nope"],
            "dependency 'nope' is not a bronze asset",
        ),
        (
            ["--layer", "gold", "--name", "report", "--deps", "bronze/example"],
            "valid: silver/example",
        ),
        (["--layer", "silver", "--name", "orders", "--deps", ""], "needs at least one upstream"),
        (
            ["--layer", "bronze", "--name", "orders", "--deps", "example"],
            "bronze assets take no upstream",
        ),
        (["--layer", "silver", "--name", "orders", "--deps", "example,example"], "listed twice"),
        (["--layer", "silver", "--name", "orders"], "missing --deps"),
        (["--name", "orders"], "missing --layer"),
        (["--layer", "gold"], "missing --name"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(tmp_path, arguments, message):
    project = bake(tmp_path)
    before = project_files(project)
    result = polster(project, "add-asset", *arguments, "--no-input")
    assert result.returncode == 2
    assert result.stderr.startswith("polster: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert project_files(project) == before


def test_dry_run_lists_files_and_edges_and_writes_nothing(tmp_path):
    project = bake(tmp_path)
    before = project_files(project)
    result = polster(
        project,
        "add-asset",
        "--layer",
        "gold",
        "--name",
        "kpis",
        "--deps",
        "silver/example",
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Would create gold/kpis:",
        "  src/core/gold_kpis.py",
        "  src/orchestration/assets/gold/run_gold_kpis.py",
        "  tests/test_gold_kpis.py",
        "  edge silver/example -> gold/kpis",
    ]
    assert project_files(project) == before


def test_same_layer_upstreams_are_offered_when_the_config_allows_them(tmp_path):
    project = bake(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.polster.lint]\nallow-same-layer = ["gold"]\n'
    )
    result = polster(
        project,
        "add-asset",
        "--layer",
        "gold",
        "--name",
        "kpis",
        "--deps",
        "gold/example,silver/example",
    )
    assert result.returncode == 0, result.stderr
    assert run([POLSTER_LINT, "--no-cache"], cwd=project).returncode == 0


def test_outside_a_project_is_one_line_exit_2(tmp_path):
    for command in (
        ["add-asset", "--layer", "bronze", "--name", "x"],
        ["list-assets"],
        ["remove-asset", "x", "--layer", "bronze"],
    ):
        result = run([POLSTER, *command, "--project-dir", str(tmp_path)], cwd=tmp_path)
        assert result.returncode == 2
        assert "not inside a Polster project" in result.stderr and result.stderr.count("\n") == 1


def test_remove_asset_refuses_while_used_then_removes(tmp_path):
    project = bake(tmp_path)
    assert polster(project, "add-asset", "--layer", "bronze", "--name", "customers").returncode == 0
    assert (
        polster(
            project, "add-asset", "--layer", "silver", "--name", "people", "--deps", "customers"
        ).returncode
        == 0
    )
    before = project_files(project)

    refused = polster(project, "remove-asset", "customers", "--layer", "bronze")
    assert refused.returncode == 2
    assert "bronze/customers is used by silver/people" in refused.stderr
    assert project_files(project) == before

    dry = polster(project, "remove-asset", "people", "--layer", "silver", "--dry-run")
    assert dry.returncode == 0 and "tests/test_silver_people.py" in dry.stdout
    assert project_files(project) == before

    for name, layer in (("people", "silver"), ("customers", "bronze")):
        removed = polster(project, "remove-asset", name, "--layer", layer)
        assert removed.returncode == 0, removed.stderr
    assert project_files(project).keys() == {
        name for name in before if "customers" not in name and "people" not in name
    }
    assert run([POLSTER_LINT, "--no-cache"], cwd=project).returncode == 0
    tests = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert tests.returncode == 0, tests.stdout[-2000:]


def test_remove_asset_with_force_and_unknown_asset(tmp_path):
    project = bake(tmp_path)
    unknown = polster(project, "remove-asset", "nope", "--layer", "gold")
    assert (
        unknown.returncode == 2
        and "no asset gold/nope; gold assets: gold/example" in unknown.stderr
    )
    forced = polster(project, "remove-asset", "example", "--layer", "silver", "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (project / "src/core/silver_example.py").exists()
    lint = run([POLSTER_LINT, "--no-cache"], cwd=project)
    assert lint.returncode == 1 and "POL005" in lint.stdout
    # The definitions still load; the removed asset is no longer materializable (Dagster
    # keeps gold/example's missing upstream as an external node).
    script = (
        "import sys; sys.path.insert(0, 'src'); from orchestration.definitions import defs; "
        "g = defs.resolve_asset_graph(); "
        "print(sorted(k.to_user_string() for k in g.get_all_asset_keys() "
        "if g.get(k).is_materializable))"
    )
    load = run([PYTHON, "-c", script], cwd=project)
    assert load.returncode == 0, load.stderr
    assert load.stdout.strip() == "['bronze/example', 'gold/example']"


def test_asset_template_works_with_plain_cookiecutter(tmp_path):
    project = bake(tmp_path)
    before = project_files(project)
    command = [
        PYTHON, "-m", "cookiecutter", str(REPO_ROOT), "--directory", "asset_template",
        "--no-input", "--output-dir", str(project.parent),
        "--overwrite-if-exists", "--skip-if-file-exists",
        "project_slug=sales_analytics", "layer=silver", "asset_name=orders", "deps=bronze/example",
    ]  # fmt: skip
    result = run(command, cwd=project, env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    after = project_files(project)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {
        pattern.format(layer="silver", name="orders") for pattern in ASSET_FILES
    }
    assert run([POLSTER_LINT, "--no-cache"], cwd=project).returncode == 0

    refused = run([*command[:-3], "layer=gold", "asset_name=gold_x", "deps=bronze/example"],
                  cwd=project, env={"HOME": str(tmp_path)})  # fmt: skip
    assert refused.returncode != 0
    assert "leave out the layer prefix" in refused.stderr
    assert project_files(project) == after


def test_remove_asset_refuses_a_module_that_defines_other_assets(tmp_path):
    project = bake(tmp_path)
    pair = project / "src/orchestration/assets/bronze/run_bronze_pair.py"
    pair.write_text(
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["bronze", "one"], group_name="bronze")\ndef one() -> None: ...\n\n\n'
        '@dg.asset(key=["bronze", "two"], group_name="bronze")\ndef two() -> None: ...\n'
    )
    before = project_files(project)
    result = polster(project, "remove-asset", "one", "--layer", "bronze")
    assert result.returncode == 2 and "also defines bronze/two" in result.stderr
    assert project_files(project) == before
