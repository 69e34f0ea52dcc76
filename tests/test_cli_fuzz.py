"""Fuzzing the ``polster`` commands with hostile text, from a seeded generator.

Each round picks a command (init, add-asset, list-assets, remove-asset) and fills its
arguments, the project's answers file or its ``[tool.polster.lint]`` table with hostile
strings: Jinja payloads, NUL bytes, ``..``, absolute paths, very long text, line breaks,
unusual Unicode, shell metacharacters. Whatever happens, the promise holds:

* the exit status is 0, 1 or 2, and a failure says so in one line on stderr;
* nothing is written outside the project (or, for init, the new project folder): the
  whole world around it (a sentinel folder, HOME, TMPDIR) is snapshotted;
* nothing is half-written: a failed command leaves the project exactly as it was, a
  successful one adds (or removes) exactly the asset's files.

The seed is fixed, so a failure can be replayed (POLSTER_FUZZ_SEED picks another); the
number of rounds is bounded by time. Most rounds call the command in this process (the
nested cookiecutter runs and their hooks are real); some run it as a real process.
"""

import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from polster.cli import main
from polster.template import template_hook
from polster_lint.adapters.pyproject import load_config

from conftest import POLSTER, bake, clean_env

slug_problem = template_hook("pre_gen_project").slug_problem

SEED = int(os.environ.get("POLSTER_FUZZ_SEED", "20261202"))
# Seconds of rounds, on top of the set-up: enough for the suite to try every fragment kind
# in every command; a longer hunt is POLSTER_FUZZ_SECONDS=600 with another seed.
TIME_BUDGET = float(os.environ.get("POLSTER_FUZZ_SECONDS", "30"))
MAX_ROUNDS = 400
SUBPROCESS_EVERY = 12  # every n-th round runs the real `polster` executable

ASSETS = "src/orchestration/assets"
LAYERS = ("bronze", "silver", "gold")

FRAGMENTS = [
    # Jinja, as cookiecutter would run it
    "{{ 7*7 }}",
    "{{7*7}}",
    "{% raw %}",
    "{%- endraw %}",
    "{# comment",
    "{{ cookiecutter.project_slug }}",
    "{{cycler.__init__.__globals__.os.system('touch MARK')}}",
    "{% for x in range(3) %}x{% endfor %}",
    "}}",
    "{%",
    # paths
    "..",
    "../..",
    "../../evil",
    "/tmp/polster-fuzz-evil",
    "/",
    "/etc/passwd",
    "./",
    "~",
    "src/core",
    "tests",
    # control characters and line breaks
    "\x00",
    "a\x00b",
    "\n",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "\u2028",
    "\x85",
    # Unicode
    "日本語",
    "ünïcödé",
    "😀",
    "\u202e",
    "e\u0301",
    "\ufeff",
    "\udcff",
    "İ",
    # shell metacharacters and quoting
    "$(touch MARK)",
    "`touch MARK`",
    "; rm -rf ~",
    "| cat",
    "&& echo",
    "*",
    "?",
    "'",
    '"',
    '"""',
    "\\",
    "C:\\Users\\x",
    "%s%n",
    # look like real values
    "orders",
    "example",
    "bronze/example",
    "silver/example",
    "bronze",
    "-h",
    "--force",
    "",
    " ",
]


def hostile(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.08:
        return rng.choice(FRAGMENTS) * rng.choice([40, 400, 3000])  # very long
    if kind < 0.15:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 30)))
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, 4)))


