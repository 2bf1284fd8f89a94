"""`casebot report`: the summary or one row per case, in CSV, JSON or a table; CSV and
JSON column-identical, ISO 8601 datetimes, seconds as numbers; a progress bar on stderr
only when stderr is a terminal."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot import cli
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from tests.conftest import EXAMPLE_CONFIG, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

RANGE = "2026-11-23..2026-11-24"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def cases(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    time_source: ManualTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """C-1 escalated support → billing, resolved answered elsewhere after 1 h 30 s;
    C-2 (a refund: billing) still open."""
    post_json(http, "web", sample_post(1, "Question"))
    time_source.advance(timedelta(minutes=10))
    post_json(http, "web", sample_post(2, "I want a refund"))
    user.command("escalate 1 billing")
    time_source.advance(timedelta(minutes=50, seconds=30))
    user.command("resolve 1 --answered-elsewhere app-bug")
    drain(worker)
    monkeypatch.setenv("DATABASE_URL", deps.db.url)
    monkeypatch.setenv("CASEBOT_CONFIG", str(EXAMPLE_CONFIG))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    cli.main(["report", *args])
    got = capsys.readouterr()
    return got.out, got.err


@pytest.mark.usefixtures("cases")
def test_cases_as_csv_and_json_carry_the_same_columns_and_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, err = _run(capsys, "--since", RANGE, "--cases")
    assert err == "", "no progress bar when stderr is not a terminal"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0] == {
        "id": "C-1",
        "sources": "web",
        "departments": "support billing",
        "owner": "",
        "priority": "normal",
        "answered": "elsewhere",
        "opened": "2026-11-23T09:00:00+00:00",
        "first_response": "2026-11-23T10:00:30+00:00",
        "first_response_s": "3630.0",
        "resolved": "2026-11-23T10:00:30+00:00",
        "resolution_s": "3630.0",
        "breaches": "",
        "root_cause": "app-bug",
        "problem": "",
    }
    assert [r["id"] for r in rows] == ["C-1", "C-2"]
    assert (rows[1]["departments"], rows[1]["resolved"]) == ("billing", "")

    out, _ = _run(capsys, "--since", RANGE, "--cases", "--format", "json")
    data = json.loads(out)
    assert [list(d) for d in data] == [list(r) for r in rows]
    assert data[0]["first_response_s"] == 3630.0 and data[1]["resolved"] is None
    assert [{k: "" if v is None else str(v) for k, v in d.items()} for d in data] == rows


@pytest.mark.usefixtures("cases")
def test_one_department_and_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _run(capsys, "--since", RANGE, "--dept", "billing", "--format", "table")
    header, row = out.splitlines()
    assert header.split()[:4] == ["department", "since", "until", "new"]
    assert row.split()[:1] == ["billing"]
    out, _ = _run(capsys, "--since", RANGE, "--dept", "billing", "--cases")
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == ["C-1", "C-2"]


@pytest.mark.usefixtures("cases")
def test_a_progress_bar_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    cli.main(["report", "--since", RANGE, "--cases"])
    assert "2/2" in terminal.getvalue() and "cases" in terminal.getvalue()
    assert capsys.readouterr().out.count("\n") == 3


@pytest.mark.usefixtures("cases")
def test_an_unknown_department_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", "--since", RANGE, "--dept", "legal"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("casebot: --dept: There is no department 'legal'")
