"""Laying out a ``deps`` list the way ``ruff format`` would, when the line it is on gets
longer than the project's line length: the call's arguments one per line (when they were
on one line), then the list's elements one per line, each with a trailing comma and the
closing bracket on a line of its own at the indentation of the line that opened it.

Only the module-level declarations the fixes edit are laid out, so an indentation is the
line's whole leading whitespace.
"""

import libcst as cst

from polster_lint.fixes.diff import lines_of
from polster_lint.fixes.sequence import argument

_EMPTY = cst.Module([])
_STEP = "    "


def line_break(
    indent: str, keep: cst.BaseParenthesizableWhitespace | None = None
) -> cst.ParenthesizedWhitespace:
    """A line break then ``indent``; with the comment of ``keep`` when it has one."""
    if isinstance(keep, cst.ParenthesizedWhitespace):
        return keep.with_changes(last_line=cst.SimpleWhitespace(indent))
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        indent=False,
        last_line=cst.SimpleWhitespace(indent),
    )


def exploded_list(listed: cst.List, indent: str) -> cst.List:
    """``listed`` with one element per line at ``indent`` plus a step, a trailing comma,
    and ``]`` at ``indent`` (comments after ``[`` and after elements stay)."""
    inner = indent + _STEP
    elements = [item for item in listed.elements if isinstance(item, cst.Element)]
    laid: list[cst.Element] = []
    for index, element in enumerate(elements):
        after = element.comma.whitespace_after if isinstance(element.comma, cst.Comma) else None
        last = index == len(elements) - 1
        if last:
            after = listed.rbracket.whitespace_before if after is None else after
        laid.append(
            element.with_changes(
                comma=cst.Comma(whitespace_after=line_break(indent if last else inner, after))
            )
        )
    return listed.with_changes(
        elements=laid,
        lbracket=listed.lbracket.with_changes(
            whitespace_after=line_break(inner, listed.lbracket.whitespace_after)
        ),
        rbracket=listed.rbracket.with_changes(whitespace_before=cst.SimpleWhitespace("")),
    )


def _inline(call: cst.Call) -> bool:
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return False
    return not any(
        isinstance(arg.comma, cst.Comma)
        and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace)
        or isinstance(arg.whitespace_after_arg, cst.ParenthesizedWhitespace)
        for arg in call.args
    )


def _exploded_call(call: cst.Call, indent: str) -> cst.Call:
    inner = indent + _STEP
    args = [
        arg.with_changes(
            comma=cst.Comma(whitespace_after=line_break(indent if last else inner)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        for last, arg in ((i == len(call.args) - 1, arg) for i, arg in enumerate(call.args))
    ]
    return call.with_changes(args=args, whitespace_before_args=line_break(inner))


def _too_long(call: cst.Call, column: int, indent: str, line_length: int) -> int | None:
    """The index of the first line of ``call`` (starting at ``column``) holding ``deps=``
    that is longer than ``line_length``, if one is."""
    for index, line in enumerate(lines_of(_EMPTY.code_for_node(call))):
        width = len(line.rstrip("\r\n")) + (column if index == 0 else 0)
        if "deps=" in line and width > line_length:
            return index
    return None


def laid_out(call: cst.Call, column: int, indent: str, line_length: int | None) -> cst.Call:
    """``call`` (starting at ``column`` of a line indented by ``indent``) with its ``deps``
    list laid out to fit ``line_length``, as ``ruff format`` would lay it out."""
    if line_length is None or _too_long(call, column, indent, line_length) is None:
        return call
    if _inline(call):
        call = _exploded_call(call, indent)
        if _too_long(call, column, indent, line_length) is None:
            return call
    given = argument(call, "deps")
    if given is None or not isinstance(given.value, cst.List):
        return call
    index = _too_long(call, column, indent, line_length)
    lines = lines_of(_EMPTY.code_for_node(call))
    line = lines[index or 0]
    own = line[: len(line) - len(line.lstrip(" \t"))] if index else indent
    return call.with_deep_changes(given, value=exploded_list(given.value, own))
