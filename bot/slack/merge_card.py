"""A card's suggested merge ("Possibly the same as C-12", Merge into C-12 / Not the
same), and the card of a merged case: a pointer to the case it lives on in, with no
buttons. Pure rendering, called by `bot.slack.blocks.case_card`."""

from __future__ import annotations

from bot.cards import CardView
from bot.slack.card_details import SOURCE_LABELS
from bot.slack.elements import Blocks, button
from bot.slack.ids import ActionId, merge_value
from bot.slack.mrkdwn import escape


def merge_block_id(case_id: int) -> str:
    return f"case_merge:{case_id}"


def suggestion_blocks(view: CardView) -> Blocks:
    """The question and its two buttons, when the case has a suggestion that stands."""
    found = view.suggestion
    if found is None:
        return []
    source = escape(SOURCE_LABELS.get(found.other_source, found.other_source))
    value = merge_value(view.case_id, found.other_id)
    text = f"🔀 Possibly the same as *{found.other}* ({source}, same customer)"
    elements = [
        button(f"Merge into {found.other}", ActionId.MERGE, value, "primary"),
        button("Not the same", ActionId.NOT_SAME, value),
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": merge_block_id(view.case_id), "elements": elements},
    ]


def merged_card(view: CardView, head: Blocks, link: str | None = None) -> tuple[str, Blocks]:
    """A merged case's card: its head and where it lives now (linking that case's card
    once it is known); nothing to click."""
    into = escape(view.merged_into or "another case")
    note = f"🔗 Merged into *{into}*: its messages, history and clocks are there now."
    if link:
        note += f" <{link}|Go to {into}>"
    blocks = [*head, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
    return f"{view.ref} was merged into {into}", blocks
