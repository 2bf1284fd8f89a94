"""Summary and OLA figures on a fixed dataset, against numbers worked out by hand.

The OLA of billing runs on office hours (Europe/Berlin, Mon-Fri 09:00-17:00; in
November that is 08:00-16:00 UTC), support's round the clock. Monday 2026-11-23:

- C-1: opened 09:00 UTC in support; escalated to billing 09:30; back to support
  Tuesday 09:00; resolved "no reply needed" Tuesday 09:20.
  Holds: support 30 min (opened: not judged), billing Mon 10:30-17:00 + Tue 09:00-10:00
  Berlin = 7 h 30 min of office time (budget 2 h: missed), support 20 min (budget 1 h: met).
- C-2: opened 09:00 in support; escalated to billing 09:10; resolved "answered
  elsewhere" 09:40 — first response after 40 min (due after 4 h: met).
  Holds: support 10 min (not judged), billing 30 min (met).
- C-3: opened Tuesday 09:00 in support, resolved 09:05 without a reason: unanswered.
  Never escalated, so no OLA line counts it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bot import summary
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.periods import Period
from bot.summary import OlaLine
from bot.timesource import ManualTime
from bot.worker import fold_summary, sweep_once
from config.load import load_config
from config.schema import CasebotConfig
from tests.conftest import EXAMPLE_CONFIG, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

MIN = timedelta(minutes=1)
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RANGE = "2026-11-23..2026-11-24"


@pytest.fixture
def config(tmp_path: Path) -> CasebotConfig:
    text = EXAMPLE_CONFIG.read_text()
    old = "    billing: 4h               # short for {budget: 4h} on the 24/7 calendar\n"
    assert old in text
    ola = "    billing: {budget: 2h, calendar: office}\n    support: 1h\n"
    path = tmp_path / "casebot.yaml"
    path.write_text(text.replace(old, ola))
    return load_config(path)


@pytest.fixture
def dataset(
    deps: Deps, http: FlaskClient, worker: Delivery, user: SlackClientSim, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1, "Question one"))
    post_json(http, "web", sample_post(2, "Question two"))
    time_source.advance(10 * MIN)
    user.command("escalate 2 billing")
    time_source.advance(20 * MIN)
    user.command("escalate 1 billing")
    time_source.advance(10 * MIN)
    user.command("resolve 2 --answered-elsewhere")
    time_source.advance(TUESDAY - time_source.now())
    user.command("escalate 1 support")
    post_json(http, "web", sample_post(3, "Question three"))
    time_source.advance(5 * MIN)
    user.command("resolve 3")
    time_source.advance(15 * MIN)
    user.command("resolve 1 --no-reply-needed")
    drain(worker)
    sweep_once(deps)


def _answer(slack: SlackStandIn) -> str:
    return str(slack.responses[-1][1]["text"])


@pytest.mark.usefixtures("dataset")
def test_the_summary_of_the_two_days(slack: SlackStandIn, user: SlackClientSim) -> None:
    user.command(f"summary {RANGE}")
    assert _answer(slack).splitlines() == [
        f"*Summary — all departments, {RANGE}* (since 2026-11-23 00:00 UTC)",
        "New 3 · open 0 · resolved 3 · breached 0",
        "SLA met: first response 50%, resolution 100%",
        "Resolved without a reply: 1 answered elsewhere (counted as answered),"
        " 1 no reply needed (left out), 1 unanswered (counted as missed)",
        "First response: median 40 min, p90 40 min",
        "Resolution: median 40 min, p90 1 d",
        "Time held by department (escalated cases):",
        "• Billing: 2 holds, median 4 h, p90 7 h 30 min, OLA met 50% of 2",
        "• Customer Support: 3 holds, median 20 min, p90 30 min, OLA met 100% of 1",
    ]


@pytest.mark.usefixtures("dataset")
def test_one_department(deps: Deps, time_source: ManualTime) -> None:
    """Billing's view: the case it resolved (C-2) and its own holds."""
    with deps.db.read() as s:
        got = summary.compute(
            s,
            period=Period(RANGE, datetime(2026, 11, 23, tzinfo=UTC), TUESDAY + timedelta(hours=15)),
            department="billing",
            config=deps.config,
            now=time_source.now(),
        )
    assert (got.new, got.resolved, got.open, got.answered_elsewhere) == (1, 1, 0, 1)
    assert got.first_response_median == 40 * MIN
    assert got.ola == [
        OlaLine("billing", 2, timedelta(hours=4), timedelta(hours=7, minutes=30), 0.5, 2)
    ]


@pytest.mark.usefixtures("dataset")
def test_an_empty_period(slack: SlackStandIn, user: SlackClientSim) -> None:
    user.command("summary 2026-11-01..2026-11-02")
    assert _answer(slack).splitlines() == [
        "*Summary — all departments, 2026-11-01..2026-11-02* (since 2026-11-01 00:00 UTC)",
        "New 0 · open 0 · resolved 0 · breached 0",
        "SLA met: first response n/a, resolution n/a",
        "First response: median n/a, p90 n/a",
        "Resolution: median n/a, p90 n/a",
    ]


@pytest.mark.usefixtures("dataset")
def test_the_same_once_the_worker_folded_the_cases_into_the_rollup(
    deps: Deps, slack: SlackStandIn, user: SlackClientSim
) -> None:
    """The summary reads changed cases live until the worker's refresh folds them in:
    the answer is the same before and after, for whole days and for partial ones."""
    periods = [f"summary {RANGE}", "summary today", "summary week", "summary 30d"]
    before = []
    for command in periods:
        user.command(command)
        before.append(_answer(slack))
    assert fold_summary(deps) == 3
    after = []
    for command in periods:
        user.command(command)
        after.append(_answer(slack))
    assert after == before
