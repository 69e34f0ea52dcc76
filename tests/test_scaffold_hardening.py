"""``polster init``, ``add-asset`` and ``remove-asset`` under hostile input and faults.

The promise checked here: a bad input or a fault ends in one line on stderr and a
documented exit status (2: wrong input, 1: the operation failed), never a traceback;
nothing is half-written, nothing is written outside the project (or the output folder),
nothing is overwritten; and the nested cookiecutter runs leave nothing in the temporary
folder or the home folder.

Most cases run the command in this process (fast, and faults can be injected); the ones
about real signals, resource limits and concurrency run it as a subprocess. We run as
root in CI, where permissions do not stop writes: read-only folders are made with
``chattr +i`` (the test is skipped where that is not possible).
"""

import ast
import importlib
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cookiecutter import hooks as cookiecutter_hooks
from cookiecutter.exceptions import FailedHookException

from polster.cli import main
from polster.template import asset_template_dir, template_hook

from conftest import POLSTER, POLSTER_LINT, PYTHON, bake, clean_env, run

ASSETS = "src/orchestration/assets"


def snapshot(root: Path) -> dict[str, object]:
    """Every folder, file (with content) and link below ``root``, the lint cache aside."""
    found: dict[str, object] = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name != ".polster_cache"]
        for name in subfolders + files:
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                found[relative] = "folder"
            else:
                found[relative] = path.read_bytes()
    return found


def one_line_error(err: str) -> str:
    """The single line of ``err``; fails unless there is exactly one, with no traceback."""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err, err
    assert err.startswith("polster"), err
    return err


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> Path:
    """One project generated for the module; tests copy it."""
    out = tmp_path_factory.mktemp("baked")
    project = bake(out, project_name="P", project_slug="p")
    shutil.rmtree(out / ".replay", ignore_errors=True)
    return project


