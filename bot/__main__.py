"""`python -m bot …`: the same command line as the installed `casebot` (bot/cli.py).

Started with a Python that lacks Casebot's packages (the system one, say), it says so in
one line instead of an import traceback. The check looks the packages up without
importing them: `bot.cli` imports its heavy libraries late (the gunicorn master of
`web` and `serve` never does), so a missing one would otherwise surface mid-command.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

NEEDED = ("sqlalchemy", "sqlmodel", "pydantic", "slack_bolt", "slack_sdk", "gunicorn", "alembic")


def missing_package() -> str | None:
    return next((name for name in NEEDED if find_spec(name) is None), None)


if (missing := missing_package()) is not None:
    sys.exit(
        f"casebot: Python package {missing!r} is not installed for {sys.executable};"
        " run `make` once, then use .venv/bin/casebot (or `. .venv/bin/activate`)"
    )

from bot.cli import main  # noqa: E402 - only once the packages are known to be there

if __name__ == "__main__":
    main()
