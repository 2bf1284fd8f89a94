"""Raw RFC 822 messages → posts."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        (b"Message-ID: <m@x>\nSubject: hi\n\nbody\n", "From"),
        (b"From: nobody\nMessage-ID: <m@x>\n\nbody\n", "From"),
        (b"From: bob@example.com\nMessage-ID: <m@x>\n\n\n", "body"),
        (b"", "body"),
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


@pytest.mark.parametrize(
    "headers",
    [
        b"From: bob@example.com\nSubject: hi\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n",
        b"From: bob@example.com\nSubject: hi\nMessage-ID: <a b>\n",
        b"From: bob@example.com\nSubject: hi\nMessage-ID: <" + b"x" * 400 + b"@x>\n",
    ],
)
def test_missing_or_unusable_message_id_is_derived_and_stable(headers: bytes) -> None:
    """RFC 5322 says SHOULD; a re-delivery (new trace headers) still maps to the same id."""
    raw = headers + b"\nmy parcel is late\n"
    first = email.parse("email", raw, RFC822)
    redelivered = email.parse("email", b"Received: from relay2 by mx; now\n" + raw, RFC822)
    other = email.parse("email", raw.replace(b"late", b"lost"), RFC822)
    assert re.fullmatch(r"derived\.[0-9a-f]{32}@casebot\.invalid", first.external_id)
    assert redelivered.external_id == first.external_id
    assert other.external_id != first.external_id
    assert first.conversation_id == first.external_id


def test_derived_id_is_a_digest_of_sender_date_subject_and_body() -> None:
    base = email.derived_message_id("Bob@Example.com", "Mon, 23 Nov 2026", "hi", "body")
    assert base == email.derived_message_id("bob@example.com", " Mon, 23 Nov 2026", "hi ", "body\n")
    for changed in (
        ("eve@example.com", "Mon, 23 Nov 2026", "hi", "body"),
        ("bob@example.com", "Tue, 24 Nov 2026", "hi", "body"),
        ("bob@example.com", "Mon, 23 Nov 2026", "ho", "body"),
        ("bob@example.com", "Mon, 23 Nov 2026", "hi", "bodies"),
    ):
        assert email.derived_message_id(*changed) != base


def test_raw_8bit_latin1_and_cp1252_headers_are_decoded() -> None:
    raw = (
        "From: Françoise Dupré <f.dupre@example.fr>\nSubject: Réclamation \u2013 €49\n"
        "Message-ID: <l1@example.fr>\nContent-Type: text/plain\n\nLa facture est fausse.\n"
    ).encode("cp1252")
    post = email.parse("email", raw, RFC822)
    assert post.author.name == "Françoise Dupré"
    assert post.text.startswith("Réclamation \u2013 €49\n\n")
    latin1 = "From: Zoë <zoe@example.se>\nSubject: Hallå\n\nTack\n".encode("latin-1")
    post = email.parse("email", latin1, RFC822)
    assert (post.author.name, post.text) == ("Zoë", "Hallå\n\nTack")


def test_8bit_body_without_or_with_a_wrong_charset() -> None:
    raw = b"From: a@example.com\nContent-Type: text/plain; charset=us-ascii\n\ncaf\xe9 \x80 5\n"
    assert email.parse("email", raw, RFC822).text == "café € 5"


def test_rfc2047_words_in_8bit_neighbourhood() -> None:
    raw = (
        b"From: =?ISO-8859-1?Q?Keld_J=F8rn?= <keld@dkuug.dk>\n"
        b"Subject: caf\xc3\xa9 =?utf-8?b?w6k=?=\n\nx"
    )
    post = email.parse("email", raw, RFC822)
    assert (post.author.name, post.text) == ("Keld Jørn", "café é\n\nx")


@pytest.mark.parametrize(
    ("headers", "address"),
    [
        (b"Sender: Bob <bob@example.org>\n", "bob@example.org"),
        (
            b'From: "Jane" jane at example.com\nReply-To: Jane <jane@example.com>\n',
            "jane@example.com",
        ),
        (b"From: Forms <no-reply@site.example>\nReply-To: ana@example.com\n", "ana@example.com"),
        (b"From: a@example.com\nSender: b@example.com\nReply-To: c@example.com\n", "a@example.com"),
    ],
)
def test_first_usable_mailbox_from_then_sender_then_reply_to(headers: bytes, address: str) -> None:
    post = email.parse("email", headers + b"Subject: hi\n\nbody\n", RFC822)
    assert post.author.email == address
    assert post.automated is None


REPLY = b"""\
From: Max <max@example.de>
Subject: Re: Bestellung 5512
Message-ID: <r1@example.de>
In-Reply-To: <casebot.1@acme.test>
Content-Type: text/plain; charset=utf-8

