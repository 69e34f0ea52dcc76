"""Every rule's VALID and INVALID examples, linted in memory, give exactly their findings;
and everything made from the rule classes (--explain, SARIF, the README table) agrees."""

import json
import re

import pytest

from polster_lint.adapters.pyproject import config_from_table
from polster_lint.cli import main as lint_main
from polster_lint.domain.rules import RULES, markdown_table
from polster_lint.engine import lint_sources

from conftest import REPO_ROOT

EXAMPLES = [
    pytest.param(rule, example, kind, id=f"{rule.code}-{kind}{number}")
    for rule in RULES.values()
    for kind, examples in (("invalid", rule.invalid), ("valid", rule.valid))
    for number, example in enumerate(examples, start=1)
]


@pytest.mark.parametrize(("rule", "example", "kind"), EXAMPLES)
def test_example_gives_exactly_its_findings(rule, example, kind):
    config = config_from_table(dict(example.settings))
    found = tuple((f.code, f.path, f.line, f.column) for f in lint_sources(example.files, config))
    assert found == example.findings
    if kind == "invalid":
        assert any(code == rule.code for code, *_ in found), "an INVALID example must break it"


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_every_rule_is_documented_and_shown_breaking(rule):
    assert re.fullmatch(r"POL\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
    assert rule.summary and rule.what and rule.why and rule.fix
    if rule.reported_by is None or rule.code == "POL100":
        assert rule.invalid and rule.valid, "each rule needs VALID and INVALID examples"
    text = rule.explain()
    assert text.startswith(f"{rule.code} ({rule.name})") and rule.fix in text


def test_explain_prints_the_class_text(capsys):
    for code, rule in RULES.items():
        assert lint_main(["--explain", code.lower()]) == 0
        assert capsys.readouterr().out == rule.explain() + "\n"


def test_the_readme_table_is_the_generated_one():
    readme = (REPO_ROOT / "README.md").read_text()
    generated = re.search(r"<!-- rules:.*?-->\n(.*?)<!-- /rules -->", readme, re.DOTALL)
    assert generated is not None, "the README's rule table lost its markers"
    assert generated.group(1).strip() == markdown_table(), "run: polster-lint --rules"


def test_sarif_lists_the_rules_of_its_findings_from_the_classes(tmp_path, capsys):
    from test_lint_rules import ASSETS, make_project

    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_direct.py": _GOLD_FROM_BRONZE})
    lint_main([str(root), "--no-cache", "--format", "sarif"])
    driver = json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]
    for entry in driver["rules"]:
        rule = RULES[entry["id"]]
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["help"]["text"] == rule.fix


_GOLD_FROM_BRONZE = """\
import dagster as dg


@dg.asset(key=["gold", "direct"], group_name="gold", deps=[dg.AssetKey(["bronze", "orders"])])
def direct() -> None: ...
"""
