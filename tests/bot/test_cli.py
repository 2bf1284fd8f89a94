"""The processes people run: `check`, `web` (gunicorn) and `demo`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from bot.check import problems
from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.slack.client import make_client
from tests.conftest import ROOT, sample_post, sign
from tests.support.processes import (
    clean_env,
    free_port,
    run_bot,
    start_bot,
    stop,
    wait_healthy,
    web_env,
)


def test_check_names_each_unreachable_channel(deps: Deps, slack: SlackStandIn) -> None:
    slack.fail("conversations.info", Fault(error="channel_not_found"))
    assert problems(deps) == ["departments.support.channel C0SUPPORT01: channel_not_found"]


def test_check_reports_a_bad_token(deps: Deps, slack: SlackStandIn) -> None:
    slack.fail("auth.test", Fault(error="invalid_auth"))
    assert problems(deps) == ["slack: auth.test failed: invalid_auth"]


def test_web_process_serves_health_under_gunicorn(tmp_path: Path, slack: SlackStandIn) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port)
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    try:
        assert wait_healthy(port) == {
            "ok": True,
            "database": "ok",
            "outbox": {},
            "backlog": 0,
            "oldest_age_seconds": None,
            "detection_queue": {"depth": 0, "oldest_age_seconds": None},
            "pollers": [],
        }
    finally:
        stop(proc)


def test_serve_runs_web_and_worker_in_one_process(tmp_path: Path, slack: SlackStandIn) -> None:
    """The one-machine mode end to end: migrate, accept a signed post over HTTP, and the
    in-process worker delivers its card to Slack; stopped, it logs no error (its
    scheduler stops before the interpreter does)."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = start_bot(["serve"], web_env(tmp_path, slack.api_url, port), out)
    try:
        wait_healthy(port)
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
        stop(proc)
    levels = {json.loads(line)["level"] for line in _lines(log)}
    assert levels <= {"info", "warning"}, log.read_text()


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
    assert "✅ Resolved (double-charge) · answered elsewhere · owner @ana" in out
    assert "➡️ Escalated to *Billing* by @ben — the case lives there now." in out
    assert "to ben: C-1 is already owned by @ana." in out
    assert "*⏰ 1 SLA reminder*" in out
    assert "🔄 On call for *PR & Social* now: @kai" in out


COMMANDS = ("web", "worker", "serve", "migrate", "check", "report", "demo", "standin")


def test_help_describes_every_command() -> None:
    out = run_bot(["--help"], clean_env()).stdout
    for command in COMMANDS:
        line = next((x for x in out.splitlines() if x.split()[:1] == [command]), "")
        assert len(line.split()) > 3, f"{command} has no description in --help"
    report = run_bot(["report", "--help"], clean_env()).stdout
    assert "--since" in report and "--format" in report


def test_the_installed_casebot_command_is_what_the_readme_uses() -> None:
    casebot = Path(sys.executable).parent / "casebot"
    result = subprocess.run([casebot, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("usage: casebot ")
    readme = (ROOT / "README.md").read_text()
    for command in COMMANDS:
        assert f"`casebot {command}" in readme, f"README never shows `casebot {command}`"
    assert readme.count("python -m bot") == 1, "one note that it is the same as casebot"
    assert "make run CMD=" in readme and ". .venv/bin/activate" in readme


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_web_logs_nothing_but_json_and_no_bolt_warning(tmp_path: Path, slack: SlackStandIn) -> None:
    """stdout and stderr of the real web process (gunicorn's own log, the access log,
    Bolt, the app): every line is a JSON object."""
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port)
    assert run_bot(["migrate"], env).returncode == 0
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = start_bot(["web"], env, out)
        try:
            wait_healthy(port)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                assert client.get("/nowhere").status_code == 404
        finally:
            stop(proc)
    records = [json.loads(line) for line in _lines(log)]
    assert all(isinstance(r, dict) and r["level"] and r["event"] for r in records)
    assert not [r for r in records if "will be unused" in r["event"]]
    assert not [r for r in records if "will be ignored" in r["event"]]
    requests = [r for r in records if r["event"] == "http.request"]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
        ("GET", "/healthz", 200),
        ("GET", "/nowhere", 404),
    }
    assert any(r["logger"] == "gunicorn.error" and "Listening" in r["event"] for r in records)


def test_web_binds_the_host_it_is_given(tmp_path: Path, slack: SlackStandIn) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port, HOST="127.0.0.2")
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    try:
        assert wait_healthy(port, host="127.0.0.2")["ok"] is True
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        stop(proc)


def test_the_standin_runs_on_its_own_and_prints_what_it_receives() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "standin", "--port", str(port)],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first == f"SLACK_API_URL=http://127.0.0.1:{port}/api/"
        client = make_client("xoxb-local", first.removeprefix("SLACK_API_URL="))
        assert client.chat_postMessage(channel="C0SUPPORT01", text="hello")["ok"]
        call = json.loads(proc.stdout.readline())
        assert call == {
            "method": "chat.postMessage",
            "args": {"channel": "C0SUPPORT01", "text": "hello"},
        }
        assert "xoxb-local" not in json.dumps(call)
    finally:
        stop(proc)


def _cells(row: str) -> int:
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def test_readme_tables_are_well_formed() -> None:
    """Each Markdown table keeps one indentation (a row at another one falls out of the
    list item and breaks the table) and one column count."""
    lines = (ROOT / "README.md").read_text().splitlines()
    tables: list[list[str]] = []
    for prev, line in zip(["", *lines], lines, strict=False):
        if line.lstrip().startswith("|"):
            if not prev.lstrip().startswith("|"):
                tables.append([])
            tables[-1].append(line)
    assert len(tables) >= 5
    for table in tables:
        indent = {len(row) - len(row.lstrip()) for row in table}
        assert len(indent) == 1, f"rows at different indentation: {table[0]!r}…"
        columns = {_cells(row) for row in table}
        assert len(columns) == 1, f"rows with different column counts: {table[0]!r}…"
