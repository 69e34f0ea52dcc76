"""Lint a project: read its files, build the graph, check it, place and filter findings.

What one file may cost is bounded before it is parsed: ``read_module`` reads only regular
files inside the project, up to ``max-file-size``, and a file with more tokens than the
configured budget is not handed to a parser. Each refusal is a POL000 naming the reason.

The facts come from :class:`~polster_lint.adapters.cache.FactsSource`, which parses only
what changed since the last run and knows whether every file's facts are still those the
last verdict was found for; then the graph is not built again, and a warm run costs
little more than listing the files. A cold run parses in worker processes when there are
enough files to pay for them, cheap work first.
"""

import gc
import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from polster_lint.adapters.cache import FactsSource, Parsed, Parsing, Verdict, content_hash
from polster_lint.adapters.fix_files import NotFixable, read_source, write_source
from polster_lint.adapters.output import shown
from polster_lint.adapters.project import (
    ListedFile,
    Listings,
    UnreadableFile,
    classify,
    find_support,
    list_files,
    read_module,
)
from polster_lint.adapters.pyproject import ruff_line_length
from polster_lint.adapters.runtime import runtime_differences
from polster_lint.domain.checks import check_all
from polster_lint.domain.config import BYTES_PER_TOKEN, MAX_FILE_SIZE_RANGE, LintConfig
from polster_lint.domain.graph import AssetGraph, build_graph, referenced_modules
from polster_lint.domain.layout import is_core_path, source_file, support_file
from polster_lint.domain.model import Finding, Key, ModuleFacts, Position, SourceFile, key_string
from polster_lint.domain.rules.pol100_unused_noqa import UnusedNoqa
from polster_lint.domain.violation import Violation
from polster_lint.errors import ProjectError
from polster_lint.fixes.edit import Edit
from polster_lint.parsing.reads import estimated_tokens, extract_reads, read_positions

_SUPPORT_ROUNDS = 3
"""How many import hops away from the asset modules and the definitions the linter reads."""

_PARALLEL_FROM = 400
"""The fewest libcst-parsed files worth starting worker processes for: a worker costs
about 0.2 s of CPU (importing libcst), a file 1 to 2 ms. Measured on 2 cores at 3,000
assets: the same CPU time in one process or two, the wall time down by a third when the
second core is free (and no gain when other work holds it)."""

_CHUNK = 48
"""Files per task sent to a worker: enough to make the round trip cheap, few enough that
the last tasks share out evenly."""

NoqaMap = Mapping[str, Mapping[int, frozenset[str]]]
"""The ``noqa`` comments of each file that has some: relative path -> line -> codes."""


@dataclass
class _Collected:
    """Every file read in a run with its facts, and how the support modules were found."""

    modules: list[tuple[SourceFile, ModuleFacts]]
    looked_up: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)


Edits = dict[str, list[Edit]]
"""The safe fixes of the findings of a run, by the relative path of the file they edit."""


@dataclass
class Placed:
    """The findings that survive filtering, and the fixes they offer."""

    findings: list[Finding]
    edits: Edits = field(default_factory=dict)


class LintResult:
    """The findings of a run and their fixes; the graph and the modules' facts on demand
    (a warm run that took the last verdict as it was has not built them)."""

    def __init__(
        self,
        placed: Placed,
        build: Callable[[], tuple[AssetGraph, _Collected]],
        linted: Callable[[str], str | None] = lambda relative: None,
    ) -> None:
        self.findings = placed.findings
        self.edits = placed.edits
        self.linted = linted
        """File -> the hash of the content it was linted as (None when unknown)."""
        self._build = build
        self._built: tuple[AssetGraph, _Collected] | None = None

    @property
    def graph(self) -> AssetGraph:
        return self._parts()[0]

    @property
    def modules(self) -> list[tuple[SourceFile, ModuleFacts]]:
        return self._parts()[1].modules

    def _parts(self) -> tuple[AssetGraph, _Collected]:
        if self._built is None:
            self._built = self._build()
        return self._built


def lint_project(
    root: Path,
    config: LintConfig,
    only: set[Path] | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    check_runtime: bool = False,
) -> LintResult:
    """Check the whole project; report only findings in ``only`` files when given.

    The graph always spans every file: a rule about one file (an unknown upstream, a
    cycle) depends on all the others. The cache makes that cheap on a warm run: when no
    file's facts changed, the last run's violations are still the project's.
    """
    with _without_cycle_collector():
        return _lint_project(root, config, only, use_cache, jobs, check_runtime)


