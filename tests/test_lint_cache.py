"""The lint cache is correct: whatever happened between two runs, a run that uses the cache
reports exactly what a run without it reports, and a warm run only parses what changed.

Each test compares ``lint_project`` with the cache against ``lint_project`` without it, on
the same tree, after each change: edits, renames, deletions, a file moved between layers,
changed settings, damaged cache files, concurrent runs, one parsing process or several.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from polster_lint import engine
from polster_lint.adapters import cache as cache_module
from polster_lint.adapters.cache import CACHE_DIR, FactsCache
from polster_lint.adapters.pyproject import load_config
from polster_lint.engine import lint_project

from conftest import POLSTER_LINT, clean_env
from test_lint_rules import ASSETS, make_project

CORE = "src/core"


def asset(layer: str, name: str, deps: str = "", header: str = "", extra: str = "") -> str:
    """An asset module; a silver asset has a quality check and a gold one a docstring, as
    the default rules ask, after everything the tests look at."""
    options = f", deps=[{deps}]" if deps else ""
    function = f"{layer}_{name}"
    body = f'"The {name} table."' if layer == "gold" else "..."
    check = (
        f"\n\n@dg.asset_check(asset={function})\ndef {function}_has_rows() -> None: ...\n"
        if layer == "silver"
        else ""
    )
    return (
        f"import dagster as dg\n{header}\n\n"
        f'@dg.asset(key=["{layer}", "{name}"], group_name="{layer}"{options})\n'
        f"def {function}() -> None: {body}\n{check}{extra}"
    )


def key(layer: str, name: str) -> str:
    return f'dg.AssetKey(["{layer}", "{name}"])'


def core(*reads: tuple[str, str]) -> str:
    calls = "".join(f'    read_table("{layer}", "{name}")\n' for layer, name in reads)
    return f"from core.storage import read_table\n\n\ndef run() -> None:\n{calls or '    pass'}\n"


PROJECT = {
    f"{ASSETS}/bronze/run_bronze_customers.py": asset("bronze", "customers"),
    f"{ASSETS}/silver/run_silver_customers.py": asset(
        "silver", "customers", key("bronze", "customers")
    ),
    f"{ASSETS}/gold/run_gold_churn.py": asset(
        "gold", "churn", f"{key('silver', 'customers')}, {key('silver', 'orders')}"
    ),
    f"{CORE}/storage.py": "def read_table(layer, name): ...\n",
    f"{CORE}/silver_customers.py": core(("bronze", "customers")),
    f"{CORE}/gold_churn.py": core(("silver", "customers"), ("silver", "orders")),
}


@pytest.fixture(autouse=True)
def own_cache_key(tmp_path, monkeypatch):
    """A signing key of this test's own, outside the project."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))


class Counter:
    """Counts what a run parses and whether it checks the graph again."""

    def __init__(self, monkeypatch) -> None:
        self.parsed: list[str] = []
        self.graphs = 0
        facts_of, build_graph = engine._facts_of, engine.build_graph

        def counting_facts_of(file, source, max_tokens):
            self.parsed.append(file.relative)
            return facts_of(file, source, max_tokens)

        def counting_build_graph(*args, **kwargs):
            self.graphs += 1
            return build_graph(*args, **kwargs)

        monkeypatch.setattr(engine, "_facts_of", counting_facts_of)
        monkeypatch.setattr(engine, "build_graph", counting_build_graph)

    def reset(self) -> None:
        self.parsed.clear()
        self.graphs = 0


def findings(root: Path, use_cache: bool = True, jobs: int | None = 1) -> list[tuple]:
    result = lint_project(root, load_config(root), use_cache=use_cache, jobs=jobs)
    return [
        (f.path, f.line, f.column, f.code, f.message, f.asset, f.dependency)
        for f in result.findings
    ]


def check(root: Path) -> list[tuple]:
    """Lint with the cache and without it: both must say the same. The cached result."""
    cached = findings(root)
    assert cached == findings(root, use_cache=False)
    return cached


def codes(found: list[tuple]) -> list[tuple[str, str]]:
    return sorted((path, code) for path, _, _, code, *_ in found)


def age(root: Path, seconds: float = 3600) -> None:
    """Make every file of the project look old (as files are between two commits)."""
    when = time.time() - seconds
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(folder, name), (when, when))


