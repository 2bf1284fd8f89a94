"""The read side of the workflow: case lists, App Home and one case's history.

Fills the plain data of `bot.listing` from the database; `bot.slack.views` renders it.
Customer text is masked here, as on the card, so no surface shows more than the card
does. Timeline lines are plain text and `Person` parts: the renderer escapes the text
(a typed `<@U123>` stays text) and shows only the people Casebot names as mentions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot import answered, pii
from bot.cases import get_case
from bot.events import DomainError
from bot.ids import format_case_id
from bot.reading import (
    CaseDetail,
    CasePage,
    CaseSummary,
    HomeContent,
    LinePart,
    ListQuery,
    ListScope,
    Person,
    TimelineEntry,
)
from bot.sla import tracking
from config.schema import CasebotConfig
from storage import lists
from storage import sla_clocks as clock_store
from storage.models import Case, Customer, Event, Post

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class UnknownDepartment(DomainError):
    """A list asked for a department the config does not have (a stale or forged value)."""

    known: tuple[str, ...]

    def user_message(self) -> str:
        return f"There is no such department; use one of: {', '.join(self.known)}."


def case_page(
    session: Session,
    query: ListQuery,
    user: str,
    config: CasebotConfig,
    now: datetime,
    *,
    page_size: int,
) -> CasePage:
    """One page of `/case list` for `user` (whose cases `mine` means).

    `page_size` belongs to the renderer, which must fit a page into one message.
    `now` is the reading time the SLA texts will be relative to.
    """
    if query.department is not None and query.department not in config.departments:
        raise UnknownDepartment(tuple(config.departments))
    scope, department = query.scope.value, query.department
    rows = lists.find_cases(
        session,
        scope=scope,
        user=user,
        department=department,
        offset=(query.page - 1) * page_size,
        limit=page_size,
    )
    total = lists.count_cases(session, scope=scope, user=user, department=department)
    return CasePage(query=query, cases=_summaries(session, rows, config, now), total=total)


def home_content(
    session: Session, user: str, config: CasebotConfig, now: datetime, *, limit: int
) -> HomeContent:
    """The App Home of `user`: their open cases, one department's queue, the urgent ones.

    The queue shown is the first department `user` manages, else the one with the most
    unclaimed cases (where help is needed most), else the default department. Each group
    holds at most `limit` cases; the renderer shows fewer and counts the rest.
    """
    department = _home_department(session, user, config)
    mine = lists.find_cases(session, scope=ListScope.MINE.value, user=user, limit=limit)
    queue = lists.find_cases(
        session, scope=ListScope.UNCLAIMED.value, department=department, limit=limit
    )
    breaching = lists.find_cases(session, scope=ListScope.BREACHING.value, limit=limit)
    summaries = _summaries(session, [*mine, *queue, *breaching], config, now)
    by_id = {s.case_id: s for s in summaries}

    def pick(rows: Sequence[Case]) -> tuple[CaseSummary, ...]:
        return tuple(by_id[row.id] for row in rows if row.id is not None)

    return HomeContent(
        mine=pick(mine),
        queue=pick(queue),
        queue_department=department,
        queue_department_name=config.departments[department].name,
        breaching=pick(breaching),
    )


def _home_department(session: Session, user: str, config: CasebotConfig) -> str:
    for key, department in config.departments.items():
        if user in department.managers:
            return key
    busiest = lists.busiest_department(session)
    return busiest if busiest in config.departments else config.default_department


def case_detail(session: Session, case_id: int, config: CasebotConfig, now: datetime) -> CaseDetail:
    """`/case show`: the case line, its whole opening post (masked), tags and timeline.

    `now` is the reading time the SLA text will be relative to.
    """
    case = get_case(session, case_id)
    post = lists.first_posts(session, case_ids=[case_id]).get(case_id)
    customer = session.get(Customer, case.customer_id)
    timeline = tuple(_entry(e) for e in lists.case_events(session, case_id=case_id))
    return CaseDetail(
        summary=_summary(
            case, customer, post, config, tracking.card_lines(session, case, config, now)
        ),
        text=pii.for_case(whole_text(post), config, case) if post else "",
        tags=tuple(case.tags),
        timeline=timeline,
    )


def whole_text(post: Post) -> str:
    """The post as the customer sent it: an e-mail reply with its quoted history, which
    the card leaves out (`full_text`), under its subject."""
    full = post.extra.get("full_text")
    if not isinstance(full, str) or not full:
        return post.text
    subject = post.extra.get("subject")
    return f"{subject}\n\n{full}" if isinstance(subject, str) and subject else full


def _summaries(
    session: Session, rows: Sequence[Case], config: CasebotConfig, now: datetime
) -> tuple[CaseSummary, ...]:
    """List lines for `rows`, with customers and opening posts read in two queries."""
    customers = lists.customers_by_id(session, ids={row.customer_id for row in rows})
    ids = [row.id for row in rows if row.id is not None]
    posts = lists.first_posts(session, case_ids=ids)
    running = clock_store.running_for_cases(session, case_ids=ids)
    return tuple(
        _summary(
            row,
            customers.get(row.customer_id),
            posts.get(row.id or 0),
            config,
            tracking.describe_rows(running.get(row.id or 0, []), row, config, now),
        )
        for row in rows
    )


def _summary(
    case: Case,
    customer: Customer | None,
    post: Post | None,
    config: CasebotConfig,
    sla_lines: list[str],
) -> CaseSummary:
    department = config.departments.get(case.department)
    author = (post.author_name or post.author_handle) if post else ""
    return CaseSummary(
        case_id=case.id or 0,
        ref=format_case_id(case.id or 0),
        priority=case.priority,
        status=case.status,
        owner_id=case.owner_id,
        department=department.name if department else case.department,
        customer=pii.customer_label((customer.name if customer else "") or author, config, case),
        excerpt=pii.for_case(post.text, config, case) if post else "",
        sla_text=" · ".join(sla_lines) or None,
        url=None,
    )


def _entry(event: Event) -> TimelineEntry:
    actor = event.actor if _SLACK_USER.match(event.actor) else None
    return TimelineEntry(
        at=event.at, actor=actor, line=timeline_text(event.kind, event.actor, event.data)
    )


def _who(user: str) -> LinePart:
    if not user:
        return "nobody"
    return Person(user) if _SLACK_USER.match(user) else f"@{user}"


def _text(data: Mapping[str, Any], key: str) -> str:
    """A field of a stored event as text; audit rows outlive the code that wrote them."""
    value = data.get(key)
    return "" if value is None else str(value)


def _utc_text(iso: str) -> str:
    """`2026-11-23 13:00 UTC` from a stored ISO instant (as written, if it is none)."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at.tzinfo else iso


