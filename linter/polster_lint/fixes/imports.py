"""Adding ``from module import name`` to a module, where isort (and ruff) would put it.

Into the module's existing ``from module import ...`` when there is one, at its sorted
place when its names are sorted (isort's order: constants, classes, then the rest);
otherwise a new statement among the imports of the same top-level package, in order,
or after the last import.
"""

from collections.abc import Sequence

import libcst as cst

from polster_lint.fixes.sequence import appended, separator

_EMPTY = cst.Module([])


def with_import(module: cst.Module, source: str, name: str) -> cst.Module:
    """``module`` with ``name`` imported from ``source`` (absolute), if it is not yet."""
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
    return module.with_changes(body=_placed(body, line, source))


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


def _module_of(statement: cst.CSTNode) -> str | None:
    """The module a top-level import statement imports from (the first, for ``import a, b``)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
            return _EMPTY.code_for_node(small.module)
        if isinstance(small, cst.Import):
            return _EMPTY.code_for_node(small.names[0].name)
    return None


def _placed(
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement],
    line: cst.SimpleStatementLine | cst.BaseCompoundStatement,
    source: str,
) -> list[cst.SimpleStatementLine | cst.BaseCompoundStatement]:
    """``body`` with the import statement ``line`` among its imports."""
    imported = [
        (index, module)
        for index, statement in enumerate(body)
        if (module := _module_of(statement)) is not None
    ]
    top = source.split(".")[0]
    same = [(index, module) for index, module in imported if module.split(".")[0] == top]
    after = [index for index, module in same if module > source]
    if after:  # before the first one that sorts after it, in its place (blank lines too)
        index = after[0]
        moved = body[index]
        line = line.with_changes(leading_lines=moved.leading_lines)
        body[index] = moved.with_changes(leading_lines=[])
        return [*body[:index], line, *body[index:]]
    if same or imported:
        index = (same or imported)[-1][0] + 1
    else:
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
