"""``python -m polster_lint`` is the same as the ``polster-lint`` command."""

import sys

from polster_lint.cli import main

sys.exit(main())
