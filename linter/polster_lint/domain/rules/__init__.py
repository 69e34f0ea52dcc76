"""The rule catalogue: one class per rule, one module per class (``polNNN_name.py``).

Codes are stable: configuration files and ``# noqa`` comments refer to them.
``polster-lint --explain CODE`` prints a rule's entry and ``polster-lint --rules`` the
README's table, both made from the classes.
"""

from polster_lint.domain.rules.base import CheckContext, Example, Rule
from polster_lint.domain.rules.pol000_unparseable_file import UnparseableFile
from polster_lint.domain.rules.pol001_bronze_with_upstream import BronzeWithUpstream
from polster_lint.domain.rules.pol002_gold_reads_bronze import GoldReadsBronze
from polster_lint.domain.rules.pol003_upstream_from_later_layer import UpstreamFromLaterLayer
from polster_lint.domain.rules.pol004_same_layer_dependency import SameLayerDependency
from polster_lint.domain.rules.pol005_unknown_upstream import UnknownUpstream
from polster_lint.domain.rules.pol006_dependency_cycle import DependencyCycle
from polster_lint.domain.rules.pol007_layer_mismatch import LayerMismatch
from polster_lint.domain.rules.pol008_hidden_read import HiddenRead
from polster_lint.domain.rules.pol009_orphan_derived_asset import OrphanDerivedAsset
from polster_lint.domain.rules.pol010_unresolvable import Unresolvable
from polster_lint.domain.rules.pol011_runtime_mismatch import RuntimeMismatch
from polster_lint.domain.rules.pol012_duplicate_asset_key import DuplicateAssetKey
from polster_lint.domain.rules.pol013_dagster_refuses import DagsterRefuses
from polster_lint.domain.rules.pol014_hard_coded_storage import HardCodedStorage
from polster_lint.domain.rules.pol015_unchecked_silver import UncheckedSilver
from polster_lint.domain.rules.pol016_too_many_upstreams import TooManyUpstreams
from polster_lint.domain.rules.pol017_rejoined_upstream import RejoinedUpstream
from polster_lint.domain.rules.pol018_undescribed_gold import UndescribedGold
from polster_lint.domain.rules.pol019_unconsumed_bronze import UnconsumedBronze
from polster_lint.domain.rules.pol020_partition_mismatch import PartitionMismatch
from polster_lint.domain.rules.pol100_unused_noqa import UnusedNoqa

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        UnparseableFile(),
        BronzeWithUpstream(),
        GoldReadsBronze(),
        UpstreamFromLaterLayer(),
        SameLayerDependency(),
        UnknownUpstream(),
        DependencyCycle(),
        LayerMismatch(),
        HiddenRead(),
        OrphanDerivedAsset(),
        Unresolvable(),
        RuntimeMismatch(),
        DuplicateAssetKey(),
        DagsterRefuses(),
        HardCodedStorage(),
        UncheckedSilver(),
        TooManyUpstreams(),
        RejoinedUpstream(),
        UndescribedGold(),
        UnconsumedBronze(),
        PartitionMismatch(),
        UnusedNoqa(),
    )
}
"""Every rule by code, in code order."""

DEFAULT_CODES = frozenset(code for code, rule in RULES.items() if rule.default_enabled)
"""The rules checked unless the settings say otherwise: all but those whose class sets
``default_enabled = False`` (enabled by ``select`` or ``extend-select``, as in ruff)."""


def explain(code: str) -> str:
    return RULES[code].explain()


def markdown_table() -> str:
    """The README's rule table."""
    rows = ["| code | name | rule |", "|---|---|---|"]
    rows += [f"| {rule.code} | {rule.name} | {rule.summary} |" for rule in RULES.values()]
    return "\n".join(rows)


__all__ = ["DEFAULT_CODES", "RULES", "CheckContext", "Example", "Rule", "explain", "markdown_table"]
