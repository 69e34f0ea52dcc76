"""Dagster's semantics, construct by construct: a VALID and an INVALID case each.

Every case is a small project held in memory. The linter's graph (its assets and edges,
what it says it cannot see, what Dagster would refuse) and its findings are compared
with what Dagster does with the same code; ``tests/test_lint_oracle.py`` checks the same
constructs against real Dagster on random projects.
"""

import json
import textwrap
from dataclasses import dataclass, field

import pytest

from polster_lint.adapters.pyproject import config_from_table
from polster_lint.cli import main as lint_main
from polster_lint.domain.graph import AssetGraph, Remark, build_graph
from polster_lint.domain.layout import source_file, support_file
from polster_lint.domain.model import key_string
from polster_lint.engine import lint_sources
from polster_lint.parsing.extract import anchor_positions, extract
from polster_lint.parsing.reads import extract_reads

ASSETS = "src/orchestration/assets"
DEFINITIONS = "src/orchestration/definitions.py"

BRONZE = {
    f"{ASSETS}/bronze/run_bronze_orders.py": """\
        import dagster as dg


        @dg.asset(key=["bronze", "orders"], group_name="bronze")
        def bronze_orders() -> None: ...
        """,
}
SILVER = {
    **BRONZE,
    f"{ASSETS}/silver/run_silver_orders.py": """\
        import dagster as dg


        @dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
        def silver_orders() -> None: ...


        @dg.asset_check(asset=silver_orders)
        def silver_orders_has_rows() -> dg.AssetCheckResult: ...
        """,
}


@dataclass
class Analysis:
    graph: AssetGraph
    findings: list[tuple[str, str, int, int]]
    sources: dict[str, str]

    @property
    def edges(self) -> set[tuple[str, str]]:
        return {(key_string(e.upstream), key_string(e.downstream.key)) for e in self.graph.edges}

    @property
    def assets(self) -> set[str]:
        return {key_string(key) for key in self.graph.assets}

    def at(self, remarks: list[Remark]) -> list[tuple[str, int, int]]:
        """Where each remark is: (path, line, column)."""
        placed = []
        for remark in remarks:
            if remark.anchor is None:
                placed.append((remark.file.relative, 1, 1))
                continue
            source = self.sources[remark.file.relative].encode()
            file = remark.file
            position = anchor_positions(source, file.module, file.is_package)[remark.anchor]
            placed.append((file.relative, position.line, position.column))
        return placed

    def codes(self) -> list[str]:
        return sorted(code for code, *_ in self.findings)


def analyse(files: dict[str, str], settings: dict | None = None) -> Analysis:
    config = config_from_table(settings or {})
    sources = {path: textwrap.dedent(text) for path, text in files.items()}
    modules = []
    for path in sorted(sources):
        file = source_file(path, config) or support_file(path, config)
        reader = extract if file.is_asset_module or file.is_support else extract_reads
        modules.append((file, reader(sources[path].encode(), file.module, file.is_package)))
    graph = build_graph(
        modules, config.definitions_module, config.layer_source, config.layer_folders
    )
    findings = [(f.code, f.path, f.line, f.column) for f in lint_sources(sources, config)]
    return Analysis(graph, findings, sources)


def line_of(text: str, fragment: str) -> int:
    for number, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


# --- 1. graph assets ---------------------------------------------------------------------

GRAPH_ASSET = """\
    import dagster as dg


    @dg.op
    def clean(orders):
        return orders


    @dg.graph_asset(
        key_prefix="silver", group_name="silver", ins={"orders": dg.AssetIn(["bronze", "orders"])}
    )
    def customers(orders):
        return clean(orders)


    @dg.graph_multi_asset(
        outs={"kpis": dg.AssetOut(key_prefix="gold"), "mix": dg.AssetOut(key_prefix="gold")},
        group_name="gold",
    )
    def report(customers):
        return {"kpis": clean(customers), "mix": clean(customers)}
    """


def test_graph_assets_and_their_inputs_are_in_the_graph():
    files = {**BRONZE, f"{ASSETS}/silver/run_silver_customers.py": GRAPH_ASSET}
    result = analyse(files)
    assert {"silver/customers", "gold/kpis", "gold/mix"} <= result.assets
    assert {
        ("bronze/orders", "silver/customers"),
        # the parameter "customers" is resolved in the group: no, gold has none -> stays
        ("customers", "gold/kpis"),
        ("customers", "gold/mix"),
    } == {edge for edge in result.edges if edge[1] != "silver/orders"}


