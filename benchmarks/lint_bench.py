"""Benchmark ``polster-lint`` on synthetic Polster projects of 1,000 and 10,000 assets.

Run it from the repository root, with the environment the linter is installed in::

    .venv/bin/python benchmarks/lint_bench.py [--sizes 1000,10000] [--repeat N] [--keep]

It is a measurement, not a test: it prints a table per size, with PASS/FAIL next to each
target, and exits 0 unless something crashed (a tool exiting with an error, say).

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
compares the linter's findings with them too.

The measurements (each in the same run, on the same tree, OS file cache warm)
------------------------------------------------------------------------------
a.  ``polster-lint --no-cache ROOT``: cold, default ``--jobs`` (one parsing process per CPU).
a1. the same with ``--jobs 1``: cost per file without the parallelism (information only).
a2. ``polster-lint ROOT`` with an empty cache: the run that fills it (information only).
b.  ``polster-lint ROOT`` warm: after a run that filled the cache, one asset module is
    edited (a comment appended, so its size, mtime and hash change) and the run is timed.
    This is what a pre-commit hook costs after a small edit.
c.  ``lint-imports --no-cache``: import-linter, cold, on the same tree.
c2. ``lint-imports`` warm, one file changed: its own cache filled by a first run, the same
    kind of edit, then timed. That is how import-linter runs in a pre-commit hook.
c3. c2 with only the ``layers`` and ``forbidden`` contracts (information only: the
    ``independence`` contracts grow faster than linearly with the number of modules).
d.  the floor: in this process, read every file ``polster-lint`` reads (every ``.py`` under
    the assets and core folders) and ``libcst.parse_module`` it once, in one process.

Wall time is the median of ``--repeat`` runs (default: 3 for up to 1,000 assets, else 1).
Memory, for subprocesses: ``peak MB`` is the peak of the sum of PSS over the process and
all its descendants (sampled from /proc every 10 ms, so PSS shares the pages a forked
worker has in common with its parent instead of counting them twice); ``max RSS MB`` is
the ``ru_maxrss`` that ``wait4`` reports for the process, i.e. its largest single process.
The memory target uses the larger of the two, over every ``polster-lint`` run. ``cpu s``
is user + system time (of the process and its descendants, or of this process for d): on a
busy machine wall times, and so the targets' ratios, inflate; CPU times much less. The
report prints the load average before and after each size.

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
  ``allow_indirect_imports = True``, since gold -> silver -> bronze is the intended chain;
* an ``independence`` contract per layer over ``orchestration.assets.<layer>.*``: no module
  of a layer imports another one of the same layer (POL004, and POL001 for bronze).

Import-linter's result (contracts broken) is not compared: only its time and memory are.
The ratio that matters for a pre-commit hook compares like with like, both warm with one
file changed (b / c2, target <= 0.5); b / c (against import-linter cold) is printed too.
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

TARGET_WARM = 0.5
TARGET_COLD_RATIO = 1.0
TARGET_PEAK_MB = 500.0
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

    def edit_target(self) -> Path:
        """A clean silver asset module, edited before each warm run."""
        violating = {planted.path for planted in self.planted}
        for asset in self.assets[len(self.assets) // 2 :] + self.assets:
            if asset.layer == "silver" and asset.path not in violating:
                return self.root / asset.path
        raise AssertionError("no clean silver asset to edit")


def generate_project(
    root: Path, count: int, seed: int = 20261128, violations: int | None = None
) -> Project:
    """Write a synthetic Polster project of ``count`` assets under ``root``.

    ``violations`` defaults to 1% of ``count``, at least 3 (one of each kind).
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
    label: str
    runs: list[Run]

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

    def __init__(self, pid: int, interval: float = 0.01) -> None:
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
    """The floor: read and ``libcst.parse_module`` every file once, in this process."""
    import libcst

    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        libcst.parse_module(path.read_bytes())
    return Run(seconds=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu)


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


def findings_of(run: Run) -> list[tuple[str, str]]:
    found = []
    for line in run.stdout.splitlines():
        match = FINDING.match(line)
        if match:
            found.append((match["path"], match["code"]))
    return sorted(found)


def _edit(path: Path, number: int) -> None:
    with path.open("a") as handle:
        handle.write(f"# benchmark edit {number}\n")


