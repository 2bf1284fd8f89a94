"""Block Kit's smallest pieces that every card shares: a block and a button. A leaf
module, so that the card (`bot.slack.blocks`) and the parts it is built from
(`bot.slack.merge_card`) draw the same button without importing each other."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import ActionId

Block = dict[str, Any]
Blocks = list[Block]


def button(label: str, action: ActionId, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        element["style"] = style
    return element
