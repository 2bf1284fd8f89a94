"""The database stopped and started under the running processes mid-burst (issue 9):
ingest answers 503 meanwhile, nothing accepted is lost, nothing is posted twice."""

from __future__ import annotations

import time
from pathlib import Path

from bot.demo.standin import SlackStandIn
from tests.faults.delivery import Casebot, cards, doubled, server_errors
from tests.faults.pgcluster import throwaway_cluster
from tests.faults.test_delivery import FAST

POSTS = 200
STOP_AFTER = 10
"""The database stops once this many posts were answered: the rest meet it down."""


def _until_answered(bot: Casebot, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(bot.codes) < n:
        assert time.monotonic() < deadline, f"only {len(bot.codes)} posts answered"
        time.sleep(0.01)


def test_the_database_stopped_and_started_mid_burst(tmp_path: Path) -> None:
    slack = SlackStandIn().start()
    try:
        with throwaway_cluster() as cluster:
            bot = Casebot(tmp_path, slack, cluster.create("casebot"), env_extra=dict(FAST))
            bot.migrate()
            try:
                bot.start(workers=1)
                pool = bot.burst(range(POSTS))
                _until_answered(bot, STOP_AFTER)  # mid-burst, however fast ingest is
                cluster.stop()
                time.sleep(3.0)
                cluster.start()
                pool.shutdown(wait=True)
                bot.wait_drained(120)
                assert bot.cases() == POSTS
                assert cards(slack) == POSTS
                assert doubled(slack) == {}
                assert server_errors(bot.codes) == []
                assert 503 in bot.codes, "the burst did meet the database down"
            finally:
                bot.stop()
    finally:
        slack.stop()
