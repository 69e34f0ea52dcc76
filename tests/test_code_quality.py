"""The repository's own checks, run as part of the test command so that CI and a
developer's ``pytest`` agree: the import contracts (the architecture), mypy (strict on
the linter), and ruff's lint and format rules."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, clean_env

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["lint-imports"],
        ["mypy"],
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
    ],
    ids=["import-contracts", "mypy", "ruff-check", "ruff-format"],
)
def test_repository_check_passes(command):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
