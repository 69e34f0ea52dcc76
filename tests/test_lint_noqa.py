"""Suppression comments: real comments only, Python's line numbers, mixed code lists."""

import pytest

from polster_lint.parsing.noqa import noqa_codes

from test_lint_rules import ASSETS, lint, make_project

GOLD_HEADER = "import dagster as dg\n\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1  # noqa: POL002\n", {1: {"POL002"}}),
        ("x = 1  # noqa: E501, POL002\n", {1: {"POL002"}}),
        ("x = 1  # NOQA:E501,POL002 POL004\n", {1: {"POL002", "POL004"}}),
        ("x = 1  # noqa\n", {}),
        ("x = 1  # noqa: E501\n", {}),
        ('x = "# noqa: POL002"\n', {}),
        ('"""\n# noqa: POL002\n"""\ny = 1  # noqa: POL004\n', {4: {"POL004"}}),
        ("\f\nx = 1  # noqa: POL002\n", {2: {"POL002"}}),
        ('s = "a\u2028b"\nx = 1  # noqa: POL002\n', {2: {"POL002"}}),
        ("x = (\n  1,  # noqa: POL005\n)\n", {2: {"POL005"}}),
        ('x = 1  # noqa: POL002\ns = """never closed\n', {1: {"POL002"}}),
    ],
    ids=[
        "plain",
        "mixed-list",
        "upper-no-space",
        "bare",
        "other-tool-only",
        "inside-a-string",
        "inside-a-docstring",
        "form-feed",
        "u2028-in-a-string",
        "inside-brackets",
        "untokenizable",
    ],
)
def test_noqa_comments(source, expected):
    found = noqa_codes(source.encode())
    assert {line: set(codes) for line, codes in found.items()} == expected


def test_suppressions_after_a_form_feed_and_u2028_stay_on_their_lines(tmp_path, capsys):
    source = (
        GOLD_HEADER
        + '\f\nNOTE = "line\u2028separator"\n\n\n'
        + '@dg.asset(key=["gold", "d"], group_name="gold", deps=[["bronze", "orders"]])'
        + "  # noqa: E501, POL002\n"
        + 'def direct() -> None: "The d table."\n\n\n'
        + '@dg.asset(key=["gold", "e"], group_name="gold", deps=[["silver", "orders"]])'
        + "  # noqa: POL004\n"
        + 'def fine() -> None: "The e table."\n'
    )
    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_direct.py": source})
    status, lines, _ = lint(root, capsys=capsys)
    assert lines == [
        f"{ASSETS}/gold/run_gold_direct.py:11:1: POL100 unused noqa: POL004 silences nothing here"
    ]
    assert status == 1


def test_noqa_text_in_a_docstring_silences_nothing(tmp_path, capsys):
    source = (
        GOLD_HEADER
        + '@dg.asset(key=["gold", "d"], group_name="gold", deps=[["bronze", "orders"]])\n'
        + 'def direct() -> None:\n    """# noqa: POL002"""\n'
    )
    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_direct.py": source})
    status, lines, _ = lint(root, capsys=capsys)
    assert status == 1 and len(lines) == 1 and " POL002 " in lines[0]