def test_graph_asset_taking_a_context_is_refused():
    source = GRAPH_ASSET.replace("def customers(orders):", "def customers(context, orders):")
    files = {**BRONZE, f"{ASSETS}/silver/run_silver_customers.py": source}
    result = analyse(files)
    assert [remark.message for remark in result.graph.refused] == [
        "Dagster refuses to load silver/customers: a graph asset takes no context parameter "
        "('context')"
    ]


# --- 2. from dagster import * -------------------------------------------------------------


def test_star_import_of_dagster_sees_the_assets():
    gold = """\
        from dagster import *


        @asset(key=["gold", "revenue"], group_name="gold", deps=[AssetKey(["bronze", "orders"])])
        def revenue() -> None: "The revenue table."
        """
    result = analyse({**BRONZE, f"{ASSETS}/gold/run_gold_revenue.py": gold})
    assert ("bronze/orders", "gold/revenue") in result.edges
    assert result.findings == [("POL002", f"{ASSETS}/gold/run_gold_revenue.py", 4, 58)]


def test_star_import_of_an_unknown_module_is_said_once():
    silver = """\
        import dagster as dg
        from company_helpers import *


        @dg.asset(key=["silver", "a"], group_name="silver", deps=[UPSTREAM, OTHER])
        def a() -> None: ...


        @dg.asset_check(asset=a)
        def a_has_rows() -> dg.AssetCheckResult: ...
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_a.py": silver})
    assert result.at(result.graph.blind) == [(f"{ASSETS}/silver/run_silver_a.py", 2, 1)]
    assert result.graph.unresolved == []
    assert not result.graph.complete


# --- 3. internal_asset_deps ---------------------------------------------------------------

INTERNAL = """\
    import dagster as dg


    @dg.multi_asset(
        outs={
            "totals": dg.AssetOut(key=["silver", "totals"]),
            "ranked": dg.AssetOut(key=["silver", "ranked"]),
        },
        deps=[dg.AssetKey(["bronze", "orders"])],
        internal_asset_deps={
            "totals": {dg.AssetKey(["bronze", "orders"])},
            "ranked": {dg.AssetKey(["silver", "totals"])},
        },
        group_name="silver",
    )
    def build():
        return 1, 2


    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec("rows", asset=["silver", "totals"]),
            dg.AssetCheckSpec("rows", asset=["silver", "ranked"]),
        ]
    )
    def build_has_rows(): ...
    """


def test_internal_asset_deps_give_each_output_its_own_deps():
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_build.py": INTERNAL})
    assert result.edges == {
        ("bronze/orders", "silver/totals"),
        ("silver/totals", "silver/ranked"),
    }
    # silver -> silver inside the multi-asset: a same-layer edge, not an invented one.
    path = f"{ASSETS}/silver/run_silver_build.py"
    assert result.findings == [("POL004", path, line_of(INTERNAL, '"ranked": {'), 20)]


def test_an_output_left_out_of_internal_asset_deps_depends_on_nothing():
    source = INTERNAL.replace('"ranked": {dg.AssetKey(["silver", "totals"])},', "")
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_build.py": source})
    assert result.edges == {("bronze/orders", "silver/totals")}


# --- 4. AssetOut("gold"): key_prefix is AssetOut's first parameter ----------------------


def test_positional_asset_out_is_a_key_prefix():
    gold = """\
        import dagster as dg


        @dg.multi_asset(outs={"avg_basket": dg.AssetOut("gold")}, group_name="gold",
                        deps=[["silver", "orders"]])
        def baskets():
            "The average basket."
            return 1
        """
    result = analyse({**SILVER, f"{ASSETS}/gold/run_gold_baskets.py": gold})
    assert "gold/avg_basket" in result.assets
    assert result.findings == []


# --- 5. parameters that are not upstream assets ------------------------------------------

RESOURCES = """\
    import dagster as dg


    class Warehouse(dg.ConfigurableResource):
        dsn: str


    class Reporting(Warehouse):
        pass
    """


def test_resources_of_every_kind_are_not_inputs():
    silver = """\
        from typing import Annotated

        import dagster as dg

        from orchestration.resources import Reporting
        from orchestration import resources


        class Local(dg.ConfigurableResource):
            x: int = 0


        class Settings(dg.Config):
            limit: int = 10


        @dg.asset(key=["silver", "clean"], group_name="silver", deps=[["bronze", "orders"]])
        def clean(
            context: dg.AssetExecutionContext,
            config: Settings,
            local: Local,
            reporting: Reporting,
            warehouse: resources.Warehouse,
            pipes: dg.PipesSubprocessClient,
            token: dg.ResourceParam[str],
            raw: Annotated[str, "resource_param"],
        ) -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    files = {
        **BRONZE,
        f"{ASSETS}/silver/run_silver_clean.py": silver,
        "src/orchestration/resources.py": RESOURCES,
        "src/orchestration/__init__.py": "",
    }
    result = analyse(files)
    assert result.edges == {("bronze/orders", "silver/clean")}
    assert result.graph.blind == [] and result.graph.refused == []
    assert result.findings == []