Die Lieferung ist immer noch nicht da.

Am Mo., 23. Nov. 2026 um 10:00 Uhr schrieb Acme Care <care@acme.test>:

> Wir haben Ersatz geschickt.
"""


def test_quoted_history_is_trimmed_and_the_full_text_kept() -> None:
    post = email.parse("email", REPLY, RFC822)
    assert post.text == "Re: Bestellung 5512\n\nDie Lieferung ist immer noch nicht da."
    assert post.metadata["full_text"].endswith("> Wir haben Ersatz geschickt.")
    assert post.metadata["full_text"].startswith("Die Lieferung ist immer noch nicht da.")


def test_a_first_contact_is_never_trimmed() -> None:
    """Only replies quote history; a form mailer's `From: … Subject: …` lines are content."""
    raw = (
        b"From: shop@example.com\nSubject: Contact\n\n"
        b"Name: Ana\nFrom: Ana <a@b.cc>\nSubject: refund\n\nWhere is it?\n"
    )
    post = email.parse("email", raw, RFC822)
    assert post.text.endswith("Subject: refund\n\nWhere is it?")
    assert "full_text" not in post.metadata


def test_trimming_is_bounded_on_hostile_replies() -> None:
    raw = REPLY.replace(b"nicht da.\n", b"nicht da.\nOn " + b"a" * 60_000 + b"\n")
    started = time.perf_counter()
    post = email.parse("email", raw, RFC822)
    assert time.perf_counter() - started < 3
    assert "Die Lieferung" in post.text


MIXED = b"""\
From: a@example.com
Message-ID: <att@example.com>
Subject: photos
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

see attached
--b
Content-Type: image/jpeg
Content-Disposition: attachment; filename*=utf-8''Kaputt%C3%A9.jpg
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRg==
--b
Content-Type: message/rfc822

From: x@y.zz
Subject: forwarded

inner
--b--
"""


def test_attachments_are_listed_without_their_bytes() -> None:
    post = email.parse("email", MIXED, RFC822)
    assert post.text == "photos\n\nsee attached"
    assert post.metadata["attachments"] == [
        {"filename": "Kaputté.jpg", "content_type": "image/jpeg", "size": 10},
        {"filename": None, "content_type": "message/rfc822", "size": 38},
    ]


def _nested(depth: int) -> bytes:
    head = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    tail = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return (
        b"From: a@example.com\nMessage-ID: <n@x>\n"
        + head
        + b"Content-Type: text/plain\n\nhi"
        + tail
    )


@pytest.mark.parametrize("depth", [60, 2000])
def test_deep_nesting_is_a_400_naming_the_field(depth: int) -> None:
    with pytest.raises(ParseError) as err:
        email.parse("email", _nested(depth), RFC822)
    assert err.value.field == "Content-Type"


def test_nesting_within_the_limit_parses() -> None:
    assert email.parse("email", _nested(40), RFC822).text == "hi"


def test_obsolete_syntax_space_before_colon_and_spaced_message_id() -> None:
    raw = (
        b"From  : John <jdoe@machine.example>\n"
        b"Message-ID  : <1234 @ local(blah) .machine .example>\n\nhi\n"
    )
    post = email.parse("email", raw, RFC822)
    assert (post.author.email, post.external_id) == (
        "jdoe@machine.example",
        "1234@local.machine.example",
    )


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: ("From: a@b.cc\n" + t).encode())
)
def test_any_bytes_parse_or_name_a_field(raw: bytes) -> None:
    try:
        post = email.parse("email", raw, RFC822)
    except ParseError as exc:
        assert exc.field
    else:
        assert post.text and len(post.text) <= 40_000