def test_a_warm_run_parses_only_what_changed(tmp_path, monkeypatch):
    root = make_project(tmp_path / "repo", PROJECT)
    age(root)
    counter = Counter(monkeypatch)
    first = check(root)
    counter.reset()

    assert findings(root) == first
    assert counter.parsed == [] and counter.graphs == 0  # the verdict is taken as it was

    silver = root / ASSETS / "silver" / "run_silver_customers.py"
    silver.write_text(silver.read_text() + "# a comment changes no fact\n")
    counter.reset()
    assert findings(root) == first
    assert counter.parsed == [f"{ASSETS}/silver/run_silver_customers.py"]
    assert counter.graphs == 0

    silver.write_text(
        asset("silver", "customers", f"{key('bronze', 'customers')}, {key('gold', 'churn')}")
    )
    counter.reset()
    changed = check(root)
    assert counter.parsed[0] == f"{ASSETS}/silver/run_silver_customers.py"
    assert ("src/orchestration/assets/silver/run_silver_customers.py", "POL003") in codes(changed)


def test_an_unchanged_old_file_is_not_even_read(tmp_path, monkeypatch):
    root = make_project(tmp_path / "repo", PROJECT)
    age(root)
    check(root)
    reads: list[str] = []
    read_module = cache_module.read_module

    def counting_read(path, *args, **kwargs):
        reads.append(os.fspath(path))
        return read_module(path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "read_module", counting_read)
    findings(root)
    assert reads and [path for path in reads if path.startswith(str(root / "src"))] == []


def test_a_rewrite_that_keeps_size_and_time_is_still_seen(tmp_path):
    """A file changed twice in one clock tick keeps its size and time; the entry of a file
    that recent is checked by content, so the second change is not missed."""
    gold = f"{ASSETS}/gold/run_gold_churn.py"
    root = make_project(tmp_path / "repo", PROJECT)
    clean = findings(root)
    path = root / gold
    before = os.stat(path)
    text = path.read_text()
    bad = text.replace('["silver", "customers"]', '["bronze", "customers"]')
    assert len(bad) == len(text)
    path.write_text(bad)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size
    found = check(root)
    assert found != clean and (gold, "POL002") in codes(found)


STEPS = [
    (
        "a violation is added",
        lambda root: (root / ASSETS / "gold" / "run_gold_churn.py").write_text(
            asset("gold", "churn", key("bronze", "customers"))
        ),
        [("POL002", f"{ASSETS}/gold/run_gold_churn.py")],
    ),
    (
        "it is fixed again",
        lambda root: (root / ASSETS / "gold" / "run_gold_churn.py").write_text(
            asset("gold", "churn", key("silver", "customers"))
        ),
        [],
    ),
    (
        "a module is renamed",
        lambda root: (root / ASSETS / "silver" / "run_silver_customers.py").rename(
            root / ASSETS / "silver" / "run_silver_clients.py"
        ),
        [],
    ),
    (
        "the upstream module is deleted",
        lambda root: (root / ASSETS / "bronze" / "run_bronze_customers.py").unlink(),
        [("POL005", f"{ASSETS}/silver/run_silver_clients.py")],
    ),
    (
        "it comes back",
        lambda root: (root / ASSETS / "bronze" / "run_bronze_customers.py").write_text(
            asset("bronze", "customers")
        ),
        [],
    ),
    (
        "a module moves from silver to gold",
        lambda root: (root / ASSETS / "silver" / "run_silver_clients.py").rename(
            root / ASSETS / "gold" / "run_silver_clients.py"
        ),
        [("POL007", f"{ASSETS}/gold/run_silver_clients.py")],
    ),
    (
        "and back to silver",
        lambda root: (root / ASSETS / "gold" / "run_silver_clients.py").rename(
            root / ASSETS / "silver" / "run_silver_clients.py"
        ),
        [],
    ),
    (
        "a new module arrives",
        lambda root: (root / ASSETS / "gold" / "run_gold_loyalty.py").write_text(
            asset("gold", "loyalty", f"{key('silver', 'customers')}, {key('bronze', 'customers')}")
        ),
        [("POL002", f"{ASSETS}/gold/run_gold_loyalty.py")],
    ),
    (
        "a noqa comment silences it (a comment that changes the facts)",
        lambda root: (root / ASSETS / "gold" / "run_gold_loyalty.py").write_text(
            asset(
                "gold", "loyalty", f"{key('silver', 'customers')}, {key('bronze', 'customers')}"
            ).replace(")\ndef ", ")  # noqa: POL002\ndef ")
        ),
        [],
    ),
    (
        "a core module reads a table its asset does not declare",
        lambda root: (root / CORE / "silver_customers.py").write_text(
            core(("bronze", "customers"), ("gold", "churn"))
        ),
        None,
    ),
    (
        "a file is emptied",
        lambda root: (root / ASSETS / "gold" / "run_gold_loyalty.py").write_text(""),
        None,
    ),
    (
        "a file stops parsing",
        lambda root: (root / ASSETS / "gold" / "run_gold_churn.py").write_text("def (:\n"),
        [("POL000", f"{ASSETS}/gold/run_gold_churn.py")],
    ),
]


