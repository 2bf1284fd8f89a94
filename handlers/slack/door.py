"""`POST /slack/events` before Bolt sees it: the request is Slack's, and shaped as Slack
shapes it, or it is refused with JSON.

Bolt reads the timestamp header with `int()` (a 5,000-digit one fails), parses the
payload without bounds and walks it assuming each field has the type Slack gives it
(`team` an object or an id, `actions` a non-empty list…); a signed payload that breaks
one of those assumptions would be a 500. Here the timestamp and the signature are
checked first (401), then the payload is parsed within the ingest bounds
(`handlers.channels.limits`) and the fields Bolt and the listeners read are checked for
their type (400). What passes reaches Bolt unchanged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request, jsonify, request
from flask.typing import ResponseReturnValue
from slack_bolt import App, BoltContext
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from werkzeug.exceptions import RequestEntityTooLarge

from bot import metrics
from bot.slack.ids import ActionId, CallbackId, InputId
from handlers.channels.base import ParseError
from handlers.channels.limits import load_json, unix_seconds
from handlers.slack import grammar
from handlers.slack.answers import failure_text

log = logging.getLogger("casebot.slack")

KINDS = frozenset(
    {
        "command",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "event_callback",
        "url_verification",
        "ssl_check",
    }
)
"""Request kinds named in metrics; anything else is counted as `other`."""

_TEXT = (str, type(None))
_OBJECT = (dict, type(None))
_OBJECT_OR_ID = (dict, str, type(None))
_LIST = (list, type(None))
_FLAG = (bool, str, type(None))

_OWNERS = ("team", "enterprise", "user", "channel")
"""Objects that some payloads give as a bare id instead."""
_NESTED = (
    "view",
    "event",
    "message",
    "previous_message",
    "container",
    "function_data",
    "item",
    "assistant_thread",
    "selected_option",
)
LISTS = ("actions", "authorizations", "response_urls")

FIELDS: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        (
            "type",
            "id",
            "team_id",
            "enterprise_id",
            "user_id",
            "channel_id",
            "app_installed_team_id",
            "context_team_id",
            "context_enterprise_id",
            "user_team",
            "api_app_id",
            "trigger_id",
            "response_url",
            "callback_id",
            "command",
            "action_id",
            "block_id",
            "ts",
            "thread_ts",
            "message_ts",
            "private_metadata",
            "function_execution_id",
            "execution_id",
            "bot_access_token",
        ),
        _TEXT,
    ),
    **dict.fromkeys(_OWNERS, _OBJECT_OR_ID),
    **dict.fromkeys((*_NESTED, "state"), _OBJECT),
    **dict.fromkeys(LISTS, _LIST),
    **dict.fromkeys(("is_enterprise_install", "is_ext_shared_channel"), _FLAG),
}
"""The type each field Bolt's request parsing or our listeners read must have, wherever
it appears in the objects they descend into (`OBJECTS`, `LISTS`)."""

OBJECTS = (*_OWNERS, *_NESTED)


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str


def _typed(data: dict[str, Any], at: str) -> str | None:
    """The first field of `data` (or of the objects Bolt descends into) of a type Slack
    never sends, named by its path; None when all are as Slack sends them."""
    for key, kinds in FIELDS.items():
        if key in data and not isinstance(data[key], kinds):
            return f"{at}{key}"
    for key in OBJECTS:
        if isinstance(data.get(key), dict) and (problem := _typed(data[key], f"{at}{key}.")):
            return problem
    for key in LISTS:
        for i, item in enumerate(data.get(key) or ()):
            if not isinstance(item, dict):
                return f"{at}{key}[{i}]"
            if problem := _typed(item, f"{at}{key}[{i}]."):
                return problem
    return None


def _required(body: dict[str, Any]) -> str | None:
    """What each kind of request must carry for its listener to read it."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        if not actions or not all(isinstance(a.get("action_id"), str) for a in actions):
            return "actions"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view") or {}
        if not isinstance(view.get("type"), str) or not isinstance(view.get("callback_id"), str):
            return "view.type"
        values = (view.get("state") or {}).get("values", {})
        blocks = values.values() if isinstance(values, dict) else [None]
        if not all(
            isinstance(b, dict) and all(isinstance(e, dict) for e in b.values()) for b in blocks
        ):
            return "view.state.values"
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        return "callback_id"
    if kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        return "action_id"
    if kind == "event_callback" and not isinstance((body.get("event") or {}).get("type"), str):
        return "event.type"
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return "user.id"
    if kind is None and "command" in body:
        for field in ("command", "user_id"):
            if not isinstance(body.get(field), str):
                return field
    return None


