"""The worker delivers the rows of different cases at once, each case's rows still in
order (`bot.outbox.runner._lanes`): one card edit at a time, its rounds were what a
clicker waited for under load."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import select

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Attempt, Delivery, _lanes, deliver_due
from bot.timesource import ManualTime
from bot.worker import DELIVERY_THREADS, delivery
from storage.models import Outbox
from storage.outbox import Claimed
from tests.conftest import drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def _row(row_id: int, case_id: int | None) -> Claimed:
    return Claimed(id=row_id, key=f"k{row_id}", kind="card", case_id=case_id, payload={}, attempt=0)


def test_a_case_keeps_its_rows_in_order_and_the_rows_of_no_case_share_one_lane() -> None:
    rows = [_row(1, 7), _row(2, None), _row(3, 8), _row(4, 7), _row(5, None)]
    lanes = [[r.id for r in lane] for lane in _lanes(rows)]
    assert sorted(lanes) == [[1, 4], [2, 5], [3]]


def test_the_worker_delivers_as_many_cases_at_once_as_it_has_threads(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    """Each card delivery waits at a barrier for the others: delivered one at a time,
    the first would wait alone, time out, and be retried instead of sent."""
    together = threading.Barrier(DELIVERY_THREADS, timeout=10)
    card = worker.deliverers["card"]

    def meet_then_deliver(d: Delivery, a: Attempt) -> dict[str, Any]:
        together.wait()
        return card(d, a)

    parallel = dataclasses.replace(
        worker,
        threads=DELIVERY_THREADS,
        deliverers={**worker.deliverers, "card": meet_then_deliver},
    )
    for n in range(DELIVERY_THREADS):
        post_json(http, "web", sample_post(n))
    assert drain(parallel) == DELIVERY_THREADS
    assert len(slack.calls_to("chat.postMessage")) == DELIVERY_THREADS


def test_the_worker_delivers_on_lanes(worker: Delivery) -> None:
    assert worker.threads == DELIVERY_THREADS > 1


def test_each_cases_card_edit_goes_out_before_its_thread_line(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    for n in range(1, 9):
        post_json(http, "web", sample_post(n))
    drain(worker)
    cards = {c.ts: c for c in slack.channel("C0SUPPORT01")}
    for n in range(1, 9):
        user.command(f"claim C-{n}")
    drain(worker)
    order = [
        (c.method, c.args.get("ts") or c.args.get("thread_ts"))
        for c in slack.calls
        if c.method in ("chat.update", "chat.postMessage")
        and c.args.get("channel") == "C0SUPPORT01"
    ][len(cards) :]
    assert sorted(ts for _, ts in order) == sorted([*cards, *cards])
    for ts in cards:
        assert order.index(("chat.update", ts)) < order.index(("chat.postMessage", ts))


def test_the_rows_a_round_defers_are_put_back_in_one_transaction(
    deps: Deps, http: FlaskClient, slack: SlackStandIn, time_source: ManualTime
) -> None:
    """Ten cards for one paced channel: two go (the burst), eight wait for their turns,
    written back together rather than in a write each."""
    paced = dataclasses.replace(
        deps, settings=deps.settings.model_copy(update={"slack_channel_rate": 1})
    )
    worker = delivery(paced)
    for n in range(10):
        post_json(http, "web", sample_post(n))
    transactions, deferring = itertools.count(), set()
    current = [0]

    def begun(_conn: Any) -> None:
        current[0] = next(transactions)

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE outbox") and "attempts - " in statement:
            deferring.add(current[0])

    event.listen(deps.db.engine, "begin", begun)
    event.listen(deps.db.engine, "before_cursor_execute", executed)
    try:
        assert deliver_due(worker) == 2
    finally:
        event.remove(deps.db.engine, "begin", begun)
        event.remove(deps.db.engine, "before_cursor_execute", executed)
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(deferring) == 1
    with deps.db.read() as s:
        waiting = s.exec(select(Outbox).where(Outbox.status == "pending")).all()
    assert len(waiting) == 8
    assert all(r.attempts == 0 and r.next_attempt_at > time_source.now() for r in waiting)
