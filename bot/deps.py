"""What every surface of the app shares: config, database and time source."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.timesource import SystemTime, TimeSource
from config.schema import CasebotConfig
from config.settings import Settings
from storage.db import Database


@dataclass
class Deps:
    settings: Settings
    config: CasebotConfig
    db: Database
    time: TimeSource = field(default_factory=SystemTime)
