"""SLA config: the documented YAML loads, and each kind of mistake names its key."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from config.calendars import Calendar
from config.common import parse_duration
from config.oncall import Rotation
from config.sla import SlaConfig

EXAMPLE = """
sla:
  calendars:
    office:
      timezone: Europe/Berlin
      hours:
        mon-thu: "09:00-12:30, 13:30-17:00"
        fri: 09:00-15:00
      holidays:
        country: DE
        subdivision: BE
        dates: [2026-12-24, 2026-12-31]
  policies:
    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}
    high:   {first_response: 1h, next_response: 2h, resolution: 1d}
    normal: {first_response: 4h, next_response: 8h, resolution: 3d, calendar: office}
    low:    {first_response: 1d, next_response: 2d, resolution: 5d, calendar: office,
             warn_at: [0.75]}
  overrides:
    - department: billing
      first_response: 2h
    - source: twitter
      priority: high
      first_response: 30m
  ola:
    billing: 4h
    logistics: {budget: 1d, calendar: office}
  reminders:
    warnings:
      - [owner]
      - [owner, oncall]
    breach: [owner, oncall, manager]
oncall:
  members: [U0AAAAAAA, U0BBBBBBB]
  handoff: weekly
  weekday: mon
  at: "09:00"
  timezone: Europe/Berlin
