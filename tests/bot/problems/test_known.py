"""What a detection turn keeps of what it read (`bot.problems.known`): the window's rows
and the active problems as the database would return them after the turn's own links."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.problems import known
from storage.problems import Windowed
from tests.conftest import START

SINCE = START - timedelta(hours=2)


def _row(case_id: int, problem: int | None = None, minutes: int = 0) -> Windowed:
    return Windowed(
        case_id, frozenset({"crash"}), frozenset(), problem, START + timedelta(minutes=minutes)
    )


def test_outside_a_turn_every_call_reads() -> None:
    session, reads = Session(), []
    for _ in range(2):
        known.windowed(session, {1}, SINCE, lambda ids: reads.append(ids) or [_row(1)])
    assert reads == [{1}, {1}]
    assert known.active(session, SINCE, 10, lambda: [(7, START)]) == [7]
    known.linked(session, 7, [1], at=START)  # nothing kept: nothing to change


def test_a_row_is_read_once_and_carries_the_turns_links() -> None:
    session, reads = Session(), []
    known.start(session)

    def read(ids: set[int]) -> list[Windowed]:
        reads.append(ids)
        return [_row(i) for i in ids if i != 3]  # 3 is closed: not in the window

    assert [r.case_id for r in known.windowed(session, {1, 2, 3}, SINCE, read)] == [1, 2]
    known.add(session, _row(4, minutes=1))
    known.linked(session, 9, [1, 4], at=START)
    rows = known.windowed(session, {1, 2, 3, 4}, SINCE, read)
    assert reads == [{1, 2, 3}]
    assert [(r.case_id, r.problem_id) for r in rows] == [(1, 9), (2, None), (4, 9)]
    assert known.windowed(session, {1, 4}, START + timedelta(seconds=30), read) == [rows[2]]


def test_the_active_problems_follow_links_and_the_window() -> None:
    session, reads = Session(), []
    known.start(session)
    listed = [(5, START), (6, START - timedelta(minutes=30))]
    assert known.active(session, SINCE, 2, lambda: reads.append(1) or listed) == [5, 6]
    known.linked(session, 6, [1], at=START + timedelta(minutes=1))
    known.linked(session, 8, [2], at=START + timedelta(minutes=2))  # a problem it opened
    assert known.active(session, SINCE, 2, lambda: []) == [8, 6]
    assert known.active(session, START - timedelta(seconds=1), 5, lambda: []) == [8, 6, 5]
    assert known.active(session, START + timedelta(seconds=90), 5, lambda: []) == [8]
    assert reads == [1]
