"""String literals written by the fixes, in the quotes the code around them uses."""

import json

import libcst as cst
import libcst.matchers as m


def quote_of(node: cst.CSTNode) -> str:
    """The quote of the first plain string literal in ``node``; double quotes without one
    (the generated projects' and ruff's default)."""
    for found in m.findall(node, m.SimpleString()):
        assert isinstance(found, cst.SimpleString)
        if found.quote in ('"', "'") and not found.prefix:
            return found.quote
    return '"'


def string(text: str, quote: str) -> cst.SimpleString:
    """``text`` as a literal in ``quote``s (escaped like JSON, which Python reads too)."""
    body = json.dumps(text)[1:-1]
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return cst.SimpleString(f"{quote}{body}{quote}")
