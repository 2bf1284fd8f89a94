"""The migrated schema is exactly what the models declare, on both databases, and an
upgrade keeps the data of an older schema usable."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.models import OPEN_CASES
from storage.types import CaseStatus

pytestmark = pytest.mark.both_db


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_gives_every_existing_case_its_current_card(tmp_path: Path) -> None:
    """Cases from before 0002: the card each shows (or is still to get) becomes its row."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    at = "2026-11-23 09:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO customers (id, name, tier, created_at) VALUES (1, 'c', 'std', :at)"),
            {"at": at},
        )
        for case_id, department, escalations, channel, ts in [
            (1, "billing", 2, "C0BILLING01", "1.000001"),
            (2, "support", 0, None, None),
        ]:
            conn.execute(
                text(
                    "INSERT INTO cases (id, department, status, priority, priority_reason, tags,"
                    " customer_id, source, card_channel, card_ts, escalations, pauses,"
                    " created_at, updated_at) VALUES (:id, :dept, 'open', 'normal', '', '[]',"
                    " 1, 'web', :channel, :ts, :escalations, '[]', :at, :at)"
                ),
                {
                    "id": case_id,
                    "dept": department,
                    "channel": channel,
                    "ts": ts,
                    "escalations": escalations,
                    "at": at,
                },
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT case_id, stint, department, channel, ts FROM case_cards ORDER BY case_id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, 2, "billing", "C0BILLING01", "1.000001"),
        (2, 0, "support", None, None),
    ]


def test_upgrade_replays_the_audit_log_into_holds(tmp_path: Path) -> None:
    """Cases from before 0010: their holds come from the opened, escalated, resolved and
    reopened events, ended ones waiting for the sweep to settle them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0009")
    engine = create_engine(url)
    t = [f"2026-11-23 09:{m:02d}:00.000000" for m in range(6)]
    events = [
        ("opened", t[0], '{"department": "support", "priority": "normal"}'),
        ("note", t[1], '{"text": "hi"}'),
        ("escalated", t[1], '{"from_department": "support", "to_department": "billing"}'),
        ("escalated", t[2], '{"from_department": "billing", "to_department": "billing"}'),
        ("resolved", t[3], '{"root_cause": null, "note": ""}'),
        ("reopened", t[4], "{}"),
    ]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO customers (id, name, tier, created_at) VALUES (1, 'c', 'std', :at)"),
            {"at": t[0]},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, department, status, priority, priority_reason, tags,"
                " customer_id, source, escalations, pauses, created_at, updated_at)"
                " VALUES (1, 'billing', 'open', 'normal', '', '[]', 1, 'web', 1, '[]', :at, :at)"
            ),
            {"at": t[0]},
        )
        for kind, at, data in events:
            conn.execute(
                text(
                    "INSERT INTO events (case_id, kind, actor, surface, at, data)"
                    " VALUES (1, :kind, 'U1', 'command', :at, :data)"
                ),
                {"kind": kind, "at": at, "data": data},
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT department, arrived, started_at, ended_at, settle_at FROM holds ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("support", "opened", t[0], t[1], t[1]),
        ("billing", "escalated", t[1], t[3], t[3]),
        ("billing", "reopened", t[4], None, None),
    ]


def test_case_status_holds_only_the_known_states(db: Database) -> None:
    """0012: the CHECK constraint refuses a status the code has no name for."""
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO customers (id, name, tier, created_at) VALUES (1, 'c', 'std', :at)"),
            {"at": "2026-11-23 09:00:00"},
        )
    insert = text(
        "INSERT INTO cases (department, status, priority, priority_reason, tags, customer_id,"
        " source, escalations, pauses, created_at, updated_at) VALUES ('support', :status,"
        " 'normal', '', '[]', 1, 'web', 0, '[]', :at, :at)"
    )
    for status in CaseStatus:
        with db.engine.begin() as conn:
            conn.execute(insert, {"status": status.value, "at": "2026-11-23 09:00:00"})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert, {"status": "closed", "at": "2026-11-23 09:00:00"})


def test_status_check_keeps_the_cases_indexes_and_rows(tmp_path: Path) -> None:
    """On SQLite the constraint is added by copying the table: rows and the partial index
    of open cases survive the copy, and a downgrade gives the table back unconstrained."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011")
    engine = create_engine(url)
    at = "2026-11-23 09:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO customers (id, name, tier, created_at) VALUES (1, 'c', 'std', :at)"),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, department, status, priority, priority_reason, tags,"
                " customer_id, source, escalations, pauses, created_at, updated_at)"
                " VALUES (7, 'billing', 'waiting', 'normal', '', '[]', 1, 'web', 0, '[]',"
                " :at, :at)"
            ),
            {"at": at},
        )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM cases")).all()
        index = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_cases_open'")
        ).scalar_one()
    assert [tuple(r) for r in rows] == [(7, "waiting")]
    assert f"WHERE {OPEN_CASES}" in index
    command.downgrade(alembic_config(url), "0011")
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET status = 'closed'"))
    engine.dispose()


def test_merged_status_keeps_the_rollup_triggers_and_goes_back_as_resolved(
    tmp_path: Path,
) -> None:
    """0017 copies `cases` on SQLite to change its CHECK: the summary's stale-mark
    triggers and the partial indexes are put back, and a downgrade reads a merged case
    as resolved."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0016")
    engine = create_engine(url)
    schema = "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'index') ORDER BY 2"
    with engine.connect() as conn:
        before = {tuple(r) for r in conn.execute(text(schema))}
    upgrade(url)
    at = "2026-11-23 09:00:00.000000"
    with engine.begin() as conn:
        after = {tuple(r) for r in conn.execute(text(schema))}
        conn.execute(
            text("INSERT INTO customers (id, name, tier, created_at) VALUES (1, 'c', 'std', :at)"),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, department, status, priority, priority_reason, tags,"
                " customer_id, source, escalations, pauses, created_at, updated_at,"
                " merged_into) VALUES (3, 'billing', 'merged', 'normal', '', '[]', 1, 'web', 0,"
                " '[]', :at, :at, 2)"
            ),
            {"at": at},
        )
        stale = conn.execute(text("SELECT case_id FROM summary_stale")).scalars().all()
    assert before <= after and ("trigger", "summary_cases_update") in after
    assert stale == [3], "the insert trigger on cases still marks the case"
    command.downgrade(alembic_config(url), "0016")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM cases")).all()
        triggers = {tuple(r) for r in conn.execute(text(schema))}
    engine.dispose()
    assert [tuple(r) for r in rows] == [(3, "resolved")]
    assert triggers == before
