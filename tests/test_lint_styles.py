"""Declaration styles real projects use that the random oracle does not generate.

Each case is a small project written by hand the way data teams write Dagster code
(decorators called as functions, ``upstream.key``, ``TYPE_CHECKING`` imports...). Real
Dagster loads every case in one subprocess, and the linter must agree with it:

* when Dagster loads the project and the linter says it sees everything, the linter's
  assets and edges are Dagster's, exactly;
* when the linter cannot see something, it says so (POL010) and claims nothing false:
  its assets and edges are among Dagster's;
* when Dagster refuses to load the project, the linter says why (POL013).
"""

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polster_lint.cli import main

LAYERS = ("bronze", "silver", "gold")
ASSETS = "src/orchestration/assets"
DEFINITIONS = "src/orchestration/definitions.py"

DEFAULT_DEFINITIONS = """\
import dagster as dg

from orchestration import assets

defs = dg.Definitions(assets=dg.load_assets_from_package_module(assets))
"""

BRONZE = {
    f"{ASSETS}/bronze/run_bronze_orders.py": """\
import dagster as dg


@dg.asset(key=["bronze", "orders"], group_name="bronze")
def bronze_orders() -> None: ...


@dg.asset(key=["bronze", "customers"], group_name="bronze")
def bronze_customers() -> None: ...
""",
}

# Loads each project given on stdin with real Dagster, in this one process.
DAGSTER = r"""
import importlib, json, sys, warnings
warnings.simplefilter("ignore")

answer = {}
for root in json.load(sys.stdin):
    source_root = root + "/src"
    sys.path.insert(0, source_root)
    try:
        graph = importlib.import_module("orchestration.definitions").defs.resolve_asset_graph()
        nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
        answer[root] = {
            "defined": sorted("/".join(n.key.path) for n in nodes if n.is_materializable),
            "edges": sorted(
                ["/".join(up.path), "/".join(n.key.path)] for n in nodes for up in n.parent_keys
            ),
        }
    except Exception as error:
        answer[root] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        sys.path.remove(source_root)
        for name in list(sys.modules):
            if name == "orchestration" or name.startswith("orchestration."):
                del sys.modules[name]
        importlib.invalidate_caches()
print(json.dumps(answer))
"""


@dataclass
class Case:
    files: dict[str, str]
    blind: bool = False
    """The linter cannot see everything here: POL010, and nothing false."""
    refused: bool = False
    """Dagster refuses to load the project: POL013."""
    expect_assets: set[str] = field(default_factory=set)
    """Assets the linter must see (a guard against a case that proves nothing)."""
    expect_edges: set[tuple[str, str]] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)
    """Codes the linter must not report (false claims where it cannot see)."""


