"""The rules from POL014 on, beyond their VALID/INVALID examples: what is and is not
caught, the blind spots that must claim nothing, and a generated project kept clean."""

import pytest

from polster_lint.adapters.pyproject import config_from_table
from polster_lint.domain.model import Partitions
from polster_lint.domain.rules.pol020_partition_mismatch import mismatch
from polster_lint.engine import lint_sources

from conftest import POLSTER, POLSTER_LINT, bake, run
from test_lint_rules import lint, make_project

ASSETS = "src/orchestration/assets"


def codes(files: dict[str, str], settings: dict | None = None) -> list[tuple[str, int, int]]:
    config = config_from_table(settings or {})
    return [(f.code, f.line, f.column) for f in lint_sources(files, config)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import pandas as pd\n\ndef run():\n    return pd.read_csv('x.csv')\n", [(4, 12)]),
        ("from pandas import read_parquet\n\ndef run():\n    return read_parquet(p)\n", [(4, 12)]),
        ("def run(df):\n    df.to_parquet('data/silver/x')\n", [(2, 5)]),
        ("def run(df):\n    return df.to_csv()\n", []),
        ("def run():\n    return open('data/bronze/x.csv').read()\n", [(2, 12)]),
        ("def run(path):\n    return open(path).read()\n", []),
        ("def run():\n    return open('settings.toml').read()\n", []),
        ('"""Tables live at abfs://lake/x."""\n', []),
        ("URI = 'abfss://lake@acct.dfs.core.windows.net/x'\n", [(1, 7)]),
        ("def run():\n    import deltalake\n    return deltalake.DeltaTable('t')\n", [(3, 12)]),
        (
            "from deltalake.exceptions import TableNotFoundError\n\n"
            "def run():\n    raise TableNotFoundError('t')\n",
            [],
        ),
    ],
)
def test_hard_coded_storage_in_a_core_module(body, expected):
    found = codes({"src/core/silver_orders.py": body})
    assert [(line, column) for code, line, column in found if code == "POL014"] == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # in-memory buffers store nothing
        (
            "import io\nimport pandas as pd\n\n"
            "def run(t):\n    return pd.read_csv(io.StringIO(t))\n",
            [],
        ),
        (
            "from io import BytesIO\nimport pandas as pd\n\n"
            "def run(b):\n    pd.read_parquet(BytesIO(b))\n",
            [],
        ),
        (
            "import io\n\ndef run(df):\n    buffer = io.StringIO()\n"
            "    df.to_csv(buffer)\n    return buffer.getvalue()\n",
            [],
        ),
        (
            "import io\n\ndef run(df):\n    with io.BytesIO() as out:\n"
            "        df.write_parquet(out)\n",
            [],
        ),
        ("import pandas as pd\n\ndef run(buffer):\n    return pd.read_csv(buffer)\n", [(4, 12)]),
        # a database query is not a table file
        ("import pandas as pd\n\ndef run(c):\n    return pd.read_sql('select 1', c)\n", []),
        ("import polars as pl\n\ndef run(u):\n    return pl.read_database_uri('q', u)\n", []),
        # a URI in text for people is named, not opened
        ("import logging\n\nlogging.getLogger().info('abfs://c is slow')\n", []),
        ("def run(context):\n    context.log.warning(f'abfs://c/{1} is slow')\n", []),
        ("print('az://lake/x')\n", []),
        ("import dagster as dg\n\nx = dg.AssetSpec('x', description='abfs://a/b')\n", []),
        ("x = dict(metadata={'where': 'abfs://a/b'})\n", []),
        ("import deltalake\n\ndeltalake.DeltaTable('abfs://a/b')\n", [(3, 1), (3, 22)]),
        # polars readers and writers
        ("import polars as pl\n\ndef run():\n    return pl.read_parquet('data/x')\n", [(4, 12)]),
        ("from polars import scan_csv\n\ndef run(p):\n    return scan_csv(p)\n", [(4, 12)]),
        ("def run(df, p):\n    df.write_parquet(p)\n", [(2, 5)]),
        ("def run(df):\n    return df.write_csv()\n", []),
        ("def run(lf):\n    lf.sink_parquet(file='data/x')\n", [(2, 5)]),
        # pathlib with a literal data-dir prefix
        (
            "from pathlib import Path\n\ndef run():\n    return Path('data/x.csv').read_text()\n",
            [(4, 12)],
        ),
        (
            "from pathlib import Path\n\ndef run(b):\n    (Path('data') / 'x').write_bytes(b)\n",
            [(4, 5)],
        ),
        (
            "from pathlib import Path\n\ndef run():\n    return open(Path('data') / 'x').read()\n",
            [(4, 12)],
        ),
        ("from pathlib import Path\n\ndef run():\n    return Path('conf.toml').read_text()\n", []),
        ("def run(p):\n    return p.read_text()\n", []),
    ],
)
@pytest.mark.parametrize("path", ["src/core/silver_orders.py", f"{ASSETS}/silver/helpers.py"])
def test_hard_coded_storage_is_where_storage_is_opened(body, expected, path):
    """Core modules are read with ast, asset modules with libcst: both say the same."""
    found = codes({path: body})
    assert [(line, column) for code, line, column in found if code == "POL014"] == expected


