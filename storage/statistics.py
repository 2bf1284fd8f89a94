"""PostgreSQL's planner statistics, kept current for tables that grow in bursts.

autovacuum analyzes a table once 50 rows plus a tenth of it have changed, but it looks
only once a minute (`autovacuum_naptime`). A fresh install's first burst, or an outbox
that fills from nothing, is planned meanwhile from the statistics of a nearly empty
table, and those plans are wrong, not merely stale: in `bench.ingest` the batch's
look-up of which posts are new ran a cached plan that filtered every stored post
instead of probing the unique index (2.7 ms a call, growing with the table), the card
check and the outbox claim sorted thousands of rows, and term pruning scanned its whole
table. Here the worker applies autovacuum's own rule to Casebot's tables every few
seconds (`bot.worker`); an ANALYZE also makes PostgreSQL plan its cached statements
again. SQLite keeps no statistics unless asked (`ANALYZE` is never run on it), so its
planner's choices do not drift as tables grow.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

ROWS = 50
SCALE = 0.1
"""autovacuum's defaults (`autovacuum_analyze_threshold`, `..._scale_factor`): a table
is analyzed once this many rows plus this share of it changed since its last ANALYZE."""
LOCK_KEY = 0x5747_0051
"""Advisory lock: one worker analyzes at a time (another skips its turn, as a second
ANALYZE of a table would wait for the first)."""

_STALE = text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE schemaname = current_schema() AND relname = ANY(:tables)"
    " AND n_mod_since_analyze > :rows + :scale * n_live_tup"
    " ORDER BY relname"
)


def refresh(session: Session) -> list[str]:
    """ANALYZE each of Casebot's tables that changed enough since its last one; returns
    their names (none on SQLite, or while another worker is at it). Commit is the
    caller's. A table this role does not own is skipped by PostgreSQL with a warning
    (its autovacuum still runs)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    if not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar():
        return []
    tables = sorted(SQLModel.metadata.tables)
    stale = list(
        session.execute(_STALE, {"tables": tables, "rows": ROWS, "scale": SCALE}).scalars()
    )
    for name in stale:
        session.execute(text(f'ANALYZE "{name}"'))
    return stale
