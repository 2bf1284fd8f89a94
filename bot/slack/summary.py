"""`/case summary` as a short mrkdwn message."""

from __future__ import annotations

from datetime import timedelta

from bot.sla import format_duration
from bot.slack.blocks import escape
from bot.summary import OlaLine, ProblemLine, Summary
from bot.words import count
from config.schema import CasebotConfig


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _span(value: timedelta | None) -> str:
    return "n/a" if value is None else format_duration(value)


def _trend(now: int, before: int) -> str:
    if now > before:
        return f"↑ from {before}"
    if now < before:
        return f"↓ from {before}"
    return "= as before"


def _without_reply(summary: Summary) -> list[str]:
    """How the new cases that got no reply were closed (see `bot.answered`)."""
    parts = [
        (summary.answered_elsewhere, "answered elsewhere (counted as answered)"),
        (summary.no_reply_needed, "no reply needed (left out)"),
        (summary.unanswered, "unanswered (counted as missed)"),
    ]
    said = [f"{n} {what}" for n, what in parts if n]
    return ["Resolved without a reply: " + ", ".join(said)] if said else []


def _department(config: CasebotConfig, key: str) -> str:
    return escape(config.departments[key].name if key in config.departments else key)


def _ola_line(line: OlaLine, config: CasebotConfig) -> str:
    text = (
        f"• {_department(config, line.department)}: {count(line.holds, 'hold')},"
        f" median {_span(line.median)}, p90 {_span(line.p90)}"
    )
    if line.judged:
        text += f", OLA met {_pct(line.met)} of {line.judged}"
    return text


def render(summary: Summary, config: CasebotConfig) -> str:
    scope = (
        escape(config.departments[summary.department].name)
        if summary.department
        else "all departments"
    )
    since = summary.since.strftime("%Y-%m-%d %H:%M UTC")
    label = escape(summary.period)
    lines = [
        f"*Summary — {scope}, {label}* (since {since})",
        f"New {summary.new} · open {summary.open} · resolved {summary.resolved}"
        f" · breached {summary.breached}",
        f"SLA met: first response {_pct(summary.first_response_met)},"
        f" resolution {_pct(summary.resolution_met)}",
        *_without_reply(summary),
        f"First response: median {_span(summary.first_response_median)},"
        f" p90 {_span(summary.first_response_p90)}",
        f"Resolution: median {_span(summary.resolution_median)},"
        f" p90 {_span(summary.resolution_p90)}",
    ]
    if summary.backlog_by_department:
        parts = [
            f"{escape(config.departments[d].name) if d in config.departments else escape(d)} {n}"
            for d, n in summary.backlog_by_department
        ]
        lines.append("Backlog by department: " + ", ".join(parts))
    if summary.backlog_by_owner:
        parts = [f"{f'<@{o}>' if o else 'unclaimed'} {n}" for o, n in summary.backlog_by_owner]
        lines.append("Backlog by owner: " + ", ".join(parts))
    if summary.ola:
        lines.append("Time held by department (escalated cases):")
        lines += [_ola_line(line, config) for line in summary.ola]
    if summary.top_causes:
        parts = [f"{escape(t)} {n} ({_trend(n, b)})" for t, n, b in summary.top_causes]
        lines.append("Top root causes: " + ", ".join(parts))
    if summary.problems:
        lines.append("Problems (many customers, one cause):")
        lines += [_problem_line(p) for p in summary.problems]
    return "\n".join(lines)


def _problem_line(p: ProblemLine) -> str:
    sources = ", ".join(f"{escape(s)} {n}" for s, n in p.sources)
    fixed = (
        f"resolved in {_span(p.to_resolve)}"
        + (f" ({escape(p.root_cause)})" if p.root_cause else "")
        if p.status == "resolved"
        else "still open"
    )
    return (
        f"• {p.ref}: {p.size} cases ({sources}) · first answer {_span(p.to_first_answer)} · {fixed}"
    )
