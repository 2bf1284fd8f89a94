"""Delivery that cannot double (issue 9): fenced leases, a lookup over the whole window
since the row was queued before any post after an unknown outcome, Retry-After held
per channel, and the counters that show it from outside."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from slack_sdk import WebClient

from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Attempt, Delivery, LeaseLost, deliver_due
from bot.timesource import ManualTime
from storage import outbox
from storage.models import Outbox
from tests.bot.test_metrics import Delta
from tests.conftest import count, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

SUPPORT, BILLING = "C0SUPPORT01", "C0BILLING01"


def _chatter(slack: SlackStandIn, channel: str, n: int, thread_ts: str | None = None) -> None:
    """Other people's messages landing in the channel (or thread)."""
    client = WebClient(token="xoxb-other", base_url=slack.api_url)
    for i in range(n):
        client.chat_postMessage(channel=channel, text=f"chatter {i}", thread_ts=thread_ts)


def _posted_twice(slack: SlackStandIn) -> list[str]:
    return [key for key, n in slack.posted_keys().items() if n > 1]


def test_a_lost_lease_can_neither_post_nor_record_the_outcome(
    deps: Deps, http: FlaskClient, worker: Delivery, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1))
    with deps.db.session() as s:
        [stale] = outbox.claim_due(s, now=time_source.now(), limit=10)
    time_source.advance(outbox.LEASE + timedelta(seconds=1))
    with deps.db.session() as s:
        [current] = outbox.claim_due(s, now=time_source.now(), limit=10)
    assert current.token == stale.token + 1
    with pytest.raises(LeaseLost):
        Attempt(stale, worker).fence(posting=True)
    with deps.db.session() as s:
        assert not outbox.mark_sent(
            s, row_id=stale.id, token=stale.token, now=time_source.now(), result={}
        )
        assert outbox.renew(s, row_id=current.id, token=current.token, until=time_source.now())
    with deps.db.session() as s:
        row = s.get(Outbox, current.id)
        assert (row.status, row.post_started_at) == ("pending", None)


