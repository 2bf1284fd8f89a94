"""Pure Block Kit rendering: the one place that escapes untrusted text and keeps limits.

Slack treats `<…>` as control sequences (`<!channel>`, `<@U…>`, `<url|label>`), so
customer text has `&`, `<` and `>` escaped before it goes anywhere near a message.
"""

from __future__ import annotations

import json
from typing import Any

from bot.cards import CardView
from bot.ids import ActionId

SECTION_TEXT_LIMIT = 3000
FALLBACK_TEXT_LIMIT = 3000
PRIORITY_MARK = {"urgent": "🔴", "high": "🟠", "normal": "🔵", "low": "⚪"}

Blocks = list[dict[str, Any]]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters without cutting an escape sequence in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def quote(text: str, limit: int = SECTION_TEXT_LIMIT - 200) -> str:
    body = clip(escape(text.strip()) or "(empty post)", limit)
    return "\n".join("> " + line for line in body.splitlines())


def case_value(case_id: int) -> str:
    return json.dumps({"case": case_id}, separators=(",", ":"))


def _status_line(view: CardView) -> str:
    if view.status == "resolved":
        return "✅ Resolved"
    if view.owner_id:
        return f"👤 Owner: <@{view.owner_id}>"
    return "🆕 Unclaimed"


def case_card(view: CardView) -> tuple[str, Blocks]:
    """The case card: fallback text (notifications) and blocks, rendered from scratch."""
    who = escape(view.customer_name or view.customer_handle or "unknown customer")
    if view.customer_handle and view.customer_handle != view.customer_name:
        who += f" ({escape(view.customer_handle)})"
    source = escape(view.source)
    if view.url and view.url.startswith(("https://", "http://")):
        source = f"<{escape(view.url)}|{source}>"
    mark = PRIORITY_MARK.get(view.priority, "")
    header = f"*{view.ref}* · {mark} *{view.priority}* · {source} · {who}"
    context = [
        f"{_status_line(view)}",
        f"Priority: {escape(view.priority_reason)}",
        f"Department: {escape(view.department_name)}",
    ]
    if view.posts > 1:
        context.append(f"{view.posts} messages in thread")
    if view.earlier_cases:
        context.append("Earlier cases: " + ", ".join(view.earlier_cases))
    if view.tags:
        context.append("Tags: " + ", ".join(escape(t) for t in view.tags))
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(header, SECTION_TEXT_LIMIT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quote(view.text)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(c, 300)} for c in context],
        },
    ]
    if view.status != "resolved" and view.owner_id is None:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"case_actions:{view.case_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ActionId.CLAIM.value,
                        "text": {"type": "plain_text", "text": "Claim"},
                        "style": "primary",
                        "value": case_value(view.case_id),
                    }
                ],
            }
        )
    fallback = clip(
        f"{view.ref} [{view.priority}] from {who}: {escape(view.text)}", FALLBACK_TEXT_LIMIT
    )
    return fallback, blocks


def timeline_line(event: str, actor: str, data: dict[str, Any]) -> str:
    """One short thread line per change; `actor` is a Slack user id or the bot itself."""
    by = f"<@{actor}>" if actor.startswith(("U", "W")) else "Casebot"
    match event:
        case "claimed":
            return f"🙋 Claimed by {by}"
        case "unclaimed":
            return f"↩️ {by} gave it back to the queue"
        case "post_added":
            return f"💬 The customer wrote again:\n{quote(str(data.get('text', '')))}"
        case _:
            return f"• {escape(event.replace('_', ' '))} by {by}"