def test_edits_renames_deletions_and_moves(tmp_path):
    """A sequence of changes on one project, with one cache throughout: after each one, the
    cached run reports what an uncached run reports."""
    root = make_project(tmp_path / "repo", PROJECT)
    check(root)
    for what, change, expected in STEPS:
        change(root)
        found = check(root)
        if expected is not None:
            assert {(path, code) for code, path in expected} <= set(codes(found)), what
        assert check(root) == found, what  # and once more, all of it from the cache


SETTINGS = [
    '[tool.polster.lint]\nallow-same-layer = ["gold"]\n',
    '[tool.polster.lint]\nexternal = ["silver/orders"]\n',
    '[tool.polster.lint]\nignore = ["POL008"]\n',
    '[tool.polster.lint]\nselect = ["POL005"]\n',
    "",
    "[tool.polster.lint]\nmax-file-size = 1024\n",
    '[tool.polster.lint]\nstorage-module = "core.io"\n',
    '[tool.polster.lint]\ndata-dir = "tables"\n',
    "[tool.polster.lint]\nmax-upstreams = 1\n",
    '[tool.polster.lint]\ncore-dir = "src/elsewhere"\n',
    '[tool.polster.lint]\nsource-root = "src/orchestration"\n',
    '[tool.polster.lint.layer-folders]\nsilver = "gold"\ngold = "silver"\n',
    "",
]


def test_a_changed_lint_table_is_never_answered_from_the_old_settings(tmp_path):
    same_layer = f"{key('gold', 'churn')}, {key('silver', 'customers')}"
    root = make_project(
        tmp_path / "repo",
        {
            **PROJECT,
            f"{ASSETS}/gold/run_gold_loyalty.py": asset("gold", "loyalty", same_layer),
            f"{ASSETS}/gold/run_gold_big.py": asset("gold", "big", extra="# " + "x" * 1200 + "\n"),
        },
    )
    seen = {tuple(check(root))}
    for settings in SETTINGS:
        (root / "pyproject.toml").write_text(settings)
        found = tuple(check(root))
        assert tuple(check(root)) == found, settings
        seen.add(found)
    assert len(seen) >= 5  # the settings did change the findings


@pytest.mark.parametrize(
    "settings",
    [
        'allow-same-layer = ["gold"]',
        'external = ["silver/orders"]',
        'select = ["POL005"]',
        'storage-module = "core.io"',
        'data-dir = "tables"',
        "max-upstreams = 1",
    ],
)
def test_a_setting_only_the_rules_read_keeps_the_cached_facts(tmp_path, monkeypatch, settings):
    """Changing it checks the graph again but parses nothing: the facts do not depend on it."""
    root = make_project(tmp_path / "repo", PROJECT)
    age(root)
    check(root)
    counter = Counter(monkeypatch)
    (root / "pyproject.toml").write_text(f"[tool.polster.lint]\n{settings}\n")
    age(root)
    found = findings(root)
    assert counter.parsed == [] and counter.graphs == 1, settings
    assert found == findings(root, use_cache=False)


def _index(root: Path) -> Path:
    return root / CACHE_DIR / "lint.json"


def _facts_files(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("facts-*.bin"))


def _resign(root: Path, change) -> None:
    """Change the index's JSON with ``change`` and sign it again with this user's key:
    what a bug in the linter (or another build with the same version) could write."""
    cache = FactsCache.for_project(root)
    assert cache is not None
    signature, _, body = _index(root).read_bytes().partition(b"\n")
    document = json.loads(body)
    change(document)
    body = json.dumps(document).encode()
    _index(root).write_bytes(cache._sign(body) + b"\n" + body)


def _damage_entries(document: dict) -> None:
    for number, name in enumerate(sorted(document["files"])):
        document["files"][name] = ["not a line", "1 2 3", "- - - - - -", "9 9 x y 0 99999999"][
            number % 4
        ]


def _damage_verdict(document: dict) -> None:
    document["verdict"]["verdict"] = json.dumps([[["not", "a"], "violation"], {}, [], []])


def _damage_positions(document: dict) -> None:
    document["positions"] = {name: [["x", -1]] for name in document["files"]}


def _point_elsewhere(document: dict) -> None:
    document["facts"] = ["facts-000000000000000000000000.bin", "0" * 128]


