"""Suggested merges through the real Bolt app and the Slack stand-in: one customer on
e-mail and X within `merge_window` gets "Possibly the same as C-1"; Merge moves posts,
clocks and history and leaves a pointer card; `/case merge`; Not the same is stored
and never suggested again; refusals; merges that race; everything audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot import status
from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import fold_summary, sweep_once
from storage import merges as store
from storage import summary
from storage.merge_tables import MergeDismissal
from storage.models import Case, Event, Post, SlaClock
from storage.rollup import check
from tests.conftest import START, drain, post_json
from tests.support.flows import SUPPORT, blocks_text, button_ids
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

ANA, BEN = "U0ANA0001", "U0BEN0002"
DANA = "dana@customer.example"
MERGE_1_INTO_2 = '{"case":2,"other":1}'


def ingest(
    http: FlaskClient, source: str, n: int, text: str, *, email: str = DANA, **extra: Any
) -> str:
    """A post of the customer known by `email` on `source`; returns its case (`C-2`)."""
    body = {
        "id": f"{source}-{n}",
        "text": text,
        "author": {"id": f"{source}:{email}", "handle": "@dana", "name": "Dana", "email": email},
        **extra,
    }
    resp = post_json(http, source, body)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return str(resp.get_json()["case"])


def card(slack: SlackStandIn, ref: str) -> Message:
    [found] = [
        m for m in slack.channel(SUPPORT) if str(m.blocks[0]["text"]["text"]).startswith(f"*{ref}*")
    ]
    return found


def answers(slack: SlackStandIn) -> list[str]:
    return [str(a["text"]) for _, a in slack.responses]


def audit(deps: Deps, kind: str) -> list[tuple[int | None, str, str, dict[str, Any]]]:
    with deps.db.read() as s:
        rows = s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id)))
        return [(e.case_id, e.actor, e.surface, e.data) for e in rows]


def two_channels(
    http: FlaskClient, worker: Delivery, time_source: ManualTime, after: timedelta
) -> None:
    """Dana writes by e-mail (C-1), then on X `after` later (C-2)."""
    assert ingest(http, "email", 1, "My kettle leaks, order 2026-1187") == "C-1"
    time_source.advance(after)
    assert ingest(http, "x", 1, "@AcmeCare my kettle still leaks") == "C-2"
    drain(worker)


def test_a_second_channel_within_the_window_suggests_a_merge(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime, deps: Deps
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=47))
    suggested = card(slack, "C-2")
    assert "Possibly the same as *C-1* (e-mail, same customer)" in blocks_text(suggested)
    [question] = [b for b in suggested.blocks or [] if b.get("block_id") == "case_merge:2"]
    [merge, not_same] = question["elements"]
    assert (merge["action_id"], merge["text"]["text"]) == ("case_merge", "Merge into C-1")
    assert (not_same["action_id"], not_same["text"]["text"]) == ("case_not_same", "Not the same")
    assert json.loads(merge["value"]) == json.loads(MERGE_1_INTO_2) == json.loads(not_same["value"])
    assert "Possibly the same" not in blocks_text(card(slack, "C-1"))
    assert [(c, a, d["other"]) for c, a, _, d in audit(deps, "merge_suggested")] == [
        (2, "casebot", "C-1")
    ]
    with deps.db.read() as s:
        assert s.get(Case, 2).status == "open", "a suggestion merges nothing"


def test_no_suggestion_outside_the_window_or_on_the_same_source(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime, deps: Deps
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=48, minutes=1))
    assert ingest(http, "email", 2, "A second kettle, also broken", email="eve@example.com")
    assert ingest(http, "email", 3, "And the toaster", email="eve@example.com") == "C-4"
    drain(worker)
    for ref in ("C-2", "C-4"):
        shown = card(slack, ref)
        assert "Possibly the same" not in blocks_text(shown)
        assert "case_merge" not in button_ids(shown)
    assert audit(deps, "merge_suggested") == []


def test_merge_button_moves_posts_clocks_and_history_and_leaves_a_pointer(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
    deps: Deps,
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=1))
    time_source.advance(timedelta(minutes=5))
    assert ingest(http, "x", 2, "hello??", in_reply_to="x-1") == "C-2"
    user.command("note C-2 she called too", user=BEN)
    drain(worker)
    slack.responses.clear()

    assert user.click("case_merge", MERGE_1_INTO_2, user=ANA).status_code == 200
    drain(worker)
    assert answers(slack) == ["C-2 is merged into C-1."]
    with deps.db.read() as s:
        merged, kept = s.get(Case, 2), s.get(Case, 1)
        assert (merged.status, merged.merged_into, merged.suggested_merge) == ("merged", 1, None)
        assert kept.status == "open" and kept.created_at == START
        assert {p.case_id for p in s.exec(select(Post))} == {1}
        assert s.exec(select(SlaClock).where(SlaClock.case_id == 2)).all() == []
        first = s.exec(
            select(SlaClock).where(SlaClock.case_id == 1, SlaClock.name == "first_response")
        ).one()
        assert first.started_at == START and first.stopped_at is None
        assert summary.open_count(s, None) == 1, "a merged case is not open"
        assert status.page(s, 2, deps.config, time_source.now()).ref == "C-1"
    pointer = card(slack, "C-2")
    assert "Merged into *C-1*" in blocks_text(pointer)
    assert button_ids(pointer) == [] and "accessory" not in blocks_text(pointer)
    survivor = card(slack, "C-1")
    link = f"archives/{SUPPORT}/p{survivor.ts.replace('.', '')}|Go to C-1>"
    assert link in blocks_text(pointer), "the pointer links the kept case's card"
    assert "3 messages in thread" in blocks_text(survivor)
    assert "also C-2" not in blocks_text(survivor)
    [history] = [m.text for m in slack.thread(SUPPORT, survivor.ts) if "🔗" in m.text]
    assert history.startswith(f"🔗 <@{ANA}> merged *C-2* (x) into this case. Its history:")
    assert "my kettle still leaks" in history and "hello??" in history
    assert "she called too" in history and f"<@{BEN}> (note)" in history
    assert [m.text for m in slack.thread(SUPPORT, pointer.ts)][-1] == (
        f"🔗 <@{ANA}> merged this case into *C-1*; it goes on there"
    )
    merged_rows = audit(deps, "merged")
    assert [(c, a, s, d["kept"]) for c, a, s, d in merged_rows] == [
        (2, ANA, "button", False),
        (1, ANA, "button", True),
    ]
    assert merged_rows[1][3]["post_ids"] == [2, 3]


def test_case_merge_command_keeps_the_earliest_clocks_and_follows_the_thread(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
    deps: Deps,
) -> None:
    """Merging the older case into the newer: the kept case starts its clocks when the
    customer first wrote; a reply in the merged case's thread joins the kept case."""
    two_channels(http, worker, time_source, timedelta(hours=1))
    user.command("merge C-1 C-2", user=ANA)
    drain(worker)
    assert answers(slack) == ["C-1 is merged into C-2."]
    with deps.db.read() as s:
        kept = s.get(Case, 2)
        assert kept.created_at == START and kept.suggested_merge is None
        clocks = s.exec(select(SlaClock).where(SlaClock.case_id == 2)).all()
        assert {c.name: c.started_at for c in clocks} == {
            "first_response": START,
            "resolution": START,
        }
    assert "Possibly the same" not in blocks_text(card(slack, "C-2"))
    assert ingest(http, "email", 2, "any news?", in_reply_to="email-1") == "C-2"
    assert [(c, a, s) for c, a, s, _ in audit(deps, "merged")] == [
        (1, ANA, "command"),
        (2, ANA, "command"),
    ]


