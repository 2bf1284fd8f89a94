"""`python -m bot …`: the same command line as the installed `casebot` (bot/cli.py).

Started with a Python that lacks Casebot's packages (the system one, say), it says so in
one line instead of an import traceback. The check reads what is installed (package
metadata) without importing anything: `bot.cli` imports its heavy libraries late (the
gunicorn master of `web` and `serve` never does), so a missing one would otherwise
surface mid-command.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, requires, version

DISTRIBUTION = "casebot"


def missing_package() -> str | None:
    """The first of Casebot's own requirements (pyproject.toml, as installed) that this
    Python lacks, or Casebot itself."""
    try:
        wanted = requires(DISTRIBUTION) or []
    except PackageNotFoundError:
        return DISTRIBUTION
    for requirement in wanted:
        if "extra ==" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        try:
            version(name.group(0) if name else requirement)
        except PackageNotFoundError:
            return name.group(0) if name else requirement
    return None


if (missing := missing_package()) is not None:
    sys.exit(
        f"casebot: Python package {missing!r} is not installed for {sys.executable};"
        " run `make` once, then use .venv/bin/casebot (or `. .venv/bin/activate`)"
    )

from bot.cli import main  # noqa: E402 - only once the packages are known to be there

if __name__ == "__main__":
    main()
