"""The acknowledgement end to end: a signed post on `/ingest/{source}` → the case → the
outbox → the source's reply connector (webhook, SMTP via aiosmtpd, Mastodon and X against
a local HTTP server) → exactly one automatic answer with the promise and the status link.
Never for a follow-up, a duplicate, an automated or no-reply sender, or a reply to our
own message; and it answers nobody: the first-response clock keeps running."""

from __future__ import annotations

import email
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlmodel import select

from bot import replies
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.ids import Surface
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import delivery
from config.load import parse_config
from config.schema import CasebotConfig
from config.settings import Settings
from storage.db import Database
from storage.models import Acknowledgement, Case, Outbox, SlaClock, StatusLink
from tests.conftest import EXAMPLE_CONFIG, INGEST_SECRET, drain, post_json, sample_post, sign
from tests.handlers.channels.remotes import Answer, HttpRemote, Request, SmtpRemote
from tests.handlers.channels.test_mastodon import status as mastodon_status
from tests.handlers.channels.test_twitter import tweet_payload
from tests.support.flows import SUPPORT, blocks_text, only_card, thread_texts
from tests.support.slackreq import SIGNING_SECRET

pytestmark = pytest.mark.both_db

PUBLIC_URL = "https://care.example.com"
PROMISE = "Monday 13:00 UTC"
"""Opened Monday 09:00 UTC (START); `normal` is 4h on the 24/7 calendar."""
DUE = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/status/[A-Za-z0-9_-]{32})")
ENV = {
    "INGEST_SECRET": INGEST_SECRET,
    "SMTP_USER": "casebot",
    "SMTP_PASSWORD": "smtp-secret-pw",
    "MASTODON_TOKEN": "masto-tok",
    "X_TOKEN": "x-tok",
}


def ack_config(remote: HttpRemote, smtp: SmtpRemote, **web: Any) -> CasebotConfig:
    raw = yaml.safe_load(Path(EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    raw["sources"] = {
        "web": {
            "reply": {"kind": "webhook", "url": f"{remote.url}/replies"},
            "acknowledge": True,
            **web,
        },
        "email": {
            "reply": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp.port,
                "starttls": False,
                "username_env": "SMTP_USER",
                "password_env": "SMTP_PASSWORD",
                "from_address": "care@acme.test",
                "from_name": "Acme Care",
            },
            "acknowledge": True,
        },
        "mastodon": {
            "reply": {"kind": "mastodon", "base_url": remote.url, "visibility": "public"},
            "acknowledge": True,
        },
        "twitter": {"reply": {"kind": "x", "api_base": remote.url}, "acknowledge": True},
    }
    return parse_config(yaml.safe_dump(raw), "ack-test-config")


@pytest.fixture
def config(remote: HttpRemote, smtp: SmtpRemote) -> CasebotConfig:
    return ack_config(remote, smtp)


@pytest.fixture
def deps(db: Database, slack: SlackStandIn, config: CasebotConfig, time_source: ManualTime) -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db.url,
        ingest_secret=INGEST_SECRET,
        public_url=PUBLIC_URL,
    )
    return Deps(settings=settings, config=config, db=db, time=time_source)


@pytest.fixture
def worker(deps: Deps) -> Delivery:
    return delivery(deps, env=ENV)


