"""``polster-lint --fix`` and ``--diff``: the safe fixes, byte for byte, and what Dagster
then loads.

Each dependency style the linter reads is one silver asset of one project, with a core
module that reads ``bronze/customers`` without declaring it (POL008). After ``--fix``
every module must be exactly the expected text (so nothing outside the edit moved), a
second ``--fix`` must change nothing, and Dagster, loading the fixed project in a
subprocess, must see the new edges.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import polster_lint.engine
from polster_lint.adapters.fix_files import NotFixable, read_source, write_source
from polster_lint.cli import main
from polster_lint.domain.violation import ADD_DEPENDENCY, Fix
from polster_lint.errors import ProjectError
from polster_lint.fixes.apply import apply_edits
from polster_lint.fixes.edit import Edit
from polster_lint.fixes.noqa import without_codes

from conftest import POLSTER_LINT, PYTHON, bake, run

ASSETS = "src/orchestration/assets"
STORAGE = "def read_table(layer, name): ...\n"
DEFINITIONS = (
    "import dagster as dg\n\n"
    "from orchestration import assets\n\n"
    "defs = dg.Definitions(assets=dg.load_assets_from_package_module(assets))\n"
)
B = "orchestration.assets.bronze"


def bronze(name: str) -> str:
    return (
        "import dagster as dg\n\n\n"
        f'@dg.asset(key=["bronze", "{name}"], group_name="bronze")\n'
        f"def bronze_{name}() -> None: ...\n"
    )


def reads(*tables: str) -> str:
    """A core module that reads ``tables`` (bronze) through the storage API."""
    body = "".join(f'    read_table("bronze", "{table}")\n' for table in tables)
    return f"from core.storage import read_table\n\n\ndef build():\n{body}"


# style -> (asset module before, after): the asset is silver/<style>, function silver_<style>.
STYLES: dict[str, tuple[str, str]] = {
    "assetkey": (
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "assetkey"],\n'
        '    group_name="silver",  # the layer\n'
        "    deps=[\n"
        '        dg.AssetKey(["bronze", "orders"]),  # cleaned here\n'
        "    ],\n"
        ")\n"
        "def silver_assetkey() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "assetkey"],\n'
        '    group_name="silver",  # the layer\n'
        "    deps=[\n"
        '        dg.AssetKey(["bronze", "orders"]),  # cleaned here\n'
        '        dg.AssetKey(["bronze", "customers"]),\n'
        "    ],\n"
        ")\n"
        "def silver_assetkey() -> None: ...\n",
    ),
    "keylist": (
        "import dagster as dg\n\n\n"
        "@dg.asset(key=['silver', 'keylist'], group_name='silver', deps=[['bronze', 'orders']])\n"
        "def silver_keylist() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.asset(key=['silver', 'keylist'], group_name='silver', deps=[['bronze', 'orders'], "
        "['bronze', 'customers']])\n"
        "def silver_keylist() -> None: ...\n",
    ),
    "function": (
        "import dagster as dg\n\n"
        f"from {B}.run_bronze_orders import bronze_orders\n\n\n"
        '@dg.asset(key=["silver", "function"], group_name="silver", deps=[bronze_orders])\n'
        "def silver_function() -> None: ...\n",
        "import dagster as dg\n\n"
        f"from {B}.run_bronze_customers import bronze_customers\n"
        f"from {B}.run_bronze_orders import bronze_orders\n\n\n"
        '@dg.asset(key=["silver", "function"], group_name="silver", '
        "deps=[bronze_orders, bronze_customers])\n"
        "def silver_function() -> None: ...\n",
    ),
    "alias": (
        "import dagster as dg\n\n"
        f"from {B}.run_bronze_customers import bronze_customers as customers\n"
        f"from {B}.run_bronze_orders import bronze_orders as orders\n\n\n"
        '@dg.asset(key=["silver", "alias"], group_name="silver", deps=[orders])\n'
        "def silver_alias() -> None: ...\n",
        "import dagster as dg\n\n"
        f"from {B}.run_bronze_customers import bronze_customers as customers\n"
        f"from {B}.run_bronze_orders import bronze_orders as orders\n\n\n"
        '@dg.asset(key=["silver", "alias"], group_name="silver", deps=[orders, customers])\n'
        "def silver_alias() -> None: ...\n",
    ),
    "module": (
        "import dagster as dg\n\n"
        f"import {B}.run_bronze_customers as customers_module\n"
        f"import {B}.run_bronze_orders as orders_module\n\n\n"
        '@dg.asset(key=["silver", "module"], group_name="silver", '
        "deps=[orders_module.bronze_orders])\n"
        "def silver_module() -> None: ...\n",
        "import dagster as dg\n\n"
        f"import {B}.run_bronze_customers as customers_module\n"
        f"import {B}.run_bronze_orders as orders_module\n\n\n"
        '@dg.asset(key=["silver", "module"], group_name="silver", '
        "deps=[orders_module.bronze_orders, customers_module.bronze_customers])\n"
        "def silver_module() -> None: ...\n",
    ),
    "assetdep": (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "assetdep"], group_name="silver", '
        'deps=[dg.AssetDep(dg.AssetKey(["bronze", "orders"]))])\n'
        "def silver_assetdep() -> None: ...\n",
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "assetdep"], group_name="silver", '
        'deps=[dg.AssetDep(dg.AssetKey(["bronze", "orders"])), '
        'dg.AssetDep(dg.AssetKey(["bronze", "customers"]))])\n'
        "def silver_assetdep() -> None: ...\n",
    ),
    "ins": (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "ins"], group_name="silver", '
        'ins={"orders": dg.AssetIn(key=["bronze", "orders"])})\n'
        "def silver_ins(orders) -> None: ...\n",
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "ins"], group_name="silver", '
        'ins={"orders": dg.AssetIn(key=["bronze", "orders"])}, '
        'deps=[dg.AssetKey(["bronze", "customers"])])\n'
        "def silver_ins(orders) -> None: ...\n",
    ),
    "spec": (
        "import dagster as dg\n\n\n"
        "@dg.multi_asset(\n"
        "    specs=[\n"
        "        dg.AssetSpec(\n"
        '            ["silver", "spec"], group_name="silver", '
        'deps=[dg.AssetKey(["bronze", "orders"])]\n'
        "        ),\n"
        "    ]\n"
        ")\n"
        "def silver_spec() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.multi_asset(\n"
        "    specs=[\n"
        "        dg.AssetSpec(\n"
        '            ["silver", "spec"], group_name="silver", '
        'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["bronze", "customers"])]\n'
        "        ),\n"
        "    ]\n"
        ")\n"
        "def silver_spec() -> None: ...\n",
    ),
    "none": (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "none"], group_name="silver")\n'
        "def silver_none() -> None: ...\n",
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "none"], group_name="silver", '
        'deps=[dg.AssetKey(["bronze", "customers"])])\n'
        "def silver_none() -> None: ...\n",
    ),
    "fromimport": (
        '"""Silver from-import."""\n\n'
        "from dagster import asset\n\n\n"
        '@asset(key=["silver", "fromimport"], group_name="silver")\n'
        "def silver_fromimport() -> None: ...\n",
        '"""Silver from-import."""\n\n'
        "from dagster import AssetKey, asset\n\n\n"
        '@asset(key=["silver", "fromimport"], group_name="silver", '
        'deps=[AssetKey(["bronze", "customers"])])\n'
        "def silver_fromimport() -> None: ...\n",
    ),
}


FIXABLE = "POL007,POL008,POL100"
"""The rules with safe fixes: a project they leave clean passes ``--fix`` with exit 0."""

WITHOUT_DEPS = {"none", "fromimport"}
"""The styles whose asset declares no upstream: their core modules read customers only."""


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """A minimal project: answers file, packages, storage, definitions, and ``files``."""
    base: dict[str, str | bytes] = {
        ".polster-answers.json": '{"cookiecutter": {}}',
        "src/core/__init__.py": "",
        "src/core/storage.py": STORAGE,
        "src/orchestration/__init__.py": "",
        "src/orchestration/definitions.py": DEFINITIONS,
        f"{ASSETS}/__init__.py": "",
        **{f"{ASSETS}/{layer}/__init__.py": "" for layer in ("bronze", "silver", "gold")},
        f"{ASSETS}/bronze/run_bronze_orders.py": bronze("orders"),
        f"{ASSETS}/bronze/run_bronze_customers.py": bronze("customers"),
    }
    for relative, content in {**base, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return root


def silver(name: str) -> str:
    return f"{ASSETS}/silver/run_silver_{name}.py"


def lint(root: Path, capsys, *options: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([*options, str(root)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def contents(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*.py"))
        if ".polster_cache" not in path.parts
    }


DAGSTER_EDGES = """
import json, sys
sys.path.insert(0, sys.argv[1] + "/src")
from orchestration.definitions import defs
print(json.dumps(sorted(
    ["/".join(dep.asset_key.path), "/".join(spec.key.path)]
    for spec in defs.resolve_all_asset_specs() for dep in spec.deps
)))
"""


def dagster_edges(root: Path) -> set[tuple[str, str]]:
    """The project's edges as Dagster loads them, in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", DAGSTER_EDGES, str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {tuple(edge) for edge in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def styled(tmp_path_factory) -> Path:
    """One project with a silver asset per dependency style, each reading bronze/customers."""
    files: dict[str, str | bytes] = {}
    for style, (before, _) in STYLES.items():
        files[silver(style)] = before
        tables = ("customers",) if style in WITHOUT_DEPS else ("orders", "customers")
        files[f"src/core/silver_{style}.py"] = reads(*tables)
    return write_project(tmp_path_factory.mktemp("styles"), files)


