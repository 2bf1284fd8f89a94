"""Every door answers in kind: JSON with an `error` field for every Flask error path, and
503 with `Retry-After` while the database is down, with one log line per kind of failure
instead of a traceback per request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from bot import intake, worker
from bot.deps import Deps
from tests.conftest import post_json, sample_post, sign
from tests.support.slackreq import SlackClientSim

LogLines = Callable[[], list[dict[str, Any]]]


def _json_error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status
    assert resp.mimetype == "application/json", resp.get_data(as_text=True)[:200]
    body = resp.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in resp.get_data(as_text=True)
    return dict(body)


def test_an_unknown_path_is_404_json(http: FlaskClient) -> None:
    assert _json_error(http.get("/nowhere"), 404) == {"error": "not found"}


def test_a_wrong_method_is_405_json_with_allow(http: FlaskClient) -> None:
    resp = http.get("/ingest/web")
    _json_error(resp, 405)
    assert "POST" in resp.headers["Allow"]


def test_a_slack_body_over_the_limit_is_413_json(http: FlaskClient) -> None:
    _json_error(http.post("/slack/events", data=b"x" * (2 * 1024 * 1024)), 413)


def test_a_wrong_content_type_is_415_json(http: FlaskClient) -> None:
    body = json.dumps(sample_post(1)).encode()
    headers = {"Content-Type": "text/csv", "X-Casebot-Signature": sign(body)}
    resp = http.post("/ingest/web", data=body, headers=headers)
    assert "not accepted" in _json_error(resp, 415)["error"]


def test_an_unexpected_failure_is_500_json_without_a_traceback(
    http: FlaskClient, monkeypatch: pytest.MonkeyPatch, log_lines: LogLines
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(intake, "receive", broken)
    resp = post_json(http, "web", sample_post(1))
    body = _json_error(resp, 500)
    assert "secret internals" not in json.dumps(body)
    [failed] = [r for r in log_lines() if r["event"] == "web.failed"]
    assert failed["door"] == "ingest" and "RuntimeError" in failed["exc"]


@pytest.mark.both_db
def test_ingest_with_the_database_down_is_503_with_retry_after(down_http: FlaskClient) -> None:
    resp = post_json(down_http, "web", sample_post(1))
    body = _json_error(resp, 503)
    assert body["error"].startswith("database unreachable")
    assert resp.headers["Retry-After"] == "10"


@pytest.mark.both_db
def test_healthz_with_the_database_down_is_503_json(down_http: FlaskClient) -> None:
    resp = down_http.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"ok": False, "database": "unreachable"}
    assert resp.headers["Retry-After"] == "10"


@pytest.mark.both_db
def test_a_flood_of_requests_while_the_database_is_down_is_one_traceback(
    down_http: FlaskClient, log_lines: LogLines
) -> None:
    for n in range(200):
        assert post_json(down_http, "web", sample_post(n)).status_code == 503
    records = log_lines()
    tracebacks = [r for r in records if "exc" in r]
    assert len(tracebacks) == 1, [r["event"] for r in tracebacks]
    assert tracebacks[0]["event"] == "database.unavailable"
    assert tracebacks[0]["door"] == "ingest"
    assert not [r for r in records if r["level"] in ("warning", "error") and "exc" not in r]


@pytest.mark.both_db
def test_a_slash_command_with_the_database_down_says_try_again(
    down_http: FlaskClient, slack: Any, log_lines: LogLines
) -> None:
    user = SlackClientSim(down_http, slack.response_url())
    for _ in range(5):
        assert user.command("claim C-1").status_code == 200
    answers = [args["text"] for _, args in slack.responses]
    assert (
        answers
        == ["Casebot cannot reach its database right now; please try again in a minute."] * 5
    )
    assert len([r for r in log_lines() if "exc" in r]) == 1


@pytest.mark.both_db
def test_each_worker_job_logs_one_traceback_while_the_database_is_down(
    down_deps: Deps, log_lines: LogLines, backend: str
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    worker.add_jobs(scheduler, down_deps)
    jobs = {job.id: job.func for job in scheduler.get_jobs()}
    # On SQLite the outbox job's rounds are the only detection (one writer), and there
    # are no planner statistics to keep.
    only_pg = set() if backend == "sqlite" else {"problem_detection", "statistics"}
    assert set(jobs) == {"sla_sweep", "summary_rollup", "oncall_handoffs", "outbox", *only_pg}
    for _ in range(30):
        for run in jobs.values():
            run()
    tracebacks = [r for r in log_lines() if "exc" in r]
    assert sorted(r["job"] for r in tracebacks) == sorted(jobs)
    assert {r["event"] for r in tracebacks} == {"job.database_unavailable"}


@pytest.mark.both_db
def test_a_modal_submitted_while_the_database_is_down_stays_open_saying_try_again(
    down_http: FlaskClient, slack: Any
) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U0ANA0001", "team_id": "T1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "resolve_modal",
            "private_metadata": '{"case":1}',
            "state": {"values": {"resolve_note": {"resolve_note": {"value": "done"}}}},
        },
    }
    user = SlackClientSim(down_http, slack.response_url())
    resp = user.post(urlencode({"payload": json.dumps(payload)}))
    assert resp.status_code == 200
    assert resp.get_json() == {
        "response_action": "errors",
        "errors": {
            "resolve_note": "Casebot cannot reach its database right now;"
            " please try again in a minute."
        },
    }
