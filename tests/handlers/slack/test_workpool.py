"""Acks ahead of work: listeners ack at once while acked work takes turns in order."""

from __future__ import annotations

import threading
import time

import pytest
from slack_bolt import Ack

from bot.app import create_app
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from handlers.slack import workpool
from handlers.slack.workpool import WorkPool
from storage.models import Case
from tests.conftest import post_json, sample_post
from tests.support.slackreq import SlackClientSim


def test_listeners_ack_while_the_work_waits_for_a_permit_in_order() -> None:
    pool = WorkPool(threads=8, workers=1)
    release = threading.Event()
    acked: list[int] = []
    worked: list[int] = []

    def listener(n: int) -> None:
        ack = workpool._AckThenWait(pool)
        acked.append(n)
        ack()
        if n == 0:
            release.wait(10)
        worked.append(n)

    first = pool.submit(listener, 0)
    deadline = time.monotonic() + 5
    while not acked:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    rest = []
    for n in range(1, 6):
        rest.append(pool.submit(listener, n))
        time.sleep(0.02)  # arrive in order
    while len(acked) < 6:
        assert time.monotonic() < deadline, acked
        time.sleep(0.01)
    assert worked == [], "no work past the ack while the one permit is held"
    release.set()
    for f in [first, *rest]:
        f.result(5)
    assert worked == [0, 1, 2, 3, 4, 5]
    pool.shutdown()


def test_a_read_runs_alone_and_nobody_behind_it_goes_first() -> None:
    """Two permits: a write is working; a read waits for both; a write that came after
    the read waits for it, though a permit is free meanwhile."""
    pool = WorkPool(threads=8, workers=2)
    gates = {n: threading.Event() for n in range(3)}
    running: list[tuple[str, int]] = []
    acked = threading.Semaphore(0)

    def listener(n: int, alone: bool) -> None:
        ack = workpool._AckThenWait(pool, alone=alone)
        acked.release()
        ack()
        running.append(("start", n))
        gates[n].wait(10)
        running.append(("end", n))

    futures = []
    for n, alone in ((0, False), (1, True), (2, False)):
        futures.append(pool.submit(listener, n, alone))
        assert acked.acquire(timeout=5)
        time.sleep(0.05)  # at the permits in this order

    assert running == [("start", 0)], "the read waits for the write, the write for the read"
    gates[0].set()
    deadline = time.monotonic() + 5
    while ("start", 1) not in running:
        assert time.monotonic() < deadline, running
        time.sleep(0.01)
    time.sleep(0.1)
    assert ("start", 2) not in running, "nothing beside a read"
    gates[1].set()
    gates[2].set()
    for f in futures:
        f.result(5)
    assert running.index(("end", 1)) < running.index(("start", 2))
    pool.shutdown()


@pytest.mark.parametrize(
    ("body", "alone"),
    [
        ({"command": "/case", "text": "list open"}, True),
        ({"command": "/case", "text": "  Show C-4"}, True),
        ({"command": "/case", "text": "claim C-4"}, False),
        ({"command": "/case", "text": "listen C-4"}, False),
        ({"command": "/case"}, False),
        ({"type": "block_actions", "actions": [{"action_id": "case_list_page:2"}]}, True),
        ({"type": "block_actions", "actions": [{"action_id": "case_claim"}]}, False),
        ({"type": "view_submission"}, False),
    ],
)
def test_reads_are_lists_shows_and_page_buttons(body: dict[str, object], alone: bool) -> None:
    assert workpool.reads(body) is alone


def test_an_ack_outside_the_pool_takes_no_permit() -> None:
    """`process_before_response` runs the listener on the request thread."""
    pool = WorkPool(threads=2, workers=1)
    for _ in range(3):
        workpool._AckThenWait(pool)()
    assert isinstance(workpool._AckThenWait(pool), Ack)
    assert pool.submit(lambda: workpool._AckThenWait(pool)()).result(5) is not None
    pool.shutdown()


@pytest.mark.both_db
def test_in_production_mode_a_command_is_acked_then_answered(
    deps: Deps, slack: SlackStandIn
) -> None:
    """The listener acks first (the HTTP answer), then does the work on a permit and
    answers on `response_url`."""
    http = create_app(deps).flask.test_client()
    user = SlackClientSim(http, slack.response_url())
    assert post_json(http, "web", sample_post(1)).status_code == 202
    assert user.command("claim C-1", user="U0ANA0001").status_code == 200
    deadline = time.monotonic() + 10
    while not [a for _, a in slack.responses if a.get("text") == "You own C-1 now."]:
        assert time.monotonic() < deadline, slack.responses
        time.sleep(0.02)
    with deps.db.session() as s:
        assert s.get(Case, 1).owner_id == "U0ANA0001"