CASES: dict[str, Case] = {
    # The decorator called as a function, as factories and helper modules write it.
    "decorator-called-on-a-function": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


def _clean_orders(orders) -> None: ...


def _clean_customers() -> None: ...


silver_orders = dg.asset(
    key_prefix="silver", group_name="silver", ins={"orders": dg.AssetIn(["bronze", "orders"])}
)(_clean_orders)
silver_customers = dg.asset(
    key=["silver", "customers"], group_name="silver", deps=[["bronze", "customers"]]
)(_clean_customers)
""",
        },
        expect_assets={"silver/_clean_orders", "silver/customers"},
        expect_edges={
            ("bronze/orders", "silver/_clean_orders"),
            ("bronze/customers", "silver/customers"),
        },
    ),
    "decorator-called-in-a-factory": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


def make(name):
    def compute() -> None: ...

    return dg.asset(key=["silver", name], group_name="silver", deps=[["bronze", name]])(compute)


silver_orders = make("orders")
silver_customers = make("customers")
""",
        },
        expect_edges={
            ("bronze/orders", "silver/orders"),
            ("bronze/customers", "silver/customers"),
        },
    ),
    "decorator-called-on-an-imported-function": Case(
        {
            **BRONZE,
            "src/orchestration/logic.py": "def clean_orders() -> None: ...\n",
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration.logic import clean_orders

silver_orders = dg.asset(key=["silver", "orders"], group_name="silver")(clean_orders)
""",
        },
        blind=True,
    ),
    # The decorator with its options kept in a name, applied with @ or called.
    "decorator-with-options-kept-in-a-name": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

silver_asset = dg.asset(key_prefix="silver", group_name="silver", deps=[["bronze", "orders"]])


@silver_asset
def orders() -> None: ...


def _customers() -> None: ...


customers = silver_asset(_customers)
""",
        },
        expect_edges={("bronze/orders", "silver/orders"), ("bronze/orders", "silver/_customers")},
    ),
    "decorator-with-options-from-another-module": Case(
        {
            **BRONZE,
            "src/orchestration/decorators.py": """\
import functools

import dagster as dg

silver_asset = dg.asset(key_prefix="silver", group_name="silver")
gold_asset = functools.partial(dg.asset, key_prefix="gold", group_name="gold")


def bronze_asset(**options):
    return dg.asset(key_prefix="bronze", group_name="bronze", **options)
""",
            f"{ASSETS}/silver/run_silver_orders.py": """\
from orchestration.decorators import bronze_asset, gold_asset, silver_asset


@bronze_asset(name="visits")
def visits() -> None: ...


@silver_asset
def orders() -> None: ...


@gold_asset
def kpis() -> None: ...
""",
        },
        blind=True,
    ),
    # Keys as data teams write them: an upstream's .key, with_prefix, imported constants.
    "upstream-key-attribute-and-key-methods": Case(
        {
            f"{ASSETS}/bronze/run_bronze_orders.py": """\
import dagster as dg

BASE = dg.AssetKey("customers")


@dg.asset(key=dg.AssetKey("orders").with_prefix("bronze"), group_name="bronze")
def bronze_orders() -> None: ...


@dg.asset(key=BASE.with_prefix(["bronze"]), group_name="bronze")
def bronze_customers() -> None: ...


@dg.asset(key=dg.AssetKey.from_user_string("x/visits").with_prefix("bronze"))
def bronze_visits() -> None: ...


raw_payments = dg.AssetSpec(["erp", "payments"])


@dg.asset(key=["bronze", "payments"], group_name="bronze", deps=[raw_payments.key])
def bronze_payments() -> None: ...
""",
            "src/orchestration/keys.py": """\
import dagster as dg

BRONZE_CUSTOMERS = dg.AssetKey(["bronze", "customers"])
""",
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration import keys
from orchestration.assets.bronze import run_bronze_orders
from orchestration.assets.bronze.run_bronze_orders import bronze_orders, bronze_visits
from orchestration.keys import BRONZE_CUSTOMERS


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[bronze_orders.key])
def silver_orders() -> None: ...


@dg.asset(
    key=["silver", "customers"],
    group_name="silver",
    ins={
        "customers": dg.AssetIn(key=BRONZE_CUSTOMERS),
        "again": dg.AssetIn(keys.BRONZE_CUSTOMERS),
        "visits": dg.AssetIn(key=bronze_visits.key),
        "payments": dg.AssetIn(run_bronze_orders.bronze_payments.key),
    },
)
def silver_customers(customers, again, visits, payments) -> None: ...


@dg.asset(key=["silver", "kpis"], group_name="silver", deps=[dg.AssetDep(silver_orders.key)])
def silver_kpis() -> None: ...
""",
        },
        expect_edges={
            ("bronze/orders", "silver/orders"),
            ("bronze/customers", "silver/customers"),
            ("bronze/x/visits", "silver/customers"),
            ("bronze/payments", "silver/customers"),
            ("erp/payments", "bronze/payments"),
            ("silver/orders", "silver/kpis"),
        },
    ),
    "key-attribute-of-a-local-multi-asset": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


@dg.multi_asset(specs=[dg.AssetSpec(["silver", "a"]), dg.AssetSpec(["silver", "b"])])
def both() -> None: ...


@dg.asset(key=["silver", "c"], deps=[both.key])
def c() -> None: ...
""",
        },
        refused=True,
    ),
    # Definitions built from parts, resources bound with with_resources.
    "assets-with-resources-in-merged-definitions": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
def silver_orders() -> None: ...
""",
            DEFINITIONS: """\
import dagster as dg

from orchestration.assets.bronze import run_bronze_orders
from orchestration.assets.silver import run_silver_orders

bronze = dg.with_resources(
    dg.load_assets_from_modules([run_bronze_orders], key_prefix="lake"), resource_defs={}
)
silver = dg.with_resources([run_silver_orders.silver_orders], {})