def post_mail(http: FlaskClient, raw: bytes) -> Any:
    resp = http.post(
        "/ingest/email",
        data=raw,
        headers={"Content-Type": "message/rfc822", "X-Casebot-Signature": sign(raw)},
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


def mail(*headers: str, sender: str = "Dana Kettle <dana@customer.example>") -> bytes:
    lines = [
        f"From: {sender}",
        "To: care@acme.test",
        "Subject: Kettle missing",
        "Date: Mon, 23 Nov 2026 09:00:00 +0000",
        "Message-ID: <dana-1@customer.example>",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "My kettle never arrived. Can you help?",
    ]
    return "\r\n".join(lines).encode()


def at(remote: HttpRemote, path: str) -> list[Request]:
    return [r for r in remote.requests if r.path == path]


def mails(smtp: SmtpRemote) -> list[Message]:
    return [email.message_from_bytes(m.original_content or b"") for m in smtp.sink.messages]


def ack_row(deps: Deps, case_id: int = 1) -> Acknowledgement | None:
    with deps.db.session() as s:
        row = s.get(Acknowledgement, case_id)
        if row is not None:
            s.expunge(row)
        return row


def still_unanswered(deps: Deps, case_id: int = 1) -> None:
    """The acknowledgement is no answer: the first-response clock runs on."""
    with deps.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.first_response_at is None
        clock = s.exec(
            select(SlaClock).where(SlaClock.case_id == case_id, SlaClock.name == "first_response")
        ).one()
        assert clock.stopped_at is None


def opens_the_page(http: FlaskClient, text: str, ref: str = "C-1") -> None:
    match = LINK.search(text)
    assert match, text
    page = http.get(match.group(1))
    assert page.status_code == 200 and f"Your case {ref}" in page.get_data(as_text=True)


def redeliver(deps: Deps, worker: Delivery) -> None:
    """As if the worker died after sending but before recording it: the row comes back."""
    with deps.db.session() as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "acknowledgement")).one()
        row.status, row.lease_until = "pending", None
    drain(worker)


# ---- through each connector kind, exactly once ----------------------------------------


def test_webhook_acknowledges_once_with_the_promise_and_the_link(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote, slack: SlackStandIn
) -> None:
    assert post_json(http, "web", sample_post(1)).status_code == 202
    drain(worker)
    [req] = at(remote, "/replies")
    body = req.json()
    assert body["key"] == "acknowledgement:1"
    assert req.headers["idempotency-key"] == "acknowledgement:1"
    assert body["auto_submitted"] == req.headers["auto-submitted"] == "auto-replied"
    assert body["private"] is True
    assert body["in_reply_to"] == "p1"
    assert body["text"].startswith("Hi Customer, thanks for your message. It is case C-1")
    assert f"a person will answer by {PROMISE}." in body["text"]
    opens_the_page(http, body["text"])

    card = only_card(slack, SUPPORT)
    stamp = int(DUE.timestamp())
    assert f"🤖 Acknowledged, promised by <!date^{stamp}^" in "\n".join(thread_texts(slack, card))
    assert f"Customer acknowledged · promised by <!date^{stamp}^" in blocks_text(card)
    assert f"first response due <!date^{stamp}^" in blocks_text(card)  # the same instant
    still_unanswered(deps)

    redeliver(deps, worker)
    drain(worker)
    assert len(at(remote, "/replies")) == 1


def test_smtp_acknowledges_once_marked_auto_replied(
    deps: Deps, http: FlaskClient, worker: Delivery, smtp: SmtpRemote
) -> None:
    post_mail(http, mail())
    drain(worker)
    [msg] = mails(smtp)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["To"] == "dana@customer.example"
    assert msg["In-Reply-To"] == "<dana-1@customer.example>"
    assert msg["Subject"] == "Re: Kettle missing"
    text = msg.get_payload(decode=True).decode()
    assert text.startswith("Hi Dana Kettle, thanks for your message. It is case C-1")
    assert PROMISE in text
    opens_the_page(http, text)
    still_unanswered(deps)
    redeliver(deps, worker)
    assert len(smtp.sink.messages) == 1


def test_mastodon_acknowledges_once_as_a_direct_message(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote
) -> None:
    assert post_json(http, "mastodon", mastodon_status()).status_code == 202
    drain(worker)
    [req] = at(remote, "/api/v1/statuses")
    body = req.json()
    assert body["visibility"] == "direct"  # the link is the customer's, not the public's
    assert body["in_reply_to_id"] == "113512345678901234"
    assert body["status"].startswith("@lena@chaos.social Hi Lena K, thanks")
    assert req.headers["idempotency-key"] == "acknowledgement:1"
    opens_the_page(http, body["status"])
    redeliver(deps, worker)
    assert len(at(remote, "/api/v1/statuses")) == 1


def test_x_acknowledges_once_in_the_thread(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote
) -> None:
    assert post_json(http, "twitter", tweet_payload()).status_code == 202
    drain(worker)
    [req] = at(remote, "/2/tweets")
    body = req.json()
    assert body["reply"] == {"in_reply_to_tweet_id": "1859273645123456789"}
    assert PROMISE in body["text"] and len(body["text"]) <= 280
    opens_the_page(http, body["text"])
    redeliver(deps, worker)
    assert len(at(remote, "/2/tweets")) == 1


