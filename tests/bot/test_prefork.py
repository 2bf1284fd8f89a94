"""The gunicorn master stays small: start-up work runs in a child (`bot.prefork`), and the
calendars' public holidays reach the workers as dates (`config.holiday_days`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.prefork import in_child
from config.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"sqlalchemy", "sqlmodel", "pydantic", "alembic", "holidays", "flask", "slack_bolt"}


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_what_the_master_imports_leaves_the_heavy_libraries_out() -> None:
    loaded = python(
        "import sys, bot.cli, bot.server, bot.metrics_dir, config.holiday_days\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    ).split()
    assert HEAVY.isdisjoint(loaded), HEAVY & set(loaded)


def test_the_child_answers_and_exits() -> None:
    parent = os.getpid()
    assert in_child(lambda: (os.getpid() != parent, "ready")) == (True, "ready")


def test_a_config_error_in_the_child_is_raised_in_the_parent() -> None:
    def refuse() -> None:
        raise ConfigError("environment variable SLACK_BOT_TOKEN is required")

    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is required"):
        in_child(refuse)


def test_a_crash_in_the_child_ends_the_parent_with_its_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from bot.prefork import in_child\nin_child(lambda: 1 / 0)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr


def test_adopted_holidays_answer_without_the_package_as_the_package_does() -> None:
    """The example config closes on German public holidays: computed in a child, adopted,
    and the config loaded again as a worker loads it, never importing `holidays`."""
    answers = python(
        "import sys\n"
        "from datetime import date\n"
        "from bot.prefork import in_child\n"
        "from config import holiday_days\n"
        "def compute():\n"
        "    from config.load import load_config\n"
        f"    places = load_config({str(EXAMPLE_CONFIG)!r}).sla.holiday_places()\n"
        "    return holiday_days.compute(places, date(2026, 12, 1))\n"
        "holiday_days.adopt(in_child(compute))\n"
        "from config.load import load_config\n"
        f"config = load_config({str(EXAMPLE_CONFIG)!r})\n"
        "days = [date(2026, 12, 25), date(2026, 12, 28), date(2027, 5, 6), date(2026, 12, 23)]\n"
        "calendar = next(c for c in config.sla.calendars.values() if c.holidays.place)\n"
        "print('holidays' in sys.modules, *(calendar.open_spans(d) == () for d in days))"
    )
    assert answers == "False True False True False"


def test_days_outside_the_computed_years_ask_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import holiday_days

    monkeypatch.setattr(holiday_days, "_adopted", {})
    place = ("DE", None)
    computed = holiday_days.compute([place], date(2026, 12, 1))[place]
    assert date(2026, 12, 25) in computed.days
    assert computed.first_year == 2024 and computed.last_year == 2029
    holiday_days.adopt({place: computed})
    assert holiday_days.is_holiday(place, date(2035, 12, 25))
    assert not holiday_days.is_holiday(place, date(2035, 12, 27))
