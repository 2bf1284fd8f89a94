"""Card and DM buttons: parse the button's value, ack, call the core; answer the clicker.

Buttons that need more input open a modal (`views.open` with the click's trigger, well
within Slack's 3 s); the modal's submission is handled in `handlers/slack/views.py`.
Each listener is a plain function registered on one line in `register`, so grepping
an action id finds its handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Args, Respond

from bot import cards, cases, merges, replies
from bot.deps import Deps
from bot.events import DomainEvent, TakenOver
from bot.ids import Surface, format_case_id
from bot.sla import snooze
from bot.slack import modals as render
from bot.slack.blocks import quote
from bot.slack.ids import (
    ActionId,
    read_case_value,
    read_merge_value,
    read_reply_value,
    read_snooze_value,
)
from bot.slack.refusals import BadValue
from handlers.slack.answers import answer, deps_of

SURFACE = Surface.BUTTON
Change = Callable[[Deps, Any, int, str], list[DomainEvent]]
"""(deps, session, case id, clicker) → the events of one lifecycle change."""


def case_ref(body: dict[str, Any]) -> int:
    """The case a button belongs to, from its small JSON value (`bot.slack.ids`)."""
    case_id = read_case_value(button_value(body))
    if case_id is None:
        raise BadValue()
    return case_id


def button_value(body: dict[str, Any]) -> str:
    try:
        action = body["actions"][0]
        return str(action.get("value") or action["selected_option"]["value"])
    except (KeyError, IndexError, TypeError):
        raise BadValue() from None


def reply_ref(body: dict[str, Any]) -> int:
    reply_id = read_reply_value(button_value(body))
    if reply_id is None:
        raise BadValue()
    return reply_id


def responder(args: Args) -> Respond:
    """Clicks in App Home carry no response_url: answer those in the clicker's DM."""
    body = args.body
    if body.get("response_url"):
        return args.respond

    def direct(*, text: str, **_: Any) -> None:
        args.client.chat_postMessage(channel=body["user"]["id"], text=text)

    return direct  # type: ignore[return-value]


def _taken_over(events: list[DomainEvent]) -> str | None:
    """The rescuer learns it worked and from whom; the card shows everyone else."""
    for event in events:
        if isinstance(event, TakenOver):
            ref = format_case_id(event.case_id)
            if event.previous_owner:
                return f"You own {ref} now; it was <@{event.previous_owner}>'s."
            return f"You own {ref} now."
    return None


def _on_case(
    args: Args, change: Change, said: Callable[[list[DomainEvent]], str | None] = lambda _: None
) -> None:
    """A click that is one lifecycle change of the button's case; `said` is what the
    clicker is told privately about it, if anything."""
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str | None:
        case_id = case_ref(body)
        with deps.db.session() as session:
            events = change(deps, session, case_id, body["user"]["id"])
        return said(events)

    answer(responder(args), work)


def claim_clicked(args: Args) -> None:
    _on_case(args, lambda d, s, c, u: cases.claim(s, c, actor=u, surface=SURFACE, now=d.time.now()))


def take_over_clicked(args: Args) -> None:
    _on_case(
        args,
        lambda d, s, c, u: cases.take_over(s, c, actor=u, surface=SURFACE, now=d.time.now()),
        _taken_over,
    )


def wait_clicked(args: Args) -> None:
    _on_case(
        args,
        lambda d, s, c, u: cases.wait_on_customer(s, c, actor=u, surface=SURFACE, now=d.time.now()),
    )


def reopen_clicked(args: Args) -> None:
    _on_case(
        args,
        lambda d, s, c, u: cases.reopen(
            s, c, actor=u, surface=SURFACE, now=d.time.now(), config=d.config
        ),
    )


def _decide(args: Args, decide: Callable[..., list[DomainEvent]]) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> None:
        reply_id = reply_ref(body)
        with deps.db.session() as session:
            decide(
                session, reply_id, actor=body["user"]["id"], surface=SURFACE, now=deps.time.now()
            )

    answer(responder(args), work)


def approve_clicked(args: Args) -> None:
    _decide(args, replies.approve)


def discard_clicked(args: Args) -> None:
    _decide(args, replies.discard)


def _open_modal(args: Args, build: Callable[[Deps, int], dict[str, Any]]) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> None:
        view = build(deps, case_ref(body))
        args.client.views_open(trigger_id=body["trigger_id"], view=view)

    answer(responder(args), work)


def _card(deps: Deps, case_id: int) -> cards.CardView:
    with deps.db.read() as session:
        return cards.card_view(session, case_id, deps.config, deps.time.now())


