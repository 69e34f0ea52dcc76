"""What every rule is made of, and what every rule is given to check.

A rule is one class: its code and kebab-case name, a one-line summary, what it catches,
why it matters and how to fix it, and VALID and INVALID examples. The examples are
small projects (``{path: source}``) that the tests lint in memory and compare with the
expected findings, so the documentation cannot drift from the behaviour:
``--explain``, the SARIF rule list and the README's rule table are all made from these
classes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from polster_lint.domain.graph import AssetGraph, Edge, Remark
from polster_lint.domain.medallion import layer_rank, upstream_layers
from polster_lint.domain.model import Key, ModuleFacts, SourceFile, key_string
from polster_lint.domain.violation import Violation

if TYPE_CHECKING:  # the settings list the rules' codes: a run-time import would be circular
    from polster_lint.domain.config import LintConfig

ASSETS = "src/orchestration/assets"
"""Where the examples' asset modules go (the default ``assets-dir``)."""

CORE = "src/core"
"""Where the examples' core modules go (the default ``core-dir``)."""


def asset_path(layer: str, name: str) -> str:
    """The path of the asset module of ``layer/name`` in an example project."""
    return f"{ASSETS}/{layer}/run_{layer}_{name}.py"


def asset_source(
    layer: str, name: str, options: str = "", header: str = "", finished: bool = True
) -> str:
    """An example asset module: ``layer/name`` in its own layer, with extra decorator
    ``options`` (such as ``deps=[...]``) and module ``header`` lines (imports).

    A ``finished`` silver asset also gets a quality check and a gold one a description,
    as the rules on by default ask (POL015, POL018), so that an example shows only the
    finding it is about. They come after ``options``: every finding's position in an
    example stays where it was before those rules were on. ``finished=False`` leaves
    them out, for those two rules' own examples.
    """
    extra = f", {options}" if options else ""
    if finished and layer == "silver":
        extra += f', check_specs=[dg.AssetCheckSpec("rows", asset=["{layer}", "{name}"])]'
    if finished and layer == "gold":
        extra += f', description="The {name} table."'
    return (
        f"import dagster as dg\n{header}\n\n"
        f'@dg.asset(key=["{layer}", "{name}"], group_name="{layer}"{extra})\n'
        f"def {layer}_{name}() -> None: ...\n"
    )


BRONZE_ORDERS: dict[str, str] = {asset_path("bronze", "orders"): asset_source("bronze", "orders")}
"""The bronze table most examples build on."""

SILVER_ORDERS: dict[str, str] = {
    asset_path("silver", "orders"): asset_source(
        "silver", "orders", 'deps=[dg.AssetKey(["bronze", "orders"])]'
    )
}
"""A silver table on ``bronze/orders``."""


def remark_violation(remark: Remark, code: str) -> Violation:
    """A remark of the graph reported as ``code``: at its anchor, or at 1:1 when it has
    none (a module-level remark, such as a load the linter cannot follow)."""
    placed = remark.anchor is not None
    return Violation(
        remark.file,
        remark.anchor,
        code,
        remark.message,
        asset=remark.asset,
        line=None if placed else 1,
        column=None if placed else 1,
    )