@pytest.fixture
def box(tmp_path, monkeypatch) -> Path:
    """A folder that only the command under test may write in (HOME and TMPDIR inside
    too), with a file of the user's in it."""
    box = tmp_path / "box"
    box.mkdir()
    (box / "mine.txt").write_text("the user's own file\n")
    for name in ("home", "tmp"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr("tempfile.tempdir", None)  # forget the cached temporary folder
    return box


@pytest.fixture
def project(baked, box) -> Path:
    target = box / "p"
    shutil.copytree(baked, target, symlinks=True)
    return target


def leftovers(box: Path) -> dict[str, list[str]]:
    """What the commands left in the home and temporary folders (should be nothing).

    The linter's cache key (``~/.cache/polster``, made by every lint) is the one file
    that belongs in the home folder.
    """
    found = {}
    for name in ("home", "tmp"):
        top = box.parent / name
        found[name] = sorted(
            path.relative_to(top).as_posix()
            for path in top.rglob("*")
            if path.is_file() and not path.relative_to(top).as_posix().startswith(".cache/polster/")
        )
    return found


def polster(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def polster_process(*argv: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = clean_env({"HOME": os.environ["HOME"], "TMPDIR": os.environ["TMPDIR"]})
    return subprocess.run(
        [POLSTER, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def set_answers(project: Path, text: str | bytes) -> None:
    answers_file = project / ".polster-answers.json"
    if isinstance(text, bytes):
        answers_file.write_bytes(text)
    else:
        answers_file.write_text(text)


def immutable(path: Path):
    """Make ``path`` unchangeable even for root, or skip; undo with ``chattr -i``."""
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip("chattr +i is not available here")


def mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True)


# --- 2: the answers file is input too ---------------------------------------------------


def answers(**values) -> str:
    base = {"project_name": "P", "project_slug": "p", "storage_backend": "local"}
    return json.dumps({"cookiecutter": {**base, **values}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (answers(project_slug="../../evil"), "invalid project slug '../../evil'"),
        (answers(project_slug="/tmp/evil"), "invalid project slug"),
        (answers(project_slug="{{ 7*7 }}"), "invalid project slug"),
        (answers(project_slug="dagster"), "would shadow"),
        (answers(project_slug=5), "'project_slug' must be text"),
        (answers(description=["x"]), "'description' must be text"),
        (answers(description=None), "'description' must be text"),
        (answers(description="a\x00b"), "'description' must be text"),
        (answers(ci_workflow="yes"), "'ci_workflow' must be true or false"),
        (answers(storage_backend="s3"), "invalid storage_backend 's3'"),
        ("[]", 'a "cookiecutter" object'),
        ('"x"', 'a "cookiecutter" object'),
        ("null", 'a "cookiecutter" object'),
        ('{"cookiecutter": []}', 'a "cookiecutter" object'),
        ("{not json", "it is not JSON"),
        ("[" * 100_000, "it is not JSON"),
        (b'{"cookiecutter": {"description": "\xff"}}', "it is not UTF-8 text"),
    ],
)
def test_a_bad_answers_file_is_one_line_exit_2_and_writes_nothing(
    project, box, capsys, text, message
):
    set_answers(project, text)
    before = snapshot(box)
    for argv in (
        ["add-asset", "--layer", "bronze", "--name", "zz", "--no-input"],
        ["list-assets"],
        ["remove-asset", "example", "--layer", "gold"],
    ):
        status, _, err = polster(capsys, *argv, "--project-dir", str(project))
        assert status == 2, err
        assert message in one_line_error(err) and "answers file" in err
    assert snapshot(box) == before
    assert not (box.parent / "evil").exists()
    assert leftovers(box) == {"home": [], "tmp": []}


def test_machine_entries_of_a_replay_file_are_ignored(project, capsys):
    stored = json.loads((project / ".polster-answers.json").read_text())
    stored["cookiecutter"]["_checkout"] = None
    stored["cookiecutter"]["_output_dir"] = "/somewhere/else"
    set_answers(project, json.dumps(stored))
    status, out, err = polster(capsys, "list-assets", "--project-dir", str(project))
    assert status == 0, err


# --- 3: free text reaches the files literally -------------------------------------------

DESCRIPTIONS = [
    r"see C:\Users\x and \n and \\",
    'quotes """ and \'\'\' and " at the end"',
    "{{ 7*7 }} {% raw %} cut here? {# no #} {%- endraw %}",
    "ünïcödé, 日本語のテキスト, emoji 😀, right-to-left עברית",
    "words " * 30 + "x" * 5,
    "日本語" * 60,
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylong"
    "wordwithoutanyspaces" + '"' * 30,
    "   many   spaces\tand\ttabs\nand a newline   ",
]


def test_descriptions_reach_the_files_literally_and_the_modules_parse(project, box, capsys):
    for number, description in enumerate(DESCRIPTIONS):
        name = f"described{number}"
        status, _, err = polster(
            capsys,
            *("add-asset", "--layer", "bronze", "--name", name, "--no-input"),
            *("--description", description, "--project-dir", str(project)),
        )
        assert status == 0, (description, err)
        folded = " ".join(description.split())
        asset = ast.parse((project / f"{ASSETS}/bronze/run_bronze_{name}.py").read_text())
        (call,) = [
            node
            for node in ast.walk(asset)
            if isinstance(node, ast.Call) and any(k.arg == "description" for k in node.keywords)
        ]
        (keyword,) = [k for k in call.keywords if k.arg == "description"]
        assert ast.literal_eval(keyword.value) == folded
        core = ast.parse((project / f"src/core/bronze_{name}.py").read_text())
        docstring = ast.get_docstring(core, clean=False)
        summary = f"Bronze asset bronze/{name}: {folded}"
        # Long text is wrapped (long words cut) to the line length: compare without spaces.
        assert "".join(summary.split()) in "".join(docstring.split())
    assert leftovers(box) == {"home": [], "tmp": []}
    lint = run([POLSTER_LINT, "--no-cache"], cwd=project)
    assert lint.returncode == 0, lint.stdout
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run([PYTHON, "-m", "ruff", *command], cwd=project)
        assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "description", ["a\x00b", "bell\x07", "esc \x1b[31m red", "bidi \u202e", "x" * 201, "\udcff"]
)
def test_descriptions_that_are_not_plain_text_are_refused(project, box, capsys, description):
    before = snapshot(box)
    status, _, err = polster(
        capsys,
        *("add-asset", "--layer", "bronze", "--name", "refused", "--no-input"),
        *("--description", description, "--project-dir", str(project)),
    )
    assert status == 2
    assert "description" in one_line_error(err)
    assert snapshot(box) == before


def test_a_module_that_does_not_compile_is_never_moved_in(project, box, capsys, monkeypatch):
    # The template's text filters, with escaping switched off: cookiecutter imports the
    # extension by name, so the copy registered here is the one it uses.
    path = asset_template_dir() / "polster_asset_text.py"
    spec = importlib.util.spec_from_file_location("polster_asset_text", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "_escaped", lambda character, quote='"': character)
    monkeypatch.setitem(sys.modules, "polster_asset_text", module)
    before = snapshot(box)
    status, _, err = polster(
        capsys,
        *("add-asset", "--layer", "bronze", "--name", "broken", "--no-input"),
        *("--description", 'it\'s a "test"', "--project-dir", str(project)),
    )
    assert status == 1
    assert "invalid Python" in one_line_error(err) and "nothing was written" in err
    assert snapshot(box) == before


# --- 4: remove-asset is all or nothing --------------------------------------------------


def test_remove_asset_puts_everything_back_when_one_file_cannot_move(
    project, box, capsys, monkeypatch
):
    assert polster(capsys, "add-asset", "--project-dir", str(project), "--layer", "bronze",
                   "--name", "gone", "--no-input")[0] == 0  # fmt: skip
    before = snapshot(box)
    real_rename = os.rename
    calls = []

    def failing_rename(source, target):
        calls.append(source)
        if len(calls) == 3:  # the third file: the first two have moved aside already
            raise PermissionError(13, "Permission denied", str(source))
        real_rename(source, target)

    monkeypatch.setattr(
        importlib.import_module("polster.remove_asset").os, "rename", failing_rename
    )
    status, _, err = polster(
        capsys, "remove-asset", "gone", "--layer", "bronze", "--project-dir", str(project)
    )
    assert status == 1
    assert "Permission denied" in one_line_error(err) and "nothing was removed" in err
    assert snapshot(box) == before


def test_remove_asset_with_an_unchangeable_tests_folder_removes_nothing(project, box, capsys):
    assert polster(capsys, "add-asset", "--project-dir", str(project), "--layer", "bronze",
                   "--name", "kept", "--no-input")[0] == 0  # fmt: skip
    before = snapshot(box)
    immutable(project / "tests")
    try:
        result = polster_process(
            "remove-asset", "kept", "--layer", "bronze", "--project-dir", str(project), cwd=box
        )
    finally:
        mutable(project / "tests")
    assert result.returncode == 1
    assert "nothing was removed" in one_line_error(result.stderr)
    assert snapshot(box) == before


# --- 5: init is all or nothing ----------------------------------------------------------


def test_ctrl_c_during_the_post_gen_hook_leaves_nothing(box, capsys, monkeypatch):
    monkeypatch.chdir(box)
    real_run_hook = cookiecutter_hooks.run_hook

    def interrupted(hook_name, project_dir, context):
        if hook_name == "post_gen_project":
            raise KeyboardInterrupt
        real_run_hook(hook_name, project_dir, context)

    monkeypatch.setattr(cookiecutter_hooks, "run_hook", interrupted)
    before = snapshot(box)
    status, _, err = polster(capsys, "init", "p", "--no-input")
    assert status == 130 and one_line_error(err) == "polster: interrupted\n"
    assert snapshot(box) == before
    assert leftovers(box) == {"home": [], "tmp": []}
    monkeypatch.setattr(cookiecutter_hooks, "run_hook", real_run_hook)
    status, _, err = polster(capsys, "init", "p", "--no-input")
    assert status == 0, err  # nothing blocks a second attempt


def test_a_failing_post_gen_hook_is_one_line_exit_1(box, capfd, monkeypatch):
    monkeypatch.chdir(box)

    def failing(hook_name, project_dir, context):
        if hook_name == "post_gen_project":
            os.write(2, b"Traceback (most recent call last):\n  ...\n")
            os.write(2, b"error: could not finish the project: No space left on device\n")
            raise FailedHookException("Hook script failed (exit status: 1)")

    monkeypatch.setattr(cookiecutter_hooks, "run_hook", failing)
    before = snapshot(box)
    status = main(["init", "p", "--no-input"])
    err = capfd.readouterr().err
    assert status == 1
    assert "No space left on device" in one_line_error(err)
    assert snapshot(box) == before


def test_a_refusing_pre_gen_hook_is_one_line_exit_2(box, capfd, monkeypatch):
    monkeypatch.chdir(box)
    # Let a name the hook refuses get past polster's own check of it.
    monkeypatch.setattr(template_hook("pre_gen_project"), "slug_problem", lambda slug: None)
    before = snapshot(box)
    status = main(["init", "dagster", "--no-input"])
    err = capfd.readouterr().err
    assert status == 2
    assert "refused the answers: invalid project slug 'dagster'" in one_line_error(err)
    assert snapshot(box) == before
    assert leftovers(box) == {"home": [], "tmp": []}


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too large write fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("limit", [0, 2000, 6000])
def test_a_full_disk_during_init_leaves_nothing(box, limit):
    before = snapshot(box)
    result = polster_process("init", "p", "--no-input", cwd=box, preexec_fn=_file_size_limit(limit))
    assert result.returncode == 1, result.stderr
    one_line_error(result.stderr)
    assert snapshot(box) == before
    assert leftovers(box) == {"home": [], "tmp": []}
    again = polster_process("init", "p", "--no-input", cwd=box)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("stop", "to_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGHUP, True)],
    ids=["ctrl-c", "kill", "closed-terminal"],
)
def test_a_real_ctrl_c_at_any_moment_leaves_all_or_nothing(box, stop, to_group):
    """A stop signal at several moments after the staging folder appears: Ctrl-C and a
    closed terminal reach the whole process group, ``kill``/``timeout`` only polster.
    The project is then either complete or absent, and nothing is left in TMPDIR."""
    env = clean_env({"HOME": os.environ["HOME"], "TMPDIR": os.environ["TMPDIR"]})
    for delay in (0.0, 0.05, 0.15, 0.3, 0.6):
        before = snapshot(box)
        process = subprocess.Popen(
            [POLSTER, "init", "p", "--no-input"],
            cwd=box,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if any(name.startswith(".p.polster-init-") for name in os.listdir(box)):
                break
            time.sleep(0.002)
        time.sleep(delay)
        try:
            (os.killpg if to_group else os.kill)(process.pid, stop)
        except ProcessLookupError:
            pass
        _, err = process.communicate(timeout=60)
        assert "Traceback" not in err, err
        if (box / "p").exists():
            assert (box / "p" / ".env").is_file() and (
                box / "p" / ".polster-answers.json"
            ).is_file()
            shutil.rmtree(box / "p")
        else:
            assert process.returncode in (1, 128 + stop), err
            one_line_error(err)
        assert snapshot(box) == before, delay
        assert leftovers(box) == {"home": [], "tmp": []}


# --- 9: paths are never templates ---------------------------------------------------------


def test_init_in_folders_named_like_templates_runs_nothing(box, tmp_path):
    mark = tmp_path / "MARKED"
    code = box / "{{cycler.__init__.__globals__.os.system('touch $MARK')}}"
    arithmetic = box / "{{7*7}}"
    for folder in (code, arithmetic):
        folder.mkdir()
        env = clean_env(
            {"HOME": os.environ["HOME"], "TMPDIR": os.environ["TMPDIR"], "MARK": str(mark)}
        )
        result = subprocess.run(
            [POLSTER, "init", "p", "--no-input"], cwd=folder, env=env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert (folder / "p" / ".polster-answers.json").is_file()
        added = polster_process(
            "add-asset", "--layer", "bronze", "--name", "orders", cwd=folder / "p"
        )
        assert added.returncode == 0, added.stderr
        assert (folder / "p" / "src/core/bronze_orders.py").is_file()
    assert not mark.exists()
    assert not (box / "49").exists()
    elsewhere = box / "{% if true %}out{% endif %}"
    elsewhere.mkdir()
    result = polster_process("init", "q", "--no-input", "--output-dir", str(elsewhere), cwd=box)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "q" / "run_polster.py").is_file()
    assert not (box / "out").exists()
    assert leftovers(box) == {"home": [], "tmp": []}


# --- 12: nothing left in the temporary or home folder -------------------------------------


def test_commands_leave_nothing_in_tmp_or_home(box):
    assert polster_process("init", "p", "--no-input", cwd=box).returncode == 0
    project = box / "p"
    assert (
        polster_process("add-asset", "--layer", "bronze", "--name", "a", cwd=project).returncode
        == 0
    )
    assert polster_process("remove-asset", "a", "--layer", "bronze", cwd=project).returncode == 0
    assert leftovers(box) == {"home": [], "tmp": []}
    assert not [name for name in os.listdir(project) if name.startswith(".polster-remove")]


# --- 15: faults while moving files in, init targets, prompts -------------------------------


def test_add_asset_when_tests_is_a_file_is_exit_1_and_leaves_no_folder(project, box, capsys):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.polster.lint.layer-folders]\nbronze = "raw"\n'
    )
    shutil.rmtree(project / "tests")
    (project / "tests").write_text("not a folder\n")
    before = snapshot(box)
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 1
    assert "Not a directory: tests" in one_line_error(err) and "nothing was added" in err
    assert snapshot(box) == before  # the new raw/ folder went again too


def test_add_asset_into_an_unchangeable_tests_folder_is_exit_1(project, box):
    before = snapshot(box)
    immutable(project / "tests")
    try:
        result = polster_process("add-asset", "--layer", "bronze", "--name", "x", cwd=project)
    finally:
        mutable(project / "tests")
    assert result.returncode == 1
    assert "Operation not permitted" in one_line_error(result.stderr)
    assert snapshot(box) == before


@pytest.mark.parametrize("role", ["src/core/bronze_x.py", "tests/test_bronze_x.py"])
def test_a_dangling_link_at_a_target_is_taken(project, box, capsys, role):
    (project / role).symlink_to(box.parent / "nowhere")
    before = snapshot(box)
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 2 and f"{role} already exists" in one_line_error(err)
    assert snapshot(box) == before
    assert not (box.parent / "nowhere").exists()


def test_a_file_created_meanwhile_is_never_overwritten(project, box, capsys, monkeypatch):
    import polster.add_asset as add_asset_module

    real = add_asset_module._make_folders
    late = project / "tests" / "test_bronze_x.py"

    def racing(folder, created):
        real(folder, created)
        if folder == late.parent and not late.exists():
            late.write_text("someone else's\n")  # appears after the checks

    monkeypatch.setattr(add_asset_module, "_make_folders", racing)
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 2 and "already exists" in one_line_error(err)
    assert late.read_text() == "someone else's\n"
    assert not (project / "src/core/bronze_x.py").exists()
    assert not (project / ASSETS / "bronze/run_bronze_x.py").exists()


def test_concurrent_adds_of_one_name_one_wins_and_the_other_exits_2(project):
    command = [POLSTER, "add-asset", "--layer", "bronze", "--name", "twin", "--no-input"]
    env = clean_env({"HOME": os.environ["HOME"], "TMPDIR": os.environ["TMPDIR"]})
    processes = [
        subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    errors = [process.communicate(timeout=120)[1] for process in processes]
    results = [(process.returncode, err) for process, err in zip(processes, errors, strict=True)]
    assert sorted(status for status, _ in results) == [0, 2], results
    (err,) = [err for status, err in results if status]
    assert "already exists" in one_line_error(err)
    for relative in ("src/core/bronze_twin.py", f"{ASSETS}/bronze/run_bronze_twin.py"):
        compile((project / relative).read_text(), relative, "exec")
    assert (project / "tests/test_bronze_twin.py").is_file()


@pytest.mark.parametrize("kind", ["dangling output dir", "dangling target", "file as output"])
def test_init_into_what_is_not_a_folder_is_exit_2(box, capsys, monkeypatch, kind):
    monkeypatch.chdir(box)
    if kind == "dangling output dir":
        (box / "out").symlink_to(box.parent / "nowhere")
        argv = ["init", "p", "--no-input", "--output-dir", str(box / "out")]
    elif kind == "dangling target":
        (box / "p").symlink_to(box.parent / "nowhere")
        argv = ["init", "p", "--no-input"]
    else:
        argv = ["init", "p", "--no-input", "--output-dir", str(box / "mine.txt")]
    before = snapshot(box)
    status, _, err = polster(capsys, *argv)
    assert status == 2
    one_line_error(err)
    assert snapshot(box) == before
    assert not (box.parent / "nowhere").exists()


def test_init_into_an_unchangeable_folder_is_exit_1(box):
    target = box / "locked"
    target.mkdir()
    immutable(target)
    try:
        result = polster_process("init", "p", "--no-input", "--output-dir", str(target), cwd=box)
    finally:
        mutable(target)
    assert result.returncode == 1
    assert "Operation not permitted" in one_line_error(result.stderr)
    assert os.listdir(target) == []


def test_interactive_init_takes_typed_text_literally(box):
    typed = "{{ 7*7 }} and {% raw %} stay as typed"
    result = polster_process("init", "p", cwd=box, input=f"\n{typed}\n\n\n\n\n\n")
    assert result.returncode == 0, result.stderr
    stored = json.loads((box / "p" / ".polster-answers.json").read_text())["cookiecutter"]
    assert stored["description"] == typed and stored["project_slug"] == "p"
    assert typed in (box / "p" / "README.md").read_text()


def test_layout_settings_place_the_files_where_the_linter_looks(project, capsys):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.polster.lint.layer-folders]\nbronze = "raw"\n'
    )
    (project / ASSETS / "bronze").rename(project / ASSETS / "raw")
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 0, err
    assert (project / ASSETS / "raw" / "run_bronze_x.py").is_file()
    status, out, _ = polster(
        capsys, "list-assets", "--format", "json", "--project-dir", str(project)
    )
    rows = {row["key"]: row for row in json.loads(out)}
    assert rows["bronze/x"]["files"]["asset"] == f"{ASSETS}/raw/run_bronze_x.py"


@pytest.mark.parametrize("folder", ["..", "."])
def test_layout_settings_that_leave_the_layer_folder_are_refused(project, box, capsys, folder):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f'\n[tool.polster.lint.layer-folders]\nbronze = "{folder}"\n'
    )
    before = snapshot(box)
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 2 and "plain folder" in one_line_error(err)
    assert snapshot(box) == before


