"""Case lists and `/case show` in Slack: page buttons, Open buttons, and the answers the
slash command sends for `list` and `show`.

Lists are ephemeral messages, so a page button edits that same message in place
through its `response_url`. An Open button answers only the clicker; from App Home,
which has no message to answer, it opens the case in a modal instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import App, Args, Respond

from bot import status
from bot.deps import Deps
from bot.ids import format_case_id
from bot.reading import ListQuery, pages
from bot.slack import lists, presenters, show
from bot.slack.blocks import clip
from bot.slack.ids import CASE_LIST_PAGE, ActionId, read_list_page_value
from bot.slack.kit import VIEW_BLOCK_LIMIT, Block
from bot.slack.refusals import StalePage
from handlers.slack.actions import case_ref, responder
from handlers.slack.answers import answer, deps_of

Answer = tuple[str, list[Block]]


def list_answer(deps: Deps, user: str, query: ListQuery) -> Answer:
    """A page of `/case list` as (fallback text, blocks); `user` is whose cases `mine` means."""
    with deps.db.read() as session:
        page = pages.case_page(
            session,
            query,
            user,
            deps.config,
            deps.time.now(),
            page_size=lists.LIST_PAGE_SIZE,
        )
    return lists.case_list(page)


def show_answer(deps: Deps, case_id: int) -> Answer:
    """`/case show` as (fallback text, blocks), with a status page link to paste to the
    customer; raises `CaseNotFound` for an unknown id."""
    with deps.db.read() as session:
        detail = pages.case_detail(
            session, case_id, deps.config, deps.time.now(), present=presenters.plain_line
        )
    with deps.db.session() as session:
        url = status.agent_link(
            session, case_id=case_id, public_url=deps.settings.public_url, now=deps.time.now()
        )
    return show.case_detail(replace(detail, status_url=url))


def respond_with_blocks(
    respond: Respond, work: Callable[[], Answer], *, replace_original: bool
) -> None:
    """Answer with `work`'s blocks, or with the short refusal `answer` gives on failure."""
    result: list[Answer] = []
    answer(respond, lambda: result.append(work()))
    for text, blocks in result:
        respond(
            text=text,
            blocks=blocks,
            response_type="ephemeral",
            replace_original=replace_original,
        )


def _detail_modal(case_id: int, blocks: list[Block]) -> dict[str, Any]:
    """A read-only modal around the `/case show` blocks (App Home has no message to answer)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": clip(format_case_id(case_id), 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks[:VIEW_BLOCK_LIMIT],
    }


def page_clicked(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> Answer:
        action = body["actions"][0]
        query = read_list_page_value(str(action.get("value", "")))
        if query is None:
            raise StalePage()
        return list_answer(deps, body["user"]["id"], query)

    respond_with_blocks(responder(args), work, replace_original=True)


def open_clicked(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body
    if body.get("response_url"):
        respond_with_blocks(
            args.respond, lambda: show_answer(deps, case_ref(body)), replace_original=False
        )
        return

    def work() -> None:
        case_id = case_ref(body)
        _, blocks = show_answer(deps, case_id)
        modal = _detail_modal(case_id, blocks)
        args.client.views_open(trigger_id=body["trigger_id"], view=modal)

    answer(responder(args), work)


def register(app: App) -> None:
    app.action(re.compile(CASE_LIST_PAGE))(page_clicked)
    app.action(ActionId.CASE_OPEN)(open_clicked)
