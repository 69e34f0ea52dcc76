"""Benchmark the storage layer (``write_table``/``read_table``) against raw pyarrow.

Run it from the repository root, with the environment Polster's dev extra installs::

    .venv/bin/python benchmarks/storage_bench.py [--rows 1000000] [--repeat 5]

It is a measurement, not a test: it prints a table with PASS/FAIL next to the target and
exits 0 unless something crashed.

What is measured
----------------
A sales table (order id, date, customer, product, region, quantity, price, revenue) of
``--rows`` rows, seeded, is stored and loaded four ways, in one run, in a project baked
from this repository's template (``storage_backend=adls``, settings in the environment):

* local:  ``write_table(df, "silver", "sales")`` / ``read_table("silver", "sales")`` with
  ``STORAGE_BACKEND=local``, against ``pq.write_table(pa.Table.from_pandas(df), path)`` /
  ``pq.read_table(path).to_pandas()`` on the very file the storage layer writes;
* Azurite: the same through the ADLS backend, against raw pyarrow on the same blob through
  a plain adlfs filesystem (``pq.write_table(..., filesystem=fs)``).

Raw and storage-layer runs alternate (raw first, then storage, ``--repeat`` times, after
one warm-up of each), and the table shows medians. Both sides start from the same DataFrame
and end with a DataFrame, so the ratio is what the storage layer adds: settings and name
checks, and locally the temporary file, fsync and rename that make writes atomic; on ADLS
the in-memory serialization, the one-request upload and the existence check of a read.
Target: storage layer <= 1.10 x raw for each of the four.

Azurite (the Azure Storage emulator) is installed and started the way the tests do it
(``tests/test_adls.py``): Node.js and npm are required.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from test_adls import Azurite, install_azurite  # noqa: E402

TARGET_RATIO = 1.10
CONTAINER = "bench"
BASE_PATH = "polster/data"


def sales_table(rows: int, seed: int = 20261128) -> pd.DataFrame:
    """``rows`` plausible sales orders, the same for a given seed."""
    rng = np.random.default_rng(seed)
    products = np.array(["Espresso Machine", "Coffee Grinder", "Milk Frother", "Travel Mug"])
    prices = np.array([249.00, 89.50, 39.90, 14.00])
    product = rng.integers(0, len(products), rows)
    quantity = rng.integers(1, 6, rows)
    return pd.DataFrame(
        {
            "order_id": [f"ORD-{number:08d}" for number in range(rows)],
            "order_date": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "customer_id": [f"C{number:05d}" for number in rng.integers(0, 50_000, rows)],
            "product": products[product],
            "region": np.array(["North", "South", "East", "West"])[rng.integers(0, 4, rows)],
            "quantity": quantity,
            "unit_price": prices[product],
            "revenue": (quantity * prices[product]).round(2),
        }
    )


def bake_project(parent: Path) -> Path:
    from cookiecutter.main import cookiecutter

    config = {"replay_dir": str(parent / ".replay"), "cookiecutters_dir": str(parent)}
    return Path(
        cookiecutter(
            str(REPO_ROOT),
            no_input=True,
            extra_context={"storage_backend": "adls"},
            output_dir=str(parent),
            default_config=config,
        )
    )


def use_settings(**values: str) -> None:
    """Point the project's storage at a backend (environment variables win over .env)."""
    for name in [name for name in os.environ if name.startswith(("STORAGE_", "ADLS_"))]:
        del os.environ[name]
    os.environ.update(values)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def compare(
    label: str,
    raw: Callable[[], object],
    layer: Callable[[], object],
    repeat: int,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the sales table")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (median)")
    args = parser.parse_args(argv)

    df = sales_table(args.rows)
    with tempfile.TemporaryDirectory(prefix="storage-bench-") as scratch:
        scratch = Path(scratch)
        project = bake_project(scratch)
        sys.path.insert(0, str(project / "src"))
        from core.storage import read_table, table_uri, write_table

        def raw_write(path, filesystem=None) -> Callable[[], None]:
            def write() -> None:
                table = pa.Table.from_pandas(df, preserve_index=False)
                pq.write_table(table, path, filesystem=filesystem)

            return write

        def raw_read(path, filesystem=None) -> Callable[[], pd.DataFrame]:
            return lambda: pq.read_table(path, filesystem=filesystem).to_pandas()

        def layer_write() -> None:
            write_table(df, "silver", "sales")

        def layer_read() -> pd.DataFrame:
            return read_table("silver", "sales")

        results = []
        use_settings(STORAGE_BACKEND="local", DATA_DIR=str(scratch / "data"))
        layer_write()
        local_path = scratch / "data" / "silver" / "sales.parquet"
        size_mb = local_path.stat().st_size / 1e6
        results.append(compare("local write", raw_write(local_path), layer_write, args.repeat))
        results.append(compare("local read", raw_read(local_path), layer_read, args.repeat))

        azurite = Azurite(install_azurite(), scratch / "azurite").start()
        try:
            from adlfs import AzureBlobFileSystem

            connection_string = azurite.connection_string()
            use_settings(
                STORAGE_BACKEND="adls",
                ADLS_CONTAINER=CONTAINER,
                ADLS_BASE_PATH=BASE_PATH,
                ADLS_CONNECTION_STRING=connection_string,
            )
            layer_write()  # creates the container
            blob = table_uri("silver", "sales").removeprefix("abfs://")
            fs = AzureBlobFileSystem(connection_string=connection_string, skip_instance_cache=True)
            results.append(compare("Azurite write", raw_write(blob, fs), layer_write, args.repeat))
            results.append(compare("Azurite read", raw_read(blob, fs), layer_read, args.repeat))
        finally:
            azurite.stop()

    print(
        f"storage benchmark, {time.strftime('%Y-%m-%d')}: {args.rows:,} rows "
        f"({size_mb:.1f} MB of parquet), median of {args.repeat}; {machine()}"
    )
    print(f"{'':<15}{'raw pyarrow s':>14}{'write/read_table s':>20}{'ratio':>8}  target <= 1.10")
    failed = 0
    for label, raw_seconds, layer_seconds in results:
        ratio = layer_seconds / raw_seconds
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        failed += verdict == "FAIL"
        print(f"{label:<15}{raw_seconds:>14.3f}{layer_seconds:>20.3f}{ratio:>8.2f}  {verdict}")
    print(f"{len(results) - failed} of {len(results)} within the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