def test_fix_declares_hidden_reads_in_every_style_and_dagster_sees_the_edges(styled, capsys):
    expected_edges = {("bronze/customers", f"silver/{style}") for style in STYLES}
    assert not expected_edges & dagster_edges(styled)
    status, out, _ = lint(styled, capsys, "--select", "POL008")
    assert status == 1 and out.count("POL008") == len(STYLES)
    before = contents(styled)

    status, out, err = lint(styled, capsys, "--fix", "--select", "POL008")
    assert (status, out) == (0, ""), out
    assert err == f"Fixed {len(STYLES)} files.\n"
    after = contents(styled)
    for style, (_, fixed) in STYLES.items():
        assert after[silver(style)].decode() == fixed, style
    untouched = {path for path in before if path not in {silver(style) for style in STYLES}}
    assert {path: after[path] for path in untouched} == {path: before[path] for path in untouched}

    # Idempotent: nothing left to fix, and a second run changes no byte.
    assert lint(styled, capsys, "--fix", "--select", "POL008") == (0, "", "")
    assert contents(styled) == after
    assert lint(styled, capsys, "--diff") == (0, "", "")

    edges = dagster_edges(styled)
    assert expected_edges <= edges
    assert {("bronze/orders", f"silver/{s}") for s in set(STYLES) - WITHOUT_DEPS} <= edges


