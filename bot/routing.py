"""Which department a post goes to: config rules, first match wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.posts import IncomingPost
from config.schema import CasebotConfig, RoutingRule


@dataclass(frozen=True)
class Route:
    department: str
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    rule: str | None = None


def _matches(rule: RoutingRule, post: IncomingPost, tier: str) -> bool:
    text = post.text.casefold()
    checks = (
        not rule.sources or post.source in rule.sources,
        not rule.keywords or any(k.casefold() in text for k in rule.keywords),
        rule.regex is None or re.search(rule.regex, post.text, re.IGNORECASE) is not None,
        not rule.languages or (post.language or "") in rule.languages,
        not rule.authors or post.author.handle in rule.authors or post.author.id in rule.authors,
        not rule.tiers or tier in rule.tiers,
    )
    return all(checks)


def route(post: IncomingPost, tier: str, config: CasebotConfig) -> Route:
    for rule in config.routing:
        if _matches(rule, post, tier):
            return Route(
                department=rule.department,
                priority=rule.priority.value if rule.priority else None,
                tags=list(rule.tags),
                rule=rule.name,
            )
    return Route(department=config.default_department)
