"""User flows tried the sloppy way, each against real processes and baked templates.

Every case here is one a data engineer hits in daily use: a template path typed relative
to the shell's folder, names that collide with what the project installs, interrupted
commands. The promise: it works, or it stops with one line and a non-zero exit status,
leaving nothing half-made.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import POLSTER, POLSTER_LINT, PYTHON, REPO_ROOT, bake, clean_env, copy_template

COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def private_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment with a private HOME (cookiecutter's replay files)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return clean_env({"HOME": str(home), **GIT_IDENTITY})


def committed_template(destination: Path, env: dict[str, str]) -> str:
    """Polster's template, alone, committed in a new git repository; its commit."""
    copy_template(destination)
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "t"]):
        subprocess.run(["git", *command], cwd=destination, env=env, check=True, timeout=60)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=destination, env=env, capture_output=True, text=True
    ).stdout.strip()


def run_in(cwd: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


# --- plain cookiecutter with a relative template path ------------------------------------


@pytest.mark.parametrize("typed", ["tpl", "./tpl", "sub/../tpl"])
def test_cookiecutter_with_a_relative_template_path_records_that_template(tmp_path, typed):
    """``cookiecutter tpl`` (the README's ``cookiecutter path/to/this/repo``) used to fail
    in the post-generation hook ("No such file or directory: .../tpl/tpl"): cookiecutter
    runs its hooks from inside the template folder, and the hook joined the relative path
    to that folder again. A URL check on the unresolved path also mistook the folder for
    a clone and recorded its git remote instead of the folder."""
    env = private_env(tmp_path)
    commit = committed_template(tmp_path / "tpl", env)
    (tmp_path / "sub").mkdir()
    made = run_in(tmp_path, env, COOKIECUTTER, "--no-input", typed, "project_slug=rel")
    assert made.returncode == 0, made.stderr
    record = json.loads((tmp_path / "rel" / ".polster-answers.json").read_text())["polster"]
    assert record["template"] == {
        "kind": "git",
        "source": str((tmp_path / "tpl").resolve()),
        "directory": "",
        "version": commit,
    }
    checked = run_in(tmp_path / "rel", env, POLSTER, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- Ctrl-C while a command is still starting -------------------------------------------

# Loaded by Python at start-up (sitecustomize on PYTHONPATH): sends this process SIGINT
# while the named module is being imported, the way a Ctrl-C typed in the first second
# arrives, but at a moment the test chooses.
INTERRUPT_ON_IMPORT = """\
import importlib.abc
import os
import signal
import sys

TARGET = os.environ["TEST_INTERRUPT_ON_IMPORT"]


class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == TARGET:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, Interrupt())
"""


def interrupting_env(tmp_path: Path, module: str) -> dict[str, str]:
    """A private environment in which Python sends itself SIGINT while importing
    ``module`` (see :data:`INTERRUPT_ON_IMPORT`)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(INTERRUPT_ON_IMPORT)
    env = private_env(tmp_path)
    env.update({"PYTHONPATH": str(hook), "TEST_INTERRUPT_ON_IMPORT": module})
    return env


@pytest.mark.parametrize("module", ["polster.add_asset", "polster.update", "cookiecutter"])
def test_ctrl_c_while_polster_starts_is_one_line_and_130(tmp_path, module):
    """A Ctrl-C during the half second the ``polster`` command spends importing its
    modules printed a traceback from Python's import machinery and died of SIGINT."""
    env = interrupting_env(tmp_path, module)
    done = run_in(tmp_path, env, POLSTER, "list-assets")
    assert done.returncode == 130, done.stdout + done.stderr
    assert done.stderr == "polster: interrupted\n", done.stderr


@pytest.mark.parametrize("module", ["sqlite3", "core.settings"])
def test_ctrl_c_while_run_polster_starts_is_one_line_and_130(tmp_path, module):
    """The generated run_polster.py took Ctrl-C only once its imports were done: one
    typed in its first tenth of a second was a traceback and exit status 1."""
    project = bake(tmp_path / "out", project_name="P", project_slug="p")
    env = interrupting_env(tmp_path, module)
    done = run_in(project, env, PYTHON, "run_polster.py")
    assert done.returncode == 130, done.stdout + done.stderr
    assert done.stderr == "interrupted before the run started\n", done.stderr
    assert not (project / "data").exists()


# --- polster update against a history that lost the recorded commit ---------------------


def test_update_from_a_lost_commit_names_the_git_command(tmp_path):
    """A recorded template commit that the repository no longer has (a rewritten history,
    a hand-edited answers file) was reported as "git -c failed": the name of the option
    Polster passes to every git call, not of the command that failed."""
    env = private_env(tmp_path)
    committed_template(tmp_path / "tpl", env)
    made = run_in(
        tmp_path, env, COOKIECUTTER, "--no-input", str(tmp_path / "tpl"), "project_slug=p"
    )
    assert made.returncode == 0, made.stderr
    project = tmp_path / "p"
    answers_file = project / ".polster-answers.json"
    document = json.loads(answers_file.read_text())
    document["polster"]["template"]["version"] = "0123456789abcdef0123456789abcdef01234567"
    answers_file.write_text(json.dumps(document))
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "p"]):
        subprocess.run(["git", *command], cwd=project, env=env, check=True, timeout=60)
    before = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True
    ).stdout
    done = run_in(project, env, POLSTER, "update", "--no-input")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "git checkout failed" in done.stderr and "git -c" not in done.stderr, done.stderr
    assert "nothing was changed" in done.stderr
    after = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
    ).stdout
    assert after == before == ""


