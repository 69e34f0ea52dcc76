"""Benchmark the storage layer (``write_table``/``read_table``) against raw deltalake.

Run it from the repository root, with the environment Polster's dev extra installs::

    .venv/bin/python benchmarks/storage_bench.py [--rows 10000000] [--days 365] [--repeat 3]
        [--adls-rows N] [--no-adls]

It is a measurement, not a test: it prints tables with PASS/FAIL next to the targets and
exits 0 unless something crashed.

What is measured
----------------
A sales table (order id, date, customer, product, region, quantity, price, revenue, and
the partition key: the order date) of ``--rows`` rows over ``--days`` daily partitions,
seeded, in a project baked from this repository's template. Each line compares the
generated project's storage API with raw deltalake doing the same work on a table of its
own, in the same run, each starting from the same DataFrame and ending with one:

* write: ``write_table(df, "silver", "sales", partition=<every day>)``, which replaces
  those partitions of the existing table in one commit, against
  ``write_deltalake(path, pa.Table.from_pandas(df), mode="overwrite",
  partition_by=["partition_key"], predicate="partition_key IN (...)")`` on a table of the
  same shape. What the API adds: settings and name checks, the look at the stored table,
  the schema comparison. Target: at most 1.10 x raw.
* read all: ``read_table("silver", "sales")`` against
  ``DeltaTable(path).to_pyarrow_dataset().to_table().to_pandas()``.
* read one day: ``read_table(..., partitions=[day])`` against the same with
  ``file_pruning_predicate=[("partition_key", "in", [day])]`` (deltalake's quickest way).
  Target: one day at least 50 x faster than the whole table through the API (partition
  pruning: only that day's files are listed and opened).

Raw and API runs alternate (raw first, then the API, ``--repeat`` times, after one
warm-up of each); the tables show medians. The same runs are made against Azurite (the
Azure Storage emulator, installed and started as ``tests/test_adls.py`` does it) with
``--adls-rows`` rows (default: as many as locally).

Memory: a one-day materialization (read one day of silver, aggregate it, write that day
of gold, in a fresh process) is run against tables holding 30 and then 365 days of
history, and the highest resident memory of its process during the work (sampled every
millisecond) is compared, along with how much of it the work itself added. Target: the
365-day peak at most 1.2 x the 30-day one, i.e. independent of history length.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from test_adls import ACCOUNT, ACCOUNT_KEY, Azurite, install_azurite  # noqa: E402

WRITE_TARGET = 1.10
PRUNING_TARGET = 50.0
MEMORY_TARGET = 1.2
CONTAINER = "bench"
BASE_PATH = "polster/data"
PARTITION_COLUMN = "partition_key"
FIRST_DAY = pd.Timestamp("2026-01-01")

# A one-day materialization in a fresh process: argv = [project src, day]. Prints JSON:
# the process's resident memory (MiB) before the work and its highest value during the
# work (sampled every millisecond).
ONE_DAY = """
import json, resource, sys, threading, time
sys.path.insert(0, sys.argv[1])
import pandas as pd
from core.storage import PARTITION_COLUMN, read_table, write_table

def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20

highest, done = [rss_mib()], threading.Event()

def sample():
    while not done.is_set():
        highest[0] = max(highest[0], rss_mib())
        time.sleep(0.001)

