"""SQL the rollup shares between its refresh and its reads, per dialect: a case's facts
computed live, the duration buckets, and the triggers that mark changed cases stale.

A fact is computed by the same text whether the refresh stores it or a read counts a
stale case live, so the two cannot disagree. Durations and comparisons are those of
`storage.summary` (the reference), written as SQL text here.
"""

from __future__ import annotations

BUCKET_STEPS = ((0, 60, 1), (60, 3600, 30), (3600, 86400, 600), (86400, None, 7200))
"""(from, below, width) in seconds: one-second buckets under a minute, 30 s under an
hour, 10 min under a day, 2 h beyond. A bucket narrows a median to a few thousand
values at a million cases; any non-decreasing function of the value would be exact."""

STALE = "(SELECT case_id FROM summary_stale)"
COUNTED = "(c.answered IS NULL OR c.answered != 'not_needed')"


def day(dialect: str, at: str) -> str:
    """The UTC day number of a stored instant."""
    if dialect == "postgresql":
        return f"(CAST({at} AS DATE) - DATE '1970-01-01')"
    return f"CAST(unixepoch({at}) / 86400 AS INTEGER)"


def micros(dialect: str, start: str, end: str) -> str:
    """`end - start` in whole microseconds, as `storage.summary.micros`."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"
    return (
        f"((unixepoch({end}) - unixepoch({start})) * 1000000"
        f" + (CAST(substr({end}, 21, 6) AS INTEGER) - CAST(substr({start}, 21, 6) AS INTEGER)))"
    )


def bucket(value: str) -> str:
    """The bucket of a duration in microseconds (whole seconds by integer division, the
    same on both databases; negative durations, which should not occur, get their own)."""
    s = f"(({value}) / 1000000)"
    whens, first = [], 0
    for lower, below, width in BUCKET_STEPS:
        term = s if width == 1 else f"{first} + ({s} - {lower}) / {width}"
        whens.append(f"WHEN {s} < {below} THEN {term}" if below else f"ELSE {term}")
        first += (below - lower) // width if below else 0
    return "CASE " + " ".join(whens) + " END"


CASE_FACT_COLUMNS = (
    "case_id, department, created_at, created_day, resolved_at, resolved_day, answered,"
    " fr_met, fr_decided, res_met, res_decided, fr_us, fr_bucket, res_us, res_bucket, root_cause"
)
HOLD_FACT_COLUMNS = (
    "hold_id, case_id, department, ended_at, ended_day, held_us, held_bucket, judged, met"
)


def live_case_facts(dialect: str, where: str) -> str:
    """`CaseFact` rows of the cases `c` that `where` picks, from the live tables."""
    fr_at = "c.first_response_at"
    runs = "SELECT count(*) FROM sla_clocks r WHERE r.case_id = c.id AND r.name = 'resolution'"
    inner = f"""
        SELECT c.id AS case_id, c.department AS department, c.created_at AS created_at,
          {day(dialect, "c.created_at")} AS created_day, c.resolved_at AS resolved_at,
          {day(dialect, "c.resolved_at")} AS resolved_day, c.answered AS answered,
          CASE WHEN fr.id IS NOT NULL AND {COUNTED} AND {fr_at} IS NOT NULL
            AND (fr.due_at IS NULL OR {fr_at} <= fr.due_at) THEN 1 ELSE 0 END AS fr_met,
          CASE WHEN fr.id IS NOT NULL AND {COUNTED}
            AND ({fr_at} IS NOT NULL OR c.answered = 'unanswered') THEN 1 ELSE 0 END
            AS fr_decided,
          ({runs} AND r.stopped_at IS NOT NULL
            AND (r.due_at IS NULL OR r.stopped_at <= r.due_at)) AS res_met,
          ({runs} AND r.stopped_at IS NOT NULL) AS res_decided,
          CASE WHEN {fr_at} IS NOT NULL THEN {micros(dialect, "c.created_at", fr_at)} END
            AS fr_us,
          CASE WHEN c.resolved_at IS NOT NULL
            THEN {micros(dialect, "c.created_at", "c.resolved_at")} END AS res_us,
          CASE WHEN c.resolved_at IS NOT NULL THEN c.root_cause END AS root_cause
        FROM cases c
        LEFT JOIN sla_clocks fr
          ON fr.case_id = c.id AND fr.name = 'first_response' AND fr.run = 1
        WHERE {where}"""
    return (
        f"SELECT x.case_id, x.department, x.created_at, x.created_day, x.resolved_at,"
        f" x.resolved_day, x.answered, x.fr_met, x.fr_decided, x.res_met, x.res_decided,"
        f" x.fr_us, {bucket('x.fr_us')} AS fr_bucket, x.res_us,"
        f" {bucket('x.res_us')} AS res_bucket, x.root_cause FROM ({inner}) x"
    )


def live_hold_facts(dialect: str, where: str) -> str:
    """`HoldFact` rows of the holds `h` (of cases `c`) that `where` picks: settled holds
    of cases escalated at least once, as `storage.holds.by_department` counts them."""
    return f"""
        SELECT h.id AS hold_id, h.case_id AS case_id, h.department AS department,
          h.ended_at AS ended_at, {day(dialect, "h.ended_at")} AS ended_day,
          h.held_us AS held_us, {bucket("h.held_us")} AS held_bucket,
          CASE WHEN h.budget_us IS NOT NULL THEN 1 ELSE 0 END AS judged,
          CASE WHEN h.budget_us IS NOT NULL AND h.held_us <= h.budget_us THEN 1 ELSE 0 END
            AS met
        FROM holds h JOIN cases c ON c.id = h.case_id
        WHERE h.ended_at IS NOT NULL AND h.held_us IS NOT NULL AND c.escalations > 0
          AND {where}"""


WATCHED = {
    "cases": (
        "id",
        "department, created_at, resolved_at, first_response_at, answered, root_cause, escalations",
    ),
    "sla_clocks": ("case_id", "case_id, name, run, stopped_at, due_at"),
    "holds": ("case_id", "case_id, department, ended_at, held_us, budget_us"),
}
"""Per table: the column naming the case, and the columns whose change can move a
figure (an update of only other columns, such as a card or a reminder step, does not
mark the case)."""

MARK = (
    "INSERT INTO summary_stale (case_id, claimed) VALUES ({row}, FALSE)"
    " ON CONFLICT (case_id) DO UPDATE SET claimed = FALSE"
)
"""`DO UPDATE`, not `DO NOTHING`: on PostgreSQL it locks the mark, so a refresh that
claimed it waits for this transaction to commit and then sees its change; the reset of
`claimed` keeps a refresh from deleting a mark that arrived after it read the case."""


def _pg_function(key: str) -> str:
    mark = MARK.format(row="{}." + key)
    return (
        f"CREATE OR REPLACE FUNCTION summary_mark_{key}() RETURNS trigger"
        f" LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.{key} <> NEW.{key})"
        f" THEN {mark.format('OLD')}; END IF;"
        f" IF TG_OP <> 'DELETE' THEN {mark.format('NEW')}; END IF;"
        f" RETURN NULL; END $$"
    )


def create_triggers(dialect: str) -> list[str]:
    keys = sorted({key for key, _ in WATCHED.values()})
    out = [_pg_function(key) for key in keys] if dialect == "postgresql" else []
    for table, (key, columns) in WATCHED.items():
        for op in ("INSERT", "UPDATE", "DELETE"):
            name = f"summary_{table}_{op.lower()}"
            event = f"UPDATE OF {columns}" if op == "UPDATE" else op
            if dialect == "postgresql":
                out.append(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                    f" EXECUTE FUNCTION summary_mark_{key}()"
                )
                continue
            rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[op]
            body = " ".join(MARK.format(row=f"{r}.{key}") + ";" for r in rows)
            out.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
            )
    return out


def drop_triggers(dialect: str) -> list[str]:
    out = []
    for table in WATCHED:
        for op in ("insert", "update", "delete"):
            on = f" ON {table}" if dialect == "postgresql" else ""
            out.append(f"DROP TRIGGER IF EXISTS summary_{table}_{op}{on}")
    if dialect == "postgresql":
        out += [f"DROP FUNCTION IF EXISTS summary_mark_{k}()" for k in ("case_id", "id")]
    return out
