"""Automated mail is told apart from people by the headers the standards define."""

from __future__ import annotations

import pytest

from bot.posts import AutomatedKind
from handlers.channels import email

HUMAN = b"From: Ana <ana@example.com>\nMessage-ID: <h@example.com>\nSubject: help\n"


def classify(headers: bytes, body: bytes = b"my order is late\n") -> AutomatedKind | None:
    post = email.parse("email", headers + b"\n" + body, "message/rfc822")
    return post.automated.kind if post.automated else None


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        (b"", None),
        (b"Auto-Submitted: no\n", None),
        (b"Auto-Submitted: auto-replied\n", AutomatedKind.AUTO_REPLY),
        (b"Auto-Submitted: auto-generated; owner-email=x@y.zz\n", AutomatedKind.AUTO_REPLY),
        (b"Auto-Submitted: auto-notified\n", AutomatedKind.AUTO_REPLY),
        (b"X-Autoreply: yes\n", AutomatedKind.AUTO_REPLY),
        (b"X-Autorespond: Thanks\n", AutomatedKind.AUTO_REPLY),
        (b"Precedence: bulk\n", AutomatedKind.BULK),
        (b"Precedence: junk\n", AutomatedKind.BULK),
        (b"Precedence: list\n", AutomatedKind.BULK),
        (b"Precedence: first-class\n", None),
        (b"Return-Path: <>\n", AutomatedKind.AUTO_REPLY),
        (b"Return-Path: <ana@example.com>\n", None),
        (b"X-Failed-Recipients: bob@example.net\n", AutomatedKind.BOUNCE),
    ],
)
def test_headers_that_mark_automated_mail(extra: bytes, kind: AutomatedKind | None) -> None:
    assert classify(HUMAN + extra) == kind


@pytest.mark.parametrize(
    "sender",
    [
        b"MAILER-DAEMON@mx.example.net",
        b"Mail Delivery System <Mailer-Daemon@mx.example.net>",
        b"postmaster@example.net",
        b"MAILER DAEMON <>",
        b"Mail Delivery Subsystem",
    ],
)
def test_mail_system_senders_are_bounces(sender: bytes) -> None:
    assert classify(b"From: " + sender + b"\nSubject: failure notice\n") == AutomatedKind.BOUNCE


@pytest.mark.parametrize(
    "sender", [b"noreply@shop.example", b"no-reply@shop.example", b"do-not-reply+x@a.example"]
)
def test_no_reply_senders_are_automated(sender: bytes) -> None:
    assert classify(b"From: " + sender + b"\nSubject: your parcel\n") == AutomatedKind.AUTO_REPLY


def test_no_reply_as_part_of_a_name_is_a_person() -> None:
    assert classify(b"From: noreplyhelen@example.com\n") is None


READ_RECEIPT = b"""\
From: Ana <ana@example.com>
Subject: Read: your order
Content-Type: multipart/report; report-type=disposition-notification; boundary="r"

--r
Content-Type: text/plain

Your message was read.
--r
Content-Type: message/disposition-notification

Final-Recipient: rfc822; ana@example.com
Original-Message-ID: <casebot.9@acme.test>
Disposition: manual-action/MDN-sent-manually; displayed
--r--
"""


def test_a_read_receipt_is_a_delivery_report() -> None:
    post = email.parse("email", READ_RECEIPT, "message/rfc822")
    assert post.automated is not None
    assert post.automated.kind == AutomatedKind.DELIVERY_REPORT


def test_a_report_without_text_still_parses() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\nContent-Type: multipart/report; "
        b'report-type=delivery-status; boundary="d"\n\n--d\nContent-Type: message/delivery-status'
        b"\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.cc\nAction: failed\n--d--\n"
    )
    post = email.parse("email", raw, "message/rfc822")
    assert post.automated is not None
    assert post.automated.failed_recipients == ("a@b.cc",)
    assert post.text == "delivery status: failed"
