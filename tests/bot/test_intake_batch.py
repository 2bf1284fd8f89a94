"""Intake in a group commit: look-ups before the transaction, effect rows written at
commit with one executemany per table, and reads that still see every row written
before them."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot import intake
from bot.deps import Deps
from bot.groupcommit import GroupCommit, _Pending
from bot.posts import Author, IncomingPost
from bot.sla import ClockKind
from storage import queries
from storage.models import Case, Customer, CustomerIdentity, Event, Outbox, Post, SlaClock
from tests.conftest import count

NEXT = ClockKind.NEXT_RESPONSE.value


def _post(n: int, *, author: str | None = None, thread: str | None = None) -> IncomingPost:
    """Words of its own: no two posts are similar, so no problem opens."""
    word = "".join(chr(ord("b") + int(d)) for d in f"{n:03d}")
    return IncomingPost(
        source="twitter",
        external_id=f"b{n}",
        text=f"{word}zor {word}vel {word}tam",
        author=Author(id=author or f"a{n}", handle=f"@{author or f'a{n}'}"),
        conversation_id=thread or f"t{n}",
    )


def _batch(deps: Deps, posts: list[IncomingPost]) -> list[intake.Received]:
    """One group-commit batch, as the leader runs it."""
    items = [_Pending(p, deps.time.now()) for p in posts]
    GroupCommit(deps.db, deps.config)._run(items)
    return [item.outcome() for item in items]


def test_a_batch_writes_each_effect_table_once(deps: Deps) -> None:
    """On SQLite, under the write lock: 16 new posts cost about ten statements each (21
    with an ORM flush per row), and each effect table gets one executemany."""
    _batch(deps, [_post(100)])  # first-use costs (statement caches) out of the count
    statements: list[tuple[str, bool]] = []

    def seen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        statements.append((statement.split(" (")[0], many))

    event.listen(deps.db.engine, "before_cursor_execute", seen)
    try:
        results = _batch(deps, [_post(n) for n in range(16)])
    finally:
        event.remove(deps.db.engine, "before_cursor_execute", seen)
    assert len({r.case_id for r in results}) == 16
    assert len(statements) <= 16 * 10, Counter(s.split("\n")[0] for s, _ in statements)
    many = Counter(s for s, m in statements if m)
    for table in ("events", "outbox", "case_cards", "sla_clocks", "holds"):
        assert many[f"INSERT INTO {table}"] == 1, many
    with deps.db.session() as s:
        assert count(s, Event, Event.kind == "opened") == 17
        assert count(s, Outbox, Outbox.kind == "card") == 17
        assert count(s, SlaClock) == 34


@pytest.mark.both_db
def test_two_posts_of_a_new_author_in_one_batch_are_one_customer(deps: Deps) -> None:
    """The look-up before the batch found the author new; their second post looks again
    and finds the handle the first one wrote."""
    results = _batch(deps, [_post(1, author="ann"), _post(2, author="ann")])
    assert results[0].case_id != results[1].case_id
    with deps.db.session() as s:
        assert count(s, Customer) == 1
        assert count(s, CustomerIdentity) == 1
        assert {p.customer_id for p in s.exec(select(Post))} == {1}


@pytest.mark.both_db
def test_two_follow_ups_to_an_answered_case_in_one_batch_start_one_clock(deps: Deps) -> None:
    """The first follow-up's next-response clock waits to be written with the batch; the
    second asks whether one runs, and that read writes what is queued first."""
    opened = intake.store(deps.db, _post(1, author="bo"), now=deps.time.now(), config=deps.config)
    assert opened.case_id is not None
    with deps.db.session() as s:
        queries.set_case_fields(
            s,
            case_id=opened.case_id,
            where={},
            values={"first_response_at": deps.time.now()},
        )
    deps.time.advance(timedelta(minutes=5))
    results = _batch(deps, [_post(2, author="bo", thread="t1"), _post(3, author="bo", thread="t1")])
    assert {r.case_id for r in results} == {opened.case_id}
    with deps.db.session() as s:
        running = s.exec(
            select(SlaClock).where(
                SlaClock.case_id == opened.case_id,
                SlaClock.name == NEXT,
                col(SlaClock.stopped_at).is_(None),
            )
        ).all()
        assert len(running) == 1
        assert count(s, Case) == 1