def test_the_storage_module_is_a_setting():
    files = {"src/core/io/tables.py": "import deltalake\n\ndeltalake.DeltaTable('t')\n"}
    assert [code for code, *_ in codes(files)] == ["POL014"]
    assert codes(files, {"storage-module": "core.io"}) == []


SILVER = (
    "import dagster as dg\n\n\n"
    '@dg.asset(key=["silver", "orders"], group_name="silver")\n'
    "def silver_orders() -> None: ...\n"
)


def test_a_check_whose_target_cannot_be_read_is_said_once_and_claims_nothing():
    checks = (
        "import dagster as dg\n\n\n"
        "def make(target):\n"
        "    @dg.asset_check(asset=target)\n"
        "    def check() -> dg.AssetCheckResult: ...\n"
        "    return check\n"
    )
    files = {f"{ASSETS}/silver/run_silver_orders.py": SILVER, f"{ASSETS}/silver/checks.py": checks}
    found = codes(files, {"ignore": ["POL009"]})
    assert found == [("POL010", 5, 27)]


def test_a_check_by_key_in_another_module_counts():
    checks = (
        "import dagster as dg\n\n\n"
        '@dg.asset_check(asset=dg.AssetKey(["silver", "orders"]))\n'
        "def check() -> dg.AssetCheckResult: ...\n"
    )
    files = {f"{ASSETS}/silver/run_silver_orders.py": SILVER, f"{ASSETS}/silver/checks.py": checks}
    assert codes(files, {"ignore": ["POL009"]}) == []


@pytest.mark.parametrize(
    ("options", "body", "described"),
    [
        ('description=""', "...", False),  # Dagster stores None
        ('description="  "', "...", False),
        ('description=""', '"""Revenue."""', True),  # "" falls back to the docstring
        ('description=" "', '"""Revenue."""', False),  # kept, so the docstring is not used
        ("", '"""   """', False),
        ('description=""', '""', False),
        ("description=TEXT", "...", True),  # not a literal: may describe
        ('description="Revenue."', "...", True),
    ],
)
def test_an_empty_or_blank_description_is_none(options, body, described):
    header = "import dagster as dg\n\nTEXT = read()\n\n\n"
    gold = (
        f'@dg.asset(key=["gold", "x"], group_name="gold", {options})\ndef gold_x():\n    {body}\n'
    )
    found = codes({f"{ASSETS}/gold/run_gold_x.py": header + gold}, {"ignore": ["POL009"]})
    assert [code for code, *_ in found if code == "POL018"] == ([] if described else ["POL018"])
    multi = (
        f'@dg.multi_asset(group_name="gold", specs=[dg.AssetSpec(["gold", "x"], {options})])\n'
        f"def gold_x():\n    {body}\n"
    )
    found = codes({f"{ASSETS}/gold/run_gold_x.py": header + multi}, {"ignore": ["POL009"]})
    assert [code for code, *_ in found if code == "POL018"] == ([] if described else ["POL018"])