def test_a_retry_sends_the_very_same_message(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote, time_source: ManualTime
) -> None:
    """A 503, then success: the same key and body twice (the link was kept for the
    retry), one link made, and none left in the outbox once it went out."""
    remote.answers.append(Answer(503))
    post_json(http, "web", sample_post(1))
    drain(worker)
    time_source.advance(timedelta(minutes=6))
    drain(worker)
    first, second = at(remote, "/replies")
    assert first.body == second.body
    assert ack_row(deps).state == "sent"
    with deps.db.session() as s:
        assert len(s.exec(select(StatusLink)).all()) == 1
        row = s.exec(select(Outbox).where(Outbox.kind == "acknowledgement")).one()
        assert row.payload == {} and "status/" not in json.dumps(row.result)


def test_a_refused_acknowledgement_says_so_in_the_thread(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote, slack: SlackStandIn
) -> None:
    remote.answers.append(Answer(400, {"error": "customer unknown"}))
    post_json(http, "web", sample_post(1))
    drain(worker)
    assert ack_row(deps).state == "failed"
    card = only_card(slack, SUPPORT)
    lines = thread_texts(slack, card)
    assert lines == [
        "⚠️ The acknowledgement could not be sent: webhook answered 400: customer unknown"
    ]
    assert "Acknowledgement failed" in blocks_text(card)


# ---- never ----------------------------------------------------------------------------


def test_never_for_a_follow_up_or_a_duplicate(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote
) -> None:
    post_json(http, "web", sample_post(1, conversation_id="t-1"))
    drain(worker)
    again = post_json(http, "web", sample_post(1, conversation_id="t-1"))
    assert again.get_json()["duplicate"] is True
    follow_up = {**sample_post(1, "Any news?", conversation_id="t-1"), "id": "p1-b"}
    assert post_json(http, "web", follow_up).get_json()["case"] == "C-1"
    drain(worker)
    assert len(at(remote, "/replies")) == 1


def test_a_customer_answering_the_acknowledgement_joins_the_case(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote
) -> None:
    """On Mastodon threading rests on `in_reply_to_id`: an answer to the acknowledgement
    is a follow-up of its case, not a new case (which would be acknowledged again)."""
    remote.answers.append(Answer(200, {"id": "990001"}))
    post_json(http, "mastodon", mastodon_status())
    drain(worker)
    answer = mastodon_status(id="113512345678909999", in_reply_to_id="990001")
    assert post_json(http, "mastodon", answer).get_json() == {
        "case": "C-1",
        "duplicate": False,
        "post": 2,
    }
    drain(worker)
    assert len(at(remote, "/api/v1/statuses")) == 1


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        (["Auto-Submitted: auto-replied"], "Dana Kettle <dana@customer.example>"),
        (["Precedence: bulk"], "Dana Kettle <dana@customer.example>"),
        (["X-Autoreply: yes"], "Dana Kettle <dana@customer.example>"),
        ([], "Shop <noreply@shop.example>"),
        ([], "MAILER-DAEMON@mx.example"),
    ],
)
def test_never_to_an_automated_sender_which_opens_no_case(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    smtp: SmtpRemote,
    slack: SlackStandIn,
    headers: list[str],
    sender: str,
) -> None:
    """Automated mail is accepted but never opens a case on its own (issue 13), so there
    is nobody to acknowledge and no card."""
    assert post_mail(http, mail(*headers, sender=sender))["case"] is None
    drain(worker)
    assert smtp.sink.messages == []
    assert ack_row(deps) is None
    assert slack.channel(SUPPORT) == []


def test_never_to_ourselves(
    deps: Deps, http: FlaskClient, worker: Delivery, smtp: SmtpRemote
) -> None:
    post_mail(http, mail(sender="Acme <care@acme.test>"))
    drain(worker)
    assert smtp.sink.messages == []
    assert ack_row(deps).state == "skipped"


@pytest.mark.parametrize(
    "author",
    [
        {"id": "u1", "email": "no-reply@forms.example"},
        {"id": "u2", "handle": "@noreply"},
        {"id": "donotreply+alerts@example.com"},
    ],
)
def test_never_to_a_no_reply_address_on_any_source(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote, author: dict[str, str]
) -> None:
    post_json(http, "web", {"id": "n1", "text": "Order shipped", "author": author})
    drain(worker)
    assert at(remote, "/replies") == []
    assert ack_row(deps).reason == "no-reply sender"


