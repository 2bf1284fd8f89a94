"""`python -m bot …`: the same command line as the installed `casebot` (bot/cli.py).

Started with a Python that lacks Casebot's packages (the system one, say), it says so in
one line instead of an import traceback.
"""

from __future__ import annotations

import sys

OWN_PACKAGES = {"bot", "config", "handlers", "storage"}

try:
    from bot.cli import main
except ModuleNotFoundError as exc:
    if (exc.name or "").split(".")[0] in OWN_PACKAGES:
        raise
    sys.exit(
        f"casebot: Python package {exc.name!r} is not installed for {sys.executable};"
        " run `make` once, then use .venv/bin/casebot (or `. .venv/bin/activate`)"
    )

if __name__ == "__main__":
    main()
