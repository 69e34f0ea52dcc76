"""polster-lint against a hostile repository: forged or damaged caches, and keys that try
to break out of the graph formats."""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from polster_lint.adapters.cache import FactsCache

from conftest import POLSTER_LINT, clean_env
from test_lint_rules import ASSETS, make_project

GOLD_FROM_BRONZE = """\
import dagster as dg


@dg.asset(key=["gold", "revenue"], group_name="gold", deps=[dg.AssetKey(["bronze", "orders"])])
def gold_revenue() -> None: "The gold_revenue table."
"""


def lint(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = clean_env({"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")})
    return subprocess.run(
        [POLSTER_LINT, str(root), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_cache_that_came_with_the_repository_cannot_hide_a_violation(tmp_path):
    """The attack: commit a cache whose entry for a violating file carries the file's new
    hash and stat but the facts of its clean version. A fresh clone must still fail."""
    attacker, victim = tmp_path / "attacker", tmp_path / "victim"
    root = make_project(tmp_path / "repo", {})
    assert lint(root, attacker).returncode == 0  # the attacker's cache of the clean tree
    cache_file = root / ".polster_cache" / "lint.json"
    signature, _, body = cache_file.read_bytes().partition(b"\n")
    document = json.loads(body)
    gold = root / ASSETS / "gold" / "run_gold_revenue.py"
    gold.write_text(GOLD_FROM_BRONZE)
    # An entry is "size mtime content-hash facts-digest offset length": give it the new
    # file's size, time and hash, and leave it pointing at the clean facts.
    key = f"{ASSETS}/gold/run_gold_revenue.py"
    stat = gold.stat()
    new_hash = hashlib.blake2b(gold.read_bytes(), digest_size=16).hexdigest()
    rest = document["files"][key].split(" ")[3:]
    document["files"][key] = " ".join([str(stat.st_size), str(stat.st_mtime_ns), new_hash, *rest])
    forged = json.dumps(document, separators=(",", ":")).encode()
    # Signed with the attacker's key, with none, or with garbage: the victim's key differs.
    for forged_signature in (signature, b"0" * len(signature), b""):
        cache_file.write_bytes(forged_signature + b"\n" + forged)
        result = lint(root, victim, "--format", "github")
        assert result.returncode == 1 and "POL002" in result.stdout, result


DAMAGED_FACTS = [
    {"symbols": ["not", "a", "mapping"]},
    {"noqa": ["POL002"]},
    {"noqa": {"x": ["POL002"]}},
    {"assets": "everything"},
    {"assets": [{"key": ["gold", "revenue"], "anchor": "first"}]},
    {"reads": [{"key": 5, "text": "", "anchor": -1}]},
    {"module": None},
    {},  # the facts are fine; the positions below are not
]


@pytest.mark.parametrize("damage", DAMAGED_FACTS)
def test_a_damaged_cache_entry_is_a_miss(tmp_path, monkeypatch, damage):
    """Entries in a shape the code never writes (validly signed, as if by a bug or another
    build of the same version) are re-parsed, never trusted or crashed on."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    root = make_project(tmp_path / "repo", {f"{ASSETS}/gold/run_gold_revenue.py": GOLD_FROM_BRONZE})
    assert lint(root, home).returncode == 1
    cache = FactsCache.for_project(root)
    assert cache is not None and cache.entries
    for entry in cache.entries.values():
        entry["facts"].update(damage)
        entry["positions"] = [] if not damage else [["one", 1]]  # too few, or not numbers
    cache.changed = True
    cache.save()
    for _ in range(2):  # the run after the miss reads what the first one stored again
        result = lint(root, home)
        assert result.returncode == 1, result.stderr
        assert "POL002" in result.stdout and "internal error" not in result.stderr
        assert f"{ASSETS}/gold/run_gold_revenue.py:4:61:" in result.stdout


HOSTILE_KEYS = [
    'x"] --> evil["pwn',
    'a" -> "b',
    "back\\\\slash",
    "new\\nline",
    "semi;colon",
    "#35;",
]


@pytest.mark.parametrize("hostile", HOSTILE_KEYS)
def test_graph_formats_escape_key_text(tmp_path, hostile):
    source = f"""\
import dagster as dg


@dg.asset(key=["bronze", "{hostile}"], group_name="bronze")
def odd() -> None: ...
"""
    root = make_project(tmp_path / "repo", {f"{ASSETS}/bronze/run_bronze_odd.py": source})
    home = tmp_path / "home"
    mermaid = lint(root, home, "--graph", "mermaid").stdout
    edges = [line for line in mermaid.splitlines() if "-->" in line]
    assert len(edges) == 2, mermaid
    assert all(line.strip().split(" --> ")[0].startswith("a") for line in edges)
    node_lines = [line for line in mermaid.splitlines() if line.strip().startswith("a")]
    assert all(line.count('"') in (0, 2) for line in node_lines), mermaid
    dot = lint(root, home, "--graph", "dot").stdout
    edges = [line for line in dot.splitlines() if "->" in line]
    assert len(edges) == 2, dot
    # Every quoted ID closes where it should: an even number of unescaped quotes a line.
    for line in dot.splitlines():
        assert line.replace("\\\\", "").replace('\\"', "").count('"') % 2 == 0, line


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "folder-outside"])
def test_a_hostile_cache_path_is_neither_read_nor_written_through(tmp_path, kind):
    """A repository can carry .polster_cache as a link to /dev/zero, a FIFO, or a link to a
    folder elsewhere: the run must not hang, blow up, or write outside the project."""
    root = make_project(tmp_path / "repo", {f"{ASSETS}/gold/run_gold_revenue.py": GOLD_FROM_BRONZE})
    folder = root / ".polster_cache"
    outside = tmp_path / "outside"
    outside.mkdir()
    if kind == "folder-outside":
        folder.symlink_to(outside, target_is_directory=True)
    else:
        folder.mkdir()
        if kind == "fifo":
            os.mkfifo(folder / "lint.json")
        else:
            (folder / "lint.json").symlink_to("/dev/zero")
    for _ in range(2):
        result = lint(root, tmp_path / "home")
        assert result.returncode == 1 and "POL002" in result.stdout, result.stderr
    assert list(outside.iterdir()) == []


def test_a_signing_key_inside_the_checkout_is_never_used(tmp_path):
    """CI often sets XDG_CACHE_HOME inside the checkout: a pull request could then ship
    the key and a cache signed with it. Such a key is ignored (the run is cold)."""
    root = make_project(tmp_path / "repo", {})
    env = clean_env({"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(root / ".cache")})
    run = subprocess.run([POLSTER_LINT, str(root)], capture_output=True, text=True, env=env)
    assert run.returncode == 0
    assert not (root / ".cache").exists() and not (root / ".polster_cache" / "lint.json").exists()
    relative = clean_env({"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": "{{7*7}}"})
    run = subprocess.run(
        [POLSTER_LINT, str(root)], capture_output=True, text=True, env=relative, cwd=root
    )
    assert run.returncode == 0 and not (root / "{{7*7}}").exists()


@pytest.mark.parametrize("kind", ["link-outside", "empty"])
def test_the_cache_gitignore_is_never_written_through_a_link_and_is_repaired(tmp_path, kind):
    root = make_project(tmp_path / "repo", {})
    folder = root / ".polster_cache"
    folder.mkdir()
    outside = tmp_path / "OUTSIDE"
    if kind == "link-outside":
        (folder / ".gitignore").symlink_to(outside)
    else:
        (folder / ".gitignore").write_text("")  # as a full disk leaves it
    assert lint(root, tmp_path / "home").returncode == 0
    assert not outside.exists()
    ignore = folder / ".gitignore"
    assert not ignore.is_symlink() and ignore.read_text().endswith("*\n")


def test_a_key_file_that_is_a_fifo_or_dev_zero_does_not_hang(tmp_path):
    home = tmp_path / "home"
    key_folder = home / ".cache" / "polster"
    key_folder.mkdir(parents=True)
    os.mkfifo(key_folder / "cache-key")
    root = make_project(tmp_path / "repo", {})
    assert lint(root, home).returncode == 0  # within lint()'s timeout: no hang
    (key_folder / "cache-key").unlink()
    (key_folder / "cache-key").symlink_to("/dev/zero")
    assert lint(root, home).returncode == 0