def test_not_the_same_is_stored_and_never_suggested_again(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
    deps: Deps,
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=1))
    assert user.click("case_not_same", MERGE_1_INTO_2, user=BEN).status_code == 200
    drain(worker)
    shown = card(slack, "C-2")
    assert "Possibly the same" not in blocks_text(shown) and "case_merge" not in button_ids(shown)
    assert slack.thread(SUPPORT, shown.ts)[-1].text == (
        f"🙅 <@{BEN}>: not the same as C-1; never suggested again"
    )
    with deps.db.read() as s:
        [row] = s.exec(select(MergeDismissal)).all()
        assert (row.low_id, row.high_id, row.actor) == (1, 2, BEN)
        # The pair is never a candidate again, whichever case asks.
        since = START - timedelta(days=1)
        assert store.candidate(s, case_id=2, customer_id=1, source="x", since=since) is None
        assert store.candidate(s, case_id=1, customer_id=1, source="email", since=since) is None
    assert [(c, a, d["other"]) for c, a, _, d in audit(deps, "merge_dismissed")] == [
        (2, BEN, "C-1")
    ]
    slack.responses.clear()
    user.click("case_merge", MERGE_1_INTO_2, user=ANA)
    assert answers(slack) == ["C-2 and C-1 were marked not the same; nothing was merged."]
    # More posts from Dana: a follow-up on X, then a third channel opening C-3.
    assert ingest(http, "x", 2, "hello?", in_reply_to="x-1") == "C-2"
    assert ingest(http, "web", 1, "Anyone there?") == "C-3"
    drain(worker)
    assert "Possibly the same" not in blocks_text(card(slack, "C-2"))
    assert [(c, d["other"]) for c, _, _, d in audit(deps, "merge_suggested")] == [
        (2, "C-1"),
        (3, "C-2"),
    ], "C-3 may be either; the dismissed pair C-1/C-2 is never suggested again"
    with deps.db.read() as s:
        assert s.get(Case, 1).status == s.get(Case, 2).status == "open"


