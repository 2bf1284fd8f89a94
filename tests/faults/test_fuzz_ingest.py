"""A hypothesis fuzz of `/ingest/{source}`: every format from real payloads with hostile
fields and from noise, and its headers. Whatever arrives, the answer is no 5xx, JSON
with an `error` field when it is a refusal, and no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import sample_post, sign
from tests.faults.doors import CONTENT_TYPES, FUZZ, assert_answered, header_values, ingest_post
from tests.faults.payloads import SAMPLES, form_fields, json_bodies, mails


@pytest.mark.both_db
@FUZZ
@given(data=st.data())
def test_ingest_json_sources(http: FlaskClient, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(sorted(json_bodies)))
    body = data.draw(json_bodies[source]).encode()
    assert_answered(ingest_post(http, source, body, "application/json"))


@FUZZ
@given(
    body=st.binary(max_size=3000),
    source=st.sampled_from(["web", "twitter", "mastodon", "email", "form"]),
    ctype=st.sampled_from(CONTENT_TYPES),
)
def test_ingest_noise_of_any_content_type(
    http: FlaskClient, body: bytes, source: str, ctype: str
) -> None:
    assert_answered(ingest_post(http, source, body, ctype))


@FUZZ
@given(mail=mails() | st.sampled_from(SAMPLES).map(Path.read_bytes))
def test_ingest_email(http: FlaskClient, mail: bytes) -> None:
    assert_answered(ingest_post(http, "email", mail, "message/rfc822"))


@FUZZ
@given(fields=form_fields, repeat=st.booleans())
def test_ingest_form(http: FlaskClient, fields: dict[str, str], repeat: bool) -> None:
    body = urlencode({"email": "a@b.example", "message": "hi", **fields}, errors="surrogatepass")
    if repeat:
        body += "&" + body
    resp = ingest_post(http, "form", body.encode(), "application/x-www-form-urlencoded")
    assert_answered(resp)


@FUZZ
@given(timestamp=header_values, signature=header_values, signed=st.booleans())
def test_ingest_headers(http: FlaskClient, timestamp: str, signature: str, signed: bool) -> None:
    body = json.dumps(sample_post(1)).encode()
    headers = {"X-Casebot-Timestamp": timestamp}
    headers["X-Casebot-Signature"] = sign(body, timestamp=timestamp) if signed else signature
    assert_answered(ingest_post(http, "web", body, "application/json", **headers))
