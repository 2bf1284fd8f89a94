"""What people see after a sequence of changes: the right thread for every timeline
line, the pointer an escalation leaves behind, decided drafts, the `/case show`
timeline and the short answers. Signed requests into the real Bolt app; assertions on
what the Slack stand-in received."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import Fault, Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.reading import SnoozeChoice
from bot.slack import ids
from bot.timesource import ManualTime
from bot.worker import sweep_once
from storage.models import Outbox
from tests.conftest import count, drain
from tests.support.flows import (
    ANA,
    BEN,
    BILLING,
    BILLING_MGR,
    HOSTILE,
    LOGISTICS,
    SUPPORT,
    answers,
    blocks_text,
    button_ids,
    only_card,
    open_case,
    thread_texts,
)
from tests.support.slackforms import send, view_submission
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def test_list_counts_one_case_in_the_singular(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("list open", user=ANA)
    open_case(http, worker, 2)
    user.command("list open", user=ANA)
    [(_, one), (_, two)] = slack.responses
    assert one["text"] == "Open cases: 1 case"
    assert one["blocks"][0]["text"]["text"] == "*Open cases* — 1 case"
    assert two["text"] == "Open cases: 2 cases"


def test_take_over_tells_the_clicker_whose_case_it_was(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    user.command("claim 1", user=BEN)
    time_source.advance(timedelta(days=2))
    sweep_once(deps)
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert "case_take_over" in button_ids(card), "the breached card offers Take over"

    user.click("case_take_over", '{"case":1}', user=ANA)
    drain(worker)
    assert answers(slack) == ["You own C-1 now.", f"You own C-1 now; it was <@{BEN}>'s."]
    assert f"Owner: <@{ANA}>" in blocks_text(only_card(slack, SUPPORT))
    assert thread_texts(slack, card)[-1] == f"🛟 Taken over by <@{ANA}>"

    user.click("case_take_over", '{"case":1}', user=ANA)
    assert answers(slack)[-1] == "C-1: you already own it."


def _show(user: SlackClientSim, slack: SlackStandIn, case: str = "1") -> list[str]:
    """The timeline lines of `/case show`, as Slack received them."""
    user.command(f"show {case}", user=ANA)
    _, body = slack.responses[-1]
    blocks = body["blocks"]
    [header] = [i for i, b in enumerate(blocks) if b["type"] == "header"]
    return [line for b in blocks[header + 1 :] for line in b["text"]["text"].split("\n")]


def test_show_names_people_as_mentions_and_keeps_typed_text_escaped(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"assign 1 <@{BEN}|ben>", user=ANA)
    user.command(f"assign 1 <@{ANA}>", user=BEN)
    user.command(f"note 1 {HOSTILE}", user=ANA)
    user.command(f"escalate 1 billing <@{BEN}> {HOSTILE}", user=ANA)
    lines = [line.split(" · ", 2)[2] for line in _show(user, slack)]
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert lines[1:] == [
        f"Assigned to <@{BEN}>",
        f"Assigned to <@{ANA}> (was <@{BEN}>)",
        f"Note: {escaped}",
        f"Escalated from support to billing (<@{BEN}>): {escaped}",
    ]


def test_snooze_reason_shows_in_the_thread_and_in_show(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    reason = "at lunch <!channel> & back at 2"
    escaped = "at lunch &lt;!channel&gt; &amp; back at 2"
    user.click("snooze_with_reason", '{"case":1}', user=ANA)
    view = slack.views[-1]["view"]
    send(user, view_submission(view, {"snooze_minutes": "60", "snooze_reason": reason}, user=ANA))
    user.click("snooze_choice", ids.snooze_value(SnoozeChoice(1, 30)), user=BEN)
    drain(worker)
    assert thread_texts(slack, only_card(slack, SUPPORT)) == [
        f"😴 <@{ANA}> snoozed reminders for 60 min: {escaped}",
        f"😴 <@{BEN}> snoozed reminders for 30 min",
    ]
    assert [line.split(" · ", 2)[2] for line in _show(user, slack)][1:] == [
        f"Snoozed reminders for 60 min: {escaped}",
        "Snoozed reminders for 30 min",
    ]


# ---- each line in the thread of the card the case had when it happened --------------


def _link(card: Message) -> str:
    return f"<https://acme.slack.com/archives/{card.channel}/p{card.ts.replace('.', '')}|"


def test_a_claim_just_before_an_escalation_stays_in_the_old_thread(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """The demo's C-2: claimed and escalated before the worker ran. The claim belongs to
    the old department's thread, the escalation to the new one's; the old card points
    to the new card."""
    open_case(http, worker)
    user.command("claim 1", user=BEN)
    user.command("escalate 1 billing they were charged twice", user=BEN)
    drain(worker)

    old, new = only_card(slack, SUPPORT), only_card(slack, BILLING)
    assert thread_texts(slack, old) == [f"🙋 Claimed by <@{BEN}>"]
    assert thread_texts(slack, new) == [
        f"⤴️ Escalated to Billing by <@{BEN}>: they were charged twice\n{_link(old)}Earlier thread>"
    ]
    assert button_ids(old) == []
    assert f"the case lives there now. {_link(new)}Go to its new card>" in blocks_text(old)


@pytest.mark.parametrize("worker_keeps_up", [True, False], ids=["worker-keeps-up", "worker-behind"])
def test_a_chain_and_back_puts_every_line_where_it_happened(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    worker_keeps_up: bool,
) -> None:
    open_case(http, worker)
    steps = [
        ("claim 1", ANA),
        ("note 1 asked the courier", ANA),
        ("escalate 1 billing refund", ANA),
        ("note 1 refund sent", BILLING_MGR),
        ("escalate 1 support back to you", BILLING_MGR),
        ("note 1 told the customer", ANA),
    ]
    for text, who in steps:
        user.command(text, user=who)
        if worker_keeps_up:
            drain(worker)
    drain(worker)

    claim = f"🙋 Claimed by <@{ANA}>"
    note1 = f"📝 Note from <@{ANA}>:\n> asked the courier"
    note2 = f"📝 Note from <@{BILLING_MGR}>:\n> refund sent"
    note3 = f"📝 Note from <@{ANA}>:\n> told the customer"
    to_billing = f"⤴️ Escalated to Billing by <@{ANA}>: refund"
    back = f"⤴️ Escalated to Customer Support by <@{BILLING_MGR}>: back to you"
    if worker_keeps_up:
        first, live = slack.channel(SUPPORT)
        billing = only_card(slack, BILLING)
        assert thread_texts(slack, first) == [claim, note1]
        assert thread_texts(slack, billing) == [
            f"{to_billing}\n{_link(first)}Earlier thread>",
            note2,
        ]
        assert thread_texts(slack, live) == [f"{back}\n{_link(billing)}Earlier thread>", note3]
        assert f"{_link(billing)}Go to its new card>" in blocks_text(first)
        assert f"{_link(live)}Go to its new card>" in blocks_text(billing)
        assert button_ids(first) == button_ids(billing) == []
    else:
        # Billing's card was never posted: the case was back before the worker ran, so
        # its one card is live again and its thread tells the whole story.
        assert slack.channel(BILLING) == []
        live = only_card(slack, SUPPORT)
        assert [t.split("\n")[0] for t in thread_texts(slack, live)] == [
            claim.split("\n")[0],
            note1.split("\n")[0],
            to_billing,
            note2.split("\n")[0],
            back,
            note3.split("\n")[0],
        ]
    assert "case_claim" in button_ids(live)
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status != "sent") == 0


def test_a_department_left_before_its_card_was_posted_hands_its_lines_on(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """Support → billing → logistics while the worker is behind: billing never gets a
    card, so what happened there goes to logistics, and support's pointer links there."""
    open_case(http, worker)
    user.command("escalate 1 billing refund needed", user=ANA)
    user.command("note 1 not ours", user=BILLING_MGR)
    user.command("escalate 1 logistics the parcel", user=BILLING_MGR)
    drain(worker)

    old, new = only_card(slack, SUPPORT), only_card(slack, LOGISTICS)
    assert slack.channel(BILLING) == []
    assert thread_texts(slack, old) == []
    assert thread_texts(slack, new) == [
        f"⤴️ Escalated to Billing by <@{ANA}>: refund needed\n{_link(old)}Earlier thread>",
        f"📝 Note from <@{BILLING_MGR}>:\n> not ours",
        f"⤴️ Escalated to Logistics by <@{BILLING_MGR}>: the parcel",
    ]
    assert f"Escalated to *Billing* by <@{ANA}>" in blocks_text(old)
    assert f"{_link(new)}Go to its new card>" in blocks_text(old)


