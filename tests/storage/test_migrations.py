"""The migrated schema is exactly what the models declare, on both databases, and an
upgrade keeps the data of an older schema usable."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from storage.migrate import upgrade

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
