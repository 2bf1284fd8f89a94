"""What Casebot counts, for `GET /metrics` (Prometheus text format, SPEC "Operations").

One module names every metric, so the web side, the worker and the fault tests agree on
them. Gauges that describe the database (outbox depth, oldest age) are not kept here:
they are read from the database when `/metrics` is scraped, so every process reports
the same truth however many of them run.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INGESTED = Counter(
    "casebot_ingest", "Posts received at /ingest, by source and HTTP answer", ["source", "code"]
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
