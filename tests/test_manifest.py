"""The Slack app manifest asks for exactly the scopes the code needs.

The Web API methods the production code calls are found by reading it (`ast`); each
method's scopes come from the table below (Slack's method reference); the manifest's
bot scopes must equal their union plus what the manifest's own features need. A new
call without its scopes, or a scope nothing uses, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from slack_sdk import WebClient

from tests.conftest import ROOT

SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_getPermalink": set(),
    "conversations_open": {"im:write"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "users_info": {"users:read"},
    "files_upload_v2": {"files:write"},
    "views_open": set(),
    "views_push": set(),
    "views_update": set(),
    "views_publish": set(),
}
"""Per method, the scopes for the conversations Casebot uses it on: public and private
department channels, and DMs for reminders (history is read in all three)."""

FEATURES = {"commands"}
"""The manifest's `slash_commands` need `commands`; App Home events need no scope."""

WEB_API = {name for name in vars(WebClient) if not name.startswith("_")}
PRODUCTION = ("bot", "handlers", "storage", "config")


def called_methods() -> dict[str, set[str]]:
    """Web API method → the files that call it (as `something.method(...)`)."""
    found: dict[str, set[str]] = {}
    for package in PRODUCTION:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    name = node.func.attr
                    if name in WEB_API or name == "api_call":
                        found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def manifest_scopes() -> set[str]:
    manifest = yaml.safe_load(Path(ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_scan_finds_the_calls_we_know_of() -> None:
    calls = called_methods()
    assert {"chat_postMessage", "conversations_history", "conversations_open"} <= set(calls)
    assert "bot/check.py" in calls["auth_test"]


def test_every_call_has_its_scopes_in_the_table() -> None:
    calls = called_methods()
    assert "api_call" not in calls, "call the typed WebClient methods, so this test sees them"
    assert set(calls) <= set(SCOPES), f"add the scopes of {set(calls) - set(SCOPES)} here"


def test_the_manifest_asks_for_exactly_the_scopes_the_calls_need() -> None:
    needed = set().union(*(SCOPES[m] for m in called_methods() if m in SCOPES)) | FEATURES
    assert manifest_scopes() == needed
