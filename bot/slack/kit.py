"""The Block Kit kit every Slack surface is built from, and Slack's limits.

Everything untrusted goes through `escape` and `clip` from `bot.slack.blocks`, and
every renderer stays inside Slack's limits by construction (block counts, text
lengths, option counts), so a queue of 500 cases or a hostile post cannot make a
`views.publish` or `chat.postMessage` fail.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import SECTION_TEXT_LIMIT, clip
from bot.slack.ids import CallbackId, InputId, case_value

Block = dict[str, Any]
View = dict[str, Any]

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TITLE_LIMIT = 24
OPTION_LIMIT = 100
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
INPUT_LIMIT = 3000


def plain(text: str, limit: int = TITLE_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn_section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label, OPTION_TEXT_LIMIT), "value": value}


def modal(
    callback_id: CallbackId, title: str, submit: str, case_id: int, blocks: list[Block]
) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id.value,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "private_metadata": case_value(case_id),
        "blocks": blocks[:VIEW_BLOCK_LIMIT],
    }


def input_block(
    block: InputId, label: str, element: dict[str, Any], *, optional: bool = False
) -> Block:
    return {
        "type": "input",
        "block_id": block.value,
        "label": plain(label, 2000),
        "optional": optional,
        "element": {**element, "action_id": block.value},
    }


def text_input(placeholder: str, max_length: int = INPUT_LIMIT) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": max(1, min(max_length, INPUT_LIMIT)),
        "placeholder": plain(placeholder, 150),
    }
