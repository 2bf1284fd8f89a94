"""Raw RFC 822 messages → posts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.channels import email
from handlers.channels.base import ParseError

RFC822 = "message/rfc822"

PLAIN = b"""\
Return-Path: <jane@example.org>
Received: from mx.example.org by mail.acme.test; Mon, 23 Nov 2026 09:01:00 +0000
From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen.Mueller@Example.org>
To: care@acme.test
Subject: =?utf-8?q?Re:_Rechnung_doppelt_abgebucht?=
Date: Mon, 23 Nov 2026 10:00:00 +0100
Message-ID: <CAF3x9=abc123@mail.example.org>
In-Reply-To: <casebot.1111@acme.test>
References: <root-1@mail.example.org>
 <casebot.1111@acme.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, ich wurde zweimal belastet.
Zweite Zeile.
--b1
Content-Type: text/html; charset="utf-8"

<p>HTML version</p>
--b1--
"""


def parse(raw: bytes) -> object:
    return email.parse("email", raw, RFC822)


def test_plain_part_subject_and_threading() -> None:
    post = email.parse("email", PLAIN, RFC822)
    assert post.external_id == "CAF3x9=abc123@mail.example.org"
    assert post.text == (
        "Re: Rechnung doppelt abgebucht\n\nGrüße, ich wurde zweimal belastet.\nZweite Zeile."
    )
    assert post.author.id == "juergen.mueller@example.org"
    assert post.author.email == "Juergen.Mueller@Example.org"
    assert post.author.name == "Jürgen Müller"
    assert post.in_reply_to == "casebot.1111@acme.test"
    assert post.conversation_id == "root-1@mail.example.org"
    assert post.posted_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert post.metadata == {"subject": "Re: Rechnung doppelt abgebucht"}


def test_html_only_message_becomes_text() -> None:
    raw = (
        b"From: bob@example.com\r\nSubject: Help\r\nMessage-ID: <m2@example.com>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Order &amp; refund"
        b"</p><script>evil()</script><div>line<br>two</div></body></html>"
    )
    post = email.parse("email", raw, RFC822)
    assert post.text == "Help\n\nOrder & refund\n\nline\ntwo"
    assert post.conversation_id == "m2@example.com"
    assert post.in_reply_to is None
    assert post.author.name == ""


def test_conversation_falls_back_to_in_reply_to() -> None:
    raw = b"From: bob@example.com\nMessage-ID: <m3@x>\nIn-Reply-To: <m2@x>\n\nthanks\n"
    post = email.parse("email", raw, RFC822)
    assert (post.conversation_id, post.in_reply_to, post.text) == ("m2@x", "m2@x", "thanks")


@pytest.mark.parametrize(
    "charset", [b"iso-8859-1", b"utf-8", b"x-unknown-charset", b"base64", b"utf-\x00"]
)
def test_broken_charsets_never_crash(charset: bytes) -> None:
    raw = (
        b"From: bob@example.com\nMessage-ID: <m4@x>\nSubject: \xff\xfe broken\n"
        b"Content-Type: text/plain; charset=" + charset + b"\n\n"
        b"caf\xe9 \xff\xfe\x00 ok\n"
    )
    post = email.parse("email", raw, RFC822)
    assert "\x00" not in post.text
    assert "ok" in post.text
    assert "broken" in post.text


def test_broken_base64_and_bad_date_are_tolerated() -> None:
    raw = (
        b"From: bob@example.com\nMessage-ID: <m5@x>\nDate: not a date\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"aGVsbG8gd29ybGQ=!!!@@@\n"
    )
    post = email.parse("email", raw, RFC822)
    assert post.posted_at is None
    assert post.text


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"From: bob@example.com\nSubject: hi\n\nbody\n", "Message-ID"),
        (b"From: bob@example.com\nMessage-ID: <a b>\n\nbody\n", "Message-ID"),
        (b"Message-ID: <m@x>\nSubject: hi\n\nbody\n", "From"),
        (b"From: nobody\nMessage-ID: <m@x>\n\nbody\n", "From"),
        (b"From: bob@example.com\nMessage-ID: <m@x>\n\n\n", "body"),
        (b"", "body"),
        (b"From: bob@example.com\nMessage-ID: <" + b"x" * 400 + b"@x>\n\nhi\n", "Message-ID"),
    ],
)
def test_bad_message_names_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(ParseError) as err:
        email.parse("email", raw, RFC822)
    assert err.value.field == field


def test_huge_body_is_bounded() -> None:
    raw = b"From: bob@example.com\nMessage-ID: <m6@x>\n\n" + b"z" * 900_000
    assert len(email.parse("email", raw, RFC822).text) == 40_000


def test_message_ids_are_stored_bare() -> None:
    assert email.message_ids("<a@x>  <b@y>\n <c@z>") == ["a@x", "b@y", "c@z"]
    assert email.message_ids("bare@id") == ["bare@id"]
    assert email.message_ids("") == []
