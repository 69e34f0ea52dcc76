"""Run the fixes of one module in a single libcst pass.

Each fix says where it applies as the line and column the linter reported: the asset's
declaration (its key, name or decorator) for POL008 and POL007, the comment's line for
POL100. The nodes are found on the tree as parsed, then one transformer rewrites them, so
that every position refers to the same text, and everything outside the rewritten nodes
is printed back as it was read: comments, quotes, line endings, blank lines.

Only a Dagster asset declaration is ever edited: the call of an asset decorator on a
module-level function (``@asset``, ``@dg.multi_asset(...)``...), or an ``AssetSpec`` /
``AssetOut`` written in that decorator's ``specs``/``outs``. An asset made by a factory
(``make("x")``), a comprehension or ``globals()[...]`` is reported and never rewritten: the
call at its position is not the asset's. ``deps`` is only added where Dagster takes it
(not to ``@graph_asset``, ``@graph_multi_asset``, ``@observable_source_asset`` or an
``AssetOut``), and nothing is added to a call given ``*args`` or ``**options`` (which may
hold the same keyword).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from polster_lint.domain.model import Key
from polster_lint.domain.violation import ADD_DEPENDENCY, DROP_NOQA_CODE, SET_GROUP
from polster_lint.fixes.bindings import ScopeDepth
from polster_lint.fixes.dependency import (
    Dependency,
    Imports,
    dependency,
    example_of,
    imports_of,
    with_dependencies,
)
from polster_lint.fixes.diff import lines_of
from polster_lint.fixes.edit import Edit
from polster_lint.fixes.group import with_group
from polster_lint.fixes.imports import with_import
from polster_lint.fixes.layout import laid_out
from polster_lint.fixes.noqa import without_codes
from polster_lint.fixes.strings import quote_of


class NotRoundTrip(ValueError):
    """libcst does not print the module back byte for byte as it read it (a file with
    ``\\r``-only line endings, say): a fix would change more than its edit."""


def apply_edits(
    source: str,
    edits: Sequence[Edit],
    line_length: int | None = None,
    first_party: frozenset[str] = frozenset(),
) -> str:
    """``source`` with ``edits`` applied; unchanged when none applies (a module that no
    longer parses, a declaration that moved or is written in a way no fix handles).
    :class:`NotRoundTrip` when the module, unedited, would not be written back as it is.
    With ``line_length`` (ruff's, from the project), a ``deps`` list that would make its
    line longer is laid out one element per line, as ``ruff format`` would."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return source
    if module.code != source:
        raise NotRoundTrip("libcst does not write it back byte for byte")
    imports = imports_of(module)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    places = _Places(wrapper.resolve(PositionProvider), edits, imports)
    module.visit(places)
    fixer = _Fixer(places, imports, line_length, lines_of(source), first_party)
    return module.visit(fixer).code


_DECORATORS = frozenset(
    ("asset", "multi_asset", "graph_asset", "graph_multi_asset", "observable_source_asset")
)
"""The Dagster decorators that make a function an asset (all take ``group_name``)."""

_TAKES_DEPS = frozenset(("asset", "multi_asset", "AssetSpec"))
"""The declarations Dagster 1.13 gives a ``deps`` parameter."""


def _dagster_name(expression: cst.BaseExpression, imports: Imports) -> str | None:
    """The Dagster name ``expression`` (a decorator or a call's function) stands for:
    ``asset`` for ``asset`` imported from dagster or ``dg.asset``; None for a name of
    anything else."""
    if isinstance(expression, cst.Call):
        expression = expression.func
    if isinstance(expression, cst.Name):
        local = expression.value
        for (module, name), bound in imports.functions.items():
            if bound == local:
                return name if module == "dagster" or module.startswith("dagster.") else None
        return local if imports.bindings[local] == 0 else None  # ``from dagster import *``
    if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
        base = expression.value.value
        if any(
            bound == base and (module == "dagster" or module.startswith("dagster."))
            for module, bound in imports.modules.items()
        ):
            return expression.attr.value
    return None


def _has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


@dataclass
class _Targets:
    """The fixes of one declaration: keys to add to its deps (with how each is written
    for the module), and the group it must have."""

    keys: list[tuple[Key, tuple[str, str] | None]] = field(default_factory=list)
    group: str | None = None


class _Places(ScopeDepth):
    """Finds each edit's node: the declaration call with an argument at the position (its
    ``key=``, ``name=``, ``group_name=``), else the call starting there (a decorator call
    without a key), else a bare decorator there; the comments on the edited lines."""

    def __init__(
        self, positions: Mapping[cst.CSTNode, CodeRange], edits: Sequence[Edit], imports: Imports
    ) -> None:
        super().__init__()
        self.positions = positions
        self.imports = imports
        self.declarations: dict[int, str] = {}
        """id of each node that declares assets -> the Dagster name it calls."""
        self.wanted: dict[tuple[int, int], _Targets] = {}
        self.noqa: dict[int, set[str]] = {}
        for edit in edits:
            if edit.fix.kind == DROP_NOQA_CODE:
                self.noqa.setdefault(edit.line, set()).add(edit.fix.value[0])
                continue
            targets = self.wanted.setdefault((edit.line, edit.column - 1), _Targets())
            if edit.fix.kind == ADD_DEPENDENCY:
                if all(edit.fix.value != key for key, _ in targets.keys):
                    targets.keys.append((edit.fix.value, edit.fix.symbol))
            elif edit.fix.kind == SET_GROUP:
                targets.group = edit.fix.value[0]
        self.by_argument: dict[tuple[int, int], cst.Call] = {}
        self.by_start: dict[tuple[int, int], cst.Call | cst.Decorator] = {}
        self.comments: dict[int, set[str]] = {}
        """id of a comment node -> the codes to take out of it."""
        self.first_example: cst.BaseExpression | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.depth == 0:  # a decorator inside a factory makes a new asset per call
            for decorator in node.decorators:
                self._declaration(decorator)
        super().visit_FunctionDef(node)

    def _declaration(self, decorator: cst.Decorator) -> None:
        """Register ``decorator`` when it is a Dagster asset decorator, with the
        ``AssetSpec``s and ``AssetOut``s of a ``multi_asset``."""
        called = _dagster_name(decorator.decorator, self.imports)
        if called not in _DECORATORS:
            return
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            self.declarations[id(decorator)] = called
            return
        self.declarations[id(call)] = called
        if called != "multi_asset":
            return
        for arg in call.args:
            name = arg.keyword.value if arg.keyword is not None else None
            if name == "specs" and isinstance(arg.value, (cst.List, cst.Tuple)):
                values = [e.value for e in arg.value.elements if isinstance(e, cst.Element)]
            elif name == "outs" and isinstance(arg.value, cst.Dict):
                values = [e.value for e in arg.value.elements if isinstance(e, cst.DictElement)]
            else:
                continue
            wanted = "AssetSpec" if name == "specs" else "AssetOut"
            for value in values:
                if isinstance(value, cst.Call) and _dagster_name(value, self.imports) == wanted:
                    self.declarations[id(value)] = wanted

    def _start(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.positions[node].start
        return start.line, start.column

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if self._start(arg.value) in self.wanted:
                self.by_argument[self._start(arg.value)] = node
        if self._start(node) in self.wanted:
            self.by_start.setdefault(self._start(node), node)
        if self.first_example is None:
            self.first_example = example_of(node)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if not isinstance(node.decorator, cst.Call) and self._start(node.decorator) in self.wanted:
            self.by_start[self._start(node.decorator)] = node

    def visit_Comment(self, node: cst.Comment) -> None:
        line = self._start(node)[0]
        if line in self.noqa:
            self.comments[id(node)] = self.noqa[line]

    def targets(self) -> dict[int, _Targets]:
        """id of each node to rewrite -> its fixes."""
        found: dict[int, _Targets] = {}
        for position, targets in self.wanted.items():
            candidates = (self.by_argument.get(position), self.by_start.get(position))
            node = next(
                (n for n in candidates if n is not None and id(n) in self.declarations), None
            )
            if node is None:
                continue  # not an asset declaration: a factory's call, say
            if isinstance(node, cst.Call) and _has_star(node):
                continue  # ``**options`` may hold the keyword: adding it could repeat it
            merged = found.setdefault(id(node), _Targets())
            if self.declarations[id(node)] in _TAKES_DEPS:
                merged.keys += [item for item in targets.keys if item not in merged.keys]
            merged.group = targets.group or merged.group
        return found


class _Fixer(cst.CSTTransformer):
    def __init__(
        self,
        places: _Places,
        imports: Imports,
        line_length: int | None,
        lines: list[str],
        first_party: frozenset[str],
    ) -> None:
        self.first_party = first_party
        self.positions = places.positions
        self.line_length = line_length
        self.lines = lines
        self.targets = places.targets()
        self.comments = places.comments
        self.module_example = places.first_example
        self.imports = imports
        self.needed: list[tuple[str, str]] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        targets = self.targets.get(id(original_node))
        if targets is None:
            return updated_node
        return self._fixed(updated_node, targets, self.positions[original_node])

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        targets = self.targets.get(id(original_node))
        if targets is None:
            return updated_node
        call = cst.Call(func=updated_node.decorator)
        at = self.positions[original_node.decorator]
        return updated_node.with_changes(decorator=self._fixed(call, targets, at))

    def _fixed(self, call: cst.Call, targets: _Targets, at: CodeRange) -> cst.Call:
        if targets.group is not None:
            call = with_group(call, targets.group)
        if targets.keys:
            example = example_of(call) or self.module_example
            quote = quote_of(example) if example is not None else quote_of(call)
            written = []
            for key, symbol in targets.keys:
                item = dependency(key, symbol, example, self.imports, quote)
                if item is not None:  # else no name resolves to what it must mean
                    written.append((item, key))
            changed = with_dependencies(call, [(item.code, key) for item, key in written])
            if changed is not call:
                self._need([item for item, _ in written])
                line = self.lines[at.start.line - 1] if at.start.line <= len(self.lines) else ""
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                changed = laid_out(changed, at.start.column, indent, self.line_length)
            call = changed
        return call

    def _need(self, written: list[Dependency]) -> None:
        for item in written:
            if item.needs is not None and item.needs not in self.needed:
                self.needed.append(item.needs)

    def leave_TrailingWhitespace(
        self, original_node: cst.TrailingWhitespace, updated_node: cst.TrailingWhitespace
    ) -> cst.TrailingWhitespace:
        comment = original_node.comment
        if comment is None or id(comment) not in self.comments:
            return updated_node
        text = without_codes(comment.value, self.comments[id(comment)])
        if text is None:  # the comment goes, with the spaces before it
            return updated_node.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
        return updated_node.with_changes(comment=cst.Comment(text))

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine | cst.RemovalSentinel:
        comment = original_node.comment
        if comment is None or id(comment) not in self.comments:
            return updated_node
        text = without_codes(comment.value, self.comments[id(comment)])
        if text is None:  # a line holding only the comment goes with it
            return cst.RemoveFromParent()
        return updated_node.with_changes(comment=cst.Comment(text))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # An asset function is the project's own: its package is first party.
        ours = {source.split(".")[0] for source, _ in self.needed if source != "dagster"}
        for source, name in self.needed:
            updated_node = with_import(updated_node, source, name, self.first_party | ours)
        return updated_node
