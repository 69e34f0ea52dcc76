"""Benchmark ``polster-lint`` against import-linter and ruff on synthetic Polster projects.

Run it from the repository root, with the environment the linter is installed in::

    .venv/bin/python benchmarks/lint_bench.py [--sizes 1000,10000,50000] [--repeat N]
        [--workdir DIR] [--keep] [--markdown]

It is a measurement, not a test: it prints a table per size, with PASS/FAIL next to each
target, then (with ``--markdown``) the summary table the README shows, and exits 0
unless something crashed (a tool exiting with an error, say). Generating 50,000 assets
takes a few minutes: ``--workdir DIR`` keeps the projects there and reuses them on the
next run (a marker file records the size and seed each was made with).

The synthetic project
---------------------
``generate_project`` writes the layout of a generated Polster project: the answers file,
a ``pyproject.toml`` (default linter settings), ``src/orchestration/assets/<layer>/``
with one ``run_<layer>_<name>.py`` per asset, and ``src/core/`` with one
``<layer>_<name>.py`` per asset that calls ``read_table`` for each upstream its asset
declares, plus ``src/core/storage.py``. The layout is seeded: about 40% bronze, 35%
silver and 25% gold assets; silver assets depend on 1-3 bronze ones, gold on 1-3 silver
ones. Each dependency is written in one of the styles Dagster accepts (an imported asset
function, ``from x import f as g``, ``import x as m`` + ``m.f``, a relative import,
``dg.AssetKey([...])``, a key list, ``dg.AssetDep(...)`` of a key or a function,
``ins={"x": dg.AssetIn(key=[...])}``), and about 10% of the assets are ``multi_asset`` with
an ``AssetSpec`` (a few more use ``key_prefix=`` + ``name=``). The code is valid Dagster
(a multi-asset's ``ins`` keys are also deps of its spec, as Dagster requires):
``tests/test_benchmarks.py`` loads a small project with Dagster and compares its edges
with the linter's graph. About 1% of the assets (at least 3) get one deliberate violation
on top of their clean upstreams, the kinds in turn:

* a gold asset that depends on a bronze one (POL002 in the asset module, and POL008 in its
  core module, which reads the table it declares),
* an edge inside a layer, to an earlier asset so no cycle appears (POL004, and POL008),
* an unknown upstream key, written in ``deps=`` (Dagster refuses an unknown ``AssetIn`` at
  load time): POL005 only, since the read is declared and in an allowed layer.

``generate_project`` returns these as ``Planted(path, code, ...)``: exactly what the
linter must report; ``tests/test_benchmarks.py`` checks it does, and every run here
compares the linter's findings with them too (cold and warm, one parsing process and
several).

The measurements (each in the same run, on the same tree, OS file cache warm)
------------------------------------------------------------------------------
polster-lint (``polster-lint ROOT``):

a.  ``--no-cache``: cold, default ``--jobs`` (one parsing process per CPU).
a1. ``--no-cache --jobs 1``: the same in one process (information).
a2. with an empty cache: the run that fills it (information).
b0. warm, nothing changed (information).
b.  warm, one asset module edited: a comment appended (size, time and hash change, so
    the file is read and parsed again). This is what a pre-commit hook costs after a
    small edit; the file's facts do not change, so the last verdict still holds.
b2. warm, one asset module's facts changed: an import appended, so the graph is built
    and checked again from the cache (information: the price of an edit that matters).

import-linter (``lint-imports``), with the equivalent contracts (see below):

c.  ``--no-cache``: cold.
c2. warm, one file changed: its cache filled by a first run, the same kind of edit as b,
    then timed. That is how import-linter runs in a pre-commit hook.
c3. c2 with the ``independence`` contracts too (information: their cost grows faster
    than linearly with the number of modules, so they are not the comparison).

ruff (``ruff check --select E,F`` over the assets and core folders):

r.  ``--no-cache``: cold.
r2. warm, one file changed: its cache filled, the same edit, then timed.

The floors: what any linter that keeps libcst as the parser of the asset modules (as
the issue that set the targets requires) pays at the least, each measured here in the
same run (information; the report prints each floor as a ratio to import-linter, the
targets' yardstick):

d.  read every asset module and ``libcst.parse_module`` it once, in this process;
    divided by the CPU count it is the least a cold run's wall time can be.
d0. a fresh ``python -c "import libcst"``: a warm run that parses the edited file pays it.
d1. a fresh Python process that lists every linted file and reads its ``stat`` (size and
    modification time), which is how any cache learns what changed.

Wall time is the median of ``--repeat`` runs (default: 3 up to 1,000 assets, else 1).
``cpu s`` is user + system time (of the process and its descendants, or of this process
for d): on a busy machine wall times, and so the ratios, inflate; CPU times much less.
Memory, for subprocesses: ``peak MB`` is the peak of the sum of PSS over the process and
all its descendants (sampled from /proc every 100 ms, so PSS shares the pages a forked
worker has in common with its parent instead of counting them twice; each sample has the
kernel walk the processes' page tables, and at 10 ms the sampler took half a core from the
tools it measured on a 2-core machine, slowing the ones that use both); ``max RSS MB`` is
the ``ru_maxrss`` that ``wait4`` reports for the process, i.e. its largest single process.
The memory target uses the larger of the two, over every ``polster-lint`` run. The report
prints the load average before and after each size.

The Python tools run as they do once installed: with their bytecode cached (the runs
here point ``PYTHONPYCACHEPREFIX`` into the work folder, and one untimed run of each
tool compiles it first), whatever ``PYTHONDONTWRITEBYTECODE`` says in the caller's
environment.

The targets (at 10,000 assets unless said otherwise)
----------------------------------------------------
* warm, one file edited: b <= 0.1 x c2 (import-linter warm) and b <= 4 x r2 (ruff warm);
* cold: a <= 1.0 x c (import-linter cold);
* peak memory < 200 MB;
* linear growth: time per asset at 50,000 <= 1.2 x time per asset at 10,000, for a and
  b (checked when both sizes are in the run);
* findings identical cold and warm, with one parsing process and several.

The import-linter equivalent
----------------------------
``polster-lint`` checks asset dependencies, which are only sometimes imports: a key-based
upstream (``AssetKey``, a key list, ``AssetIn``) or a ``read_table`` call is no import at
all, so import-linter cannot see those edges and no configuration makes it check what
``polster-lint`` checks. The closest honest equivalent checks the same layer rules over
the import edges, reading the same files (``root_packages = orchestration, core``):

* a ``layers`` contract ``gold : silver : bronze`` on ``orchestration.assets``: a layer may
  import the layers below it, never above (POL003, and POL001 against later layers);
* a ``forbidden`` contract: gold may not import bronze (POL002), with
  ``allow_indirect_imports = True``, since gold -> silver -> bronze is the intended chain.

The same-layer rule (POL004) would take an ``independence`` contract per layer over
``orchestration.assets.<layer>.*``; the configuration has them (c3 runs them) but they
are left out of the comparison: each one checks every pair of a layer's modules, so at
10,000 assets it costs import-linter many times what the two contracts above cost, and
a comparison against it would flatter ``polster-lint``. Import-linter's result (contracts
broken) is not compared: only its time and memory are.
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

LAYERS = ("bronze", "silver", "gold")
ASSETS_DIR = "src/orchestration/assets"
CORE_DIR = "src/core"
LAYER_SHARES = {"bronze": 0.40, "silver": 0.35, "gold": 0.25}
UPSTREAM_LAYER = {"silver": "bronze", "gold": "silver"}
NOUNS = (
    "orders",
    "customers",
    "payments",
    "invoices",
    "products",
    "shipments",
    "returns",
    "sessions",
    "events",
    "inventory",
    "suppliers",
    "refunds",
    "visits",
    "stores",
)
IMPORT_STYLES = ("import", "import_as", "module_alias", "relative", "asset_dep_fn")
KEY_STYLES = ("asset_key", "key_list", "asset_dep_key", "asset_in")
UNKNOWN_STYLES = ("asset_key", "key_list", "asset_dep_key")
"""Dagster refuses an ``AssetIn`` of an unknown key at load time; ``deps`` take it quietly."""
STYLES = IMPORT_STYLES + KEY_STYLES
VIOLATION_KINDS = ("gold_reads_bronze", "same_layer", "unknown")

FINDING = re.compile(r"^(?P<path>[^:\s]+):\d+:\d+: (?P<code>POL\d{3}) ")


# --- the synthetic project ----------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """A violation the generator put in on purpose: the finding the linter must report."""

    path: str
    code: str
    asset: str
    dependency: str


@dataclass
class Asset:
    layer: str
    name: str
    kind: str = "asset"  # "asset", "prefix" (key_prefix= + name=) or "multi"
    deps: list[tuple[tuple[str, str], str]] = field(default_factory=list)
    """(upstream key, style) for each declared upstream."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.layer, self.name)

    @property
    def function(self) -> str:
        return f"{self.layer}_{self.name}"

    @property
    def module(self) -> str:
        return f"orchestration.assets.{self.layer}.run_{self.layer}_{self.name}"

    @property
    def path(self) -> str:
        return f"{ASSETS_DIR}/{self.layer}/run_{self.layer}_{self.name}.py"

    @property
    def core_path(self) -> str:
        return f"{CORE_DIR}/{self.layer}_{self.name}.py"


