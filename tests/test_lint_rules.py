"""One fixture per rule and per dependency style: exact code, path, line and column.

Each test writes a small project (the layout of a generated one) and runs the linter's
command-line entry point in-process, as ``polster-lint`` would.
"""

import json
import textwrap
from pathlib import Path

import pytest

from polster_lint.cli import main as lint_main

ASSETS = "src/orchestration/assets"

BRONZE_ORDERS = """\
import dagster as dg


@dg.asset(key=["bronze", "orders"], group_name="bronze")
def bronze_orders() -> None: ...
"""

SILVER_ORDERS = """\
import dagster as dg

from orchestration.assets.bronze.run_bronze_orders import bronze_orders


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[bronze_orders])
def silver_orders() -> None: ...


@dg.asset_check(asset=silver_orders, blocking=True)
def silver_orders_have_rows() -> dg.AssetCheckResult: ...
"""

GOLD_REVENUE = """\
import dagster as dg


@dg.asset(key=["gold", "revenue"], group_name="gold", deps=[dg.AssetKey(["silver", "orders"])])
def gold_revenue() -> None:
    "Revenue per day."
"""


def make_project(root: Path, files: dict[str, str], pyproject: str = "") -> Path:
    """A minimal Polster project: the three layers' packages plus ``files``."""
    (root / ".polster-answers.json").parent.mkdir(parents=True, exist_ok=True)
    (root / ".polster-answers.json").write_text('{"cookiecutter": {}}\n')
    (root / "pyproject.toml").write_text(pyproject)
    for package in ("src/orchestration", ASSETS, "src/core"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for layer in ("bronze", "silver", "gold"):
        (root / ASSETS / layer).mkdir(exist_ok=True)
        (root / ASSETS / layer / "__init__.py").write_text("")
    base = {
        f"{ASSETS}/bronze/run_bronze_orders.py": BRONZE_ORDERS,
        f"{ASSETS}/silver/run_silver_orders.py": SILVER_ORDERS,
        f"{ASSETS}/gold/run_gold_revenue.py": GOLD_REVENUE,
    }
    for relative, text in {**base, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text))
    return root


def lint(root: Path, *args: str, capsys) -> tuple[int, list[str], str]:
    status = lint_main([str(root), "--no-cache", *args])
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if not line.startswith("Found ")]
    return status, lines, err


