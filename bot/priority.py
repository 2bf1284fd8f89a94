"""A post's priority when no routing rule sets one, with the reason shown on the card.

Reach counts, but log-scaled and capped at two points, below the three a post needs
for `high`: a big follower count alone never jumps the queue.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.words import count
from config.schema import PriorityScoring

PRAISE_WORDS = ("thank", "thanks", "love", "great", "awesome")
REACH_CAP = 2.0


@dataclass(frozen=True)
class Scored:
    priority: str
    reason: str
    points: float


def _found(words: list[str] | tuple[str, ...], text: str) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w.casefold())}\b", text)]


def reach_points(followers: int | None) -> float:
    """0 below 1,000 followers, +1 at 10k, capped at +2 from 100k up."""
    if not followers or followers < 1000:
        return 0.0
    return min(REACH_CAP, round(math.log10(followers) - 3, 1))


def score(
    *,
    text: str,
    followers: int | None,
    tier: str,
    recent_cases: int,
    rules: PriorityScoring,
) -> Scored:
    folded = text.casefold()
    points = 0.0
    reasons: list[str] = []
    if urgent := _found(rules.urgent_words, folded):
        points += 3
        reasons.append("urgent words: " + ", ".join(urgent))
    if negative := _found(rules.negative_words, folded):
        points += min(2, len(negative))
        reasons.append("negative tone: " + ", ".join(negative))
    if tier in rules.vip_tiers:
        points += 3
        reasons.append(f"{tier} customer")
    if recent_cases:
        points += min(2, recent_cases)
        window = count(rules.repeat_window_days, "day")
        reasons.append(f"{count(recent_cases, 'earlier case')} in {window}")
    if reach := reach_points(followers):
        points += reach
        reasons.append(f"reach {followers:,} followers (+{reach:g})")
    if not reasons and _found(PRAISE_WORDS, folded):
        return Scored("low", "praise, no complaint found", -1)
    if points >= 6:
        level = "urgent"
    elif points >= 3:
        level = "high"
    else:
        level = "normal"
    return Scored(level, "; ".join(reasons) or "no urgency signals", points)