def measure(project: Project, repeat: int) -> tuple[list[Measurement], dict]:
    root = project.root
    lint = _tool("polster-lint")
    if lint is None:
        raise CrashError("polster-lint is not installed in this environment")
    help_text = subprocess.run([lint, "--help"], capture_output=True, text=True).stdout
    has_no_cache, has_jobs = "--no-cache" in help_text, "--jobs" in help_text
    cold_args = [lint, str(root), *(["--no-cache"] if has_no_cache else [])]
    notes: dict = {"no_cache_flag": has_no_cache, "jobs_flag": has_jobs}
    cache_dir = root / ".polster_cache"
    results: list[Measurement] = []

    results.append(Measurement("d  libcst.parse_module floor (in-process)", []))
    files = project.lint_files
    notes["files"] = len(files)
    for _ in range(repeat):
        results[-1].runs.append(bare_parse(files))

    cold = Measurement("a  polster-lint --no-cache (cold)", [])
    for _ in range(repeat):
        cold.runs.append(_check_lint(run_command(cold_args, root), "polster-lint (cold)"))
    results.append(cold)
    notes["findings"] = findings_of(cold.runs[0])

    if has_jobs:
        single = Measurement("a1 polster-lint --no-cache --jobs 1", [])
        for _ in range(repeat):
            run = run_command([*cold_args, "--jobs", "1"], root)
            single.runs.append(_check_lint(run, "polster-lint --jobs 1"))
        results.append(single)

    fill = Measurement("a2 polster-lint, empty cache (fills it)", [])
    warm = Measurement("b  polster-lint warm, 1 file changed", [])
    target = project.edit_target()
    for number in range(repeat):
        shutil.rmtree(cache_dir, ignore_errors=True)
        fill.runs.append(_check_lint(run_command([lint, str(root)], root), "polster-lint (fill)"))
        _edit(target, number)
        warm.runs.append(_check_lint(run_command([lint, str(root)], root), "polster-lint (warm)"))
    results += [fill, warm]
    notes["warm_findings"] = findings_of(warm.runs[-1])
    notes["edited"] = target.relative_to(root).as_posix()

    lint_imports = _tool("lint-imports")
    notes["import_linter"] = lint_imports is not None
    if lint_imports is not None:
        env = {**os.environ, "PYTHONPATH": str(root / "src")}
        config = str(root / ".importlinter")
        il_cold = Measurement("c  lint-imports --no-cache (cold)", [])
        for _ in range(repeat):
            run = run_command([lint_imports, "--no-logo", "--no-cache", config], root, env)
            il_cold.runs.append(_check_import_linter(run, "lint-imports (cold)"))
        il_warm = Measurement("c2 lint-imports warm, 1 file changed", [])
        il_cheap = Measurement("c3 c2 without the independence contracts", [])
        cheap = ["--contract", "layers", "--contract", "gold-not-bronze"]
        for number in range(repeat):
            shutil.rmtree(root / ".import_linter_cache", ignore_errors=True)
            run = run_command([lint_imports, "--no-logo", config], root, env)
            _check_import_linter(run, "lint-imports (fill)")
            _edit(target, 1000 + number)
            run = run_command([lint_imports, "--no-logo", config], root, env)
            il_warm.runs.append(_check_import_linter(run, "lint-imports (warm)"))
            _edit(target, 2000 + number)
            run = run_command([lint_imports, "--no-logo", *cheap, config], root, env)
            il_cheap.runs.append(_check_import_linter(run, "lint-imports (warm, 2 contracts)"))
        results += [il_cold, il_warm, il_cheap]
        notes["import_linter_summary"] = next(
            (line.strip() for line in il_cold.runs[0].stdout.splitlines() if "Contracts:" in line),
            "",
        )
    return results, notes