def test_a_plain_parameter_is_an_input_whatever_its_annotation_name():
    # Dagster goes by the class: a data type named like a resource is still an input,
    # and a Config class on a parameter not named config is an input too.
    silver = """\
        import dagster as dg
        import pandas as pd


        class OrdersResource:
            pass


        class Settings(dg.Config):
            limit: int = 10


        @dg.asset(key=["silver", "clean"], group_name="silver")
        def clean(orders: OrdersResource, settings: Settings, frame: pd.DataFrame) -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert result.edges == {
        ("orders", "silver/clean"),
        ("settings", "silver/clean"),
        ("frame", "silver/clean"),
    }


def test_an_annotation_from_an_unknown_library_is_said_once_and_claims_nothing():
    silver = """\
        import dagster as dg
        from company_sdk import Client


        @dg.asset(key=["silver", "clean"], group_name="silver", deps=[["bronze", "orders"]])
        def clean(client: Client) -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    path = f"{ASSETS}/silver/run_silver_clean.py"
    result = analyse({**BRONZE, path: silver})
    assert result.edges == {("bronze/orders", "silver/clean")}
    assert result.at(result.graph.blind) == [(path, 6, 11)]
    assert "is a resource or an upstream asset" in result.graph.blind[0].message
    assert "POL005" not in result.codes()


@pytest.mark.parametrize(
    ("signature", "header", "message"),
    [
        pytest.param(
            "context: str",
            "",
            "its context is annotated with str",
            id="context-annotated-str",
        ),
        pytest.param(
            "context: dg.AssetExecutionContext",
            "from __future__ import annotations\n",
            "its context is annotated with dg.AssetExecutionContext (a string at run time)",
            id="context-under-future-annotations",
        ),
        pytest.param(
            "_: int",
            "",
            "its context is annotated with int",
            id="underscore-is-the-context",
        ),
        pytest.param(
            "config",
            "",
            "its config parameter has no annotation",
            id="config-without-annotation",
        ),
        pytest.param(
            "config: Settings",
            "from __future__ import annotations\n",
            "its config parameter is annotated with Settings, a string at run time",
            id="config-under-future-annotations",
        ),
        pytest.param(
            "config: tuple",
            "",
            "its config parameter is annotated with tuple, not a Config class",
            id="config-not-a-config-type",
        ),
        pytest.param(
            "io: dg.ConfigurableIOManager",
            "",
            "parameter 'io' is annotated with dg.ConfigurableIOManager",
            id="io-manager-as-a-resource",
        ),
        pytest.param("input", "", "'input' is a reserved name", id="reserved-input-name"),
        pytest.param("*frames", "", "*frames is not allowed", id="varargs"),
        pytest.param(
            "x, context",
            "",
            "'context' is a reserved name",
            id="context-not-first",
        ),
    ],
)
def test_what_dagster_refuses_is_not_claimed_clean(signature, header, message):
    silver = f"""\
{header}import dagster as dg


class Settings(dg.Config):
    limit: int = 1


@dg.asset(key=["silver", "clean"], group_name="silver", deps=[["bronze", "orders"]])
def clean({signature}) -> None: ...


@dg.asset_check(asset=clean)
def clean_has_rows() -> dg.AssetCheckResult: ...
"""
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert len(result.graph.refused) == 1, result.graph.refused
    assert message in result.graph.refused[0].message