def _line(*parts: LinePart) -> tuple[LinePart, ...]:
    """The parts with empty text dropped and neighbouring text joined."""
    out: list[LinePart] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return tuple(out)


def _people(users: Sequence[str]) -> tuple[LinePart, ...]:
    """`a, b, c` with each person a mention; "nobody" for none."""
    if not users:
        return ("nobody",)
    parts: list[LinePart] = []
    for user in users:
        parts += [", ", _who(user)] if parts else [_who(user)]
    return tuple(parts)


def timeline_text(kind: str, actor: str, data: Mapping[str, Any]) -> tuple[LinePart, ...]:
    """One line for an audit event, shown after who did it and when.

    The actor is named only when the line is about someone else (a claim for another
    person); otherwise the renderer already shows them.
    """
    match kind:
        case "opened":
            line = f"Opened in {_text(data, 'department')}, {_text(data, 'priority')} priority"
            rule = _text(data, "rule")
            return _line(f"{line} (rule {rule})" if rule else line)
        case "post_added":
            return _line("The customer wrote again")
        case "claimed":
            owner = _text(data, "owner")
            return _line("Claimed") if owner in ("", actor) else _line("Claimed for ", _who(owner))
        case "unclaimed":
            previous = _text(data, "previous_owner")
            if previous in ("", actor):
                return _line("Gave it back to the queue")
            return _line("Took it from ", _who(previous), " back to the queue")
        case "assigned":
            previous = _text(data, "previous_owner")
            line = _line("Assigned to ", _who(_text(data, "owner")))
            return _line(*line, " (was ", _who(previous), ")") if previous else line
        case "escalated":
            return _escalated(data)
        case "resolved":
            parts = ["Resolved"]
            if root_cause := _text(data, "root_cause"):
                parts.append(f"root cause: {root_cause}")
            if said := answered.reason_label(_text(data, "answered") or None):
                parts.append(said)
            if note := _text(data, "note"):
                parts.append(note)
            return _line(" · ".join(parts))
        case "reopened":
            return _line("Reopened")
        case "waiting":
            return _line("Waiting on the customer; SLA clocks paused")
        case "resumed":
            return _line("The customer wrote back; SLA clocks resumed")
        case "note":
            return _line(f"Note: {_text(data, 'text')}")
        case "reply_requested":
            pending = " (needs a second person's approval)" if data.get("needs_approval") else ""
            return _line(f"Wrote a reply{pending}: {_text(data, 'text')}")
        case "reply_approved":
            return _line(f"Approved reply #{_text(data, 'reply_id')}")
        case "reply_discarded":
            return _line(f"Discarded reply #{_text(data, 'reply_id')}")
        case "reply_sent":
            return _line(f"Reply sent to the customer: {_text(data, 'text')}")
        case "reply_failed":
            return _line(f"Reply #{_text(data, 'reply_id')} failed: {_text(data, 'error')}")
        case "acknowledged":
            promised = _utc_text(_text(data, "promised_at"))
            return _line(
                f"Acknowledged the customer automatically, promising an answer by {promised}"
            )
        case "acknowledgement_skipped":
            return _line(f"Did not acknowledge the customer: {_text(data, 'reason')}")
        case "acknowledgement_failed":
            return _line(f"The acknowledgement could not be sent: {_text(data, 'error')}")
        case "bounced":
            what = "The acknowledgement" if _text(data, "what") == "acknowledgement" else "A reply"
            return _line(f"{what} bounced ({_text(data, 'reason')}); the customer did not get it")
        case "automated_mail":
            return _line(f"An automatic answer came in ({_text(data, 'reason')})")
        case "sla_warning":
            told = _people([str(u) for u in data.get("notified") or []])
            return _line(f"SLA: {_text(data, 'text')} (told ", *told, ")")
        case "snoozed":
            reason = _text(data, "reason").strip()
            line = f"Snoozed reminders for {_text(data, 'minutes')} min"
            return _line(f"{line}: {reason}" if reason else line)
        case "taken_over":
            previous = _text(data, "previous_owner")
            return (
                _line("Took it over from ", _who(previous)) if previous else _line("Took it over")
            )
    return _line(kind.replace("_", " ").capitalize())


def _escalated(data: Mapping[str, Any]) -> tuple[LinePart, ...]:
    source, target = _text(data, "from_department"), _text(data, "to_department")
    person = _text(data, "to_user")
    moved = target != source
    line = _line(f"Escalated from {source} to {target}" if moved else "Escalated")
    if person:
        line = (
            _line(*line, " (", _who(person), ")") if moved else _line(*line, " to ", _who(person))
        )
    reason = _text(data, "reason")
    return _line(*line, f": {reason}") if reason else line
