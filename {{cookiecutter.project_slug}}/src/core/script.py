"""Run a core module as a command-line script.

Every ``src/core/<layer>_<name>.py`` can be run on its own (``python src/core/...``).
This helper gives them the same behaviour: a one-line summary on success, and for a
configuration or storage problem a one-line error and exit status 1 instead of a
traceback. Bugs in the transformation itself still show their traceback.
"""

import sys
from collections.abc import Callable

import pandas as pd

from core.settings import SettingsError
from core.storage import StorageError


def run_script(run: Callable[[], tuple[pd.DataFrame, str]], table: str) -> None:
    """Call ``run`` (which writes ``table`` and returns it with its URI), report, exit."""
    try:
        df, uri = run()
    except (SettingsError, StorageError) as error:
        print(f"error: {table}: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"{table}: wrote {len(df):,} rows x {len(df.columns)} columns to {uri}")
    sys.exit(0)
