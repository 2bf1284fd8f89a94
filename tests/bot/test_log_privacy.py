"""Customer text and addresses never reach the logs, at any level: not through SQLAlchemy's
bound parameters in a database error, not through slack_sdk's request bodies at DEBUG."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.demo.signed import SlackUser
from bot.demo.standin import SlackStandIn
from storage.db import Database
from storage.models import Customer
from tests.conftest import START, sample_post, sign
from tests.support.processes import free_port, start_bot, stop, wait_healthy, web_env

SECRET_TEXT = "Zanzibar-7731 refund for my quokka blender"
SECRET_MAIL = "quokka.owner.7731@example.org"


class _Poster:
    """Sends the signed Slack requests of `SlackUser` over a real socket."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, *, data: str, headers: dict[str, str]) -> int:
        request = urllib.request.Request(self.base + path, data=data.encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=5) as r:
            return int(r.status)


def test_a_post_and_its_card_leave_no_customer_text_in_the_logs_at_debug(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port, LOG_LEVEL="DEBUG")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = start_bot(["serve"], env, out)
        try:
            wait_healthy(port)
            post = sample_post(1, f"{SECRET_TEXT}, write to {SECRET_MAIL}")
            post["author"]["email"] = SECRET_MAIL
            body = json.dumps(post).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/ingest/web",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Casebot-Signature": sign(body, "i"),
                },
            )
            with urllib.request.urlopen(request, timeout=5) as r:
                assert r.status == 202
            deadline = time.monotonic() + 15
            while not (cards := slack.calls_to("chat.postMessage")):
                assert time.monotonic() < deadline, "the worker did not deliver the card"
                time.sleep(0.2)
            assert SECRET_TEXT in json.dumps(cards[0].args["blocks"])
            agent = SlackUser(_Poster(f"http://127.0.0.1:{port}"), slack.response_url(), secret="s")
            assert agent.command(f"note C-1 {SECRET_TEXT} again") == 200
            assert agent.command("show C-1") == 200
            deadline = time.monotonic() + 15
            while len(slack.responses) < 2:
                assert time.monotonic() < deadline, "the commands were not answered"
                time.sleep(0.2)
        finally:
            stop(proc)
    lines = log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert any(r["level"] == "debug" for r in records), "the process did log at DEBUG"
    leaks = [line for line in lines if "quokka" in line or "Zanzibar" in line]
    assert leaks == []


@pytest.mark.both_db
def test_database_errors_do_not_carry_the_values_they_were_given(db: Database) -> None:
    with db.session() as session:
        session.add(Customer(id=1, name="first", created_at=START))
    with pytest.raises(IntegrityError) as failure, db.session() as session:
        session.add(Customer(id=1, name=SECRET_TEXT, email=SECRET_MAIL, created_at=START))
    assert "quokka" not in str(failure.value) and "Zanzibar" not in str(failure.value)
