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
from tests.conftest import EXAMPLE_CONFIG, ROOT, sample_post, sign
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


def _env(tmp_path: Path, slack: SlackStandIn, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "INGEST_SECRET": "i",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/web.db",
        "CASEBOT_CONFIG": str(EXAMPLE_CONFIG),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }


def _wait_healthy(port: int) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                return dict(json.loads(r.read()))
        except OSError:
            assert time.monotonic() < deadline, "no answer on /healthz within 20 s"
            time.sleep(0.2)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_web_process_serves_health_under_gunicorn(tmp_path: Path, slack: SlackStandIn) -> None:
    port = _free_port()
    env = _env(tmp_path, slack, port)
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True)
    proc = _start(["web"], env)
    try:
        assert _wait_healthy(port) == {"ok": True, "database": "ok", "outbox": {}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_runs_web_and_worker_in_one_process(tmp_path: Path, slack: SlackStandIn) -> None:
    """The one-machine mode end to end: migrate, accept a signed post over HTTP, and the
    in-process worker delivers its card to Slack."""
    port = _free_port()
    proc = _start(["serve"], _env(tmp_path, slack, port))
    try:
        _wait_healthy(port)
        body = json.dumps(sample_post(1, "Hello from a real socket")).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/ingest/web",
            data=body,
            headers={"Content-Type": "application/json", "X-Casebot-Signature": sign(body, "i")},
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert (r.status, json.loads(r.read())["case"]) == (202, "C-1")
        deadline = time.monotonic() + 15
        while not slack.channel("C0SUPPORT01"):
            assert time.monotonic() < deadline, "the worker did not deliver the card"
            time.sleep(0.2)
        assert "Hello from a real socket" in str(slack.channel("C0SUPPORT01")[0].blocks)
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
