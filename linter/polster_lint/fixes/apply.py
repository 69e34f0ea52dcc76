"""Run the fixes of one module in a single libcst pass.

Each fix says where it applies as the line and column the linter reported: the asset's
declaration (its key, name or decorator) for POL008 and POL007, the comment's line for
POL100. The nodes are found on the tree as parsed, then one transformer rewrites them, so
that every position refers to the same text, and everything outside the rewritten nodes
is printed back as it was read: comments, quotes, line endings, blank lines.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from polster_lint.domain.model import Key
from polster_lint.domain.violation import ADD_DEPENDENCY, DROP_NOQA_CODE, SET_GROUP
from polster_lint.fixes.dependency import (
    Dependency,
    Imports,
    dependency,
    example_of,
    imports_of,
    with_dependencies,
)
from polster_lint.fixes.edit import Edit
from polster_lint.fixes.group import with_group
from polster_lint.fixes.imports import with_import
from polster_lint.fixes.noqa import without_codes
from polster_lint.fixes.strings import quote_of


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """``source`` with ``edits`` applied; unchanged when none applies (a module that no
    longer parses, a declaration that moved or is written in a way no fix handles)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return source
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    places = _Places(wrapper.resolve(PositionProvider), edits)
    module.visit(places)
    fixer = _Fixer(places, imports_of(module))
    return module.visit(fixer).code


@dataclass
class _Targets:
    """The fixes of one declaration: keys to add to its deps (with how each is written
    for the module), and the group it must have."""

    keys: list[tuple[Key, tuple[str, str] | None]] = field(default_factory=list)
    group: str | None = None


class _Places(cst.CSTVisitor):
    """Finds each edit's node: the declaration call with an argument at the position (its
    ``key=``, ``name=``, ``group_name=``), else the call starting there (a decorator call
    without a key), else a bare decorator there; the comments on the edited lines."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], edits: Sequence[Edit]) -> None:
        self.positions = positions
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
            node = self.by_argument.get(position) or self.by_start.get(position)
            if node is None:
                continue
            merged = found.setdefault(id(node), _Targets())
            merged.keys += [item for item in targets.keys if item not in merged.keys]
            merged.group = targets.group or merged.group
        return found


class _Fixer(cst.CSTTransformer):
    def __init__(self, places: _Places, imports: Imports) -> None:
        self.targets = places.targets()
        self.comments = places.comments
        self.module_example = places.first_example
        self.imports = imports
        self.needed: list[tuple[str, str]] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        targets = self.targets.get(id(original_node))
        return updated_node if targets is None else self._fixed(updated_node, targets)

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        targets = self.targets.get(id(original_node))
        if targets is None:
            return updated_node
        call = cst.Call(func=updated_node.decorator)
        return updated_node.with_changes(decorator=self._fixed(call, targets))

    def _fixed(self, call: cst.Call, targets: _Targets) -> cst.Call:
        if targets.group is not None:
            call = with_group(call, targets.group)
        if targets.keys:
            example = example_of(call) or self.module_example
            quote = quote_of(example) if example is not None else quote_of(call)
            written = [
                dependency(key, symbol, example, self.imports, quote)
                for key, symbol in targets.keys
            ]
            changed = with_dependencies(call, [item.code for item in written])
            if changed is not call:
                self._need(written)
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
        for source, name in self.needed:
            updated_node = with_import(updated_node, source, name)
        return updated_node
