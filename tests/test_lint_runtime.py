"""``polster-lint --check-runtime`` against the real Dagster definitions of a baked project."""

from conftest import POLSTER_LINT, bake, run

DYNAMIC_ASSET = """

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


def test_definitions_that_do_not_load_are_one_line_exit_2(tmp_path):
    project = bake(tmp_path)
    with (project / "src/orchestration/definitions.py").open("a") as definitions:
        definitions.write("x = (\n")
    result = run([POLSTER_LINT, "--check-runtime", "--no-cache"], cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("polster-lint: error: cannot load orchestration.definitions")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
