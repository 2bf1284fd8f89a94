"""The bounds every door reads its input within, in one place.

A body an integrator or a stranger sends is parsed only inside these bounds, so a
hostile one is a 400 naming what is wrong, never a crash: JSON nested 10,000 deep
(Python's parser would hit its recursion limit), a 5,000-digit number (past Python's
4,300-digit conversion limit, and past every column), `NaN` (which no database's JSON
accepts), lone surrogates and NUL bytes inside strings (which PostgreSQL refuses).
gunicorn enforces the header bounds before the app runs (431 / 414).
"""

from __future__ import annotations

import json
import math
from typing import Any

from handlers.channels.base import ParseError, clean_text

MAX_BODY = 1024 * 1024
"""Bytes of an `/ingest` body (SPEC: up to 1 MiB)."""

MAX_HEADER_BYTES = 8190
MAX_HEADERS = 100
MAX_REQUEST_LINE = 4094

MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects: real payloads (an X API v2 tweet, a Mastodon
notification) stay under 8."""

MAX_INT_DIGITS = 32
"""Digits of a JSON integer: ids sent unquoted (19-digit snowflakes) fit, numbers no
column can hold do not."""

MAX_TIMESTAMP_DIGITS = 12
"""Digits of a unix-seconds header: enough until the year 33,658."""


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ParseError("body", f"has a number longer than {MAX_INT_DIGITS} digits")
    return int(text)


def _decimal(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError("body", "has a number too large to represent")
    return value


def _constant(name: str) -> float:
    raise ParseError("body", f"has {name}, which is not JSON")


def _text(value: str, clean: bool) -> str:
    if clean:
        return clean_text(value, limit=MAX_BODY)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("body", "has a lone surrogate escape, which is no text") from None
    return value


def _walked(data: Any, clean: bool) -> Any:
    """`data` with every string (keys too) cleaned as stored text is, or checked to be
    text (`clean=False`), checking the depth on the way (iteratively: a deep document
    must not exhaust the stack here either)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        parent, key, depth = stack.pop()
        value = parent[key]
        if isinstance(value, str):
            parent[key] = _text(value, clean)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise ParseError("body", f"nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            walked = {_text(k, clean): v for k, v in value.items()}
            parent[key] = walked
            stack.extend((walked, k, depth + 1) for k in walked)
        else:
            stack.extend((value, i, depth + 1) for i in range(len(value)))
    return root[0]


def load_json(body: bytes, *, clean: bool = True) -> Any:
    """The JSON document in `body`, within the bounds above; `ParseError` naming `body`
    for anything else. `clean=False` refuses lone surrogates instead of replacing them,
    for a body that is passed on as it came (to Bolt, which cannot encode them again)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("body", "is not valid UTF-8") from None
    try:
        data = json.loads(text, parse_int=_integer, parse_float=_decimal, parse_constant=_constant)
    except RecursionError:
        raise ParseError("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise ParseError("body", f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return _walked(data, clean)


def unix_seconds(value: str) -> bool:
    """Whether a timestamp header is plain unix seconds that `int()` reads safely."""
    return value.isascii() and value.isdigit() and len(value) <= MAX_TIMESTAMP_DIGITS
