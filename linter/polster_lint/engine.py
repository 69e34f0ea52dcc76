"""Lint a project: read its files, build the graph, check it, place and filter findings.

What one file may cost is bounded before it is parsed: ``read_module`` reads only regular
files inside the project, up to ``max-file-size``, and a file with more tokens than the
configured budget is not handed to a parser. Each refusal is a POL000 naming the reason.
"""

import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from polster_lint.adapters.cache import FactsCache, Signature, content_hash
from polster_lint.adapters.project import UnreadableFile, discover, read_module, support_files
from polster_lint.adapters.runtime import runtime_differences
from polster_lint.domain.checks import check_all
from polster_lint.domain.config import BYTES_PER_TOKEN, MAX_FILE_SIZE_RANGE, LintConfig
from polster_lint.domain.graph import AssetGraph, build_graph, referenced_modules
from polster_lint.domain.layout import source_file, support_file
from polster_lint.domain.model import Finding, Key, ModuleFacts, Position, SourceFile, key_string
from polster_lint.domain.violation import Violation
from polster_lint.parsing.reads import estimated_tokens, extract_reads, read_positions

_SUPPORT_ROUNDS = 3
"""How many import hops away from the asset modules and the definitions the linter reads."""

_FILES_PER_WORKER = 300
"""Below this many files per worker, starting processes costs more than it saves."""


_Parsed = tuple[ModuleFacts, tuple[int, int] | None, str | None]
"""A parsed file: its facts, the stat signature and content hash they were read with."""


@dataclass
class LintResult:
    findings: list[Finding]
    graph: AssetGraph
    modules: list[tuple[SourceFile, ModuleFacts]]


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
    cycle) depends on all the others. The cache makes that cheap on a warm run.
    """
    files = discover(root, config)
    cache = FactsCache.for_project(root) if use_cache else None
    limits = _Limits(root, config.max_file_size)
    modules = collect_facts(files, cache, jobs, limits)
    known = {file.relative for file in files}
    for _ in range(_SUPPORT_ROUNDS):
        # Modules the ones read so far import from (a resource class, shared decorator
        # options, a factory) or that the definitions load: read them too.
        wanted = {name for _, facts in modules for name in referenced_modules(facts)}
        extra = support_files(root, config, known, wanted)
        if not extra:
            break
        files += extra
        modules += collect_facts(extra, cache, jobs, limits)
    graph = build_graph(
        modules, config.definitions_module, config.layer_source, config.layer_folders
    )
    violations = check_all(graph, modules, config)
    if check_runtime:
        violations += runtime_differences(root, config, graph, files)
    if only is not None:
        # realpath, not Path.resolve: that raises on a symbolic link loop.
        violations = [v for v in violations if Path(os.path.realpath(v.file.path)) in only]
    findings = place_and_filter(violations, modules, config, _locator(cache, limits))
    if cache is not None:
        cache.keep_only({file.relative for file in files})
        cache.save()
    return LintResult(findings=findings, graph=graph, modules=modules)


@dataclass(frozen=True)
class _Limits:
    """What the linter may read: files inside ``root``, of at most ``max_size`` bytes."""

    root: Path
    max_size: int = MAX_FILE_SIZE_RANGE[1]

    @property
    def max_tokens(self) -> int:
        return self.max_size // BYTES_PER_TOKEN


def collect_facts(
    files: list[SourceFile],
    cache: FactsCache | None,
    jobs: int | None,
    limits: _Limits | None = None,
) -> list[tuple[SourceFile, ModuleFacts]]:
    """Facts for every file: from the cache when unchanged, otherwise parsed (in parallel).

    Only a plain regular file within the size limit is looked up in the cache; any other
    goes to ``_parse_one``, which reports why it is not read.
    """
    found: dict[str, ModuleFacts] = {}
    to_parse: list[SourceFile] = []
    for file in files:
        limit = _limits_for(file, limits)
        signature = _plain_file_signature(file.path, limit.max_size)
        facts = (
            cache.by_signature(file.relative, signature)
            if cache is not None and signature
            else None
        )
        if facts is None and cache is not None and signature and file.relative in cache.entries:
            # Touched but maybe not changed (a checkout, a formatter that changed nothing).
            source = _read(file, limit)
            if isinstance(source, bytes):
                facts = cache.by_hash(file.relative, content_hash(source))
                if facts is not None:
                    cache.store(file.relative, signature, content_hash(source), facts)
        if facts is None:
            to_parse.append(file)
        else:
            found[file.relative] = facts
    parsed = _parse_all(to_parse, jobs, limits)
    for file, (facts, signature, digest) in zip(to_parse, parsed, strict=True):
        found[file.relative] = facts
        if cache is not None and digest is not None:
            cache.store(file.relative, signature, digest, facts)
    return [(file, found[file.relative]) for file in files]


def _parse_all(files: list[SourceFile], jobs: int | None, limits: _Limits | None) -> list[_Parsed]:
    """Parse files, in worker processes when there are enough to pay for starting them."""
    parse = partial(_parse_one, limits=limits)
    workers = min(jobs or os.cpu_count() or 1, max(1, len(files) // _FILES_PER_WORKER))
    if workers <= 1:
        return [parse(file) for file in files]
    # Imported here: a warm run parses a file or two and never starts a worker.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(files) // (workers * 4))
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(parse, files, chunksize=chunk))


def _parse_one(file: SourceFile, limits: _Limits | None = None) -> _Parsed:
    limit = _limits_for(file, limits)
    signature = _plain_file_signature(file.path, limit.max_size)
    source = _read(file, limit)
    if isinstance(source, UnreadableFile):
        return _refused(file, str(source)), signature, None
    return _facts_of(file, source, limit.max_tokens), signature, content_hash(source)


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
    depth = len(Path(file.relative).parts)
    return _Limits(file.path.parents[depth - 1] if depth else file.path)


def _plain_file_signature(path: Path, max_size: int) -> Signature | None:
    """The cache signature of a regular file (no link) within the limit, else None."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode) or status.st_size > max_size:
        return None
    return (status.st_size, status.st_mtime_ns)


