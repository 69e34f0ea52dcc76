"""Jinja filters that put free text into Python source as exactly that text.

The asset template writes the asset's description into a docstring and into a string
literal. Backslashes, quotes, control characters, text that is not valid UTF-8, or a
line longer than the generated project's ruff limit would each break the module or its
lint, so the text goes through these filters: every character that would be read as
code is escaped, and long text is wrapped (by display width: wide characters count
twice, as ruff counts them).

Cookiecutter loads this module as a Jinja extension (``_extensions`` in
``cookiecutter.json``); it can import it because it puts the template's folder on
``sys.path`` while it renders, with or without Polster.
"""

import unicodedata

from jinja2 import Environment
from jinja2.ext import Extension

LINE_LENGTH = 100
"""The generated project's ruff line length."""


class PythonTextExtension(Extension):
    """Adds the ``docstring_text`` and ``python_string`` filters."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["docstring_text"] = docstring_text
        environment.filters["python_string"] = python_string


def docstring_text(text: str, width: int = LINE_LENGTH - 4) -> str:
    """``text`` for the inside of a ``\"\"\"`` docstring, wrapped to ``width`` columns."""
    return "\n".join(line for line, _ in _wrap(str(text), width))


def python_string(text: str, indent: int = 0, prefix: int = 0) -> str:
    """A Python expression for the string ``text``, laid out as ruff would format it.

    One literal when it fits on the line (``indent`` spaces and ``prefix`` more columns
    before it, a comma after it), else literals in parentheses, one per line, that
    concatenate to ``text`` (with its runs of whitespace as single spaces). Like ruff,
    a literal takes double quotes unless single quotes need fewer escapes.
    """
    text = str(text)
    single = _literal(text)
    if indent + prefix + _width(single) + 1 <= LINE_LENGTH:
        return single
    inner = " " * (indent + 4)
    width = LINE_LENGTH - len(inner) - 4  # the quotes, a space kept at the end, a margin
    lines = _wrap(" ".join(text.split()), width, escape=False) if text.split() else [("", False)]
    chunks = [inner + _literal(line + (" " if spaced else "")) for line, spaced in lines]
    return "(\n" + "\n".join(chunks) + "\n" + " " * indent + ")"


def _literal(text: str) -> str:
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escaped(character, quote) for character in text) + quote


def _escaped(character: str, quote: str = '"') -> str:
    if character in ("\\", quote):
        return "\\" + character
    if character.isprintable():
        return character
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int, escape: bool = True) -> list[tuple[str, bool]]:
    """Lines of at most ``width`` columns, each with whether a space followed it.

    Words are kept whole where they fit; a longer word is cut between characters (never
    inside an escape). With ``escape``, the lines are escaped for a docstring (and
    measured so); without, they are measured as escaped but returned as they are.
    """
    pieces: list[tuple[str, bool]] = []  # (escaped piece, a space came before it)
    for word in text.split():
        piece, shown, spaced = "", "", True
        for character in word:
            escaped = _escaped(character)
            measured = "\\'" if character == "'" else escaped  # either quote may be escaped
            if shown and _width(shown + measured) > width:
                pieces.append((piece, shown, spaced))
                piece, shown, spaced = "", "", False
            piece += escaped if escape else character
            shown += measured
        pieces.append((piece, shown, spaced))
    lines: list[tuple[str, bool]] = []
    current, current_shown = "", ""
    for piece, shown, spaced in pieces:
        gap = " " if current_shown and spaced else ""
        if current_shown and _width(current_shown + gap + shown) > width:
            lines.append((current, spaced))
            current, current_shown = piece, shown
        else:
            current, current_shown = current + gap + piece, current_shown + gap + shown
    lines.append((current, False))
    return lines
