"""The status page from the real `web` process (gunicorn): answered, and its token kept
out of the access log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bot import intake, status
from bot.demo.standin import SlackStandIn
from bot.posts import Author, IncomingPost
from config.load import load_config
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG, START
from tests.support.processes import free_port, run_bot, start_bot, stop, wait_healthy, web_env


def test_gunicorn_serves_the_page_and_logs_no_token(tmp_path: Path, slack: SlackStandIn) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port)
    assert run_bot(["migrate"], env).returncode == 0
    db = Database(env["DATABASE_URL"])
    with db.session() as s:
        post = IncomingPost(
            source="web", external_id="p1", text="hello", author=Author(id="a1", name="Dana")
        )
        case_id = intake.receive(s, post, now=START, config=load_config(EXAMPLE_CONFIG)).case_id
        token = status.mint_link(s, case_id=case_id, now=START)
    db.dispose()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = start_bot(["web"], env, out)
        try:
            wait_healthy(port)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                page = client.get(f"/status/{token}")
                missing = client.get(f"/status/{status.new_token()}")
        finally:
            stop(proc)
    assert page.status_code == 200 and "Your case C-1" in page.text
    assert missing.status_code == 404
    text = log.read_text()
    assert token not in text
    paths = [
        r["path"] for r in map(json.loads, text.splitlines()) if r.get("event") == "http.request"
    ]
    assert paths.count("/status/…") == 2
