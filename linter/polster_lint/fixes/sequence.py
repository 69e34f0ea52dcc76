"""Adding one item to a comma-separated sequence (call arguments, list elements, imported
names) the way its author laid it out: on the same line after ``", "``, or on a line of
its own with the same indentation, and with the trailing comma kept where it was."""

from collections.abc import Sequence
from typing import TypeVar

import libcst as cst

_Item = TypeVar("_Item", cst.Arg, cst.Element, cst.ImportAlias)


def appended(
    items: Sequence[_Item], new: _Item, opening: cst.BaseParenthesizableWhitespace | None
) -> list[_Item]:
    """``items`` and then ``new``.

    The new item takes the last item's comma (a trailing comma, and the line break before
    the closing bracket, stay last); the old last item gets a comma followed by the same
    whitespace as the items before it (or, for a single item, as after the ``opening``
    bracket). Comments in that whitespace are not copied.
    """
    if not items:
        return [new]
    last = items[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    closing = trailing.whitespace_after if trailing is not None else None
    if trailing is None and isinstance(last, cst.Arg):
        closing = last.whitespace_after_arg  # a call keeps the whitespace before ``)`` here
    gap = separator(items, opening)
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
        gap, cst.ParenthesizedWhitespace
    ):
        # A comment after the last item stays on its line; the new line gets none.
        gap = gap.with_changes(first_line=closing.first_line, empty_lines=closing.empty_lines)
        closing = _without_comments(closing)
    comma = cst.Comma(
        whitespace_before=trailing.whitespace_before
        if trailing is not None
        else cst.SimpleWhitespace(""),
        whitespace_after=gap,
    )
    if trailing is not None and closing is not None:
        new = new.with_changes(comma=trailing.with_changes(whitespace_after=closing))
    if isinstance(last, cst.Arg) and isinstance(new, cst.Arg):
        after_arg = last.whitespace_after_arg if trailing is not None else closing
        new = new.with_changes(whitespace_after_arg=after_arg)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    result = list(items[:-1])
    result += (last.with_changes(comma=comma), new)
    return result


def separator(
    items: Sequence[_Item], opening: cst.BaseParenthesizableWhitespace | None
) -> cst.BaseParenthesizableWhitespace:
    """The whitespace after the commas between ``items`` (after ``opening`` for a single
    item), without the comments it may hold."""
    whitespace = opening
    if len(items) >= 2 and isinstance(items[-2].comma, cst.Comma):
        whitespace = items[-2].comma.whitespace_after
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return _without_comments(whitespace)
    return cst.SimpleWhitespace(" ")


def _without_comments(whitespace: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """The same line break and indentation, without the comment or blank lines."""
    return whitespace.with_changes(
        first_line=cst.TrailingWhitespace(newline=whitespace.first_line.newline),
        empty_lines=[],
    )


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value``, without spaces around ``=`` (PEP 8, and every generated project)."""
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def with_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` added as its last argument."""
    return call.with_changes(
        args=appended(call.args, keyword(name, value), call.whitespace_before_args)
    )


def argument(call: cst.Call, name: str) -> cst.Arg | None:
    """The argument given as ``name=`` in ``call``, if any."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None
