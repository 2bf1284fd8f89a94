"""The layering rules of ../shared/ARCHITECTURE.md, enforced: the core knows nothing of Slack or
handlers, storage knows nothing of the core, handlers hold no SQL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EDGE_OF_BOT = {"app.py", "worker.py", "__main__.py", "server.py", "check.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _core_modules() -> list[Path]:
    return [
        p
        for p in (ROOT / "bot").rglob("*.py")
        if not {"slack", "demo"} & set(p.relative_to(ROOT / "bot").parts)
        and p.name not in EDGE_OF_BOT
    ]


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_does_not_import_slack_or_handlers(path: Path) -> None:
    bad = {n for n in _imports(path) if n.split(".")[0] in {"slack_bolt", "slack_sdk", "handlers"}}
    assert not bad


@pytest.mark.parametrize(
    "path", sorted((ROOT / "storage").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_storage_does_not_import_core_or_handlers(path: Path) -> None:
    assert not {n for n in _imports(path) if n.split(".")[0] in {"bot", "handlers"}}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "handlers").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_handlers_hold_no_sql(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not {n for n in _imports(path) if n.split(".")[0] in {"sqlalchemy", "sqlmodel"}}
    assert ".commit(" not in text and "select(" not in text


def test_web_and_worker_never_import_the_slack_stand_in() -> None:
    """`bot.demo` (the Slack stand-in, signed requests) is a demo and test tool: nothing
    `casebot web` or `casebot worker` loads imports it."""
    probe = (
        "import sys\n"
        "import bot.cli, bot.server, bot.worker, bot.app, bot.check, bot.metrics\n"
        "import handlers.ingest, handlers.slack.door\n"
        "print(sorted(m for m in sys.modules if m == 'bot.demo' or m.startswith('bot.demo.')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
