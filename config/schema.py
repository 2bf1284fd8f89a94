"""The YAML config, as pydantic models: what an admin may write and what it means."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Self

import phonenumbers
from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from config.common import ChannelId, Duration, Key, Strict, UserId
from config.connectors import SourceConfig
from config.digests import Digest
from config.oncall import Rotation
from config.problems import ProblemsConfig
from config.sla import Policy, SlaConfig


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Audience(StrEnum):
    EVERYONE = "everyone"
    MANAGERS = "managers"


class Department(Strict):
    name: str
    channel: ChannelId
    managers: list[UserId] = Field(default_factory=list)
    oncall: Rotation | None = None


def default_sla() -> SlaConfig:
    """Round-the-clock targets that suit a team starting out; override under `sla:`."""
    targets = {
        "urgent": ("15m", "30m", "4h"),
        "high": ("1h", "2h", "1d"),
        "normal": ("4h", "8h", "3d"),
        "low": ("1d", "2d", "5d"),
    }
    return SlaConfig(
        policies={
            name: Policy.model_validate({"first_response": f, "next_response": n, "resolution": r})
            for name, (f, n, r) in targets.items()
        }
    )


class RoutingRule(Strict):
    """First matching rule wins; every condition given must hold, each list is any-of."""

    name: str
    department: Key
    sources: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    regex: str | None = None
    languages: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    priority: Priority | None = None
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _regex_compiles(self) -> Self:
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from None
        return self


class PriorityScoring(Strict):
    urgent_words: list[str] = Field(
        default_factory=lambda: ["urgent", "asap", "immediately", "lawyer", "fraud", "outage"]
    )
    negative_words: list[str] = Field(
        default_factory=lambda: ["angry", "terrible", "worst", "unacceptable", "scam", "broken"]
    )
    vip_tiers: list[str] = Field(default_factory=lambda: ["vip", "enterprise"])
    repeat_window_days: int = Field(default=7, ge=0)


class PiiKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"


def phone_region(code: str | None) -> str | None:
    """An ISO 3166 code as libphonenumber knows it (`uk` → `GB`), or None if it knows none."""
    value = (code or "").strip().upper()
    value = "GB" if value == "UK" else value
    return value if value in phonenumbers.SUPPORTED_REGIONS else None


class Pii(Strict):
    """What is masked on Slack, and the country whose national phone formats are read.

    Without `region`, a department calendar's `holidays.country` (passed by the caller)
    stands in, else `US`: `030 901820` is only a phone number to someone in Germany.
    """

    mask: list[PiiKind] = Field(default_factory=lambda: list(PiiKind))
    region: str | None = None

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and phone_region(value) is None:
            raise ValueError(f"region {value!r} is not an ISO 3166 country code (e.g. DE, GB)")
        return phone_region(value)

    def region_for(self, country: str | None = None) -> str:
        return self.region or phone_region(country) or "US"


class KnownCustomer(Strict):
    """One person the company knows: their tier, and every address and handle that is
    them, so a post from any of them is the same customer (`bot.intake`)."""

    tier: Key | None = None
    name: str | None = None
    emails: list[Annotated[str, StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+$")]] = Field(
        default_factory=list
    )
    handles: list[Annotated[str, StringConstraints(min_length=2, max_length=256)]] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _names_someone(self) -> Self:
        if not self.emails and not self.handles:
            raise ValueError("give the customer's emails or handles (or both)")
        return self

    def names(self) -> list[str]:
        return [e.lower() for e in self.emails] + [h.lower() for h in self.handles]


class Permissions(Strict):
    admins: list[UserId] = Field(default_factory=list)
    summary: Audience = Audience.EVERYONE
    assign: Audience = Audience.EVERYONE
    reopen: Audience = Audience.EVERYONE


class CasebotConfig(Strict):
    slash_command: str = Field(default="/case", pattern=r"^/[a-z0-9_-]{1,31}$")
    default_department: Key
    departments: dict[Key, Department] = Field(min_length=1)
    routing: list[RoutingRule] = Field(default_factory=list)
    priority: PriorityScoring = Field(default_factory=PriorityScoring)
    pii: Pii = Field(default_factory=Pii)
    permissions: Permissions = Field(default_factory=Permissions)
    root_causes: list[Key] = Field(default_factory=list)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    sla: SlaConfig = Field(default_factory=default_sla)
    digests: list[Digest] = Field(default_factory=list)
    problems: ProblemsConfig = Field(default_factory=ProblemsConfig)
    customers: list[KnownCustomer] = Field(default_factory=list)
    merge_window: Duration = timedelta(hours=48)
    """How recent another open case of the same customer (another source) must be for a
    new case's card to suggest merging them (SPEC "Suggested merges")."""

    @model_validator(mode="after")
    def _departments_exist(self) -> Self:
        """Messages start with the key they are about: pydantic places errors of a
        model validator at the model itself, so `config.load` reads the key from here."""
        if self.default_department not in self.departments:
            raise ValueError(
                f"default_department: '{self.default_department}' is not under departments"
            )
        for i, rule in enumerate(self.routing):
            if rule.department not in self.departments:
                raise ValueError(
                    f"routing[{i}].department: '{rule.department}' (rule '{rule.name}')"
                    " is not under departments"
                )
        self.sla.check_departments(self.departments)
        seen: dict[str, int] = {}
        for i, known in enumerate(self.customers):
            for key in known.names():
                if key in seen and seen[key] != i:
                    raise ValueError(
                        f"customers[{i}]: '{key}' is also under customers[{seen[key]}]"
                        " (one address or handle is one person)"
                    )
                seen[key] = i
        names: set[str] = set()
        for i, digest in enumerate(self.digests):
            unknown = [d for d in digest.departments if d not in self.departments]
            if unknown:
                raise ValueError(
                    f"digests[{i}].departments: '{unknown[0]}' (digest '{digest.name}')"
                    " is not under departments"
                )
            if digest.name in names:
                raise ValueError(f"digests[{i}].name: '{digest.name}' is used twice")
            names.add(digest.name)
        return self

    def known_customer(self, *keys: str | None) -> KnownCustomer | None:
        """The `customers:` entry one of `keys` (an address, a handle) names, if any."""
        wanted = {k.strip().lower() for k in keys if k and k.strip()}
        return next((c for c in self.customers if wanted.intersection(c.names())), None)

    def managers_of(self, department: str) -> list[str]:
        return list(self.departments[department].managers)

    def is_manager(self, user_id: str) -> bool:
        return user_id in self.permissions.admins or any(
            user_id in d.managers for d in self.departments.values()
        )
