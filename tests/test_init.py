"""``polster init``: the command a new user types first."""

import json
import subprocess
import sys

import pytest

from conftest import POLSTER, clean_env, run, tree_snapshot


def polster(*args, cwd, stdin=None, timeout=120):
    return subprocess.run(
        [POLSTER, *args],
        cwd=cwd,
        env=clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_init_creates_the_named_project(tmp_path, home):
    result = polster("init", "sales_analytics", "--no-input", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "sales_analytics"
    assert (project / "run_polster.py").is_file()
    assert "cd sales_analytics" in result.stdout
    answers = json.loads((project / ".polster-answers.json").read_text())["cookiecutter"]
    assert answers["project_slug"] == "sales_analytics"
    assert answers["project_name"] == "Sales Analytics"
    assert "STORAGE_BACKEND=local\n" in (project / ".env").read_text()


def test_init_storage_and_output_dir(tmp_path, home):
    target = tmp_path / "elsewhere"
    target.mkdir()
    result = polster(
        "init",
        "lake_project",
        "--no-input",
        "--storage",
        "adls",
        "--output-dir",
        str(target),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "STORAGE_BACKEND=adls\n" in (target / "lake_project" / ".env").read_text()


def test_init_with_a_relative_output_dir(tmp_path, home):
    (tmp_path / "work" / "out").mkdir(parents=True)
    result = polster(
        "init", "rel_project", "--no-input", "--output-dir", "out", cwd=tmp_path / "work"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "work" / "out" / "rel_project" / ".polster-answers.json").is_file()


def test_init_refuses_an_existing_directory_and_leaves_it_untouched(tmp_path, home):
    existing = tmp_path / "sales_analytics"
    (existing / "src").mkdir(parents=True)
    (existing / "notes.txt").write_text("my work")
    (existing / "src" / "core.py").write_text("print('mine')")
    before = tree_snapshot(existing)
    result = polster("init", "sales_analytics", "--no-input", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "already exists" in result.stderr
    assert tree_snapshot(existing) == before


@pytest.mark.parametrize("name", ["Sales", "my-project", "dagster", "class", "json", "1st"])
def test_init_refuses_invalid_names_before_writing_anything(tmp_path, home, name):
    result = polster("init", name, "--no-input", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("polster: error: invalid project slug")
    assert result.stderr.strip().count("\n") == 0
    assert list(tmp_path.iterdir()) == [home]


def test_init_refuses_a_missing_output_dir(tmp_path, home):
    result = polster(
        "init", "sales", "--no-input", "--output-dir", str(tmp_path / "nope"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nope").exists()


def test_init_usage_errors_exit_2(tmp_path, home):
    assert polster(cwd=tmp_path).returncode == 2
    assert polster("init", cwd=tmp_path).returncode == 2
    bad_storage = polster("init", "x_project", "--storage", "s3", cwd=tmp_path)
    assert bad_storage.returncode == 2
    assert "invalid choice" in bad_storage.stderr


def test_init_prompts_with_the_name_as_default(tmp_path, home):
    # Answer every prompt with Enter except the description. NAME is the slug: the
    # folder and package name is not asked again (an answer there could contradict it).
    answers = "\nA project typed at the prompt\n\n\n\n\n\n"
    result = polster("init", "typed_project", cwd=tmp_path, stdin=answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "package and folder name" not in result.stdout
    stored = json.loads((tmp_path / "typed_project" / ".polster-answers.json").read_text())
    assert stored["cookiecutter"]["project_name"] == "Typed Project"
    assert stored["cookiecutter"]["project_slug"] == "typed_project"
    assert stored["cookiecutter"]["description"] == "A project typed at the prompt"


def test_init_with_input_ending_early_is_one_line_and_leaves_nothing(tmp_path, home):
    result = polster("init", "typed_project", cwd=tmp_path, stdin="\n")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("polster: error: input ended")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "typed_project").exists()


def test_python_dash_m_polster_is_the_same_command(tmp_path, home):
    result = run([sys.executable, "-m", "polster", "--version"], cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("polster ")
