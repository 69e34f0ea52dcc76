"""Interactive questions for ``polster add-asset`` when flags are missing.

questionary gives a real checkbox list and validation while the user types, which a
plain ``input()`` cannot. It is only used when a terminal is attached; without one,
the command asks for the missing flag instead of hanging on a prompt.
"""

import sys
from collections.abc import Callable

import questionary

from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Key, key_string


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask_layer() -> str:
    layer: str = questionary.select("Layer of the new asset:", choices=list(LAYERS)).unsafe_ask()
    return layer


def ask_name(problem: Callable[[str], str | None]) -> str:
    """Ask for the asset name; ``problem`` explains, as the user types, what is wrong."""
    name: str = questionary.text(
        "Asset name (lowercase snake_case):",
        validate=lambda text: problem(text.strip()) or True,
    ).unsafe_ask()
    return name.strip()


def ask_deps(layer: str, choices: list[Key]) -> list[Key]:
    picked = questionary.checkbox(
        f"Upstream assets of the new {layer} asset (space to select, enter to confirm):",
        choices=[questionary.Choice(key_string(key), value=key) for key in choices],
        validate=lambda selected: bool(selected) or "select at least one upstream asset",
    ).unsafe_ask()
    return list(picked)