# --- the report -----------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def report(project: Project, count: int, repeat: int, results: list[Measurement], notes) -> str:
    by_code = {m.label.split()[0]: m for m in results}
    lines = [
        "",
        f"== {count:,} assets: {notes['files']:,} files linted, "
        f"{len(project.planted)} planted findings, median of {repeat} run(s) ==",
        f"{'measurement':<44}{'seconds':>9}{'cpu s':>9}{'peak MB':>9}{'maxRSS MB':>10}",
    ]
    order = ["a", "a1", "a2", "b", "c", "c2", "c3", "d"]
    for code in order:
        if code in by_code:
            m = by_code[code]
            cpu = f"{m.cpu_seconds:9.3f}" if m.cpu_seconds is not None else f"{'-':>9}"
            lines.append(f"{m.label:<44}{m.seconds:9.3f}{cpu}{_mb(m.peak_mb)} {_mb(m.max_rss_mb)}")
    lines.append("ratios")

    def ratio_line(label: str, value: float, target: float | None = None, unit: str = "") -> None:
        verdict = f"target <= {target:g}{unit}  {_verdict(value, target)}" if target else "(info)"
        shown = f"{value:8.1f}" if unit else f"{value:8.3f}"
        lines.append(f"  {label:<42}{shown}  {verdict}")

    warm, cold, floor = by_code["b"].seconds, by_code["a"].seconds, by_code["d"].seconds
    if "c2" in by_code:
        ratio_line("warm / import-linter warm (b / c2)", warm / by_code["c2"].seconds, TARGET_WARM)
        ratio_line("warm / import-linter cold (b / c)", warm / by_code["c"].seconds, TARGET_WARM)
        ratio_line("warm / import-linter 2 contracts (b / c3)", warm / by_code["c3"].seconds)
    else:
        lines.append("  warm / import-linter: lint-imports is not installed (pip install it)")
    ratio_line("cold / bare parse (a / d)", cold / floor, TARGET_COLD_RATIO)
    if "a1" in by_code:
        ratio_line("cold --jobs 1 / bare parse (a1 / d)", by_code["a1"].seconds / floor)
    for code in ("a", "a1"):
        if code in by_code and by_code["d"].cpu_seconds and by_code[code].cpu_seconds:
            cpu_ratio = by_code[code].cpu_seconds / by_code["d"].cpu_seconds
            ratio_line(f"CPU time {code} / d", cpu_ratio)
    peaks = [by_code[c].memory_mb for c in ("a", "a1", "a2", "b") if c in by_code]
    peak = max((p for p in peaks if p is not None), default=None)
    if peak is not None:
        ratio_line("polster-lint peak memory (MB)", peak, TARGET_PEAK_MB, " MB")
    planted = sorted((p.path, p.code) for p in project.planted)
    for what, found in (("cold", notes["findings"]), ("warm", notes["warm_findings"])):
        if found == planted:
            lines.append(f"  findings ({what}): exactly the {len(planted)} planted ones")
        else:
            missing = sorted((Counter(planted) - Counter(found)).elements())
            extra = sorted((Counter(found) - Counter(planted)).elements())
            lines.append(
                f"  findings ({what}): MISMATCH, {len(missing)} missing {missing[:3]}, "
                f"{len(extra)} unexpected {extra[:3]}"
            )
    if "import_linter_summary" in notes:
        lines.append(f"  import-linter: {notes['import_linter_summary']}")
    load = notes["load"]
    busy = (
        " (busy machine: wall times and their ratios are inflated)"
        if load[1] > (os.cpu_count() or 1)
        else ""
    )
    lines.append(f"  load average before/after: {load[0]:.1f} / {load[1]:.1f}{busy}")
    if not notes["no_cache_flag"]:
        lines.append("  note: polster-lint has no --no-cache: every run is cold")
    lines.append(f"  styles: {dict(sorted(project.styles.items()))}")
    lines.append(f"  kinds: {dict(sorted(project.kinds.items()))}; edited: {notes['edited']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000", help="asset counts, comma-separated")
    parser.add_argument(
        "--repeat", type=int, help="runs per measurement (default: 3 up to 1,000 assets, else 1)"
    )
    parser.add_argument("--seed", type=int, default=20261128, help="layout seed")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="polster-lint-bench-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, projects in {workdir}")
    try:
        for count in sizes:
            repeat = args.repeat or (3 if count <= 1000 else 1)
            started = time.perf_counter()
            project = generate_project(workdir / f"assets_{count}", count, seed=args.seed)
            generated = time.perf_counter() - started
            load_before = os.getloadavg()[0]
            results, notes = measure(project, repeat)
            notes["load"] = (load_before, os.getloadavg()[0])
            print(report(project, count, repeat, results, notes))
            print(f"  (generated in {generated:.1f} s)", flush=True)
    except CrashError as error:
        print(f"lint_bench: crashed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"projects kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