defs = dg.Definitions.merge(
    dg.Definitions(assets=bronze), dg.Definitions(assets=[*silver], jobs=[])
)
""",
        },
        expect_assets={"lake/bronze/orders", "silver/orders"},
        expect_edges={("bronze/orders", "silver/orders")},
    ),
    # Dagster resolves every annotation of an asset's function when it loads it.
    "type-checking-import-in-an-asset-annotation": Case(
        {
            **BRONZE,
            "src/orchestration/resources.py": """\
import dagster as dg


class Warehouse(dg.ConfigurableResource):
    dsn: str = ""
""",
            f"{ASSETS}/silver/run_silver_orders.py": """\
from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from orchestration.resources import Warehouse


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
def silver_orders(warehouse: Warehouse) -> None: ...
""",
        },
        refused=True,
    ),
    "type-checking-import-in-a-quoted-return-annotation": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
import typing

import dagster as dg

if typing.TYPE_CHECKING:
    import pandas as pd


@dg.multi_asset(specs=[dg.AssetSpec(["silver", "orders"], deps=[["bronze", "orders"]])])
def silver_orders() -> "pd.DataFrame": ...
""",
        },
        refused=True,
    ),
    "type-checking-import-outside-asset-annotations": Case(
        {
            **BRONZE,
            f"{ASSETS}/silver/run_silver_orders.py": """\
from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    import pandas as pd


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
def silver_orders(context) -> None: ...
""",
        },
    ),
}


# A decorator of the project beneath Dagster's: what Dagster sees is what it returns.
WRAPS_DECORATORS = """\
import functools
import time
from functools import wraps

import dagster as dg


def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            print(time.monotonic() - start)

    return wrapper


def retry_on_failure(max_retries=3):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            for _ in range(max_retries - 1):
                try:
                    return fn(*args, **kwargs)
                except Exception:
                    pass
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def registered(fn):
    return fn
"""

