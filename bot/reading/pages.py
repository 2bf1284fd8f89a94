"""The read side of the workflow: case lists, App Home and one case's history.

Fills the plain data of `bot.reading` from the database; `bot.slack.lists` and
`bot.slack.show` render it.
Customer text is masked here, as on the card, so no surface shows more than the card
does. Timeline lines are worded by the renderer's presenter (`bot.slack.presenters`)
as plain text and `Person` parts: the renderer escapes the text (a typed `<@U123>`
stays text) and shows only the people Casebot names as mentions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import pii
from bot.cases import get_case
from bot.events import DomainError
from bot.ids import format_case_id
from bot.reading import (
    CaseDetail,
    CasePage,
    CaseSummary,
    HomeContent,
    LinePresenter,
    ListQuery,
    ListScope,
    TimelineEntry,
)
from bot.sla import tracking
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import lists
from storage import sla_clocks as clock_store
from storage.models import Case, Customer, Event, Post

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class UnknownDepartment(DomainError):
    """A list asked for a department the config does not have (a stale or forged value)."""

    known: tuple[str, ...]


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


def case_detail(
    session: Session,
    case_id: int,
    config: CasebotConfig,
    now: datetime,
    *,
    present: LinePresenter,
) -> CaseDetail:
    """`/case show`: the case line, its whole opening post (masked), tags and timeline.

    `now` is the reading time the SLA text will be relative to; `present` words each
    event (the renderer's, `bot.slack.presenters.plain_line`: the core writes no UI text).
    """
    case = get_case(session, case_id)
    post = lists.first_posts(session, case_ids=[case_id]).get(case_id)
    customer = session.get(Customer, case.customer_id)
    timeline = tuple(_entry(e, present) for e in lists.case_events(session, case_id=case_id))
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
        status=CaseStatus(case.status),
        owner_id=case.owner_id,
        department=case.department,
        customer=pii.customer_label((customer.name if customer else "") or author, config, case),
        excerpt=pii.for_case(post.text, config, case) if post else "",
        sla_text=" · ".join(sla_lines) or None,
        url=None,
        department_name=department.name if department else case.department,
    )


def _entry(event: Event, present: LinePresenter) -> TimelineEntry:
    actor = event.actor if _SLACK_USER.match(event.actor) else None
    return TimelineEntry(
        at=event.at, actor=actor, line=present(event.kind, event.actor, event.data)
    )
