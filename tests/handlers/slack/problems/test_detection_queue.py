"""Detection runs in the worker, over the cases the intake queued: each case once, in
order, after the post's 202 and before its card goes out."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.problems import intake as detection
from bot.problems.queue import detect_queued
from bot.timesource import ManualTime
from bot.worker import outbox_round
from config.schema import CasebotConfig
from storage.models import Case
from storage.problem_tables import CaseTerm, Problem, QueuedDetection
from tests.conftest import count
from tests.handlers.slack.problems.storm import storm
from tests.handlers.slack.problems.test_storm import ingest
from tests.support.flows import SUPPORT, blocks_text

pytestmark = pytest.mark.both_db


def test_a_post_is_accepted_before_detection_and_its_card_goes_out_knowing_the_problem(
    http: FlaskClient, deps: Deps, worker: Delivery, slack: SlackStandIn
) -> None:
    """Five storm posts are answered 202 with nothing compared yet; the worker's next
    round detects them in order and only then posts the cards: each card is one
    message that already says "Part of P-1", never a message and then an edit."""
    cases = [ingest(http, i, text) for i, text in enumerate(storm(5))]
    with deps.db.read() as s:
        assert [q.case_id for q in s.exec(select(QueuedDetection))] == cases
        assert count(s, Problem) == 0
        assert count(s, CaseTerm) == 0
    while outbox_round(worker):
        pass
    with deps.db.read() as s:
        assert count(s, QueuedDetection) == 0
        assert [c.problem_id for c in s.exec(select(Case).order_by(Case.id))] == [1] * 5
    cards = [m for m in slack.channel(SUPPORT) if not m.text.startswith("P-")]
    assert len(cards) == 5
    assert all("Part of P-1" in blocks_text(m) for m in cards)
    assert slack.calls_to("chat.update") == []


def test_a_case_resolved_before_its_turn_is_not_compared(
    http: FlaskClient, deps: Deps, time_source: ManualTime
) -> None:
    first = ingest(http, 1, storm(2)[0])
    second = ingest(http, 2, storm(2)[1])
    with deps.db.session() as s:
        s.get(Case, first).status = "resolved"  # type: ignore[union-attr]
    assert detect_queued(deps.db, deps.config) == 2
    with deps.db.read() as s:
        assert {t.case_id for t in s.exec(select(CaseTerm))} == {second}
        assert count(s, QueuedDetection) == 0


def test_a_case_whose_detection_fails_is_logged_and_dropped_and_the_rest_are_detected(
    http: FlaskClient,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cases = [ingest(http, i, text) for i, text in enumerate(storm(6))]
    broken = cases[2]
    real = detection.on_open

    def on_open(session: object, case: Case, text: str, **kw: object) -> None:
        if case.id == broken:
            raise ValueError("a bug in detection")
        real(session, case, text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(detection, "on_open", on_open)
    with caplog.at_level(logging.ERROR, logger="casebot.problems"):
        assert detect_queued(deps.db, deps.config) == 6
    [failed] = [r for r in caplog.records if r.msg == "problems.detection_failed"]
    assert failed.__dict__["case"] == broken
    with deps.db.read() as s:
        assert count(s, QueuedDetection) == 0
        linked = {c.id: c.problem_id for c in s.exec(select(Case))}
    assert linked[broken] is None
    assert [linked[c] for c in cases if c != broken] == [1] * 5


def test_a_limit_leaves_the_rest_queued_in_order(http: FlaskClient, deps: Deps) -> None:
    cases = [ingest(http, i, text) for i, text in enumerate(storm(5))]
    assert detect_queued(deps.db, deps.config, limit=3) == 3
    with deps.db.read() as s:
        assert [q.case_id for q in s.exec(select(QueuedDetection))] == cases[3:]
    assert detect_queued(deps.db, deps.config) == 2
    assert detect_queued(deps.db, deps.config) == 0


@pytest.fixture
def config(config: CasebotConfig, request: pytest.FixtureRequest) -> CasebotConfig:
    if "disabled" not in request.node.name:
        return config
    off = config.problems.model_copy(update={"enabled": False})
    return config.model_copy(update={"problems": off})


def test_with_detection_disabled_nothing_is_queued(http: FlaskClient, deps: Deps) -> None:
    ingest(http, 1, storm(1)[0])
    with deps.db.read() as s:
        assert count(s, QueuedDetection) == 0


def test_the_window_is_read_at_the_time_the_case_opened_not_when_detected(
    http: FlaskClient, deps: Deps, time_source: ManualTime
) -> None:
    """Detected an hour late, the cases still form their problem as of when they
    opened: the queue keeps each case's time."""
    for i, text in enumerate(storm(5)):
        ingest(http, i, text)
        time_source.advance(timedelta(minutes=1))
    time_source.advance(timedelta(hours=1))
    detect_queued(deps.db, deps.config)
    with deps.db.read() as s:
        [problem] = s.exec(select(Problem)).all()
    assert problem.last_seen_at - problem.first_seen_at == timedelta(minutes=4)