@pytest.mark.parametrize(
    ("deps", "refused"),
    [
        ('[("bronze", "orders")]', True),  # AssetDep refuses a tuple (AssetKey takes one)
        ('[dg.AssetDep(("bronze", "orders"))]', True),
        ('[["bronze", 1]]', True),
        ("[None]", True),
        ("[KEY]", True),  # a module constant holding a tuple
        ('[dg.AssetKey(("bronze", "orders"))]', False),
        ('[["bronze", "orders"]]', False),
        ('("bronze", "orders")', False),  # deps itself may be a tuple: two string keys
        ("[dg.AssetDep(KEYS)]", False),
    ],
)
def test_dagster_refuses_a_dependency_of_a_type_asset_dep_does_not_take(deps, refused):
    module = (
        "import dagster as dg\n\n"
        'KEY = ("bronze", "orders")\nKEYS = ["bronze", "orders"]\n\n\n'
        f'@dg.asset(key=["silver", "x"], group_name="silver", deps={deps})\n'
        "def silver_x() -> None: ...\n"
    )
    spec = (
        "import dagster as dg\n\n"
        'KEY = ("bronze", "orders")\nKEYS = ["bronze", "orders"]\n\n'
        f'external = dg.AssetSpec(["silver", "y"], deps={deps})\n'
    )
    for files in ({f"{ASSETS}/silver/run_silver_x.py": module}, {f"{ASSETS}/specs.py": spec}):
        found = [code for code, *_ in codes(files) if code == "POL013"]
        assert found == (["POL013"] if refused else [])


DAILY = Partitions(
    "time", "daily-2026", start="2026-01-01", cron="0 0 * * *", fmt="%Y-%m-%d", timezone="UTC"
)
LATER = Partitions(
    "time", "daily-2026-02", start="2026-02-01", cron="0 0 * * *", fmt="%Y-%m-%d", timezone="UTC"
)


@pytest.mark.parametrize(
    ("down", "up", "wrong"),
    [
        (None, DAILY, False),  # AllPartitionMapping
        (DAILY, None, False),
        (DAILY, DAILY, False),
        (LATER, DAILY, False),  # starts after the upstream: every window exists upstream
        (DAILY, LATER, True),
        (Partitions("static", "a", keys=("a", "b")), Partitions("static", "b", keys=("a",)), True),
        (Partitions("static", "a", keys=("a",)), Partitions("static", "b", keys=("a", "b")), False),
        (Partitions("static", "s", keys=("eu", "us")), DAILY, True),
        (Partitions("named", "x.P"), DAILY, False),  # not readable: not claimed
        (Partitions("unknown"), Partitions("static", "b", keys=("a",)), False),
    ],
)
def test_partition_mismatch_follows_dagsters_inferred_mapping(down, up, wrong):
    assert (mismatch(down, up) is not None) == wrong


TIME_WINDOW_PAIRS = [  # (downstream, upstream) partitions_def= source
    ('Weekly("2024-01-01")', 'Daily("2024-01-03")'),  # first week starts Sunday 01-07
    ('Daily("2024-01-05")', 'Weekly("2024-01-01")'),  # needs the week of 2023-12-31
    ('Daily("2024-01-07")', 'Weekly("2024-01-01")'),
    ('Weekly("2024-01-01", day_offset=1)', 'Daily("2024-01-02")'),
    ('Weekly("2024-01-01", day_offset=1)', 'Daily("2024-01-01", hour_offset=6)'),
    ('Daily("2024-01-01")', 'Daily("2024-01-01", hour_offset=6)'),
    ('Daily("2024-01-02")', 'Daily("2024-01-01", hour_offset=6)'),
    ('Monthly("2024-01-15")', 'Daily("2024-01-20")'),  # first month starts 02-01
    ('Monthly("2024-01-15")', 'Daily("2024-02-02")'),
    ('Monthly("2024-01-01", day_offset=15)', 'Weekly("2024-01-01")'),
    ('Daily("2024-02-03")', 'Monthly("2024-01-15")'),
    ('Daily("2024-03-01")', 'Monthly("2024-01-15")'),
    ('Daily("2024-01-01")', 'Hourly("2024-01-01-05:00")'),
    ('Hourly("2024-01-01-05:00")', 'Daily("2024-01-01")'),
    ('Hourly("2024-01-01-00:00")', 'Daily("2024-01-01", hour_offset=6)'),
    ('Hourly("2024-01-01-00:00", minute_offset=30)', 'Hourly("2024-01-01-00:15")'),
    ('Hourly("2024-01-01-00:00")', 'Hourly("2024-01-01-00:15", minute_offset=15)'),
    (
        'Daily("2024-01-01", timezone="Europe/Berlin")',
        'Weekly("2024-01-01", timezone="Europe/Berlin")',
    ),
    (
        'dg.TimeWindowPartitionsDefinition(start="2024-01-01", fmt="%Y-%m-%d", '
        'cron_schedule="0 0 * * 3")',
        'Daily("2024-01-04")',
    ),
]


