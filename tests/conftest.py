"""Shared helpers: bake the template into temporary folders and run what it generated.

Everything runs for real: cookiecutter renders the template from this repository, and
the generated projects' scripts and tests run in subprocesses with this interpreter
(which has the project dependencies, installed by the ``[dev]`` extra).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
POLSTER = str(Path(sys.executable).parent / "polster")
POLSTER_LINT = str(Path(sys.executable).parent / "polster-lint")
TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}", "asset_template")
"""What of this repository makes the template (what ``polster update`` reads from)."""


def copy_template(destination: Path) -> Path:
    """Polster's template (without the rest of this repository) in ``destination``."""
    destination.mkdir(parents=True)
    for part in TEMPLATE_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, destination / part, ignore=ignore)
        else:
            shutil.copy2(source, destination / part)
    return destination


def bake(output_dir: Path, no_input: bool = True, **context: str) -> Path:
    """Render the template into ``output_dir`` with cookiecutter's API; return the project."""
    # An explicit config keeps cookiecutter's replay files out of the user's home.
    config = {"replay_dir": str(output_dir / ".replay"), "cookiecutters_dir": str(output_dir)}
    project = cookiecutter(
        str(REPO_ROOT),
        no_input=no_input,
        extra_context=context,
        output_dir=str(output_dir),
        default_config=config,
    )
    return Path(project)


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run a command to completion and capture its text output."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without settings that would leak into a project."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STORAGE_", "ADLS_", "DATA_DIR", "DAGSTER_", "PYTEST_"))
    }
    env.update(extra or {})
    return env


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its content, to prove nothing was touched."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def project_files(project: Path) -> dict[str, bytes]:
    """The project's files as the user sees them: without the linter's cache (which every
    command refreshes) and with only the template answers of ``.polster-answers.json``
    (add-asset and remove-asset record their assets beside them)."""
    files = {
        name: content
        for name, content in tree_snapshot(project).items()
        if not name.startswith(".polster_cache/")
    }
    if ".polster-answers.json" in files:
        answers = json.loads(files[".polster-answers.json"])["cookiecutter"]
        files[".polster-answers.json"] = json.dumps(answers, sort_keys=True).encode()
    return files


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A private HOME, so cookiecutter run by ``polster`` writes its replay files there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home
