"""The doors as a client on the network meets them: raw HTTP to a real `casebot web`
(gunicorn), with fuzzed request lines, headers, content lengths and transfer codings.
What gunicorn refuses itself must be JSON too, and nothing is a 5xx."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.demo.standin import SlackStandIn
from tests.conftest import sample_post, sign
from tests.support.processes import free_port, run_bot, start_bot, stop, wait_healthy, web_env

header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
header_names = st.sampled_from(
    [
        "Content-Type",
        "Content-Length",
        "Transfer-Encoding",
        "X-Casebot-Signature",
        "X-Casebot-Timestamp",
        "X-Slack-Signature",
        "X-Slack-Request-Timestamp",
        "Expect",
        "Host",
        "X-Forwarded-For",
        "Connection",
    ]
) | st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20)
header_values = header_text | st.sampled_from(
    ["chunked", "gzip", "chunked, gzip", "100-continue", "9" * 4400, "-1", "0", "x" * 9000]
)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    slack = SlackStandIn().start()
    tmp: Path = tmp_path_factory.mktemp("socket-fuzz")
    port = free_port()
    env = web_env(tmp, slack.api_url, port, WEB_CONCURRENCY="1")
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    try:
        wait_healthy(port)
        yield port
    finally:
        stop(proc)
        slack.stop()


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _check(request: bytes, answer: bytes) -> None:
    """No 5xx, no traceback, JSON (the text of a successful `GET /metrics` aside)."""
    assert answer, "no answer at all"
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert status < 500, answer[:400]
    assert b"Traceback" not in body
    metrics = request.startswith((b"GET /metrics ", b"GET /metrics?")) and status == 200
    if body.strip() and not metrics:
        assert b"content-type: application/json" in head.lower(), answer[:400]
        assert isinstance(json.loads(body), dict)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    path = draw(
        st.sampled_from(["/ingest/web", "/ingest/email", "/slack/events", "/healthz", "/metrics"])
    )
    path += draw(st.sampled_from(["", "?a=1", "/..", "?" + "q" * 5000, "%00"]))
    method = draw(st.sampled_from(["POST", "GET", "PUT", "OPTIONS", "HEAD", "BREW"]))
    body = draw(st.sampled_from([json.dumps(sample_post(1)).encode(), b"", b"payload=%5B%5D"]))
    headers = {"Host": "casebot", "Connection": "close", "Content-Type": "application/json"}
    if draw(st.booleans()):
        headers["X-Casebot-Signature"] = sign(body, "i")
    length = draw(st.sampled_from(["exact", "missing", "short", "bogus"]))
    if length == "exact":
        headers["Content-Length"] = str(len(body))
    elif length == "short":
        headers["Content-Length"] = str(max(len(body) - 5, 0))
    elif length == "bogus":
        headers["Content-Length"] = draw(
            st.sampled_from(["abc", "-1", "9" * 30, "1, 2", "+5", " 3"])
        )
    headers.update(draw(st.dictionaries(header_names, header_values, max_size=4)))
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if draw(st.booleans()) else b"zz\r\n"
    claimed = headers.get("Content-Length", "")
    if claimed.isdigit() and (len(claimed) > 9 or int(claimed) > len(body)):
        headers["Content-Length"] = str(len(body))  # a slow sender, not a hostile one
    if "100-continue" in headers.get("Expect", ""):
        headers.pop("Expect")
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_raw_requests_to_a_real_web_process(web: int, request: bytes) -> None:
    _check(request, _exchange(web, request))