@dataclass(frozen=True)
class Change:
    """What the fixes change in one file: its text before and after, in its encoding."""

    relative: str
    before: str
    after: str
    encoding: str = "utf-8"


@dataclass
class Fixed:
    """What ``--fix``/``--diff`` did: the files changed, what is left to report, and one
    line for each file whose fixes were not made, as a note (the file cannot be fixed
    safely: a link, a file libcst would not write back as it is) or as an error (it could
    not be written, or changed since it was linted)."""

    changes: list[Change]
    result: LintResult
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fix_project(
    root: Path,
    config: LintConfig,
    write: bool,
    only: set[Path] | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    check_runtime: bool = False,
) -> Fixed:
    """The safe fixes of a run, file by file, and what is left to report.

    With ``write`` (``--fix``) each changed file is written, and the project is linted
    again: the result is what the fixes left. Without (``--diff``) nothing is written and
    the result is the run's own. The fixes are those of the findings that survive
    ``--select``, ``--ignore`` and ``# noqa``. A fix is made only into the very bytes that
    were linted (the positions are theirs); a file that cannot be fixed is left as it is,
    and said so in one line, while the others are fixed.
    """
    from polster_lint.fixes.apply import NotRoundTrip, apply_edits  # libcst: only when fixing

    result = lint_project(root, config, only, use_cache, jobs)
    fixed = Fixed([], result)
    line_length = ruff_line_length(root) if result.edits else None
    first_party = _first_party(root / config.source_root) if result.edits else frozenset()
    for relative, edits in sorted(result.edits.items()):
        try:
            source = read_source(root, relative, writable=write)
        except NotFixable as refusal:
            fixed.notes.append(f"{shown(relative)} is not fixed: {refusal}")
            continue
        except ProjectError as error:
            fixed.errors.append(str(error))
            continue
        if content_hash(source.data) != result.linted(relative):
            fixed.errors.append(f"{shown(relative)} changed since it was linted; not fixed")
            continue
        try:
            after = apply_edits(source.text, edits, line_length, first_party)
        except NotRoundTrip as refusal:
            fixed.notes.append(f"{shown(relative)} is not fixed: {refusal}")
            continue
        if after == source.text:
            continue
        if write:
            try:
                write_source(source, after)
            except ProjectError as error:
                fixed.errors.append(str(error))
                continue
        fixed.changes.append(Change(relative, source.text, after, source.encoding))
    if write and (fixed.changes or check_runtime):
        fixed.result = lint_project(root, config, only, use_cache, jobs, check_runtime)
    return fixed


