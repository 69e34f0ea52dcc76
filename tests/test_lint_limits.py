"""What one file may cost polster-lint and ``polster list-assets``: bounded, and said.

A pull request can put anything in a project: a 50 MB module, a link to ``/dev/zero``, a
FIFO named like a module, links out of the project or in circles, code nested so deeply
that libcst takes seconds per line or overflows its stack. Each must end as one POL000
line naming the reason (exit status 1), quickly and in bounded memory; nothing may hang,
crash or show a traceback. The commands run as subprocesses, as CI and the commit hook
run them, with a timeout and an address-space limit, so that a regression fails here
instead of taking the machine down.

Valid Python that used to be misread is linted for real: 1,500 implicitly concatenated
strings are not "nested too deeply", and 3,001 of them (more than libcst parses) are not
called a syntax error.
"""

import ast
import json
import os
import resource
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import POLSTER, POLSTER_LINT, clean_env
from test_lint_rules import ASSETS, make_project

MEMORY_LIMIT = 1536 * 1024 * 1024
"""Address space a command may use: the linter needs about 100 MB of it on these cases."""

MB = 1024 * 1024
GOLD = f"{ASSETS}/gold"

CLEAN_GOLD = """\
import dagster as dg


@dg.asset(key=["gold", "{name}"], group_name="gold", deps=[dg.AssetKey(["silver", "orders"])])
def gold_{name}() -> None: "The {name} table."
"""

GOLD_READS_BRONZE = """\
import dagster as dg


@dg.asset(key=["gold", "{name}"], group_name="gold", deps=[dg.AssetKey(["bronze", "orders"])])
def gold_{name}() -> None: "The {name} table."
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(command: list[str], cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a command with a timeout and a memory limit; it must never show a traceback."""
    env = clean_env({"XDG_CACHE_HOME": str(cwd / ".test-cache-home")})
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)
    return result


def lines_about(output: str, relative: str) -> list[str]:
    return [line for line in output.splitlines() if relative in line]


def concatenation(parts: int) -> str:
    """``("p0" "p1" ...)`` over several lines: valid Python, one string for CPython."""
    return "(\n" + "".join(f'    "p{i}"\n' for i in range(parts)) + ")"


# --- one project with every hostile file, linted cold and warm ------------------------


HOSTILE: dict[str, str] = {
    # relative path -> what its single POL000 line must say
    f"{GOLD}/run_gold_big.py": "the file is 5 MB, over the 1 MB limit",
    f"{GOLD}/run_gold_huge.py": "the file is 50 MB, over the 1 MB limit",
    f"{GOLD}/run_gold_zero.py": "a symbolic link to /dev/zero, outside the project",
    f"{GOLD}/run_gold_random.py": "a symbolic link to /dev/urandom, outside the project",
    f"{GOLD}/run_gold_fifo.py": "a named pipe (FIFO), not a regular file",
    f"{GOLD}/run_gold_outside.py": "outside the project; polster-lint does not follow it",
    f"{GOLD}/linked_folder": "outside the project; polster-lint does not follow it",
    f"{GOLD}/run_gold_loop.py": "a symbolic link that loops back on itself",
    f"{GOLD}/run_gold_ping.py": "a symbolic link that loops back on itself",
    f"{GOLD}/run_gold_broken.py": "a symbolic link to nowhere.py, which does not exist",
    f"{GOLD}/run_gold_dense.py": "tokens, over the 65,536 polster-lint parses in one module",
    f"{GOLD}/run_gold_chain.py": "nested too deeply to analyse (2904 levels; the limit is 100)",
    f"{GOLD}/run_gold_ands.py": "nested too deeply to analyse",
    f"{GOLD}/run_gold_dotted.py": "nested too deeply to analyse",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, object]:
    box = tmp_path_factory.mktemp("hostile")
    outside = box / "outside"
    outside.mkdir()
    # Files outside the project that would be violations if the linter read them.
    (outside / "run_gold_outside.py").write_text(GOLD_READS_BRONZE.format(name="outside"))
    (outside / "folder").mkdir()
    (outside / "folder" / "run_gold_hidden.py").write_text(GOLD_READS_BRONZE.format(name="h"))
    root = make_project(
        box / "project",
        {
            f"{GOLD}/run_gold_big.py": b"x = 1\n" * (5 * MB // 6 + 1),
            f"{GOLD}/run_gold_huge.py": b"# " + b"x" * (50 * MB) + b"\n",
            # 600 KB: under the size limit, but 450,000 tokens (libcst: 14 s and 1.3 GB).
            f"{GOLD}/run_gold_dense.py": b"x=1\n" * 150_000,
            # CPython reads these; libcst took 10 s for the chain and segfaulted on the rest.
            f"{GOLD}/run_gold_chain.py": b"x = (a" + b"\n[0]" * 2900 + b")\n",
            f"{GOLD}/run_gold_ands.py": b"x = (1" + b"\nand 1" * 10_000 + b")\n",
            f"{GOLD}/run_gold_dotted.py": b"import " + b".".join([b"a"] * 10_000) + b"\n",
            # Files elsewhere in the project: read through links (one file, one folder).
            "shared/run_gold_shared.py": GOLD_READS_BRONZE.format(name="shared"),
            "shared_assets/run_gold_extra.py": GOLD_READS_BRONZE.format(name="extra"),
            f"{GOLD}/run_gold_clean.py": CLEAN_GOLD.format(name="clean"),
        },
    )
    gold = root / GOLD
    (gold / "run_gold_zero.py").symlink_to("/dev/zero")
    (gold / "run_gold_random.py").symlink_to("/dev/urandom")
    os.mkfifo(gold / "run_gold_fifo.py")
    (gold / "run_gold_outside.py").symlink_to(outside / "run_gold_outside.py")
    (gold / "linked_folder").symlink_to(outside / "folder")
    (gold / "run_gold_loop.py").symlink_to("run_gold_loop.py")
    (gold / "run_gold_ping.py").symlink_to("run_gold_pong.py")
    (gold / "run_gold_pong.py").symlink_to("run_gold_ping.py")
    (gold / "run_gold_broken.py").symlink_to("nowhere.py")
    (gold / "back_up").symlink_to("..")  # a folder loop: inside the tree, not walked again
    (gold / "run_gold_alias.py").symlink_to(root / "shared" / "run_gold_shared.py")
    (gold / "more").symlink_to(root / "shared_assets")
    sockets = Path(tempfile.mkdtemp(prefix="pl-", dir=box))
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sockets / "s"))
        try:
            os.rename(sockets / "s", gold / "run_gold_socket.py")
        except OSError:
            pass  # another file system: the FIFO covers the non-regular files

    runs = []
    for options in (["--no-cache"], [], []):  # cold, then a cache written and read back
        started = time.monotonic()
        result = run([POLSTER_LINT, *options], cwd=root)
        runs.append((result, time.monotonic() - started))
    return {"root": root, "runs": runs}