def test_deferring_puts_back_only_rows_whose_lease_is_still_current(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    """A round's deferrals are one statement for all its rows; a row whose lease another
    worker took over meanwhile keeps that worker's lease and schedule."""
    post_json(http, "web", sample_post(1))
    post_json(http, "web", sample_post(2))
    with deps.db.session() as s:
        first, second = outbox.claim_due(s, now=time_source.now(), limit=10)
    time_source.advance(outbox.LEASE + timedelta(seconds=1))
    with deps.db.session() as s:
        taken_over = outbox.claim_due(s, now=time_source.now(), limit=1)
    assert [r.id for r in taken_over] == [first.id]
    later = time_source.now() + timedelta(seconds=30)
    with deps.db.session() as s:
        outbox.defer_all(s, [(first.id, first.token, later), (second.id, second.token, later)])
    with deps.db.session() as s:
        kept, put_back = s.get(Outbox, first.id), s.get(Outbox, second.id)
        assert (kept.lease_token, kept.lease_until is not None) == (first.token + 1, True)
        assert (put_back.next_attempt_at, put_back.lease_until) == (later, None)
        assert put_back.attempts == 0, "nothing was tried: no attempt counted"


def test_after_a_crash_the_card_is_found_behind_hundreds_of_newer_messages(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    """Slack posted the card but the worker never heard (then 283 to 296 other messages
    landed, as measured in the issue): the lookup pages back to the row's creation."""
    slack.fail("chat.postMessage", Fault(after_effect=True))
    post_json(http, "web", sample_post(1))
    assert drain(worker) == 0
    _chatter(slack, SUPPORT, 290)
    time_source.advance(timedelta(minutes=6))
    delta = Delta(("casebot_outbox_adopted_total", {"kind": "card"}))
    assert drain(worker) == 1
    assert _posted_twice(slack) == []
    assert delta() == [1]
    pages = slack.calls_to("conversations.history")
    assert len(pages) >= 2 and all(c.args.get("oldest") for c in pages)


def test_a_thread_line_and_a_dm_with_unknown_outcomes_are_adopted_not_reposted(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    post_json(http, "web", sample_post(1))
    drain(worker)
    [card] = slack.channel(SUPPORT)
    slack.fail("chat.postMessage", Fault(after_effect=True))
    user.command("assign 1 <@U0BEN0002>")
    drain(worker)
    assert len(slack.thread(SUPPORT, card.ts)) == 1, "Slack posted the line"
    _chatter(slack, SUPPORT, 250, thread_ts=card.ts)
    time_source.advance(timedelta(minutes=6))
    slack.fail("chat.postMessage", Fault(after_effect=True))
    drain(worker)
    assert len(slack.channel("D0BEN0002")) == 1, "Slack posted the DM"
    time_source.advance(timedelta(minutes=6))
    drain(worker)
    assert _posted_twice(slack) == []
    assert slack.calls_to("conversations.replies"), "the thread was searched"
    assert [c.args["channel"] for c in slack.calls_to("conversations.history")] == ["D0BEN0002"]
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status != "sent") == 0


def test_the_lookup_waits_until_a_post_that_may_have_landed_can_be_seen(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    """Slack can store a message after the client gave up on it, and its history shows
    it a moment later: a lookup right after the timeout would miss it and post again."""
    slack.fail("chat.postMessage", Fault(after_effect=True))
    post_json(http, "web", sample_post(1))
    drain(worker)
    time_source.advance(3)
    assert drain(worker) == 0
    assert slack.calls_to("conversations.history") == [], "too early to look"
    assert len(slack.calls_to("chat.postMessage")) == 1
    time_source.advance(15)
    assert drain(worker) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert _posted_twice(slack) == []


def test_one_channels_retry_after_holds_that_channel_only(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    delta = Delta(
        ("casebot_slack_retry_after_seconds_total", {"method": "chat.postMessage"}),
        ("casebot_outbox_retried_total", {"kind": "card"}),
    )
    slack.fail(
        "chat.postMessage",
        Fault(status=429, headers={"Retry-After": "20"}, channel=SUPPORT, times=5),
    )
    post_json(http, "web", sample_post(1))
    post_json(http, "web", sample_post(2))
    post_json(http, "web", sample_post(3, "I was charged twice, refund please"))
    assert drain(worker) == 1
    assert len(slack.channel(BILLING)) == 1, "billing's card went out meanwhile"
    support_posts = len(slack.calls_to("chat.postMessage")) - 1
    assert support_posts == 1, "one 429 from support, and its other card was held, not tried"
    time_source.advance(10)
    assert drain(worker) == 0
    assert len(slack.calls_to("chat.postMessage")) - 1 == support_posts, "Retry-After honoured"
    assert delta() == [20, 1]


def test_deliveries_and_dead_letters_are_counted_by_kind(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    delta = Delta(
        ("casebot_outbox_delivered_total", {"kind": "card"}),
        ("casebot_outbox_dead_lettered_total", {"kind": "card"}),
    )
    post_json(http, "web", sample_post(1))
    drain(worker)
    slack.fail("chat.postMessage", Fault(error="not_in_channel"))
    post_json(http, "web", sample_post(2))
    drain(worker)
    assert delta() == [1, 1]


def test_a_worker_that_defers_counts_no_attempt(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    slack.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "20"}))
    post_json(http, "web", sample_post(1))
    post_json(http, "web", sample_post(2))
    deliver_due(worker)
    with deps.db.session() as s:
        # The two cases go out at once: whichever took the channel's turn first was refused.
        refused, deferred = sorted((s.get(Outbox, 1), s.get(Outbox, 2)), key=lambda r: -r.attempts)
        assert (refused.attempts, deferred.attempts) == (1, 0)
        assert deferred.next_attempt_at > time_source.now()


def test_the_lease_is_renewed_while_a_delivery_is_in_flight(
    deps: Deps, http: FlaskClient, worker: Delivery, time_source: ManualTime
) -> None:
    """A call slower than the lease: the heartbeat keeps the row, so a second worker
    looking meanwhile finds nothing to take over."""
    post_json(http, "web", sample_post(1))
    taken: list[int] = []

    def slow(d: Delivery, a: Attempt) -> dict[str, object]:
        time_source.advance(1)  # well past the 0.3 s lease
        threading.Event().wait(0.5)  # the heartbeat renews every 0.1 s meanwhile
        with deps.db.session() as s:
            taken.extend(r.id for r in outbox.claim_due(s, now=time_source.now(), limit=10))
        return {}

    short = Delivery(
        db=deps.db,
        config=deps.config,
        time=time_source,
        deliverers={"card": slow},
        lease=timedelta(seconds=0.3),
    )
    assert deliver_due(short) == 1
    assert taken == []
