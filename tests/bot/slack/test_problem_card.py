"""The problem card as Block Kit: escaped, within Slack's limits, buttons by state; the
button value read back only when it is ours."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.problems.ids import format_problem_id, parse_problem_id
from bot.problems.view import LinkedCase, ProblemCardView
from bot.slack.ids import PROBLEM_ACTIONS, ActionId, problem_value, read_problem_value
from bot.slack.presenters import thread_line
from bot.slack.problem_card import problem_card

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
HOSTILE = "<!channel> <@U0BOSS01> <https://evil.example|click> & co"


def _view(**changes: object) -> ProblemCardView:
    view = ProblemCardView(
        problem_id=7,
        ref="P-7",
        status="open",
        department="support",
        department_name="Customer Support",
        channel="C0SUPPORT01",
        count=45,
        open_count=45,
        sources=[("web", 30), ("email", 15)],
        first_seen=AT,
        last_seen=AT,
        samples=[HOSTILE, "x" * 5000],
        cases=[LinkedCase(f"C-{n}", n, "open", "C0SUPPORT01", f"1.{n}") for n in range(26, 46)],
        owner_id=None,
        root_cause=None,
        note="",
        answered_at=None,
        resolved_at=None,
    )
    return replace(view, **changes)  # type: ignore[arg-type]


def test_the_card_escapes_customer_text_and_stays_within_limits() -> None:
    text, blocks = problem_card(_view(), {26: "https://acme.slack.com/archives/C/p1"})
    rendered = json.dumps(blocks)
    assert text == "P-7: 45 customers report the same problem"
    assert "<!channel>" not in rendered and "<@U0BOSS01>" not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "<https://acme.slack.com/archives/C/p1|C-26>" in rendered
    assert "and 25 earlier" in rendered
    assert [e["action_id"] for e in blocks[-1]["elements"]] == [a.value for a in PROBLEM_ACTIONS]


def test_an_owned_problem_has_no_claim_button_and_a_resolved_one_no_buttons() -> None:
    _, owned = problem_card(_view(owner_id="U0ANA0001"), {})
    assert [e["action_id"] for e in owned[-1]["elements"]] == [
        ActionId.PROBLEM_REPLY.value,
        ActionId.PROBLEM_RESOLVE.value,
    ]
    _, done = problem_card(_view(status="resolved", root_cause="app-bug", note=HOSTILE), {})
    assert all(b["type"] != "actions" for b in done)
    assert "Resolved (app-bug)" in json.dumps(done)
    assert "&lt;!channel&gt;" in json.dumps(done)


def test_button_values_and_ids_read_back() -> None:
    assert read_problem_value(problem_value(7)) == 7
    for bad in ('{"problem": true}', '{"problem": -1}', '{"case": 7}', "7", "{", '"x"'):
        assert read_problem_value(bad) is None
    assert [parse_problem_id(t) for t in ("P-7", "p7", "7", "P-0", "C-7", "P-x")] == [
        7,
        7,
        7,
        None,
        None,
        None,
    ]
    assert format_problem_id(7) == "P-7"


def test_thread_lines_for_linking() -> None:
    data = {"problem": "P-7", "problem_id": 7}
    assert thread_line("problem_linked", "casebot", data) == (
        "🧩 Part of problem P-7 (linked by Casebot)"
    )
    assert thread_line("problem_unlinked", "U0ANA0001", data) == (
        "🧩 <@U0ANA0001> unlinked it from problem P-7"
    )
