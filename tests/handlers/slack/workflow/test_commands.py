"""The case workflow by slash command, end to end: signed `/case` requests into the real
Bolt app, the worker's outbox into the Slack stand-in, assertions on what Slack got."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from storage.models import Case, Outbox, Reply, SlaClock
from tests.conftest import count, drain, post_json, sample_post
from tests.handlers.channels.remotes import HttpRemote
from tests.support.flows import (
    ANA,
    BEN,
    BILLING,
    BILLING_MGR,
    HOSTILE,
    LOGISTICS,
    SUPPORT,
    SUPPORT_MGR,
    answers,
    audit,
    audit_data,
    blocks_text,
    button_ids,
    only_card,
    open_case,
    thread_texts,
)
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

EARLIER = "<https://acme.slack.com/archives/{}/p{}|Earlier thread>"


def _earlier(channel: str, ts: str) -> str:
    return EARLIER.format(channel, ts.replace(".", ""))


def _dms(slack: SlackStandIn, user: str) -> list[str]:
    return [m.text for m in slack.channel("D" + user.lstrip("UW"))]


def _never_pings(slack: SlackStandIn) -> None:
    """Nothing Casebot sent to Slack contains a live mention from the hostile text."""
    sent = json.dumps([c.args for c in slack.calls], ensure_ascii=False)
    sent += json.dumps([body for _, body in slack.responses], ensure_ascii=False)
    for live in ("<!channel>", "<@U0BOSS01>", "<https://evil.example"):
        assert live not in sent


# ---- assign ---------------------------------------------------------------------------


def test_assign_gives_the_case_to_a_person_who_is_told(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    assert user.command(f"assign C-1 <@{BEN}|ben>", user=ANA).status_code == 200
    drain(worker)

    assert answers(slack) == [f"C-1 is now <@{BEN}>'s."]
    card = only_card(slack, SUPPORT)
    assert f"Owner: <@{BEN}>" in blocks_text(card)
    assert "case_claim" not in button_ids(card)
    assert thread_texts(slack, card) == [f"👉 Assigned to <@{BEN}> by <@{ANA}>"]
    [dm] = _dms(slack, BEN)
    assert dm.startswith(f"👉 <@{ANA}> assigned C-1 to you.")
    assert audit(deps) == [("opened", "casebot", "ingest"), ("assigned", ANA, "command")]


def test_assign_to_the_current_owner_is_refused(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("claim 1", user=BEN)
    user.command(f"assign 1 <@{BEN}>", user=ANA)
    assert answers(slack)[-1] == f"C-1: <@{BEN}> already owns it."


@pytest.mark.parametrize("config", [{"assign": "managers"}], indirect=True)
def test_assign_for_managers_only_refuses_agents(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"assign 1 <@{BEN}>", user=ANA)
    drain(worker)
    assert answers(slack) == ["Only managers and admins may assign cases here."]
    assert thread_texts(slack, only_card(slack, SUPPORT)) == []
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]

    user.command(f"assign 1 <@{BEN}>", user=SUPPORT_MGR)
    drain(worker)
    assert answers(slack)[-1] == f"C-1 is now <@{BEN}>'s."
    assert audit(deps)[-1] == ("assigned", SUPPORT_MGR, "command")


# ---- escalate -------------------------------------------------------------------------


def test_escalate_to_a_department_moves_the_card_and_tells_its_managers(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    old = only_card(slack, SUPPORT)
    time_source.advance(timedelta(minutes=10))
    user.command("escalate C-1 billing they were charged twice", user=ANA)
    drain(worker)

    assert answers(slack) == ["C-1 escalated to Billing."]
    new = only_card(slack, BILLING)
    assert "Department: Billing" in blocks_text(new)
    assert "Escalated 1x" in blocks_text(new)
    assert "case_claim" in button_ids(new), "nobody owns it in billing yet"

    [moved] = [c for c in slack.calls_to("chat.update") if c.args["ts"] == old.ts]
    assert moved.args["channel"] == SUPPORT
    old = only_card(slack, SUPPORT)
    assert button_ids(old) == [], "the pointer left behind has no buttons"
    assert f"Escalated to *Billing* by <@{ANA}>" in blocks_text(old)

    assert thread_texts(slack, new) == [
        f"⤴️ Escalated to Billing by <@{ANA}>: they were charged twice\n" + _earlier(SUPPORT, old.ts)
    ]
    assert thread_texts(slack, old) == []
    [dm] = _dms(slack, BILLING_MGR)
    assert dm.startswith(f"⤴️ C-1 was escalated to Billing by <@{ANA}>: they were charged twice")
    assert _earlier(BILLING, new.ts).removesuffix("|Earlier thread>") in dm, "links the new card"
    assert _dms(slack, SUPPORT_MGR) == []

    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert (case.department, case.owner_id, case.escalations) == ("billing", None, 1)
        assert (case.card_channel, case.card_ts) == (BILLING, new.ts)
        first = s.exec(select(SlaClock).where(SlaClock.name == "first_response")).one()
        assert first.stopped_at is None, "the customer's clock keeps running"
        assert first.started_at.replace(tzinfo=None) == time_source.now().replace(tzinfo=None) - (
            timedelta(minutes=10)
        )
    assert audit(deps)[-1] == ("escalated", ANA, "command")
    [data] = audit_data(deps, "escalated")
    assert (data["from_department"], data["to_department"], data["from_channel"]) == (
        "support",
        "billing",
        SUPPORT,
    )


def test_escalate_to_a_person_keeps_the_card_and_dms_them(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"escalate 1 <@{BEN}|ben> needs your eyes", user=ANA)
    drain(worker)

    assert answers(slack) == [f"C-1 escalated to <@{BEN}>."]
    card = only_card(slack, SUPPORT)
    assert f"Owner: <@{BEN}>" in blocks_text(card)
    assert card.edits == 1
    assert thread_texts(slack, card) == [
        f"⤴️ Escalated to Customer Support (<@{BEN}>) by <@{ANA}>: needs your eyes"
    ]
    [dm] = _dms(slack, BEN)
    assert "C-1 was escalated to Customer Support" in dm
    assert _dms(slack, SUPPORT_MGR) == [], "a person was named: only they are told"
    assert audit(deps)[-1] == ("escalated", ANA, "command")


def test_escalate_to_a_department_and_a_person_there(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"escalate 1 billing <@{BEN}> refund check", user=ANA)
    drain(worker)
    new = only_card(slack, BILLING)
    assert f"Owner: <@{BEN}>" in blocks_text(new)
    assert thread_texts(slack, new)[0].startswith(
        f"⤴️ Escalated to Billing (<@{BEN}>) by <@{ANA}>: refund check"
    )
    assert len(_dms(slack, BEN)) == 1
    assert _dms(slack, BILLING_MGR) == []


def test_escalation_chain_and_back_keeps_every_thread_linked(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    first = only_card(slack, SUPPORT)
    for dept in ("billing", "logistics", "support"):
        user.command(f"escalate C-1 {dept} step to {dept}", user=ANA)
        drain(worker)

    assert answers(slack) == [
        "C-1 escalated to Billing.",
        "C-1 escalated to Logistics.",
        "C-1 escalated to Customer Support.",
    ]
    billing, logistics = only_card(slack, BILLING), only_card(slack, LOGISTICS)
    pointer, live = slack.channel(SUPPORT)
    assert pointer.ts == first.ts
    for card, target in ((pointer, "Billing"), (billing, "Logistics"), (logistics, "Customer")):
        assert button_ids(card) == []
        assert f"Escalated to *{target}" in blocks_text(card)
    assert "case_claim" in button_ids(live)
    assert "Escalated 3x" in blocks_text(live)

    for card, came_from, (target, key) in (
        (billing, pointer, ("Billing", "billing")),
        (logistics, billing, ("Logistics", "logistics")),
        (live, logistics, ("Customer Support", "support")),
    ):
        assert thread_texts(slack, card) == [
            f"⤴️ Escalated to {target} by <@{ANA}>: step to {key}\n"
            + _earlier(came_from.channel, came_from.ts)
        ]
    assert len(_dms(slack, BILLING_MGR)) == 1
    assert len(_dms(slack, SUPPORT_MGR)) == 1, "back home: support's manager is told"
    assert [k for k, _, _ in audit(deps)].count("escalated") == 3
    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert (case.department, case.escalations, case.card_channel) == ("support", 3, SUPPORT)
        assert case.card_ts == live.ts

    user.command("escalate 1 support", user=ANA)
    assert answers(slack)[-1] == "C-1: it is already with Customer Support."


def test_escalate_by_channel_mention(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"escalate 1 <#{BILLING}|billing> over to you", user=ANA)
    drain(worker)
    assert answers(slack) == ["C-1 escalated to Billing."]
    assert thread_texts(slack, only_card(slack, BILLING))[0].startswith(
        f"⤴️ Escalated to Billing by <@{ANA}>: over to you"
    )


def test_lines_queued_before_an_escalation_still_arrive(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """The worker is behind (or Slack is down) while people keep working the case:
    nothing waits forever, every line arrives once and in order, and the card is
    posted once, where the case is now."""
    open_case(http, worker)
    user.command("claim 1", user=ANA)
    drain(worker)
    user.command("note 1 asked the courier", user=ANA)
    user.command("escalate 1 billing refund needed", user=ANA)
    user.command("note 1 on it", user=BILLING_MGR)
    user.command("escalate 1 logistics the parcel", user=BILLING_MGR)
    drain(worker)

    old = only_card(slack, SUPPORT)
    assert button_ids(old) == []
    assert "Escalated to *Billing*" in blocks_text(old)
    assert slack.channel(BILLING) == [], "it left billing before its card was posted"
    new = only_card(slack, LOGISTICS)
    assert "case_claim" in button_ids(new)
    lines = thread_texts(slack, old) + thread_texts(slack, new)
    assert lines == [
        f"🙋 Claimed by <@{ANA}>",
        f"📝 Note from <@{ANA}>:\n> asked the courier",
        f"⤴️ Escalated to Billing by <@{ANA}>: refund needed\n" + _earlier(SUPPORT, old.ts),
        f"📝 Note from <@{BILLING_MGR}>:\n> on it",
        f"⤴️ Escalated to Logistics by <@{BILLING_MGR}>: the parcel",
    ]
    with deps.db.session() as s:
        assert count(s, Outbox, Outbox.status != "sent") == 0
    with deps.db.session() as s:
        assert (s.get(Case, 1).card_channel, s.get(Case, 1).card_ts) == (LOGISTICS, new.ts)


def test_escalated_away_and_back_before_the_worker_ran_keeps_one_live_card(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("escalate 1 billing", user=ANA)
    user.command("escalate 1 support wrong team", user=BILLING_MGR)
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert slack.channel(BILLING) == []
    assert "case_claim" in button_ids(card), "the card is live again, not a pointer"
    assert "Escalated 2x" in blocks_text(card)
    assert [t.split("\n")[0] for t in thread_texts(slack, card)] == [
        f"⤴️ Escalated to Billing by <@{ANA}>",
        f"⤴️ Escalated to Customer Support by <@{BILLING_MGR}>: wrong team",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("escalate 1 <#C0RANDOM01|random>", "<#C0RANDOM01> is not a department channel."),
        ("escalate 1 finance", "C-1: there is no department 'finance'"),
        ("escalate 1", "Escalate to which department or person?"),
        ("escalate 7 billing", "There is no case C-7."),
    ],
)
def test_bad_escalations_are_refused_and_change_nothing(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    text: str,
    expected: str,
) -> None:
    open_case(http, worker)
    user.command(text, user=ANA)
    drain(worker)
    [said] = answers(slack)
    assert expected in said
    assert slack.calls_to("chat.update") == []
    assert [k for k, _, _ in audit(deps)] == ["opened"]


# ---- resolve, reopen ------------------------------------------------------------------


def test_resolve_with_a_root_cause_leaves_only_reopen(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("claim 1", user=ANA)
    user.command("resolve C-1 SHIPPING-DELAY courier lost it", user=ANA)
    drain(worker)

    assert answers(slack)[-1] == "C-1 resolved."
    card = only_card(slack, SUPPORT)
    assert "✅ Resolved (shipping-delay)" in blocks_text(card)
    assert button_ids(card) == ["case_reopen"]
    assert (
        thread_texts(slack, card)[-1]
        == f"✅ Resolved (shipping-delay) by <@{ANA}>: courier lost it"
    )
    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert (case.status, case.root_cause) == ("resolved", "shipping-delay")
        clocks = s.exec(select(SlaClock).where(SlaClock.case_id == 1)).all()
        assert clocks and all(c.stopped_at is not None for c in clocks)
    assert audit(deps)[-1] == ("resolved", ANA, "command")
    assert audit_data(deps, "resolved") == [
        {"root_cause": "shipping-delay", "note": "courier lost it", "answered": "unanswered"}
    ]


def test_resolve_with_a_word_that_is_no_tag_is_refused_until_the_note_is_quoted(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """Only configured tags are tags; a mistyped one is refused with the known tags
    (never silently kept as the note), and quoted text is a note without a tag."""
    open_case(http, worker)
    user.command("resolve 1 weather-delay sorry about that", user=ANA)
    drain(worker)
    [refusal] = answers(slack)
    assert refusal.startswith(
        "`weather-delay` is not a root-cause tag; use one of: shipping-delay, billing-error,"
        ' product-defect. For a note without a tag, quote it: `/case resolve 1 "your note"`.'
        "\nUsage: `/case resolve ID [tag] [note…]"
    )
    with deps.db.session() as s:
        assert s.get(Case, 1).status == "open"
    assert audit(deps) == [("opened", "casebot", "ingest")]

    user.command('resolve 1 "weather-delay sorry about that"', user=ANA)
    drain(worker)
    assert answers(slack)[-1] == "C-1 resolved."
    with deps.db.session() as s:
        assert s.get(Case, 1).root_cause is None
    assert audit_data(deps, "resolved") == [
        {"root_cause": None, "note": "weather-delay sorry about that", "answered": "unanswered"}
    ]
    assert thread_texts(slack, only_card(slack, SUPPORT)) == [
        f"✅ Resolved by <@{ANA}>: weather-delay sorry about that"
    ]


def test_resolved_case_refuses_changes_until_reopened(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("reopen 1", user=ANA)
    user.command("resolve 1", user=ANA)
    for text in ("claim 1", "escalate 1 billing", "wait 1", "resolve 1", "reply 1 hi"):
        user.command(text, user=BEN)
    user.command("reopen C-1", user=BEN)
    user.command("claim 1", user=BEN)
    drain(worker)

    assert answers(slack) == [
        "C-1: it is not resolved.",
        "C-1 resolved.",
        "C-1: it is resolved; reopen it first.",
        "C-1: it is resolved; reopen it first.",
        "C-1: it is resolved; reopen it first.",
        "C-1: it is resolved; reopen it first.",
        "C-1: it is resolved; reopen it to reply.",
        "C-1 is open again.",
        "You own C-1 now.",
    ]
    card = only_card(slack, SUPPORT)
    assert "case_reopen" not in button_ids(card)
    assert f"Owner: <@{BEN}>" in blocks_text(card)
    assert thread_texts(slack, card) == [
        f"✅ Resolved by <@{ANA}>",
        f"🔁 Reopened by <@{BEN}>",
        f"🙋 Claimed by <@{BEN}>",
    ]
    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert (case.status, case.resolved_at) == ("open", None)
        running = s.exec(
            select(SlaClock).where(SlaClock.name == "resolution", SlaClock.stopped_at == None)  # noqa: E711
        ).all()
        assert len(running) == 1, "reopening restarts the resolution clock"


@pytest.mark.parametrize("config", [{"reopen": "managers"}], indirect=True)
def test_reopen_for_managers_only(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("resolve 1", user=ANA)
    user.command("reopen 1", user=ANA)
    user.command("reopen 1", user=SUPPORT_MGR)
    assert answers(slack) == [
        "C-1 resolved.",
        "Only managers and admins may reopen cases here.",
        "C-1 is open again.",
    ]


# ---- wait, note -----------------------------------------------------------------------


def test_wait_pauses_the_clocks_until_the_customer_writes(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    post_json(http, "web", sample_post(1, "Where is my order?", conversation_id="conv-1"))
    drain(worker)
    user.command("wait 1", user=ANA)
    user.command("wait 1", user=ANA)
    drain(worker)

    assert answers(slack) == [
        "C-1 waits on the customer; its clocks are paused.",
        "C-1: it is already waiting on the customer.",
    ]
    card = only_card(slack, SUPPORT)
    text = blocks_text(card)
    assert "⏸️ Waiting on customer" in text
    assert "paused — waiting on customer" in text
    assert "case_wait" not in button_ids(card)
    assert thread_texts(slack, card) == [
        f"⏸️ <@{ANA}> is waiting on the customer; the SLA clocks pause until they write"
    ]
    assert audit(deps)[-1] == ("waiting", ANA, "command")

    follow_up = sample_post(2, "Any news?", conversation_id="conv-1")
    follow_up["author"] = sample_post(1)["author"]
    post_json(http, "web", follow_up)
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert "⏸️ Waiting on customer" not in blocks_text(card)
    assert "case_wait" in button_ids(card)
    with deps.db.session() as s:
        assert s.get(Case, 1).status == "open"
    assert {k for k, _, _ in audit(deps)[-2:]} == {"post_added", "resumed"}


def test_note_goes_to_the_thread_and_never_to_the_customer(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
) -> None:
    open_case(http, worker)
    user.command("note C-1 called the courier,\n  they will check", user=ANA)
    user.command("note 1", user=ANA)
    drain(worker)

    said = answers(slack)
    assert said[0] == "Note added to C-1 (internal only)."
    assert said[1].startswith("Write the note after the case id.\nUsage: `/case note")
    card = only_card(slack, SUPPORT)
    assert thread_texts(slack, card) == [
        f"📝 Note from <@{ANA}>:\n> called the courier,\n>   they will check"
    ]
    assert card.edits == 0, "a note does not change the card"
    assert remote.requests == [], "notes never reach the customer"
    with deps.db.session() as s:
        assert s.exec(select(Reply)).all() == []
    assert audit(deps)[-1] == ("note", ANA, "command")
    assert audit_data(deps, "note") == [{"text": "called the courier,\n  they will check"}]


# ---- hostile text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        HOSTILE,
    ],
    ids=["as-slack-escapes-it", "raw-mentions"],
)
def test_hostile_notes_and_reasons_are_escaped_everywhere(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    typed: str,
) -> None:
    open_case(http, worker, text=HOSTILE)
    for command, who in (
        (f"note 1 {typed}", ANA),
        (f"escalate 1 <@{BEN}> {typed}", ANA),
        (f"escalate 1 billing {typed}", BEN),
        (f'resolve 1 "{typed}"', BILLING_MGR),
    ):
        user.command(command, user=who)
        drain(worker)

    _never_pings(slack)
    escaped = "&lt;!channel&gt; &lt;@U0BOSS01&gt; &lt;https://evil.example|click&gt; &amp; co"
    support, billing = only_card(slack, SUPPORT), only_card(slack, BILLING)
    assert escaped in blocks_text(support) and escaped in blocks_text(billing)
    note, to_ben = thread_texts(slack, support)
    assert note == f"📝 Note from <@{ANA}>:\n> {escaped}"
    assert to_ben == f"⤴️ Escalated to Customer Support (<@{BEN}>) by <@{ANA}>: {escaped}"
    to_billing, resolved = thread_texts(slack, billing)
    assert to_billing.startswith(f"⤴️ Escalated to Billing by <@{BEN}>: {escaped}\n<https://")
    assert resolved == f"✅ Resolved by <@{BILLING_MGR}>: {escaped}"
    assert escaped in _dms(slack, BEN)[0]
    assert escaped in _dms(slack, BILLING_MGR)[0]
    assert remote.requests == []
    [note] = audit_data(deps, "note")
    assert note["text"] == HOSTILE, "stored as typed; escaped only when shown"


# ---- audit ----------------------------------------------------------------------------


def test_every_command_and_button_is_audited_with_its_surface(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.click("case_claim", '{"case":1}', user=ANA)
    user.command("unclaim 1", user=ANA)
    user.command(f"assign 1 <@{BEN}>", user=ANA)
    user.click("case_wait", '{"case":1}', user=BEN)
    user.command("note 1 checking", user=BEN)
    user.command("escalate 1 billing", user=BEN)
    user.command("resolve 1 billing-error", user=BILLING_MGR)
    user.click("case_reopen", '{"case":1}', user=BILLING_MGR)
    user.command("wait 1", user=BILLING_MGR)
    user.command("claim 1", user=ANA)
    drain(worker)

    assert audit(deps) == [
        ("opened", "casebot", "ingest"),
        ("claimed", ANA, "button"),
        ("unclaimed", ANA, "command"),
        ("assigned", ANA, "command"),
        ("waiting", BEN, "button"),
        ("note", BEN, "command"),
        ("escalated", BEN, "command"),
        ("resolved", BILLING_MGR, "command"),
        ("reopened", BILLING_MGR, "button"),
        ("waiting", BILLING_MGR, "command"),
        ("claimed", ANA, "command"),
    ]
    assert "Sorry" not in " ".join(answers(slack))
