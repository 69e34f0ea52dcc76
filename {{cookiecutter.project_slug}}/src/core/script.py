"""Run a core module as a command-line script.

Every ``src/core/<layer>_<name>.py`` can be run on its own (``python src/core/...``).
This helper gives them the same behaviour: a one-line summary on success; for a
configuration or storage problem (a wrong setting, a full or read-only disk, a damaged
table file) a one-line error and exit status 1 instead of a traceback; and for Ctrl-C one
line and exit status 130. Bugs in the transformation itself still show their traceback.
"""

import sys
from collections.abc import Callable

import pandas as pd

from core.settings import SettingsError
from core.storage import StorageError

INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT, as shells report it."""


def run_script(run: Callable[[], tuple[pd.DataFrame, str]], table: str) -> None:
    """Call ``run`` (which writes ``table`` and returns it with its URI), report, exit."""
    try:
        df, uri = run()
    except (SettingsError, StorageError) as error:
        print(f"error: {table}: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        # Writes are all-or-nothing: the table keeps its previous version.
        print(f"interrupted: {table} was not written", file=sys.stderr)
        sys.exit(INTERRUPTED)
    print(f"{table}: wrote {len(df):,} rows x {len(df.columns)} columns to {uri}")
    sys.exit(0)
