"""``polster update`` and ``polster check`` on real templates and real git repositories.

Most tests share one world: Polster's template copied into a temporary git repository
(commit 1), a project generated from it with plain cookiecutter and grown by one asset
through ``add-asset``, all committed; then the template changes (commit 2): a line of
the README, a new file, a new question, a deleted file, a line of the asset template.
Each test works on its own copy of that project. The last tests update from Polster's
bundled template: through the copy ``polster init`` keeps, and from a project the
previous release of this package generated (built from this repository's history).
"""

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from polster.cli import main
from polster.template import project_template_dir, template_hook

from conftest import (
    POLSTER,
    PYTHON,
    REPO_ROOT,
    clean_env,
    copy_template,
    run,
    tree_snapshot,
)

HOOK = template_hook("post_gen_project")
SLUG = "{{cookiecutter.project_slug}}"
ASSET_CORE = "asset_template/{{cookiecutter.project_slug}}/src/core/" + (
    "{{cookiecutter.layer}}_{{cookiecutter.asset_name}}.py"
)

TITLE_BEFORE = "# {{ cookiecutter.project_name }}\n"
TITLE_AFTER = "# {{ cookiecutter.project_name }}: a medallion project\n"
MAIN_BEFORE = 'if __name__ == "__main__":\n'
MAIN_AFTER = 'if __name__ == "__main__":  # also runs on its own\n'

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def bake_from(template: Path, output: Path, **options) -> Path:
    """Generate a project from ``template`` with plain cookiecutter."""
    config = {
        "replay_dir": str(output / ".replay"),
        "cookiecutters_dir": str(output / ".cookiecutters"),
    }
    made = cookiecutter(
        str(template), no_input=True, output_dir=str(output), default_config=config, **options
    )
    shutil.rmtree(output / ".replay", ignore_errors=True)
    return Path(made)


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


def commit_all(folder: Path, message: str) -> str:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return git(folder, "rev-parse", "HEAD").strip()


def polster(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new))


