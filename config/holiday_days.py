"""Public holidays per place as plain sets of dates, computed where memory is cheap.

The `holidays` package imports every country it knows (some 300 modules, about 12 MiB
resident) to build one country's table. A web or serve process needs only the dates of
the few places its calendars name, so `casebot web` and `serve` compute those, for the
years around now, in their short-lived start-up child (`bot.prefork`); the gunicorn
master `adopt`s the small result and its workers inherit it, never importing the
package. A date outside those years, or a place nobody computed (the `worker`
process, tests), is looked up in the package as before: the answer is always the
package's, only where it is computed changes. No pydantic here: the master imports this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

Place = tuple[str, str | None]
"""(ISO country code, subdivision or None)."""

YEARS_BEFORE = 2
YEARS_AFTER = 3
"""Years computed ahead of need around today's: reports look back, deadlines forward."""


@cache
def _package_table(country: str, subdivision: str | None) -> Any:
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True)
class Computed:
    """One place's holidays over `years`, as dates."""

    first_year: int
    last_year: int
    days: frozenset[date]


_adopted: dict[Place, Computed] = {}


def is_holiday(place: Place, day: date) -> bool:
    """Whether the place's public-holiday table closes `day`."""
    computed = _adopted.get(place)
    if computed is not None and computed.first_year <= day.year <= computed.last_year:
        return day in computed.days
    return day in _package_table(*place)


def check(place: Place) -> None:
    """Raises NotImplementedError (the package's) when it has no table for the place."""
    if place not in _adopted:
        _package_table(*place)


def compute(places: Iterable[Place], today: date) -> dict[Place, Computed]:
    """The places' holidays over the years around `today` (imports the package)."""
    import holidays

    first, last = today.year - YEARS_BEFORE, today.year + YEARS_AFTER
    years = range(first, last + 1)
    return {
        (country, subdivision): Computed(
            first,
            last,
            frozenset(holidays.country_holidays(country, subdiv=subdivision, years=years)),
        )
        for country, subdivision in places
    }


def adopt(computed: dict[Place, Computed]) -> None:
    """Answer for these places and years from the given dates from now on."""
    _adopted.update(computed)