@pytest.mark.parametrize(
    "signature",
    [
        "context",
        "context: dg.AssetExecutionContext",
        "context: dg.OpExecutionContext",
        "_context",
        "config: Settings",
        "config: int",
        "config: dict",
        "config: Optional[int]",
        "*, x",
        "**kwargs",
    ],
)
def test_what_dagster_accepts_is_not_refused(signature):
    silver = f"""\
from typing import Optional

import dagster as dg


class Settings(dg.Config):
    limit: int = 1


@dg.asset(key=["silver", "clean"], group_name="silver", deps=[["bronze", "orders"]])
def clean({signature}) -> None: ...


@dg.asset_check(asset=clean)
def clean_has_rows() -> dg.AssetCheckResult: ...
"""
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert result.graph.refused == [] and result.graph.blind == []
    assert result.edges == {("bronze/orders", "silver/clean")}


# --- 6. ins= as a module-level constant --------------------------------------------------


def test_ins_constant_is_read():
    silver = """\
        import dagster as dg

        INS = {"orders": dg.AssetIn(key=["bronze", "orders"])}


        @dg.asset(key=["silver", "clean"], group_name="silver", ins=INS)
        def clean(orders) -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert result.edges == {("bronze/orders", "silver/clean")}
    assert result.findings == []


def test_ins_that_cannot_be_read_is_pol010_once_and_no_pol005():
    silver = """\
        import dagster as dg

        from orchestration.shared import INS


        @dg.asset(key=["silver", "clean"], group_name="silver", ins=INS)
        def clean(orders) -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    path = f"{ASSETS}/silver/run_silver_clean.py"
    result = analyse({**BRONZE, path: silver})
    assert result.findings == [("POL010", path, 6, 61)]


# --- 7. **dict decorator options ----------------------------------------------------------


def test_decorator_options_from_a_dict_constant():
    silver = """\
        import dagster as dg

        SILVER_DEFAULTS = {"group_name": "silver", "key_prefix": ["silver"], "kinds": {"pandas"}}


        @dg.asset(**SILVER_DEFAULTS, deps=[["bronze", "orders"]])
        def clean() -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert result.assets == {"bronze/orders", "silver/clean"}
    assert result.findings == []


def test_decorator_options_imported_from_another_module():
    silver = """\
        import dagster as dg

        from orchestration.defaults import SILVER_DEFAULTS


        @dg.asset(**SILVER_DEFAULTS, key=["silver", "clean"], deps=[["bronze", "orders"]])
        def clean() -> None: ...


        @dg.asset_check(asset=clean)
        def clean_has_rows() -> dg.AssetCheckResult: ...
        """
    files = {
        **BRONZE,
        f"{ASSETS}/silver/run_silver_clean.py": silver,
        "src/orchestration/defaults.py": 'SILVER_DEFAULTS = {"group_name": "silver"}\n',
    }
    assert analyse(files).findings == []
    files["src/orchestration/defaults.py"] = 'SILVER_DEFAULTS = {"group_name": "gold"}\n'
    assert analyse(files).codes() == ["POL007"]


def test_decorator_alias_function_and_partial():
    silver = """\
        import functools

        import dagster as dg

        silver_asset = functools.partial(dg.asset, group_name="silver", key_prefix="silver")


        def gold_asset(**kwargs):
            return dg.asset(group_name="gold", key_prefix="gold", **kwargs)


        @silver_asset(deps=[["bronze", "orders"]])
        def clean() -> None: ...


        @gold_asset(deps=[clean])
        def report() -> None: ...
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_clean.py": silver})
    assert result.edges == {("bronze/orders", "silver/clean"), ("silver/clean", "gold/report")}


# --- 9. hidden reads through a star import -------------------------------------------------


def test_star_import_of_storage_does_not_hide_read_table():
    core = """\
        from core.storage import *


        def run():
            return read_table("bronze", "customers")
        """
    files = {**SILVER, "src/core/silver_orders.py": core, "src/core/storage.py": ""}
    result = analyse(files)
    assert ("POL008", "src/core/silver_orders.py", 5, 12) in result.findings


# --- one-part keys ------------------------------------------------------------------------


def test_a_one_part_key_resolves_to_the_one_asset_of_that_name_in_the_group():
    gold = """\
        import dagster as dg


        @dg.asset(key=["gold", "a"], group_name="gold")
        def a(b) -> None: "The a table."


        @dg.asset(key=["gold", "b"], group_name="gold", deps=["a"])
        def b() -> None: "The b table."
        """
    result = analyse({f"{ASSETS}/gold/run_gold_ab.py": gold}, {"allow-same-layer": True})
    assert result.edges == {("gold/b", "gold/a"), ("gold/a", "gold/b")}
    assert [code for code, *_ in result.findings] == ["POL006"]


