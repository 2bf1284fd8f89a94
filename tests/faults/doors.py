"""What the door fuzz sends and what it accepts back.

Bodies start from real payloads (a normalized post, an X API v2 tweet, a Mastodon
status or notification, an e-mail, a form, Slack's commands and interactive payloads)
with a few of their fields replaced by anything JSON can say or by known troublemakers
(deep nesting, huge numbers, extreme dates, lone surrogates), so the parsers are pushed
past their first check; pure noise is sent too.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from werkzeug.test import TestResponse

from bot.demo.standin import SlackStandIn
from tests.conftest import sample_post, sign
from tests.support.slackreq import SIGNING_SECRET

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",
    "<!channel>",
    "9" * 5000,
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-11-23T08:55:12Z",
    "Fri, 31 Dec 9999 23:59:59 -1200",
    "C-2147483648",
    "2147483648",
    "999999999999",
    "javascript:alert(1)",
    "https://x.example/" + "a" * 3000,
    "=?utf-8?b?w6k=?=",
    "%00%ff",
    "{}",
    "[]",
    '{"case":2147483648}',
    '{"case":1}',
    '{"reply":1}',
    '{"case":1,"min":30}',
    '{"scope":"open","dept":null,"page":100001}',
    "x" * 5000,
]

HOSTILE_NUMBERS = [0, -1, 2**31 - 1, 2**31, 2**63, 10**40, 1.5, -0.0, 1e308]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

DEEP = ["[" * n + "]" * n for n in (31, 32, 33, 999, 1001, 10_000)] + [
    '{"a":' * n + "1" + "}" * n for n in (33, 3000)
]
HOSTILE_JSON = [
    *DEEP,
    "9" * 5000,
    "-" + "1" * 4400,
    "NaN",
    "Infinity",
    "1e999",
    '"\\ud800"',
    '"\\u0000"',
    "",
    "{",
    "null",
    "[]",
    '{"a": 1, "a": 2}',
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*at, i))
    return found


@st.composite
def mutated(draw: st.DrawFn, template: dict[str, Any], max_changes: int = 3) -> str:
    """`template` as JSON text with up to `max_changes` of its values replaced, some by
    raw hostile JSON (text that no Python value dumps to)."""
    value = copy.deepcopy(template)
    paths = [p for p in _paths(value) if p]
    raw: dict[str, str] = {}
    for n in range(draw(st.integers(0, max_changes))):
        path = draw(st.sampled_from(paths))
        parent: Any = value
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.integers(0, 4)) == 0:
                marker = f"@@raw{n}@@"
                raw[marker] = draw(st.sampled_from(HOSTILE_JSON))
                parent[path[-1]] = marker
            elif draw(st.booleans()) and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
        paths = [p for p in _paths(value) if p] or [("x",)]
    text = json.dumps(value)
    for marker, replacement in raw.items():
        text = text.replace(json.dumps(marker), replacement)
    return text


def assert_answered(resp: TestResponse, *, down: bool = False, empty_ok: bool = False) -> None:
    """No 5xx (but a 503 while the database is down), JSON (or Bolt's empty ack), and never
    a traceback or the apology for an unexpected failure."""
    status = resp.status_code
    text = resp.get_data(as_text=True)
    assert status < 500 or (down and status == 503), (status, text[:500])
    assert "Traceback" not in text and "Sorry, that failed" not in text, text[:500]
    if empty_ok and status == 200 and not text:
        return
    assert resp.mimetype == "application/json", (status, resp.mimetype, text[:300])
    body = json.loads(text)
    assert isinstance(body, dict)
    if status >= 400:
        assert isinstance(body.get("error"), str) and body["error"], body


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
"""Examples per door; `make test-faults ARGS=...` with FUZZ_EXAMPLES=2000 digs deeper."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=max(EXAMPLES // 4, 10))

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "message/rfc822",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "application/json; charset=latin-1",
    "\x00",
]


header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.sampled_from(["", "0", "-1", "9" * 4301, "1" * 13, "1700000000", "sha256=", "v0="]),
)


def ingest_post(http: FlaskClient, source: str, body: bytes, ctype: str, **headers: str) -> Any:
    return http.post(
        f"/ingest/{source}",
        data=body,
        headers={"Content-Type": ctype, "X-Casebot-Signature": sign(body), **headers},
    )


def slack_post(
    http: FlaskClient,
    body: str,
    *,
    ctype: str = "application/x-www-form-urlencoded",
    **headers: str,
) -> Any:
    timestamp = headers.pop("timestamp", str(int(time.time())))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return http.post(
        "/slack/events",
        data=body.encode("utf-8", "surrogatepass"),
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": ctype,
            **headers,
        },
    )


def seed(http: FlaskClient) -> None:
    """Case C-1 exists (from the second call on, a duplicate: nothing new), so commands
    and clicks reach the core instead of stopping at "There is no case"."""
    body = json.dumps(sample_post(1)).encode()
    assert ingest_post(http, "web", body, "application/json").status_code == 202


def sorry(slack: SlackStandIn) -> list[str]:
    return [a["text"] for _, a in slack.responses if "Sorry, that failed" in str(a.get("text"))]