def test_a_linked_folder_leading_outside_is_refused(project, box, capsys, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(project / "tests")
    (project / "tests").symlink_to(outside)
    status, _, err = polster(
        capsys, "add-asset", "--layer", "bronze", "--name", "x", "--project-dir", str(project)
    )
    assert status == 2 and "outside the project" in one_line_error(err)
    assert os.listdir(outside) == []


@pytest.mark.parametrize("command", ["add-asset", "list-assets", "remove-asset"])
def test_a_project_dir_that_does_not_exist_is_exit_2(project, capsys, command):
    missing = project / "src" / "no_such_folder"
    extra = {"add-asset": ["--layer", "bronze", "--name", "x"],
             "remove-asset": ["example", "--layer", "bronze"]}.get(command, [])  # fmt: skip
    status, _, err = polster(capsys, command, *extra, "--project-dir", str(missing))
    assert status == 2 and "does not exist" in one_line_error(err)


def exit_status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's usage errors
        return int(stop.code or 0)


def test_usage_errors_and_user_text_stay_on_one_line(project, capsys):
    for argv in (
        ["add-asset", "--layer", "platinum"],
        ["add-asset", "--nme", "x\ny"],
        ["remove-asset", "a\nb", "--layer", "bronze", "--project-dir", str(project)],
        ["add-asset", "--layer", "silver", "--name", "x", "--deps", "a\nb",
         "--project-dir", str(project)],
    ):  # fmt: skip
        assert exit_status(argv) == 2
        one_line_error(capsys.readouterr().err)
