"""The period's problems in `/case summary`, in a digest's data and in the report:
size, sources, time to first answer and to resolve, root cause; each case row names
its problem."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot import report, summary
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from tests.conftest import drain
from tests.handlers.slack.problems.storm import storm
from tests.handlers.slack.problems.test_storm import ingest
from tests.support.flows import ANA, answers
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


@pytest.fixture
def fixed(
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    """P-1: six cases on `web` over five minutes, all answered ten minutes after the
    first, resolved an hour after it."""
    for i, text in enumerate(storm(6)):
        ingest(http, i + 1, text)
        drain(worker)  # the worker's next round: detection, then the cards
        time_source.advance(timedelta(minutes=1))
    time_source.advance(timedelta(minutes=4))
    user.command("problem reply P-1 Hi {name}, fixed in 5.2.1", user=ANA)
    drain(worker)
    time_source.advance(timedelta(minutes=50))
    user.command("problem resolve P-1 product-defect", user=ANA)
    drain(worker)


@pytest.mark.usefixtures("fixed")
def test_the_summary_lists_the_problem(
    user: SlackClientSim, slack: SlackStandIn, deps: Deps, time_source: ManualTime
) -> None:
    user.command("summary today", user=ANA)
    said = answers(slack)[-1]
    assert "Problems (many customers, one cause):" in said
    assert "• P-1: 6 cases (web 6) · first answer 10 min · resolved in 1 h (product-defect)" in said
    with deps.db.read() as s:
        numbers = summary.summarize(
            s, period="today", department=None, actor=ANA, config=deps.config, now=time_source.now()
        )
    assert summary.from_data(summary.to_data(numbers)) == numbers


@pytest.mark.usefixtures("fixed")
def test_the_report_names_problems_and_each_case_its_problem(
    deps: Deps, time_source: ManualTime
) -> None:
    [everything, *_] = report.build(deps, since="1d", now=time_source.now())
    assert report.summary_row(everything)["problems"] == "P-1:6:product-defect"
    rows = list(report.case_rows(deps, since="1d", now=time_source.now(), progress=False))
    column = report.CASE_COLUMNS.index("problem")
    assert [r[column] for r in rows] == ["P-1"] * 6
