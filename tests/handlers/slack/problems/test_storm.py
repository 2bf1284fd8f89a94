"""The storm the issue describes: forty customers report one broken release from four
sources within the hour. One problem, forty linked cases, one card edited in place at
most once a second, one answer reaching each customer once, one resolve closing all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.problems.links import PROBLEM_CARD
from bot.slack.outbox import Delivery
from bot.timesource import ManualTime
from storage.models import Case, Outbox, Problem, Reply
from tests.conftest import drain, post_json, sample_post
from tests.handlers.channels.remotes import HttpRemote
from tests.handlers.slack.problems.conftest import SOURCES
from tests.handlers.slack.problems.storm import UNRELATED, storm
from tests.support.flows import ANA, BEN, SUPPORT, answers, blocks_text
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def _ingest(http: FlaskClient, n: int, text: str, source: str) -> int:
    resp = post_json(http, source, sample_post(n, text))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return int(str(resp.get_json()["case"]).removeprefix("C-"))


def _storm(
    http: FlaskClient, worker: Delivery, time_source: ManualTime
) -> tuple[list[int], list[int]]:
    """Forty storm posts over four sources, an unrelated one after every fifth, a post
    every 40 seconds, the worker delivering as it goes."""
    stormed, others = [], []
    for i, text in enumerate(storm(40)):
        stormed.append(_ingest(http, i + 1, text, SOURCES[i % len(SOURCES)]))
        if i % 5 == 4:
            others.append(_ingest(http, 100 + i, UNRELATED[i // 5], "web"))
        time_source.advance(timedelta(seconds=0.4))
        drain(worker)
        time_source.advance(timedelta(seconds=39.6))
        drain(worker)
    return stormed, others


def test_a_storm_is_one_problem_answered_and_resolved_once(
    http: FlaskClient,
    worker: Delivery,
    deps: Deps,
    slack: SlackStandIn,
    user: SlackClientSim,
    remote: HttpRemote,
    time_source: ManualTime,
) -> None:
    stormed, others = _storm(http, worker, time_source)
    with deps.db.session() as s:
        [problem] = s.exec(select(Problem)).all()
        linked = s.exec(select(Case.id).where(Case.problem_id == problem.id)).all()
        assert sorted(linked) == sorted(stormed)
        assert s.exec(select(Case.id).where(col(Case.id).in_(others), col(Case.problem_id).is_not(None))).all() == []
        card_rows = s.exec(
            select(Outbox).where(Outbox.kind == PROBLEM_CARD).order_by(col(Outbox.sent_at))
        ).all()
    # One card, posted once and then edited in place, never twice within a second.
    cards = [m for m in slack.channel(SUPPORT) if "P-1" in (m.text or "")]
    assert len(cards) == 1, [m.text for m in slack.channel(SUPPORT)]
    [card] = cards
    assert "40 customers report the same problem" in card.text
    assert card.edits >= 1
    sent = [r.sent_at for r in card_rows if r.sent_at]
    assert all(b - a >= timedelta(seconds=1) for a, b in zip(sent, sent[1:], strict=False))
    text = blocks_text(card)
    for source in SOURCES:
        assert source in text
    # Each case card says which problem it is part of.
    case_cards = [m for m in slack.channel(SUPPORT) if m.text and "P-1" not in m.text]
    assert sum("Part of P-1" in blocks_text(m) for m in case_cards) == 40

    assert user.command("problem reply P-1 Hi {name}, 5.2.1 fixes checkout.", user=ANA).status_code == 200
    assert user.command("problem reply P-1 Hi {name}, 5.2.1 fixes checkout.", user=ANA).status_code == 200
    drain(worker)
    said = answers(slack)
    assert "Replying to 30 customers of P-1" in said[-2]
    assert "10 replies wait for a second person's OK" in said[-2]
    assert "already went to the customers of P-1" in said[-1]
    with deps.db.session() as s:
        pending = s.exec(select(Reply).where(Reply.status == "pending_approval")).all()
        assert len(pending) == 10
        drafts = [r.id for r in pending]
    for reply_id in drafts:
        with deps.db.session() as s:
            from bot import replies
            from bot.ids import Surface

            replies.approve(s, reply_id or 0, actor=BEN, surface=Surface.BUTTON, now=time_source.now())
    drain(worker)
    delivered = [r.json() for r in remote.requests if r.path == "/replies"]
    assert len(delivered) == 40
    assert len({d["case"] for d in delivered}) == 40
    assert {d["text"] for d in delivered} >= {"Hi Customer, 5.2.1 fixes checkout."}

    assert user.command("problem resolve P-1 product-defect fixed in 5.2.1", user=ANA).status_code in (200,)
    drain(worker)
    with deps.db.session() as s:
        statuses = s.exec(select(Case.status, Case.root_cause).where(col(Case.id).in_(stormed))).all()
        assert statuses == [("resolved", "product-defect")] * 40
        assert s.exec(select(Case.status).where(col(Case.id).in_(others))).all() == ["open"] * 8
        assert s.get(Problem, problem.id).status == "resolved"