# --- a project named like a package it installs -----------------------------------------


@pytest.mark.parametrize("name", ["python_decouple", "celery", "requests", "azure_identity"])
def test_init_refuses_a_name_pip_could_not_install(tmp_path, name):
    """``polster init python_decouple`` made a project whose distribution has the name of
    one of its own dependencies: ``pip install -e ".[dev]"`` (its README's first step)
    then fails with "conflicting dependencies", and its Dockerfile uninstalls it."""
    env = private_env(tmp_path)
    done = run_in(tmp_path, env, POLSTER, "init", name, "--no-input")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"invalid project slug {name!r}" in done.stderr and "pip" in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home"]
    plain = run_in(
        tmp_path, env, COOKIECUTTER, "--no-input", str(REPO_ROOT), f"project_slug={name}"
    )
    assert plain.returncode != 0
    assert f"invalid project slug {name!r}" in plain.stderr + plain.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home"]


def test_a_project_made_before_the_rule_keeps_working(tmp_path):
    """The rule is for new projects: one already called ``celery`` still adds assets."""
    project = bake(tmp_path / "out", project_name="P", project_slug="p")
    answers_file = project / ".polster-answers.json"
    document = json.loads(answers_file.read_text())
    document["cookiecutter"]["project_slug"] = "celery"
    answers_file.write_text(json.dumps(document))
    env = private_env(tmp_path)
    done = run_in(project, env, POLSTER, "add-asset", "--layer", "bronze", "--name", "c")
    assert done.returncode == 0, done.stdout + done.stderr


def test_refused_names_cover_what_a_generated_project_installs(tmp_path):
    """The hook's list of refused names is data, taken from the dependency tree: every
    distribution the generated project installs (its dependencies, its extras, and what
    they require in turn, as installed in this environment) must be on it, so that a new
    dependency in the template, or a new release of one, cannot slip past the list."""
    import importlib.metadata
    import re
    import tomllib

    from packaging.requirements import Requirement

    sys.path.insert(0, str(REPO_ROOT / "hooks"))
    try:
        from pre_gen_project import DEPENDENCY_NAMES
    finally:
        sys.path.remove(str(REPO_ROOT / "hooks"))
    baked = bake(tmp_path, project_name="P", project_slug="p")
    project = tomllib.loads((baked / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += extra

    def slug(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    installed: set[str] = set()
    pending = [Requirement(text) for text in wanted]
    while pending:
        requirement = pending.pop()
        name = slug(requirement.name)
        if name in installed:
            continue
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: its own requirements cannot be known
        installed.add(name)
        extras = {"", *requirement.extras}
        for text in distribution.requires or []:
            needed = Requirement(text)
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(needed)
    assert len(installed) > 50  # the tree was walked, not skipped
    assert sorted(installed - DEPENDENCY_NAMES) == []


@pytest.mark.parametrize(
    ("command", "module"),
    [
        (POLSTER_LINT, "polster_lint.engine"),
        (POLSTER_LINT, "polster_lint.adapters.cache"),
        (POLSTER, "polster_lint.engine"),
    ],
)
def test_ctrl_c_while_polster_lint_starts_is_one_line_and_130(tmp_path, command, module):
    """polster-lint took Ctrl-C as one line only once its modules were imported, which is
    most of a warm run; and ``polster`` imports the linter's command line too."""
    env = interrupting_env(tmp_path, module)
    arguments = ["lint"] if command == POLSTER else []
    done = run_in(tmp_path, env, command, *arguments, "--rules")
    assert done.returncode == 130, done.stdout + done.stderr
    name = "polster" if command == POLSTER else "polster-lint"
    assert done.stderr == f"{name}: interrupted\n", done.stderr
