"""`/case show`: the case line, the whole post, tags and the timeline that fits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.reading import CaseDetail, LinePart, Person, TimelineEntry
from bot.slack.blocks import SECTION_TEXT_LIMIT, clip, escape, quote
from bot.slack.kit import MESSAGE_BLOCK_LIMIT, Block, context, mrkdwn_section, plain
from bot.slack.lists import case_section
from bot.words import count

TIMELINE_CHARS = 3 * SECTION_TEXT_LIMIT
"""Newest timeline lines that `/case show` prints; older ones are counted, not shown."""
TIMELINE_LINE_CHARS = 300


def _when(at: datetime) -> str:
    """Shown in each reader's own time zone by Slack; the fallback names UTC."""
    utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def _line_text(parts: Sequence[LinePart], limit: int) -> str:
    """Text escaped and on one line, people as mentions (an ephemeral answer pings
    nobody); at most `limit` characters, never cutting a mention or an entity."""
    out: list[str] = []
    used = 0
    for part in parts:
        if isinstance(part, Person):
            piece = f"<@{escape(part.user_id)}>"
        else:
            piece = escape(re.sub(r"\s+", " ", part))
        if used + len(piece) > limit:
            room = limit - used
            out.append(clip(piece, room) if isinstance(part, str) and room > 1 else "…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).strip()


def _timeline_line(entry: TimelineEntry) -> str:
    by = f"<@{escape(entry.actor)}>" if entry.actor else "Casebot"
    return f"{_when(entry.at)} · {by} · {_line_text(entry.line, TIMELINE_LINE_CHARS)}"


def _timeline(entries: Sequence[TimelineEntry]) -> list[Block]:
    """The newest lines that fit, oldest of them first, packed into sections."""
    kept: list[str] = []
    used = 0
    for entry in reversed(entries):
        line = _timeline_line(entry)
        if used + len(line) + 1 > TIMELINE_CHARS:
            break
        kept.append(line)
        used += len(line) + 1
    kept.reverse()
    sections: list[Block] = []
    if len(kept) < len(entries):
        hidden = count(len(entries) - len(kept), "earlier entry", "earlier entries")
        sections.append(context(f"{hidden} not shown"))
    chunk: list[str] = []
    size = 0
    for line in kept:
        if chunk and size + len(line) > SECTION_TEXT_LIMIT:
            sections.append(mrkdwn_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        sections.append(mrkdwn_section("\n".join(chunk)))
    return sections


def case_detail(detail: CaseDetail) -> tuple[str, list[Block]]:
    """`/case show`: the case line, the whole post quoted, tags, then the timeline."""
    case = detail.summary
    blocks: list[Block] = [
        case_section(case, excerpt=False),
        mrkdwn_section(quote(detail.text)),
    ]
    facts = [f"Status: {escape(clip(case.status, 40))}"]
    if detail.tags:
        facts.append("Tags: " + ", ".join(escape(clip(t, 50)) for t in detail.tags[:20]))
    blocks.append(context(" · ".join(facts)))
    if detail.status_url:
        link = f"<{detail.status_url}>"
        blocks.append(context(f"🔗 Status page for the customer (give it only to them): {link}"))
    else:
        blocks.append(context("🔗 No status page link: PUBLIC_URL is not set"))
    blocks.append({"type": "header", "text": plain("Timeline", 150)})
    blocks += _timeline(detail.timeline) or [context("No changes yet.")]
    fallback = clip(f"{case.ref}: {escape(' '.join(detail.text.split()))}", 300)
    return fallback, blocks[:MESSAGE_BLOCK_LIMIT]
