"""A bad environment or config stops the process with one line per mistake, naming it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from config.errors import ConfigError
from config.load import load_config, parse_config
from config.schema import CasebotConfig
from config.settings import Settings
from tests.conftest import EXAMPLE_CONFIG, ROOT

POLICIES = (
    "  policies: {"
    + ", ".join(
        f"{p}: {{first_response: 1h, next_response: 1h, resolution: 1h}}"
        for p in ("urgent", "high", "normal", "low")
    )
    + "}\n"
)
MINIMAL = """
default_department: support
departments:
  support: {name: Support, channel: C0SUPPORT01}
"""


def test_example_config_is_valid() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config.default_department in config.departments


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "default_department: [",
            "config: line 1: expected the node content, but found '<stream end>'",
        ),
        ("- just a list", "config: expected a mapping at the top level"),
        (
            MINIMAL.replace("C0SUPPORT01", "support-channel"),
            "config: departments.support.channel: String should match pattern '^[CG][A-Z0-9]{2,}$'",
        ),
        (
            MINIMAL.replace("support:", "billing:"),
            "config: default_department: 'support' is not under departments",
        ),
        (MINIMAL + "routng: []\n", "config: routng: unknown key (check the spelling)"),
        (
            MINIMAL + "routing:\n  - {name: r, department: legal}\n",
            "config: routing[0].department: 'legal' (rule 'r') is not under departments",
        ),
        (
            MINIMAL + "sla:\n  ola: {legal: 4h}\n" + POLICIES,
            "config: sla.ola.legal: department 'legal' is not under departments",
        ),
        (
            MINIMAL.replace("C0SUPPORT01}", "C0SUPPORT01, oncall: {members: [U0A1, U0A1]}}"),
            "config: departments.support.oncall.members: list each person once",
        ),
        (
            MINIMAL + "routing:\n  - {name: r, department: support, regex: '(['}\n",
            "config: routing[0]: regex does not compile",
        ),
        (
            MINIMAL + "routing:\n  - {name: r, department: support, priority: critical}\n",
            "config: routing[0].priority: Input should be 'urgent', 'high', 'normal' or 'low'",
        ),
    ],
)
def test_config_mistakes_are_named(yaml_text: str, message: str) -> None:
    """Errors of whole-model validators name their key too (pydantic locates them at the
    model, which at the top of the config used to read "(top level))."""
    with pytest.raises(ConfigError) as err:
        parse_config(yaml_text)
    assert str(err.value).startswith(message)
    assert len(str(err.value).splitlines()) == 1


def _models(annotation: Any, seen: dict[str, type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ not in seen:
            seen[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_the_example_config_shows_every_key() -> None:
    """It says every key is commented there: each field of each config model appears as
    `key:` (set, or in a comment)."""
    text = EXAMPLE_CONFIG.read_text()
    seen: dict[str, type[BaseModel]] = {}
    _models(CasebotConfig, seen)
    assert {"Permissions", "Policy", "Ola", "XConnector", "Rotation"} <= set(seen)
    missing = [
        f"{name}.{key}"
        for name, model in sorted(seen.items())
        for key in model.model_fields
        if not re.search(rf"\b{key}:", text)
    ]
    assert missing == []


def test_several_mistakes_give_one_line_each() -> None:
    text = MINIMAL.replace("C0SUPPORT01", "nope") + "slash_command: case\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert len(str(err.value).splitlines()) == 2


def test_missing_config_file_says_how_to_point_at_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found \\(set CASEBOT_CONFIG\\)"):
        load_config(tmp_path / "nope.yaml")


def test_settings_reject_a_user_token() -> None:
    with pytest.raises(ValueError, match="xoxb-"):
        Settings(slack_bot_token="xoxp-123")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CASEBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_process_refuses_to_start_half_configured(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    missing_token = _run(["worker"], {"CASEBOT_CONFIG": str(EXAMPLE_CONFIG), "DATABASE_URL": db})
    assert missing_token.returncode == 2
    assert (
        missing_token.stderr.strip() == "casebot: environment variable SLACK_BOT_TOKEN is required"
    )

    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL + "departmnts: {}\n")
    bad_config = _run(["web"], {"CASEBOT_CONFIG": str(bad), "DATABASE_URL": db})
    assert bad_config.returncode == 2
    assert (
        bad_config.stderr.strip() == f"casebot: {bad}: departmnts: unknown key (check the spelling)"
    )

    bad_port = _run(["web"], {"PORT": "http", "CASEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    assert bad_port.stderr.strip().startswith("casebot: environment variable PORT:")
