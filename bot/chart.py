"""The digest's picture: cases per day stacked by source, and first-response SLA
compliance per day against its target.

A pure function from numbers to PNG bytes. It draws on a bare `matplotlib.figure.Figure`
with the Agg canvas: no display, no pyplot state shared between threads. Sized for
Slack's preview (it shows images about 360-480 px wide, so text is drawn large), with
the Okabe-Ito palette, which stays distinguishable for the common colour blindnesses.

matplotlib is imported on the first render, not with this module: it is 40-50 MB of the
web process's memory and most of its start-up time, and only a digest draws.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#999999"
WIDTH_PX, HEIGHT_PX, DPI = 1200, 800, 100


@dataclass(frozen=True)
class DailySeries:
    """One value per day for each source, and the day's first-response compliance
    (met / decided, None on a day with nothing decided)."""

    days: Sequence[date]
    volume: dict[str, Sequence[int]] = field(default_factory=dict)
    compliance: Sequence[float | None] = ()
    target: float = 0.9


def _colours(sources: Sequence[str]) -> list[str]:
    """The palette in order; beyond it the rest share one grey (they are few by then)."""
    return [OKABE_ITO[i] if i < len(OKABE_ITO) else OTHER for i in range(len(sources))]


def render(series: DailySeries, title: str) -> bytes:
    """A PNG of `WIDTH_PX` by `HEIGHT_PX` pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.set_layout_engine("constrained")
    volume, share = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = list(range(len(series.days)))
    labels = [f"{d:%b} {d.day}" for d in series.days]
    sources = sorted(series.volume, key=lambda s: -sum(series.volume[s]))
    bottom = [0] * len(x)
    for source, colour in zip(sources, _colours(sources), strict=True):
        counts = list(series.volume[source])
        volume.bar(x, counts, bottom=bottom, color=colour, label=source, width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    volume.set_title(title, fontsize=20, loc="left")
    volume.set_ylabel("new cases per day", fontsize=15)
    volume.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    if sources:
        volume.legend(fontsize=13, ncols=min(4, len(sources)), loc="upper left", frameon=False)
        volume.set_ylim(0, max(bottom or [0]) * 1.3 or 1)
    # A day with nothing decided is a gap in the line, not a straight line across it.
    shares = [math.nan if v is None else v * 100 for v in series.compliance]
    if any(not math.isnan(v) for v in shares):
        share.plot(x[: len(shares)], shares, color=OKABE_ITO[0], marker="o", lw=2.5, ms=6)
    share.axhline(series.target * 100, color=OKABE_ITO[5], ls="--", lw=2)
    share.annotate(
        f"target {series.target:.0%}",
        (1, series.target * 100),
        xycoords=("axes fraction", "data"),
        xytext=(0, -18),
        textcoords="offset points",
        ha="right",
        color=OKABE_ITO[5],
        fontsize=13,
    )
    share.set_ylim(0, 105)
    share.yaxis.set_major_formatter(PercentFormatter())
    share.set_ylabel("first response\nwithin SLA", fontsize=15)
    share.set_xlabel("day (opened)", fontsize=15)
    step = max(1, len(x) // 8)
    share.set_xticks(x[::step], labels[::step])
    for axes in (volume, share):
        axes.tick_params(labelsize=13)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