def group_project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            silver("wrong"): (
                "import dagster as dg\n\n\n"
                "@dg.asset(key=['silver', 'wrong'], group_name='gold', "
                "deps=[dg.AssetKey(['bronze', 'orders'])])\n"
                "def silver_wrong() -> None: ...\n"
            ),
            silver("missing"): (
                "import dagster as dg\n\n\n"
                "@dg.asset(\n"
                '    key=["silver", "missing"],\n'
                '    deps=[dg.AssetKey(["bronze", "orders"])]\n'
                ")\n"
                "def silver_missing() -> None: ...\n"
            ),
            silver("bare"): (
                "import dagster as dg\n\n\n@dg.asset\ndef bare(bronze_orders) -> None: ...\n"
            ),
            # The key names gold: which of key and folder is wrong is the author's call.
            silver("keyed"): (
                "import dagster as dg\n\n\n"
                '@dg.asset(key=["gold", "keyed"], group_name="gold")\n'
                "def keyed() -> None: ...\n"
            ),
        },
    )


def test_fix_sets_a_wrong_or_missing_group(tmp_path, capsys):
    root = group_project(tmp_path)
    keyed = (root / silver("keyed")).read_bytes()
    status, out, _ = lint(root, capsys, "--fix", "--select", "POL007")
    assert status == 1
    assert [line.split()[1] for line in out.splitlines()[:-1]] == ["POL007", "POL007"]
    assert "keyed" in out and "gold" in out
    assert (root / silver("wrong")).read_text() == (
        "import dagster as dg\n\n\n"
        "@dg.asset(key=['silver', 'wrong'], group_name='silver', "
        "deps=[dg.AssetKey(['bronze', 'orders'])])\n"
        "def silver_wrong() -> None: ...\n"
    )
    assert (root / silver("missing")).read_text() == (
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "missing"],\n'
        '    deps=[dg.AssetKey(["bronze", "orders"])],\n'
        '    group_name="silver"\n'
        ")\n"
        "def silver_missing() -> None: ...\n"
    )
    assert (root / silver("bare")).read_text() == (
        'import dagster as dg\n\n\n@dg.asset(group_name="silver")\n'
        "def bare(bronze_orders) -> None: ...\n"
    )
    assert (root / silver("keyed")).read_bytes() == keyed


def test_fix_removes_unused_noqa_codes(tmp_path, capsys):
    module = (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "orders"], group_name="silver",  # noqa: E501, POL004\n'
        '          deps=[dg.AssetKey(["bronze", "orders"])])  # noqa: POL002, POL005  # why\n'
        "def silver_orders() -> None: ...  # noqa: POL009\n"
        "# noqa: POL001\n"
    )
    root = write_project(tmp_path, {silver("orders"): module})
    status, out, _ = lint(root, capsys)
    assert status == 1 and out.count("POL100") == 5
    assert "POL100" not in lint(root, capsys, "--fix")[1]
    assert (root / silver("orders")).read_text() == (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "orders"], group_name="silver",  # noqa: E501\n'
        '          deps=[dg.AssetKey(["bronze", "orders"])])  # why\n'
        "def silver_orders() -> None: ...\n"
    )