def test_a_one_part_key_is_not_resolved_across_groups_or_to_itself():
    gold = """\
        import dagster as dg


        @dg.asset(key=["gold", "orders"], group_name="gold", deps=["orders"])
        def gold_orders() -> None: "The gold_orders table."
        """
    result = analyse({**SILVER, f"{ASSETS}/gold/run_gold_orders.py": gold})
    assert ("orders", "gold/orders") in result.edges
    assert "POL005" in result.codes()


# --- external inputs: SourceAsset, AssetSpec ----------------------------------------------


def test_source_assets_and_specs_are_external_inputs():
    bronze = """\
        import dagster as dg

        raw_orders = dg.SourceAsset(key=["raw", "orders"])
        raw_customers = dg.AssetSpec(["raw", "customers"])


        @dg.asset(key=["bronze", "orders"], group_name="bronze", deps=[raw_orders, raw_customers])
        def bronze_orders() -> None: ...
        """
    result = analyse({f"{ASSETS}/bronze/run_bronze_orders.py": bronze})
    assert result.edges == {("raw/orders", "bronze/orders"), ("raw/customers", "bronze/orders")}
    assert set(map(key_string, result.graph.external)) == {"raw/orders", "raw/customers"}
    assert result.assets == {"bronze/orders"}
    assert all(result.graph.knows(edge.upstream) for edge in result.graph.edges)


# --- AssetsDefinition.from_graph ----------------------------------------------------------


def test_assets_definition_from_graph():
    silver = """\
        import dagster as dg


        @dg.op
        def clean(orders):
            return orders


        @dg.graph
        def cleaning(orders):
            return clean(orders)


        cleaned = dg.AssetsDefinition.from_graph(
            cleaning,
            keys_by_input_name={"orders": dg.AssetKey(["bronze", "orders"])},
            keys_by_output_name={"result": dg.AssetKey(["silver", "cleaned"])},
            group_name="silver",
        )
        """
    result = analyse({**BRONZE, f"{ASSETS}/silver/run_silver_cleaned.py": silver})
    assert result.edges == {("bronze/orders", "silver/cleaned")}
    assert result.findings == []


# --- factories ----------------------------------------------------------------------------

FACTORY = """\
    import dagster as dg

    TABLES = ["orders", "customers"]


    def make_silver(name):
        @dg.asset(key=["silver", name], group_name="silver", deps=[["bronze", name]])
        def _asset() -> None: ...

        return _asset


    silver_assets = [make_silver(name) for name in TABLES]

    for table in ["payments"]:

        @dg.asset(key=["silver", table], group_name="silver", deps=[dg.AssetKey(["bronze", table])])
        def looped() -> None: ...


        @dg.asset_check(asset=looped)
        def looped_has_rows() -> dg.AssetCheckResult: ...
    """


def test_factories_and_loops_over_literal_lists_are_run():
    files = {
        **BRONZE,
        f"{ASSETS}/silver/run_silver_made.py": FACTORY,
        f"{ASSETS}/gold/run_gold_report.py": """\
            import dagster as dg


            @dg.asset(key=["gold", "report"], group_name="gold",
                      deps=[["silver", "customers"], ["silver", "payments"]])
            def report() -> None: "The report table."
            """,
    }
    result = analyse(files)
    assert {"silver/orders", "silver/customers", "silver/payments"} <= result.assets
    assert ("silver/customers", "gold/report") in result.edges
    # bronze/customers and bronze/payments do not exist: that is all POL005 says, at the
    # dependency written in the factory and in the loop.
    path = f"{ASSETS}/silver/run_silver_made.py"
    assert {finding for finding in result.findings if finding[0] == "POL005"} == {
        ("POL005", path, 7, 64),
        ("POL005", path, 17, 65),
    }


def test_a_factory_over_a_computed_list_is_said_once_and_claims_nothing():
    source = FACTORY.replace('TABLES = ["orders", "customers"]', "TABLES = load_tables()")
    files = {
        **BRONZE,
        f"{ASSETS}/silver/run_silver_made.py": source,
    }
    result = analyse(files)
    path = f"{ASSETS}/silver/run_silver_made.py"
    assert result.at(result.graph.blind) == [(path, 13, 48)]
    assert not result.graph.complete


