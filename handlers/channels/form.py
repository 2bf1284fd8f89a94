"""Web contact forms posted as `application/x-www-form-urlencoded`.

A form has no id of its own unless the site adds one; a hash of the body then
stands in for it, so a browser re-submitting the same form is still a duplicate.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs

from bot.posts import Author, IncomingPost
from handlers.channels.base import ParseError, clean_text
from handlers.channels.fields import MAX_ID_CHARS, MAX_NAME_CHARS, is_web_url

CONTENT_TYPES = ("application/x-www-form-urlencoded",)

_FIELDS = {"id", "name", "email", "message", "subject", "order", "url"}


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
        out[key] = clean_text(values[0]).strip()
    return out


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
    order = _short(form, "order", MAX_ID_CHARS)
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
        metadata={k: v for k, v in {"subject": subject, "order": order}.items() if v},
    )
