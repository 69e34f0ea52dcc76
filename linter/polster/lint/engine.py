"""Lint a project: read its files, build the graph, check it, place and filter findings."""

from dataclasses import dataclass
from pathlib import Path

from polster.lint.checks import Violation, check_all
from polster.lint.config import LintConfig
from polster.lint.extract import anchor_positions, extract
from polster.lint.graph import AssetGraph, build_graph
from polster.lint.model import Finding, ModuleFacts, Position, key_string
from polster.lint.project import SourceFile, discover


@dataclass
class LintResult:
    findings: list[Finding]
    graph: AssetGraph
    modules: list[tuple[SourceFile, ModuleFacts]]


def lint_project(root: Path, config: LintConfig, only: set[Path] | None = None) -> LintResult:
    """Check the whole project; report only findings in ``only`` files when given.

    The graph always spans every file: a rule about one file (an unknown upstream, a
    cycle) depends on all the others.
    """
    files = discover(root, config)
    modules = [(file, read_facts(file)) for file in files]
    graph = build_graph(modules)
    violations = check_all(graph, modules, config)
    if only is not None:
        violations = [v for v in violations if v.file.path.resolve() in only]
    findings = place_and_filter(violations, modules, config)
    return LintResult(findings=findings, graph=graph, modules=modules)


def read_facts(file: SourceFile) -> ModuleFacts:
    try:
        source = file.path.read_bytes()
    except OSError as error:
        facts = ModuleFacts(module=file.module)
        facts.syntax_error = (f"cannot read the file: {error.strerror}", Position(1, 1))
        return facts
    return extract(source, file.module, file.is_package)


def positions_of(file: SourceFile) -> list[Position]:
    return anchor_positions(file.path.read_bytes(), file.module, file.is_package)


def place_and_filter(
    violations: list[Violation],
    modules: list[tuple[SourceFile, ModuleFacts]],
    config: LintConfig,
) -> list[Finding]:
    """Give each violation its line and column, then apply select/ignore and ``noqa``."""
    facts_of = {file.path: facts for file, facts in modules}
    positions: dict[Path, list[Position]] = {}
    findings: list[Finding] = []
    used_noqa: set[tuple[Path, int, str]] = set()
    for violation in violations:
        if violation.code not in config.codes:
            continue
        line, column = violation.line, violation.column
        if violation.anchor is not None:
            if violation.file.path not in positions:
                positions[violation.file.path] = positions_of(violation.file)
            position = positions[violation.file.path][violation.anchor]
            line, column = position.line, position.column
        silenced = facts_of[violation.file.path].noqa.get(line, frozenset())
        if violation.code in silenced:
            used_noqa.add((violation.file.path, line, violation.code))
            continue
        findings.append(_finding(violation, line or 1, column or 1))
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


def asset_lines(graph: AssetGraph) -> dict:
    """The line of each asset's declaration (positions are computed per file, on demand)."""
    positions: dict[Path, list[Position]] = {}
    lines = {}
    for asset in graph.assets.values():
        if asset.file.path not in positions:
            positions[asset.file.path] = positions_of(asset.file)
        lines[asset.key] = positions[asset.file.path][asset.decl.anchor].line
    return lines
