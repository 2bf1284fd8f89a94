"""What came with a post, on its card: the customer's contacts across channels, the files
they attached (listed, never uploaded) and a web form's other fields.

Pure rendering, called by `bot.slack.blocks.case_card`.
"""

from __future__ import annotations

from typing import Any

from bot import words
from bot.cards import CardView
from bot.slack.mrkdwn import clip, escape

Block = dict[str, Any]
Blocks = list[Block]
SECTION_TEXT_LIMIT = 3000


SOURCE_LABELS = {"email": "e-mail"}
FIELDS_PER_SECTION = 10
FIELD_TEXT_LIMIT = 2000


def _contact_line(view: CardView) -> str | None:
    """ "3rd contact this week · also C-12 (e-mail) · earlier C-3": one person, every
    channel they used."""
    parts = []
    if view.contacts > 1 and view.contact_window_days > 0:
        days = view.contact_window_days
        within = "this week" if days == 7 else f"in {words.count(days, 'day')}"
        parts.append(f"{words.ordinal(view.contacts)} contact {within}")
    if view.also_open:
        parts.append(
            "also "
            + ", ".join(f"{ref} ({escape(SOURCE_LABELS.get(s, s))})" for ref, s in view.also_open)
        )
    if view.earlier_cases:
        parts.append("earlier " + ", ".join(view.earlier_cases))
    return "👥 " + " · ".join(parts) if parts else None


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _attachment_line(view: CardView) -> str | None:
    if not view.attachments:
        return None
    listed = [
        f"{escape(a.name)} ({escape(a.content_type)}, {_size(a.size)})" for a in view.attachments
    ]
    return "📎 " + " · ".join(listed)


def post_details(view: CardView) -> Blocks:
    """What came with the post: the customer's other contacts, attached files (listed,
    never uploaded) and a web form's other fields."""
    out: Blocks = []
    if view.fields:
        shown = view.fields[:FIELDS_PER_SECTION]
        out.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": clip(f"*{escape(label)}*\n{escape(value)}", FIELD_TEXT_LIMIT),
                    }
                    for label, value in shown
                ],
            }
        )
    lines = [line for line in (_contact_line(view), _attachment_line(view)) if line]
    if lines:
        out.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": clip(line, SECTION_TEXT_LIMIT)} for line in lines
                ],
            }
        )
    return out
