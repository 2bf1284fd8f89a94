"""The digest chart is a PNG of the stated size, drawn without a display, whatever the
data (an empty period, a day with nothing decided, more sources than colours)."""

from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from bot.chart import HEIGHT_PX, OKABE_ITO, WIDTH_PX, DailySeries, render

DAYS = [date(2026, 11, 10) + timedelta(days=i) for i in range(14)]


def _size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the PNG signature."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    assert png[-8:-4] == b"IEND"
    return width, height


@pytest.mark.parametrize(
    "series",
    [
        DailySeries(DAYS, {"twitter": [5] * 14, "email": [3] * 14}, [0.9] * 13 + [None]),
        DailySeries(DAYS, {}, [None] * 14),
        DailySeries(DAYS[:1], {f"s{i}": [i] for i in range(len(OKABE_ITO) + 2)}, [1.0], 0.5),
    ],
    ids=["two-sources", "empty", "more-sources-than-colours"],
)
def test_a_png_of_the_stated_size(series: DailySeries) -> None:
    assert _size(render(series, "Billing — last 14 days")) == (WIDTH_PX, HEIGHT_PX)


def test_slack_preview_size_is_landscape_and_wide_enough() -> None:
    """Slack previews images about 360-480 px wide; drawn at 1200 px, 13-20 pt text
    stays readable scaled down to that."""
    assert WIDTH_PX >= 1000 and pytest.approx(1.5) == WIDTH_PX / HEIGHT_PX