def test_a_factory_in_another_module_is_said_once():
    files = {
        **BRONZE,
        "src/orchestration/factories.py": FACTORY.split("\n\n\nsilver_assets")[0],
        f"{ASSETS}/silver/run_silver_made.py": """\
            from orchestration.factories import make_silver

            orders = make_silver("orders")
            """,
    }
    result = analyse(files)
    assert result.at(result.graph.blind) == [(f"{ASSETS}/silver/run_silver_made.py", 3, 10)]
    assert not result.graph.complete


# --- what the definitions load --------------------------------------------------------------

LOADING = """\
    import dagster as dg

    from orchestration.assets import bronze, silver

    SILVER = [silver.clean]

    defs = dg.Definitions(
        assets=[
            *dg.load_assets_from_package_module(bronze, group_name="bronze", key_prefix="bronze"),
            *dg.load_assets_from_modules(SILVER, group_name="silver", key_prefix=["silver"]),
        ]
    )
    """


def test_load_time_key_prefix_and_group():
    files = {
        f"{ASSETS}/__init__.py": "",
        f"{ASSETS}/bronze/__init__.py": "",
        f"{ASSETS}/silver/__init__.py": "",
        f"{ASSETS}/bronze/run_orders.py": """\
            import dagster as dg


            @dg.asset
            def orders() -> None: ...


            @dg.asset(deps=[orders])
            def orders_raw_copy() -> None: ...
            """,
        f"{ASSETS}/silver/clean.py": """\
            import dagster as dg


            @dg.asset(deps=[dg.AssetKey(["bronze", "orders"])])
            def cleaned() -> None: ...
            """,
        f"{ASSETS}/silver/forgotten.py": """\
            import dagster as dg


            @dg.asset
            def forgotten() -> None: ...
            """,
        DEFINITIONS: LOADING,
    }
    result = analyse(files)
    assert result.assets == {"bronze/orders", "bronze/orders_raw_copy", "silver/cleaned"}
    assert result.edges == {
        ("bronze/orders", "bronze/orders_raw_copy"),  # prefixed with the asset it names
        ("bronze/orders", "silver/cleaned"),
    }
    assert {asset.decl.group for asset in result.graph.assets.values()} == {"bronze", "silver"}
    assert [file.relative for file in result.graph.unloaded] == [f"{ASSETS}/silver/forgotten.py"]
    assert result.graph.blind == [] and result.graph.refused == []
    # No "has no group_name", no POL001 for the edge inside bronze (same layer, prefixed).
    assert "POL007" not in result.codes()


def test_a_group_conflicting_with_the_load_group_is_refused():
    files = {
        f"{ASSETS}/__init__.py": "",
        f"{ASSETS}/bronze/__init__.py": "",
        f"{ASSETS}/silver/__init__.py": "",
        f"{ASSETS}/bronze/run_orders.py": """\
            import dagster as dg


            @dg.asset(group_name="raw")
            def orders() -> None: ...
            """,
        f"{ASSETS}/silver/clean.py": "",
        DEFINITIONS: LOADING,
    }
    result = analyse(files)
    assert len(result.graph.refused) == 1
    assert "conflicts with the group 'bronze'" in result.graph.refused[0].message


def test_definitions_that_cannot_be_read_are_said_once():
    files = {
        **SILVER,
        DEFINITIONS: """\
            import dagster as dg

            defs = dg.Definitions(assets=collect_assets())
            """,
    }
    result = analyse(files)
    assert result.at(result.graph.blind) == [(DEFINITIONS, 3, 30)]
    # Every asset module is then taken as loaded (the POL010 says the graph may differ).
    assert result.assets == {"bronze/orders", "silver/orders"}
    assert result.graph.unloaded == [] and not result.graph.complete


def test_the_generated_definitions_load_every_asset_module():
    files = {
        **SILVER,
        DEFINITIONS: """\
            import dagster as dg

            from orchestration import assets

            defs = dg.Definitions(assets=dg.load_assets_from_package_module(assets))
            """,
        f"{ASSETS}/__init__.py": "",
        f"{ASSETS}/bronze/__init__.py": "",
        f"{ASSETS}/silver/__init__.py": "",
    }
    result = analyse(files)
    assert result.assets == {"bronze/orders", "silver/orders"}
    assert result.graph.blind == [] and result.graph.unloaded == []


