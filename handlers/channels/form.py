"""Web contact forms posted as `application/x-www-form-urlencoded`.

A form has no id of its own unless the site adds one; a hash of the body then
stands in for it, so a browser re-submitting the same form is still a duplicate.

Every field beyond the ones a post is made of (`order`, `phone`, a product, …) is
kept in `metadata["fields"]` as `[[label, value], …]` in the form's order, ready to
be shown as card fields: at most 20 fields, labels cut to 80 characters and values
to 500. Plumbing is left out: keys starting with `_` (CSRF tokens, form-builder
internals), `submit` and CAPTCHA answers.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs

from bot.posts import Author, IncomingPost
from handlers.channels.base import ParseError, clean_text
from handlers.channels.fields import MAX_ID_CHARS, MAX_NAME_CHARS, is_web_url

CONTENT_TYPES = ("application/x-www-form-urlencoded",)

_FIELDS = {"id", "name", "email", "message", "subject", "url"}
_PLUMBING = {
    "submit",
    "g-recaptcha-response",
    "h-captcha-response",
    "cf-turnstile-response",
    "frc-captcha-solution",
}
MAX_EXTRA_FIELDS = 20
MAX_LABEL_CHARS = 80
MAX_VALUE_CHARS = 500


def _fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("body", "is not valid UTF-8 form data") from None
    try:
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        raise ParseError("body", "has more than 50 fields") from None
    out: dict[str, str] = {}
    for key, values in parsed.items():
        if key in _FIELDS and len(values) > 1:
            raise ParseError(key, "is given more than once")
        out[key] = ", ".join(v for v in (clean_text(v).strip() for v in values) if v)
    return out


def _label(key: str) -> str:
    """`order_id` → `Order id`, `deliveryDate` → `Delivery date`: how a card shows a key."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    words = re.sub(r"[\s_\-.\[\]]+", " ", spaced).strip().lower()
    return (words[:1].upper() + words[1:])[:MAX_LABEL_CHARS] or key[:MAX_LABEL_CHARS]


def _extra_fields(form: dict[str, str]) -> list[list[str]]:
    extra = [
        [_label(key), _clipped(value)]
        for key, value in form.items()
        if key not in _FIELDS and value and not key.startswith("_") and key.lower() not in _PLUMBING
    ]
    return extra[:MAX_EXTRA_FIELDS]


def _clipped(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"


def _required(form: dict[str, str], key: str) -> str:
    value = form.get(key, "")
    if not value:
        raise ParseError(key, "is required")
    return value


def _short(form: dict[str, str], key: str, limit: int) -> str | None:
    value = form.get(key) or None
    if value is not None and len(value) > limit:
        raise ParseError(key, f"is longer than {limit} characters")
    return value


def parse(source: str, body: bytes, content_type: str) -> IncomingPost:
    form = _fields(body)
    email = _required(form, "email")
    if len(email) > MAX_ID_CHARS or "@" not in email or any(c.isspace() for c in email):
        raise ParseError("email", "is not an e-mail address")
    message = _required(form, "message")
    subject = _short(form, "subject", MAX_NAME_CHARS)
    url = _short(form, "url", 2048)
    if url is not None and not is_web_url(url):
        raise ParseError("url", "must be an http(s) URL")
    name = _short(form, "name", MAX_NAME_CHARS) or ""
    return IncomingPost(
        source=source,
        external_id=_short(form, "id", MAX_ID_CHARS)
        or "form-" + hashlib.sha256(body).hexdigest()[:32],
        text=f"{subject}\n\n{message}" if subject else message,
        author=Author(id=email.lower(), handle=email.lower(), name=name, email=email),
        url=url,
        metadata={
            k: v for k, v in {"subject": subject, "fields": _extra_fields(form)}.items() if v
        },
    )
