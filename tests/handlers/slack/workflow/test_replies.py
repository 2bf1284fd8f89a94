"""Replies to the customer, end to end: `/case reply` or the Reply modal → the outbox →
the source's webhook connector → a local HTTP server standing in for the customer's
channel. Only Reply reaches the customer, once, signed; the thread says what happened.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from storage.models import Case, Outbox, Reply, SlaClock
from tests.conftest import INGEST_SECRET, START, count, drain
from tests.handlers.channels.remotes import Answer, HttpRemote, Request
from tests.support.flows import (
    ANA,
    BEN,
    CAI,
    SUPPORT,
    answers,
    audit,
    only_card,
    open_case,
    thread_texts,
)
from tests.support.slackforms import block_action, response_json, send, view_submission
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

DELIVERED = "✉️ Reply delivered to the customer"


def _verified(req: Request) -> dict[str, object]:
    """The JSON the remote got, after checking it the way an integration would."""
    assert (req.method, req.path) == ("POST", "/replies")
    assert req.headers["content-type"] == "application/json"
    stamp = req.headers["x-casebot-timestamp"]
    mac = hmac.new(INGEST_SECRET.encode(), stamp.encode() + b"." + req.body, hashlib.sha256)
    assert hmac.compare_digest(req.headers["x-casebot-signature"], "sha256=" + mac.hexdigest())
    body = req.json()
    assert req.headers["idempotency-key"] == body["key"]
    return dict(body)


def _first_response(deps: Deps) -> tuple[datetime | None, datetime | None]:
    """(case.first_response_at, the first-response clock's stop), naive UTC for comparing."""
    with deps.db.session() as s:
        case = s.get(Case, 1)
        clock = s.exec(
            select(SlaClock).where(SlaClock.case_id == 1, SlaClock.name == "first_response")
        ).one()
        return _naive(case.first_response_at), _naive(clock.stopped_at)


def _naive(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=None) if at else None


def _reply(deps: Deps) -> Reply:
    with deps.db.session() as s:
        reply = s.exec(select(Reply)).one()
        s.expunge(reply)
        return reply


def _approval_message(slack: SlackStandIn) -> Message:
    card = only_card(slack, SUPPORT)
    [msg] = [m for m in slack.thread(SUPPORT, card.ts) if m.blocks]
    return msg


def _decide(
    user: SlackClientSim, slack: SlackStandIn, action: str, who: str, msg: Message | None = None
) -> None:
    """Click a draft's button; `msg` is a copy of the draft as a stale client still shows
    it (with its buttons), else the draft as Slack shows it now."""
    msg = msg or _approval_message(slack)
    [value] = [
        e["value"]
        for b in msg.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action
    ]
    payload = block_action(
        action,
        value,
        user=who,
        message_ts=msg.ts,
        thread_ts=msg.thread_ts,
        response_url=user.response_url,
    )
    assert send(user, payload).status_code == 200


# ---- straight through -----------------------------------------------------------------


def test_reply_by_command_reaches_the_customer_once_signed(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    time_source.advance(timedelta(minutes=7))
    remote.answers.append(Answer(200, {"id": "msg-77"}))
    user.command("reply C-1 Sorry! &lt;3 A new one ships today &amp; free.", user=ANA)
    drain(worker)

    assert answers(slack) == ["Replying to the customer on C-1."]
    [req] = remote.requests
    body = _verified(req)
    assert {k: v for k, v in body.items() if k != "key"} == {
        "case": "C-1",
        "source": "web",
        "text": "Sorry! <3 A new one ships today & free.",
        "in_reply_to": "p1",
        "conversation_id": None,
        "subject": None,
        "private": False,
        "customer": {"handle": "@cust1", "email": None},
    }
    card = only_card(slack, SUPPORT)
    assert thread_texts(slack, card) == [
        f"📤 <@{ANA}> is replying to the customer:\n"
        "> Sorry! &lt;3 A new one ships today &amp; free.",
        DELIVERED,
    ]
    reply = _reply(deps)
    assert (reply.status, reply.external_id, reply.author_id) == ("sent", "msg-77", ANA)
    answered = START.replace(tzinfo=None) + timedelta(minutes=7)
    assert _first_response(deps) == (answered, answered)
    assert "first response due" not in json.dumps(card.blocks, ensure_ascii=False)
    assert audit(deps)[1:] == [("reply_requested", ANA, "command"), ("reply_sent", ANA, "worker")]

    time_source.advance(timedelta(hours=1))
    drain(worker)
    assert len(remote.requests) == 1, "sent once, whatever runs later"


def test_reply_by_modal(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
) -> None:
    open_case(http, worker)
    card = only_card(slack, SUPPORT)
    send(
        user,
        block_action(
            "case_reply", '{"case":1}', user=BEN, message_ts=card.ts, response_url=user.response_url
        ),
    )
    view = slack.views[-1]["view"]
    typed = "Hi <name>, we're on it & will write back\nby tonight."
    resp = send(user, view_submission(view, {"reply_text": typed}, user=BEN))
    assert response_json(resp) is None, "the modal closes"
    drain(worker)

    [req] = remote.requests
    assert _verified(req)["text"] == typed, "the customer gets exactly what was typed"
    assert thread_texts(slack, card)[-1] == DELIVERED
    assert audit(deps)[1:] == [("reply_requested", BEN, "modal"), ("reply_sent", BEN, "worker")]


def test_later_replies_keep_the_first_response_time(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    user.command("reply 1 first", user=ANA)
    drain(worker)
    first = _first_response(deps)
    time_source.advance(timedelta(hours=2))
    user.command("reply 1 second", user=ANA)
    drain(worker)
    assert [_verified(r)["text"] for r in remote.requests] == ["first", "second"]
    assert len({_verified(r)["key"] for r in remote.requests}) == 2, "two replies, two keys"
    assert _first_response(deps) == first


# ---- approval -------------------------------------------------------------------------


def test_reply_needing_approval_is_sent_by_a_second_person(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker, source="shop")
    user.command("reply 1 We refunded you in full.", user=ANA)
    drain(worker)

    assert answers(slack) == ["Your reply on C-1 waits for a second person's OK."]
    draft = _approval_message(slack)
    assert draft.text == (
        f"✋ <@{ANA}> drafted a reply; it needs a second person's approval:\n"
        "> We refunded you in full."
    )
    assert remote.requests == [], "nothing goes out before approval"
    assert _first_response(deps) == (None, None), "the customer has not been answered yet"

    _decide(user, slack, "reply_approve", ANA)
    drain(worker)
    assert answers(slack)[-1] == "A second person must approve this reply, not its author."
    assert remote.requests == []

    time_source.advance(timedelta(minutes=20))
    stale = copy.deepcopy(_approval_message(slack))
    _decide(user, slack, "reply_approve", BEN)
    drain(worker)
    [req] = remote.requests
    assert _verified(req)["text"] == "We refunded you in full."
    assert thread_texts(slack, only_card(slack, SUPPORT))[-2:] == [
        f"👍 <@{BEN}> approved the reply; sending it",
        DELIVERED,
    ]
    reply = _reply(deps)
    assert (reply.status, reply.author_id, reply.approver_id) == ("sent", ANA, BEN)
    approved = START.replace(tzinfo=None) + timedelta(minutes=20)
    assert _first_response(deps) == (approved, approved)

    _decide(user, slack, "reply_approve", CAI, stale)
    _decide(user, slack, "reply_discard", CAI, stale)
    drain(worker)
    assert answers(slack)[-2:] == ["C-1: that reply is no longer waiting for approval."] * 2
    assert len(remote.requests) == 1
    assert audit(deps)[1:] == [
        ("reply_requested", ANA, "command"),
        ("reply_approved", BEN, "button"),
        ("reply_sent", ANA, "worker"),
    ]


def test_a_discarded_draft_never_goes_out(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
) -> None:
    open_case(http, worker, source="shop")
    user.command("reply 1 Oops, wrong customer", user=ANA)
    drain(worker)
    stale = copy.deepcopy(_approval_message(slack))
    _decide(user, slack, "reply_discard", BEN)
    _decide(user, slack, "reply_approve", CAI, stale)
    drain(worker)
    assert remote.requests == []
    assert answers(slack)[-1] == "C-1: that reply is no longer waiting for approval."
    assert thread_texts(slack, only_card(slack, SUPPORT))[-1] == (
        f"🗑️ <@{BEN}> discarded the draft reply"
    )
    assert _reply(deps).status == "discarded"
    assert _first_response(deps) == (None, None)
    assert audit(deps)[-1] == ("reply_discarded", BEN, "button")


# ---- the remote fails -----------------------------------------------------------------


def test_server_error_is_retried_with_the_same_key_and_sent_once(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    remote.answers += [Answer(503, {"error": "busy"}), Answer(502), Answer(200, {"id": "m1"})]
    user.command("reply 1 On its way!", user=ANA)
    user.command("note 1 told them", user=ANA)
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert len(remote.requests) == 1
    assert _reply(deps).status == "queued"
    assert DELIVERED not in thread_texts(slack, card)
    assert f"📝 Note from <@{ANA}>:\n> told them" in thread_texts(slack, card), (
        "the customer channel's outage does not hold up the case's Slack messages"
    )

    for _ in range(2):
        time_source.advance(timedelta(minutes=6))
        drain(worker)
    bodies = [_verified(r) for r in remote.requests]
    assert len(bodies) == 3
    assert all(b == bodies[0] for b in bodies), "a retry is the same request, same key"
    lines = thread_texts(slack, card)
    assert sorted(lines) == sorted(
        [
            f"📤 <@{ANA}> is replying to the customer:\n> On its way!",
            DELIVERED,
            f"📝 Note from <@{ANA}>:\n> told them",
        ]
    )
    assert lines.index(DELIVERED) > 0

    time_source.advance(timedelta(hours=1))
    drain(worker)
    assert len(remote.requests) == 3
    reply = _reply(deps)
    assert (reply.status, reply.external_id) == ("sent", "m1")
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status != "sent") == 0


def test_retry_after_from_the_remote_is_honoured(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    remote.answers.append(Answer(429, {"error": "slow down"}, headers={"Retry-After": "120"}))
    user.command("reply 1 Hello", user=ANA)
    drain(worker)
    time_source.advance(timedelta(seconds=90))
    drain(worker)
    assert len(remote.requests) == 1, "not before the remote's Retry-After"
    time_source.advance(timedelta(seconds=31))
    drain(worker)
    assert len(remote.requests) == 2
    assert _reply(deps).status == "sent"


def test_client_error_is_not_retried_and_the_thread_says_so(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    remote.answers.append(Answer(422, {"error": "customer blocked replies"}))
    user.command("reply 1 Hello again", user=ANA)
    drain(worker)
    time_source.advance(timedelta(hours=1))
    drain(worker)

    assert len(remote.requests) == 1
    lines = thread_texts(slack, only_card(slack, SUPPORT))
    assert lines[-1] == (
        "⚠️ The reply could not be sent: webhook answered 422: customer blocked replies"
    )
    assert DELIVERED not in lines
    reply = _reply(deps)
    assert (reply.status, reply.error) == (
        "failed",
        "webhook answered 422: customer blocked replies",
    )
    with deps.db.session() as s:
        [row] = s.exec(select(Outbox).where(Outbox.kind == "reply")).all()
        assert row.status == "failed"
    assert audit(deps)[-1] == ("reply_failed", ANA, "worker")


def test_a_reply_that_never_went_out_does_not_count_as_an_answer(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    remote: HttpRemote,
) -> None:
    open_case(http, worker)
    remote.answers.append(Answer(400, {"error": "rejected"}))
    user.command("reply 1 Hello", user=ANA)
    drain(worker)
    assert _reply(deps).status == "failed"
    assert _first_response(deps) == (None, None)
