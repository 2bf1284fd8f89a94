"""Reads and validates the YAML config; every mistake becomes one line naming its key."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from config.errors import ConfigError
from config.schema import CasebotConfig

_KEYED = re.compile(r"(?P<key>[A-Za-z_][\w-]*(?:\[\d+\]|\.[\w-]+)*): (?P<rest>.+)", re.S)
"""A validator message that starts with a key path (`routing[0].department: …`)."""


def _where(loc: tuple[int | str, ...], msg: str) -> tuple[str, str]:
    """The key an error is about, and what is wrong with it.

    Pydantic locates an error raised in a model validator at the model, not at the field
    it checked (at the top of the config the location is empty), so such validators
    begin their message with the key relative to the model; it is appended here."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    if m := _KEYED.fullmatch(msg):
        out = f"{out}.{m['key']}" if out else m["key"]
        msg = m["rest"]
    return out or "(top level)", msg


def parse_config(text: str, origin: str = "config") -> CasebotConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{origin}:{line}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping at the top level")
    try:
        return CasebotConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            where, msg = _where(tuple(err["loc"]), msg)
            lines.append(f"{origin}: {where}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path) -> CasebotConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (set CASEBOT_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read config: {exc}") from None
    return parse_config(text, str(p))