def snapshot(root: Path) -> dict[str, object]:
    """Every folder, file (with content) and link below ``root``; lint caches aside."""
    found: dict[str, object] = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name != ".polster_cache"]
        for name in subfolders + files:
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if relative.startswith("home/.cache"):  # the linter's cache key lives there
                continue
            if path.is_symlink():
                found[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                found[relative] = "folder"
            else:
                found[relative] = path.read_bytes()
    return found


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (TOML has no lone surrogates: they are dropped)."""
    text = text.encode("utf-8", "ignore").decode("utf-8")
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in text
    )
    return f'"{escaped}"'


class World:
    """The sentinel folder: HOME, TMPDIR, a working folder and a project, nothing else."""

    def __init__(self, root: Path, baked: Path) -> None:
        self.root = root
        self.baked = baked
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.work = root / "work"
        self.project = self.work / "p"
        for folder in (self.home, self.tmp, self.work):
            folder.mkdir(parents=True)
        (root / "sentinel.txt").write_text("must stay as it is\n")
        (self.work / "notes.txt").write_text("the user's notes\n")
        for name in ("{{7*7}}", "{{cycler.__init__.__globals__.os.system('touch MARK')}}"):
            (self.work / name).mkdir()

    def fresh_project(self) -> None:
        if self.project.exists():
            shutil.rmtree(self.project)
        shutil.copytree(self.baked, self.project, symlinks=True)

    def env(self) -> dict[str, str]:
        return clean_env({"HOME": str(self.home), "TMPDIR": str(self.tmp)})


def run_polster(world: World, argv: list[str], real_process: bool, capfd) -> tuple[int, str]:
    if real_process:
        # A NUL cannot be in a real process's arguments; \udcff becomes the byte 0xff.
        argv = [arg.replace("\x00", "") for arg in argv]
        result = subprocess.run(
            [POLSTER, *argv],
            cwd=world.work,
            env=world.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stderr
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse: --help, usage errors
        status = stop.code if isinstance(stop.code, int) else 2
    return status, capfd.readouterr().err


ANSWERS = "work/p/.polster-answers.json"
"""The project's answers file, relative to the world."""


def asset_files(world: World, layer: str, name: str) -> set[str]:
    """The asset's files (and the folders above them) in the project's layout, relative
    to the world: what add-asset and remove-asset may change."""
    if layer not in LAYERS:
        return set()
    try:
        relatives = load_config(world.project).asset_files(layer, name).values()
    except Exception:  # a spoiled configuration: the command must fail anyway
        return set()
    allowed: set[str] = set()
    for relative in relatives:
        path = Path("work/p", relative)
        allowed.add(path.as_posix())
        allowed.update(parent.as_posix() for parent in path.parents if len(parent.parts) > 2)
    return allowed


def round_init(rng: random.Random, world: World) -> tuple[list[str], str]:
    """``polster init`` with a hostile name or output folder; what it may create."""
    argv = ["init"]
    inside = rng.choice(
        [None, "{{7*7}}", "{{cycler.__init__.__globals__.os.system('touch MARK')}}"]
    )
    if rng.random() < 0.5:
        name = rng.choice(["fuzzed", "fuzzed_two", "p"])  # p exists: refused
        argv.append(name)
        if inside is not None:
            argv += ["--output-dir", str(world.work / inside)]
    else:
        # Never a valid name here: the output folder may be any real folder, even /.
        name = hostile(rng)
        while slug_problem(name) is None:
            name = hostile(rng)
        argv.append(name)
        if rng.random() < 0.5:
            argv += ["--output-dir", rng.choice([hostile(rng), str(world.work / hostile(rng))])]
    if rng.random() < 0.2:
        argv += ["--storage", rng.choice(["local", "adls", hostile(rng)])]
    argv.append("--no-input")
    folder = "work" if inside is None else f"work/{inside}"
    return argv, f"{folder}/{name}"


def round_add_asset(rng: random.Random, world: World) -> tuple[list[str], tuple[str, str]]:
    layer = rng.choice([*LAYERS, *LAYERS, hostile(rng)])
    name = rng.choice(["orders", "daily_kpis", "x", hostile(rng), hostile(rng)])
    argv = ["add-asset", "--layer", layer, "--name", name, "--no-input"]
    if layer != "bronze" or rng.random() < 0.3:
        deps = {"silver": "bronze/example", "gold": "example"}.get(layer, hostile(rng))
        argv += ["--deps", rng.choice([deps, deps, hostile(rng)])]
    if rng.random() < 0.6:
        argv += ["--description", hostile(rng)]
    if rng.random() < 0.2:
        argv.append("--dry-run")
    if rng.random() < 0.3:
        argv += ["--project-dir", rng.choice([str(world.project), hostile(rng)])]
    return argv, (layer, name)


def round_list_assets(rng: random.Random, world: World) -> tuple[list[str], None]:
    argv = ["list-assets"]
    if rng.random() < 0.5:
        argv += ["--format", rng.choice(["json", "text", hostile(rng)])]
    if rng.random() < 0.4:
        argv += ["--project-dir", rng.choice([str(world.project), hostile(rng)])]
    return argv, None


def round_remove_asset(rng: random.Random, world: World) -> tuple[list[str], tuple[str, str]]:
    layer = rng.choice([*LAYERS, hostile(rng)])
    name = rng.choice(["example", "example", hostile(rng)])
    argv = ["remove-asset", name, "--layer", layer]
    argv += rng.choice([[], ["--force"], ["--dry-run"], ["--force", "--dry-run"]])
    if rng.random() < 0.3:
        argv += ["--project-dir", rng.choice([str(world.project), hostile(rng)])]
    return argv, (layer, name)


def spoil_answers(rng: random.Random, world: World) -> None:
    answers_file = world.project / ".polster-answers.json"
    stored = json.loads(answers_file.read_text())
    choice = rng.random()
    if choice < 0.4:
        key = rng.choice(["project_slug", "storage_backend", "description", "ci_workflow"])
        stored["cookiecutter"][key] = rng.choice(
            [hostile(rng), None, 5, [hostile(rng)], {"x": hostile(rng)}, True, 1.5]
        )
        text = json.dumps(stored)
    elif choice < 0.7:
        text = json.dumps(rng.choice([[], "x", None, 5, {"cookiecutter": hostile(rng)}]))
    else:
        text = hostile(rng)
    answers_file.write_bytes(text.encode("utf-8", "surrogateescape"))


def spoil_settings(rng: random.Random, world: World) -> None:
    pyproject = world.project / "pyproject.toml"
    option = rng.choice(
        ["assets-dir", "core-dir", "source-root", "definitions-module", "external", "select",
         "ignore", "allow-same-layer", "layer-folders", "tool", "raw"]
    )  # fmt: skip
    value = hostile(rng)
    if option == "layer-folders":
        table = (
            f"\n[tool.polster.lint.layer-folders]\n{rng.choice(LAYERS)} = {toml_string(value)}\n"
        )
    elif option == "tool":
        table = "\n[tool]\npolster = 5\n"
    elif option == "raw":
        table = f"\n[tool.polster.lint]\n{value}\n"
    elif option in ("external", "select", "ignore"):
        table = f"\n[tool.polster.lint]\n{option} = [{toml_string(value)}]\n"
    else:
        table = f"\n[tool.polster.lint]\n{option} = {toml_string(value)}\n"
    with pyproject.open("ab") as sink:
        sink.write(table.encode("utf-8", "surrogateescape"))


ROUNDS = [round_init, round_add_asset, round_add_asset, round_list_assets, round_remove_asset]


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz-baked")
    project = bake(out, project_name="P", project_slug="p")
    shutil.rmtree(out / ".replay", ignore_errors=True)
    return project


def test_hostile_input_never_breaks_the_promise(baked, tmp_path, monkeypatch, capfd):
    rng = random.Random(SEED)
    world = World(tmp_path / "world", baked)
    monkeypatch.setenv("HOME", str(world.home))
    monkeypatch.setenv("TMPDIR", str(world.tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.chdir(world.work)
    started = time.monotonic()
    rounds = 0
    statuses: dict[int, int] = {}
    while rounds < MAX_ROUNDS and time.monotonic() - started < TIME_BUDGET:
        rounds += 1
        world.fresh_project()
        make_round = rng.choice(ROUNDS)
        argv, target = make_round(rng, world)
        spoiled = None
        if make_round is not round_init and rng.random() < 0.25:
            spoiled = rng.choice([spoil_answers, spoil_settings])
            spoiled(rng, world)
        may_change = asset_files(world, *target) if isinstance(target, tuple) else set()
        real_process = rounds % SUBPROCESS_EVERY == 0
        before = snapshot(world.root)
        capfd.readouterr()
        status, err = run_polster(world, argv, real_process, capfd)
        after = snapshot(world.root)
        case = f"round {rounds} (seed {SEED}): polster {argv!r}, spoiled by {spoiled}"

        assert status in (0, 1, 2), f"{case}: exit status {status}, stderr {err!r}"
        statuses[status] = statuses.get(status, 0) + 1
        assert "Traceback" not in err, f"{case}: {err}"
        if status != 0:
            assert err.count("\n") == 1 and err.endswith("\n"), f"{case}: {err!r}"
            assert err.startswith("polster"), f"{case}: {err!r}"
            if spoiled is not spoil_settings:  # the linter's settings are another module's
                assert "internal error" not in err, f"{case}: {err!r}"
            assert after == before, f"{case}: changed files although it failed: {err!r}"
            continue
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        if make_round is round_init:
            new_project = str(target)
            outside = {key for key in changed if not key.startswith(new_project + "/")}
            assert outside <= {new_project}, f"{case}: wrote {sorted(outside)}"
            if changed:
                assert f"{new_project}/.polster-answers.json" in after, case
                shutil.rmtree(world.root / new_project)
            continue
        # A successful add or remove also records (or drops) the asset in the answers file.
        changed.discard(ANSWERS)
        assert changed <= may_change, f"{case}: changed {sorted(changed - may_change)}"
        if changed and argv[0] == "add-asset":
            new_files = {key for key in changed if after.get(key) not in (None, "folder")}
            assert new_files == {key for key in may_change if key.endswith(".py")}, (
                f"{case}: half-written: {sorted(changed)}"
            )
            for key in new_files:
                compile(after[key], key, "exec")
        if changed and argv[0] == "remove-asset":
            removed = {key for key in may_change if key in before and before[key] != "folder"}
            assert changed == removed and not (removed & after.keys()), f"{case}: half-removed"
    assert rounds >= 25, f"only {rounds} rounds in {TIME_BUDGET} s"
    assert statuses.get(0) and statuses.get(2), statuses  # both paths were exercised
    assert "MARK" not in os.listdir(world.work)
