"""What every surface of the app shares: config, database and clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from config.schema import CasebotConfig
from config.settings import Settings
from storage.db import Database


@dataclass
class Deps:
    settings: Settings
    config: CasebotConfig
    db: Database
    clock: Clock = field(default_factory=SystemClock)