def project_files(project: Path) -> dict[str, bytes]:
    return {
        name: content
        for name, content in tree_snapshot(project).items()
        if not name.startswith(".polster_cache/")
    }


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    """A private HOME (cookiecutter's replay files, git's configuration) and a git
    identity, for the whole module."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    os.environ.update({"HOME": str(home), **GIT_IDENTITY})
    yield home
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def world(tmp_path_factory, isolated):
    """The template repository at commit 2, and a project made and grown at commit 1."""
    root = tmp_path_factory.mktemp("world")
    template = copy_template(root / "template")
    git(template, "init", "-q", "-b", "main")
    first = commit_all(template, "template, version 1")
    project = bake_from(template, root / "made")
    recorded = json.loads((project / ".polster-answers.json").read_text())["polster"]
    assert recorded["template"] == {
        "kind": "git",
        "source": str(template.resolve()),
        "directory": "",
        "version": first,
    }
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    added = main(
        ["add-asset", "--layer", "bronze", "--name", "customers", "--project-dir", str(project)]
    )
    assert added == 0
    recorded = json.loads((project / ".polster-answers.json").read_text())["polster"]
    assert recorded["assets"] == [
        {
            "layer": "bronze",
            "asset_name": "customers",
            "deps": "",
            "_description": "",
            "_allow_same_layer": False,
        }
    ]
    commit_all(project, "an asset")

    slug = template / SLUG
    replace_once(slug / "README.md", TITLE_BEFORE, TITLE_AFTER)
    (slug / "CHANGELOG.md").write_text("# Changes to {{ cookiecutter.project_name }}\n")
    (slug / "LICENSE_NAME.txt").write_text("{{ cookiecutter.license }}\n")
    (slug / "data").mkdir()
    (slug / "data" / "README.txt").write_text("tables live here\n")
    (slug / ".env.example").write_text((slug / ".env.example").read_text() + "# NEW=1\n")
    (slug / "workspace.yaml").unlink()
    replace_once(template / ASSET_CORE, MAIN_BEFORE, MAIN_AFTER)
    questions = json.loads((template / "cookiecutter.json").read_text())
    with_license = {}
    for key, value in questions.items():
        with_license[key] = value
        if key == "ci_workflow":
            with_license["license"] = ["MIT", "Apache-2.0"]
    (template / "cookiecutter.json").write_text(json.dumps(with_license, indent=2) + "\n")
    second = commit_all(template, "template, version 2")
    return {"template": template, "project": project, "first": first, "second": second}


@pytest.fixture
def project(world, tmp_path) -> Path:
    copy = tmp_path / world["project"].name
    shutil.copytree(world["project"], copy, symlinks=True)
    return copy


def update(capsys, project: Path, *options: str) -> tuple[int, str, str]:
    return polster(capsys, "update", "--project-dir", str(project), "--no-input", *options)


ASSET_CORE_FILE = "src/core/bronze_customers.py"


# --- merging ----------------------------------------------------------------------------


def test_an_unchanged_project_takes_every_change(project, world, capsys):
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    readme = (project / "README.md").read_text()
    assert readme.startswith("# Sales Analytics: a medallion project\n")
    assert (project / "CHANGELOG.md").read_text() == "# Changes to Sales Analytics\n"
    assert (project / "LICENSE_NAME.txt").read_text() == "MIT\n"  # the new question's default
    assert not (project / "workspace.yaml").exists()
    assert MAIN_AFTER in (project / ASSET_CORE_FILE).read_text()
    document = json.loads((project / ".polster-answers.json").read_text())
    assert document["polster"]["template"]["version"] == world["second"]
    assert document["cookiecutter"]["license"] == "MIT"
    assert [asset["asset_name"] for asset in document["polster"]["assets"]] == ["customers"]
    for line in ("added    CHANGELOG.md", "updated  README.md", "removed  workspace.yaml"):
        assert line in out
    assert "new question license" in out
    assert world["first"][:12] in out and world["second"][:12] in out
    assert "\n<<<<<<< " not in readme


def test_edits_on_other_lines_are_kept_and_the_change_arrives(project, capsys):
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur own notes about this project.\n")
    core = project / ASSET_CORE_FILE
    replace_once(core, "import pandas as pd\n", "import pandas as pd  # ours\n")
    commit_all(project, "our edits")
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    text = readme.read_text()
    assert text.startswith("# Sales Analytics: a medallion project\n")
    assert text.endswith("\nOur own notes about this project.\n")
    assert "merged   README.md" in out
    asset = core.read_text()
    assert "import pandas as pd  # ours\n" in asset and MAIN_AFTER in asset


def test_an_edit_of_the_same_line_gives_markers_and_exit_1(project, capsys):
    readme = project / "README.md"
    replace_once(readme, "# Sales Analytics\n", "# Sales Analytics, by the data team\n")
    commit_all(project, "our title")
    status, out, err = update(capsys, project)
    assert status == 1, out + err
    text = readme.read_text()
    assert "<<<<<<< yours\n# Sales Analytics, by the data team\n=======\n" in text
    assert "# Sales Analytics: a medallion project\n>>>>>>> template " in text
    assert "CONFLICT README.md" in out and "1 file with conflicts: README.md" in out
    # Everything else of the update is there all the same.
    assert (project / "CHANGELOG.md").is_file() and not (project / "workspace.yaml").exists()


def test_a_file_the_template_deleted_stays_when_edited(project, capsys):
    workspace = project / "workspace.yaml"
    workspace.write_text(workspace.read_text() + "# ours\n")
    commit_all(project, "our workspace")
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    assert workspace.read_text().endswith("# ours\n")
    assert "kept     workspace.yaml (removed by the template, changed here: kept)" in out


def test_a_file_deleted_here_and_changed_by_the_template_stays_deleted(project, capsys):
    (project / "README.md").unlink()
    commit_all(project, "no readme")
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    assert not (project / "README.md").exists()
    assert "kept     README.md (deleted here, changed by the template: left out)" in out


def test_added_assets_survive_and_follow_the_asset_template(project, capsys):
    files = [
        "src/core/bronze_customers.py",
        "src/orchestration/assets/bronze/run_bronze_customers.py",
        "tests/test_bronze_customers.py",
    ]
    before = {name: (project / name).read_text() for name in files}
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    after = {name: (project / name).read_text() for name in files}
    assert after[files[0]] == before[files[0]].replace(MAIN_BEFORE, MAIN_AFTER)
    assert after[files[1]] == before[files[1]] and after[files[2]] == before[files[2]]
    assert f"updated  {files[0]}" in out
    status, out, err = polster(capsys, "list-assets", "--project-dir", str(project))
    assert status == 0 and "bronze/customers" in out


def test_a_removed_asset_leaves_the_record_and_does_not_come_back(project, capsys):
    status, _, err = polster(
        capsys, "remove-asset", "customers", "--layer", "bronze", "--project-dir", str(project)
    )
    assert status == 0, err
    assert json.loads((project / ".polster-answers.json").read_text())["polster"]["assets"] == []
    commit_all(project, "no customers")
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    assert not (project / ASSET_CORE_FILE).exists() and "customers" not in out


def test_a_git_url_and_a_template_in_a_subfolder(tmp_path, world, capsys):
    repository = tmp_path / "templates"
    copy_template(repository / "polster")
    (repository / "README.md").write_text("Our templates.\n")
    git(repository, "init", "-q", "-b", "main")
    first = commit_all(repository, "version 1")
    project = bake_from(repository, tmp_path / "made", directory="polster")
    record = json.loads((project / ".polster-answers.json").read_text())["polster"]["template"]
    assert (record["kind"], record["directory"], record["version"]) == ("git", "polster", first)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    replace_once(repository / "polster" / SLUG / "README.md", TITLE_BEFORE, TITLE_AFTER)
    second = commit_all(repository, "version 2")

    url = repository.resolve().as_uri()  # file://..., fetched like any remote
    status, out, err = polster(capsys, "check", "--project-dir", str(project), "--template", url)
    assert status == 1 and first[:12] in out and second[:12] in out
    status, out, err = update(capsys, project, "--template", url)
    assert status == 0, out + err
    assert (project / "README.md").read_text().startswith("# Sales Analytics: a medallion")
    record = json.loads((project / ".polster-answers.json").read_text())["polster"]["template"]
    assert record == {"kind": "git", "source": url, "directory": "polster", "version": second}
    assert not (project / ".polster").exists()  # a commit can be fetched again: no copy


def test_data_env_dagster_and_the_skip_list_are_never_touched(project, capsys):
    (project / ".env").write_text("STORAGE_BACKEND=local\nSECRET=ours\n")
    (project / "data" / "bronze").mkdir(parents=True)
    (project / "data" / "bronze" / "orders.parquet").write_bytes(b"PAR1 ours")
    (project / ".dagster").mkdir()
    (project / ".dagster" / "dagster.yaml").write_text("telemetry: ours\n")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.polster.update]\nskip = ["README.md"]\n')
    commit_all(project, "skip the README")
    readme = (project / "README.md").read_bytes()
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    assert (project / ".env").read_text() == "STORAGE_BACKEND=local\nSECRET=ours\n"
    assert os.listdir(project / "data") == ["bronze"]  # data/README.txt was not added
    assert (project / "data" / "bronze" / "orders.parquet").read_bytes() == b"PAR1 ours"
    assert (project / ".dagster" / "dagster.yaml").read_text() == "telemetry: ours\n"
    assert (project / "README.md").read_bytes() == readme
    assert "skipped  README.md ([tool.polster.update] skip)" in out
    assert "# NEW=1" in (project / ".env.example").read_text()


def test_a_bad_skip_list_is_one_line_exit_2(project, capsys):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.polster.update]\nskip = "README.md"\n')
    commit_all(project, "bad skip")
    status, out, err = update(capsys, project)
    assert status == 2 and err.count("\n") == 1
    assert "skip must be a list" in err


# --- refusals and dry runs --------------------------------------------------------------


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_a_dirty_tree_is_refused_with_exit_2(project, capsys, change):
    if change == "modified":
        (project / "README.md").write_text("half-done work\n")
    else:
        (project / "notes.txt").write_text("not committed yet\n")
    before = project_files(project)
    status, out, err = update(capsys, project)
    assert status == 2 and out == ""
    assert err.startswith("polster: error: the project has uncommitted changes")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert project_files(project) == before


def test_a_project_outside_git_is_refused_with_exit_2(project, capsys):
    shutil.rmtree(project / ".git")
    before = project_files(project)
    status, out, err = update(capsys, project)
    assert status == 2 and "is not in a git repository" in err and err.count("\n") == 1
    assert project_files(project) == before


def test_dry_run_prints_the_diff_and_writes_nothing(project, capsys):
    before = tree_snapshot(project)
    status, out, err = update(capsys, project, "--dry-run")
    assert status == 0, out + err
    assert tree_snapshot(project) == before
    assert "-# Sales Analytics\n+# Sales Analytics: a medallion project\n" in out
    assert "+++ b/CHANGELOG.md" in out and "--- a/workspace.yaml\n+++ /dev/null" in out
    assert f"+{MAIN_AFTER}" in out
    assert "nothing written" in out


def test_dry_run_of_a_conflict_shows_the_markers_and_exits_1(project, capsys):
    replace_once(project / "README.md", "# Sales Analytics\n", "# Ours\n")
    commit_all(project, "our title")
    before = tree_snapshot(project)
    status, out, err = update(capsys, project, "--dry-run")
    assert status == 1
    assert "+<<<<<<< yours\n" in out and tree_snapshot(project) == before


def test_a_new_question_is_asked_and_recorded(project):
    result = subprocess.run(
        [POLSTER, "update", "--project-dir", str(project)],
        cwd=project,
        env=clean_env(),
        input="2\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "LICENSE_NAME.txt").read_text() == "Apache-2.0\n"
    answers = json.loads((project / ".polster-answers.json").read_text())["cookiecutter"]
    assert answers["license"] == "Apache-2.0"


# --- check ------------------------------------------------------------------------------


def test_check_reports_behind_then_current(project, world, capsys):
    status, out, err = polster(capsys, "check", "--project-dir", str(project))
    assert status == 1, err
    assert out.startswith("polster check: behind:") and out.count("\n") == 1
    assert world["first"][:12] in out and world["second"][:12] in out
    assert update(capsys, project)[0] == 0
    commit_all(project, "updated")
    status, out, err = polster(capsys, "check", "--project-dir", str(project))
    assert (status, err) == (0, "")
    current = f"{world['template'].resolve()} at {world['second'][:12]}"
    assert out == f"polster check: up to date with {current}\n"
    again = update(capsys, project)
    assert again[0] == 0 and "Already up to date" in again[1]


def test_the_marker_hook_fails_on_leftover_markers(project, capsys, isolated):
    replace_once(project / "README.md", "# Sales Analytics\n", "# Ours\n")
    commit_all(project, "our title")
    assert update(capsys, project)[0] == 1
    git(project, "add", "-A")
    env = clean_env({"PRE_COMMIT_HOME": str(isolated / "pre-commit"), **GIT_IDENTITY})
    result = subprocess.run(
        [PYTHON, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "polster-conflict-markers"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "README.md:" in result.stdout and "<<<<<<< yours" in result.stdout


# --- Polster's bundled template ---------------------------------------------------------


def test_an_upgraded_polster_merges_from_the_template_copy_init_kept(tmp_path, capsys, monkeypatch):
    status, _, err = polster(capsys, "init", "kept", "--no-input", "--output-dir", str(tmp_path))
    assert status == 0, err
    project = tmp_path / "kept"
    record = json.loads((project / ".polster-answers.json").read_text())["polster"]["template"]
    assert record["kind"] == "polster"
    assert record["hash"] == HOOK.content_hash(project_template_dir())
    archive = project / ".polster" / "template.tar.gz"
    assert HOOK.snapshot_bytes(project_template_dir()) == archive.read_bytes()
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur notes.\n")
    commit_all(project, "notes")

    # A newer Polster, whose template changed the README's title: the recorded version
    # is no longer installed, so only the copy in .polster/ can render it.
    newer = copy_template(tmp_path / "newer")
    replace_once(newer / SLUG / "README.md", TITLE_BEFORE, TITLE_AFTER)
    monkeypatch.setattr("polster.update.project_template_dir", lambda: newer)
    status, out, err = polster(capsys, "check", "--project-dir", str(project))
    assert status == 1 and record["hash"][7:19] in out and "behind" in out
    status, out, err = update(capsys, project)
    assert status == 0, out + err
    text = readme.read_text()
    assert text.startswith("# Kept: a medallion project\n") and text.endswith("\nOur notes.\n")
    assert archive.read_bytes() == HOOK.snapshot_bytes(newer)
    new_record = json.loads((project / ".polster-answers.json").read_text())["polster"]
    assert new_record["template"]["hash"] == HOOK.content_hash(newer)

    # Without its copy, the old version cannot be rendered: one line, nothing changed.
    git(project, "checkout", "-q", "--", ".")
    git(project, "clean", "-qfd")
    archive.unlink()
    commit_all(project, "lost the copy")
    before = project_files(project)
    status, out, err = update(capsys, project)
    assert status == 1 and "cannot render the template the project was made with" in err
    assert err.count("\n") == 1 and project_files(project) == before


def previous_release() -> str:
    """The last commit before ``polster update`` came in (the command line was the first
    file to name it), or HEAD while it is not committed yet."""
    named = git(
        REPO_ROOT, "log", "--reverse", "--format=%H", "-S", "from polster.update import",
        "--", "cli/polster/cli.py",
    )  # fmt: skip
    first = named.split()[0] if named.split() else None
    return git(REPO_ROOT, "rev-parse", f"{first}^" if first else "HEAD").strip()


def test_a_project_from_the_previous_release_updates_and_passes_its_tests(tmp_path):
    commit = previous_release()
    previous = tmp_path / "previous"
    previous.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(previous, filter="data")
    # That release is this repository at that commit: its projects name it as their
    # Polster repository and revision (what their .pre-commit-config.yaml pins).
    config = tmp_path / "cookiecutter.yaml"
    config.write_text(
        f"default_context:\n  _polster_repo: '{REPO_ROOT}'\n  _polster_rev: '{commit}'\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "HOME": os.environ["HOME"],
        "PYTHONPATH": f"{previous / 'cli'}{os.pathsep}{previous / 'linter'}",
        "COOKIECUTTER_CONFIG": str(config),
    }
    made = run(
        [PYTHON, "-m", "polster", "init", "old_project", "--no-input", "--output-dir", str(out)],
        cwd=out,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    project = out / "old_project"
    grown = run(
        [PYTHON, "-m", "polster", "add-asset", "--layer", "silver", "--name", "orders",
         "--deps", "bronze/example", "--no-input", "--project-dir", str(project)],
        cwd=out,
        env=env,
    )  # fmt: skip
    assert grown.returncode == 0, grown.stderr
    old_answers = json.loads((project / ".polster-answers.json").read_text())
    assert "polster" not in old_answers  # that release recorded no template version
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "made by the previous release")
    asset = (project / "src/core/silver_orders.py").read_bytes()
    behind = run([POLSTER, "check"], cwd=project)
    assert behind.returncode == 1 and "recorded before Polster kept template versions" in (
        behind.stdout
    )

    updated = run(
        [POLSTER, "update", "--no-input", "--project-dir", str(project)],
        cwd=project,
    )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    record = json.loads((project / ".polster-answers.json").read_text())["polster"]["template"]
    assert record["kind"] == "polster"
    assert "polster update" in (project / "README.md").read_text()
    assert (project / "src/core/silver_orders.py").read_bytes() == asset  # not recorded: kept
    commit_all(project, "updated")
    check = run([POLSTER, "check"], cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


def test_the_hooks_are_declared_for_pre_commit():
    hooks = {
        hook["id"]: hook
        for hook in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    check = hooks["polster-check"]
    assert (check["entry"], check["language"], check["pass_filenames"]) == (
        "polster check",
        "python",
        False,
    )
    markers = hooks["polster-conflict-markers"]
    assert markers["language"] == "pygrep"