"""

POLICIES = {
    p: {"first_response": "1h", "next_response": "2h", "resolution": "1d"}
    for p in ("urgent", "high", "normal", "low")
}


def sla(**changes: Any) -> SlaConfig:
    return SlaConfig.model_validate({"policies": POLICIES, **changes})


def test_example_yaml_loads() -> None:
    raw = yaml.safe_load(EXAMPLE)
    cfg = SlaConfig.model_validate(raw["sla"])
    rotation = Rotation.model_validate(raw["oncall"])
    office = cfg.calendar("office")
    assert office.open_spans(date(2026, 11, 23)) == ((32400, 45000), (48600, 61200))
    assert office.open_spans(date(2026, 11, 27)) == ((32400, 54000),)
    assert office.open_spans(date(2026, 11, 28)) == ()
    assert office.open_spans(date(2026, 12, 24)) == ()
    assert cfg.policies["low"].warn_at == (0.75,)
    assert cfg.ola["billing"].budget == timedelta(hours=4)
    assert cfg.calendar("24/7").always_open
    assert (rotation.at, rotation.handoff_weekday) == (time(9, 0), 0)
    cfg.check_departments({"billing", "logistics"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(minutes=90)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["15", 15, "4x", "h", "m15", "30m1h", "", "1.5h", None])
def test_bad_durations_say_how_to_write_one(bad: object) -> None:
    with pytest.raises(ValueError, match="not a duration: write a number with a unit"):
        parse_duration(bad)


def test_zero_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        parse_duration("0m")


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.value.errors())


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"timezone": "Europe/Berlinn"}, "unknown time zone 'Europe/Berlinn'"),
        ({"hours": {"mon-fri": "9-17"}}, "not a time of day"),
        ({"hours": {"mon-fri": "09:00"}}, "HH:MM-HH:MM"),
        ({"hours": {"mon-fri": "17:00-09:00"}}, "opening must come before the closing"),
        ({"hours": {"mon-fri": "09:00-13:00, 12:00-17:00"}}, "without overlaps"),
        ({"hours": {"mon-fri": "09:00-17:00", "fri": "10:00-12:00"}}, "fri already has hours"),
        ({"hours": {"weekdays": "09:00-17:00"}}, "'weekdays' is not a weekday"),
        ({"hours": {"sat": "closed"}}, "never open"),
        ({"hours": {"mon": 540}}, "write it in quotes"),
        ({"hours": {"mon": "09:00-25:00"}}, "not a time of day"),
        ({"hours": {"mon": "08:00-17:00"}, "holidays": {"country": "XX"}}, "no holiday table"),
        (
            {"hours": {"mon": "08:00-17:00"}, "holidays": {"country": "DE", "subdivision": "ZZ"}},
            "no holiday table",
        ),
        ({"hours": {"mon": "08:00-17:00"}, "holidays": {"subdivision": "BE"}}, "needs a country"),
        ({"holidays": {"dates": ["2026-12-24"]}}, "only make sense with business hours"),
        ({"hours": {"mon": "08:00-17:00"}, "opening": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_calendars(calendar: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        sla(calendars={"office": calendar})
    assert message in errors_of(exc)
    assert "calendars.office" in errors_of(exc)


def test_overnight_and_wrapping_day_ranges() -> None:
    cal = Calendar(hours={"fri-mon": "00:00-24:00"})
    assert cal.open_spans(date(2026, 11, 30)) == ((0, 86400),)  # a Monday
    assert cal.open_spans(date(2026, 11, 24)) == ()  # a Tuesday


def test_24_7_cannot_be_redefined() -> None:
    with pytest.raises(ValidationError, match="built in"):
        sla(calendars={"24/7": {}})


def test_unknown_calendar_names_the_policy() -> None:
    policies = {**POLICIES, "high": {**POLICIES["high"], "calendar": "offce"}}
    with pytest.raises(
        ValidationError, match=r"policies\.high\.calendar: unknown calendar 'offce'"
    ):
        SlaConfig.model_validate({"policies": policies})


def test_unknown_calendar_names_the_override_and_ola() -> None:
    with pytest.raises(ValidationError, match=r"overrides\[0\]\.calendar: unknown calendar"):
        sla(overrides=[{"source": "twitter", "calendar": "nope"}])
    with pytest.raises(ValidationError, match=r"ola\.billing\.calendar: unknown calendar"):
        sla(ola={"billing": {"budget": "1h", "calendar": "nope"}})


def test_every_priority_needs_a_policy() -> None:
    with pytest.raises(ValidationError, match="missing normal, low"):
        SlaConfig.model_validate({"policies": {k: POLICIES[k] for k in ("urgent", "high")}})


def test_bad_policy_values_name_their_key() -> None:
    policies = {**POLICIES, "urgent": {**POLICIES["urgent"], "resolution": "4 hours"}}
    with pytest.raises(ValidationError) as exc:
        SlaConfig.model_validate({"policies": policies})
    assert "policies.urgent.resolution: Value error, '4 hours' is not a duration" in errors_of(exc)
    with pytest.raises(ValidationError, match="'critical'"):
        SlaConfig.model_validate({"policies": {**POLICIES, "critical": POLICIES["high"]}})


@pytest.mark.parametrize(
    ("warn_at", "message"),
    [
        ([0.5, 1.2], "strictly between 0 and 1"),
        ([0.8, 0.5], "must increase"),
        ([0.5, 0.501], "0.01"),
    ],
)
def test_bad_warning_fractions(warn_at: list[float], message: str) -> None:
    policies = {**POLICIES, "low": {**POLICIES["low"], "warn_at": warn_at}}
    with pytest.raises(ValidationError, match=message):
        SlaConfig.model_validate({"policies": policies})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"first_response": "1h"}, "needs a department or a source"),
        ({"department": "billing"}, "must set at least one"),
        ({"department": "billing", "priority": "asap", "resolution": "1h"}, "'urgent'"),
    ],
)
def test_bad_overrides(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sla(overrides=[override])


def test_reminder_audiences_are_checked() -> None:
    with pytest.raises(ValidationError, match="each recipient once"):
        sla(reminders={"breach": ["owner", "owner"]})
    with pytest.raises(ValidationError, match="'manager'"):
        sla(reminders={"warnings": [["boss"]]})


def test_departments_are_cross_checked_by_the_main_config() -> None:
    cfg = sla(overrides=[{"department": "biling", "first_response": "1h"}], ola={"pr": "1h"})
    with pytest.raises(ValueError, match=r"sla.overrides\[0\].department: department 'biling'"):
        cfg.check_departments({"billing", "pr"})
    with pytest.raises(ValueError, match=r"sla\.ola\.pr: department 'pr'"):
        sla(ola={"pr": "1h"}).check_departments({"billing"})


@pytest.mark.parametrize(
    ("rotation", "message"),
    [
        ({"members": []}, "at least 1 item"),
        ({"members": ["bob"]}, "should match pattern"),
        ({"members": ["U0AAAAAAA", "U0AAAAAAA"]}, "each person once"),
        ({"members": ["U0AAAAAAA"], "handoff": "hourly"}, "'daily' or 'weekly'"),
        ({"members": ["U0AAAAAAA"], "handoff": "daily", "weekday": "mon"}, "only applies"),
        ({"members": ["U0AAAAAAA"], "at": 1020}, "write it in quotes"),
        ({"members": ["U0AAAAAAA"], "at": "9am"}, "not a time of day"),
        ({"members": ["U0AAAAAAA"], "at": "24:00"}, "not a time of day"),
        ({"members": ["U0AAAAAAA"], "timezone": "CEST"}, "unknown time zone"),
        (
            {"members": ["U0AAAAAAA"], "starts": "2026-11-24"},
            "is a tue, but handoffs happen on mon",
        ),
    ],
)
def test_bad_rotations(rotation: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Rotation.model_validate(rotation)


def test_config_models_are_frozen() -> None:
    cfg = sla()
    with pytest.raises(ValidationError, match="frozen"):
        cfg.policies["high"].first_response = timedelta(minutes=1)  # type: ignore[misc]


def test_equal_calendars_stay_equal_after_use() -> None:
    spec = {"hours": {"mon-fri": "09:00-17:00"}, "holidays": {"country": "DE"}}
    used, fresh = Calendar.model_validate(spec), Calendar.model_validate(spec)
    assert used.open_spans(date(2030, 12, 25)) == ()
    assert used == fresh
