"""Adding ``from module import name`` to a module, where isort (and ruff) would put it.

Into the module's existing ``from module import ...`` when there is one, at its sorted
place when its names are sorted (isort's order: constants, classes, then the rest);
otherwise a new statement in its isort section (standard library, third party, first
party, relative), in order among the ``from`` imports there, or as a section of its own
after the earlier ones, a blank line apart.
"""

import sys
from collections.abc import Sequence

import libcst as cst

from polster_lint.fixes.sequence import appended, separator

_EMPTY = cst.Module([])


def with_import(
    module: cst.Module, source: str, name: str, first_party: frozenset[str] = frozenset()
) -> cst.Module:
    """``module`` with ``name`` imported from ``source`` (absolute), if it is not yet;
    ``first_party``: the project's top-level packages (isort's first-party section)."""
    body = list(module.body)
    for index, statement in enumerate(body):
        found = _from_import(statement, source)
        if found is None:
            continue
        assert isinstance(statement, cst.SimpleStatementLine)
        assert not isinstance(found.names, cst.ImportStar)
        if any(alias.evaluated_name == name and not alias.asname for alias in found.names):
            return module
        names = _inserted(found.names, cst.ImportAlias(cst.Name(name)), found)
        body[index] = statement.with_deep_changes(found, names=names)
        return module.with_changes(body=body)
    line = cst.parse_statement(f"from {source} import {name}\n")
    return module.with_changes(body=_placed(body, line, source, first_party))


def _from_import(statement: cst.CSTNode, source: str) -> cst.ImportFrom | None:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    for small in statement.body:
        if (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and small.module is not None
            and _EMPTY.code_for_node(small.module) == source
            and not isinstance(small.names, cst.ImportStar)
        ):
            return small
    return None


def _order(name: str) -> tuple[int, str]:
    """isort's ``order-by-type``: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _inserted(
    names: Sequence[cst.ImportAlias], new: cst.ImportAlias, statement: cst.ImportFrom
) -> list[cst.ImportAlias]:
    opening = statement.lpar.whitespace_after if statement.lpar else None
    keys = [_order(alias.evaluated_name) for alias in names]
    position = len(names)
    if keys == sorted(keys):
        position = next(
            (i for i, key in enumerate(keys) if key > _order(new.evaluated_name)), len(names)
        )
    if position == len(names):
        return appended(names, new, opening)
    comma = cst.Comma(whitespace_after=separator(names, opening))
    return [*names[:position], new.with_changes(comma=comma), *names[position:]]


def _module_of(statement: cst.CSTNode) -> tuple[str, bool] | None:
    """The module a top-level import statement imports from (the first, for ``import a,
    b``), and whether it is a ``from`` import; ``"."`` for a relative import."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    for small in statement.body:
        if isinstance(small, cst.ImportFrom):
            if small.relative or small.module is None:
                return ".", True
            return _EMPTY.code_for_node(small.module), True
        if isinstance(small, cst.Import):
            return _EMPTY.code_for_node(small.names[0].name), False
    return None


def _section(module: str, first_party: frozenset[str]) -> int:
    """isort's section: the standard library, third party, first party, relative."""
    top = module.split(".")[0]
    if not top:
        return 3
    if top in sys.stdlib_module_names:
        return 0
    return 2 if top in first_party else 1


def _placed(
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement],
    line: cst.SimpleStatementLine | cst.BaseCompoundStatement,
    source: str,
    first_party: frozenset[str],
) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
    """``body`` with the ``from`` import statement ``line`` among its imports, in its
    isort section (after ``import dagster as dg``, before the relative imports), in
    order there, a blank line apart from the other sections."""
    section = _section(source, first_party)
    imported = [
        (index, module, is_from, _section(module, first_party))
        for index, statement in enumerate(body)
        if (found := _module_of(statement)) is not None
        for module, is_from in [found]
    ]
    same = [item for item in imported if item[3] == section]
    after = [index for index, module, is_from, _ in same if is_from and module > source]
    if after:  # before the first one that sorts after it, in its place (blank lines too)
        index = after[0]
        moved = body[index]
        line = line.with_changes(leading_lines=moved.leading_lines)
        body[index] = moved.with_changes(leading_lines=[])
        return [*body[:index], line, *body[index:]]
    if same:
        index = same[-1][0] + 1
        return [*body[:index], line, *body[index:]]
    before = [item for item in imported if item[3] < section]
    if before:  # a section of its own after the earlier ones
        index = before[-1][0] + 1
        line = line.with_changes(leading_lines=[cst.EmptyLine()])
        return [*body[:index], line, *body[index:]]
    if imported:  # the first section: before the first import, a blank line apart
        index = imported[0][0]
        moved = body[index]
        line = line.with_changes(leading_lines=moved.leading_lines)
        body[index] = moved.with_changes(leading_lines=[cst.EmptyLine()])
        return [*body[:index], line, *body[index:]]
    index = 1 if body and _is_docstring(body[0]) else 0
    if index == 0 and body:  # keep a comment header above the new import
        line = line.with_changes(leading_lines=body[0].leading_lines)
        body[0] = body[0].with_changes(leading_lines=[])
    return [*body[:index], line, *body[index:]]


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
