"""`/case summary`: the numbers, by period and department, for whom the config allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.clock import ManualClock
from bot.deps import Deps
from bot.slack.outbox import Delivery
from bot.worker import sweep_once
from tests.conftest import drain, post_json, sample_post
from tests.fakes.slack_api import SlackStandIn
from tests.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

ANA = "U0ANA0001"


def _answer(slack: SlackStandIn) -> str:
    return str(slack.responses[-1][1]["text"])


def test_summary_counts_volume_compliance_backlog_and_causes(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    clock: ManualClock,
) -> None:
    for n in (1, 2, 3):
        post_json(http, "web", sample_post(n, f"Question {n}"))
    user.command("claim 2", user=ANA)
    clock.advance(timedelta(minutes=30))
    user.command("resolve 1 app-bug fixed")
    clock.advance(timedelta(hours=5))
    sweep_once(deps)
    user.command("resolve 2 app-bug same again")
    drain(worker)

    user.command("summary today")
    text = _answer(slack)
    assert text.splitlines()[:5] == [
        "*Summary — all departments, today* (since 2026-11-23 00:00 UTC)",
        "New 3 · open 1 · resolved 2 · breached 2",
        "SLA met: first response 33%, resolution 100%",
        "First response: median n/a, p90 n/a",
        "Resolution: median 3 h, p90 5 h 30 min",
    ]
    assert "Backlog by department: Customer Support 1" in text
    assert "Backlog by owner: unclaimed 1" in text
    assert "Top root causes: app-bug 2 (↑ from 0)" in text


def test_summary_by_department_and_unknown_department(
    http: FlaskClient, slack: SlackStandIn, user: SlackClientSim
) -> None:
    post_json(http, "web", sample_post(1, "I want a refund"))
    user.command("summary week billing")
    assert _answer(slack).startswith("*Summary — Billing, week*")
    user.command("summary week legal")
    assert _answer(slack).startswith("There is no department 'legal'")


def test_summary_for_managers_only_when_configured(
    deps: Deps, slack: SlackStandIn, user: SlackClientSim
) -> None:
    deps.config = deps.config.model_copy(
        update={"permissions": deps.config.permissions.model_copy(update={"summary": "managers"})}
    )
    user.command("summary", user=ANA)
    assert _answer(slack) == "Only managers and admins may see summaries here."
    user.command("summary", user="U0SUPMGR01")
    assert _answer(slack).startswith("*Summary — all departments, today*")
