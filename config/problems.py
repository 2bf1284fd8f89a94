"""`problems:` — when posts from many customers count as one root cause (SPEC "Problems")."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from config.common import Duration, Strict


class ProblemsConfig(Strict):
    """Defaults are the SPEC's (5 similar cases within 2h) and the labelled set's best
    threshold (0.2, README "Problems: how similar is similar").

    `ignore` are words every post carries that say nothing about a cause (the company's
    own name); `min_links` is how many of a problem's cases a new one must resemble to
    join it (one shared word with one member is how unrelated posts chain together).
    """

    enabled: bool = True
    window: Duration = timedelta(hours=2)
    min_cases: int = Field(default=5, ge=2, le=100)
    similarity: float = Field(default=0.2, gt=0.0, le=1.0)
    min_links: int = Field(default=2, ge=1, le=10)
    ignore: list[str] = Field(default_factory=list)
