"""Who may do what. Cross-department ownership is the point, so most actions are open
to everyone; the config can restrict the few that override someone else's work."""

from __future__ import annotations

from bot.events import NotAllowed
from config.schema import Audience, CasebotConfig

WHAT = {
    "assign": "assign cases",
    "reopen": "reopen cases",
    "summary": "see summaries",
    "override": "override on-call",
}


def require(config: CasebotConfig, user: str, action: str) -> None:
    """Raise `NotAllowed` unless `user` may do `action` (`assign`, `reopen`, `summary`,
    `override`)."""
    if action == "override":
        audience = Audience.MANAGERS
    else:
        audience = getattr(config.permissions, action, Audience.EVERYONE)
    if audience == Audience.MANAGERS and not config.is_manager(user):
        raise NotAllowed(f"Only managers and admins may {WHAT.get(action, action)} here.")