def _partitions_source(text: str) -> str:
    return text if text.startswith("dg.") else f"dg.{text.replace('(', 'PartitionsDefinition(', 1)}"


@pytest.mark.parametrize(("down", "up"), TIME_WINDOW_PAIRS)
def test_partition_mismatch_between_time_windows_is_dagsters(down, up):
    """The oracle is Dagster itself: the first downstream partition, mapped by the default
    TimeWindowPartitionMapping, needs upstream partitions that do not exist exactly when
    POL020 says so, and the first of them is the one it names."""
    dg = pytest.importorskip("dagster")
    from polster_lint.parsing.extract import extract

    found = []
    for text in (down, up):
        source = _partitions_source(text)
        module = f"import dagster as dg\n\n\n@dg.asset(partitions_def={source})\ndef a(): ...\n"
        partitions = extract(module.encode(), "orchestration.assets.a").assets[0].partitions
        found.append((eval(source, {"dg": dg}), partitions))  # noqa: S307 (our literals)
    (down_def, down_facts), (up_def, up_facts) = found
    first = down_def.get_first_partition_window()
    subset = down_def.get_partition_subset_in_time_window(first)
    result = dg.TimeWindowPartitionMapping().get_upstream_mapped_partitions_result_for_partitions(
        subset, down_def, up_def
    )
    missing = list(result.required_but_nonexistent_subset.get_partition_keys())
    reason = mismatch(down_facts, up_facts)
    assert (reason is not None) == bool(missing), (missing, reason)
    if missing:
        assert f"needs the upstream's partition {missing[0]}," in reason


def test_off_by_default_rules_are_enabled_by_extend_select():
    assert "POL019" not in config_from_table({}).codes
    assert "POL019" in config_from_table({"extend-select": ["POL019"]}).codes
    assert "POL019" in config_from_table({"select": ["POL019"]}).codes


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), []),
        (("--extend-select", "POL019"), ["POL019"]),
        (("--extend-select", "pol01"), ["POL019"]),  # a prefix, as ruff takes them
        (("--select", "POL005", "--extend-select", "POL019"), ["POL019"]),
        (("--extend-select", "POL019", "--ignore", "POL019"), []),
    ],
)
def test_extend_select_on_the_command_line_adds_to_the_selection(
    tmp_path, capsys, options, expected
):
    """A bronze asset nothing reads: only the rule off by default finds it."""
    unused = (
        'import dagster as dg\n\n\n@dg.asset(key=["bronze", "unused"], group_name="bronze")\n'
        "def unused() -> None: ...\n"
    )
    root = make_project(tmp_path, {f"{ASSETS}/bronze/run_bronze_unused.py": unused})
    status, lines, err = lint(root, *options, capsys=capsys)
    assert sorted(line.split()[1] for line in lines) == expected, lines
    assert (status, err) == (1 if expected else 0, "")


def test_extend_select_refuses_an_unknown_code(tmp_path, capsys):
    status, lines, err = lint(
        make_project(tmp_path, {}), "--extend-select", "POL999", capsys=capsys
    )
    assert (status, lines) == (2, [])
    assert err == (
        "polster-lint: error: --extend-select: unknown rule code 'POL999' "
        "(see polster-lint --explain)\n"
    )


@pytest.mark.parametrize("partitioning", ["none", "daily"])
def test_a_generated_project_with_an_asset_per_layer_passes_every_rule(tmp_path, partitioning):
    project = bake(tmp_path, partitioning=partitioning)
    for step in (
        ("--layer", "bronze", "--name", "customers"),
        ("--layer", "silver", "--name", "customers_clean", "--deps", "customers"),
        ("--layer", "gold", "--name", "customer_summary", "--deps", "customers_clean"),
    ):
        added = run([POLSTER, "add-asset", *step, "--no-input"], cwd=project)
        assert added.returncode == 0, added.stderr
    default = run([POLSTER_LINT, "--no-cache"], cwd=project)
    assert (default.returncode, default.stdout) == (0, "")
    # The rules on by default include the silver asset's quality check and the gold
    # asset's description; the rules off by default find nothing either.
    every = run([POLSTER_LINT, "--no-cache", "--select", "POL"], cwd=project)
    assert (every.returncode, every.stdout) == (0, ""), every.stdout