def test_clean_project_passes(tmp_path, capsys):
    status, lines, err = lint(make_project(tmp_path, {}), capsys=capsys)
    assert (status, lines, err) == (0, [], "")


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        pytest.param(
            f"{ASSETS}/bronze/run_bronze_customers.py",
            """\
            import dagster as dg


            @dg.asset(key=["bronze", "customers"], group_name="bronze",
                      deps=[dg.AssetKey(["bronze", "orders"])])
            def customers() -> None: ...
            """,
            "5:17: POL001 bronze/customers depends on bronze/orders: bronze assets take no "
            "upstream assets",
            id="POL001",
        ),
        pytest.param(
            f"{ASSETS}/gold/run_gold_direct.py",
            """\
            import dagster as dg
            from orchestration.assets.bronze.run_bronze_orders import bronze_orders


            @dg.asset(key=["gold", "direct"], group_name="gold", deps=[bronze_orders])
            def direct() -> None: "The direct table."
            """,
            "5:60: POL002 gold/direct depends on bronze/orders: gold must read silver, not bronze",
            id="POL002",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_backwards.py",
            """\
            import dagster as dg


            @dg.asset(key=["silver", "backwards"], group_name="silver",
                      deps=[["gold", "revenue"]])
            def backwards() -> None: ...


            @dg.asset_check(asset=backwards)
            def backwards_has_rows() -> dg.AssetCheckResult: ...
            """,
            "5:17: POL003 silver/backwards depends on gold/revenue: silver may not depend on "
            "the later layer gold",
            id="POL003",
        ),
        pytest.param(
            f"{ASSETS}/gold/run_gold_summary.py",
            """\
            import dagster as dg
            from .run_gold_revenue import gold_revenue as revenue


            @dg.asset(key=["gold", "summary"], group_name="gold", deps=[revenue])
            def summary() -> None: "The summary table."
            """,
            "5:61: POL004 gold/summary depends on gold/revenue: gold may not depend on gold "
            "(same layer)",
            id="POL004",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_typo.py",
            """\
            import dagster as dg


            @dg.asset(key=["silver", "typo"], group_name="silver",
                      deps=[dg.AssetKey(["bronze", "ordres"])])
            def typo() -> None: ...


            @dg.asset_check(asset=typo)
            def typo_has_rows() -> dg.AssetCheckResult: ...
            """,
            "5:17: POL005 silver/typo depends on bronze/ordres, which is not an asset of the "
            "project; did you mean bronze/orders?",
            id="POL005",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_group.py",
            """\
            import dagster as dg


            @dg.asset(key=["silver", "group"], group_name="gold", deps=["x"])  # noqa: POL005
            def group() -> None: ...


            @dg.asset_check(asset=group)
            def group_has_rows() -> dg.AssetCheckResult: ...
            """,
            "4:47: POL007 asset silver/group has group_name 'gold' but sits in the silver folder",
            id="POL007-group",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_wrongkey.py",
            """\
            import dagster as dg
            from orchestration.assets.bronze.run_bronze_orders import bronze_orders


            @dg.asset(key=["gold", "wrongkey"], group_name="silver", deps=[bronze_orders])
            def wrongkey() -> None: ...


            @dg.asset_check(asset=wrongkey)
            def wrongkey_has_rows() -> dg.AssetCheckResult: ...
            """,
            "5:15: POL007 asset key gold/wrongkey names layer 'gold' but the asset sits in the "
            "silver folder",
            id="POL007-key",
        ),
        pytest.param(
            f"{ASSETS}/run_loose.py",
            """\
            import dagster as dg


            @dg.asset(key=["bronze", "loose"], group_name="bronze")
            def loose() -> None: ...
            """,
            "4:15: POL007 asset bronze/loose is outside the layer folders (bronze, silver, gold)",
            id="POL007-outside",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_orphan.py",
            """\
            import dagster as dg


            @dg.asset(key=["silver", "orphan"], group_name="silver")
            def orphan() -> None: ...


            @dg.asset_check(asset=orphan)
            def orphan_has_rows() -> dg.AssetCheckResult: ...
            """,
            "4:15: POL009 silver asset silver/orphan has no upstream asset",
            id="POL009",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_dynamic.py",
            """\
            import dagster as dg

            from orchestration.utils import upstreams


            @dg.asset(key=["silver", "dynamic"], group_name="silver", deps=upstreams())
            def dynamic() -> None: ...


            @dg.asset_check(asset=dynamic)
            def dynamic_has_rows() -> dg.AssetCheckResult: ...
            """,
            "6:64: POL010 cannot resolve dependency 'upstreams()' statically",
            id="POL010",
        ),
        pytest.param(
            f"{ASSETS}/silver/run_silver_broken.py",
            """\
            import dagster as dg


            @dg.asset(key=["silver", "broken"], deps=[
            def broken() -> None: ...


            @dg.asset_check(asset=broken)
            def broken_has_rows() -> dg.AssetCheckResult: ...
            """,
            "4:42: POL000 cannot parse: '[' was never closed",
            id="POL000",
        ),
    ],
)
def test_each_rule_points_at_the_dependency(tmp_path, capsys, path, source, expected):
    root = make_project(tmp_path, {path: source})
    status, lines, err = lint(root, capsys=capsys)
    assert status == 1, err
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{expected}"), lines[0]
    assert err == ""


def test_cycle_is_reported_once_with_its_path(tmp_path, capsys):
    root = make_project(
        tmp_path,
        {
            f"{ASSETS}/silver/run_silver_a.py": """\
            import dagster as dg


            @dg.asset(key=["silver", "a"], group_name="silver", deps=[["silver", "b"]])
            def a() -> None: ...


            @dg.asset_check(asset=a)
            def a_has_rows() -> dg.AssetCheckResult: ...
            """,
            f"{ASSETS}/silver/run_silver_b.py": """\
            import dagster as dg


            @dg.asset(key=["silver", "b"], group_name="silver", deps=[["silver", "a"]])
            def b() -> None: ...


            @dg.asset_check(asset=b)
            def b_has_rows() -> dg.AssetCheckResult: ...
            """,
        },
        pyproject='[tool.polster.lint]\nallow-same-layer = ["silver"]\n',
    )
    status, lines, _ = lint(root, capsys=capsys)
    assert status == 1
    assert lines == [
        f"{ASSETS}/silver/run_silver_a.py:4:59: POL006 dependency cycle: "
        "silver/a -> silver/b -> silver/a"
    ]