@pytest.mark.parametrize(
    ("comment", "unused", "left"),
    [
        ("# noqa: POL004", {"POL004"}, None),
        ("# noqa:POL004,POL002", {"POL004"}, "# noqa:POL002"),
        ("# noqa: POL004, POL002", {"POL002"}, "# noqa: POL004"),
        ("# noqa: E501, POL004, F401", {"POL004"}, "# noqa: E501, F401"),
        ("# noqa: POL004 because", {"POL004"}, "# because"),
        ("# keep  # noqa: POL004", {"POL004"}, "# keep"),
        ("# keep # noqa: pol004  # more", {"POL004"}, "# keep  # more"),
        ("# noqa: POL002", {"POL004"}, "# noqa: POL002"),
        ("# nothing here", {"POL004"}, "# nothing here"),
    ],
)
def test_noqa_codes_are_taken_out_of_the_comment_only(comment, unused, left):
    assert without_codes(comment, unused) == left


def test_crlf_bom_and_coding_line_survive_byte_for_byte(tmp_path, capsys):
    lines = [
        "# -*- coding: utf-8 -*-",
        "import dagster as dg",
        "",
        "",
        "@dg.asset(key=['silver', 'orders'], group_name='gold')  # noqa: POL008 ",
        "def silver_orders() -> None:",
        '    return "café"',
        "",
    ]
    before = b"\xef\xbb\xbf" + "\r\n".join(lines).encode()
    root = write_project(
        tmp_path, {silver("orders"): before, "src/core/silver_orders.py": reads("orders")}
    )
    status, out, _ = lint(root, capsys, "--fix", "--select", FIXABLE)
    assert (status, out) == (0, ""), out
    after = (root / silver("orders")).read_bytes()
    assert after == (
        b"\xef\xbb\xbf"
        + "\r\n".join(
            [
                *lines[:4],
                "@dg.asset(key=['silver', 'orders'], group_name='silver', "
                "deps=[dg.AssetKey(['bronze', 'orders'])])",
                *lines[5:],
            ]
        ).encode()
    )
    assert lint(root, capsys, "--diff") == (0, "", "")


def test_diff_prints_the_fixes_and_writes_nothing(tmp_path, capsys):
    root = group_project(tmp_path)
    before = contents(root)
    mode = os.stat(root / silver("wrong")).st_mode
    status, out, err = lint(root, capsys, "--diff", "--select", "POL007")
    assert (status, err) == (1, "")
    assert contents(root) == before
    assert f"--- a/{silver('wrong')}\n+++ b/{silver('wrong')}\n" in out
    assert "-@dg.asset(key=['silver', 'wrong'], group_name='gold', " in out
    assert "+@dg.asset(key=['silver', 'wrong'], group_name='silver', " in out
    assert f"b/{silver('keyed')}" not in out
    # --fix writes what --diff showed, keeping the file's mode.
    assert lint(root, capsys, "--fix", "--select", "POL007")[0] == 1
    assert os.stat(root / silver("wrong")).st_mode == mode
    assert lint(root, capsys, "--diff", "--select", "POL007") == (0, "", "")


def test_select_ignore_and_noqa_decide_what_is_fixed(tmp_path, capsys):
    root = write_project(
        tmp_path,
        {
            silver("orders"): (
                "import dagster as dg\n\n\n"
                '@dg.asset(key=["silver", "orders"], group_name="gold")  # noqa: POL005\n'
                "def silver_orders() -> None: ...\n"
            ),
            "src/core/silver_orders.py": (
                "from core.storage import read_table\n\n\ndef build():\n"
                '    return read_table("bronze", "orders")  # noqa: POL008\n'
            ),
        },
    )
    module = root / silver("orders")
    before = module.read_text()
    assert lint(root, capsys, "--fix", "--ignore", "POL007,POL100")[0] == 1
    assert module.read_text() == before  # the only POL008 is silenced by its noqa
    lint(root, capsys, "--fix", "--select", "POL100")  # POL005 unchecked: its noqa may be needed
    assert module.read_text() == before
    lint(root, capsys, "--fix", "--select", "POL100,POL005")
    assert module.read_text() == before.replace("  # noqa: POL005", "")
    lint(root, capsys, "--fix", "--ignore", "POL100")
    assert module.read_text() == before.replace(
        'group_name="gold")  # noqa: POL005', 'group_name="silver")'
    )
    assert (root / "src/core/silver_orders.py").read_text().endswith("# noqa: POL008\n")


