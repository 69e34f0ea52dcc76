"""Bake the template with every meaningful option combination and check what comes out."""

import json
import tomllib

import pytest

from conftest import POLSTER_LINT, PYTHON, REPO_ROOT, bake, run, tree_snapshot

EXPECTED_FILES = {
    ".env",
    ".pre-commit-config.yaml",
    ".github/workflows/ci.yml",
    ".env.example",
    ".gitignore",
    ".polster-answers.json",
    "README.md",
    "pyproject.toml",
    "run_polster.py",
    "workspace.yaml",
    "Dockerfile",
    ".dockerignore",
    "deploy/README.md",
    "deploy/docker-compose.yml",
    "deploy/helm-values.yaml",
    "src/core/scale_out.py",
    "src/orchestration/workers.py",
    "src/core/__init__.py",
    "src/core/bronze_example.py",
    "src/core/silver_example.py",
    "src/core/gold_example.py",
    "src/core/storage.py",
    "src/core/settings.py",
    "src/core/paths.py",
    "src/core/script.py",
    "src/orchestration/__init__.py",
    "src/orchestration/definitions.py",
    "src/orchestration/utils.py",
    "src/orchestration/assets/__init__.py",
    "src/orchestration/assets/bronze/__init__.py",
    "src/orchestration/assets/bronze/run_bronze_example.py",
    "src/orchestration/assets/silver/__init__.py",
    "src/orchestration/assets/silver/run_silver_example.py",
    "src/orchestration/assets/gold/__init__.py",
    "src/orchestration/assets/gold/run_gold_example.py",
    "tests/conftest.py",
    "tests/test_core.py",
    "tests/test_definitions.py",
    "tests/test_pipeline.py",
    "tests/test_storage.py",
}

COMBINATIONS = [
    {"storage_backend": backend, "python_version": version, "ci_workflow": ci}
    for backend, ci in (("local", "yes"), ("adls", "no"))
    for version in ("3.11", "3.12", "3.13")
]


@pytest.fixture(scope="module", params=COMBINATIONS, ids=lambda c: "-".join(c.values()))
def baked(request, tmp_path_factory):
    output = tmp_path_factory.mktemp("bake")
    return bake(output, **request.param), request.param


def test_exact_file_set(baked):
    project, choices = baked
    expected = set(EXPECTED_FILES)
    if choices["ci_workflow"] == "no":
        expected.remove(".github/workflows/ci.yml")
    assert set(tree_snapshot(project)) == expected


def test_no_template_leftovers(baked):
    project, _ = baked
    for name, content in tree_snapshot(project).items():
        text = content.decode()
        for marker in ("{{", "{%", "{#", "cookiecutter."):
            assert marker not in text, f"{marker!r} left in {name}"


def test_settings_and_answers_follow_the_choices(baked):
    project, choices = baked
    env = (project / ".env").read_text()
    assert f"\nSTORAGE_BACKEND={choices['storage_backend']}\n" in env
    assert (project / ".env").stat().st_mode & 0o077 == 0
    answers = json.loads((project / ".polster-answers.json").read_text())["cookiecutter"]
    assert answers["storage_backend"] == choices["storage_backend"]
    assert answers["python_version"] == choices["python_version"]
    assert answers["project_slug"] == "sales_analytics"
    assert str(project.parent) not in json.dumps(answers)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={choices['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + choices["python_version"].replace(
        ".", ""
    )


def test_generated_code_is_ruff_clean(baked):
    project, _ = baked
    check = run([PYTHON, "-m", "ruff", "check", "--no-cache", "."], cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run([PYTHON, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=project)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_generated_project_lints_clean(baked):
    project, _ = baked
    result = run([POLSTER_LINT, "--no-cache", "."], cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_generated_tests_pass(baked):
    project, _ = baked
    result = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "passed" in result.stdout


def test_name_with_quotes_and_accents_gives_valid_files(tmp_path):
    project = bake(
        tmp_path,
        project_name='Café "Ventes"',
        project_slug="cafe_ventes",
        description='Sales of the "best" café',
        author_name="Zoë O'Brien",
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == 'Sales of the "best" café'
    assert pyproject["project"]["authors"] == [{"name": "Zoë O'Brien"}]
    assert (project / "README.md").read_text().startswith('# Café "Ventes"')


def test_slug_is_derived_from_the_project_name(tmp_path):
    result = run(
        [
            PYTHON,
            "-m",
            "cookiecutter",
            str(REPO_ROOT),
            "--no-input",
            "-o",
            str(tmp_path),
            "project_name=Sales Analytics",
        ],
        cwd=tmp_path,
        env={"HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sales_analytics" / "run_polster.py").is_file()


def test_answers_file_replays_the_same_project(tmp_path):
    first = bake(tmp_path / "first", project_name="Replay Me", storage_backend="adls")
    result = run(
        [
            PYTHON,
            "-m",
            "cookiecutter",
            str(REPO_ROOT),
            "-o",
            str(tmp_path / "second"),
            "--replay-file",
            str(first / ".polster-answers.json"),
        ],
        cwd=tmp_path,
        env={"HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert tree_snapshot(tmp_path / "second" / "replay_me") == tree_snapshot(first)
