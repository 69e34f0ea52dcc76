"""Run every rule over the graph and the modules' facts.

Each rule lives in its own class in :mod:`polster_lint.domain.rules`; this module only
gathers their violations. The engine turns anchors into lines and columns afterwards,
for the violations that survive filtering.
"""

from polster_lint.domain.config import LintConfig
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.model import ModuleFacts, SourceFile
from polster_lint.domain.rules import RULES, CheckContext
from polster_lint.domain.violation import Violation


def check_all(
    graph: AssetGraph, modules: list[tuple[SourceFile, ModuleFacts]], config: LintConfig
) -> list[Violation]:
    context = CheckContext(graph, modules, config)
    return [violation for rule in RULES.values() for violation in rule.check(context)]
