"""Outbox delivery: retries, crashes and several workers never lose or double a message."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from bot import cards
from bot import cases as bot_cases
from bot.cards import CardView
from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery, deliver_due
from bot.timesource import ManualTime
from bot.worker import delivery
from storage import outbox
from storage.models import Case, Outbox
from tests.conftest import count, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def _posted(slack: SlackStandIn) -> int:
    return len(slack.calls_to("chat.postMessage"))


def test_rate_limited_then_ok_delivers_the_card_once(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "0"}))
    post_json(http, "web", sample_post(1))
    assert drain(worker) == 1
    assert _posted(slack) == 2, "one 429, one success"
    assert len(slack.channel("C0SUPPORT01")) == 1


def test_rate_limit_beyond_client_retries_waits_retry_after(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    slack.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "0"}, times=3))
    post_json(http, "web", sample_post(1))
    assert drain(worker) == 0
    with deps.db.session() as s:
        row = s.get(Outbox, 1)
        assert (row.status, row.last_error) == ("pending", "ratelimited")
    time_source.advance(1)
    assert drain(worker) == 1
    assert len(slack.channel("C0SUPPORT01")) == 1


def test_server_errors_are_retried_with_backoff_and_nothing_is_lost(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    slack.fail("chat.postMessage", Fault(status=503, error="service_unavailable", times=4))
    post_json(http, "web", sample_post(1))
    for _ in range(4):
        assert drain(worker) == 0
        time_source.advance(timedelta(minutes=6))
    assert drain(worker) == 1
    assert len(slack.channel("C0SUPPORT01")) == 1


def test_slack_acted_but_the_answer_was_lost_is_not_posted_twice(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    slack.fail("chat.postMessage", Fault(after_effect=True))
    post_json(http, "web", sample_post(1))
    assert drain(worker) == 0
    assert len(slack.channel("C0SUPPORT01")) == 1, "Slack did post it"
    time_source.advance(timedelta(minutes=6))
    assert drain(worker) == 1
    assert len(slack.channel("C0SUPPORT01")) == 1, "the retry adopted it instead of reposting"
    assert _posted(slack) == 1


def test_worker_killed_mid_delivery_resumes_after_its_lease(
    deps: Deps, http: FlaskClient, slack: SlackStandIn, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1))
    with deps.db.session() as s:
        assert len(outbox.claim_due(s, now=time_source.now(), limit=10)) == 1
    fresh = delivery(deps)
    assert deliver_due(fresh) == 0, "the dead worker's lease still holds"
    time_source.advance(outbox.LEASE + timedelta(seconds=1))
    assert drain(fresh) == 1
    assert len(slack.channel("C0SUPPORT01")) == 1


def test_thread_line_waits_for_its_card(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    slack.fail("chat.postMessage", Fault(status=500, error="internal_error"))
    post_json(http, "web", sample_post(1))
    user.command("claim 1")
    assert drain(worker) == 0, "the card failed, so its thread line may not go first"
    time_source.advance(timedelta(minutes=6))
    assert drain(worker) == 2, "one card (the claim's refresh coalesced into it), one line"
    [card] = slack.channel("C0SUPPORT01")
    assert "Owner: <@U0ANA0001>" in str(card.blocks)
    assert [m.text for m in slack.thread("C0SUPPORT01", card.ts)] == ["🙋 Claimed by <@U0ANA0001>"]


def test_permanent_error_is_parked_as_failed(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", Fault(error="not_in_channel"))
    post_json(http, "web", sample_post(1))
    assert drain(worker) == 0
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status == "failed") == 1


def test_two_workers_draining_at_once_send_each_message_once(
    deps: Deps, http: FlaskClient, slack: SlackStandIn
) -> None:
    for n in range(1, 31):
        post_json(http, "web", sample_post(n, f"post {n}"))
    workers = [delivery(deps) for _ in range(3)]
    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _posted(slack) == 30
    assert len(slack.channel("C0SUPPORT01")) == 30
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status == "sent") == 30


def test_a_deleted_card_is_posted_again_on_the_next_change(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    post_json(http, "web", sample_post(1))
    drain(worker)
    slack.messages["C0SUPPORT01"].clear()
    user.command("claim 1")
    drain(worker)
    [card] = slack.channel("C0SUPPORT01")
    assert "Owner: <@U0ANA0001>" in str(card.blocks)
    assert [m.text for m in slack.thread("C0SUPPORT01", card.ts)] == ["🙋 Claimed by <@U0ANA0001>"]


def test_thread_lines_of_a_card_that_failed_for_good_are_parked_not_retried_forever(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    slack.fail("chat.postMessage", Fault(error="not_in_channel"))
    post_json(http, "web", sample_post(1))
    user.command("claim 1")
    drain(worker)
    drain(worker)
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status == "failed") == 2
        assert count(s, Outbox, Outbox.status == "pending") == 0


def test_a_backlog_in_one_channel_reads_and_renders_each_card_once_at_its_turn(
    deps: Deps,
    http: FlaskClient,
    slack: SlackStandIn,
    time_source: ManualTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten new cases for one channel at Slack's one post a second: a card waiting for
    its turn is deferred before it is read and rendered (its row names the department it
    opened in), so the worker reads and renders each card once, when it goes out, not
    also each time a round finds it not yet due. (One lane:
    lanes that find the channel's last token at once each render, and all but one are
    deferred after; that costs a render a lane at a burst's start, not one a card.)"""
    paced = delivery(
        dataclasses.replace(
            deps, settings=deps.settings.model_copy(update={"slack_channel_rate": 1.0})
        )
    )
    paced = dataclasses.replace(paced, threads=1)
    rendered: list[int] = []
    card_view = cards.card_view

    def counted(session: Session, case_id: int, *args: Any) -> CardView:
        rendered.append(case_id)
        return card_view(session, case_id, *args)

    monkeypatch.setattr(cards, "card_view", counted)
    read: list[int] = []
    get_case = bot_cases.get_case

    def counted_read(session: Session, case_id: int) -> Case:
        read.append(case_id)
        return get_case(session, case_id)

    monkeypatch.setattr(bot_cases, "get_case", counted_read)
    for n in range(1, 11):
        post_json(http, "web", sample_post(n))
    drain(paced)
    assert len(slack.channel("C0SUPPORT01")) == 2, "the pacer's burst, the rest wait"
    for _ in range(12):
        time_source.advance(1)
        drain(paced)
    assert len(slack.channel("C0SUPPORT01")) == 10
    assert sorted(rendered) == list(range(1, 11))
    assert sorted(read) == list(range(1, 11))
