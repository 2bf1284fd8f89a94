"""Card and DM buttons: parse the button's value, ack, call the core; answer the clicker.

Buttons that need more input open a modal (`views.open` with the click's trigger, well
within Slack's 3 s); the modal's submission is handled in `handlers/slack/views.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import cards, cases, replies
from bot.deps import Deps
from bot.events import DomainEvent, TakenOver
from bot.ids import ActionId, Surface, format_case_id
from bot.sla import snooze
from bot.slack import views as render
from bot.slack.refusals import BadValue
from handlers.slack.answers import answer

SURFACE = Surface.BUTTON


def case_ref(body: dict[str, Any]) -> int:
    """The case a button belongs to, from its small JSON value (see `blocks.case_value`)."""
    case_id = render.read_case_value(_value(body))
    if case_id is None:
        raise BadValue()
    return case_id


def _value(body: dict[str, Any]) -> str:
    try:
        action = body["actions"][0]
        return str(action.get("value") or action["selected_option"]["value"])
    except (KeyError, IndexError, TypeError):
        raise BadValue() from None


def reply_ref(body: dict[str, Any]) -> int:
    try:
        return int(json.loads(_value(body))["reply"])
    except (ValueError, TypeError, KeyError, RecursionError, OverflowError):
        raise BadValue() from None


def responder(body: dict[str, Any], respond: Respond, client: WebClient) -> Respond:
    """Clicks in App Home carry no response_url: answer those in the clicker's DM."""
    if body.get("response_url"):
        return respond

    def direct(*, text: str, **_: Any) -> None:
        client.chat_postMessage(channel=body["user"]["id"], text=text)

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


def register(app: App, deps: Deps) -> None:
    def on_case(
        action: ActionId,
        change: Callable[[Any, int, str], list[DomainEvent]],
        said: Callable[[list[DomainEvent]], str | None] = lambda _: None,
    ) -> None:
        """A button whose click is one lifecycle change of the button's case; `said` is
        what the clicker is told privately about it, if anything."""

        @app.action(action.value)
        def handler(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            ack()

            def work() -> str | None:
                case_id = case_ref(body)
                with deps.db.session() as session:
                    events = change(session, case_id, body["user"]["id"])
                return said(events)

            answer(responder(body, respond, client), work)

    now = deps.time.now
    on_case(
        ActionId.CLAIM,
        lambda s, c, u: cases.claim(s, c, actor=u, surface=SURFACE, now=now()),
    )
    on_case(
        ActionId.TAKE_OVER,
        lambda s, c, u: cases.take_over(s, c, actor=u, surface=SURFACE, now=now()),
        _taken_over,
    )
    on_case(
        ActionId.WAIT,
        lambda s, c, u: cases.wait_on_customer(s, c, actor=u, surface=SURFACE, now=now()),
    )
    on_case(
        ActionId.REOPEN,
        lambda s, c, u: cases.reopen(s, c, actor=u, surface=SURFACE, now=now(), config=deps.config),
    )

    def on_reply_decision(action: ActionId, decide: Callable[..., list[DomainEvent]]) -> None:
        @app.action(action.value)
        def handler(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            ack()

            def work() -> None:
                reply_id = reply_ref(body)
                with deps.db.session() as session:
                    decide(session, reply_id, actor=body["user"]["id"], surface=SURFACE, now=now())

            answer(responder(body, respond, client), work)

    on_reply_decision(ActionId.APPROVE_REPLY, replies.approve)
    on_reply_decision(ActionId.DISCARD_REPLY, replies.discard)

    def open_modal(action_id: str, build: Callable[[int], dict[str, Any]]) -> None:
        @app.action(action_id)
        def handler(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            ack()

            def work() -> None:
                view = build(case_ref(body))
                client.views_open(trigger_id=body["trigger_id"], view=view)

            answer(responder(body, respond, client), work)

    def escalate_view(case_id: int) -> dict[str, Any]:
        view = _card(case_id)
        departments = [(key, d.name) for key, d in deps.config.departments.items()]
        return render.escalate_modal(case_id, view.ref, departments, view.department)

    def reply_view(case_id: int) -> dict[str, Any]:
        view = _card(case_id)
        source = deps.config.sources.get(view.source)
        return render.reply_modal(
            case_id,
            view.ref,
            customer=view.customer_name or view.customer_handle,
            customer_text=view.text,
            source=view.source,
            needs_approval=bool(source and source.require_approval),
        )

    def resolve_view(case_id: int) -> dict[str, Any]:
        view = _card(case_id)
        return render.resolve_modal(
            case_id, view.ref, deps.config.root_causes, answered=view.answered is not None
        )

    def snooze_view(case_id: int) -> dict[str, Any]:
        return render.snooze_modal(case_id, format_case_id(case_id))

    def _card(case_id: int) -> cards.CardView:
        with deps.db.read() as session:
            return cards.card_view(session, case_id, deps.config, now())

    open_modal(ActionId.ESCALATE.value, escalate_view)
    open_modal(ActionId.REPLY.value, reply_view)
    open_modal(ActionId.RESOLVE.value, resolve_view)
    open_modal(render.ViewId.SNOOZE_WITH_REASON.value, snooze_view)

    @app.action(render.ViewId.SNOOZE_CHOICE.value)
    def on_snooze(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()

        def work() -> str:
            choice = render.read_snooze_value(_value(body))
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
                    now=now(),
                )
            return f"Snoozed {format_case_id(choice.case_id)} for {choice.minutes} min."

        answer(responder(body, respond, client), work)