def test_fix_and_diff_refuse_graph(tmp_path, capsys):
    root = group_project(tmp_path)
    status, out, err = lint(root, capsys, "--fix", "--graph", "json")
    assert (status, out) == (2, "") and "error: --fix cannot be combined with --graph" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as stopped:
        main(["--fix", "--diff", str(root)])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1 and "not allowed with" in err


def test_a_linked_module_is_not_written_through(tmp_path, capsys):
    root = group_project(tmp_path)
    target = root / silver("wrong")
    real = root / "src" / "wrong_real.py"
    target.rename(real)
    target.symlink_to(real)
    before = real.read_bytes()
    status, _, err = lint(root, capsys, "--fix", "--select", "POL007")
    assert status == 1
    assert target.is_symlink() and real.read_bytes() == before
    assert b"group_name='silver'" not in before
    assert err.startswith(
        f"polster-lint: warning: {silver('wrong')} is not fixed: it is a symbolic link"
    )
    # --diff says why too, and does not pass for clean (exit 0) with a fix left undone.
    status, out, err = lint(root, capsys, "--diff", "--select", "POL007")
    assert status == 1 and silver("wrong") not in out
    assert [line for line in err.splitlines() if "symbolic link" in line] == err.splitlines()
    with pytest.raises(NotFixable, match="symbolic link"):
        read_source(root, silver("wrong"))


def test_a_file_changed_after_reading_is_not_overwritten(tmp_path):
    path = tmp_path / "src" / "module.py"
    path.parent.mkdir()
    path.write_text("x = 1\n")
    source = read_source(tmp_path, "src/module.py")
    assert source is not None
    path.write_text("x = 2\n")
    with pytest.raises(ProjectError, match="changed while it was being fixed"):
        write_source(source, "x = 3\n")
    assert path.read_text() == "x = 2\n"
    assert [p.name for p in path.parent.iterdir()] == ["module.py"]  # no temporary left
    source = read_source(tmp_path, "src/module.py")
    assert source is not None
    write_source(source, "x = 3\n")
    assert path.read_text() == "x = 3\n"


def test_explain_says_which_rules_have_a_safe_fix(capsys):
    for code, fixable in (("POL008", True), ("POL007", True), ("POL100", True), ("POL002", False)):
        assert main(["--explain", code]) == 0
        text = capsys.readouterr().out
        assert ("Safe fix: yes" in text) is fixable, code


def test_pol002_suggests_the_silver_assets_that_read_the_bronze_table(tmp_path, capsys):
    root = write_project(
        tmp_path,
        {
            silver(name): (
                "import dagster as dg\n\n\n"
                f'@dg.asset(key=["silver", "{name}"], group_name="silver", '
                'deps=[dg.AssetKey(["bronze", "orders"])])\n'
                f"def silver_{name}() -> None: ...\n"
            )
            for name in ("orders", "returns")
        }
        | {
            f"{ASSETS}/gold/run_gold_revenue.py": (
                "import dagster as dg\n\n\n"
                '@dg.asset(key=["gold", "revenue"], group_name="gold", '
                'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["bronze", "customers"])])\n'
                "def gold_revenue() -> None: ...\n"
            )
        },
    )
    before = contents(root)
    _, out, _ = lint(root, capsys, "--fix", "--select", "POL002")
    found = [line for line in out.splitlines() if "POL002" in line]
    assert found[1].endswith(
        "gold/revenue depends on bronze/customers: gold must read silver, not bronze"
    )
    assert found[0].endswith(
        "gold/revenue depends on bronze/orders: gold must read silver, not bronze; "
        "read silver/orders or silver/returns instead"
    )
    assert contents(root) == before  # suggested, never rewritten


def test_a_baked_project_broken_then_fixed_lints_clean_and_passes_its_tests(tmp_path):
    project = bake(tmp_path)
    module = project / f"{ASSETS}/silver/run_silver_example.py"
    text = module.read_text()
    broken = text.replace('    deps=[dg.AssetKey(["bronze", "example"])],\n', "").replace(
        'group_name="silver"', 'group_name="gold"'
    )
    assert broken != text
    module.write_text(broken)
    assert run([POLSTER_LINT, "--no-cache", "."], cwd=project).returncode == 1

    fixed = run([POLSTER_LINT, "--fix", "."], cwd=project)
    assert (fixed.returncode, fixed.stdout) == (0, ""), fixed.stdout + fixed.stderr
    assert module.read_text() == text.replace(
        '    deps=[dg.AssetKey(["bronze", "example"])],\n', ""
    ).replace(
        "    output_required=False,\n",
        '    output_required=False,\n    deps=[dg.AssetKey(["bronze", "example"])],\n',
    )
    clean = run([POLSTER_LINT, "--no-cache", "."], cwd=project)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")
    tests = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


