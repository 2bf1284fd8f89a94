"""A worker pays only for the channels its sources use: with no source that polls or sends
replies (the example config), the HTTP client, the feed parser and `smtplib` stay out of
it (`bot.worker.pollers`, `handlers.channels.replies.build_connector`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_LIBRARIES = {"httpx", "feedparser", "smtplib"}


def test_a_worker_without_polled_or_replying_sources_leaves_their_libraries_out() -> None:
    code = (
        "import sys\n"
        "from bot.deps import Deps\n"
        "from bot.worker import delivery, pollers\n"
        "from config.load import load_config\n"
        "from config.settings import Settings\n"
        "from storage.db import Database\n"
        "url = 'sqlite:///:memory:'\n"
        "deps = Deps(settings=Settings(slack_bot_token='xoxb-t', database_url=url),\n"
        f"            config=load_config({str(EXAMPLE_CONFIG)!r}), db=Database(url))\n"
        "delivery(deps, env={})\n"
        "assert pollers(deps, env={}) == []\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert CHANNEL_LIBRARIES.isdisjoint(loaded), CHANNEL_LIBRARIES & loaded
