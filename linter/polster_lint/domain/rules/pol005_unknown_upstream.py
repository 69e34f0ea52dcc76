import difflib
import heapq
from collections.abc import Iterable, Iterator

from polster_lint.domain.model import Key, key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation

_TYPO = {
    **BRONZE_ORDERS,
    asset_path("silver", "orders"): asset_source(
        "silver", "orders", 'deps=[dg.AssetKey(["bronze", "ordres"])]'
    ),
}


class UnknownUpstream(Rule):
    code = "POL005"
    name = "unknown-upstream"
    summary = "dependency on an asset that does not exist (with a did-you-mean), unless `external`"
    what = "A dependency names an asset that does not exist in the project."
    why = (
        "Dagster quietly turns an unknown key in deps into an external asset that is never "
        "built: usually a typo."
    )
    fix = (
        "Fix the key (the message suggests close matches), or declare it under external "
        "in [tool.polster.lint]."
    )
    invalid = (Example(_TYPO, (("POL005", asset_path("silver", "orders"), 4, 64),)),)
    valid = (
        Example(
            {
                asset_path("silver", "charges"): asset_source(
                    "silver", "charges", 'deps=[dg.AssetKey(["stripe", "charges"])]'
                )
            },
            settings={"external": ["stripe/charges"]},
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        graph = context.graph
        if not graph.complete:
            return  # an asset the linter cannot see (POL010) may be the one named
        suggestions = _Suggestions(graph.assets)
        for edge in graph.edges:
            if graph.knows(edge.upstream) or edge.upstream in context.config.external:
                continue
            down, up = key_string(edge.downstream.key), key_string(edge.upstream)
            close = suggestions.closest(edge.upstream)
            hint = f"; did you mean {close}?" if close and close != down else ""
            yield Violation(
                edge.downstream.file,
                edge.reference.anchor,
                self.code,
                f"{down} depends on {up}, which is not an asset of the project{hint}",
                asset=edge.downstream.key,
                dependency=edge.upstream,
            )


_Probe = tuple[Key | str | int, ...]
"""A feature of a key that a typo of it probably keeps (see :class:`_Suggestions`)."""


class _Suggestions:
    """ "Did you mean" candidates for an unknown key, found without comparing every key.

    difflib against all keys of a 10,000-asset project costs seconds per typo. A typo
    nearly always keeps the start or the end of the name, so only keys of the same layer
    (first part) that share the name's first or last three characters, and keys with the
    very same name under another prefix, are compared. Where names follow one pattern
    (orders_00001 ... orders_09999) thousands share those three characters; then the keys
    sharing the first or last six are compared, and when none does, those sharing the
    most three-letter pieces with the typo.
    """

    def __init__(self, keys: Iterable[Key]) -> None:
        self._index: dict[_Probe, list[str]] = {}
        for key in keys:
            text = key_string(key)
            # A set: both lengths share the name probe, which must list the key once.
            for probe in {*self._probes(key, _SHORT), *self._probes(key, _LONG)}:
                self._index.setdefault(probe, []).append(text)

    @staticmethod
    def _probes(key: Key, size: int) -> list[_Probe]:
        prefix, name = key[:-1], key[-1]
        # The last probe finds the same name under another prefix: orders -> silver/orders.
        return [
            (prefix, "start", size, name[:size]),
            (prefix, "end", size, name[-size:]),
            ("name", name),
        ]

    def _sharing(self, key: Key, size: int) -> set[str]:
        return {text for probe in self._probes(key, size) for text in self._index.get(probe, ())}

    def closest(self, key: Key) -> str | None:
        wanted = key_string(key)
        candidates = self._sharing(key, _SHORT)
        if len(candidates) > _COMPARED:
            longer = self._sharing(key, _LONG)
            if len(longer) > _COMPARED or not longer:
                pieces = _trigrams(wanted)
                longer = set(
                    heapq.nsmallest(
                        _COMPARED,
                        longer or candidates,
                        key=lambda text: (-len(pieces & _trigrams(text)), text),
                    )
                )
            candidates = longer
        close = difflib.get_close_matches(wanted, sorted(candidates), n=1)
        return close[0] if close else None


_SHORT, _LONG = 3, 6
"""The lengths of the name's start and end that a typo is looked up by."""

_COMPARED = 50
"""The most keys difflib compares a typo with (each comparison costs tens of microseconds)."""


def _trigrams(text: str) -> frozenset[str]:
    return frozenset([text[start : start + 3] for start in range(len(text) - 2)])