def hidden_read(module: str | bytes, name: str = "x") -> dict[str, str | bytes]:
    """The files of a project whose silver/``name`` (``module``) reads bronze/customers in
    its core module without declaring it (POL008)."""
    return {silver(name): module, f"src/core/silver_{name}.py": reads("customers")}


NOT_DECLARATIONS = {
    "factory": (
        "import dagster as dg\n\n\n"
        "def make(name):\n"
        '    @dg.asset(key=["silver", name], group_name="silver")\n'
        "    def _asset() -> None: ...\n\n"
        "    return _asset\n\n\n"
        'silver_x = make("x")\n'
    ),
    "graph_asset": (
        "import dagster as dg\n\n\n"
        "@dg.op\ndef step(e):\n    return e\n\n\n"
        '@dg.graph_asset(key=["silver", "x"], group_name="silver", '
        'ins={"e": dg.AssetIn(key=["bronze", "orders"])})\n'
        "def silver_x(e):\n    return step(e)\n"
    ),
    "graph_multi_asset": (
        "import dagster as dg\n\n\n"
        "@dg.op\ndef step():\n    return 1\n\n\n"
        '@dg.graph_multi_asset(outs={"x": dg.AssetOut(key=["silver", "x"])}, group_name="silver")\n'
        "def silver_x():\n    return {'x': step()}\n"
    ),
    "options": (
        "import dagster as dg\n\n"
        'OPTS = {"deps": [dg.AssetKey(["bronze", "orders"])]}\n\n\n'
        '@dg.asset(key=["silver", "x"], group_name="silver", **OPTS)\n'
        "def silver_x() -> None: ...\n"
    ),
    "shadowed": (
        "from dagster import asset\n\n\n"
        "def AssetKey(parts):  # our own helper\n"
        '    return "/".join(parts)\n\n\n'
        '@asset(key=["silver", "x"], group_name="silver")\n'
        "def silver_x() -> None: ...\n"
    ),
    "shadowed_in_a_block": (
        "from dagster import asset\n\n"
        "try:\n    from ours import AssetKey\nexcept ImportError:\n    AssetKey = None\n\n\n"
        '@asset(key=["silver", "x"], group_name="silver")\n'
        "def silver_x() -> None: ...\n"
    ),
}


@pytest.mark.parametrize("style", NOT_DECLARATIONS)
def test_only_a_dagster_asset_declaration_taking_deps_is_fixed(tmp_path, capsys, style):
    """A factory's call, a graph asset (Dagster refuses ``deps`` there), a call given
    ``**options`` and a module that binds ``AssetKey`` itself get no fix: the finding
    stays, and the module is not touched."""
    root = write_project(tmp_path, hidden_read(NOT_DECLARATIONS[style]))
    before = contents(root)
    status, out, _ = lint(root, capsys, "--fix", "--select", "POL008")
    assert status == 1 and "POL008 silver/x reads table bronze/customers" in out, out
    assert contents(root) == before
    assert lint(root, capsys, "--diff", "--select", "POL008")[:2] == (0, "")


def test_a_shadowed_asset_key_is_written_by_a_name_that_resolves(tmp_path, capsys):
    module = (
        "import dagster as dg\n"
        "from dagster import AssetKey, asset\n\n"
        "if dg:\n    def AssetKey(parts):\n        return parts\n\n\n"
        '@asset(key=["silver", "x"], group_name="silver")\n'
        "def silver_x() -> None: ...\n"
    )
    root = write_project(tmp_path, hidden_read(module))
    assert lint(root, capsys, "--fix", "--select", "POL008")[:2] == (0, "")
    assert (root / silver("x")).read_text() == module.replace(
        'group_name="silver")', 'group_name="silver", deps=[dg.AssetKey(["bronze", "customers"])])'
    )
    assert dagster_edges(root) >= {("bronze/customers", "silver/x")}


