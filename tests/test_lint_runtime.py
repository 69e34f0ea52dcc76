"""``polster-lint --check-runtime`` against the real Dagster definitions of a baked project."""

from conftest import POLSTER_LINT, bake, run

DYNAMIC_ASSET = """

@dg.asset_check(asset=dg.AssetKey(["silver", "dynamic"]))
def silver_dynamic_has_rows() -> dg.AssetCheckResult: ...


def _upstreams():
    return [dg.AssetKey(["bronze", "example"])]


@dg.asset(key=["silver", "dynamic"], group_name="silver", deps=_upstreams())  # noqa: POL010
def silver_dynamic() -> None: ...
"""

SILVER = "src/orchestration/assets/silver/run_silver_example.py"


def test_static_graph_matches_dagster_on_a_generated_project(tmp_path):
    project = bake(tmp_path)
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_run_time_dependency_is_shown_as_a_difference(tmp_path):
    project = bake(tmp_path)
    silver = project / SILVER
    silver.write_text(silver.read_text() + DYNAMIC_ASSET)
    static_only = run([POLSTER_LINT, "--no-cache"], cwd=project)
    assert static_only.returncode == 0, static_only.stdout
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project)
    assert result.returncode == 1
    line = len(silver.read_text().splitlines()) - 1
    assert result.stdout.splitlines()[0] == (
        f"{SILVER}:{line}:15: POL011 Dagster has edge bronze/example -> silver/dynamic, "
        "which the static graph lacks"
    )


def test_definitions_that_do_not_load_keep_the_static_findings(tmp_path):
    """A load failure is one POL011 line at the definitions module; every static finding
    is still reported (here a POL010 of a dependency computed at run time)."""
    project = bake(tmp_path)
    silver = project / SILVER
    silver.write_text(silver.read_text() + DYNAMIC_ASSET.replace("  # noqa: POL010", ""))
    with (project / "src/orchestration/definitions.py").open("a") as definitions:
        definitions.write("x = (\n")
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    load = [line for line in lines if "POL011" in line]
    assert len(load) == 1 and load[0].startswith(
        "src/orchestration/definitions.py:1:1: POL011 --check-runtime compared nothing: "
        "Dagster cannot load orchestration.definitions: SyntaxError"
    ), lines
    assert any(line.startswith(f"{SILVER}:") and "POL010" in line for line in lines), lines
    assert "Traceback" not in result.stdout + result.stderr


def test_definitions_package_gets_the_runtime_findings(tmp_path):
    """With the definitions module a package, POL011 points at its __init__.py."""
    project = bake(tmp_path)
    module = project / "src/orchestration/definitions.py"
    package = project / "src/orchestration/definitions"
    package.mkdir()
    (package / "__init__.py").write_text(module.read_text() + "\nraise RuntimeError('no')\n")
    module.unlink()
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "src/orchestration/definitions/__init__.py:1:1: POL011 --check-runtime compared "
        "nothing: Dagster cannot load orchestration.definitions: RuntimeError: no"
    )


def test_an_external_upstream_is_no_difference(tmp_path):
    """A key declared external (and a SourceAsset) is an input node in Dagster's graph,
    not a materialised asset: not a POL011."""
    project = bake(tmp_path)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text()
        + '\n[tool.polster.lint]\nexternal = ["stripe/charges"]\n'
    )
    bronze = project / "src/orchestration/assets/bronze/run_bronze_example.py"
    bronze.write_text(
        bronze.read_text()
        + '\n\nraw_orders = dg.SourceAsset(key=["raw", "orders"])\n'
        + '\n\n@dg.asset(key=["bronze", "charges"], group_name="bronze",\n'
        + '          deps=[dg.AssetKey(["stripe", "charges"]), raw_orders])\n'
        + "def bronze_charges() -> None: ...\n"
    )
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache", "--select", "POL011"], cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_dagster_too_old_for_the_probe_is_said_so(tmp_path):
    project = bake(tmp_path)
    fake = tmp_path / "old"
    (fake / "dagster").mkdir(parents=True)
    (fake / "dagster" / "__init__.py").write_text('__version__ = "1.5.0"\nclass Definitions: ...\n')
    result = run(
        [POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project, env={"PYTHONPATH": str(fake)}
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "src/orchestration/definitions.py:1:1: POL011 --check-runtime compared nothing: "
        "Dagster 1.5.0 is too old for --check-runtime: --check-runtime needs the Dagster the "
        "project runs on (1.13 for a generated project)",
        "Found 1 violation.",
    ]
