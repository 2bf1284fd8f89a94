"""Logging that stays readable under a flood and never carries library message bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from tests.support.clock import Clock


@pytest.fixture
def flood() -> Iterator[tuple[logs.FloodFilter, Clock, io.StringIO]]:
    clock, stream = Clock(), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    flood = logs.FloodFilter(window=60, clock=clock, timer=False)
    handler.addFilter(flood)
    logger = logging.getLogger("casebot.test_flood")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    summaries = logging.getLogger("casebot.logs")
    summaries.addHandler(handler)
    yield flood, clock, stream
    logger.removeHandler(handler)
    summaries.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _fail(logger: logging.Logger, error: Exception, **extra: object) -> None:
    try:
        raise error
    except Exception:
        logger.warning("database.unavailable", exc_info=True, extra=extra)


def test_a_flood_is_one_line_and_then_a_count(
    flood: tuple[logs.FloodFilter, Clock, io.StringIO],
) -> None:
    f, clock, stream = flood
    logger = logging.getLogger("casebot.test_flood")
    for _ in range(198):
        _fail(logger, ConnectionError("down"), door="ingest")
        clock.now += 0.1
    assert len(_records(stream)) == 1
    clock.now = 61
    f.flush()
    first, summary = _records(stream)
    assert "exc" in first and first["door"] == "ingest"
    assert summary["event"] == "log.repeated"
    assert summary["summary_of"] == "database.unavailable"
    assert summary["left_out"] == 197
    assert summary["level"] == "warning" and "exc" not in summary


def test_kinds_are_told_apart_by_exception_and_job(
    flood: tuple[logs.FloodFilter, Clock, io.StringIO],
) -> None:
    _, _, stream = flood
    logger = logging.getLogger("casebot.test_flood")
    for _ in range(3):
        _fail(logger, ConnectionError("down"), job="outbox")
        _fail(logger, ConnectionError("down"), job="sla_sweep")
        _fail(logger, KeyError("x"), job="outbox")
    assert len(_records(stream)) == 3


def test_the_next_window_writes_again_after_its_summary(
    flood: tuple[logs.FloodFilter, Clock, io.StringIO],
) -> None:
    _, clock, stream = flood
    logger = logging.getLogger("casebot.test_flood")
    _fail(logger, ConnectionError("down"))
    _fail(logger, ConnectionError("down"))
    clock.now = 60
    _fail(logger, ConnectionError("down"))
    assert [r["event"] for r in _records(stream)] == [
        "database.unavailable",
        "log.repeated",
        "database.unavailable",
    ]


def test_info_lines_are_never_held_back(
    flood: tuple[logs.FloodFilter, Clock, io.StringIO],
) -> None:
    _, _, stream = flood
    logger = logging.getLogger("casebot.test_flood")
    for _ in range(5):
        logger.info("ingest.accepted")
    assert len(_records(stream)) == 5


def test_apscheduler_skipping_a_run_that_is_still_going_is_not_written(
    log_lines: object,
) -> None:
    logging.getLogger("apscheduler.scheduler").warning(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        "outbox",
        1,
    )
    assert log_lines() == []  # type: ignore[operator]


def test_libraries_that_log_bodies_stay_at_info_under_debug() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logs.QUIET_LIBRARIES}
    try:
        logs.setup("DEBUG", stream=io.StringIO())
        assert not logging.getLogger("slack_sdk.web.base_client").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("slack_bolt.App").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
        assert logging.getLogger("casebot.app").isEnabledFor(logging.DEBUG)
        logs.setup("WARNING", stream=io.StringIO())
        assert not logging.getLogger("slack_sdk").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
