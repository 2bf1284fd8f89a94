"""One HTTP call to a customer-facing API, with failures sorted into retry or give up.

Network errors, 429 and 5xx are the remote's trouble and pass; any other non-2xx is
ours (bad token, rejected text) and retrying would only repeat it. Error messages
name the service and status, never the URL's secrets, the headers or the body sent.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from handlers.channels.base import ReplyError

log = logging.getLogger("casebot.replies")

_DETAIL_CHARS = 200
_ADDRESS = re.compile(r"\S+@\S+")


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _detail(resp: httpx.Response) -> str:
    """The remote's own error sentence when it gives one (`error`, `detail`, `title`)."""
    try:
        data = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(data, dict):
        for key in ("error", "detail", "title"):
            if isinstance(data.get(key), str):
                # A remote may quote the request back; addresses stay out of logs regardless.
                return ": " + _ADDRESS.sub("…", data[key][:_DETAIL_CHARS])
    return ""


def post(
    service: str,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
) -> httpx.Response:
    """POST once; the 2xx response, or a `ReplyError` saying whether to try again."""
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            resp = client.post(url, content=content, headers=headers)
    except httpx.TimeoutException:
        raise ReplyError(f"{service}: timed out after {timeout:g}s", retryable=True) from None
    except httpx.TransportError as exc:
        raise ReplyError(
            f"{service}: network error ({type(exc).__name__})", retryable=True
        ) from None
    if resp.is_success:
        return resp
    status = resp.status_code
    retryable = status == 429 or status >= 500
    log.warning(
        "reply.rejected", extra={"service": service, "status": status, "retryable": retryable}
    )
    raise ReplyError(
        f"{service} answered {status}{_detail(resp)}",
        retryable=retryable,
        retry_after=_retry_after(resp) if retryable else None,
    )


def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def response_id(resp: httpx.Response, *path: str) -> str | None:
    """An id from a JSON answer (`id`, or `data.id` for X), if the remote sent one."""
    try:
        node: Any = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return str(node) if isinstance(node, str | int) and not isinstance(node, bool) else None
