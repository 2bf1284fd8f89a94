"""`/case problem …` end to end: show, link, unlink, claim, reply, resolve; the same
kind of refusals and usage lines as the case commands; a customer who writes again
after Resolve all reopens their own case, not the problem."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.slack.ids import ActionId
from bot.timesource import ManualTime
from storage.models import Case, Event
from storage.problem_tables import Problem
from tests.conftest import drain, post_json, sample_post
from tests.handlers.channels.remotes import HttpRemote
from tests.handlers.slack.problems.storm import storm
from tests.handlers.slack.problems.test_storm import click, ingest, problem_card
from tests.support.flows import ANA, BEN, answers, blocks_text
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


@pytest.fixture
def problem(http: FlaskClient, worker: Delivery, time_source: ManualTime) -> list[int]:
    """P-1 from five similar posts on `web`; returns its cases."""
    ids = []
    for i, text in enumerate(storm(5)):
        ids.append(ingest(http, i + 1, text))
        time_source.advance(timedelta(seconds=30))
    drain(worker)
    return ids


def say(user: SlackClientSim, slack: SlackStandIn, text: str, who: str = ANA) -> str:
    assert user.command(text, user=who).status_code == 200
    return answers(slack)[-1]


def test_show_link_unlink(
    problem: list[int],
    http: FlaskClient,
    user: SlackClientSim,
    slack: SlackStandIn,
    worker: Delivery,
    deps: Deps,
    time_source: ManualTime,
) -> None:
    shown = say(user, slack, "problem P-1")
    assert "*P-1* — 5 cases, 5 open" in shown and "Sources: web 5" in shown
    assert say(user, slack, "problem P-9") == "There is no problem P-9."
    assert say(user, slack, "problem link C-1 P-1") == "C-1: it is already part of P-1."
    other = ingest(http, 50, "Where is my parcel BB-482913?")
    assert say(user, slack, f"problem link C-{other} P-1") == f"C-{other} is part of P-1 now."
    assert say(user, slack, f"problem unlink C-{other}") == f"C-{other} is no longer part of P-1."
    assert (
        say(user, slack, f"problem unlink C-{other}") == f"C-{other}: it is not part of a problem."
    )
    assert say(user, slack, "problem link C-999 P-1") == "There is no case C-999."
    usage = say(user, slack, "problem link C-1")
    assert usage.startswith("Which problem? Give its id, like P-7.\nUsage: `/case problem link")
    with deps.db.session() as s:
        kinds = s.exec(select(Event.kind).where(Event.case_id == other)).all()
    assert kinds.count("problem_linked") == 1 and kinds.count("problem_unlinked") == 1
    time_source.advance(timedelta(seconds=2))
    drain(worker)
    assert "Cases: " in blocks_text(problem_card(slack))


def test_claim_by_command_and_button(
    problem: list[int],
    user: SlackClientSim,
    slack: SlackStandIn,
    worker: Delivery,
    time_source: ManualTime,
) -> None:
    card = problem_card(slack)
    click(user, ActionId.PROBLEM_CLAIM.value, card.blocks[-1]["elements"][0]["value"], ANA)
    assert say(user, slack, "problem claim P-1", BEN) == f"P-1 is already owned by <@{ANA}>."
    assert say(user, slack, "problem claim P-1", ANA) == "You already own P-1."
    time_source.advance(timedelta(seconds=2))
    drain(worker)
    card = problem_card(slack)
    assert f"owner <@{ANA}>" in blocks_text(card)
    assert ActionId.PROBLEM_CLAIM.value not in blocks_text(card)


def test_reply_refusals_and_sources_without_a_connector(
    problem: list[int],
    http: FlaskClient,
    user: SlackClientSim,
    slack: SlackStandIn,
    remote: HttpRemote,
    worker: Delivery,
) -> None:
    other = ingest(http, 60, "App 5.2 checkout crash, again", source="review")
    drain(worker)
    assert say(user, slack, "problem P-1").startswith("*P-1* — 6 cases")  # found by detection
    said = say(user, slack, "problem reply P-1 Hi {name}, fixed in 5.2.1")
    assert said == (
        f"Replying to 5 customers of P-1; no reply connector for C-{other}:"
        " answer those where they wrote."
    )
    assert say(user, slack, "problem reply P-1").startswith("Write the reply after the problem id.")
    drain(worker)
    assert len([r for r in remote.requests if r.path == "/replies"]) == 5


def test_resolve_all_then_one_customer_writes_again(
    problem: list[int],
    http: FlaskClient,
    user: SlackClientSim,
    slack: SlackStandIn,
    deps: Deps,
    worker: Delivery,
) -> None:
    refused = say(user, slack, "problem resolve P-1 app-bug")
    assert refused.startswith("`app-bug` is not a root-cause tag; use one of: shipping-delay,")
    assert say(user, slack, 'problem resolve P-1 product-defect "5.2.1 is out"') == (
        "P-1 resolved: 5 cases closed."
    )
    assert say(user, slack, "problem reply P-1 hello") == "P-1 is resolved."
    follow_up = sample_post(70, "Still crashing after 5.2.1!", in_reply_to="p3")
    follow_up["author"] = sample_post(3)["author"]
    assert post_json(http, "web", follow_up).status_code == 202
    with deps.db.session() as s:
        states = dict(s.exec(select(Case.id, Case.status).where(col(Case.id).in_(problem))).all())
        assert s.get(Problem, 1).status == "resolved"
        assert s.exec(select(Case).where(col(Case.id).not_in(problem))).all() == []
    assert states == {c: "open" if c == problem[2] else "resolved" for c in problem}


def test_a_case_resolved_on_its_own_is_counted_on_the_problem_card(
    problem: list[int],
    user: SlackClientSim,
    slack: SlackStandIn,
    worker: Delivery,
    time_source: ManualTime,
) -> None:
    assert "🧩 5 open cases" in blocks_text(problem_card(slack))
    assert say(user, slack, "resolve C-2 product-defect") == "C-2 resolved."
    time_source.advance(timedelta(seconds=2))
    drain(worker)
    text = blocks_text(problem_card(slack))
    assert "🧩 4 open cases" in text and "|C-2>~" in text  # struck through
