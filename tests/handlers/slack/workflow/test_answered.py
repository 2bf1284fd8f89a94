"""Resolving without a reply says why: answered elsewhere, no reply needed, or neither
(then the case counts as unanswered). The choice is stored, shown on the card and the
timeline, and asked in the Resolve modal only while the case has had no reply."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.slack import modals as render
from bot.timesource import ManualTime
from storage.models import Case
from tests.conftest import START, drain
from tests.handlers.channels.remotes import Answer, HttpRemote
from tests.support.flows import (
    ANA,
    ROOT_CAUSES,
    SUPPORT,
    answers,
    audit_data,
    blocks_text,
    only_card,
    open_case,
    thread_texts,
)
from tests.support.slackforms import block_action, response_json, send, view_submission
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def _case(deps: Deps) -> Case:
    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert case is not None
        s.expunge(case)
        return case


def _resolve_view(user: SlackClientSim, slack: SlackStandIn) -> dict[str, Any]:
    card = only_card(slack, SUPPORT)
    payload = block_action(
        "case_resolve",
        json.dumps({"case": 1}),
        user=ANA,
        message_ts=card.ts,
        response_url=user.response_url,
        trigger_id="trig.resolve",
    )
    assert send(user, payload).status_code == 200
    return dict(slack.views[-1]["view"])


def test_answered_elsewhere_is_the_first_response_at_the_resolve(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    time_source.advance(timedelta(minutes=20))
    user.command("resolve 1 --answered-elsewhere product-defect called her back", user=ANA)
    drain(worker)

    assert answers(slack) == ["C-1 resolved."]
    case = _case(deps)
    assert (case.answered, case.first_response_at) == ("elsewhere", START + timedelta(minutes=20))
    card = only_card(slack, SUPPORT)
    assert "✅ Resolved (product-defect) · answered elsewhere" in blocks_text(card)
    assert thread_texts(slack, card) == [
        f"✅ Resolved (product-defect) by <@{ANA}>, answered elsewhere: called her back"
    ]
    assert audit_data(deps, "resolved") == [
        {"root_cause": "product-defect", "note": "called her back", "answered": "elsewhere"}
    ]


def test_no_reply_needed_after_the_tag_with_a_dash_a_phone_typed(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("resolve 1 product-defect —no-reply-needed spam", user=ANA)
    drain(worker)

    case = _case(deps)
    assert (case.answered, case.first_response_at, case.root_cause) == (
        "not_needed",
        None,
        "product-defect",
    )
    card = only_card(slack, SUPPORT)
    assert "· no reply needed" in blocks_text(card)
    assert thread_texts(slack, card) == [
        f"✅ Resolved (product-defect) by <@{ANA}>, no reply needed: spam"
    ]


def test_a_plain_resolve_without_a_reply_is_unanswered_and_says_so_on_the_card(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("resolve 1", user=ANA)
    drain(worker)

    case = _case(deps)
    assert (case.answered, case.first_response_at) == ("unanswered", None)
    assert "✅ Resolved · no reply sent" in blocks_text(only_card(slack, SUPPORT))


def test_reopening_an_unanswered_case_waits_for_an_answer_again(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("resolve 1 --no-reply-needed", user=ANA)
    user.command("reopen 1", user=ANA)
    assert _case(deps).answered is None
    user.command("resolve 1 --answered-elsewhere", user=ANA)
    user.command("reopen 1", user=ANA)
    assert _case(deps).answered == "elsewhere", "an answer given stays given"


def test_the_modal_asks_why_no_reply_and_the_choice_is_kept(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _resolve_view(user, slack)
    [choice] = [b for b in view["blocks"] if b["block_id"] == "resolve_answered"]
    assert choice["element"]["type"] == "radio_buttons"
    assert [o["value"] for o in choice["element"]["options"]] == ["elsewhere", "not_needed"]

    submitted = view_submission(view, {"resolve_answered": "not_needed"}, user=ANA)
    assert response_json(send(user, submitted)) is None
    drain(worker)
    assert _case(deps).answered == "not_needed"
    assert "· no reply needed" in blocks_text(only_card(slack, SUPPORT))


def test_a_forged_modal_choice_counts_as_no_reason(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    view = _resolve_view(user, slack)
    submitted = view_submission(view, {"resolve_answered": "replied"}, user=ANA)
    assert response_json(send(user, submitted)) is None
    assert _case(deps).answered == "unanswered"


def test_a_replied_case_is_not_asked_and_stays_replied(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
) -> None:
    open_case(http, worker)
    remote.answers.append(Answer(200, {"id": "msg-1"}))
    user.command("reply 1 On its way!", user=ANA)
    drain(worker)
    assert _case(deps).answered == "replied"

    view = _resolve_view(user, slack)
    assert view == render.resolve_modal(1, "C-1", ROOT_CAUSES, answered=True)
    user.command("resolve 1 --no-reply-needed", user=ANA)
    drain(worker)
    assert _case(deps).answered == "replied"
    card = only_card(slack, SUPPORT)
    assert "answered elsewhere" not in blocks_text(card)
    assert "no reply" not in blocks_text(card)