before = rss_mib()
sampler = threading.Thread(target=sample)
sampler.start()
day = sys.argv[2]
orders = read_table("silver", "sales", partitions=[day])
summary = orders.groupby(["region", "product"], as_index=False).agg(
    orders=("order_id", "count"), revenue=("revenue", "sum")
)
summary[PARTITION_COLUMN] = day
write_table(summary, "gold", "daily", partition=day)
done.set()
sampler.join()
print(json.dumps({
    "before": before,
    "during": max(highest[0], rss_mib()),
    "rows": len(orders),
}))
"""


def sales_table(rows: int, days: int, seed: int = 20261202) -> pd.DataFrame:
    """``rows`` plausible sales orders over ``days`` days, the same for a given seed."""
    rng = np.random.default_rng(seed)
    products = np.array(["Espresso Machine", "Coffee Grinder", "Milk Frother", "Travel Mug"])
    prices = np.array([249.00, 89.50, 39.90, 14.00])
    product = rng.integers(0, len(products), rows)
    quantity = rng.integers(1, 6, rows)
    day = np.sort(rng.integers(0, days, rows))
    dates = FIRST_DAY + pd.to_timedelta(day, unit="D")
    return pd.DataFrame(
        {
            "order_id": pd.array([f"ORD-{number:09d}" for number in range(rows)], dtype="str"),
            "order_date": dates,
            "customer_id": pd.array(
                [f"C{number:05d}" for number in rng.integers(0, 50_000, rows)], dtype="str"
            ),
            "product": pd.array(products[product], dtype="str"),
            "region": pd.array(
                np.array(["North", "South", "East", "West"])[rng.integers(0, 4, rows)],
                dtype="str",
            ),
            "quantity": quantity,
            "unit_price": prices[product],
            "revenue": (quantity * prices[product]).round(2),
            PARTITION_COLUMN: pd.array(dates.strftime("%Y-%m-%d"), dtype="str"),
        }
    )


def day_keys(days: int) -> list[str]:
    return [(FIRST_DAY + pd.Timedelta(days=offset)).strftime("%Y-%m-%d") for offset in range(days)]


def bake_project(parent: Path) -> Path:
    from cookiecutter.main import cookiecutter

    config = {"replay_dir": str(parent / ".replay"), "cookiecutters_dir": str(parent)}
    return Path(
        cookiecutter(
            str(REPO_ROOT),
            no_input=True,
            extra_context={"storage_backend": "adls", "partitioning": "daily"},
            output_dir=str(parent),
            default_config=config,
        )
    )


def use_settings(**values: str) -> None:
    """Point the project's storage at a backend (environment variables win over .env)."""
    for name in [name for name in os.environ if name.startswith(("STORAGE_", "ADLS_", "DATA_"))]:
        del os.environ[name]
    os.environ.update(values)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def compare(
    label: str, raw: Callable[[], object], layer: Callable[[], object], repeat: int
) -> tuple[str, float, float]:
    """Medians of ``repeat`` alternating runs of ``raw`` and ``layer``, after a warm-up."""
    raw(), layer()
    raw_times, layer_times = [], []
    for _ in range(repeat):
        raw_times.append(timed(raw))
        layer_times.append(timed(layer))
    return label, statistics.median(raw_times), statistics.median(layer_times)


def machine() -> str:
    """CPU model, core count and load: wall times on a busy machine say less."""
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"


def measure(
    df: pd.DataFrame,
    keys: list[str],
    raw_uri: str,
    options: dict[str, str] | None,
    repeat: int,
    prefix: str,
) -> list[tuple[str, float, float]]:
    """Write, read everything and read one day, through the API and raw, side by side."""
    from core.storage import read_table, write_table

    predicate = f"{PARTITION_COLUMN} IN ({', '.join(repr(key) for key in keys)})"
    day = keys[len(keys) // 2]

    def raw_write() -> None:
        write_deltalake(
            raw_uri,
            pa.Table.from_pandas(df, preserve_index=False),
            mode="overwrite",
            partition_by=[PARTITION_COLUMN],
            predicate=predicate,
            storage_options=options,
        )

    def layer_write() -> None:
        write_table(df, "silver", "sales", partition=keys)

    def raw_read(days: list[str] | None = None) -> Callable[[], pd.DataFrame]:
        # deltalake's quickest way: partitions pruned when the dataset is made.
        pruning = [(PARTITION_COLUMN, "in", days)] if days else None
        return lambda: (
            DeltaTable(raw_uri, storage_options=options)
            .to_pyarrow_dataset(file_pruning_predicate=pruning)
            .to_table()
            .to_pandas()
        )

    results = [compare(f"{prefix} write", raw_write, layer_write, repeat)]
    results.append(
        compare(f"{prefix} read all", raw_read(), lambda: read_table("silver", "sales"), repeat)
    )
    results.append(
        compare(
            f"{prefix} read 1 day",
            raw_read([day]),
            lambda: read_table("silver", "sales", partitions=[day]),
            repeat,
        )
    )
    return results


def one_day_peak(project: Path, data_dir: Path, day: str) -> dict[str, float]:
    env = {**os.environ, "STORAGE_BACKEND": "local", "DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", ONE_DAY, str(project / "src"), day],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout)


