"""The benchmark's synthetic projects are honest: the linter finds exactly what was planted.

``benchmarks/lint_bench.py`` times ``polster-lint`` on generated projects; if its
generator drifted (a style the linter misreads, a violation that is not one), the
timings would be of the wrong work. This runs the generator on a small project and the
linter's command-line entry point on it, in-process.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from polster_lint.cli import main as lint_main

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "lint_bench.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("polster_lint_bench", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_linter_finds_exactly_the_planted_violations(tmp_path, capsys):
    bench = load_benchmark()
    # Six violations: each kind in both silver and gold where it applies.
    project = bench.generate_project(tmp_path / "project", 50, violations=6)
    assert set(project.styles) == set(bench.STYLES), project.styles
    assert {"asset", "multi"} <= set(project.kinds), project.kinds
    assert {p.code for p in project.planted} == {"POL002", "POL004", "POL005", "POL008"}

    status = lint_main([str(project.root), "--no-cache", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)

    assert status == 1
    found = sorted((f["path"], f["code"], f["asset"], f["dependency"]) for f in findings)
    planted = sorted((p.path, p.code, p.asset, p.dependency) for p in project.planted)
    assert found == planted
    # The benchmark's own comparison reads the text format: check its parser on it too.
    lint_main([str(project.root), "--no-cache"])
    text = bench.Run(seconds=0, stdout=capsys.readouterr().out)
    assert bench.findings_of(text) == sorted((p.path, p.code) for p in project.planted)


DAGSTER_EDGES = """
import json, sys
import dagster as dg
import orchestration.assets

defs = dg.Definitions(assets=dg.load_assets_from_package_module(orchestration.assets))
specs = defs.resolve_all_asset_specs()
json.dump(
    {
        "assets": sorted(spec.key.to_user_string() for spec in specs),
        "edges": sorted(
            [dep.asset_key.to_user_string(), spec.key.to_user_string()]
            for spec in specs
            for dep in spec.deps
        ),
    },
    sys.stdout,
)
"""


def test_dagster_loads_the_project_with_the_linters_graph(tmp_path, capsys):
    """The synthetic code is valid Dagster, and Dagster sees the edges the linter sees."""
    bench = load_benchmark()
    project = bench.generate_project(tmp_path / "project", 50, violations=6)
    loaded = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", DAGSTER_EDGES],
        cwd=project.root / "src",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    dagster = json.loads(loaded.stdout)

    lint_main([str(project.root), "--no-cache", "--graph", "json"])
    graph = json.loads(capsys.readouterr().out)

    # Dagster also lists the unknown upstreams, as external assets: the POL005 ones.
    unknown = {p.dependency for p in project.planted if p.code == "POL005"}
    assert set(dagster["assets"]) == {a["key"] for a in graph["assets"]} | unknown
    assert sorted(dagster["edges"]) == sorted(
        [e["upstream"], e["downstream"]] for e in graph["edges"]
    )