@pytest.mark.parametrize(
    "declared",
    [
        'dg.AssetKey(["bronze", "customers"])',
        "dg.AssetKey(['bronze', 'customers'])",
        '"bronze/customers"',
        '["bronze", "customers"]',
        'dg.AssetDep(dg.AssetKey(["bronze", "customers"]))',
    ],
)
def test_a_key_already_declared_is_not_added_again(declared):
    """Another ``--fix`` may have added it since this run linted the file."""
    source = (
        "import dagster as dg\n\n\n"
        f'@dg.asset(key=["silver", "x"], deps=[{declared}])\n'
        "def silver_x() -> None: ...\n"
    )
    edit = Edit(Fix(ADD_DEPENDENCY, ("bronze", "customers")), 4, len("@dg.asset(key=") + 1)
    assert apply_edits(source, [edit]) == source
    other = source.replace("customers", "orders")
    assert apply_edits(other, [edit]) != other


def test_a_module_changed_since_it_was_linted_is_not_fixed(tmp_path, capsys, monkeypatch):
    """The fix's positions are those of the bytes linted: an editor saving between the
    lint and the fix (a new asset above, lines shifted) leaves the file unfixed."""
    module = (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "x"], group_name="silver")\n'
        "def silver_x() -> None: ...\n"
    )
    inserted = (
        '@dg.asset(key=["silver", "z"], group_name="silver")\ndef silver_z() -> None: ...\n\n\n'
    )
    root = write_project(tmp_path, hidden_read(module))
    path = root / silver("x")
    reading = polster_lint.engine.read_source

    def saved_meanwhile(*args, **kwargs):
        path.write_text(module.replace("\n\n\n", "\n\n\n" + inserted, 1))
        return reading(*args, **kwargs)

    monkeypatch.setattr(polster_lint.engine, "read_source", saved_meanwhile)
    status, _, err = lint(root, capsys, "--fix", "--no-cache", "--select", "POL008")
    assert status == 2
    assert err == (f"polster-lint: error: {silver('x')} changed since it was linted; not fixed\n")
    assert path.read_text() == module.replace("\n\n\n", "\n\n\n" + inserted, 1)


def test_a_module_libcst_does_not_write_back_as_read_is_not_fixed(tmp_path, capsys):
    module = (
        b"import dagster as dg\r\r\r"
        b'@dg.asset(key=["silver", "x"], group_name="silver")\r'
        b"def silver_x() -> None: ...\r"
    )
    root = write_project(tmp_path, hidden_read(module))
    for option in ("--fix", "--diff"):
        status, out, err = lint(root, capsys, option, "--select", "POL008")
        assert status == 1 and (root / silver("x")).read_bytes() == module
        assert err == (
            f"polster-lint: warning: {silver('x')} is not fixed: "
            "libcst does not write it back byte for byte\n"
        )


def test_a_read_only_module_is_not_rewritten_and_the_others_are_fixed(tmp_path, capsys):
    module = (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "NAME"], group_name="silver")\n'
        "def silver_NAME() -> None: ...\n"
    )
    files = hidden_read(module.replace("NAME", "x")) | hidden_read(module.replace("NAME", "y"), "y")
    root = write_project(tmp_path, files)
    locked = root / silver("x")
    locked.chmod(0o444)
    status, out, err = lint(root, capsys, "--fix", "--select", "POL008")
    assert status == 2
    assert err == (
        f"polster-lint: error: cannot write {silver('x')}: Permission denied\nFixed 1 file.\n"
    ) or err == (
        f"Fixed 1 file.\npolster-lint: error: cannot write {silver('x')}: Permission denied\n"
    )
    assert locked.read_text() == module.replace("NAME", "x")
    assert "bronze" in (root / silver("y")).read_text()
    assert "silver/x reads" in out and "silver/y" not in out


DIFFS = {
    "latin1": (
        "# -*- coding: latin-1 -*-\n"
        '"""Données."""\n'
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "x"], group_name="silver", description="é")  # ñ\n'
        "def silver_x() -> None: ...\n"
    ).encode("latin-1"),
    "line_breaks": (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "x"], group_name="silver")\n'
        'def silver_x() -> str:\n    return "a\u2028b\x0cc\x1cd\x85e"\n'
    ).encode(),
    "no_newline": (  # the edit on the last line itself: an unused noqa goes
        b"import dagster as dg\n\n\n"
        b'@dg.asset(key=["silver", "x"], group_name="silver")\n'
        b"def silver_x() -> None: ...  # noqa: POL004"
    ),
    "crlf_no_newline": (
        b'import dagster as dg\r\n\r\n\r\n@dg.asset(key=["silver", "x"], group_name="silver")'
    )
    + b"\r\ndef silver_x() -> None: ...",
}