def test_merges_that_cannot_be_are_refused_in_words(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
    deps: Deps,
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=1))
    assert ingest(http, "web", 1, "third", email="other@example.com") == "C-3"
    user.command("resolve C-3", user=ANA)
    drain(worker)
    slack.responses.clear()
    for text in ("merge C-2 C-2", "merge C-2 C-3", "merge C-3 C-2", "merge C-2 C-9", "merge C-2"):
        user.command(text, user=ANA)
    user.command("merge C-2 C-1", user=ANA)
    user.command("merge C-2 C-1", user=BEN)
    user.command("merge C-1 C-2", user=BEN)
    user.click("case_merge", MERGE_1_INTO_2, user=BEN)
    user.click("case_not_same", MERGE_1_INTO_2, user=BEN)
    said = answers(slack)
    assert said[:4] == [
        "C-2 cannot be merged into itself.",
        "C-3 is resolved; reopen it to merge C-2 into it.",
        "C-3 is resolved; reopen it to merge it.",
        "There is no case C-9.",
    ]
    assert said[4].startswith("Merge it into which case?") and "merge ID INTO-ID" in said[4]
    assert said[5:] == [
        "C-2 is merged into C-1.",
        "C-2 was already merged into C-1; nothing was changed.",
        "C-2 was already merged into C-1; nothing was changed.",
        "C-2 was already merged into C-1; nothing was changed.",
        "C-2 was already merged into C-1; nothing was changed.",
    ]
    assert len(audit(deps, "merged")) == 2, "one merge, audited on both cases"


def test_a_merged_case_counts_as_neither_open_nor_resolved_and_the_rollup_agrees(
    http: FlaskClient,
    worker: Delivery,
    user: SlackClientSim,
    time_source: ManualTime,
    deps: Deps,
) -> None:
    two_channels(http, worker, time_source, timedelta(hours=1))
    user.click("case_merge", MERGE_1_INTO_2, user=ANA)
    time_source.advance(timedelta(days=3))
    sweep_once(deps)
    fold_summary(deps)
    now = time_source.now()
    scope = summary.Scope(START - timedelta(days=1), now, None)
    with deps.db.read() as s:
        figures = check.reference(s, scope, now, [])
        assert check.rolled(s, scope, now, []) == figures
        assert figures["resolved"] == 0 and summary.open_count(s, None) == 1
        assert figures["volume"].new == 2, "both contacts came in"
        assert figures["fr"].decided == 1, "only the kept case's first response is judged"
        assert figures["res"].decided == 1


def test_help_lists_merge(slack: SlackStandIn, user: SlackClientSim) -> None:
    user.command("help merge", user=ANA)
    assert answers(slack) == [
        "Usage: `/case merge ID INTO-ID` — the same matter twice: merge the first case into"
        " the second (posts, history, clocks)"
    ]
