"""Refuse an asset the medallion rules or the project's conventions would reject.

Runs before cookiecutter writes anything, so a bad answer leaves no file behind. The
same checks run in ``polster add-asset`` (which imports this module), where the existing
assets of the project are known as well.
"""

import keyword
import re
import sys

LAYER = "{{ cookiecutter.layer }}"
ASSET_NAME = "{{ cookiecutter.asset_name }}"
DEPS = "{{ cookiecutter.deps }}"
ALLOW_SAME_LAYER = "{{ cookiecutter._allow_same_layer }}" == "True"
PARTITIONING = "{{ cookiecutter.partitioning }}"

LAYERS = ("bronze", "silver", "gold")
PARTITIONINGS = ("none", "daily")
MAX_NAME_LENGTH = 40
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def name_problem(layer: str, name: str) -> str | None:
    """Why ``name`` cannot name a new asset of ``layer``, or None."""
    if not _NAME.fullmatch(name) or name.endswith("_") or "__" in name:
        return (
            f"invalid asset name {name!r}: use lowercase snake_case "
            "(letters, digits, single underscores, starting with a letter)"
        )
    if len(name) > MAX_NAME_LENGTH:
        return f"invalid asset name {name!r}: longer than {MAX_NAME_LENGTH} characters"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"invalid asset name {name!r}: it is a Python keyword"
    if name.startswith(f"{layer}_"):
        return (
            f"invalid asset name {name!r}: leave out the layer prefix "
            f"(the files are named {layer}_<name>.py already)"
        )
    return None


def upstream_layers(layer: str, allow_same_layer: bool) -> tuple[str, ...]:
    """The layers a new asset of ``layer`` may depend on."""
    allowed = {"bronze": (), "silver": ("bronze",), "gold": ("silver",)}[layer]
    return (*allowed, layer) if allow_same_layer and allowed else allowed


def parse_deps(text: str) -> list[tuple[str, str]]:
    """``"bronze/orders, bronze/customers"`` -> ``[("bronze", "orders"), ...]``."""
    return [tuple(item.strip().split("/", 1)) for item in text.split(",") if item.strip()]


def deps_problem(layer: str, deps: list[tuple[str, ...]], allow_same_layer: bool) -> str | None:
    """Why these upstreams are not allowed for an asset of ``layer``, or None."""
    allowed = upstream_layers(layer, allow_same_layer)
    for dep in deps:
        text = "/".join(dep)
        if len(dep) != 2 or dep[0] not in LAYERS or not _NAME.fullmatch(dep[1]):
            return f"invalid dependency {text!r}: write it as layer/name, e.g. bronze/orders"
        if dep[0] not in allowed:
            if not allowed:
                return f"bronze assets take no upstream assets (got {text})"
            return f"a {layer} asset may only depend on {' or '.join(allowed)} assets (got {text})"
    if allowed and not deps:
        return f"a {layer} asset needs at least one upstream asset ({' or '.join(allowed)})"
    if len(set(deps)) != len(deps):
        return "the same dependency is listed twice"
    return None


def main() -> int:
    if LAYER not in LAYERS:
        problem = f"invalid layer {LAYER!r}: choose one of {', '.join(LAYERS)}"
    elif PARTITIONING not in PARTITIONINGS:
        problem = f"invalid partitioning {PARTITIONING!r}: choose one of {', '.join(PARTITIONINGS)}"
    else:
        problem = name_problem(LAYER, ASSET_NAME) or deps_problem(
            LAYER, parse_deps(DEPS), ALLOW_SAME_LAYER
        )
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
