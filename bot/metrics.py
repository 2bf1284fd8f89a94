"""What Casebot counts, for `GET /metrics` (Prometheus text format, SPEC "Operations").

One module names every metric, so the web side, the worker and the fault tests agree on
them. Gauges that describe the database (outbox depth, oldest age) are not kept here:
they are read from the database when `/metrics` is scraped, so every process reports
the same truth however many of them run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.events import CaseOpened, CaseResolved, DomainEvent, SlaWarning
from bot.metrics_dir import MULTIPROC_ENV
from bot.sla import BREACH
from storage.backlog import Pending
from storage.detection_queue import Waiting

INGESTED = Counter(
    "casebot_ingest", "Posts received at /ingest, by source and HTTP answer", ["source", "code"]
)
INGEST_BATCH = Histogram(
    "casebot_ingest_batch_posts",
    "Posts committed together by ingest's group commit (one transaction each batch)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
CASES_OPENED = Counter("casebot_cases_opened", "Cases opened", ["department"])
CASES_RESOLVED = Counter("casebot_cases_resolved", "Cases resolved", ["department"])

DELIVERED = Counter("casebot_outbox_delivered", "Outbox rows delivered", ["kind"])
RETRIED = Counter("casebot_outbox_retried", "Outbox attempts that will be tried again", ["kind"])
ADOPTED = Counter(
    "casebot_outbox_adopted",
    "Deliveries found already posted by a lookup after an unknown outcome",
    ["kind"],
)
DEAD_LETTERED = Counter("casebot_outbox_dead_lettered", "Outbox rows given up on", ["kind"])

SLACK_ERRORS = Counter(
    "casebot_slack_api_errors", "Slack Web API errors, by method and error", ["method", "error"]
)
RATE_LIMITED = Counter("casebot_slack_rate_limited", "Slack answers of HTTP 429", ["method"])
RETRY_AFTER_WAITED = Counter(
    "casebot_slack_retry_after_seconds",
    "Time deliveries were held back because Slack said Retry-After",
    ["method"],
)

SLA_WARNINGS = Counter("casebot_sla_warnings", "SLA warnings sent", ["clock"])
SLA_BREACHES = Counter("casebot_sla_breaches", "SLA breaches reported", ["clock"])

COMMAND_SECONDS = Histogram(
    "casebot_command_seconds",
    "Time from a slash command or click arriving to its answer being handed to Slack",
    ["command"],
)
ACK_SECONDS = Histogram(
    "casebot_ack_seconds",
    "Time from a Slack request arriving to its HTTP acknowledgement",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0),
)


def count_after_commit(session: Session, counter: Counter, **labels: str) -> None:
    """Count once the unit of work commits: a change rolled back counts nothing."""
    session.info.setdefault(_PENDING, []).append((counter, labels))


_PENDING = "casebot_metrics_pending"


@event.listens_for(Session, "after_commit")
def _counted(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING, ()):
        counter.labels(**labels).inc()


@event.listens_for(Session, "after_rollback")
def _dropped(session: Session) -> None:
    session.info.pop(_PENDING, None)


def count_event(session: Session, e: DomainEvent, department: str) -> None:
    """A published domain event as a counter, once its unit of work commits
    (`department`: where its case is)."""
    if isinstance(e, CaseOpened):
        count_after_commit(session, CASES_OPENED, department=e.department)
    elif isinstance(e, CaseResolved):
        count_after_commit(session, CASES_RESOLVED, department=department)
    elif isinstance(e, SlaWarning):
        counter = SLA_BREACHES if e.threshold == BREACH else SLA_WARNINGS
        count_after_commit(session, counter, clock=e.clock)


def registry() -> CollectorRegistry:
    """What this process reports: under gunicorn (`PROMETHEUS_MULTIPROC_DIR` set, see
    `bot.metrics_dir`) the sum over every worker process, else this process's own."""
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    pooled = CollectorRegistry()
    multiprocess.MultiProcessCollector(pooled)
    return pooled


def render(backlog: Iterable[Pending] | None, detections: Waiting | None, now: datetime) -> bytes:
    """The text exposition: the counters and histograms, then the gauges read from the
    database at this scrape (`backlog` None: the database did not answer)."""
    database = CollectorRegistry()
    up = GaugeMetricFamily("casebot_database_up", "Whether the database answered this scrape")
    up.add_metric([], 0 if backlog is None else 1)
    depth = GaugeMetricFamily(
        "casebot_outbox_depth", "Outbox rows not yet delivered, by kind", labels=["kind"]
    )
    oldest = GaugeMetricFamily(
        "casebot_outbox_oldest_age_seconds",
        "Age of the oldest outbox row not yet delivered, by kind",
        labels=["kind"],
    )
    for row in backlog or ():
        depth.add_metric([row.kind], row.depth)
        oldest.add_metric([row.kind], max((now - row.oldest).total_seconds(), 0.0))
    families: list[Metric] = [up, depth, oldest]
    if detections is not None:
        queued = GaugeMetricFamily(
            "casebot_detection_queue_depth", "Cases opened and not yet compared for a problem"
        )
        queued.add_metric([], detections.depth)
        waited = GaugeMetricFamily(
            "casebot_detection_queue_oldest_age_seconds",
            "How long the oldest case not yet compared for a problem has waited",
        )
        age = (now - detections.oldest).total_seconds() if detections.oldest else 0.0
        waited.add_metric([], max(age, 0.0))
        families += [queued, waited]
    database.register(_Fixed(families))
    return generate_latest(registry()) + generate_latest(database)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families
