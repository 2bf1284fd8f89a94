"""`/case summary`: the numbers, by period and department, for whom the config allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import sweep_once
from tests.conftest import drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

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
    time_source: ManualTime,
) -> None:
    for n in (1, 2, 3):
        post_json(http, "web", sample_post(n, f"Question {n}"))
    user.command("claim 2", user=ANA)
    time_source.advance(timedelta(minutes=30))
    user.command("resolve 1 --answered-elsewhere app-bug fixed")
    time_source.advance(timedelta(hours=5))
    sweep_once(deps)
    user.command("resolve 2 app-bug same again")
    drain(worker)

    user.command("summary today")
    text = _answer(slack)
    assert text.splitlines()[:6] == [
        "*Summary — all departments, today* (since 2026-11-23 00:00 UTC)",
        "New 3 · open 1 · resolved 2 · breached 2",
        "SLA met: first response 33%, resolution 100%",
        "Resolved without a reply: 1 answered elsewhere (counted as answered),"
        " 1 unanswered (counted as missed)",
        "First response: median 30 min, p90 30 min",
        "Resolution: median 3 h, p90 5 h 30 min",
    ]
    assert "Backlog by department: Customer Support 1" in text
    assert "Backlog by owner: unclaimed 1" in text
    assert "Top root causes: app-bug 2 (↑ from 0)" in text


def test_a_case_resolved_without_a_reply_is_not_a_first_response_met(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    """Resolved within minutes but never answered: the customer was not answered, so
    the first response is missed (it used to count as met, 100 %); one resolved "no
    reply needed" is left out of the share and counted on its own."""
    for n in (1, 2, 3):
        post_json(http, "web", sample_post(n, f"Question {n}"))
    time_source.advance(timedelta(minutes=5))
    user.command("resolve 1")
    user.command("resolve 2 --no-reply-needed")
    user.command("resolve 3 --answered-elsewhere")
    drain(worker)

    user.command("summary today")
    lines = _answer(slack).splitlines()
    assert lines[2] == "SLA met: first response 50%, resolution 100%"
    assert lines[3] == (
        "Resolved without a reply: 1 answered elsewhere (counted as answered),"
        " 1 no reply needed (left out), 1 unanswered (counted as missed)"
    )
    assert lines[4] == "First response: median 5 min, p90 5 min"


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


def test_report_exports_the_same_numbers_as_csv_and_json(
    deps: Deps, http: FlaskClient, user: SlackClientSim, time_source: ManualTime
) -> None:
    import csv
    import io
    import json

    from bot import report

    post_json(http, "web", sample_post(1, "Question"))
    post_json(http, "web", sample_post(2, "I want a refund"))
    time_source.advance(timedelta(hours=1))
    user.command("resolve 1 app-bug fixed")
    summaries = report.build(deps, since="7d", now=time_source.now())
    rows = list(csv.DictReader(io.StringIO(report.render(summaries, "csv"))))
    assert [r["department"] for r in rows] == ["all", "support", "billing", "logistics", "pr"]
    assert (rows[0]["new"], rows[0]["resolved"], rows[0]["open"]) == ("2", "1", "1")
    assert rows[1]["resolution_median_s"] == "3600"
    assert rows[1]["top_root_causes"] == "app-bug:1"
    assert rows[2]["new"] == "1"
    data = json.loads(report.render(summaries, "json"))
    assert data[0]["resolved"] == 1 and data[0]["top_root_causes"] == "app-bug:1"
    assert [list(d) for d in data] == [list(r) for r in rows], "the same columns, in order"
    assert data[0]["since"] == "2026-11-16T10:00:00+00:00", "ISO 8601"
    assert [{k: "" if v is None else str(v) for k, v in d.items()} for d in data] == rows


def test_report_refuses_a_bad_since(deps: Deps) -> None:
    from bot import report
    from config.errors import ConfigError

    with pytest.raises(ConfigError, match="--since"):
        report.build(deps, since="last week", now=deps.time.now())


def test_median_and_p90_are_one_definition_rounded_alike_in_slack_csv_and_json(
    deps: Deps,
    http: FlaskClient,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    """Six resolutions of 1.5 … 11.5 s: the nearest-rank p90 is the 6th (11.5 s), the
    median 3.75 s; every output shows them cut to whole seconds (11 s, 3 s)."""
    import csv
    import io
    import json

    from bot import report

    for n in range(1, 7):
        post_json(http, "web", sample_post(n, f"Question {n}"))
    for n, after in enumerate([1.5, 1.0, 1.0, 0.5, 1.5, 6.0], start=1):
        time_source.advance(timedelta(seconds=after))
        user.command(f"resolve {n}")

    user.command("summary today")
    assert "Resolution: median 3 s, p90 11 s" in _answer(slack)
    summaries = report.build(deps, since="1d", now=time_source.now())
    [row, *_] = csv.DictReader(io.StringIO(report.render(summaries, "csv")))
    assert (row["resolution_median_s"], row["resolution_p90_s"]) == ("3", "11")
    [first, *_] = json.loads(report.render(summaries, "json"))
    assert (first["resolution_median_s"], first["resolution_p90_s"]) == (3, 11)


def test_nearest_rank_percentile() -> None:
    from bot.summary import nearest_rank

    assert nearest_rank([10.5, 0.5, 1.5, 2.5, 3.5, 5.5], 90) == 10.5, "rank ⌈5.4⌉ = 6"
    assert nearest_rank(list(range(1, 11)), 90) == 9, "rank 9 exactly, no float drift"
    assert nearest_rank(list(range(1, 21)), 90) == 18
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    assert nearest_rank([7.0], 90) == 7.0
    assert nearest_rank([3, 1, 2], 100) == 3
    with pytest.raises(ValueError):
        nearest_rank([], 90)


def test_summary_over_a_range_of_days(
    http: FlaskClient, slack: SlackStandIn, user: SlackClientSim, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1, "Question"))
    time_source.advance(timedelta(days=2))
    post_json(http, "web", sample_post(2, "Another question"))
    user.command("summary 2026-11-23..2026-11-23")
    lines = _answer(slack).splitlines()
    assert lines[:2] == [
        "*Summary — all departments, 2026-11-23..2026-11-23* (since 2026-11-23 00:00 UTC)",
        "New 1 · open 2 · resolved 0 · breached 0",
    ]
    user.command("summary 2026-11-23..2026-11-25")
    assert _answer(slack).splitlines()[1].startswith("New 2 ·")