def test_a_new_card_that_cannot_be_posted_leaves_the_pointer_without_a_link(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """Billing's channel refuses the card: the old card still says where the case went,
    and the escalation line falls back to the old thread rather than being lost."""
    open_case(http, worker)
    slack.fail("chat.postMessage", Fault(error="not_in_channel"))
    user.command("escalate 1 billing refund", user=ANA)
    drain(worker)
    drain(worker)  # the worker's next pass: the failed card sent nothing in the first

    old = only_card(slack, SUPPORT)
    assert slack.channel(BILLING) == []
    assert "Escalated to *Billing*" in blocks_text(old)
    assert "Go to its new card" not in blocks_text(old)
    assert [t.split("\n")[0] for t in thread_texts(slack, old)] == [
        f"⤴️ Escalated to Billing by <@{ANA}>: refund"
    ]


def test_a_line_whose_card_was_never_posted_does_not_hold_up_the_next_card(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    """The first card is refused (Casebot not yet in the channel), a note is added, then
    a claim queues the next card refresh. The note has no thread to go to: it is parked
    as failed (it stays in the audit log and `/case show`) instead of waiting for a card
    that is queued behind it, which froze the case's outbox for good."""
    slack.fail("chat.postMessage", Fault(error="not_in_channel"))
    open_case(http, worker)
    user.command("note 1 called them", user=ANA)
    user.command("claim 1", user=ANA)
    for _ in range(3):
        time_source.advance(timedelta(seconds=2))
        drain(worker)

    card = only_card(slack, SUPPORT)
    assert f"Owner: <@{ANA}>" in blocks_text(card)
    assert thread_texts(slack, card) == [f"🙋 Claimed by <@{ANA}>"]
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status == "pending") == 0
        assert count(s, Outbox, Outbox.status == "failed") == 2, "the first card and the note"


# ---- a decided draft ------------------------------------------------------------------


def _draft(slack: SlackStandIn) -> Message:
    card = only_card(slack, SUPPORT)
    [draft] = [m for m in slack.thread(SUPPORT, card.ts) if m.text.startswith("✋")]
    return draft


@pytest.mark.parametrize(
    ("action", "verdict"),
    [
        ("reply_approve", f"👍 Approved by <@{BEN}>; sending it to the customer"),
        ("reply_discard", f"🗑️ Discarded by <@{BEN}>; it was never sent"),
    ],
)
def test_a_decided_draft_loses_its_buttons_and_says_who_decided(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    action: str,
    verdict: str,
) -> None:
    open_case(http, worker, source="shop")
    user.command("reply 1 We refunded <you> & more", user=ANA)
    drain(worker)
    draft = _draft(slack)
    assert "reply_approve" in button_ids(draft)

    user.click(action, json.dumps({"reply": 1}), user=BEN)
    drain(worker)
    draft = _draft(slack)
    assert button_ids(draft) == []
    assert draft.edits == 1
    head = f"✋ <@{ANA}> drafted a reply:\n> We refunded &lt;you&gt; &amp; more"
    assert [b["type"] for b in draft.blocks or []] == ["section", "context"]
    assert draft.blocks[0]["text"]["text"] == head
    assert draft.blocks[1]["elements"][0]["text"] == verdict
    assert draft.text == f"{head}\n{verdict}"