CASES.update(
    {
        "user-decorator-with-wraps-beneath-the-asset": Case(
            {
                **BRONZE,
                f"{ASSETS}/silver/run_silver_orders.py": WRAPS_DECORATORS
                + """

@dg.asset(
    key=["silver", "orders"],
    group_name="silver",
    ins={"orders": dg.AssetIn(["bronze", "orders"])},
)
@timed
def silver_orders(orders) -> None: ...


@dg.asset(
    key_prefix="silver",
    group_name="silver",
    ins={"customers": dg.AssetIn(["bronze", "customers"])},
)
@retry_on_failure(max_retries=2)
@registered
def customers(customers) -> None: ...
""",
            },
            expect_assets={"silver/orders", "silver/customers"},
            expect_edges={
                ("bronze/orders", "silver/orders"),
                ("bronze/customers", "silver/customers"),
            },
        ),
        # Without functools.wraps Dagster sees the wrapper: its name and its *args.
        "user-decorator-without-wraps-beneath-the-asset": Case(
            {
                **BRONZE,
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


def logged(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
@logged
def silver_orders() -> None: ...
""",
            },
            refused=True,
        ),
        "user-decorator-without-wraps-with-its-own-parameters": Case(
            {
                **BRONZE,
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg


def only_orders(fn):
    def wrapper(orders):
        return fn(orders, None)

    return wrapper


@dg.asset(
    key=["silver", "orders"],
    group_name="silver",
    ins={"orders": dg.AssetIn(["bronze", "orders"])},
)
@only_orders
def silver_orders(orders, customers) -> None: ...
""",
            },
            expect_edges={("bronze/orders", "silver/orders")},
        ),
        "imported-user-decorator-beneath-the-asset": Case(
            {
                **BRONZE,
                "src/orchestration/decorators.py": WRAPS_DECORATORS,
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration.decorators import timed


@dg.asset(
    key=["silver", "orders"],
    group_name="silver",
    ins={"orders": dg.AssetIn(["bronze", "orders"])},
)
@timed
def silver_orders(orders) -> None: ...
""",
            },
            blind=True,
            absent={"POL009"},
        ),
        "imported-user-decorator-without-wraps-beneath-the-asset": Case(
            {
                **BRONZE,
                "src/orchestration/decorators.py": """\
def logged(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper
""",
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration.decorators import logged


@dg.asset(key=["silver", "orders"], group_name="silver", deps=[["bronze", "orders"]])
@logged
def silver_orders() -> None: ...
""",
            },
            refused=True,
            blind=True,
        ),
        "user-decorator-the-linter-cannot-follow": Case(
            {
                **BRONZE,
                f"{ASSETS}/silver/run_silver_orders.py": """\
import functools

import dagster as dg

DEBUG = False


def traced(fn):
    if DEBUG:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@dg.asset(
    key=["silver", "orders"],
    group_name="silver",
    ins={"orders": dg.AssetIn(["bronze", "orders"])},
)
@traced
def silver_orders(orders) -> None: ...
""",
            },
            blind=True,
            absent={"POL009"},
        ),
    }
)

# Keys and key parts kept as constants in another module of the project.
KEYS_MODULE = """\
import dagster as dg

SILVER = "silver"
LAYER_PREFIX = ["silver"]
SILVER_ORDERS = ["silver", "orders"]
SILVER_CUSTOMERS = dg.AssetKey(["silver", "customers"])
BRONZE_ORDERS = dg.AssetKey(["bronze", "orders"])
PAYMENTS = "payments"
"""

CASES.update(
    {
        "keys-from-constants-in-another-module": Case(
            {
                **BRONZE,
                "src/orchestration/keys.py": KEYS_MODULE,
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration import keys
from orchestration.keys import BRONZE_ORDERS, LAYER_PREFIX, PAYMENTS, SILVER, SILVER_ORDERS


@dg.asset(key=SILVER_ORDERS, group_name="silver", deps=[BRONZE_ORDERS])
def silver_orders() -> None: ...


@dg.asset(key=keys.SILVER_CUSTOMERS, group_name="silver", deps=[["bronze", "customers"]])
def silver_customers() -> None: ...


@dg.asset(key=[SILVER, "visits"], group_name="silver", deps=[silver_orders])
def silver_visits() -> None: ...


@dg.asset(key_prefix=SILVER, group_name="silver", deps=[silver_customers])
def stock() -> None: ...


@dg.asset(key_prefix=LAYER_PREFIX, name=PAYMENTS, group_name="silver", deps=[silver_visits])
def silver_payments(stock) -> None: ...
""",
                f"{ASSETS}/gold/run_gold_kpis.py": """\
import dagster as dg

from orchestration.assets.silver.run_silver_orders import silver_payments
from orchestration.keys import SILVER


@dg.asset(key_prefix=[SILVER, "gold"], group_name="gold", deps=[silver_payments])
def kpis() -> None: ...
""",
            },
            expect_assets={
                "silver/orders",
                "silver/customers",
                "silver/visits",
                "silver/stock",
                "silver/payments",
                "silver/gold/kpis",
            },
            expect_edges={
                ("bronze/orders", "silver/orders"),
                ("bronze/customers", "silver/customers"),
                ("silver/orders", "silver/visits"),
                ("silver/customers", "silver/stock"),
                ("silver/visits", "silver/payments"),
                ("silver/payments", "silver/gold/kpis"),
            },
        ),
        "key-constant-in-another-module-that-is-not-literal": Case(
            {
                **BRONZE,
                "src/orchestration/keys.py": """\
import os

SILVER = os.environ.get("SILVER_LAYER", "silver")
""",
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration.keys import SILVER


@dg.asset(key=[SILVER, "orders"], group_name="silver", deps=[["bronze", "orders"]])
def silver_orders() -> None: ...
""",
            },
            blind=True,
        ),
    }
)

# Whole deps lists kept in another module of the project.
CASES.update(
    {
        "deps-lists-from-another-module": Case(
            {
                **BRONZE,
                "src/orchestration/keys.py": """\
import dagster as dg

from orchestration.assets.bronze.run_bronze_orders import bronze_customers

SILVER_DEPS = [["bronze", "orders"], bronze_customers]
CUSTOMER_DEPS = (dg.AssetKey(["bronze", "customers"]),)
ORDER_DEPS = ["orders"]
""",
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration import keys
from orchestration.keys import SILVER_DEPS


@dg.asset(key=["silver", "orders"], group_name="silver", deps=SILVER_DEPS)
def silver_orders() -> None: ...


@dg.asset(key=["silver", "customers"], group_name="silver", deps=keys.CUSTOMER_DEPS)
def silver_customers() -> None: ...


@dg.asset(key=["silver", "kpis"], group_name="silver", deps=[*SILVER_DEPS, silver_orders])
def silver_kpis() -> None: ...


@dg.asset(key=["silver", "odd"], group_name="silver", deps=keys.ORDER_DEPS)
def silver_odd() -> None: ...
""",
            },
            expect_edges={
                ("bronze/orders", "silver/orders"),
                ("bronze/customers", "silver/orders"),
                ("bronze/customers", "silver/customers"),
                ("bronze/orders", "silver/kpis"),
                ("bronze/customers", "silver/kpis"),
                ("silver/orders", "silver/kpis"),
                ("silver/orders", "silver/odd"),
            },
        ),
        "deps-list-from-another-module-that-is-not-literal": Case(
            {
                **BRONZE,
                "src/orchestration/keys.py": """\
SILVER_DEPS = [["bronze", name] for name in ("orders", "customers")]
""",
                f"{ASSETS}/silver/run_silver_orders.py": """\
import dagster as dg

from orchestration.keys import SILVER_DEPS


@dg.asset(key=["silver", "orders"], group_name="silver", deps=SILVER_DEPS)
def silver_orders() -> None: ...
""",
            },
            blind=True,
            absent={"POL009"},
        ),
    }
)


def write_project(root: Path, files: dict[str, str]) -> None:
    (root / ".polster-answers.json").parent.mkdir(parents=True, exist_ok=True)
    (root / ".polster-answers.json").write_text('{"cookiecutter": {}}')
    for package in ("src/orchestration", ASSETS):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for layer in LAYERS:
        (root / ASSETS / layer).mkdir(exist_ok=True)
        (root / ASSETS / layer / "__init__.py").write_text("")
    for relative, source in {DEFINITIONS: DEFAULT_DEFINITIONS, **files}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(source))


@pytest.fixture(scope="module")
def dagster(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    base = tmp_path_factory.mktemp("styles")
    roots = {}
    for name, case in CASES.items():
        roots[name] = base / name
        write_project(roots[name], case.files)
    result = subprocess.run(
        [sys.executable, "-c", DAGSTER],
        input=json.dumps([str(root) for root in roots.values()]),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    return {name: (root, answer[str(root)]) for name, root in roots.items()}


def lint(root: Path, capsys, *options: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["--no-cache", *options, str(root)])
    return status, capsys.readouterr().out


@pytest.mark.parametrize("name", CASES)
def test_linter_agrees_with_dagster(name, dagster, capsys):
    case = CASES[name]
    root, loaded = dagster[name]
    status, out = lint(root, capsys, "--format", "json", "--select", "POL010,POL013")
    codes = [finding["code"] for finding in json.loads(out or "[]")]
    if case.refused:
        assert "error" in loaded, f"Dagster loads the case: {loaded}"
        if case.blind:  # the linter cannot know why: it says it cannot see, nothing more
            assert "POL010" in codes and "POL013" not in codes, out
        else:
            assert "POL013" in codes, out
        return
    assert "error" not in loaded, loaded["error"]
    assert "POL013" not in codes, out
    status, out = lint(root, capsys, "--graph", "json")
    assert status == 0
    graph = json.loads(out)
    assets = {asset["key"] for asset in graph["assets"]}
    edges = {(edge["upstream"], edge["downstream"]) for edge in graph["edges"]}
    expected_assets = set(loaded["defined"])
    expected_edges = {tuple(edge) for edge in loaded["edges"]}
    assert case.expect_assets <= assets
    assert case.expect_edges <= edges
    if case.blind:
        assert "POL010" in codes, "the linter does not say what it cannot see"
        assert assets <= expected_assets, f"not in Dagster: {assets - expected_assets}"
        assert edges <= expected_edges, f"not in Dagster: {edges - expected_edges}"
    else:
        assert codes == [], out
        assert assets == expected_assets
        assert edges == expected_edges
    if case.absent:
        status, out = lint(root, capsys, "--format", "json", "--select", ",".join(case.absent))
        assert json.loads(out or "[]") == [], out