def _escalate_view(deps: Deps, case_id: int) -> dict[str, Any]:
    view = _card(deps, case_id)
    departments = [(key, d.name) for key, d in deps.config.departments.items()]
    return render.escalate_modal(case_id, view.ref, departments, view.department)


def _reply_view(deps: Deps, case_id: int) -> dict[str, Any]:
    view = _card(deps, case_id)
    source = deps.config.sources.get(view.source)
    return render.reply_modal(
        case_id,
        view.ref,
        customer=view.customer_name or view.customer_handle,
        customer_text=view.text,
        source=view.source,
        needs_approval=bool(source and source.require_approval),
    )


def _resolve_view(deps: Deps, case_id: int) -> dict[str, Any]:
    view = _card(deps, case_id)
    return render.resolve_modal(
        case_id, view.ref, deps.config.root_causes, answered=view.answered is not None
    )


def escalate_clicked(args: Args) -> None:
    _open_modal(args, _escalate_view)


def reply_clicked(args: Args) -> None:
    _open_modal(args, _reply_view)


def resolve_clicked(args: Args) -> None:
    _open_modal(args, _resolve_view)


def snooze_with_reason_clicked(args: Args) -> None:
    _open_modal(args, lambda _, case_id: render.snooze_modal(case_id, format_case_id(case_id)))


def snooze_chosen(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str:
        choice = read_snooze_value(button_value(body))
        if choice is None:
            raise BadValue()
        with deps.db.session() as session:
            snooze.snooze(
                session,
                choice.case_id,
                minutes=choice.minutes,
                reason="",
                actor=body["user"]["id"],
                surface=SURFACE,
                now=deps.time.now(),
            )
        return f"Snoozed {format_case_id(choice.case_id)} for {choice.minutes} min."

    answer(responder(args), work)


def revealed(case_id: int, text: str) -> str:
    """What Reveal answers the person who asked, and only them."""
    ref = format_case_id(case_id)
    head = f"🔓 {ref} as the customer wrote it (only you see this; the reveal is audited):"
    return f"{head}\n{quote(text)}"


def reveal_clicked(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str:
        case_id = case_ref(body)
        with deps.db.session() as session:
            text, _ = cases.reveal(
                session, case_id, actor=body["user"]["id"], surface=SURFACE, now=deps.time.now()
            )
        return revealed(case_id, text)

    answer(responder(args), work)


def _merge_pair(body: dict[str, Any]) -> tuple[int, int]:
    pair = read_merge_value(button_value(body))
    if pair is None:
        raise BadValue()
    return pair


def merge_clicked(args: Args) -> None:
    """Merge into C-12: the card's case is merged into the one it suggests, if the
    suggestion still stands."""
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str:
        case_id, into = _merge_pair(body)
        with deps.db.session() as session:
            merges.merge(
                session,
                case_id,
                into,
                actor=body["user"]["id"],
                surface=SURFACE,
                now=deps.time.now(),
                config=deps.config,
                suggested=True,
            )
        return f"{format_case_id(case_id)} is merged into {format_case_id(into)}."

    answer(responder(args), work)


def not_same_clicked(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str:
        case_id, other = _merge_pair(body)
        with deps.db.session() as session:
            merges.dismiss(
                session,
                case_id,
                other,
                actor=body["user"]["id"],
                surface=SURFACE,
                now=deps.time.now(),
            )
        ref, other_ref = format_case_id(case_id), format_case_id(other)
        return f"Noted: {ref} and {other_ref} are not the same; they won't be suggested again."

    answer(responder(args), work)


def register(app: App) -> None:
    app.action(ActionId.CLAIM)(claim_clicked)
    app.action(ActionId.TAKE_OVER)(take_over_clicked)
    app.action(ActionId.WAIT)(wait_clicked)
    app.action(ActionId.REOPEN)(reopen_clicked)
    app.action(ActionId.APPROVE_REPLY)(approve_clicked)
    app.action(ActionId.DISCARD_REPLY)(discard_clicked)
    app.action(ActionId.ESCALATE)(escalate_clicked)
    app.action(ActionId.REPLY)(reply_clicked)
    app.action(ActionId.RESOLVE)(resolve_clicked)
    app.action(ActionId.SNOOZE_WITH_REASON)(snooze_with_reason_clicked)
    app.action(ActionId.SNOOZE_CHOICE)(snooze_chosen)
    app.action(ActionId.REVEAL)(reveal_clicked)
    app.action(ActionId.MERGE)(merge_clicked)
    app.action(ActionId.NOT_SAME)(not_same_clicked)
