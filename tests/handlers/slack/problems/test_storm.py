"""The storm the issue describes: forty customers report one broken release from four
sources within the hour. One problem, forty linked cases, one card edited in place at
most once a second, one answer reaching each customer once (a second person approving
where the source says so), one Resolve all closing the forty; the unrelated posts of
the same hour stay on their own."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.problems.refresh import PROBLEM_CARD
from bot.slack.ids import PROBLEM_ACTIONS, ActionId, InputId
from bot.timesource import ManualTime
from storage.models import Case, Outbox
from storage.problem_tables import Problem
from tests.conftest import drain, post_json, sample_post
from tests.handlers.channels.remotes import HttpRemote
from tests.handlers.slack.problems.conftest import SOURCES
from tests.handlers.slack.problems.storm import UNRELATED, storm
from tests.support.flows import ANA, BEN, SUPPORT, blocks_text, button_ids
from tests.support.slackforms import block_action, response_json, send, view_submission
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

FIX = "Hi {name}, 5.2.1 fixes checkout."


def ingest(http: FlaskClient, n: int, text: str, source: str = "web") -> int:
    resp = post_json(http, source, sample_post(n, text))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return int(str(resp.get_json()["case"]).removeprefix("C-"))


def run_storm(
    http: FlaskClient, worker: Delivery, time_source: ManualTime
) -> tuple[list[int], list[int]]:
    """Forty storm posts over four sources, an unrelated one after every fifth, a post
    every 40 seconds (twice in each second, the worker delivering in between)."""
    stormed, others = [], []
    for i, text in enumerate(storm(40)):
        stormed.append(ingest(http, i + 1, text, SOURCES[i % len(SOURCES)]))
        if i % 5 == 4:
            others.append(ingest(http, 100 + i, UNRELATED[i // 5]))
        time_source.advance(timedelta(seconds=0.4))
        drain(worker)
        time_source.advance(timedelta(seconds=39.6))
        drain(worker)
    return stormed, others


def problem_card(slack: SlackStandIn) -> Message:
    [card] = [m for m in slack.channel(SUPPORT) if m.text.startswith("P-")]
    return card


def click(user: SlackClientSim, action: str, value: str, who: str) -> None:
    resp = send(user, block_action(action, value, user=who, response_url=None))
    assert resp.status_code == 200


def test_a_storm_is_one_problem_answered_and_resolved_once(
    http: FlaskClient,
    worker: Delivery,
    deps: Deps,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    stormed, others = run_storm(http, worker, time_source)
    with deps.db.session() as s:
        [problem] = s.exec(select(Problem)).all()
        linked = s.exec(select(Case.id).where(Case.problem_id == problem.id)).all()
        strays = s.exec(select(Case.problem_id).where(col(Case.id).in_(others))).all()
        sent = [
            r.sent_at
            for r in s.exec(select(Outbox).where(Outbox.kind == PROBLEM_CARD))
            if r.sent_at
        ]
    assert sorted(linked) == sorted(stormed)
    assert strays == [None] * len(UNRELATED)
    # One card, posted once, edited in place, never twice within a second.
    card = problem_card(slack)
    assert card.text == "P-1: 40 customers report the same problem"
    assert card.edits >= 5
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(sorted(sent)))
    assert all(f"{source} 10" in blocks_text(card) for source in SOURCES)
    assert button_ids(card) == [a.value for a in PROBLEM_ACTIONS]
    case_cards = [m for m in slack.channel(SUPPORT) if m is not card]
    assert sum("Part of P-1" in blocks_text(m) for m in case_cards) == 40

    # Reply to all… from the card: thirty go now, `shop`'s ten wait for approval.
    value = card.blocks[-1]["elements"][1]["value"]
    click(user, ActionId.PROBLEM_REPLY.value, value, ANA)
    modal = slack.views[-1]["view"]
    submitted = send(user, view_submission(modal, {InputId.PROBLEM_TEXT.value: FIX}, user=ANA))
    said = response_json(submitted)
    assert said["response_action"] == "update"
    assert "Replying to 30 customers of P-1" in json.dumps(said)
    assert "10 replies wait for a second person's OK" in json.dumps(said)
    again = response_json(
        send(user, view_submission(modal, {InputId.PROBLEM_TEXT.value: FIX}, user=ANA))
    )
    assert again["errors"] == {
        InputId.PROBLEM_TEXT.value: "That answer already went to the customers of P-1."
    }
    drain(worker)
    drafts = [
        m
        for m in slack.channel(SUPPORT, threads=True)
        if ActionId.APPROVE_REPLY.value in button_ids(m)
    ]
    assert len(drafts) == 10
    for draft in drafts:
        click(user, ActionId.APPROVE_REPLY.value, draft.blocks[-1]["elements"][0]["value"], BEN)
    drain(worker)
    delivered = [r.json() for r in remote.requests if r.path == "/replies"]
    assert sorted(d["case"] for d in delivered) == sorted(f"C-{c}" for c in stormed)
    assert {d["text"] for d in delivered} == {"Hi Customer, 5.2.1 fixes checkout."}
    with deps.db.session() as s:
        answered = s.exec(select(Case.first_response_at).where(col(Case.id).in_(stormed)))
        assert all(list(answered))

    # Resolve all, with the root cause: the forty close, the others stay open.
    assert user.command("problem resolve P-1 product-defect 5.2.1", user=ANA).status_code == 200
    drain(worker)
    with deps.db.session() as s:
        closed = s.exec(select(Case.status, Case.root_cause).where(col(Case.id).in_(stormed)))
        assert list(closed) == [("resolved", "product-defect")] * 40
        assert list(s.exec(select(Case.status).where(col(Case.id).in_(others)))) == ["open"] * len(
            UNRELATED
        )
        assert s.get(Problem, problem.id).status == "resolved"
    time_source.advance(timedelta(seconds=1))
    drain(worker)
    card = problem_card(slack)
    assert "Resolved (product-defect)" in blocks_text(card)
    assert button_ids(card) == []
