"""docs/ARCHITECTURE.md describes the tree as it is: every module is named there, and
every module it names exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
LAYERS = ("bot", "handlers", "storage", "config")


def _modules() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *LAYERS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        p
        for p in listed
        if p.endswith(".py")
        and not p.endswith("/__init__.py")
        and "/migrations/versions/" not in p
        and (ROOT / p).exists()
    }


def test_every_module_is_named_in_the_architecture() -> None:
    missing = sorted(m for m in _modules() if f"`{m}`" not in DOC)
    assert not missing, f"add to docs/ARCHITECTURE.md: {missing}"


def test_every_module_the_architecture_names_exists() -> None:
    named = set(re.findall(r"`((?:bot|handlers|storage|config)/[\w/]+\.py)", DOC))
    assert named, "the architecture names no module"
    assert sorted(n for n in named if not (ROOT / n).exists()) == []
