"""`GET /metrics` and what feeds it: counters where things happen, the outbox gauges read
from the database at the scrape, `/healthz`'s backlog. Counters are process-wide, so
each test compares before and after."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import sweep_once
from handlers.ingest import UNAUTHENTICATED
from tests.conftest import drain, post_json, sample_post, sign
from tests.support.slackreq import SlackClientSim


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """How much each named sample grew since the start of the test."""

    def __init__(self, *samples: tuple[str, dict[str, str]]) -> None:
        self.samples = samples
        self.before = [value(n, **labels) for n, labels in samples]

    def __call__(self) -> list[float]:
        return [
            value(n, **labels) - b for (n, labels), b in zip(self.samples, self.before, strict=True)
        ]


def _ingested(source: str, code: str) -> tuple[str, dict[str, str]]:
    return ("casebot_ingest_total", {"source": source, "code": code})


def test_ingest_is_counted_by_source_and_answer(http: FlaskClient, down_http: FlaskClient) -> None:
    delta = Delta(
        _ingested("web", "202"),
        _ingested("web", "400"),
        _ingested("web", "415"),
        _ingested(UNAUTHENTICATED, "401"),
        _ingested(UNAUTHENTICATED, "404"),
        _ingested("web", "503"),
    )
    post_json(http, "web", sample_post(1))
    post_json(http, "web", sample_post(1))
    post_json(http, "web", b"{}")
    body = json.dumps(sample_post(2)).encode()
    http.post(
        "/ingest/web",
        data=body,
        headers={"Content-Type": "text/csv", "X-Casebot-Signature": sign(body)},
    )
    post_json(http, "any-name-at-all", b"{}", **{"X-Casebot-Signature": "sha256=00"})
    post_json(http, "NOT A SOURCE", b"{}")
    post_json(down_http, "web", sample_post(3))
    assert delta() == [2, 1, 1, 1, 1, 1]


def test_cases_opened_and_resolved_are_counted_once_committed(
    http: FlaskClient, user: SlackClientSim
) -> None:
    delta = Delta(
        ("casebot_cases_opened_total", {"department": "support"}),
        ("casebot_cases_resolved_total", {"department": "support"}),
    )
    post_json(http, "web", sample_post(1))
    post_json(http, "web", sample_post(1))  # a duplicate opens nothing
    user.command("resolve C-1 no-such-tag")  # refused: rolled back, counts nothing
    user.command('resolve C-1 "sorted"')
    user.command('resolve C-1 "again"')  # refused: already resolved
    assert delta() == [1, 1]


def test_slack_api_errors_and_429s_are_counted_by_method(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    delta = Delta(
        ("casebot_slack_rate_limited_total", {"method": "chat.postMessage"}),
        (
            "casebot_slack_api_errors_total",
            {"method": "chat.postMessage", "error": "channel_not_found"},
        ),
        ("casebot_slack_api_errors_total", {"method": "chat.postMessage", "error": "http_503"}),
    )
    slack.fail("chat.postMessage", Fault(status=429, headers={"Retry-After": "0"}))
    post_json(http, "web", sample_post(1))
    drain(worker)
    slack.fail("chat.postMessage", Fault(error="channel_not_found"))
    post_json(http, "web", sample_post(2))
    drain(worker)
    slack.fail("chat.postMessage", Fault(status=503, error="service_unavailable"))
    post_json(http, "web", sample_post(3))
    drain(worker)
    assert delta() == [1, 1, 1]


def test_sla_warnings_and_breaches_come_from_the_sweep(
    http: FlaskClient, deps: Deps, time_source: ManualTime, worker: Delivery
) -> None:
    delta = Delta(
        ("casebot_sla_warnings_total", {"clock": "first_response"}),
        ("casebot_sla_breaches_total", {"clock": "first_response"}),
    )
    post_json(http, "web", sample_post(1))  # support, normal: first response due in 4 h
    for hours in (2.1, 1.2, 0.8):  # past 50 %, past 80 %, past the deadline
        time_source.advance(timedelta(hours=hours))
        sweep_once(deps)
        drain(worker)
    assert delta() == [2, 1]


def test_commands_and_clicks_are_timed_to_their_answer_and_their_ack(
    http: FlaskClient, user: SlackClientSim
) -> None:
    delta = Delta(
        ("casebot_command_seconds_count", {"command": "claim"}),
        ("casebot_command_seconds_count", {"command": "other"}),
        ("casebot_command_seconds_count", {"command": "case_claim"}),
        ("casebot_ack_seconds_count", {"kind": "command"}),
        ("casebot_ack_seconds_count", {"kind": "block_actions"}),
    )
    post_json(http, "web", sample_post(1))
    user.command("claim C-1")
    user.command("frobnicate C-1")
    user.click("case_claim", '{"case":1}')  # answered: "you already own it"
    user.click("case_wait", '{"case":1}')  # not answered: the card shows it
    assert delta() == [1, 1, 1, 2, 2]


def _families(text: str) -> dict[str, float]:
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(casebot_\S+) (\S+)$", text, re.MULTILINE)
    }


@pytest.mark.both_db
def test_metrics_show_the_outbox_backlog_read_from_the_database(
    http: FlaskClient, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1))
    time_source.advance(timedelta(seconds=90))
    post_json(http, "web", sample_post(2))
    resp = http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    found = _families(resp.get_data(as_text=True))
    assert found["casebot_database_up"] == 1
    assert found['casebot_outbox_depth{kind="card"}'] == 2
    assert found['casebot_outbox_oldest_age_seconds{kind="card"}'] == 90
    assert found["casebot_detection_queue_depth"] == 2
    assert found["casebot_detection_queue_oldest_age_seconds"] == 90
    assert "# TYPE casebot_ingest_total counter" in resp.get_data(as_text=True)


@pytest.mark.both_db
def test_metrics_still_answer_while_the_database_is_down(down_http: FlaskClient) -> None:
    resp = down_http.get("/metrics")
    assert resp.status_code == 200
    found = _families(resp.get_data(as_text=True))
    assert found["casebot_database_up"] == 0
    assert not [name for name in found if name.startswith("casebot_outbox_depth")]
    assert "casebot_detection_queue_depth" not in found


@pytest.mark.both_db
def test_healthz_reports_the_backlog_and_its_oldest_age(
    http: FlaskClient, worker: Delivery, time_source: ManualTime
) -> None:
    assert http.get("/healthz").get_json()["backlog"] == 0
    post_json(http, "web", sample_post(1))
    time_source.advance(timedelta(seconds=42))
    health = http.get("/healthz").get_json()
    assert (health["backlog"], health["oldest_age_seconds"]) == (1, 42.0)
    assert health["detection_queue"] == {"depth": 1, "oldest_age_seconds": 42.0}
    drain(worker)
    health = http.get("/healthz").get_json()
    assert (health["backlog"], health["oldest_age_seconds"]) == (0, None)
    assert health["detection_queue"] == {"depth": 0, "oldest_age_seconds": None}
