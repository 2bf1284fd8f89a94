"""What every surface of the app shares: config, database and time source."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.timesource import SystemTime, TimeSource
from config.load import load_config
from config.schema import CasebotConfig
from config.settings import Settings, load_settings
from storage.db import Database


@dataclass
class Deps:
    settings: Settings
    config: CasebotConfig
    db: Database
    time: TimeSource = field(default_factory=SystemTime)


def from_environment() -> Deps:
    """The process's dependencies as the environment and `CASEBOT_CONFIG` describe them
    (each mistake raises `ConfigError` with one line naming it)."""
    settings = load_settings()
    return Deps(
        settings=settings,
        config=load_config(settings.casebot_config),
        db=Database(settings.database_url),
    )