def history_tables(df: pd.DataFrame, keys: list[str], days: int, data_dir: Path) -> str:
    """Write silver/sales and gold/daily with the first ``days`` days; return the last day."""
    from core.storage import write_table

    use_settings(STORAGE_BACKEND="local", DATA_DIR=str(data_dir))
    kept = keys[:days]
    history = df[df[PARTITION_COLUMN].isin(kept)]
    write_table(history, "silver", "sales", partition=kept)
    gold = (
        history.groupby([PARTITION_COLUMN, "region", "product"], as_index=False)
        .agg(orders=("order_id", "count"), revenue=("revenue", "sum"))
        .loc[:, ["region", "product", "orders", "revenue", PARTITION_COLUMN]]
    )
    write_table(gold, "gold", "daily", partition=kept)
    return kept[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the sales table")
    parser.add_argument("--days", type=int, default=365, help="daily partitions")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    parser.add_argument(
        "--adls-rows", type=int, default=None, help="rows on Azurite (default: --rows)"
    )
    parser.add_argument("--no-adls", action="store_true", help="skip the Azurite runs")
    args = parser.parse_args(argv)

    keys = day_keys(args.days)
    df = sales_table(args.rows, args.days)
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="storage-bench-") as scratch:
        scratch = Path(scratch)
        project = bake_project(scratch)
        sys.path.insert(0, str(project / "src"))

        use_settings(STORAGE_BACKEND="local", DATA_DIR=str(scratch / "data"))
        raw_path = str(scratch / "raw" / "sales")
        results += measure(df, keys, raw_path, None, args.repeat, "local")
        sizes = DeltaTable(raw_path).get_add_actions(flatten=True).column("size_bytes")
        size_mb = sum(sizes.to_pylist()) / 1e6  # the files of the current version

        if not args.no_adls:
            small = df if args.adls_rows is None else sales_table(args.adls_rows, args.days)
            azurite = Azurite(install_azurite(), scratch / "azurite").start()
            try:
                use_settings(
                    STORAGE_BACKEND="adls",
                    ADLS_CONTAINER=CONTAINER,
                    ADLS_BASE_PATH=BASE_PATH,
                    ADLS_CONNECTION_STRING=azurite.connection_string(),
                )
                options = {
                    "account_name": ACCOUNT,
                    "account_key": ACCOUNT_KEY,
                    "endpoint": azurite.blob_endpoint,
                    "allow_http": "true",
                }
                from azure.storage.blob import BlobServiceClient

                service = BlobServiceClient.from_connection_string(azurite.connection_string())
                service.create_container(CONTAINER)
                raw_uri = f"abfs://{CONTAINER}/raw/sales"
                results += measure(small, keys, raw_uri, options, args.repeat, "Azurite")
            finally:
                azurite.stop()

        memory = {}
        for days in (30, args.days):
            data_dir = scratch / f"history-{days}"
            last = history_tables(df, keys, days, data_dir)
            memory[days] = one_day_peak(project, data_dir, last)

    print(
        f"storage benchmark, {time.strftime('%Y-%m-%d')}: {args.rows:,} rows over "
        f"{args.days} daily partitions ({size_mb:.0f} MB of parquet) locally"
        + ("" if args.no_adls else f", {args.adls_rows or args.rows:,} on Azurite")
        + f"; median of {args.repeat}; {machine()}"
    )
    print(f"{'':<22}{'raw deltalake s':>16}{'storage API s':>15}{'ratio':>8}")
    failed = 0
    for label, raw_seconds, layer_seconds in results:
        ratio = layer_seconds / raw_seconds
        verdict = ""
        if label.endswith("write"):
            verdict = f"  target <= {WRITE_TARGET:.2f}: " + (
                "PASS" if ratio <= WRITE_TARGET else "FAIL"
            )
            failed += ratio > WRITE_TARGET
        print(f"{label:<22}{raw_seconds:>16.3f}{layer_seconds:>15.3f}{ratio:>8.2f}{verdict}")
    by_label = {label: layer for label, _, layer in results}
    for prefix in ("local", "Azurite"):
        if f"{prefix} read all" in by_label:
            speedup = by_label[f"{prefix} read all"] / by_label[f"{prefix} read 1 day"]
            verdict = "PASS" if speedup >= PRUNING_TARGET else "FAIL"
            failed += speedup < PRUNING_TARGET
            print(
                f"{prefix}: one day read {speedup:.0f} x faster than the whole table "
                f"through the API (target >= {PRUNING_TARGET:.0f}): {verdict}"
            )
    (small_days, small), (large_days, large) = memory.items()
    # The highest resident memory sampled during the work. (The kernel's own peak, ru_maxrss,
    # is useless here: a process started from this one inherits its high-water mark.)
    growth = large["during"] / small["during"]
    verdict = "PASS" if growth <= MEMORY_TARGET else "FAIL"
    failed += growth > MEMORY_TARGET
    print(
        f"one-day materialization ({small['rows']:,} and {large['rows']:,} rows read), peak "
        f"memory: {small['during']:.0f} MiB with {small_days} days of history, "
        f"{large['during']:.0f} MiB with {large_days} ({growth:.2f} x; target <= "
        f"{MEMORY_TARGET:.1f}): {verdict}; of which the work itself: "
        f"{small['during'] - small['before']:.0f} and {large['during'] - large['before']:.0f} MiB"
    )
    targets = 2 * len(results) // 3 + 1  # per backend: write and pruning; and memory
    print(f"{targets - failed} of {targets} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
