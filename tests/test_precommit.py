"""The pre-commit hook, installed the way users install it, on a generated project.

pre-commit clones this repository (``try-repo`` snapshots uncommitted changes too) and
installs polster into a fresh hook environment from PyPI, without Dagster.
"""

import subprocess

import pytest

from conftest import PYTHON, REPO_ROOT, bake, clean_env

GOLD_ASSET = "src/orchestration/assets/gold/run_gold_example.py"


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    """One pre-commit home for the module: the hook environment is built once."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    return clean_env({"PRE_COMMIT_HOME": str(home), "HOME": str(home)})


def git(project, *args, env):
    return subprocess.run(
        ["git", *args], cwd=project, env=env, capture_output=True, text=True, check=True
    )


def pre_commit(project, *args, env):
    return subprocess.run(
        [PYTHON, "-m", "pre_commit", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def repository(tmp_path, hook_env):
    project = bake(tmp_path)
    git(project, "init", "-q", "-b", "main", env=hook_env)
    git(project, "config", "user.email", "ci@example.com", env=hook_env)
    git(project, "config", "user.name", "CI", env=hook_env)
    git(project, "add", "-A", env=hook_env)
    git(project, "commit", "-q", "-m", "generated", env=hook_env)
    return project


def add_gold_to_bronze_edge(project):
    gold = project / GOLD_ASSET
    text = gold.read_text()
    assert 'dg.AssetKey(["silver", "example"])' in text
    gold.write_text(
        text.replace('dg.AssetKey(["silver", "example"])', 'dg.AssetKey(["bronze", "example"])')
    )


def test_try_repo_passes_on_a_clean_project_and_blocks_a_gold_to_bronze_edge(repository, hook_env):
    clean = pre_commit(
        repository, "try-repo", str(REPO_ROOT), "polster-lint", "--all-files", env=hook_env
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    add_gold_to_bronze_edge(repository)
    git(repository, "add", "-A", env=hook_env)
    blocked = pre_commit(repository, "try-repo", str(REPO_ROOT), "polster-lint", env=hook_env)
    assert blocked.returncode == 1
    assert f"{GOLD_ASSET}:" in blocked.stdout and "POL002" in blocked.stdout


def test_installed_hook_blocks_the_commit(repository, hook_env):
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    config = f"repos:\n  - repo: {REPO_ROOT}\n    rev: {revision}\n"
    (repository / ".pre-commit-config.yaml").write_text(
        config + "    hooks:\n      - id: polster-lint\n"
    )
    git(repository, "add", "-A", env=hook_env)
    git(repository, "commit", "-q", "-m", "local hook config", env=hook_env)
    installed = pre_commit(repository, "install", env=hook_env)
    assert installed.returncode == 0, installed.stderr

    add_gold_to_bronze_edge(repository)
    git(repository, "add", "-A", env=hook_env)
    commit = subprocess.run(
        ["git", "commit", "-m", "gold reads bronze"],
        cwd=repository,
        env=hook_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert commit.returncode != 0
    assert "POL002" in commit.stdout + commit.stderr
    log = git(repository, "log", "--oneline", env=hook_env).stdout.splitlines()
    assert len(log) == 2
