"""The processes people run: `check`, `web` (gunicorn) and `demo`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.check import problems
from bot.deps import Deps
from tests.conftest import EXAMPLE_CONFIG, ROOT
from tests.fakes.slack_api import Fault, SlackStandIn


def test_check_names_each_unreachable_channel(deps: Deps, slack: SlackStandIn) -> None:
    slack.fail("conversations.info", Fault(error="channel_not_found"))
    assert problems(deps) == ["departments.support.channel C0SUPPORT01: channel_not_found"]


def test_check_reports_a_bad_token(deps: Deps, slack: SlackStandIn) -> None:
    slack.fail("auth.test", Fault(error="invalid_auth"))
    assert problems(deps) == ["slack: auth.test failed: invalid_auth"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_web_process_serves_health_under_gunicorn(tmp_path: Path, slack: SlackStandIn) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path}/web.db"
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "INGEST_SECRET": "i",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": url,
        "CASEBOT_CONFIG": str(EXAMPLE_CONFIG),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "web"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "web did not answer /healthz within 20 s"
                time.sleep(0.2)
        assert body == {"ok": True, "database": "ok", "outbox": {}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_runs_offline_and_shows_the_flow() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "--- #billing (2 cards)" in out, "C-1 routed there, C-2 escalated there"
    assert "✅ Resolved (double-charge) · owner @ana" in out
    assert "➡️ Escalated to *Billing* by @ben — the case lives there now." in out
    assert "to ben: C-1 is already owned by @ana." in out
    assert "*⏰ 1 SLA reminder*" in out
    assert "🔄 On call for *PR & Social* now: @kai" in out
