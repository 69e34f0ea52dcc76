"""POL007's fix: set an asset's ``group_name`` to its folder's layer.

Only a literal is replaced (``group_name="gold"`` becomes ``group_name="silver"``, in the
same quotes); a missing ``group_name`` is added as the call's last keyword. A group
computed by an expression is the author's, and left alone.
"""

import libcst as cst

from polster_lint.fixes.sequence import argument, with_keyword
from polster_lint.fixes.strings import quote_of, string


def with_group(call: cst.Call, group: str) -> cst.Call:
    """``call`` (an asset declaration) with ``group_name`` set to ``group``."""
    given = argument(call, "group_name")
    if given is None:
        return with_keyword(call, "group_name", string(group, quote_of(call)))
    if not isinstance(given.value, cst.SimpleString):
        return call
    value = string(group, given.value.quote)
    return call.with_deep_changes(given, value=value)