def test_hidden_reads_in_core_modules(tmp_path, capsys):
    root = make_project(
        tmp_path,
        {
            "src/core/storage.py": "def read_table(layer, name): ...\n",
            "src/core/gold_revenue.py": """\
            from core import storage as s
            from core.storage import read_table as load


            def build():
                orders = load("silver", "orders")
                raw = s.read_table("bronze", "orders")
                customers = s.read_table(layer="silver", name="customers")
                return orders, raw, customers
            """,
        },
    )
    status, lines, _ = lint(root, capsys=capsys)
    assert status == 1
    assert lines == [
        "src/core/gold_revenue.py:7:11: POL008 gold/revenue reads table bronze/orders: gold "
        "must read silver, not bronze",
        "src/core/gold_revenue.py:8:17: POL008 gold/revenue reads table silver/customers but "
        "its asset does not declare it in deps",
    ]


DEPENDENCY_STYLES = {
    "imported function": (
        "from orchestration.assets.bronze.run_bronze_orders import bronze_orders",
        "deps=[bronze_orders]",
    ),
    "aliased import": (
        "from orchestration.assets.bronze.run_bronze_orders import bronze_orders as raw",
        "deps=[raw]",
    ),
    "module alias": (
        "import orchestration.assets.bronze.run_bronze_orders as m",
        "deps=[m.bronze_orders]",
    ),
    "relative import": (
        "from ..bronze.run_bronze_orders import bronze_orders",
        "deps=[bronze_orders]",
    ),
    "package import": (
        "from orchestration.assets.bronze import run_bronze_orders",
        "deps=[run_bronze_orders.bronze_orders]",
    ),
    "asset key": ("", 'deps=[dg.AssetKey(["bronze", "orders"])]'),
    "key list": ("", 'deps=[["bronze", "orders"]]'),
    "user string": ("", 'deps=[dg.AssetKey.from_user_string("bronze/orders")]'),
    "asset dep": ("", 'deps=[dg.AssetDep(dg.AssetKey(["bronze", "orders"]))]'),
    "asset in": ("", 'ins={"raw": dg.AssetIn(key=["bronze", "orders"])}'),
    "asset in prefix": ("", 'ins={"orders": dg.AssetIn(key_prefix="bronze")}'),
}


@pytest.mark.parametrize("style", DEPENDENCY_STYLES)
def test_every_dependency_style_resolves_to_the_same_edge(tmp_path, capsys, style):
    header, dependency = DEPENDENCY_STYLES[style]
    # Dagster requires a parameter for each entry of ins=.
    parameters = dependency.split('"')[1] if dependency.startswith("ins=") else ""
    gold = f"""\
import dagster as dg
{header}


@dg.asset(key=["gold", "bad"], group_name="gold", {dependency})
def bad({parameters}) -> None: "The bad table."
"""
    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_bad.py": gold})
    status, lines, _ = lint(root, "--format", "json", capsys=capsys)
    findings = json.loads("\n".join(lines))
    assert status == 1
    assert [(f["code"], f["asset"], f["dependency"]) for f in findings] == [
        ("POL002", "gold/bad", "bronze/orders")
    ], findings
    # The position is the dependency expression itself: the AssetIn(...) call of an ins=
    # entry, or the element of deps=[...].
    anchor = "dg.AssetIn" if parameters else dependency.removeprefix("deps=[")
    column = gold.splitlines()[4].index(anchor) + 1
    assert (findings[0]["line"], findings[0]["column"]) == (5, column)


def test_plain_parameters_are_upstreams_without_prefix(tmp_path, capsys):
    # The parameter's key is ["orders"], without the asset's prefix; Dagster resolves a
    # one-part key to the one asset of that name in the same group: silver/orders.
    source = """\
    import dagster as dg


    @dg.asset(key_prefix="silver", group_name="silver")
    def enriched(context: dg.AssetExecutionContext, orders) -> None: ...


    @dg.asset_check(asset=enriched)
    def enriched_has_rows() -> dg.AssetCheckResult: ...
    """
    root = make_project(tmp_path, {f"{ASSETS}/silver/run_silver_enriched.py": source})
    status, lines, _ = lint(root, capsys=capsys)
    assert status == 1
    assert lines == [
        f"{ASSETS}/silver/run_silver_enriched.py:5:49: POL004 silver/enriched depends on "
        "silver/orders: silver may not depend on silver (same layer)"
    ]