@dataclass
class Project:
    root: Path
    assets: list[Asset]
    planted: list[Planted]
    styles: Counter
    kinds: Counter

    @property
    def lint_files(self) -> list[Path]:
        """Every file ``polster-lint`` reads: the ``.py`` files of the assets and core folders."""
        return sorted(
            path for folder in (ASSETS_DIR, CORE_DIR) for path in (self.root / folder).rglob("*.py")
        )

    @property
    def asset_files(self) -> list[Path]:
        """The asset modules: the files ``polster-lint`` parses with libcst."""
        return sorted((self.root / ASSETS_DIR).rglob("*.py"))

    def edit_target(self) -> Path:
        """A clean silver asset module, edited before each warm run."""
        violating = {planted.path for planted in self.planted}
        for asset in self.assets[len(self.assets) // 2 :] + self.assets:
            if asset.layer == "silver" and asset.path not in violating:
                return self.root / asset.path
        raise AssertionError("no clean silver asset to edit")


def generate_project(
    root: Path,
    count: int,
    seed: int = 20261128,
    violations: int | None = None,
    write: bool = True,
) -> Project:
    """Write a synthetic Polster project of ``count`` assets under ``root``.

    ``violations`` defaults to 1% of ``count``, at least 3 (one of each kind). With
    ``write`` false, only the description is made (for a project written before with the
    same arguments).
    """
    rng = random.Random(seed)
    by_layer = _layout(count, rng)
    style_cycle = iter(STYLES)  # every style appears at least once, then at random

    def style(choices: tuple[str, ...] = STYLES) -> str:
        chosen = next(style_cycle, None)
        return chosen if chosen in choices else rng.choice(choices)

    for layer, upstream_layer in UPSTREAM_LAYER.items():
        for asset in by_layer[layer]:
            ups = rng.sample(by_layer[upstream_layer], k=rng.choice((1, 1, 2, 2, 3)))
            asset.deps = [(up.key, style()) for up in ups]
    if violations is None:
        violations = max(len(VIOLATION_KINDS), round(count * 0.01))
    planted = _plant_violations(by_layer, violations, rng, style)
    assets = [asset for layer in LAYERS for asset in by_layer[layer]]
    if write:
        _write_project(root, assets)
    return Project(
        root=root,
        assets=assets,
        planted=sorted(planted, key=lambda p: (p.path, p.code)),
        styles=Counter(s for asset in assets for _, s in asset.deps),
        kinds=Counter(asset.kind for asset in assets),
    )


def _layout(count: int, rng: random.Random) -> dict[str, list[Asset]]:
    sizes = {layer: max(3, round(count * share)) for layer, share in LAYER_SHARES.items()}
    sizes["gold"] = max(3, count - sizes["bronze"] - sizes["silver"])
    by_layer: dict[str, list[Asset]] = {}
    index = 0
    for layer in LAYERS:
        by_layer[layer] = []
        for position in range(sizes[layer]):
            roll = rng.random()
            # The second asset of each layer is a multi-asset, so that small projects have one.
            kind = "multi" if roll < 0.10 or position == 1 else "prefix" if roll < 0.15 else "asset"
            name = f"{rng.choice(NOUNS)}_{index:05d}"
            by_layer[layer].append(Asset(layer=layer, name=name, kind=kind))
            index += 1
    return by_layer


def _plant_violations(by_layer, count: int, rng: random.Random, style) -> list[Planted]:
    """Give ``count`` assets one bad upstream each, the kinds in turn."""
    planted: list[Planted] = []
    used: set[tuple[str, str]] = set()

    def pick(layer: str, start: int = 0) -> Asset:
        while True:
            asset = rng.choice(by_layer[layer][start:])
            if asset.key not in used:
                used.add(asset.key)
                return asset

    def plant(asset: Asset, upstream: tuple[str, str], code: str, core: bool) -> None:
        names = {"asset": "/".join(asset.key), "dependency": "/".join(upstream)}
        planted.append(Planted(asset.path, code, **names))
        if core:  # the core module reads every table its asset declares
            planted.append(Planted(asset.core_path, "POL008", **names))

    for number in range(count):
        kind = VIOLATION_KINDS[number % len(VIOLATION_KINDS)]
        if kind == "gold_reads_bronze":
            asset = pick("gold")
            upstream = rng.choice(by_layer["bronze"]).key
            asset.deps.append((upstream, style()))
            plant(asset, upstream, "POL002", core=True)
        elif kind == "same_layer":
            layer = ("silver", "gold")[number // len(VIOLATION_KINDS) % 2]
            asset = pick(layer, start=1)
            position = by_layer[layer].index(asset)
            upstream = rng.choice(by_layer[layer][:position]).key  # earlier: never a cycle
            asset.deps.append((upstream, style()))
            plant(asset, upstream, "POL004", core=True)
        else:
            layer = ("silver", "gold")[number // len(VIOLATION_KINDS) % 2]
            asset = pick(layer)
            upstream = (UPSTREAM_LAYER[layer], f"retired_{number:05d}")
            asset.deps.append((upstream, style(UNKNOWN_STYLES)))
            plant(asset, upstream, "POL005", core=False)
    return planted


def _write_project(root: Path, assets: list[Asset]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".polster-answers.json").write_text('{"cookiecutter": {}}\n')
    (root / "pyproject.toml").write_text(
        '[project]\nname = "lint-bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    )
    for package in ("src/orchestration", ASSETS_DIR, *(f"{ASSETS_DIR}/{la}" for la in LAYERS)):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text('"""Synthetic benchmark package."""\n')
    core = root / CORE_DIR
    core.mkdir(parents=True, exist_ok=True)
    (core / "__init__.py").write_text('"""Synthetic benchmark package."""\n')
    (core / "storage.py").write_text(STORAGE)
    (root / ".importlinter").write_text(IMPORT_LINTER_CONFIG)
    known = {asset.key: asset for asset in assets}
    for asset in assets:
        (root / asset.path).write_text(_asset_module(asset, known))
        (root / asset.core_path).write_text(_core_module(asset))


STORAGE = '''\
"""Table storage of the synthetic benchmark project (stubs)."""


def read_table(layer: str, name: str) -> list[dict]:
    """Rows of the table ``layer/name``."""
    return []


def write_table(layer: str, name: str, rows: list[dict]) -> str:
    """Store ``rows`` as the table ``layer/name``; return its location."""
    return f"{layer}/{name}"
'''

IMPORT_LINTER_CONFIG = """\
[importlinter]
root_packages =
    orchestration
    core

[importlinter:contract:layers]
name = A layer imports only the layers below it (gold : silver : bronze)
type = layers
layers =
    orchestration.assets.gold
    orchestration.assets.silver
    orchestration.assets.bronze

[importlinter:contract:gold-not-bronze]
name = Gold does not import bronze directly
type = forbidden
source_modules =
    orchestration.assets.gold
forbidden_modules =
    orchestration.assets.bronze
allow_indirect_imports = True
""" + "".join(
    f"""
[importlinter:contract:{layer}-independent]
name = {layer.title()} asset modules do not import each other
type = independence
modules =
    orchestration.assets.{layer}.*
"""
    for layer in LAYERS
)


def _key_literal(key: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{part}"' for part in key) + "]"


def _asset_module(asset: Asset, known: dict[tuple[str, str], Asset]) -> str:
    headers: list[str] = []
    deps: list[str] = []
    ins: list[str] = []
    for number, (key, style) in enumerate(asset.deps):
        literal = _key_literal(key)
        upstream = known.get(key)
        if upstream is None and style in IMPORT_STYLES:
            raise AssertionError(f"an unknown upstream cannot be imported: {key}")
        if style == "import":
            headers.append(f"from {upstream.module} import {upstream.function}")
            deps.append(upstream.function)
        elif style == "import_as":
            headers.append(f"from {upstream.module} import {upstream.function} as up{number}")
            deps.append(f"up{number}")
        elif style == "module_alias":
            headers.append(f"import {upstream.module} as m{number}")
            deps.append(f"m{number}.{upstream.function}")
        elif style == "relative":
            if upstream.layer == asset.layer:
                relative = f".run_{upstream.function}"
            else:
                relative = f"..{upstream.layer}.run_{upstream.function}"
            headers.append(f"from {relative} import {upstream.function}")
            deps.append(upstream.function)
        elif style == "asset_dep_fn":
            headers.append(f"from {upstream.module} import {upstream.function}")
            deps.append(f"dg.AssetDep({upstream.function})")
        elif style == "asset_key":
            deps.append(f"dg.AssetKey({literal})")
        elif style == "key_list":
            deps.append(literal)
        elif style == "asset_dep_key":
            deps.append(f"dg.AssetDep(dg.AssetKey({literal}))")
        elif style == "asset_in":
            ins.append(f'"in{number}": dg.AssetIn(key={literal})')
            if asset.kind == "multi":  # Dagster: each input of specs must be a spec dep too
                deps.append(f"dg.AssetKey({literal})")
        else:
            raise AssertionError(style)
    key = _key_literal(asset.key)
    description = f"Synthetic {asset.layer} table {asset.name} for the linter benchmark."
    inputs = [f"in{n}" for n, (_, style) in enumerate(asset.deps) if style == "asset_in"]
    parameters = ", ".join(["context: dg.AssetExecutionContext", *inputs])
    deps_line = f"deps=[{', '.join(deps)}]"
    ins_line = "ins={" + ", ".join(ins) + "}"
    if asset.kind == "multi":
        spec = f"dg.AssetSpec({key}, description={description!r}"
        spec += f", {deps_line})" if deps else ")"
        options = [f'group_name="{asset.layer}"', f"specs=[{spec}]"]
        if ins:
            options.append(ins_line)
        body = (
            "    rows = logic.run()\n"
            '    context.log.info("%s rows", rows)\n'
            f'    yield dg.MaterializeResult(asset_key={key}, metadata={{"rows": rows}})\n'
        )
        returns = ""
        decorator = "dg.multi_asset"
    else:
        if asset.kind == "prefix":
            options = [f'key_prefix=["{asset.layer}"]', f'name="{asset.name}"']
        else:
            options = [f"key={key}"]
        options += [
            f'group_name="{asset.layer}"',
            f"description={description!r}",
            'kinds={"pandas", "parquet"}',
        ]
        if deps:
            options.append(deps_line)
        if ins:
            options.append(ins_line)
        options.append(
            "automation_condition=dg.AutomationCondition.eager()"
            if asset.deps
            else "automation_condition=BUILD_WHEN_MISSING"
        )
        body = (
            "    rows = logic.run()\n"
            '    context.log.info("%s rows", rows)\n'
            '    return dg.MaterializeResult(metadata={"rows": rows})\n'
        )
        returns = " -> dg.MaterializeResult"
        decorator = "dg.asset"
    if asset.layer == "silver":  # silver's quality gate, which the default rules ask for
        options.append(f'check_specs=[dg.AssetCheckSpec("rows", asset={key})]')
    header = "\n".join(headers)
    arguments = "".join(f"    {option},\n" for option in options)
    return (
        f'"""Asset ``{asset.layer}/{asset.name}`` (logic in ``core/{asset.function}.py``)."""\n'
        f"\n"
        f"import dagster as dg\n"
        f"\n"
        f"from core import {asset.function} as logic\n"
        + (f"{header}\n" if header else "")
        + ("\nBUILD_WHEN_MISSING = dg.AutomationCondition.missing()\n" if not asset.deps else "")
        + f"\n\n@{decorator}(\n{arguments})\n"
        f"def {asset.function}({parameters}){returns}:\n"
        f'    """Build ``{asset.layer}/{asset.name}``."""\n'
        f"{body}"
    )


def _core_module(asset: Asset) -> str:
    reads = "".join(
        f'        read_table("{key[0]}", "{key[1]}"),\n' for key, _ in asset.deps if len(key) == 2
    )
    if reads:
        source = (
            f"    frames = [\n{reads}    ]\n    rows = [row for frame in frames for row in frame]\n"
        )
    else:
        source = '    rows = [{"id": number, "value": number * 2} for number in range(100)]\n'
    return (
        f'"""Logic of the asset ``{asset.layer}/{asset.name}`` (synthetic benchmark module)."""\n'
        f"\n"
        f"from core.storage import read_table, write_table\n"
        f"\n"
        f'COLUMNS = ("id", "value", "updated_at")\n'
        f"\n"
        f"\n"
        f"def run() -> int:\n"
        f'    """Read the upstream tables, clean the rows and write ``{asset.layer}/'
        f'{asset.name}``."""\n'
        f"{source}"
        f"    cleaned = [_clean(row) for row in rows if row]\n"
        f'    write_table("{asset.layer}", "{asset.name}", cleaned)\n'
        f"    return len(cleaned)\n"
        f"\n"
        f"\n"
        f"def _clean(row: dict) -> dict:\n"
        f'    """Keep the known columns, with None for the missing ones."""\n'
        f"    return {{column: row.get(column) for column in COLUMNS}}\n"
    )


# --- running and measuring ------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu_seconds: float | None = None
    """User + system CPU time of the process and its descendants."""
    peak_mb: float | None = None
    """Peak of the summed PSS of the process tree (sampled)."""
    max_rss_mb: float | None = None
    """ru_maxrss of the process: its largest single process."""
    status: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class Measurement:
    code: str
    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu_seconds(self) -> float | None:
        values = [run.cpu_seconds for run in self.runs if run.cpu_seconds is not None]
        return statistics.median(values) if values else None

    @property
    def peak_mb(self) -> float | None:
        values = [run.peak_mb for run in self.runs if run.peak_mb is not None]
        return max(values) if values else None

    @property
    def max_rss_mb(self) -> float | None:
        values = [run.max_rss_mb for run in self.runs if run.max_rss_mb is not None]
        return max(values) if values else None

    @property
    def memory_mb(self) -> float | None:
        values = [v for v in (self.peak_mb, self.max_rss_mb) if v is not None]
        return max(values) if values else None


class CrashError(RuntimeError):
    """A measured tool failed: the benchmark cannot be trusted."""


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _pss_kb(pid: int) -> int:
    for name, field_name in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}") as handle:
                for line in handle:
                    if line.startswith(field_name):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class _TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree, frontier = [], [self.pid]
            children = _children_by_parent()
            while frontier:
                pid = frontier.pop()
                tree.append(pid)
                frontier.extend(children.get(pid, ()))
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in tree))
            self.done.wait(self.interval)


def run_command(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to completion: wall time, peak memory, exit status and output."""
    can_sample = Path("/proc/self/stat").exists()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        sampler = _TreeSampler(process.pid) if can_sample else None
        if sampler is not None:
            sampler.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        if sampler is not None:
            sampler.done.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in KiB on Linux, in bytes on macOS.
        max_rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_mb=sampler.peak_kb / 1024 if sampler is not None else None,
            max_rss_mb=max_rss,
            status=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def bare_parse(files: list[Path]) -> Run:
    """Floor d: read and ``libcst.parse_module`` every file once, in this process."""
    import libcst

    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        libcst.parse_module(path.read_bytes())
    return Run(seconds=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu)


_LIST_AND_STAT = """
import os, sys

def walk(folder):
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path)
            elif entry.name.endswith(".py"):
                yield entry.path, entry.stat(follow_symlinks=False).st_mtime_ns

print(sum(1 for folder in sys.argv[1:] for _ in walk(folder)))
"""
"""Floor d1: the least a process spends to learn which of the files changed."""


def _check_floor(run: Run, what: str) -> Run:
    if run.status != 0:
        raise CrashError(f"{what} exited {run.status}: {run.stderr.strip()[-500:]}")
    return run


def _check_lint(run: Run, what: str) -> Run:
    if run.status not in (0, 1) or run.stderr.strip():
        raise CrashError(f"{what} exited {run.status}: {run.stderr.strip()[:500]}")
    return run


def _check_import_linter(run: Run, what: str) -> Run:
    # Exit 1 means contracts broken (expected: some planted violations are imports) or an
    # error; only the summary line tells them apart.
    if run.status not in (0, 1) or "Contracts:" not in run.stdout:
        detail = (run.stderr.strip() or run.stdout.strip())[-800:]
        raise CrashError(f"{what} exited {run.status}: {detail}")
    return run


def _check_ruff(run: Run, what: str) -> Run:
    # Exit 1: it found something to say (the synthetic code is not written for ruff).
    if run.status not in (0, 1):
        raise CrashError(f"{what} exited {run.status}: {run.stderr.strip()[-500:]}")
    return run


def findings_of(run: Run) -> list[tuple[str, str]]:
    found = []
    for line in run.stdout.splitlines():
        match = FINDING.match(line)
        if match:
            found.append((match["path"], match["code"]))
    return sorted(found)


def _edit(path: Path, number: int) -> None:
    """An edit that leaves the module's facts as they were: a comment at the end."""
    with path.open("a") as handle:
        handle.write(f"# benchmark edit {number}\n")


def _edit_facts(path: Path, number: int) -> None:
    """An edit that changes the module's facts, and nothing the rules report: an import."""
    with path.open("a") as handle:
        handle.write(f"import dagster as _benchmark_{number}\n")


def tool_environment(workdir: Path) -> dict[str, str]:
    """The environment the tools run in: bytecode cached in the work folder, as an
    installed tool has it (see the module's docstring)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return env


def measure(
    project: Project,
    repeat: int,
    env: dict[str, str],
    floor: bool = True,
    lint: list[str] | None = None,
    independence: bool = True,
) -> dict:
    """Every measurement of the module's docstring on ``project``; the edited file is put
    back as it was afterwards. ``lint`` is the command that runs polster-lint (default:
    the one installed beside this Python)."""
    if lint is None:
        installed = _tool("polster-lint")
        if installed is None:
            raise CrashError("polster-lint is not installed in this environment")
        lint = [installed]
    target = project.edit_target()
    original = target.read_bytes()
    try:
        return _measure(project, repeat, env, floor, lint, target, independence)
    finally:
        target.write_bytes(original)


def _measure(
    project: Project,
    repeat: int,
    env: dict[str, str],
    floor: bool,
    lint: list[str],
    target: Path,
    independence: bool,
) -> dict:
    root = project.root
    cache_dir = root / ".polster_cache"
    results: dict[str, Measurement] = {}
    notes: dict = {"edited": target.relative_to(root).as_posix(), "files": len(project.lint_files)}

    def add(code: str, label: str) -> Measurement:
        results[code] = Measurement(code, label)
        return results[code]

    def polster(*args: str, what: str) -> Run:
        return _check_lint(run_command([*lint, str(root), *args], root, env), what)

    polster("--no-cache", what="polster-lint (untimed, compiles the bytecode)")
    cold, single = add("a", "cold, --no-cache"), add("a1", "cold, --no-cache --jobs 1")
    for _ in range(repeat):
        cold.runs.append(polster("--no-cache", what="polster-lint (cold)"))
        single.runs.append(polster("--no-cache", "--jobs", "1", what="polster-lint --jobs 1"))
    fill, unchanged = add("a2", "empty cache (fills it)"), add("b0", "warm, nothing changed")
    warm, facts = add("b", "warm, 1 file edited"), add("b2", "warm, 1 file's facts changed")
    edits = iter(range(10**6))
    for _ in range(repeat):
        shutil.rmtree(cache_dir, ignore_errors=True)
        fill.runs.append(polster(what="polster-lint (fill)"))
        unchanged.runs.append(polster(what="polster-lint (nothing changed)"))
        _edit(target, next(edits))
        warm.runs.append(polster(what="polster-lint (warm)"))
        _edit_facts(target, next(edits))
        facts.runs.append(polster(what="polster-lint (facts changed)"))
    notes["findings"] = {
        code: findings_of(results[code].runs[-1]) for code in ("a", "a1", "a2", "b0", "b", "b2")
    }

    lint_imports = _tool("lint-imports")
    if lint_imports is not None:
        config = str(root / ".importlinter")
        il_env = {**env, "PYTHONPATH": str(root / "src")}
        equivalent = ["--contract", "layers", "--contract", "gold-not-bronze"]

        def import_linter(*args: str, what: str) -> Run:
            run = run_command([lint_imports, "--no-logo", *args, config], root, il_env)
            return _check_import_linter(run, what)

        import_linter("--no-cache", *equivalent, what="lint-imports (untimed, compiles)")
        il_cold = add("c", "cold, --no-cache")
        il_warm = add("c2", "warm, 1 file edited")
        for _ in range(repeat):
            il_cold.runs.append(import_linter("--no-cache", *equivalent, what="lint-imports"))
        for _ in range(repeat):
            shutil.rmtree(root / ".import_linter_cache", ignore_errors=True)
            import_linter(*equivalent, what="lint-imports (fill)")
            _edit(target, next(edits))
            il_warm.runs.append(import_linter(*equivalent, what="lint-imports (warm)"))
        if independence:
            il_all = add("c3", "c2 + independence contracts")
            for _ in range(repeat):
                shutil.rmtree(root / ".import_linter_cache", ignore_errors=True)
                import_linter(what="lint-imports (fill, all contracts)")
                _edit(target, next(edits))
                il_all.runs.append(import_linter(what="lint-imports (warm, all contracts)"))
        notes["import_linter_summary"] = next(
            (line.strip() for line in il_cold.runs[0].stdout.splitlines() if "Contracts:" in line),
            "",
        )

    ruff = _tool("ruff")
    if ruff is not None:
        ruff_cache = root / ".ruff_cache"
        folders = [str(root / ASSETS_DIR), str(root / CORE_DIR)]
        command = [ruff, "check", "--select", "E,F", "--quiet", "--cache-dir", str(ruff_cache)]
        ruff_cold, ruff_warm = add("r", "cold, --no-cache"), add("r2", "warm, 1 file edited")
        for _ in range(repeat):
            run = run_command([*command, "--no-cache", *folders], root, env)
            ruff_cold.runs.append(_check_ruff(run, "ruff (cold)"))
        for _ in range(repeat):
            shutil.rmtree(ruff_cache, ignore_errors=True)
            _check_ruff(run_command([*command, *folders], root, env), "ruff (fill)")
            _edit(target, next(edits))
            ruff_warm.runs.append(_check_ruff(run_command([*command, *folders], root, env), "ruff"))

    if floor:
        bare = add("d", "libcst.parse_module of every asset module")
        for _ in range(repeat):
            bare.runs.append(bare_parse(project.asset_files))
    startup, listing = add("d0", "python -c 'import libcst'"), add("d1", "list + stat files")
    folders = [str(root / ASSETS_DIR), str(root / CORE_DIR)]
    for _ in range(repeat):
        run = run_command([sys.executable, "-c", "import libcst"], root, env)
        startup.runs.append(_check_floor(run, "import libcst"))
        run = run_command([sys.executable, "-c", _LIST_AND_STAT, *folders], root, env)
        listing.runs.append(_check_floor(run, "the listing floor"))
    notes["results"] = results
    return notes


# --- the report -----------------------------------------------------------------------------

TOOLS = (
    ("polster-lint", ("a", "a1", "a2", "b0", "b", "b2")),
    ("import-linter (layers + forbidden)", ("c", "c2", "c3")),
    ("ruff --select E,F", ("r", "r2")),
    ("floor", ("d", "d0", "d1")),
)


def _mb(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def _seconds(value: float | None) -> str:
    return f"{value:9.3f}" if value is not None else f"{'-':>9}"


def _verdict(value: float, target: float, below: bool = False) -> str:
    met = value < target if below else value <= target
    return "PASS" if met else "FAIL"


def targets(count: int, notes: dict, planted: list[tuple[str, str]]) -> list[tuple]:
    """(what, value, target, unit, verdict) for each target that applies at this size;
    the verdict is None for information."""
    results: dict[str, Measurement] = notes["results"]
    rows: list[tuple] = []

    def ratio(what: str, top: str, bottom: str, target: float | None) -> None:
        if top in results and bottom in results:
            value = results[top].seconds / results[bottom].seconds
            verdict = _verdict(value, target) if target is not None else None
            rows.append((what, value, target, "x", verdict))

    at_target = count == 10_000
    ratio("warm / import-linter warm (b / c2)", "b", "c2", 0.1 if at_target else None)
    ratio("warm / ruff warm (b / r2)", "b", "r2", 4.0 if at_target else None)
    ratio("cold / import-linter cold (a / c)", "a", "c", 1.0 if at_target else None)
    ratio("facts changed / import-linter warm (b2 / c2)", "b2", "c2", None)
    ratio("cold / ruff cold (a / r)", "a", "r", None)
    ratio("cold --jobs 1 / cold (a1 / a)", "a1", "a", None)
    ratio("cold / libcst floor (a / d)", "a", "d", None)
    cores = os.cpu_count() or 1
    if "d" in results and "c" in results:
        value = results["d"].seconds / cores / results["c"].seconds
        rows.append((f"libcst floor on {cores} cores / import-linter cold", value, None, "x", None))
    if {"d0", "d1", "c2"} <= set(results):
        least = results["d0"].seconds + results["d1"].seconds
        value = least / results["c2"].seconds
        rows.append(("(import libcst + list) / import-linter warm", value, None, "x", None))
    peaks = [results[c].memory_mb for c in ("a", "a1", "a2", "b0", "b", "b2") if c in results]
    peak = max((p for p in peaks if p is not None), default=None)
    if peak is not None:
        verdict = _verdict(peak, 200.0, below=True) if at_target else None
        rows.append(("polster-lint peak memory", peak, 200.0 if at_target else None, "MB", verdict))
    same = all(found == planted for found in notes["findings"].values())
    verdict = "PASS" if same else "FAIL"
    rows.append(("findings = planted (a, a1, a2, b0, b, b2)", float(same), 1.0, "", verdict))
    return rows


def report(project: Project, count: int, repeat: int, notes: dict) -> str:
    results: dict[str, Measurement] = notes["results"]
    lines = [
        "",
        f"== {count:,} assets: {notes['files']:,} files linted, "
        f"{len(project.planted)} planted findings, median of {repeat} run(s) ==",
        f"{'measurement':<52}{'seconds':>9}{'cpu s':>9}{'peak MB':>9}{'maxRSS MB':>10}",
    ]
    for tool, codes in TOOLS:
        for code in codes:
            if code in results:
                m = results[code]
                label = f"{code:<3}{tool}: {m.label}"
                lines.append(
                    f"{label[:51]:<52}{_seconds(m.seconds)}{_seconds(m.cpu_seconds)}"
                    f"{_mb(m.peak_mb)} {_mb(m.max_rss_mb)}"
                )
    lines.append("targets and ratios")
    planted = sorted((p.path, p.code) for p in project.planted)
    for what, value, target, unit, verdict in targets(count, notes, planted):
        if unit == "":
            lines.append(f"  {what:<50}{'':>9}  {verdict}")
            continue
        shown = f"{value:9.1f}" if unit == "MB" else f"{value:9.3f}"
        goal = (
            f"target {'<' if unit == 'MB' else '<='} {target:g}{unit}  {verdict}"
            if verdict
            else "(info)"
        )
        lines.append(f"  {what:<50}{shown}  {goal}")
    for code, found in notes["findings"].items():
        if found != planted:
            missing = sorted((Counter(planted) - Counter(found)).elements())
            extra = sorted((Counter(found) - Counter(planted)).elements())
            lines.append(
                f"  findings of {code}: {len(missing)} missing {missing[:3]}, "
                f"{len(extra)} unexpected {extra[:3]}"
            )
    if "import_linter_summary" in notes:
        lines.append(f"  import-linter (c): {notes['import_linter_summary']}")
    load = notes["load"]
    busy = (
        " (busy machine: wall times and their ratios are inflated)"
        if max(load) > (os.cpu_count() or 1)
        else ""
    )
    lines.append(f"  load average before/after: {load[0]:.1f} / {load[1]:.1f}{busy}")
    lines.append(f"  styles: {dict(sorted(project.styles.items()))}")
    lines.append(f"  kinds: {dict(sorted(project.kinds.items()))}; edited: {notes['edited']}")
    return "\n".join(lines)


def growth(by_size: dict[int, dict]) -> list[str]:
    """Time per asset at 50,000 against 10,000 assets, cold and warm (target <= 1.2)."""
    if not {10_000, 50_000} <= set(by_size):
        return []
    lines = ["", "== linear growth: time per asset at 50,000 / at 10,000 =="]
    for code, what in (("a", "cold"), ("b", "warm, 1 file edited")):
        small, large = by_size[10_000]["results"][code], by_size[50_000]["results"][code]
        value = (large.seconds / 50_000) / (small.seconds / 10_000)
        lines.append(f"  {what:<50}{value:9.3f}  target <= 1.2  {_verdict(value, 1.2)}")
    return lines


ROWS = (
    ("polster-lint cold (`--no-cache`)", "a"),
    ("polster-lint cold, `--jobs 1`", "a1"),
    ("polster-lint warm, nothing changed", "b0"),
    ("**polster-lint warm, 1 file edited**", "b"),
    ("polster-lint warm, 1 file's facts changed", "b2"),
    ("import-linter cold (layers + forbidden)", "c"),
    ("**import-linter warm, 1 file edited**", "c2"),
    ("import-linter warm, + independence contracts", "c3"),
    ("ruff `--select E,F` cold", "r"),
    ("**ruff warm, 1 file edited**", "r2"),
    ("floor: libcst parse of every asset module, one process", "d"),
    ("floor: a process importing libcst", "d0"),
    ("floor: a process listing and stat-ing every file", "d1"),
)


def markdown(by_size: dict[int, dict], projects: dict[int, Project]) -> str:
    """The README's table: wall (CPU) seconds per size, then the targets."""
    sizes = sorted(by_size)
    head = " | ".join(f"{size:,} assets ({by_size[size]['files']:,} files)" for size in sizes)
    lines = [f"| | {head} |", "|---|" + "---:|" * len(sizes)]
    for label, code in ROWS:
        cells = []
        for size in sizes:
            m = by_size[size]["results"].get(code)
            cpu = f" ({m.cpu_seconds:.2f})" if m is not None and m.cpu_seconds is not None else ""
            cells.append(f"{m.seconds:.2f} s{cpu}" if m is not None else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for size in sizes:
        planted = sorted((p.path, p.code) for p in projects[size].planted)
        for what, value, target, unit, verdict in targets(size, by_size[size], planted):
            if verdict is None or unit == "":
                continue
            shown = f"{value:.0f} MB" if unit == "MB" else f"{value:.3f}"
            sign = "<" if unit == "MB" else "<="
            lines.append(
                f"| {what} at {size:,} (target {sign} {target:g}{unit}) | {shown} {verdict} |"
            )
    return "\n".join(lines)


MARKER = ".lint-bench"


def snapshot(workdir: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A copy of the ``polster_lint`` package this Python imports, and the command and
    environment that run it."""
    import polster_lint

    package = Path(polster_lint.__file__).parent
    copy = workdir / "snapshot"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(package, copy / "polster_lint", ignore=shutil.ignore_patterns("__pycache__"))
    path = os.pathsep.join(filter(None, [str(copy), env.get("PYTHONPATH", "")]))
    return [sys.executable, "-m", "polster_lint"], {**env, "PYTHONPATH": path}


def project_at(workdir: Path, count: int, seed: int) -> tuple[Project, float]:
    """The project of ``count`` assets in ``workdir``: reused when a marker says it was
    made with this size and seed and no run was stopped while editing it (see ``main``),
    else generated (the seconds it took)."""
    root = workdir / f"assets_{count}"
    marker = f"{count} {seed}\n"
    if (root / MARKER).is_file() and (root / MARKER).read_text() == marker:
        return generate_project(root, count, seed=seed, write=False), 0.0
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    project = generate_project(root, count, seed=seed)
    (root / MARKER).write_text(marker)
    return project, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="asset counts, comma-separated")
    parser.add_argument(
        "--repeat", type=int, help="runs per measurement (default: 3 up to 1,000 assets, else 1)"
    )
    parser.add_argument("--seed", type=int, default=20261128, help="layout seed")
    parser.add_argument("--workdir", type=Path, help="where the projects are made and kept")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--no-floor", action="store_true", help="skip the libcst floor (d)")
    parser.add_argument(
        "--extras-max",
        type=int,
        default=10_000,
        help="run the information-only measurements that grow fastest (c3, d) up to this "
        "many assets (default: 10,000; c3 takes minutes there already)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the README table too")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="run a copy of polster_lint made at the start (edits to the checkout during a "
        "long run then change nothing; a changed linter invalidates its cache)",
    )
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="polster-lint-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = tool_environment(workdir)
    lint = None
    if args.snapshot:
        lint, env = snapshot(workdir, env)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, projects in {workdir}")
    by_size: dict[int, dict] = {}
    projects: dict[int, Project] = {}
    try:
        for count in sizes:
            repeat = args.repeat or (3 if count <= 1000 else 1)
            project, generated = project_at(workdir, count, args.seed)
            load_before = os.getloadavg()[0]
            extras = count <= args.extras_max
            floor = extras and not args.no_floor
            # A run killed while a file is edited must not leave that edit for the next
            # one to measure from: the marker is away for as long as files may be edited.
            marker = project.root / MARKER
            made_with = marker.read_text()
            marker.unlink()
            notes = measure(project, repeat, env, floor, lint, independence=extras)
            marker.write_text(made_with)
            notes["load"] = (load_before, os.getloadavg()[0])
            by_size[count], projects[count] = notes, project
            print(report(project, count, repeat, notes))
            made = f"generated in {generated:.1f} s" if generated else "reused"
            print(f"  (project {made})", flush=True)
        for line in growth(by_size):
            print(line)
        if args.markdown:
            print()
            print(markdown(by_size, projects))
    except CrashError as error:
        print(f"lint_bench: crashed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep or args.workdir:
            print(f"projects kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