def test_hostile_files_are_linted_quickly_in_bounded_memory(hostile):
    for result, seconds in hostile["runs"]:
        assert result.returncode == 1, result.stderr
        assert result.stderr == ""
        assert seconds < 20, seconds


@pytest.mark.parametrize("relative", HOSTILE)
def test_each_hostile_file_is_one_pol000_line(hostile, relative):
    for result, _ in hostile["runs"]:
        [line] = lines_about(result.stdout, relative + ":")
        assert line.startswith(f"{relative}:1:1: POL000 cannot parse: "), line
        assert HOSTILE[relative] in line, line


def test_a_socket_named_like_a_module_is_not_read(hostile):
    relative = f"{GOLD}/run_gold_socket.py"
    if not (hostile["root"] / relative).exists():
        pytest.skip("no socket file could be made here")
    for result, _ in hostile["runs"]:
        [line] = lines_about(result.stdout, relative)
        assert "a socket, not a regular file" in line


def test_links_out_of_the_project_are_never_followed(hostile):
    for result, _ in hostile["runs"]:
        assert "run_gold_hidden" not in result.stdout
        assert "gold/outside" not in result.stdout and "gold/h " not in result.stdout


def test_links_inside_the_project_are_followed_once(hostile):
    for result, _ in hostile["runs"]:
        # A file and a folder linked from elsewhere in the project are linted there.
        for relative in (f"{GOLD}/run_gold_alias.py", f"{GOLD}/more/run_gold_extra.py"):
            [line] = lines_about(result.stdout, relative)
            assert line.startswith(f"{relative}:4:") and ": POL002 " in line, line
        # The link back up the tree is not walked: nothing is reported twice.
        assert "back_up" not in result.stdout
        findings = [line for line in result.stdout.splitlines() if ": POL" in line]
        assert len(findings) == len(set(findings))
        assert not lines_about(result.stdout, "run_gold_clean.py")


def test_list_assets_names_every_hostile_module(hostile):
    root = hostile["root"]
    result = run([POLSTER, "list-assets"], cwd=root)
    assert result.returncode == 1, result.stderr
    for relative in HOSTILE:
        [line] = lines_about(result.stdout, relative + ":")
        assert line.startswith(f"  ! {relative}:1:1: cannot parse: "), line
    assert "  gold/clean <- silver/orders" in result.stdout


# --- valid Python that used to be misread -----------------------------------------------


def test_1500_concatenated_strings_lint_like_any_other_module(tmp_path):
    plain = f"X = {concatenation(1500)}\n\n" + CLEAN_GOLD.format(name="plain")
    # With a finding in the same file, positions are computed through the same long string.
    placed = GOLD_READS_BRONZE.format(name="placed").replace(
        'dg.AssetKey(["bronze", "orders"])]',
        f'dg.AssetKey(["bronze", "orders"]), {concatenation(1500)}]',
    )
    for source in (plain, placed):
        ast.parse(source)  # valid Python
    root = make_project(
        tmp_path, {f"{GOLD}/run_gold_plain.py": plain, f"{GOLD}/run_gold_placed.py": placed}
    )
    result = run([POLSTER_LINT, "--no-cache"], cwd=root)
    assert not lines_about(result.stdout, "run_gold_plain.py"), result.stdout
    assert "POL000" not in result.stdout
    [edge] = [
        line for line in lines_about(result.stdout, "run_gold_placed.py:4:") if "POL002" in line
    ]
    assert "gold/placed depends on bronze/orders" in edge
    # The unknown key made of 1,500 parts is reported too: POL005, not a parse failure.
    assert "p0p1p2" in result.stdout


