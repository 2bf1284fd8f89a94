"""The promise to the customer against the calendar, and against the card's own deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import intake
from bot.posts import Author, IncomingPost
from bot.sla import ClockKind, ClockState, Pause, tracking
from bot.sla.promise import Promise, first_response_clock, of_clock, wording
from config.schema import CasebotConfig
from config.sla import SlaConfig
from storage.db import Database
from storage.models import Case

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
OFFICE = {
    "timezone": "Europe/Berlin",
    "hours": {"mon-fri": "09:00-17:00"},
    "holidays": {"country": "DE", "dates": ["2026-12-24", "2026-12-31"]},
}
SLA = SlaConfig.model_validate(
    {
        "calendars": {
            "office": OFFICE,
            "uk": {"timezone": "Europe/London", "hours": {"mon-fri": "08:00-18:00"}},
        },
        "policies": {
            "urgent": {"first_response": "15m", "next_response": "30m", "resolution": "4h"},
            "high": {"first_response": "1h", "next_response": "2h", "resolution": "1d"},
            "normal": {"first_response": "4h", "next_response": "8h", "resolution": "3d"},
            "low": {
                "first_response": "4h",
                "next_response": "8h",
                "resolution": "5d",
                "calendar": "office",
            },
        },
        "overrides": [
            {"department": "billing", "first_response": "1h", "calendar": "office"},
            {"source": "email", "department": "billing", "first_response": "2h"},
            {"department": "uk", "first_response": "3h", "calendar": "uk"},
        ],
    }
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def promise(
    priority: str, opened_at: datetime, *, department: str = "support", source: str = "web"
) -> Promise:
    clock = first_response_clock(
        SLA, priority=priority, department=department, source=source, opened_at=opened_at
    )
    found = of_clock(clock, opened_at)
    assert found is not None
    return found


def test_round_the_clock_policy_promises_plain_utc_time() -> None:
    opened = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday
    made = promise("normal", opened)
    assert made.at == opened + timedelta(hours=4)
    assert made.wording(opened) == "Monday 13:30 UTC"
    assert not made.late


def test_friday_evening_to_office_hours_promises_monday() -> None:
    friday_6pm = berlin(2026, 11, 27, 18, 0)
    made = promise("high", friday_6pm, department="billing")  # 1h on the office calendar
    assert made.at == berlin(2026, 11, 30, 10, 0)
    assert made.wording(friday_6pm) == "Monday 10:00 CET"


def test_office_hours_left_on_friday_carry_over_the_weekend() -> None:
    friday_4pm = berlin(2026, 11, 27, 16, 0)
    made = promise("low", friday_4pm)  # 4h: one on Friday, three on Monday
    assert made.at == berlin(2026, 11, 30, 12, 0)
    assert made.wording(friday_4pm) == "Monday 12:00 CET"


def test_the_most_specific_override_decides_the_promise() -> None:
    friday_6pm = berlin(2026, 11, 27, 18, 0)
    made = promise("high", friday_6pm, department="billing", source="email")
    assert made.wording(friday_6pm) == "Monday 11:00 CET"


def test_holidays_are_skipped() -> None:
    """Wednesday 23 December 16:00: one hour that day; the 24th is the company's own closed
    day, the 25th and 26th are German public holidays, then the weekend."""
    wednesday = berlin(2026, 12, 23, 16, 0)
    made = promise("low", wednesday)
    assert made.at == berlin(2026, 12, 28, 12, 0)
    assert made.wording(wednesday) == "Monday 12:00 CET"


def test_a_dst_change_is_named_in_the_promise() -> None:
    """Berlin leaves summer time on Sunday 25 October 2026: posted Friday in CEST (UTC+2),
    promised Monday in CET (UTC+1), still three business hours into Monday."""
    friday = berlin(2026, 10, 23, 16, 0)
    assert friday.tzname() == "CEST"
    made = promise("low", friday)
    assert made.at == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)
    assert made.wording(friday) == "Monday 12:00 CET"


def test_the_zone_is_the_calendars_own() -> None:
    friday = datetime(2026, 6, 5, 17, 0, tzinfo=LONDON)
    made = promise("high", friday, department="uk")  # 3h; one left on Friday
    assert made.wording(friday) == "Monday 10:00 BST"


def test_a_promise_a_week_or_more_away_names_the_date() -> None:
    now = berlin(2026, 11, 23, 9, 0)
    assert wording(berlin(2026, 11, 29, 9, 0), BERLIN, now=now) == "Sunday 09:00 CET"
    assert wording(berlin(2026, 11, 30, 9, 0), BERLIN, now=now) == "Monday 30 November 09:00 CET"
    assert wording(berlin(2027, 1, 4, 9, 0), BERLIN, now=now) == "Monday 4 January 2027 09:00 CET"


def test_offset_only_zones_read_as_utc_offsets() -> None:
    istanbul = ZoneInfo("Europe/Istanbul")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=istanbul)
    assert wording(at, istanbul, now=at) == "Monday 09:00 UTC+03"


def test_a_breached_clock_still_promises_its_instant_and_says_late() -> None:
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    clock = first_response_clock(
        SLA, priority="urgent", department="support", source="web", opened_at=opened
    )
    later = opened + timedelta(hours=1)
    made = of_clock(clock, later)
    assert made is not None and made.late and made.at == opened + timedelta(minutes=15)


def test_no_promise_while_waiting_on_the_customer_or_once_answered() -> None:
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    waiting = first_response_clock(
        SLA,
        priority="normal",
        department="support",
        source="web",
        opened_at=opened,
        pauses=(Pause(opened + timedelta(minutes=5)),),
    )
    assert of_clock(waiting, opened + timedelta(minutes=10)) is None
    late_then_waiting = first_response_clock(
        SLA,
        priority="urgent",
        department="support",
        source="web",
        opened_at=opened,
        pauses=(Pause(opened + timedelta(minutes=20)),),
    )
    assert late_then_waiting.state(opened + timedelta(minutes=30)) is ClockState.BREACHED
    assert of_clock(late_then_waiting, opened + timedelta(minutes=30)) is None
    answered = first_response_clock(
        SLA, priority="normal", department="support", source="web", opened_at=opened
    )
    stopped = type(answered)(
        name=answered.name,
        started_at=opened,
        window=answered.window,
        stopped_at=opened + timedelta(minutes=3),
    )
    assert stopped.state(opened + timedelta(minutes=4)) is ClockState.MET
    assert of_clock(stopped, opened + timedelta(minutes=4)) is None


def _post(n: int, text: str, source: str = "web") -> IncomingPost:
    return IncomingPost(
        source=source,
        external_id=f"p{n}",
        text=text,
        author=Author(id=f"a{n}", handle=f"@c{n}", name=f"Customer {n}"),
    )


@pytest.mark.both_db
@pytest.mark.parametrize(
    ("text", "opened_at"),
    [
        ("where is my parcel", berlin(2026, 11, 27, 18, 0)),  # logistics, normal, 24/7
        ("I want a refund", berlin(2026, 11, 27, 18, 0)),  # billing, high
        ("hello there", berlin(2026, 12, 23, 16, 30)),  # support
    ],
)
def test_the_promise_is_the_cards_first_response_deadline(
    db: Database, config: CasebotConfig, text: str, opened_at: datetime
) -> None:
    """Through intake, on the example config with its office calendar for `low`: the
    promise read for the customer and the deadline the card renders are one instant."""
    cfg = config
    with db.session() as session:
        received = intake.receive(session, _post(1, text), now=opened_at, config=cfg)
    for priority in ("urgent", "high", "normal", "low"):
        with db.session() as session:
            case = session.get(Case, received.case_id)
            assert case is not None
            case.priority = priority
        with db.read() as session:
            case = session.get(Case, received.case_id)
            assert case is not None
            [reading] = [
                r
                for r in tracking.card_readings(session, case, cfg, opened_at)
                if r.name == ClockKind.FIRST_RESPONSE.value
            ]
            made = tracking.response_promise(session, case, cfg, opened_at)
        assert made is not None
        assert made.at == reading.due_at, priority
        expected = first_response_clock(
            cfg.sla,
            priority=priority,
            department=case.department,
            source=case.source,
            opened_at=opened_at,
        ).due_at()
        assert made.at == expected