def test_multi_asset_specs_and_outs(tmp_path, capsys):
    source = """\
    import dagster as dg


    @dg.multi_asset(
        group_name="gold",
        specs=[
            dg.AssetSpec(["gold", "a"], deps=[["silver", "orders"]]),
            dg.AssetSpec(["gold", "b"], deps=[["bronze", "orders"]]),
        ],
    )
    def pair(): "Gold a and b."


    @dg.multi_asset(outs={"c": dg.AssetOut(key_prefix="gold"), "d": dg.AssetOut(key_prefix="gold")},
                    group_name="gold", deps=[["silver", "orders"]])
    def outs(): "Gold c and d."
    """
    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_multi.py": source})
    status, lines, _ = lint(root, capsys=capsys)
    assert lines == [
        f"{ASSETS}/gold/run_gold_multi.py:8:43: POL002 gold/b depends on bronze/orders: gold "
        "must read silver, not bronze; read silver/orders instead"
    ]
    lint_main([str(root), "--no-cache", "--graph", "json"])
    graph = json.loads(capsys.readouterr().out)
    assert {"gold/a", "gold/b", "gold/c", "gold/d"} <= {a["key"] for a in graph["assets"]}
    assert {"upstream": "silver/orders", "downstream": "gold/d"} in graph["edges"]


def test_noqa_silences_and_unused_noqa_is_reported(tmp_path, capsys):
    source = """\
    import dagster as dg


    @dg.asset(key=["gold", "d"], group_name="gold", deps=[["bronze", "orders"]])  # noqa: POL002
    def direct() -> None: "The direct table."


    @dg.asset(key=["gold", "fine"], group_name="gold", deps=[["silver", "orders"]])  # noqa: POL004
    def fine() -> None: "The fine table."
    """
    root = make_project(tmp_path, {f"{ASSETS}/gold/run_gold_direct.py": source})
    status, lines, _ = lint(root, capsys=capsys)
    assert status == 1
    assert lines == [
        f"{ASSETS}/gold/run_gold_direct.py:8:1: POL100 unused noqa: POL004 silences nothing here"
    ]


def test_config_select_ignore_external_and_same_layer(tmp_path, capsys):
    files = {
        f"{ASSETS}/silver/run_silver_ext.py": """\
        import dagster as dg


        @dg.asset(key=["silver", "ext"], group_name="silver",
                  deps=[["raw", "stripe"], ["silver", "orders"]])
        def ext() -> None: ...


        @dg.asset_check(asset=ext)
        def ext_has_rows() -> dg.AssetCheckResult: ...
        """,
    }
    root = make_project(tmp_path / "a", files)
    _, lines, _ = lint(root, capsys=capsys)
    assert [line.split(": ")[1].split()[0] for line in lines] == ["POL005", "POL004"]

    config = '[tool.polster.lint]\nexternal = ["raw/stripe"]\nallow-same-layer = ["silver"]\n'
    root = make_project(tmp_path / "b", files, pyproject=config)
    assert lint(root, capsys=capsys)[:2] == (0, [])

    root = make_project(
        tmp_path / "c", files, pyproject='[tool.polster.lint]\nignore = ["POL00"]\n'
    )
    assert lint(root, capsys=capsys)[:2] == (0, [])
    status, lines, _ = lint(root, "--select", "POL005", capsys=capsys)
    assert status == 1 and len(lines) == 1 and "POL005" in lines[0]


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('[tool.polster.lint]\nselect = ["POL999"]\n', "unknown rule code 'POL999'"),
        ("[tool.polster.lint]\nallow-same-layers = true\n", "unknown option 'allow-same-layers'"),
        ('[tool.polster.lint]\nexternal = "raw/x"\n', "external must be a list"),
        ("[tool.polster.lint\n", "pyproject.toml"),
    ],
)
def test_configuration_errors_exit_2(tmp_path, capsys, pyproject, message):
    root = make_project(tmp_path, {}, pyproject=pyproject)
    status, lines, err = lint(root, capsys=capsys)
    assert status == 2 and lines == []
    assert message in err and err.count("\n") == 1