@dataclass(frozen=True)
class Example:
    """A small project and the findings ``(code, path, line, column)`` it must produce."""

    files: Mapping[str, str]
    findings: tuple[tuple[str, str, int, int], ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    """``[tool.polster.lint]`` options for the example, as parsed TOML values."""


@dataclass
class CheckContext:
    """Everything a rule may look at: the graph, every module's facts, the settings.

    Work that several rules need (which upstreams an asset declares, how each edge
    stands with the layer rules) is done once, on first use.
    """

    graph: AssetGraph
    modules: list[tuple[SourceFile, ModuleFacts]]
    config: LintConfig

    @cached_property
    def declared(self) -> dict[Key, set[Key]]:
        """Each asset's declared upstream keys."""
        found: dict[Key, set[Key]] = {}
        for edge in self.graph.edges:
            found.setdefault(edge.downstream.key, set()).add(edge.upstream)
        return found

    @cached_property
    def layer_breaks(self) -> list[tuple[Edge, str, str]]:
        """Every edge between two known assets that breaks a layer rule: (edge, code, why)."""
        found = []
        for edge in self.graph.edges:
            upstream = self.graph.assets.get(edge.upstream)
            if upstream is None:
                continue
            broken = self.layer_break(edge.downstream.layer, upstream.layer)
            if broken is not None:
                found.append((edge, *broken))
        return found

    def layer_break(self, down: str | None, up: str | None) -> tuple[str, str] | None:
        """The code and reason a ``down`` -> ``up`` dependency breaks, if any.

        Whether it is allowed comes from the medallion policy; the code only says how it
        breaks it, so that each kind of mistake can be selected or silenced on its own.
        """
        if down is None or up is None:
            return None
        allowed = upstream_layers(down, down in self.config.same_layer_allowed)
        if up in allowed:
            return None
        if not allowed:
            return "POL001", f"{down} assets take no upstream assets"
        if down == up:
            return "POL004", f"{down} may not depend on {up} (same layer)"
        if layer_rank(up) > layer_rank(down):
            return "POL003", f"{down} may not depend on the later layer {up}"
        return "POL002", f"{down} must read {' or '.join(allowed)}, not {up}"


class Rule:
    """One rule. Subclasses set the class attributes and, unless another part of the
    linter reports the rule (the engine for POL100, the runtime check for POL011),
    implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    """One line, for the README table and SARIF's short description."""
    what: ClassVar[str]
    why: ClassVar[str]
    fix: ClassVar[str]
    valid: ClassVar[tuple[Example, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    reported_by: ClassVar[str | None] = None
    """Set when the findings come from elsewhere than :meth:`check` (said in ``--explain``)."""
    fixable: ClassVar[bool] = False
    """Whether ``polster-lint --fix`` repairs (some of) its findings: set by the rules whose
    violations carry a :class:`~polster_lint.domain.violation.Fix`."""
    default_enabled: ClassVar[bool] = True
    """Whether the rule is checked when the settings do not name it. A rule is off by
    default when a sound project may well break it on purpose (a bronze table kept for
    later, a shortcut edge that is the simpler graph), so that a default run only reports
    what is worth fixing; ``select`` or ``extend-select`` turn it on."""

    def check(self, context: CheckContext) -> Iterator[Violation]:
        return iter(())

    def explain(self) -> str:
        """The ``--explain`` text: what, why, an example that breaks the rule, the fix."""
        text = f"{self.code} ({self.name})\n\nWhat: {self.what}\n\nWhy: {self.why}\n"
        if self.invalid:
            example = self.invalid[0]
            flagged = {path for _, path, _, _ in example.findings}
            for path, source in example.files.items():
                if path in flagged or len(example.files) == 1:
                    body = source.rstrip("\n").replace("\n", "\n    ")
                    text += f"\nExample ({path}):\n    {body}\n"
        if self.reported_by:
            text += f"\nReported by: {self.reported_by}\n"
        safe = "yes, `polster-lint --fix` applies it" if self.fixable else "no"
        return text + f"\nFix: {self.fix}\n\nSafe fix: {safe}\n"


class LayerEdgeRule(Rule):
    """A rule about the layers of an edge's two ends (POL001 to POL004): each reports the
    breaks of its own code among those the context found."""

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for edge, code, reason in context.layer_breaks:
            if code == self.code:
                down, up = key_string(edge.downstream.key), key_string(edge.upstream)
                yield Violation(
                    edge.downstream.file,
                    edge.reference.anchor,
                    code,
                    f"{down} depends on {up}: {reason}",
                    asset=edge.downstream.key,
                    dependency=edge.upstream,
                )