def _parsed(req: Request, raw: bytes) -> dict[str, Any] | Refusal:
    """The body as Bolt will read it (JSON, a form, or a form's `payload` JSON)."""
    text = raw.decode("utf-8", "replace")
    try:
        if req.mimetype == "application/json" or text.startswith("{"):
            data = load_json(raw, clean=False)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            payload = form["payload"].encode() if "payload" in form else None
            data = load_json(payload, clean=False) if payload is not None else form
    except ParseError as exc:
        return Refusal(400, f"payload {exc.problem}")
    if not isinstance(data, dict):
        return Refusal(400, "payload must be a JSON object")
    return data


def check(req: Request, secret: str) -> Refusal | str:
    """Why this request does not reach Bolt, or the kind of request it is."""
    limit = req.max_content_length
    if limit is not None and (req.content_length or 0) > limit:
        raise RequestEntityTooLarge()  # answered 413 (JSON) before anything is read
    timestamp = req.headers.get("X-Slack-Request-Timestamp", "")
    if not unix_seconds(timestamp):
        return Refusal(401, "X-Slack-Request-Timestamp must be unix seconds")
    raw = req.get_data()
    signature = req.headers.get("X-Slack-Signature")
    signed = raw.decode("utf-8", "replace")  # what Bolt verifies again, as Flask decodes it
    if not secret or not SignatureVerifier(secret).is_valid(signed, timestamp, signature):
        return Refusal(401, "bad or stale X-Slack-Signature")
    body = _parsed(req, raw)
    if isinstance(body, Refusal):
        return body
    if problem := _typed(body, "") or _required(body):
        return Refusal(400, f"malformed Slack request: {problem}")
    kind = body.get("type") or ("command" if "command" in body else None)
    return kind if kind in KINDS else "other"


def on_bolt_error(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's error handler, for failures in a listener or a middleware: logged (one line
    per kind and minute when they repeat), and, if Slack still waits for the answer,
    answered with the user's short message instead of a 500. An unhandled request keeps
    Bolt's 404 but is not logged with its body, as Bolt would."""
    if isinstance(error, BoltUnhandledRequestError):
        log.info("slack.unhandled_request")
        return None
    text = failure_text(error)
    if response is None:
        return None
    return BoltResponse(
        status=200,
        body={"response_type": "ephemeral", "text": text},
        headers={"Content-Type": "application/json;charset=utf-8"},
    )


ANSWERED = frozenset({*grammar.USAGE, *ActionId, *CallbackId, *InputId})
"""Command words and action ids named in `casebot_command_seconds`; others are `other`."""


def _answered_as(body: dict[str, Any]) -> str | None:
    """The `casebot_command_seconds` label of a slash command (its first word) or a click
    (its action id); None for other requests."""
    if "command" in body and body.get("type") is None:
        words = str(body.get("text") or "").split(maxsplit=1)
        name = words[0].lower() if words else "help"
    elif body.get("type") == "block_actions":
        name = str(body["actions"][0].get("action_id"))
    else:
        return None
    return name if name in ANSWERED else "other"


def time_answers(
    context: BoltContext, body: dict[str, Any], response: BoltResponse, next: Callable[[], None]
) -> BoltResponse:
    """Bolt middleware: the time from a command or click arriving to its first answer
    handed to Slack (through `respond`), into `casebot_command_seconds`."""
    label = _answered_as(body)
    if label is not None and context.response_url:
        started = time.perf_counter()
        respond = context.respond
        answered = threading.Event()

        def timed(*args: Any, **kwargs: Any) -> Any:
            result = respond(*args, **kwargs)
            if not answered.is_set():
                answered.set()
                metrics.COMMAND_SECONDS.labels(command=label).observe(time.perf_counter() - started)
            return result

        context["respond"] = timed
    next()
    return response


def register(web: Flask, bolt: App, secret: str) -> None:
    bolt.error(on_bolt_error)
    bolt.use(time_answers)

    @web.post("/slack/events")
    def slack_events() -> ResponseReturnValue:
        started = time.perf_counter()
        checked = check(request, secret)
        if isinstance(checked, Refusal):
            return jsonify(error=checked.error), checked.status
        try:
            bolt_request = to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # Bolt's parsing of a body that passed the checks above: a gap in them.
            log.warning("slack.unparsed", extra={"error": type(exc).__name__})
            return jsonify(error="malformed Slack request"), 400
        response = to_flask_response(bolt.dispatch(bolt_request))
        metrics.ACK_SECONDS.labels(kind=checked).observe(time.perf_counter() - started)
        return response
