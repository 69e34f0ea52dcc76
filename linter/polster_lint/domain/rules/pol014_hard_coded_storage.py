from collections.abc import Iterator
from pathlib import PurePosixPath

from polster_lint.domain.model import StorageUse
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CORE,
    SILVER_ORDERS,
    CheckContext,
    Example,
    Rule,
)
from polster_lint.domain.violation import Violation

_CORE_MODULE = f"{CORE}/silver_orders.py"


class HardCodedStorage(Rule):
    code = "POL014"
    name = "hard-coded-storage"
    summary = (
        "storage read or written around the storage module: pandas readers and writers, "
        "`open()` in the data folder, `abfs://` URIs, `deltalake`/`adlfs`/`pyarrow.parquet`"
    )
    what = (
        "An asset or core module reads or writes storage itself instead of through the "
        "storage module (`storage-module`, `core.storage` by default). Caught: a pandas or "
        "polars file reader (`pd.read_parquet`, `read_csv`, `pl.read_parquet`, "
        "`pl.scan_csv`... however the library is imported); a DataFrame written to a "
        "path (`df.to_parquet(path)`, `to_csv`, `df.write_parquet(path)`, `sink_csv`...); "
        "`open()`, `Path(...).read_text()`, `read_bytes()`, `write_text()`, "
        "`write_bytes()` or `.open()` of a literal path in the data folder (`data-dir`: "
        '`"data/x.csv"`, `Path("data") / name`, an f-string starting there); an '
        "`abfs://`, `abfss://` or `az://` URI literal in code; a call into `deltalake`, "
        "`adlfs`, `pyarrow.parquet` or `pyarrow.dataset`. Not caught: a reader or writer "
        "given an in-memory buffer (`io.StringIO(...)`, `io.BytesIO(...)`, or a name "
        "assigned one), a database read (`read_sql`, `read_sql_query`, `read_sql_table`, "
        "`read_gbq`, `pl.read_database`), a URI in text for people (a docstring, "
        "`description=` or `metadata=`, the arguments of `print`, `warnings.warn` or a "
        "logger's `debug`/`info`/`warning`/`error`/`exception`/`critical`), a path that "
        "does not start as a literal (a config file, `DATA_DIR / name`), a buffer passed "
        "in as a parameter, storage reached through a helper of another library."
    )
    why = (
        "These are reads and writes the asset graph cannot see: no rule checks them "
        "against the layers, `read_table` cannot count them as dependencies, and they "
        "skip what the storage module does for every table (the backend chosen in .env, "
        "atomic Delta commits, partition overwrites, schema checks)."
    )
    fix = (
        "Call the storage module (`read_table`/`write_table`), or add what is missing to "
        "it; the storage module itself is where these calls belong."
    )
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                _CORE_MODULE: (
                    "import pandas as pd\n"
                    "from deltalake import write_deltalake\n\n\n"
                    "def run() -> None:\n"
                    '    orders = pd.read_parquet("data/bronze/orders.parquet")\n'
                    '    write_deltalake("az://lake/silver/orders", orders)\n'
                ),
            },
            (
                ("POL014", _CORE_MODULE, 6, 14),
                ("POL014", _CORE_MODULE, 7, 5),
                ("POL014", _CORE_MODULE, 7, 21),
            ),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                f"{CORE}/storage.py": (
                    "import deltalake\n\n\n"
                    "def read_table(layer: str, name: str) -> object:\n"
                    '    return deltalake.DeltaTable(f"data/{layer}/{name}").to_pandas()\n'
                ),
                _CORE_MODULE: (
                    "import json\n\n"
                    "from core.storage import read_table\n\n\n"
                    "def run(settings_path: str) -> str:\n"
                    "    with open(settings_path) as handle:\n"
                    "        json.load(handle)\n"
                    '    return read_table("bronze", "orders").to_csv()\n'
                ),
            }
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        storage = context.config.storage_module
        for file, facts in context.modules:
            in_storage = file.module == storage or file.module.startswith(storage + ".")
            if file.is_support or in_storage:
                continue
            for use in facts.storage:
                message = _message(use, context.config.data_dir, storage)
                if message is not None:
                    yield Violation(file, use.anchor, self.code, message, asset=file.owner)


def _message(use: StorageUse, data_dir: str, storage: str) -> str | None:
    """What to say about a storage use; None for ``open()`` outside the data folder."""
    through = f"go through {storage} so the asset graph sees it"
    if use.kind == "open" or use.kind.startswith("open:"):
        if not _in_folder(use.text, data_dir):
            return None
        called = "open()" if use.kind == "open" else f"Path.{use.kind[5:]}()"
        return f"{called} of {use.text!r} in the data folder: {through}"
    if use.kind == "uri":
        return f"storage URI {use.text!r} written out: {through}"
    return f"{use.text} reads or writes storage directly: {through}"


def _in_folder(path: str, folder: str) -> bool:
    """Whether ``path`` runs through ``folder``: starts with it (``data/x.csv``,
    ``./data``) or has it inside (``/srv/project/data/x.csv``)."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    wanted = PurePosixPath(folder).parts
    return any(
        parts[start : start + len(wanted)] == wanted
        for start in range(len(parts) - len(wanted) + 1)
    )