def test_usage_errors_exit_2(tmp_path, capsys):
    assert lint_main([str(tmp_path)]) == 2
    assert "not inside a Polster project" in capsys.readouterr().err
    assert lint_main([str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        lint_main(["--format", "yaml"])
    assert exit_info.value.code == 2
    assert lint_main(["--explain", "POL999"]) == 2


def test_explain_documents_every_rule(capsys):
    from polster_lint.domain.rules import RULES

    for code in RULES:
        assert lint_main(["--explain", code]) == 0
        text = capsys.readouterr().out
        for section in ("What:", "Why:", "Fix:"):
            assert section in text
        assert "Example (" in text or "Reported by:" in text


def test_files_limit_the_report_but_not_the_graph(tmp_path, capsys):
    root = make_project(
        tmp_path,
        {
            f"{ASSETS}/gold/run_gold_direct.py": """\
            import dagster as dg


            @dg.asset(key=["gold", "direct"], group_name="gold", deps=[["bronze", "orders"]])
            def direct() -> None: "The direct table."
            """,
        },
    )
    other = root / ASSETS / "silver" / "run_silver_orders.py"
    assert lint_main([str(other), "--no-cache"]) == 0
    assert capsys.readouterr().out == ""
    assert lint_main([str(root / ASSETS / "gold" / "run_gold_direct.py"), "--no-cache"]) == 1


def test_output_formats(tmp_path, capsys):
    files = {
        f"{ASSETS}/gold/run_gold_direct.py": """\
        import dagster as dg


        @dg.asset(key=["gold", "direct"], group_name="gold", deps=[["bronze", "orders"]])
        def direct() -> None: "The direct table."
        """,
    }
    root = make_project(tmp_path, files)
    lint_main([str(root), "--no-cache", "--format", "github"])
    github = capsys.readouterr().out.strip()
    assert github.startswith(
        f"::error title=polster-lint (POL002),file={ASSETS}/gold/run_gold_direct.py,line=4,col=60::"
    )
    lint_main([str(root), "--no-cache", "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "POL002"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4,
        "startColumn": 60,
    }
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "POL002"
    lint_main([str(root), "--no-cache", "--graph", "mermaid"])
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart LR")
    for layer in ("bronze", "silver", "gold"):
        assert f"subgraph {layer}" in mermaid
    lint_main([str(root), "--no-cache", "--graph", "dot"])
    assert '"bronze/orders" -> "gold/direct";' in capsys.readouterr().out


def test_cache_is_used_and_survives_corruption(tmp_path, capsys):
    root = make_project(tmp_path, {})
    assert lint_main([str(root)]) == 0
    cache = root / ".polster_cache" / "lint.json"
    assert cache.is_file() and (root / ".polster_cache" / ".gitignore").is_file()
    # A cached file edited afterwards must be re-read: add a gold -> bronze edge.
    gold = root / ASSETS / "gold" / "run_gold_revenue.py"
    gold.write_text(gold.read_text().replace('["silver", "orders"]', '["bronze", "orders"]'))
    assert lint_main([str(root)]) == 1
    assert "POL002" in capsys.readouterr().out
    cache.write_text("{not json")
    assert lint_main([str(root)]) == 1
    assert "POL002" in capsys.readouterr().out
    for damaged in ("[]", '{"format": 2, "version": "0.1.0", "files": {"x": {}}}'):
        cache.write_text(damaged)
        assert lint_main([str(root)]) == 1
        assert "POL002" in capsys.readouterr().out


def test_typo_suggestion_among_thousands_of_keys_made_from_one_pattern():
    """Keys that share their first and last characters by the thousand (orders_0000 ...)
    are narrowed before difflib compares them: the key meant is still the one named."""
    from polster_lint.domain.rules.pol005_unknown_upstream import _Suggestions

    keys = [("silver", f"orders_{number:04}") for number in range(5000)]
    suggestions = _Suggestions(keys)
    assert suggestions.closest(("silver", "ordres_1234")) == "silver/orders_1234"
    assert suggestions.closest(("gold", "orders_0042")) == "silver/orders_0042"
