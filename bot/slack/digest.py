"""Posts a queued digest: the summary as Block Kit, then its chart as a PNG shared into
the channel with `files_upload_v2` (Slack's three steps: `files.getUploadURLExternal`,
the upload to the URL it returns, `files.completeUploadExternal`).

A retried row keeps what an earlier attempt achieved (the payload records the posted
message and the shared file), so a failure between the two steps posts neither twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import chart, summary
from bot.outbox import kinds
from bot.outbox.kinds import DigestMessage
from bot.outbox.runner import Attempt, Delivery
from bot.slack.blocks import SECTION_TEXT_LIMIT, clip, escape
from bot.slack.posting import SlackOut
from bot.slack.summary import render
from config.schema import CasebotConfig

Block = dict[str, Any]


def message(payload: DigestMessage, config: CasebotConfig) -> tuple[str, list[Block]]:
    """Fallback text and blocks: a header, one section per summary, when it was due."""
    slot = datetime.fromisoformat(payload.slot).astimezone(ZoneInfo(payload.timezone))
    title = f"📊 {payload.name} digest"
    when = f"Due {slot:%a %Y-%m-%d %H:%M} {payload.timezone}"
    if payload.late:
        when = f"⚠️ Late: {when}, missed while Casebot was down and sent on recovery"
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    for data in payload.summaries:
        text = render(summary.from_data(data), config)
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}}
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(when)}]})
    return clip(f"{title}. {when}.", 300), blocks


def series_of(payload: DigestMessage) -> chart.DailySeries:
    data = payload.series
    return chart.DailySeries(
        days=[date.fromisoformat(d) for d in data["days"]],
        volume={k: list(v) for k, v in data["volume"].items()},
        compliance=list(data["compliance"]),
        target=float(data["target"]),
    )


def deliver(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    payload = kinds.read(a.row, DigestMessage)
    channel = payload.channel
    if not payload.posted_ts:
        text, blocks = message(payload, d.config)
        ts = out.post_once(a, channel=channel, text=text, blocks=blocks, unfurl_links=False)
        payload = replace(payload, posted_ts=ts)
        with d.db.session() as session:
            kinds.replace(session, key=a.row.key, payload=payload)
    if not payload.file_id:
        days = len(payload.series["days"])
        title = f"{payload.name}: last {days} days"
        png = chart.render(series_of(payload), title)
        slot = datetime.fromisoformat(payload.slot)
        a.fence()
        resp = out.call(
            "files.completeUploadExternal",
            None,
            lambda: out.client.files_upload_v2(
                channel=channel,
                file=png,
                filename=f"{payload.name}-{slot:%Y%m%d-%H%M}.png",
                title=title,
                alt_txt=f"{title}: new cases per day by source, and first-response SLA"
                " compliance per day against the target",
            ),
        )
        payload = replace(payload, file_id=str(resp["file"]["id"]))
        with d.db.session() as session:
            kinds.replace(session, key=a.row.key, payload=payload)
    return {"channel": channel, "ts": payload.posted_ts, "file": payload.file_id}
