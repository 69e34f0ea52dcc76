"""One error story for both commands: one line, the error's own exit status, and the
traceback of an internal error only under ``--debug``."""

import os
import subprocess

import pytest

import polster.cli
import polster_lint.cli
from polster.cli import main as polster_main
from polster_lint.cli import main as lint_main

from conftest import POLSTER, POLSTER_LINT, clean_env
from test_lint_rules import make_project

BAD_SETTINGS = [
    "[tool.polster.lint]\nallow-same-layer = 5\n",
    '[tool.polster.lint]\nassets-dir = "../elsewhere"\n',
    "[tool.polster]\nlint = 5\n",
    "[tool]\npolster = 5\n",
    '[tool.polster.lint]\nassets-dir = "a\\u0000b"\n',
    "[tool.polster.lint\n",
    '[tool.polster.lint.layer-folders]\nsilver = ".."\n',
    '[tool.polster.lint.layer-folders]\ngold = "."\n',
    "tool = 5\n",
    "x = " + "[" * 3000 + "]" * 3000 + "\n",
    "[tool.polster.lint]\nmax-file-size = 1" + "0" * 4400 + "\n",
]


@pytest.mark.parametrize("pyproject", BAD_SETTINGS)
def test_bad_settings_exit_2_from_every_command(tmp_path, capsys, pyproject):
    root = make_project(tmp_path, {}, pyproject=pyproject)
    commands = [
        lambda: lint_main([str(root)]),
        lambda: polster_main(["lint", str(root)]),
        lambda: polster_main(["list-assets", "--project-dir", str(root)]),
        lambda: polster_main(
            ["add-asset", "--project-dir", str(root), "--layer", "bronze", "--name", "x"]
        ),
        lambda: polster_main(
            ["remove-asset", "orders", "--layer", "bronze", "--project-dir", str(root)]
        ),
    ]
    messages = set()
    for command in commands:
        assert command() == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, err
        assert "internal error" not in err, err
        messages.add(err.split("error: ", 1)[1])
    assert len(messages) == 1, messages  # the same words from every command


def _explode(*args, **kwargs):
    raise RuntimeError("something Polster did not expect\nsecond line")


@pytest.mark.parametrize(
    ("module", "function", "command", "argv"),
    [
        (polster_lint.cli, "lint_project", lint_main, ["{root}"]),
        (polster.cli, "list_assets", polster_main, ["list-assets", "--project-dir", "{root}"]),
        (polster_lint.cli, "lint_project", polster_main, ["lint", "{root}"]),
    ],
)
def test_internal_error_is_one_line_and_debug_shows_the_traceback(
    tmp_path, capsys, monkeypatch, module, function, command, argv
):
    root = make_project(tmp_path, {})
    monkeypatch.setattr(module, function, _explode)
    argv = [part.format(root=root) for part in argv]
    assert command(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: something" in err
    assert "--debug" in err and "Traceback" not in err
    assert command([*argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_explode" in err


@pytest.mark.parametrize(
    "argv",
    [
        [POLSTER, "--version"],
        [POLSTER, "list-assets"],
        [POLSTER, "init", "p", "--no-input"],
        [POLSTER_LINT],
    ],
)
def test_a_deleted_working_directory_is_one_line(tmp_path, argv):
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    result = subprocess.run(
        ["sh", "-c", script, "sh", str(gone), *argv],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    if argv[1:] == ["--version"]:
        assert result.returncode == 0 and result.stdout.startswith("polster ")
    else:
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "directory" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize(
    "argument",
    ["nope\nSECOND LINE", "--x\nSECOND", "\x1b[31mred", "x" * 5000, "a/" + "b" * 300],
    ids=["newline", "option-newline", "escape-sequence", "huge", "name-too-long"],
)
def test_hostile_arguments_give_one_safe_line(tmp_path, argument):
    for command in ([POLSTER_LINT, argument], [POLSTER, "lint", argument]):
        result = subprocess.run(
            command, capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=60
        )
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr, result.stderr
        assert "internal error" not in result.stderr and len(result.stderr) < 1200


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path):
    root = make_project(tmp_path, {})
    odd = os.fsencode(root / "src/orchestration/assets/gold") + b"/run_gold_\xff.py"
    with open(odd, "w") as sink:
        sink.write(
            "import dagster as dg\n\n\n"
            '@dg.asset(key=["gold", "x"], group_name="gold",\n'
            '          deps=[dg.AssetKey(["bronze", "orders"])])\n'
            "def x() -> None: ...\n"
        )
    env = clean_env({"PYTHONIOENCODING": "utf-8:strict"})
    for command in (
        [POLSTER_LINT, str(root), "--no-cache"],
        [POLSTER_LINT, str(root), "--no-cache", "--format", "github"],
        [POLSTER, "list-assets", "--project-dir", str(root)],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
        assert "\\udcff" in result.stdout or "\\xff" in result.stdout, result.stdout
