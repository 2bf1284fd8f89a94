"""Card buttons that open modals, and the modals' submissions, as Slack sends them.

A click must open the right view with the click's trigger; a submission either closes
the modal (an empty ack) and changes the case, or keeps it open with the reason under
the field (`response_action: errors`) and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.reading import SnoozeChoice
from bot.slack import ids
from bot.slack import modals as render
from tests.conftest import drain
from tests.handlers.channels.remotes import HttpRemote
from tests.support.flows import (
    ANA,
    BEN,
    BILLING,
    BILLING_MGR,
    HOSTILE,
    ROOT_CAUSES,
    SUPPORT,
    answers,
    audit,
    audit_data,
    blocks_text,
    button_ids,
    only_card,
    open_case,
    thread_texts,
)
from tests.support.slackforms import block_action, response_json, send, view_submission
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

DEPARTMENTS = [
    ("support", "Customer Support"),
    ("billing", "Billing"),
    ("logistics", "Logistics"),
    ("pr", "PR & Social"),
]


def _click(
    user: SlackClientSim, slack: SlackStandIn, action: str, *, who: str = ANA, case: int = 1
) -> dict[str, Any]:
    """Click a card button; returns the view it opened."""
    card = only_card(slack, SUPPORT)
    before = len(slack.views)
    payload = block_action(
        action,
        json.dumps({"case": case}, separators=(",", ":")),
        user=who,
        message_ts=card.ts,
        response_url=user.response_url,
        trigger_id=f"trig.{action}",
    )
    assert send(user, payload).status_code == 200
    assert len(slack.views) == before + 1, f"{action} opened no modal: {slack.responses}"
    opened = slack.views[-1]
    assert (opened["method"], opened["trigger_id"]) == ("views.open", f"trig.{action}")
    return dict(opened["view"])


def _submit(
    user: SlackClientSim, view: dict[str, Any], values: dict[str, Any], *, who: str = ANA, **kw: Any
) -> Any:
    resp = send(user, view_submission(view, values, user=who, **kw))
    assert resp.status_code == 200
    return response_json(resp)


# ---- escalate -------------------------------------------------------------------------


def test_escalate_button_opens_the_escalate_modal(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_escalate")
    assert view == render.escalate_modal(1, "C-1", DEPARTMENTS, "support")
    options = [o["value"] for b in view["blocks"] for o in b.get("element", {}).get("options", [])]
    assert options == ["billing", "logistics", "pr"], "not the department it is in"
    assert slack.responses == []


def test_escalate_modal_moves_the_case_to_the_department(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_escalate")
    got = _submit(
        user, view, {"escalate_department": "billing", "escalate_reason": HOSTILE}, who=BEN
    )
    drain(worker)

    assert got is None, "an empty ack closes the modal"
    assert button_ids(only_card(slack, SUPPORT)) == []
    [line] = thread_texts(slack, only_card(slack, BILLING))
    assert line.startswith(
        f"⤴️ Escalated to Billing by <@{BEN}>: &lt;!channel&gt; &lt;@U0BOSS01&gt;"
    )
    assert "<!channel>" not in json.dumps([c.args for c in slack.calls])
    [dm] = slack.channel("D0BILMGR01")
    assert dm.text.startswith("⤴️ C-1 was escalated")
    assert audit(deps)[-1] == ("escalated", BEN, "modal")
    assert audit_data(deps, "escalated")[0]["reason"] == HOSTILE


def test_escalate_modal_to_a_person(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_escalate")
    assert _submit(user, view, {"escalate_user": BILLING_MGR}) is None
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert f"Owner: <@{BILLING_MGR}>" in blocks_text(card)
    assert thread_texts(slack, card) == [
        f"⤴️ Escalated to Customer Support (<@{BILLING_MGR}>) by <@{ANA}>"
    ]
    assert audit(deps)[-1] == ("escalated", ANA, "modal")


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({}, "C-1: escalate to a department or a person."),
        ({"escalate_reason": "please"}, "C-1: escalate to a department or a person."),
        (
            {"escalate_department": "finance"},
            "C-1: there is no department 'finance' (support, billing, logistics, pr).",
        ),
    ],
    ids=["empty", "reason-only", "forged-department"],
)
def test_invalid_escalation_keeps_the_modal_open_with_the_reason(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    values: dict[str, Any],
    error: str,
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_escalate")
    got = _submit(user, view, values)
    drain(worker)
    assert got == {"response_action": "errors", "errors": {"escalate_reason": error}}
    assert slack.calls_to("chat.update") == []
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]


@pytest.mark.parametrize("metadata", ["", "not json", '{"case":0}', '{"case":"1"}'])
def test_a_tampered_or_stale_form_is_refused(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    metadata: str,
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_escalate")
    got = _submit(user, view, {"escalate_department": "billing"}, private_metadata=metadata)
    assert got == {
        "response_action": "errors",
        "errors": {"escalate_reason": "This form is out of date."},
    }
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]


def test_a_form_for_a_case_that_does_not_exist(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    got = _submit(user, view, {}, private_metadata='{"case":9}')
    assert got == {"response_action": "errors", "errors": {"resolve_note": "There is no case C-9."}}


def test_escalate_button_for_a_missing_case_is_answered_not_opened(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    payload = block_action("case_escalate", '{"case":9}', user=ANA, response_url=user.response_url)
    send(user, payload)
    assert slack.views == []
    assert answers(slack) == ["There is no case C-9."]


# ---- resolve --------------------------------------------------------------------------


def test_resolve_modal_offers_the_configured_root_causes(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    assert view == render.resolve_modal(1, "C-1", ROOT_CAUSES, answered=False)


def test_resolve_modal_with_a_root_cause_and_a_note(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    got = _submit(
        user, view, {"resolve_tag": "product-defect", "resolve_note": "replaced <it> & done"}
    )
    drain(worker)
    assert got is None
    card = only_card(slack, SUPPORT)
    assert button_ids(card) == ["case_reopen"], "a resolved card offers only Reopen"
    assert thread_texts(slack, card) == [
        f"✅ Resolved (product-defect) by <@{ANA}>: replaced &lt;it&gt; &amp; done"
    ]
    assert audit(deps)[-1] == ("resolved", ANA, "modal")
    assert audit_data(deps, "resolved") == [
        {"root_cause": "product-defect", "note": "replaced <it> & done", "answered": "unanswered"}
    ]


def test_resolve_modal_without_a_tag(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    assert _submit(user, view, {}) is None
    assert audit_data(deps, "resolved") == [
        {"root_cause": None, "note": "", "answered": "unanswered"}
    ]


def test_resolve_modal_refuses_an_unknown_root_cause(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    got = _submit(user, view, {"resolve_tag": "weather"})
    drain(worker)
    known = ", ".join(ROOT_CAUSES)
    assert got == {
        "response_action": "errors",
        "errors": {"resolve_note": f"C-1: 'weather' is not a root cause; use one of: {known}"},
    }
    assert "case_claim" in button_ids(only_card(slack, SUPPORT))
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]


def test_resolve_modal_submitted_twice_is_refused_the_second_time(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    assert _submit(user, view, {}) is None
    got = _submit(user, view, {}, who=BEN)
    assert got == {
        "response_action": "errors",
        "errors": {"resolve_note": "C-1: it is resolved; reopen it first."},
    }
    assert [kind for kind, _, _ in audit(deps)] == ["opened", "resolved"]


def test_reopen_button_on_a_resolved_card(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "case_resolve")
    _submit(user, view, {})
    drain(worker)
    card = only_card(slack, SUPPORT)
    send(user, block_action("case_reopen", '{"case":1}', user=BEN, response_url=user.response_url))
    send(user, block_action("case_reopen", '{"case":1}', user=BEN, response_url=user.response_url))
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert button_ids(card) == [
        "case_claim",
        "case_reply",
        "case_escalate",
        "case_resolve",
        "case_wait",
    ]
    assert thread_texts(slack, card)[-1] == f"🔁 Reopened by <@{BEN}>"
    assert answers(slack) == ["C-1: it is not resolved."]
    assert audit(deps)[-1] == ("reopened", BEN, "button")


# ---- reply (the modal; delivery is in test_replies_flow) -------------------------------


@pytest.mark.parametrize(("source", "approval"), [("web", False), ("shop", True)])
def test_reply_button_opens_the_reply_modal(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    source: str,
    approval: bool,
) -> None:
    open_case(http, worker, text=HOSTILE, source=source)
    view = _click(user, slack, "case_reply")
    assert view == render.reply_modal(
        1,
        "C-1",
        customer="Customer 1",
        customer_text=HOSTILE,
        source=source,
        needs_approval=approval,
    )
    assert "<!channel>" not in json.dumps(view)
    assert ("second person's approval" in json.dumps(view)) is approval


@pytest.mark.parametrize(
    ("source", "text", "error"),
    [
        ("web", "   \n ", "C-1: the reply is empty."),
        ("web", "x" * 3001, "C-1: the reply is longer than 3000 characters."),
        ("forum", "Thanks!", "there is no reply connector for 'forum'"),
    ],
    ids=["blank", "too-long", "no-connector"],
)
def test_invalid_reply_keeps_the_modal_open(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    source: str,
    text: str,
    error: str,
) -> None:
    open_case(http, worker, source=source)
    view = _click(user, slack, "case_reply")
    got = _submit(user, view, {"reply_text": text})
    drain(worker)
    assert got["response_action"] == "errors"
    assert error in got["errors"]["reply_text"]
    assert remote.requests == []
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]


# ---- snooze (the reminder DM's controls) ---------------------------------------------


def test_snooze_with_reason_opens_a_modal_and_its_submission_snoozes(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "snooze_with_reason")
    assert view == render.snooze_modal(1, "C-1")
    assert _submit(user, view, {"snooze_minutes": "60", "snooze_reason": "at lunch"}) is None
    drain(worker)
    assert thread_texts(slack, only_card(slack, SUPPORT)) == [
        f"😴 <@{ANA}> snoozed reminders for 60 min: at lunch"
    ]
    assert audit(deps)[-1] == ("snoozed", ANA, "modal")


def test_snooze_modal_refuses_a_duration_it_did_not_offer(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _click(user, slack, "snooze_with_reason")
    got = _submit(user, view, {"snooze_minutes": "45"})
    assert got == {
        "response_action": "errors",
        "errors": {"snooze_minutes": "C-1: snooze for 30, 60 or 120 minutes."},
    }
    assert [kind for kind, _, _ in audit(deps)] == ["opened"]


def test_snooze_select_in_a_reminder_dm(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    choice = ids.snooze_value(SnoozeChoice(1, 30))
    payload = block_action(
        "snooze_choice",
        choice,
        user=ANA,
        channel="D0ANA0001",
        response_url=user.response_url,
        kind="static_select",
    )
    send(user, payload)
    forged = block_action(
        "snooze_choice",
        '{"case":1,"min":9999}',
        user=ANA,
        channel="D0ANA0001",
        response_url=user.response_url,
        kind="static_select",
    )
    send(user, forged)
    assert answers(slack) == [
        "Snoozed C-1 for 30 min.",
        "That button is out of date; open the case with /case show.",
    ]
    assert audit(deps)[-1] == ("snoozed", ANA, "button")
