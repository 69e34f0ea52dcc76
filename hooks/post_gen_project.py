"""Finish a freshly generated project: its ``.env`` and its stored answers.

* ``.env`` is ``.env.example`` with the chosen storage backend; it is private to the
  machine (git-ignored, readable by its owner only) because it may hold secrets.
* ``.polster-answers.json`` keeps the answers given to the template, in cookiecutter's
  replay format (``cookiecutter --replay-file .polster-answers.json <template>``
  regenerates the same project). Later ``polster`` commands read the project's settings
  from it. Cookiecutter's own path entries are left out: they hold absolute paths of the
  machine that generated the project.

Nothing here touches the network or installs anything.
"""

import json
import os
import shutil
import sys
from pathlib import Path

CONTEXT = json.loads(r"""{{ cookiecutter | jsonify }}""")

ANSWERS_FILE = ".polster-answers.json"


def write_env_file(project: Path, backend: str) -> None:
    lines = (project / ".env.example").read_text().splitlines()
    chosen = [
        f"STORAGE_BACKEND={backend}" if line.startswith("STORAGE_BACKEND=") else line
        for line in lines
    ]
    env_file = project / ".env"
    env_file.write_text("\n".join(chosen) + "\n")
    os.chmod(env_file, 0o600)


# Cookiecutter's own entries, which hold paths of the machine that generated the project.
MACHINE_KEYS = {"_template", "_output_dir", "_repo_dir", "_checkout"}


def write_answers(project: Path, context: dict) -> None:
    answers = {key: value for key, value in context.items() if key not in MACHINE_KEYS}
    text = json.dumps({"cookiecutter": answers}, indent=2, sort_keys=True) + "\n"
    (project / ANSWERS_FILE).write_text(text)


def remove_unwanted_files(project: Path, context: dict) -> None:
    """Drop the optional files the answers said no to."""
    # Cookiecutter has already turned answers such as "no" or "n" into booleans.
    if not context.get("ci_workflow", True):
        shutil.rmtree(project / ".github")


def main() -> int:
    """Finish the project; on failure say why in one line (cookiecutter then removes it)."""
    project_dir = Path.cwd()
    try:
        remove_unwanted_files(project_dir, CONTEXT)
        write_env_file(project_dir, CONTEXT["storage_backend"])
        write_answers(project_dir, CONTEXT)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(
            f"error: could not finish the project: {error.strerror or error}{where}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