def test_a_module_in_a_folder_without_init_is_not_loaded():
    files = {
        **SILVER,
        DEFINITIONS: """\
            import dagster as dg

            from orchestration import assets

            defs = dg.Definitions(assets=dg.load_assets_from_package_module(assets))
            """,
        f"{ASSETS}/__init__.py": "",
        f"{ASSETS}/bronze/__init__.py": "",
    }
    result = analyse(files)
    assert result.assets == {"bronze/orders"}
    assert [file.relative for file in result.graph.unloaded] == [
        f"{ASSETS}/silver/run_silver_orders.py"
    ]


def test_assets_named_in_the_definitions():
    files = {
        **SILVER,
        DEFINITIONS: """\
            import dagster as dg

            from orchestration.assets.bronze.run_bronze_orders import bronze_orders

            defs = dg.Definitions(assets=[bronze_orders])
            """,
    }
    result = analyse(files)
    assert result.assets == {"bronze/orders"}


# --- root detection -----------------------------------------------------------------------


@dataclass
class _Project:
    files: dict[str, str] = field(default_factory=dict)


def test_a_project_with_only_a_lint_table_is_found(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "other"\n\n[tool.polster.lint]\nassets-dir = "pipelines/assets"\n'
        'source-root = "."\ndefinitions-module = "pipelines.definitions"\n'
    )
    assets = tmp_path / "pipelines/assets/silver"
    assets.mkdir(parents=True)
    (assets / "run_silver_x.py").write_text(
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "x"], group_name="silver", deps=[["gold", "y"]])\n'
        "def x() -> None: ...\n\n\n"
        "@dg.asset_check(asset=x)\n"
        "def x_has_rows() -> dg.AssetCheckResult: ...\n"
    )
    capsys.readouterr()
    assert lint_main(["--no-cache", "--format", "json", str(assets)]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["path"]) for f in found] == [
        ("POL005", "pipelines/assets/silver/run_silver_x.py")
    ]


# --- where layers come from (layer-source) --------------------------------------------

LAYER_MODULES = {
    "pipelines/assets/__init__.py": "",
    "pipelines/assets/raw.py": """\
        import dagster as dg


        @dg.asset(key_prefix=["sales"], group_name="sales")
        def orders() -> None: ...
        """,
    "pipelines/assets/refined.py": """\
        import dagster as dg


        @dg.asset(key_prefix=["sales"], group_name="sales", deps=[["sales", "orders"]])
        def clean_orders() -> None: ...


        @dg.asset_check(asset=clean_orders)
        def clean_orders_has_rows() -> dg.AssetCheckResult: ...
        """,
    "pipelines/assets/marts.py": """\
        import dagster as dg


        @dg.asset(key_prefix=["sales"], group_name="sales", deps=[["sales", "orders"]])
        def revenue() -> None: "Revenue from the sales orders."
        """,
    "pipelines/definitions.py": """\
        import dagster as dg

        from pipelines import assets

        defs = dg.Definitions(assets=dg.load_assets_from_package_module(assets))
        """,
}
LAYOUT = {
    "assets-dir": "pipelines/assets",
    "source-root": ".",
    "definitions-module": "pipelines.definitions",
    "layer-names": {"bronze": "raw", "silver": "refined", "gold": "marts"},
}


def test_layers_by_module_file():
    result = analyse(LAYER_MODULES, {**LAYOUT, "layer-source": "module"})
    layers = {key_string(key): asset.layer for key, asset in result.graph.assets.items()}
    assert layers == {
        "sales/orders": "bronze",
        "sales/clean_orders": "silver",
        "sales/revenue": "gold",
    }
    # Groups are domains here: no POL007; the gold mart reads bronze: POL002.
    assert result.findings == [("POL002", "pipelines/assets/marts.py", 4, 59)]


def test_layers_by_module_file_flag_an_asset_outside_them():
    files = {**LAYER_MODULES, "pipelines/assets/misc.py": LAYER_MODULES["pipelines/assets/raw.py"]}
    files["pipelines/assets/misc.py"] = files["pipelines/assets/misc.py"].replace(
        "def orders", "def extra"
    )
    result = analyse(files, {**LAYOUT, "layer-source": "module"})
    assert ("POL007", "pipelines/assets/misc.py", 4, 22) in result.findings