DAMAGE = {
    "the index truncated": lambda root: _index(root).write_bytes(_index(root).read_bytes()[:-40]),
    "a byte of the index changed": lambda root: _index(root).write_bytes(
        _index(root).read_bytes().replace(b'"files"', b'"filez"')
    ),
    "the index emptied": lambda root: _index(root).write_bytes(b""),
    "the index is not JSON": lambda root: _index(root).write_bytes(b"x\n{not json"),
    "the facts file deleted": lambda root: [path.unlink() for path in _facts_files(root)],
    "the facts file truncated": lambda root: [
        path.write_bytes(path.read_bytes()[:100]) for path in _facts_files(root)
    ],
    "the facts file replaced by a FIFO": lambda root: [
        (path.unlink(), os.mkfifo(path)) for path in _facts_files(root)
    ],
    "the facts file a link to /dev/zero": lambda root: [
        (path.unlink(), path.symlink_to("/dev/zero")) for path in _facts_files(root)
    ],
    "signed entries in another shape": lambda root: _resign(root, _damage_entries),
    "a signed verdict in another shape": lambda root: _resign(root, _damage_verdict),
    "signed positions in another shape": lambda root: _resign(root, _damage_positions),
    "a signed index pointing at no facts file": lambda root: _resign(root, _point_elsewhere),
    "the cache folder removed": lambda root: [
        path.unlink() for path in (root / CACHE_DIR).iterdir()
    ],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cache_file_is_a_miss(tmp_path, monkeypatch, damage):
    bad = asset("gold", "churn", f"{key('silver', 'customers')}, {key('bronze', 'customers')}")
    root = make_project(tmp_path / "repo", {**PROJECT, f"{ASSETS}/gold/run_gold_churn.py": bad})
    assert (f"{ASSETS}/gold/run_gold_churn.py", "POL002") in codes(check(root))
    DAMAGE[damage](root)
    # An edit that changes some facts: the graph is checked again, from the facts file.
    silver = root / ASSETS / "silver" / "run_silver_customers.py"
    silver.write_text(silver.read_text() + "\nimport os\n")
    expected = findings(root, use_cache=False)
    assert findings(root) == expected
    counter = Counter(monkeypatch)
    assert findings(root) == expected  # the run after the miss repaired the cache
    assert counter.parsed == [] and counter.graphs == 0


_ORIGINAL_RUN_CHUNK = engine._run_chunk


def _marking_run_chunk(task, chunk):
    """``engine._run_chunk`` that leaves a mark of the process it ran in (module-level, so
    that it can be sent to a worker process)."""
    (Path(os.environ["POLSTER_TEST_MARKS"]) / str(os.getpid())).touch()
    return _ORIGINAL_RUN_CHUNK(task, chunk)


def test_findings_are_the_same_with_and_without_cache_and_with_worker_processes(
    tmp_path, monkeypatch
):
    """One parsing process or several (the threshold lowered so that a small project is
    shared out), cold or warm: the same findings."""
    files = dict(PROJECT)
    for number in range(12):
        deps = key("bronze", "customers") if number % 3 else key("gold", f"g{number - 1}")
        files[f"{ASSETS}/gold/run_gold_g{number}.py"] = asset("gold", f"g{number}", deps)
        files[f"{CORE}/gold_g{number}.py"] = core(("silver", "customers"), ("bronze", "x"))
    root = make_project(tmp_path / "repo", files)
    marks = tmp_path / "pids"
    marks.mkdir()
    monkeypatch.setenv("POLSTER_TEST_MARKS", str(marks))
    monkeypatch.setattr(engine, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(engine, "_CHUNK", 2)
    monkeypatch.setattr(engine, "_run_chunk", _marking_run_chunk)
    monkeypatch.setattr(cache_module, "_SERIAL_PARSE", 0)
    one = findings(root, use_cache=False, jobs=1)
    several = findings(root, use_cache=False, jobs=3)
    workers = [int(path.name) for path in marks.iterdir()]
    assert workers and os.getpid() not in workers  # the workers did share the work
    filled = findings(root, jobs=3)
    warm = findings(root, jobs=3)
    assert one == several == filled == warm
    assert {"POL002", "POL004", "POL008"} <= {code for _, _, _, code, *_ in one}


def test_concurrent_runs_each_report_everything_and_leave_a_whole_cache(tmp_path):
    bad = asset("gold", "churn", key("bronze", "customers"))
    root = make_project(tmp_path / "repo", {**PROJECT, f"{ASSETS}/gold/run_gold_churn.py": bad})
    env = clean_env({"XDG_CACHE_HOME": str(tmp_path / "home" / ".cache")})
    expected = findings(root, use_cache=False)
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [POLSTER_LINT, str(root), "--format", "json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        for (out, err), run in zip(outputs, runs, strict=True):
            assert run.returncode == 1 and err == b"", err
            reported = sorted((f["path"], f["code"]) for f in json.loads(out))
            assert reported == codes(expected)
        (root / ASSETS / "silver" / "run_silver_customers.py").write_text(
            asset("silver", "customers", key("bronze", "customers"), extra="# again\n")
        )
    assert findings(root) == expected
