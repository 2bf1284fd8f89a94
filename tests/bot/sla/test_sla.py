"""SLA clocks: due times with pauses, states, reminder thresholds, policies and card text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sla import (
    BREACH,
    Clock,
    ClockKind,
    ClockState,
    Pause,
    Threshold,
    Window,
    audience,
    crossed,
    describe,
    due_thresholds,
    format_duration,
    next_crossing,
    next_due_at,
    ola_clock_name,
    ola_window,
    policy_for,
    read,
    send_at,
)
from config.calendars import Calendar
from config.sla import Reminders, SlaConfig

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ALWAYS = Calendar()
OFFICE = Calendar(timezone="Europe/Berlin", hours={"mon-fri": "09:00-17:00"})


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def clock(
    window: timedelta = H,
    calendar: Calendar = ALWAYS,
    pauses: tuple[Pause, ...] = (),
    stopped_at: datetime | None = None,
    start: datetime = T0,
) -> Clock:
    return Clock("first_response", start, Window(window, calendar), pauses, stopped_at)


def test_running_clock_on_24_7() -> None:
    c = clock()
    assert c.due_at() == T0 + H
    assert c.state(T0 + 18 * MIN) is ClockState.RUNNING
    assert c.fraction(T0 + 18 * MIN) == pytest.approx(0.3)
    assert c.remaining(T0 + 18 * MIN) == 42 * MIN
    assert describe(c, T0 + 18 * MIN) == "first response due in 42 min"


def test_pause_and_resume_extend_the_due_time() -> None:
    c = clock(pauses=(Pause(T0 + 20 * MIN, T0 + 50 * MIN),))
    assert c.due_at() == T0 + 90 * MIN
    assert c.state(T0 + 30 * MIN) is ClockState.PAUSED
    assert describe(c, T0 + 30 * MIN) == "first response paused — waiting on customer"
    assert c.elapsed(T0 + 60 * MIN) == 30 * MIN
    assert c.state(T0 + 60 * MIN) is ClockState.RUNNING


def test_open_pause_holds_the_clock() -> None:
    c = clock(pauses=(Pause(T0 + 20 * MIN),))
    assert c.due_at() is None
    assert c.remaining(T0 + 5 * H) is None
    assert c.state(T0 + 5 * H) is ClockState.PAUSED
    assert c.elapsed(T0 + 5 * H) == 20 * MIN


def test_pause_outside_business_hours_extends_nothing() -> None:
    friday_4pm = berlin(2026, 11, 20, 16, 0)
    paused = Pause(berlin(2026, 11, 20, 18, 0), berlin(2026, 11, 23, 8, 0))
    c = clock(2 * H, OFFICE, (paused,), start=friday_4pm)
    assert c.due_at() == berlin(2026, 11, 23, 10, 0)


def test_pause_before_the_start_is_clipped() -> None:
    c = clock(pauses=(Pause(T0 - H, T0 + 10 * MIN),))
    assert c.due_at() == T0 + 70 * MIN


def test_facts_after_now_are_not_seen() -> None:
    c = clock(pauses=(Pause(T0 + 20 * MIN, T0 + 50 * MIN),), stopped_at=T0 + 55 * MIN)
    assert c.state(T0 + 10 * MIN) is ClockState.RUNNING
    assert c.as_of(T0 + 30 * MIN).pauses == (Pause(T0 + 20 * MIN, None),)
    assert c.state(T0 + 2 * H) is ClockState.MET


def test_breached_and_missed() -> None:
    assert clock().state(T0 + H) is ClockState.BREACHED
    assert describe(clock(), T0 + 72 * MIN) == "first response BREACHED 12 min ago"
    late = clock(stopped_at=T0 + 65 * MIN)
    assert late.state(T0 + 2 * H) is ClockState.MISSED
    assert describe(late, T0 + 2 * H) == "first response missed by 5 min"
    assert describe(clock(stopped_at=T0 + MIN), T0 + 2 * H) == "first response met"


def test_breach_before_a_pause_stays_a_breach() -> None:
    c = clock(pauses=(Pause(T0 + 2 * H),))
    assert c.due_at() == T0 + H
    assert c.state(T0 + 3 * H) is ClockState.BREACHED


@pytest.mark.parametrize(
    "pauses",
    [
        (Pause(T0 + 2 * MIN, T0 + MIN),),
        (Pause(T0, T0 + 10 * MIN), Pause(T0 + 5 * MIN, T0 + 20 * MIN)),
        (Pause(T0), Pause(T0 + H, T0 + 2 * H)),
    ],
)
def test_inconsistent_pauses_are_refused(pauses: tuple[Pause, ...]) -> None:
    with pytest.raises(ValueError, match="pause"):
        clock(pauses=pauses)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        clock(start=datetime(2026, 1, 1))


def test_each_threshold_instant_in_business_time() -> None:
    friday_4pm = berlin(2026, 11, 20, 16, 0)
    c = clock(4 * H, OFFICE, start=friday_4pm)
    assert [(t.name, t.at) for t in c.thresholds()] == [
        ("warn50", berlin(2026, 11, 23, 10, 0)),
        ("warn80", berlin(2026, 11, 23, 11, 12)),
        (BREACH, berlin(2026, 11, 23, 12, 0)),
    ]


def test_threshold_instants_move_with_a_pause() -> None:
    c = clock(pauses=(Pause(T0 + 10 * MIN, T0 + 40 * MIN),))
    assert [t.at for t in c.thresholds()] == [T0 + 60 * MIN, T0 + 78 * MIN, T0 + 90 * MIN]
    held = clock(pauses=(Pause(T0 + 40 * MIN),))
    assert [t.at for t in held.thresholds()] == [T0 + 30 * MIN, None, None]


def test_due_thresholds_as_time_passes() -> None:
    c = clock()
    assert due_thresholds(c, T0 + 29 * MIN) == []
    assert [t.name for t in due_thresholds(c, T0 + 30 * MIN)] == ["warn50"]
    assert [t.name for t in due_thresholds(c, T0 + 50 * MIN, sent={"warn50"})] == ["warn80"]
    late = due_thresholds(c, T0 + 2 * H)
    assert [t.name for t in late] == ["warn50", "warn80", BREACH]
    assert late[-1].is_breach


def test_next_due_at_for_the_sweep() -> None:
    c = clock()
    assert next_due_at(c) == T0 + 30 * MIN
    assert next_due_at(c, sent={"warn50"}) == T0 + 48 * MIN
    assert next_due_at(c, sent={"warn50", "warn80", BREACH}) is None


def test_met_or_paused_clock_yields_no_thresholds() -> None:
    met = clock(stopped_at=T0 + 10 * MIN)
    assert due_thresholds(met, T0 + 2 * H) == []
    assert next_due_at(met) is None
    paused = clock(pauses=(Pause(T0 + 40 * MIN),))
    assert due_thresholds(paused, T0 + 2 * H) == []
    assert next_due_at(paused) is None


def test_snooze_delays_warnings_never_the_breach() -> None:
    c = clock()
    snooze = T0 + 55 * MIN
    assert due_thresholds(c, T0 + 50 * MIN, snoozed_until=snooze) == []
    assert next_due_at(c, snoozed_until=snooze) == snooze
    assert next_due_at(c, sent={"warn50", "warn80"}, snoozed_until=T0 + 3 * H) == T0 + H
    assert [t.name for t in due_thresholds(c, T0 + H, snoozed_until=T0 + 3 * H)] == [BREACH]


def test_warnings_wait_for_business_hours_breach_does_not() -> None:
    evening = berlin(2026, 11, 20, 19, 0)
    warn = Threshold("warn80", 1, 0.8, evening)
    breach = Threshold(BREACH, 2, 1.0, evening)
    assert send_at(warn, OFFICE) == berlin(2026, 11, 23, 9, 0)
    assert send_at(breach, OFFICE) == evening
    assert send_at(warn, ALWAYS) == evening
    c = clock(2 * H, OFFICE, start=berlin(2026, 11, 20, 15, 0))
    assert next_due_at(c, sent={"warn50"}, snoozed_until=berlin(2026, 11, 20, 18, 0)) == (
        berlin(2026, 11, 20, 17, 0)
    )
    assert next_due_at(c, sent={BREACH}, snoozed_until=berlin(2026, 11, 20, 18, 0)) == (
        berlin(2026, 11, 23, 9, 0)
    )


def test_card_crossings_are_never_deferred_by_a_snooze() -> None:
    c = clock()
    snooze = T0 + 3 * H
    assert due_thresholds(c, T0 + 50 * MIN, sent={"warn50"}, snoozed_until=snooze) == []
    assert [t.name for t in crossed(c, T0 + 50 * MIN, shown={"warn50"})] == ["warn80"]
    assert next_crossing(c, shown={"warn50"}) == T0 + 48 * MIN
    assert next_crossing(c, shown={"warn50", "warn80", BREACH}) is None
    assert [t.name for t in crossed(c, T0 + 2 * H)] == ["warn50", "warn80", BREACH]


def test_card_crossings_are_never_deferred_by_closed_hours() -> None:
    """50 % of a 2 h window opened Monday 16:00 is used at closing time: the warning waits
    for Tuesday morning, the card is re-rendered at 17:00."""
    c = clock(2 * H, OFFICE, start=berlin(2026, 11, 23, 16, 0))
    [warn50, *_] = c.thresholds()
    assert warn50.at == berlin(2026, 11, 23, 17, 0)
    assert send_at(warn50, OFFICE) == berlin(2026, 11, 24, 9, 0)
    assert next_crossing(c) == berlin(2026, 11, 23, 17, 0)
    assert [t.name for t in crossed(c, berlin(2026, 11, 23, 17, 0))] == ["warn50"]


def test_stopped_or_paused_clocks_cross_nothing_more() -> None:
    assert crossed(clock(stopped_at=T0 + 10 * MIN), T0 + 2 * H) == []
    assert next_crossing(clock(stopped_at=T0 + 10 * MIN)) is None
    paused = clock(pauses=(Pause(T0 + 40 * MIN),))
    assert next_crossing(paused, shown={"warn50"}) is None
    assert [t.name for t in crossed(paused, T0 + 2 * H)] == ["warn50"], "crossed before"


def test_a_reading_carries_the_due_instant_as_data() -> None:
    running = read(clock(), T0 + 18 * MIN)
    assert (running.state, running.due_at, running.remaining) == (
        ClockState.RUNNING,
        T0 + H,
        42 * MIN,
    )
    assert not running.business_hours
    assert read(clock(window=4 * H, calendar=OFFICE), T0).business_hours
    missed = read(clock(stopped_at=T0 + 65 * MIN), T0 + 2 * H)
    assert (missed.state, missed.remaining) == (ClockState.MISSED, -5 * MIN)
    held = read(clock(pauses=(Pause(T0 + 20 * MIN),)), T0 + H)
    assert (held.state, held.due_at, held.remaining) == (ClockState.PAUSED, None, None)


def test_the_card_line_shows_deadlines_as_date_tokens() -> None:
    from bot.slack.blocks import sla_line

    due = "<!date^1795431600^{date_short_pretty} {time}|2026-11-23 11:00 UTC>"
    assert sla_line(read(clock(), T0 + 18 * MIN)) == f"first response due {due} (in 42 min)"
    assert sla_line(read(clock(), T0 + 72 * MIN)) == f"first response BREACHED (was due {due})"
    office = clock(window=H, calendar=OFFICE)  # 11:00-12:00 Berlin: the same instant
    assert sla_line(read(office, T0)) == f"first response due {due}", "no relative words"
    paused = read(clock(pauses=(Pause(T0 + 20 * MIN),)), T0 + H)
    assert sla_line(paused) == "first response paused — waiting on customer"
    assert sla_line(read(clock(stopped_at=T0 + 65 * MIN), T0 + 2 * H)) == (
        "first response missed by 5 min"
    )
    assert sla_line(read(clock(stopped_at=T0 + MIN), T0 + 2 * H)) == "first response met"


def test_audience_widens_and_unowned_goes_to_oncall() -> None:
    r = Reminders()
    warn50, warn80, warn90 = (
        Threshold(f"warn{p}", i, p / 100, T0) for i, p in enumerate((50, 80, 90))
    )
    breach = Threshold(BREACH, 3, 1.0, T0)
    assert audience(r, warn50, owned=True) == ("owner",)
    assert audience(r, warn80, owned=True) == ("owner", "oncall")
    assert audience(r, warn90, owned=True) == ("owner", "oncall")
    assert audience(r, breach, owned=True) == ("owner", "oncall", "manager")
    assert audience(r, warn50, owned=False) == ("oncall",)
    assert audience(r, breach, owned=False) == ("oncall", "manager")


SLA = SlaConfig.model_validate(
    {
        "calendars": {"office": {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}}},
        "policies": {
            "urgent": {"first_response": "15m", "next_response": "30m", "resolution": "4h"},
            "high": {"first_response": "1h", "next_response": "2h", "resolution": "1d"},
            "normal": {
                "first_response": "4h",
                "next_response": "8h",
                "resolution": "3d",
                "calendar": "office",
            },
            "low": {
                "first_response": "1d",
                "next_response": "2d",
                "resolution": "5d",
                "calendar": "office",
                "warn_at": [0.75],
            },
        },
        "overrides": [
            {"department": "billing", "first_response": "2h", "calendar": "office"},
            {"source": "twitter", "first_response": "30m"},
            {"department": "billing", "source": "twitter", "first_response": "45m"},
            {"department": "billing", "priority": "urgent", "resolution": "2h"},
        ],
        "ola": {"billing": "4h", "logistics": {"budget": "1d", "calendar": "office"}},
    }
)


def test_policy_for_without_overrides() -> None:
    p = policy_for(SLA, "low", "support", "email")
    assert (p.first_response, p.calendar_name, p.warn_at) == (24 * H, "office", (0.75,))
    assert p.window(ClockKind.RESOLUTION) == Window(5 * 24 * H, p.calendar, (0.75,))
    assert policy_for(SLA, "high", "support", "email").calendar.always_open


def test_policy_for_most_specific_override_wins() -> None:
    assert policy_for(SLA, "high", "billing", "email").first_response == 2 * H
    assert policy_for(SLA, "high", "support", "twitter").first_response == 30 * MIN
    both = policy_for(SLA, "high", "billing", "twitter")
    assert (both.first_response, both.calendar_name) == (45 * MIN, "office")
    urgent = policy_for(SLA, "urgent", "billing", "email")
    assert (urgent.first_response, urgent.resolution) == (2 * H, 2 * H)


def test_ola_windows() -> None:
    assert ola_window(SLA, "billing") == Window(4 * H, ALWAYS)
    assert ola_window(SLA, "logistics") == Window(24 * H, SLA.calendar("office"))
    assert ola_window(SLA, "support") is None
    ola = Clock(ola_clock_name("billing"), T0, Window(4 * H, ALWAYS))
    assert describe(ola, T0 + H) == "billing OLA due in 3 h"


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=42), "42 s"),
        (42 * MIN + timedelta(seconds=59), "42 min"),
        (H, "1 h"),
        (3 * H + 20 * MIN, "3 h 20 min"),
        (48 * H, "2 d"),
        (52 * H + 30 * MIN, "2 d 4 h"),
        (-MIN, "0 s"),
    ],
)
def test_format_duration(span: timedelta, text: str) -> None:
    assert format_duration(span) == text