KEY_LAYERS = {
    f"{ASSETS}/sales.py": """\
        import dagster as dg


        @dg.asset(key=["bronze", "sales", "orders"], group_name="sales")
        def orders() -> None: ...


        @dg.asset(key=["silver", "sales", "orders"], group_name="sales",
                  deps=[["bronze", "sales", "orders"]])
        def clean_orders() -> None: ...


        @dg.asset(key=["gold", "sales", "revenue"], group_name="sales",
                  deps=[["bronze", "sales", "orders"]])
        def revenue() -> None: "The revenue table."


        @dg.asset_check(asset=clean_orders)
        def clean_orders_has_rows() -> dg.AssetCheckResult: ...
        """,
}


def test_layers_by_key_prefix_with_groups_as_domains():
    result = analyse(KEY_LAYERS, {"layer-source": "key-prefix"})
    assert result.findings == [("POL002", f"{ASSETS}/sales.py", 14, 17)]


def test_layers_by_group_set_at_load_time():
    files = {
        f"{ASSETS}/__init__.py": "",
        f"{ASSETS}/ingest.py": """\
            import dagster as dg


            @dg.asset
            def orders() -> None: ...
            """,
        f"{ASSETS}/reports.py": """\
            import dagster as dg


            @dg.asset(deps=["orders"])
            def revenue() -> None: "The revenue table."
            """,
        DEFINITIONS: """\
            import dagster as dg

            from orchestration.assets import ingest, reports

            defs = dg.Definitions(
                assets=[
                    *dg.load_assets_from_modules([ingest], group_name="bronze"),
                    *dg.load_assets_from_modules([reports], group_name="gold"),
                ]
            )
            """,
    }
    result = analyse(files, {"layer-source": "group"})
    assert {key_string(k): a.layer for k, a in result.graph.assets.items()} == {
        "orders": "bronze",
        "revenue": "gold",
    }
    # The layers come from the groups the definitions give: gold reads bronze.
    assert [code for code, *_ in result.findings] == ["POL002"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"layer-source": "path"}, "layer-source must be one of"),
        (
            {"layer-names": {"bronze": "raw"}, "layer-folders": {"bronze": "raw"}},
            "layer-names and layer-folders are the same setting",
        ),
        ({"layer-names": {"bronze": "a/b"}}, "layer-names: each name must be a plain"),
    ],
)
def test_layer_settings_are_checked(settings, message):
    from polster_lint.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        config_from_table(settings)


def test_decorators_dagster_does_not_own():
    """Another decorator around @asset changes nothing; an integration's decorator
    (@dbt_assets) or a local decorator factory makes assets the linter cannot name:
    POL010 once there, and the graph is not complete (no unknown-upstream claims)."""
    silver = """\
        import dagster as dg
        import tracing
        from dagster_dbt import dbt_assets


        def silver_factory(**options):
            def wrap(function):
                @dg.asset(group_name="silver", **options)
                def made():
                    return function()

                return made

            return wrap


        @tracing.traced
        @dg.asset(key=["silver", "a"], group_name="silver", deps=[["bronze", "orders"]])
        def a() -> None: ...


        @dbt_assets(manifest="manifest.json")
        def models() -> None: ...


        @silver_factory(name="z")
        def z() -> None: ...


        @dg.asset_check(asset=a)
        def a_has_rows() -> dg.AssetCheckResult: ...
        """
    path = f"{ASSETS}/silver/run_silver_a.py"
    result = analyse({**BRONZE, path: silver})
    assert result.assets == {"bronze/orders", "silver/a"}
    assert [(file.relative, decl.function) for file, decl in result.graph.unkeyed] == [
        (path, "models"),
        (path, "z"),
    ]
    assert not result.graph.complete
    assert [code for code, *_ in result.findings] == ["POL010", "POL010"]


def test_a_list_of_assets_imported_by_the_definitions():
    files = {
        **SILVER,
        f"{ASSETS}/__init__.py": """\
            from orchestration.assets.bronze.run_bronze_orders import bronze_orders
            from orchestration.assets.silver.run_silver_orders import silver_orders

            ALL_ASSETS = [bronze_orders, silver_orders]
            """,
        DEFINITIONS: """\
            import dagster as dg

            from orchestration.assets import ALL_ASSETS

            defs = dg.Definitions(assets=ALL_ASSETS)
            """,
    }
    result = analyse(files)
    assert result.assets == {"bronze/orders", "silver/orders"}
    assert result.graph.blind == [] and result.graph.unloaded == []