@pytest.mark.parametrize("style", DIFFS)
def test_diff_applies_with_git_apply_and_patch(tmp_path, style):
    root = write_project(tmp_path, hidden_read(DIFFS[style]))
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        assert run(command, cwd=root).returncode == 0
    shown = subprocess.run(
        [POLSTER_LINT, "--diff", "--no-cache", "--select", "POL004,POL008,POL100", "."],
        cwd=root,
        capture_output=True,
    )
    assert shown.returncode == 1 and shown.stdout, shown.stderr
    patch = tmp_path / "fix.patch"
    patch.write_bytes(shown.stdout)
    checked = run(["git", "apply", "--check", str(patch)], cwd=root)
    assert checked.returncode == 0, checked.stderr
    dry = run(["patch", "-p1", "--dry-run", "-F0", "-i", str(patch)], cwd=root)
    assert dry.returncode == 0 and "FAILED" not in dry.stdout, dry.stdout
    before = (root / silver("x")).read_bytes()
    assert run(["git", "apply", str(patch)], cwd=root).returncode == 0
    applied = (root / silver("x")).read_bytes()
    (root / silver("x")).write_bytes(before)
    assert run([POLSTER_LINT, "--fix", "--no-cache", "."], cwd=root).returncode in (0, 1)
    assert (root / silver("x")).read_bytes() == applied


RUFF = str(Path(sys.executable).parent / "ruff")

LAYOUTS = {
    # The generated projects' layout: arguments one per line, a deps line too long now.
    "exploded": (
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "exploded"],\n'
        '    group_name="silver",\n'
        '    deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["bronze", "orders_archive"])],\n'
        ")\n"
        "def silver_exploded() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "exploded"],\n'
        '    group_name="silver",\n'
        "    deps=[\n"
        '        dg.AssetKey(["bronze", "orders"]),\n'
        '        dg.AssetKey(["bronze", "orders_archive"]),\n'
        '        dg.AssetKey(["bronze", "customers"]),\n'
        "    ],\n"
        ")\n"
        "def silver_exploded() -> None: ...\n",
    ),
    "inline": (
        "import dagster as dg\n\n\n"
        '@dg.asset(key=["silver", "inline"], group_name="silver", description="a longer one")\n'
        "def silver_inline() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "inline"],\n'
        '    group_name="silver",\n'
        '    description="a longer one",\n'
        '    deps=[dg.AssetKey(["bronze", "customers"])],\n'
        ")\n"
        "def silver_inline() -> None: ...\n",
    ),
    "comment": (
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "comment"],\n'
        '    group_name="silver",\n'
        "    deps=[  # filled in later\n"
        "    ],\n"
        ")\n"
        "def silver_comment() -> None: ...\n",
        "import dagster as dg\n\n\n"
        "@dg.asset(\n"
        '    key=["silver", "comment"],\n'
        '    group_name="silver",\n'
        "    deps=[  # filled in later\n"
        '        dg.AssetKey(["bronze", "customers"]),\n'
        "    ],\n"
        ")\n"
        "def silver_comment() -> None: ...\n",
    ),
    "relative": (
        "import dagster as dg\n\n"
        "from ..bronze.run_bronze_orders import bronze_orders\n\n\n"
        '@dg.asset(key=["silver", "relative"], group_name="silver", deps=[bronze_orders])\n'
        "def silver_relative() -> None: ...\n",
        "import dagster as dg\n\n"
        f"from {B}.run_bronze_customers import bronze_customers\n\n"
        "from ..bronze.run_bronze_orders import bronze_orders\n\n\n"
        '@dg.asset(key=["silver", "relative"], group_name="silver", '
        "deps=[bronze_orders, bronze_customers])\n"
        "def silver_relative() -> None: ...\n",
    ),
}


def test_fixes_keep_ruff_format_and_isort_happy(tmp_path, capsys):
    """ruff's line length read from pyproject.toml: a deps list that would pass it is
    laid out one element per line, a list holding only a comment is filled a step in,
    and a new absolute import goes in its isort section."""
    files: dict[str, str | bytes] = {
        "pyproject.toml": '[tool.ruff]\nline-length = 100\nsrc = ["src"]\n',
    }
    for name, (before, _) in LAYOUTS.items():
        reading = ("orders", "customers") if "bronze_orders" in before else ("customers",)
        files |= {silver(name): before, f"src/core/silver_{name}.py": reads(*reading)}
    root = write_project(tmp_path, files)
    status, out, _ = lint(root, capsys, "--fix", "--select", "POL008")
    assert (status, out) == (0, ""), out
    for name, (_, after) in LAYOUTS.items():
        assert (root / silver(name)).read_text() == after, name
    modules = [silver(name) for name in LAYOUTS]
    formatted = run([RUFF, "format", "--check", "--diff", *modules], cwd=root)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    checked = run([RUFF, "check", "--select", "I", "--no-cache", *modules], cwd=root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