def test_never_for_a_reply_to_our_own_message(
    deps: Deps, http: FlaskClient, worker: Delivery, remote: HttpRemote, time_source: ManualTime
) -> None:
    """The case was resolved; the customer answers our acknowledgement later: a new case
    (it is closed), but it answers us, so no acknowledgement of it."""
    remote.answers.append(Answer(200, {"id": "crm-ack-1"}))
    post_json(http, "web", sample_post(1))
    drain(worker)
    with deps.db.session() as s:
        s.get(Case, 1).status = "resolved"  # type: ignore[union-attr]
    answer = {**sample_post(1, "Thanks!"), "id": "p1-thanks", "in_reply_to": "crm-ack-1"}
    assert post_json(http, "web", answer).get_json()["case"] == "C-2"
    drain(worker)
    assert len(at(remote, "/replies")) == 1
    assert ack_row(deps, 2).reason == "a reply to our own message"


def test_skipped_when_a_person_answered_first(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    remote: HttpRemote,
    slack: SlackStandIn,
    time_source: ManualTime,
) -> None:
    """The webhook was down until after an agent's reply went out: telling the customer
    a person will answer would be untrue by then."""
    remote.answers += [Answer(503), Answer(200, {"id": "reply-1"})]
    post_json(http, "web", sample_post(1))
    drain(worker)
    with deps.db.session() as s:
        replies.request(
            s,
            1,
            text="On it!",
            actor="U0ANA0001",
            surface=Surface.COMMAND,
            now=time_source.now(),
            config=deps.config,
        )
    drain(worker)  # the reply goes out; the acknowledgement waits for its retry
    time_source.advance(timedelta(minutes=6))
    drain(worker)
    texts = [r.json()["text"] for r in at(remote, "/replies")]
    assert texts[-1] == "On it!" and len(texts) == 2
    assert ack_row(deps).reason == "a person answered first"
    lines = thread_texts(slack, only_card(slack, SUPPORT))
    assert "🤖 Not acknowledged: a person answered first" in lines


def test_without_public_url_the_link_line_is_left_out(
    db: Database, slack: SlackStandIn, time_source: ManualTime, remote: HttpRemote, smtp: SmtpRemote
) -> None:
    from bot.app import create_app

    config = ack_config(remote, smtp)
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db.url,
        ingest_secret=INGEST_SECRET,
    )
    deps = Deps(settings=settings, config=config, db=db, time=time_source)
    http = create_app(deps, process_before_response=True).flask.test_client()
    post_json(http, "web", sample_post(1))
    drain(delivery(deps, env=ENV))
    [req] = at(remote, "/replies")
    assert req.json()["text"] == (
        f"Hi Customer, thanks for your message. It is case C-1 with us, and a person will"
        f" answer by {PROMISE}."
    )
    with db.session() as s:
        assert s.exec(select(StatusLink)).all() == []


def test_a_template_is_filled_and_the_name_tamed(
    db: Database, slack: SlackStandIn, time_source: ManualTime, remote: HttpRemote, smtp: SmtpRemote
) -> None:
    """`{name}` is the customer's display name in our voice: no mention, tag or link
    survives in it."""
    from bot.app import create_app

    config = ack_config(
        remote,
        smtp,
        acknowledge={"template": "Dear {name}: {case} answered by {promise}.\nTrack: {status_url}"},
    )
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db.url,
        ingest_secret=INGEST_SECRET,
        public_url=PUBLIC_URL,
    )
    deps = Deps(settings=settings, config=config, db=db, time=time_source)
    http = create_app(deps, process_before_response=True).flask.test_client()
    author = {"id": "a9", "name": "@everyone Zoë https://evil.example #promo <b>"}
    post_json(http, "web", {"id": "t9", "text": "hello", "author": author})
    drain(delivery(deps, env=ENV))
    [req] = at(remote, "/replies")
    first, second = req.json()["text"].splitlines()
    assert first == f"Dear everyone Zoë https evil example promo b: C-1 answered by {PROMISE}."
    assert LINK.fullmatch(second.removeprefix("Track: "))