def _read(file: SourceFile, limits: _Limits) -> bytes | UnreadableFile:
    try:
        return read_module(file.path, limits.root, limits.max_size)
    except UnreadableFile as refusal:
        return refusal


def positions_of(
    file: SourceFile, cache: FactsCache | None = None, limits: _Limits | None = None
) -> list[Position]:
    """Where each anchor of the file is; from the cache when it was computed before.

    Only files with findings get here, but a project that keeps a few known findings
    (silenced or not) would otherwise pay a re-parse with position metadata every run.
    A file that can no longer be read (it changed since) has no positions: its findings
    are placed at 1:1.
    """
    cached = cache.positions(file.relative) if cache is not None else None
    if cached is not None:
        return cached
    source = _read(file, _limits_for(file, limits))
    if isinstance(source, UnreadableFile):
        return []
    positions = _positions_in(file, source)
    if cache is not None:
        cache.store_positions(file.relative, positions)
    return positions


def _positions_in(file: SourceFile, source: bytes) -> list[Position]:
    if file.is_asset_module or file.is_support:
        from polster_lint.parsing.extract import anchor_positions as locate
    else:
        locate = read_positions
    return locate(source, file.module, file.is_package)


Locator = Callable[[SourceFile, int], list[Position]]
"""Where the anchors of a file are; the list reaches at least the given anchor if it can."""


def _locator(cache: FactsCache | None, limits: _Limits) -> Locator:
    """Positions from the cache, or computed again when the cached ones fall short (they
    were computed for other content)."""
    known: dict[Path, list[Position]] = {}

    def locate(file: SourceFile, anchor: int) -> list[Position]:
        if file.path not in known:
            known[file.path] = positions_of(file, cache, limits)
        if anchor >= len(known[file.path]):
            known[file.path] = positions_of(file, limits=limits)
        return known[file.path]

    return locate


def place_and_filter(
    violations: list[Violation],
    modules: list[tuple[SourceFile, ModuleFacts]],
    config: LintConfig,
    locate: Locator,
) -> list[Finding]:
    """Give each violation its line and column, then apply select/ignore and ``noqa``."""
    facts_of = {file.path: facts for file, facts in modules}
    findings: list[Finding] = []
    used_noqa: set[tuple[Path, int, str]] = set()
    for violation in violations:
        if violation.code not in config.codes:
            continue
        line, column = violation.line or 1, violation.column or 1
        if violation.anchor is not None:
            known = locate(violation.file, violation.anchor)
            if violation.anchor < len(known):
                line, column = known[violation.anchor].line, known[violation.anchor].column
        facts = facts_of.get(violation.file.path)
        silenced = facts.noqa.get(line, frozenset()) if facts else frozenset()
        if violation.code in silenced:
            used_noqa.add((violation.file.path, line, violation.code))
            continue
        findings.append(_finding(violation, line, column))
    if "POL100" in config.codes:
        findings += _unused_noqa(modules, used_noqa)
    return sorted(findings, key=Finding.sort_key)


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
    modules: list[tuple[SourceFile, ModuleFacts]], used: set[tuple[Path, int, str]]
) -> list[Finding]:
    findings = []
    for file, facts in modules:
        for line, codes in facts.noqa.items():
            for code in sorted(codes):
                if (file.path, line, code) not in used and code != "POL100":
                    findings.append(
                        Finding(
                            file.relative,
                            line,
                            1,
                            "POL100",
                            f"unused noqa: {code} silences nothing here",
                        )
                    )
    return findings


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
    return place_and_filter(
        violations, modules, config, lambda file, _: _positions_in(file, data[file.relative])
    )