def _first_party(source_root: Path) -> frozenset[str]:
    """The project's top-level packages and modules (isort's first party)."""
    try:
        entries = list(os.scandir(source_root))
    except OSError:
        return frozenset()
    return frozenset(
        entry.name.removesuffix(".py")
        for entry in entries
        if entry.name.isidentifier() or entry.name.endswith(".py")
    )


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Run without Python's cyclic garbage collector. A run makes millions of small
    objects (facts, graph, JSON) and keeps most of them: the collector would walk them
    all again and again, and it doubled the time a cache takes to load (measured). The
    little cyclic garbage parsing leaves is collected as it goes (see ``_each``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lint_project(
    root: Path,
    config: LintConfig,
    only: set[Path] | None,
    use_cache: bool,
    jobs: int | None,
    check_runtime: bool,
) -> LintResult:
    listings: Listings = {}
    listed = list_files(root, config, listings)
    source = FactsSource.open(root, config, _parsing(config, jobs), use_cache)
    built: list[tuple[AssetGraph, _Collected]] = []

    def build() -> tuple[AssetGraph, _Collected]:
        if not built:
            collected = _collect(root, config, listed, source, listings)
            graph = build_graph(
                collected.modules,
                config.definitions_module,
                config.layer_source,
                config.layer_folders,
            )
            built.append((graph, collected))
        return built[0]

    earlier = _earlier_verdict(root, config, listed, source, listings)
    if earlier is not None:
        violations, noqa = list(earlier.violations), earlier.noqa
    else:
        graph, collected = build()
        violations = check_all(graph, collected.modules, config)
        noqa = noqa_of(collected.modules)
        verdict = Verdict(
            list(violations), noqa, sorted(set(collected.looked_up)), collected.support
        )
        source.remember(verdict, [file.relative for file, _ in collected.modules])
    if check_runtime:
        graph, collected = build()
        files = [file for file, _ in collected.modules]
        violations += runtime_differences(root, config, graph, files)
    if only is not None:
        # realpath, not Path.resolve: that raises on a symbolic link loop.
        violations = [v for v in violations if Path(os.path.realpath(v.file.path)) in only]
        # The comments of the other files silence violations not checked here: none is unused.
        noqa = {
            relative: comments
            for relative, comments in noqa.items()
            if Path(os.path.realpath(root / relative)) in only
        }
    placed = place(violations, noqa, config, _locator(source))
    source.close()
    return LintResult(placed, build, source.linted_hash)


def _earlier_verdict(
    root: Path,
    config: LintConfig,
    listed: list[ListedFile],
    source: FactsSource,
    listings: Listings,
) -> Verdict | None:
    """The last run's verdict when it still holds: the same settings, the same files (the
    support modules looked up again under the same names are the same ones), and every
    file's facts as they were."""
    verdict = source.earlier_verdict()
    if verdict is None:
        return None
    known = {file.relative for file in listed}
    support, _ = find_support(root, config, known, verdict.looked_up, listings)
    if sorted(file.relative for file in support) != sorted(verdict.support):
        return None
    return verdict if source.unchanged(listed + support) else None


def _collect(
    root: Path,
    config: LintConfig,
    listed: list[ListedFile],
    source: FactsSource,
    listings: Listings,
) -> _Collected:
    """Every module's facts: the asset and core modules, the definitions module, then the
    modules they import from (a resource class, shared decorator options, a factory) or
    that the definitions load, a few hops deep."""
    known = {file.relative for file in listed}
    support, looked_up = find_support(root, config, known, [config.definitions_module], listings)
    files = listed + support
    modules = list(
        zip([classify(file, config) for file in files], source.facts(files), strict=True)
    )
    for _ in range(_SUPPORT_ROUNDS):
        wanted = {name for _, facts in modules for name in referenced_modules(facts)}
        extra, looked = find_support(root, config, known, wanted, listings)
        looked_up += looked
        if not extra:
            break
        support += extra
        modules += zip([classify(file, config) for file in extra], source.facts(extra), strict=True)
    return _Collected(modules, looked_up, [file.relative for file in support])


# --- parsing -------------------------------------------------------------------------------


def _parsing(config: LintConfig, jobs: int | None) -> Parsing:
    """What the facts source borrows from here: the parsers, and the way to run them."""
    return Parsing(
        extract=partial(_extract_listed, config),
        locate=_positions_in,
        run=partial(_run_all, config, jobs),
    )


def _extract_listed(config: LintConfig, file: ListedFile, source: bytes | str) -> ModuleFacts:
    """The facts of a listed file from its bytes, or saying why it was not read."""
    found = classify(file, config)
    if isinstance(source, str):
        return _refused(found, source)
    return _facts_of(found, source, config.max_tokens)


def _run_all(
    config: LintConfig,
    jobs: int | None,
    task: Callable[[ListedFile], Parsed],
    files: list[ListedFile],
) -> list[Parsed]:
    """``task`` over ``files``, in order; in worker processes when enough files need
    libcst to pay for starting them.

    This process does the cheap work first (core modules, read with CPython's own
    parser), while the workers start on the libcst ones, largest first; then it takes
    libcst files from the end of the queue until the workers have started on all.
    """
    workers = jobs or os.cpu_count() or 1
    heavy = [index for index, file in enumerate(files) if _needs_libcst(file, config)]
    if workers <= 1 or len(heavy) < _PARALLEL_FROM:
        return _each(task, files)
    # Imported here: a warm run parses a file or two and never starts a worker.
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    heavy.sort(key=lambda index: -_size(files[index]))
    light = sorted(set(range(len(files))) - set(heavy))
    chunks = [heavy[start : start + _CHUNK] for start in range(0, len(heavy), _CHUNK)]
    results: list[Parsed | None] = [None] * len(files)
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
        futures: list[Future[list[Parsed]]] = [
            pool.submit(_run_chunk, task, [files[index] for index in chunk]) for chunk in chunks
        ]
        for index, parsed in zip(light, _each(task, [files[i] for i in light]), strict=True):
            results[index] = parsed
        for number in range(len(chunks) - 1, -1, -1):
            if not futures[number].cancel():
                break  # the workers have this one and every one before it
            for index, parsed in zip(
                chunks[number], _each(task, [files[i] for i in chunks[number]]), strict=True
            ):
                results[index] = parsed
        for number, future in enumerate(futures):
            if not future.cancelled():
                for index, parsed in zip(chunks[number], future.result(), strict=True):
                    results[index] = parsed
    return [parsed for parsed in results if parsed is not None]


def _run_chunk(task: Callable[[ListedFile], Parsed], files: list[ListedFile]) -> list[Parsed]:
    return _each(task, files)


_COLLECT_EVERY = 64
"""Files parsed between two collections of the youngest objects (libcst leaves a few
dozen objects in reference cycles per module; the collector is otherwise off)."""


def _each(task: Callable[[ListedFile], Parsed], files: list[ListedFile]) -> list[Parsed]:
    results: list[Parsed] = []
    for file in files:
        results.append(task(file))
        _since_collection[0] += 1
        if _since_collection[0] >= _COLLECT_EVERY:
            gc.collect(0)
            _since_collection[0] = 0
    return results


_since_collection = [0]
"""Files parsed in this process since the last collection (chunks are smaller)."""


def _needs_libcst(file: ListedFile, config: LintConfig) -> bool:
    return not is_core_path(file.relative, config)


def _size(file: ListedFile) -> int:
    return file.signature[0] if file.signature else 0


@dataclass(frozen=True)
class _Limits:
    """What the linter may read: files inside ``root``, of at most ``max_size`` bytes."""

    root: Path
    max_size: int = MAX_FILE_SIZE_RANGE[1]

    @property
    def max_tokens(self) -> int:
        return self.max_size // BYTES_PER_TOKEN


def _facts_of(file: SourceFile, source: bytes, max_tokens: int) -> ModuleFacts:
    """The facts of one module's source: libcst for asset modules, ``ast`` for core ones."""
    tokens = estimated_tokens(source)
    if tokens > max_tokens:
        return _refused(file, _too_many_tokens(tokens, max_tokens))
    if file.is_asset_module or file.is_support:
        from polster_lint.parsing.extract import extract as reader  # libcst: imported when needed
    else:
        reader = extract_reads
    return reader(source, file.module, file.is_package)


def _refused(file: SourceFile, reason: str) -> ModuleFacts:
    facts = ModuleFacts(module=file.module)
    facts.syntax_error = (reason, Position(1, 1))
    return facts


def _too_many_tokens(tokens: int, max_tokens: int) -> str:
    return (
        f"the file has about {tokens:,} tokens, over the {max_tokens:,} polster-lint parses "
        f"in one module (one per {BYTES_PER_TOKEN} bytes of max-file-size in "
        "[tool.polster.lint])"
    )


def _limits_for(file: SourceFile, limits: _Limits | None) -> _Limits:
    """The given limits, or for a caller without them: the file's project, the hard cap."""
    if limits is not None:
        return limits
    depth = len(file.relative.split("/"))
    return _Limits(file.path.parents[depth - 1] if depth else file.path)


def positions_of(file: SourceFile, limits: _Limits | None = None) -> list[Position]:
    """Where each anchor of the file is, computed from the file as it is now. A file that
    can no longer be read has no positions: its findings are placed at 1:1."""
    limit = _limits_for(file, limits)
    try:
        source = read_module(file.path, limit.root, limit.max_size)
    except UnreadableFile:
        return []
    return _positions_in(file, source)


def _positions_in(file: SourceFile, source: bytes) -> list[Position]:
    if file.is_asset_module or file.is_support:
        from polster_lint.parsing.extract import anchor_positions as locate
    else:
        locate = read_positions
    return locate(source, file.module, file.is_package)


Locator = Callable[[SourceFile, int], list[Position]]
"""Where the anchors of a file are; the list reaches at least the given anchor if it can."""


def _locator(source: FactsSource) -> Locator:
    """Positions from the facts source, computed again when the known ones fall short
    (they were computed for other content)."""
    known: dict[str, list[Position]] = {}

    def locate(file: SourceFile, anchor: int) -> list[Position]:
        if file.relative not in known:
            known[file.relative] = source.positions(file)
        if anchor >= len(known[file.relative]):
            known[file.relative] = source.positions(file, fresh=True)
        return known[file.relative]

    return locate


def place(
    violations: Sequence[Violation],
    noqa: NoqaMap,
    config: LintConfig,
    locate: Locator,
) -> Placed:
    """Give each violation its line and column, then apply select/ignore and ``noqa``
    (``noqa``: each file's comments, by relative path); place the fixes of those left."""
    placed = Placed([])
    findings = placed.findings
    used_noqa: set[tuple[str, int, str]] = set()
    for violation in violations:
        if violation.code not in config.codes:
            continue
        line, column = violation.line or 1, violation.column or 1
        if violation.anchor is not None:
            known = locate(violation.file, violation.anchor)
            if violation.anchor < len(known):
                line, column = known[violation.anchor].line, known[violation.anchor].column
        comments = noqa.get(violation.file.relative)
        silenced = comments.get(line, frozenset()) if comments else frozenset()
        if violation.code in silenced:
            used_noqa.add((violation.file.relative, line, violation.code))
            continue
        findings.append(_finding(violation, line, column))
        _place_fix(violation, Position(line, column), locate, placed.edits)
    if "POL100" in config.codes:
        for relative, line, code in _unused_noqa(noqa, used_noqa, config.codes):
            message = f"unused noqa: {code} silences nothing here"
            findings.append(Finding(relative, line, 1, "POL100", message))
            placed.edits.setdefault(relative, []).append(Edit(UnusedNoqa.fix_for(code), line, 1))
    findings.sort(key=Finding.sort_key)
    return placed


def _place_fix(violation: Violation, at: Position, locate: Locator, edits: Edits) -> None:
    """The violation's fix, placed: at the finding, or at the fix's own anchor in the file
    it edits (not placed when that anchor is no longer in the file)."""
    fix = violation.fix
    if fix is None:
        return
    file = fix.file or violation.file
    if fix.anchor is not None:
        known = locate(file, fix.anchor)
        if fix.anchor >= len(known):
            return
        at = known[fix.anchor]
    edits.setdefault(file.relative, []).append(Edit(fix, at.line, at.column))


def _finding(violation: Violation, line: int, column: int) -> Finding:
    return Finding(
        path=violation.file.relative,
        line=line,
        column=column,
        code=violation.code,
        message=violation.message,
        asset=key_string(violation.asset) if violation.asset else None,
        dependency=key_string(violation.dependency) if violation.dependency else None,
    )


def _unused_noqa(
    noqa: NoqaMap, used: set[tuple[str, int, str]], checked: Collection[str]
) -> Iterator[tuple[str, int, str]]:
    """Each ``(relative path, line, code)`` of a ``noqa`` comment that silenced nothing.

    Only the ``checked`` codes can be judged: a comment silencing a rule left out by
    ``--select``/``--ignore`` may well be needed (and ``--fix`` would remove it).
    """
    for relative, comments in noqa.items():
        for line, codes in comments.items():
            for code in sorted(codes):
                if (relative, line, code) not in used and code in checked and code != "POL100":
                    yield relative, line, code


def noqa_of(
    modules: Iterable[tuple[SourceFile, ModuleFacts]],
) -> dict[str, dict[int, frozenset[str]]]:
    """The ``noqa`` comments of the modules that have some, by relative path."""
    return {file.relative: facts.noqa for file, facts in modules if facts.noqa}


def asset_lines(graph: AssetGraph) -> dict[Key, int]:
    """The line of each asset's declaration (positions are computed per file, on demand)."""
    positions: dict[Path, list[Position]] = {}
    lines: dict[Key, int] = {}
    for asset in graph.assets.values():
        if asset.file.path not in positions:
            positions[asset.file.path] = positions_of(asset.file)
        known = positions[asset.file.path]
        lines[asset.key] = known[asset.decl.anchor].line if asset.decl.anchor < len(known) else 1
    return lines


def lint_sources(
    sources: Mapping[str, str | bytes], config: LintConfig | None = None
) -> list[Finding]:
    """Lint a project held in memory, ``{relative path: source}``: no disk, no cache.

    The rule examples and the tests use it; the files are classified, parsed, checked and
    placed exactly as ``lint_project`` does for files on disk.
    """
    config = config or LintConfig()
    data = {
        path: text.encode() if isinstance(text, str) else text for path, text in sources.items()
    }
    files = [
        source_file(path, config) or support_file(path, config)
        for path in sorted(data)
        if path.endswith(".py")
    ]
    max_tokens = config.max_file_size // BYTES_PER_TOKEN
    modules = [(file, _facts_of(file, data[file.relative], max_tokens)) for file in files]
    graph = build_graph(
        modules, config.definitions_module, config.layer_source, config.layer_folders
    )
    violations = check_all(graph, modules, config)
    return place(
        violations,
        noqa_of(modules),
        config,
        lambda file, _: _positions_in(file, data[file.relative]),
    ).findings
