"""Scheduled digests: which schedule slot is due, claimed once, its numbers and chart
data queued for the outbox (`bot.slack.digest` posts them).

Each slot is claimed with a unique row (`storage.digests`) in the transaction that
queues it, so however many workers fire the same cron trigger, one sends. A worker
that starts after slots went by while everything was down sends the latest missed
slot once, marked late — not once per missed slot. A digest that was never sent starts
with the first slot after it appears (a slot less than `GRACE` ago counts as now).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot import summary
from bot.outbox import kinds
from bot.outbox.kinds import DigestMessage
from bot.periods import Period
from config.digests import Digest
from config.schema import CasebotConfig
from storage import digests as store
from storage import summary as figures

GRACE = timedelta(minutes=15)
"""A slot sent later than this after its time is marked late."""
MAX_SLOTS = 100_000
"""How many missed slots are stepped over at most (a minutely digest down for ten weeks)."""
_TICK = timedelta(microseconds=1)


def due_slot(
    digest: Digest, *, after: datetime | None, now: datetime
) -> tuple[datetime, int] | None:
    """The latest slot at or before `now` and later than `after`, with how many earlier
    slots it stepped over; None when none is due."""
    trigger = digest.cron()
    start = after + _TICK if after else now - GRACE
    fire = trigger.get_next_fire_time(None, start)
    latest, skipped = None, -1
    while fire is not None and fire <= now and skipped < MAX_SLOTS:
        latest, skipped = fire, skipped + 1
        fire = trigger.get_next_fire_time(fire, fire + _TICK)
    return None if latest is None else (latest.astimezone(UTC), skipped)


def run(session: Session, digest: Digest, *, config: CasebotConfig, now: datetime) -> bool:
    """Claim and queue the digest's due slot; True when this call queued it."""
    found = due_slot(digest, after=store.last_slot(session, name=digest.name), now=now)
    if found is None:
        return False
    slot, skipped = found
    late = skipped > 0 or now - slot > GRACE
    if not store.claim(session, name=digest.name, slot=slot, late=late, now=now):
        return False
    kinds.enqueue(
        session,
        content(session, digest, config=config, slot=slot, late=late),
        key=f"{DigestMessage.kind}:{digest.name}:{slot.isoformat()}",
        now=now,
    )
    return True


def content(
    session: Session, digest: Digest, *, config: CasebotConfig, slot: datetime, late: bool
) -> DigestMessage:
    """What the digest says, as of its slot: one summary per department (or one for all),
    and the chart's series, in plain JSON."""
    period = Period(f"last {_span(digest.period)}", slot - digest.period, slot)
    scopes: list[str | None] = list(digest.departments) or [None]
    sections = [
        summary.to_data(
            summary.compute(session, period=period, department=d, config=config, now=slot)
        )
        for d in scopes
    ]
    return DigestMessage(
        name=digest.name,
        channel=digest.channel,
        slot=slot.isoformat(),
        timezone=digest.timezone,
        late=late,
        summaries=sections,
        series=series(session, digest, slot=slot),
    )


def series(session: Session, digest: Digest, *, slot: datetime) -> dict[str, Any]:
    """Whole local days before the slot's day, in the digest's time zone."""
    zone = ZoneInfo(digest.timezone)
    last = slot.astimezone(zone).date()
    days = [last - timedelta(days=n) for n in range(digest.chart_days, 0, -1)]
    bounds = [datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC) for d in [*days, last]]
    daily = figures.daily(session, bounds, digest.departments, slot)
    sources = sorted({src for _, src in daily.volume})
    return {
        "days": [d.isoformat() for d in days],
        "volume": {s: [daily.volume.get((i, s), 0) for i in range(len(days))] for s in sources},
        "compliance": [
            (c.met / c.decided) if (c := daily.compliance.get(i)) and c.decided else None
            for i in range(len(days))
        ],
        "target": digest.target,
    }


def _span(span: timedelta) -> str:
    days, rest = divmod(span, timedelta(days=1))
    if not rest:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{span // timedelta(hours=1)} h"