def test_more_strings_than_libcst_parses_are_not_a_syntax_error(tmp_path):
    source = f"X = {concatenation(3001)}\n"
    ast.parse(source)
    root = make_project(tmp_path, {f"{GOLD}/run_gold_many.py": source})
    result = run([POLSTER_LINT, "--no-cache"], cwd=root)
    [line] = lines_about(result.stdout, "run_gold_many.py")
    assert "valid Python that libcst, the linter's parser, cannot read" in line


# --- the setting --------------------------------------------------------------------------


def test_max_file_size_raises_and_lowers_the_limit(tmp_path):
    # 1.5 MB, nearly all of it one string: few tokens, so a 2 MB limit lets it through.
    big = CLEAN_GOLD.format(name="big") + f'\nTEXT = "{"x" * (3 * MB // 2)}"\n'
    small = CLEAN_GOLD.format(name="small") + f"\n# {'x' * 3000}\n"
    root = make_project(
        tmp_path,
        {f"{GOLD}/run_gold_big.py": big, f"{GOLD}/run_gold_small.py": small},
        pyproject='[tool.polster.lint]\nmax-file-size = "2 MB"\n',
    )
    assert run([POLSTER_LINT, "--no-cache"], cwd=root).returncode == 0
    (root / "pyproject.toml").write_text("[tool.polster.lint]\nmax-file-size = 2048\n")
    result = run([POLSTER_LINT, "--no-cache"], cwd=root)
    [line] = lines_about(result.stdout, "run_gold_small.py")
    assert "the file is 3.1 KB, over the 2 KB limit" in line
    assert "the file is 1.5 MB, over the 2 KB limit" in result.stdout


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1",
        "1023",
        "17000000",
        "true",
        "1.5",
        "[1]",
        '"lots"',
        '"1 GB"',
        '"0.5 KB"',
        '"17 MB"',
        '"99999999999999999999999999999999 MB"',
        '"' + "9" * 5000 + '"',
        '""',
    ],
)
def test_bad_max_file_size_is_one_line_exit_2(tmp_path, value):
    root = make_project(tmp_path, {}, pyproject=f"[tool.polster.lint]\nmax-file-size = {value}\n")
    for command in ([POLSTER_LINT], [POLSTER, "list-assets"]):
        result = run(command, cwd=root)
        assert result.returncode == 2, (value, result.stdout, result.stderr)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and len(result.stderr) < 300, result.stderr
        assert "max-file-size must be a size from 1 KB to 16 MB" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "zero", "outside"])
def test_a_pyproject_that_is_not_a_regular_file_is_one_line_exit_2(tmp_path, kind):
    root = make_project(tmp_path / "project", {})
    pyproject = root / "pyproject.toml"
    pyproject.unlink()
    if kind == "fifo":
        os.mkfifo(pyproject)
    elif kind == "zero":
        pyproject.symlink_to("/dev/zero")
    else:
        (tmp_path / "elsewhere.toml").write_text("")
        pyproject.symlink_to(tmp_path / "elsewhere.toml")
    result = run([POLSTER_LINT], cwd=root)
    assert result.returncode == 2
    assert result.stderr.startswith("polster-lint: error: pyproject.toml: ")
    assert result.stderr.count("\n") == 1


# --- list-assets and a module it cannot parse ---------------------------------------------


def test_list_assets_says_which_module_it_could_not_parse(tmp_path):
    broken = CLEAN_GOLD.format(name="broken").replace("def gold_broken", "def gold_broken(")
    root = make_project(
        tmp_path,
        {f"{GOLD}/run_gold_x.py": broken, f"{GOLD}/run_gold_ok.py": CLEAN_GOLD.format(name="ok")},
    )
    relative = f"{GOLD}/run_gold_x.py"
    text = run([POLSTER, "list-assets"], cwd=root)
    assert text.returncode == 1, text.stderr
    assert "gold (2)" in text.stdout  # gold/revenue and gold/ok; gold/broken is missing
    assert "1 asset module could not be read" in text.stdout
    [line] = lines_about(text.stdout, relative)
    assert line.startswith(f"  ! {relative}:5:") and ": cannot parse: " in line

    listing = run([POLSTER, "list-assets", "--format", "json"], cwd=root)
    assert listing.returncode == 1
    keys = {row["key"] for row in json.loads(listing.stdout)}
    assert keys == {"bronze/orders", "silver/orders", "gold/revenue", "gold/ok"}
    [problem] = listing.stderr.splitlines()
    assert problem.startswith(f"polster: {relative}:5:") and "cannot parse" in problem

    (root / relative).write_text(CLEAN_GOLD.format(name="broken"))
    fixed = run([POLSTER, "list-assets"], cwd=root)
    assert fixed.returncode == 0 and "could not be read" not in fixed.stdout
    assert "gold (3)" in fixed.stdout
